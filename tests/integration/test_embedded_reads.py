"""What the embedded AWS reads for the product and its people costs little when nothing happens and stays the same
as the product fills: an idle queue is not asked for messages every few milliseconds, a mail sent whole is parsed
once, a person's mailbox is read from where they last looked, and the table's stream keeps only what its mapping
has not read yet; sent SMS are read from a position, whole, while others are being sent."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import boto3
import moto

import local.embedded_aws
from local.embedded_aws import ACCOUNT_ID, REGION, EmbeddedAws, _queue_ready, _stream_records
from local.event_sources import EventSources
from local.people import Person


def test_an_idle_queue_is_not_polled_and_a_delayed_message_still_arrives(aws: EmbeddedAws):
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"idle-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    relayed: list[dict[str, Any]] = []
    sources = EventSources(
        relay=relayed.append,
        read_stream=lambda position: [],
        retry_queue_url=queue_url,
        dead_letter_queue_url=queue_url,
        region=REGION,
        ready=_queue_ready,
    )
    sources.start()
    receives: list[str] = []
    sources._sqs.meta.events.register("before-call.sqs.ReceiveMessage", lambda **_: receives.append("receive"))
    try:
        time.sleep(0.5)
        assert len(receives) == 0, "an empty queue was asked for messages"
        sqs.send_message(QueueUrl=queue_url, MessageBody="later", DelaySeconds=1)
        time.sleep(0.5)
        assert relayed == [], "a delayed message arrived before its delay"
        deadline = time.monotonic() + 5
        while not relayed and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sources.stop()
    assert [record["body"] for batch in relayed for record in batch["Records"]] == ["later"]
    assert 1 <= len(receives) <= 3
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0), "it was not deleted"


def test_a_mail_sent_whole_is_parsed_once(aws: EmbeddedAws, monkeypatch):
    parsed: list[str] = []
    original = local.embedded_aws.raw_email

    def counting(message_id: str, source: str, raw_data: str) -> dict[str, Any]:
        parsed.append(message_id)
        return original(message_id, source, raw_data)

    monkeypatch.setattr(local.embedded_aws, "raw_email", counting)
    ses = boto3.client("ses", region_name=REGION)
    raw = f"From: {aws.environment['MAIL_SENDER']}\r\nTo: someone@example.org\r\nSubject: once\r\n\r\nbody"
    sent = ses.send_raw_email(Source=aws.environment["MAIL_SENDER"], RawMessage={"Data": raw})["MessageId"]
    first = [mail for mail in aws.sent_emails() if mail["id"] == sent]
    first[0]["subject"] = "changed by a reader"
    again = [mail for mail in aws.sent_emails() if mail["id"] == sent]
    assert parsed.count(sent) == 1
    assert again[0]["subject"] == "once", "a reader's change reached the next reader"
    everything = aws.sent_emails()
    assert aws.sent_emails(len(everything) - 1) == everything[-1:]


def test_a_person_finds_an_earlier_unread_mail_after_reading_a_later_one(aws: EmbeddedAws):
    ses = boto3.client("ses", region_name=REGION)
    person = Person("olivia.orderer", http=None, aws=aws)
    person.mail_position = len(aws.sent_emails())
    for subject in ("first about 17", "second about 17"):
        ses.send_email(
            Source=aws.environment["MAIL_SENDER"],
            Destination={"ToAddresses": [person.email]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": "text"}}},
        )
    assert person.next_email("second", "17", timeout=2)["subject"] == "second about 17"
    assert person.next_email("first", "17", timeout=2)["subject"] == "first about 17"
    assert person.mail_position == len(aws.sent_emails())


def test_the_stream_keeps_only_what_its_mapping_has_not_read(aws: EmbeddedAws):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    name = f"stream-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    shard = moto.backends.get_backend("dynamodb")[ACCOUNT_ID][REGION].get_table(name).stream_shard
    assert shard is not None
    for pk in ("a", "b", "c"):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": pk}})
    first = _stream_records(name, 0)
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in first] == ["a", "b", "c"]
    assert _stream_records(name, 1) == first[1:]
    assert len(shard.items) == 2, "the record read was kept"
    assert _stream_records(name, 3) == []
    assert shard.items == []
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "d"}})
    (later,) = _stream_records(name, 3)
    assert later["dynamodb"]["Keys"]["pk"]["S"] == "d"
    assert later["dynamodb"]["NewImage"] == {"pk": {"S": "d"}}
    sequence = [int(record["dynamodb"]["SequenceNumber"]) for record in [*first, later]]
    assert sequence == list(range(sequence[0], sequence[0] + 4)), "the sequence numbers did not go on in order"


def test_sent_sms_are_read_from_a_position_while_others_are_being_sent(aws: EmbeddedAws):
    sns = boto3.client("sns", region_name=REGION)
    sent = [sns.publish(PhoneNumber="+46701234567", Message=f"code {n}")["MessageId"] for n in range(3)]
    everything = aws.sent_sms()
    assert [sms["id"] for sms in aws.sent_sms(len(everything) - 2)] == sent[1:]

    # Another group's codes are texted while a person reads: the read must not meet moto's dict half changed.
    messages = moto.backends.get_backend("sns")[ACCOUNT_ID][REGION].sms_messages
    for n in range(200_000):  # long enough a read that another thread gets its turn in the middle of one
        messages[f"filler-{n}"] = ("+46700000000", "filler")
    stop = threading.Event()

    def texting() -> None:
        n = 0
        while not stop.is_set():
            messages[f"meanwhile-{n}"] = ("+46700000001", "meanwhile")
            n += 1
            time.sleep(0.0001)

    sender = threading.Thread(target=texting)
    sender.start()
    try:
        for _ in range(20):
            assert len(aws.sent_sms(len(everything))) >= 200_000
    finally:
        stop.set()
        sender.join()
        for key in [key for key in messages if key.startswith(("filler-", "meanwhile-"))]:
            del messages[key]  # the embedded AWS lives for the whole session: later tests read these SMS too
