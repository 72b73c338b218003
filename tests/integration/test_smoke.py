"""`make smoke` against the local product over HTTP: the same script a deploy runs, with the stage's smoke-codes
topic and queue made in the embedded AWS and the demo's attester standing in for the smoke-test attester."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.bootstrap import container
from local import demo
from local.embedded_aws import EmbeddedAws
from scripts import smoke

ATTESTER = next(person for person in demo.PEOPLE if person.user_id == "adam.attester")


@pytest.fixture
def codes_queue(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The stage's smoke-codes topic and its queue; texts to the attester's number go there, not to a phone."""
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic_arn = sns.create_topic(Name="service-orders-local-smoke-codes")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="service-orders-local-smoke-codes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("SMOKE_TEST_PHONE", ATTESTER.phone)
    monkeypatch.setenv("SMOKE_TEST_TOPIC_ARN", topic_arn)
    container.cache_clear()  # the settings are read again, with the smoke-test number
    yield queue_url
    monkeypatch.undo()
    container.cache_clear()


def test_smoke_walks_a_direct_order_to_its_case_and_no_sms_goes_to_a_phone(served, aws, codes_queue):
    """R-ORD-2, R-ORD-4: the direct chain is one attestation, signed with a one-time code, then the case."""
    texts_before = len(aws.sent_sms())
    said: list[str] = []

    order_id = smoke.walk_a_direct_order(
        served,
        ("olivia.orderer", demo.PASSWORD),
        (ATTESTER.user_id, demo.PASSWORD),
        smoke.CodesQueue(codes_queue, "eu-north-1", client=aws.client("sqs")),
        timeout=30,
        say=said.append,
    )

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert said[0] == "health: ok" and said[-1].endswith("the stage works")
    # The code went to the topic, read by the smoke test; no text was sent to the attester's phone.
    assert [sms for sms in aws.sent_sms()[texts_before:] if sms["to"] == ATTESTER.phone] == []


def test_smoke_says_which_step_failed(served, aws, codes_queue):
    with pytest.raises(smoke.SmokeFailed, match=r"olivia\.orderer signs in to the API: expected 200"):
        smoke.walk_a_direct_order(
            served,
            ("olivia.orderer", "not-the-password"),
            (ATTESTER.user_id, demo.PASSWORD),
            smoke.CodesQueue(codes_queue, "eu-north-1", client=aws.client("sqs")),
            timeout=5,
            say=lambda _: None,
        )


def test_smoke_takes_passwords_from_the_environment_only(capsys: pytest.CaptureFixture[str]):
    arguments = ["--base-url", "https://orders.example.org", "--region", "eu-north-1", "--codes-queue-url", "q"]
    assert smoke.main(arguments, environ={}) == 2
    assert "SMOKE_ORDERER_PASSWORD and SMOKE_ATTESTER_PASSWORD" in capsys.readouterr().err
    assert json.dumps(smoke.DEFAULT_ORDER)  # the default order is plain JSON, as --order-file merges into it
