"""Nothing anyone must be told is lost or doubled: a notification is staged with the change that causes
it, one message per person, and the relay delivers it, trying failures again until it sets them aside."""

from __future__ import annotations

import pytest

from chalicelib.notifications.ports import Notification, OutboxMessage, Recipient
from chalicelib.notifications.services import OutboxNotifier, OutboxRelay
from chalicelib.shared.transactions import ConcurrentChange
from local.people import direct_order
from tests.fakes.notifications import MemoryFeed, MemoryOutbox
from tests.fakes.store import MemoryStore
from tests.fakes.world import World

ORDER_CONTEXT = {"order": {"number": "RITM1", "customer_name": "Region"}, "link": "https://x/orders/1"}


def test_a_notification_is_one_message_per_person_staged_in_the_transaction():
    store = MemoryStore()
    outbox = MemoryOutbox(store)
    transaction = store.begin()
    OutboxNotifier(outbox).notify(
        transaction, Notification("event-1", "order_completed", (Recipient("b@x"), Recipient("a@x"), Recipient("a@x")))
    )
    assert outbox.messages == {}  # nothing before the change commits
    transaction.commit()
    assert sorted(outbox.messages) == ["event-1#a@x", "event-1#b@x"]
    assert {message.payload["to"] for message in outbox.messages.values()} == {"a@x", "b@x"}


def test_the_same_event_is_told_once():
    store = MemoryStore()
    outbox = MemoryOutbox(store)
    for attempt in range(2):
        transaction = store.begin()
        OutboxNotifier(outbox).notify(transaction, Notification("event-1", "order_completed", (Recipient("a@x"),)))
        if attempt:
            with pytest.raises(ConcurrentChange):  # a retried change finds its message's key taken
                transaction.commit()
        else:
            transaction.commit()
    assert list(outbox.messages) == ["event-1#a@x"]


def test_a_mail_is_rendered_from_its_template_and_escapes_what_people_typed(world: World):
    order = world.submit(
        "olivia.orderer", direct_order(care_units=[{"name": "<script>x</script>", "hsa_id": "SE2321000099-X1"}])
    )
    mail = world.app.mail.render("order_completed", ["a@x"], {"order": order.model_dump(mode="json"), "link": "L"})
    assert order.number in mail.subject and "L" in mail.text and "<a href" in mail.html
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[str] = []

    def __call__(self, payload: dict[str, str]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("throttled")
        self.delivered.append(payload["n"])


def messages(*numbers: str) -> list[tuple[OutboxMessage, int]]:
    return [(OutboxMessage(key=n, kind="test", payload={"n": n}), 1) for n in numbers]


def test_a_failed_delivery_is_tried_again_later_and_the_others_go_on():
    feed, deliver = MemoryFeed(), Flaky(failures=1)
    relay = OutboxRelay(feed, {"test": deliver})
    again = relay.relay({"messages": messages("1", "2", "3")}, lambda message, error: None)
    assert again == [] and deliver.delivered == ["2", "3"]
    assert [(d.message.key, d.attempt) for d in feed.retries] == [("1", 2)]
    relay.relay({"messages": [(d.message, d.attempt) for d in feed.retries], "in_order": False}, lambda m, e: None)
    assert deliver.delivered == ["2", "3", "1"]


def test_after_its_last_attempt_a_message_is_set_aside_for_operations():
    feed, deliver = MemoryFeed(max_attempts=3), Flaky(failures=99)
    relay = OutboxRelay(feed, {"test": deliver})
    pending = messages("1")
    while pending:
        relay.relay({"messages": pending, "in_order": False}, lambda message, error: None)
        pending, feed.retries = [(d.message, d.attempt) for d in feed.retries], []
    assert [(d.message.key, d.attempt) for d in feed.dead_letters] == [("1", 4)]
    assert deliver.delivered == []


class BrokenFeed(MemoryFeed):
    def try_again_later(self, delivery) -> None:
        raise ConnectionError("the retry queue is down too")


def test_when_even_the_retry_queue_fails_a_stream_stops_there_so_nothing_is_sent_twice_or_overtaken():
    deliver = Flaky(failures=1)
    relay = OutboxRelay(BrokenFeed(), {"test": deliver})
    again = relay.relay({"messages": messages("1", "2", "3")}, lambda message, error: None)
    assert again == ["1@1", "2@1", "3@1"] and deliver.delivered == []
    unordered = Flaky(failures=1)
    again = OutboxRelay(BrokenFeed(), {"test": unordered}).relay(
        {"messages": messages("1", "2"), "in_order": False}, lambda message, error: None
    )
    assert again == ["1@1"] and unordered.delivered == ["2"]
