"""A notification becomes one mail: subject, text and HTML from its template, to its recipients."""

from __future__ import annotations

import json

from chalicelib.notifications.ports import Notification, Recipient
from local.people import direct_order
from tests.fakes.world import World


def test_a_notification_is_rendered_from_its_template_and_sent_once_to_all_its_recipients(world: World):
    order = world.submit("olivia.orderer", direct_order())
    context = {"order": order.model_dump(mode="json"), "case_number": "CS1", "link": "https://x/orders/1"}
    json.dumps(context)  # what is told can be stored and told later
    world.app.notifier.notify(
        Notification("order_completed", (Recipient("b@x"), Recipient("a@x"), Recipient("a@x")), context)
    )
    [mail] = world.mail.sent
    assert mail.to == ["a@x", "b@x"]
    assert order.number in mail.subject and "https://x/orders/1" in mail.text and "<a href" in mail.html


def test_html_escapes_what_people_typed(world: World):
    order = world.submit("olivia.orderer", direct_order(care_units={"count": 1, "names": ["<script>x</script>"]}))
    world.app.notifier.notify(
        Notification("order_completed", (Recipient("a@x"),), {"order": order.model_dump(mode="json"), "link": "l"})
    )
    assert "<script>" not in world.mail.sent[0].html and "&lt;script&gt;" in world.mail.sent[0].html


def test_a_notification_for_nobody_sends_nothing(world: World):
    world.app.notifier.notify(Notification("order_completed", (), {}))
    assert world.mail.sent == []
