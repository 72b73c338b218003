"""The bench names the table a call went to, for batch calls too (bench/measure.py)."""

from __future__ import annotations

from bench.measure import AwsCall

LABELS = {"service-orders": "", "idempotency-table": "idempotency"}


def call(operation: str, *, table: str | None = None, batch_tables: tuple[str, ...] = ()) -> AwsCall:
    return AwsCall(0, "POST /api/orders", "dynamodb", operation, table, (), batch_tables, 0, 0.0)


def test_a_batch_read_of_the_application_table_is_named_as_its_single_reads_are():
    assert call("BatchGetItem", batch_tables=("service-orders",)).label(LABELS) == "BatchGetItem"
    assert call("GetItem", table="service-orders").label(LABELS) == "GetItem"


def test_a_batch_read_of_another_table_names_that_table():
    assert call("BatchGetItem", batch_tables=("idempotency-table",)).label(LABELS) == "BatchGetItem [idempotency]"
    assert call("BatchWriteItem", batch_tables=("elsewhere",)).label(LABELS) == "BatchWriteItem [elsewhere]"
