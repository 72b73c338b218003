"""Powertools logging and metrics: JSON lines with the order id as correlation id, EMF metrics."""

from __future__ import annotations

import json

from local import demo
from local.people import direct_order, placed
from tests.leaks import leaks


def test_every_log_line_of_an_order_carries_its_id_as_correlation_id(person, aws, logs):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    adam.attest(adam.approval_link("attestera beställning", number))
    aws.wait_for_execution(order_id)

    by_message = {line["message"]: line for line in logs.lines if line.get("correlation_id") == order_id}
    for message in ("Order submitted", "Decision requested", "Decision recorded", "Case created"):
        assert message in by_message, f"no '{message}' log line with the order's correlation id"
    assert by_message["Order submitted"]["service"] == "service-orders"
    assert by_message["Decision recorded"]["route"] == "/api/approvals/{approval_id}/decision"


def test_the_catalogue_loader_replaces_only_with_a_newer_version(aws):
    from chalicelib.bootstrap import container
    from chalicelib.ordering.model import Catalogue

    catalogues = container().adapters.catalogues
    current = catalogues.current()
    assert current is not None
    assert catalogues.replace(current) is False
    assert (
        catalogues.replace(Catalogue.model_validate({**current.model_dump(), "version": current.version - 1})) is False
    )
    assert catalogues.current() == current


def test_a_submit_publishes_its_metric_in_embedded_metric_format_with_its_correlation_id(person, monkeypatch, capsys):
    """R-ORD-8: the metric carries the order's id, as its log lines do; no X-Ray SDK is needed for that."""
    olivia = person("olivia.orderer")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    order_id, _ = placed(olivia.submit(direct_order()))

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    submitted = [r for r in records if "OrdersSubmitted" in r]
    assert submitted, "no EMF record with OrdersSubmitted"
    directive = submitted[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ServiceOrders"
    assert {"Name": "OrdersSubmitted", "Unit": "Count"} in directive["Metrics"]
    assert submitted[0]["service"] == "service-orders"
    assert submitted[0]["correlation_id"] == order_id


def test_the_log_check_finds_every_kind_of_secret(person, aws, handed_out, nothing_secret_is_logged):
    """The fixture every integration test runs under (tests/integration/conftest.py) would find each of these."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    code = adam.sign_with_code(approval_id)
    handed_out.read(aws)
    tokens = handed_out.task_tokens
    assert approval_id in handed_out.link_ids and code in handed_out.codes and tokens

    secrets = {
        "a JWT": adam.token,
        "a phone number": adam.phone,
        "a personal identity number": "19121212-1212",  # Skatteverket's test personnummer
        "a task token": next(iter(tokens)),
        "a link id": approval_id,
        "a one-time code": code,
        "a password": demo.PASSWORD,
    }
    for kind, secret in secrets.items():
        line = json.dumps({"message": "Something happened", "detail": secret, "correlation_id": order_id})
        assert [found for found in leaks(line, handed_out) if found.startswith(kind)], kind
    assert leaks(json.dumps({"fodselsnummer": "15108695088"}), handed_out)  # a Norwegian one too
    # What the product itself logged meanwhile is clean, and there was something to read.
    assert "Decision requested" in nothing_secret_is_logged.text
    assert leaks(nothing_secret_is_logged.text, handed_out) == []
