"""Powertools logging: JSON lines, the order id as correlation id, and nothing secret in them."""

from __future__ import annotations

from local.people import direct_order


def test_every_log_line_of_an_order_carries_its_id_as_correlation_id(person, aws, logs):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id = olivia.submit(direct_order()).body["order_id"]
    adam.attest(adam.approval_link("attest order"))
    aws.wait_for_execution(order_id)

    by_message = {line["message"]: line for line in logs.lines if line.get("correlation_id") == order_id}
    for message in ("Order submitted", "Decision requested", "Decision recorded", "Case created"):
        assert message in by_message, f"no '{message}' log line with the order's correlation id"
    assert by_message["Order submitted"]["service"] == "service-orders"
    assert by_message["Decision recorded"]["route"] == "/api/approvals/{approval_id}/decision"


def test_the_catalogue_loader_replaces_only_with_a_newer_version(aws):
    from chalicelib.bootstrap import container
    from chalicelib.domain.model import Catalogue

    table = container().table
    current = table.get_catalogue()
    assert current is not None
    assert table.put_catalogue(current) is False
    assert (
        table.put_catalogue(Catalogue.model_validate({**current.model_dump(), "version": current.version - 1})) is False
    )
    assert table.get_catalogue() == current
