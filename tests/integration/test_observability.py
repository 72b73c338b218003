"""Powertools logging and metrics: JSON lines with the order id as correlation id, EMF metrics."""

from __future__ import annotations

import json

from local.people import direct_order, placed


def test_every_log_line_of_an_order_carries_its_id_as_correlation_id(person, aws, logs):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    adam.attest(adam.approval_link("attest order", number))
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


def test_a_submit_publishes_its_metric_in_embedded_metric_format(person, monkeypatch, capsys):
    olivia = person("olivia.orderer")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    assert olivia.submit(direct_order()).status == 201

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    submitted = [r for r in records if "OrdersSubmitted" in r]
    assert submitted, "no EMF record with OrdersSubmitted"
    directive = submitted[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ServiceOrders"
    assert {"Name": "OrdersSubmitted", "Unit": "Count"} in directive["Metrics"]
    assert submitted[0]["service"] == "service-orders"
