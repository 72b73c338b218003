"""What a submit reads on DynamoDB: one BatchGetItem, its unprocessed keys asked for again, and the catalogue a
container keeps until a newer version is loaded (docs/decisions.md 2026-12-02)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.dynamo.ordering import (
    CATALOGUE_KEY,
    CATALOGUE_VERSION_KEY,
    DynamoCatalogues,
    DynamoSubmitReads,
)
from chalicelib.adapters.dynamo.table import UNPROCESSED_ATTEMPTS, DynamoTable, to_dynamo
from chalicelib.bootstrap import container
from chalicelib.ordering.model import Catalogue
from local.embedded_aws import EmbeddedAws


class Recording:
    """The table's client, with every operation called on it recorded by name."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.operations: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def called(**kwargs: Any) -> Any:
            self.operations.append(name)
            return method(**kwargs)

        return called


class LeavingKeysUnprocessed(Recording):
    """Answers only the first `answering` keys of a BatchGetItem and leaves the others unprocessed, as DynamoDB
    may when it throttles; `times` batches are cut short so, the next are answered whole."""

    def __init__(self, client: Any, times: int, answering: int = 1) -> None:
        super().__init__(client)
        self.times = times
        self.answering = answering
        self.asked: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.operations.append("batch_get_item")
        (table, request), *_ = RequestItems.items()
        self.asked.append(len(request["Keys"]))
        if self.times == 0:
            return dict(self._client.batch_get_item(RequestItems=RequestItems))
        self.times -= 1
        first, rest = request["Keys"][: self.answering], request["Keys"][self.answering :]
        answered = (
            self._client.batch_get_item(RequestItems={table: {**request, "Keys": first}})["Responses"] if first else {}
        )
        return {"Responses": answered, "UnprocessedKeys": {table: {**request, "Keys": rest}}}


def table_with(client: Any) -> DynamoTable:
    table = container().adapters.transactions
    assert isinstance(table, DynamoTable)
    return DynamoTable(client, table.name)


def application_client() -> Any:
    table = container().adapters.transactions
    assert isinstance(table, DynamoTable)
    return table.client


def profile(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "PROFILE"}


def test_keys_left_unprocessed_are_asked_for_again_until_every_one_is_read(aws: EmbeddedAws):
    client = LeavingKeysUnprocessed(application_client(), times=2)
    keys = [profile("olivia.orderer"), profile("adam.attester"), profile("nobody"), profile("hanna.handler")]
    found = table_with(client).get_many(keys)
    assert [item["user_id"] if item else None for item in found] == [
        "olivia.orderer",
        "adam.attester",
        None,
        "hanna.handler",
    ]
    assert client.asked == [4, 3, 2]  # each time only what was left


def test_a_read_still_unprocessed_after_the_last_attempt_fails(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("chalicelib.adapters.dynamo.table.FIRST_UNPROCESSED_PAUSE", 0.0)
    client = LeavingKeysUnprocessed(application_client(), times=100, answering=0)
    with pytest.raises(RuntimeError, match="unprocessed"):
        table_with(client).get_many([profile("olivia.orderer"), profile("adam.attester")])
    assert len(client.asked) == UNPROCESSED_ATTEMPTS


def test_a_key_given_twice_is_asked_once_and_answered_twice(aws: EmbeddedAws):
    client = Recording(application_client())
    first, second = table_with(client).get_many([profile("olivia.orderer"), profile("olivia.orderer")])
    assert first == second
    assert first is not None
    assert client.operations == ["batch_get_item"]


def test_a_submit_is_one_batch_read_with_the_catalogue_once_held_read_by_its_version(aws: EmbeddedAws):
    client = Recording(application_client())
    table = table_with(client)
    catalogues = DynamoCatalogues(table)
    olivia = container().adapters.directory.person("olivia.orderer")
    assert olivia is not None
    reads = DynamoSubmitReads(table, catalogues)
    first = reads.for_submit("no-such-order", olivia, "adam.attester", "agent-cgm")
    second = reads.for_submit("no-such-order", olivia, "adam.attester", "agent-cgm")
    assert first.catalogue is not None
    assert second.catalogue == first.catalogue
    assert client.operations == ["batch_get_item", "batch_get_item"]
    assert catalogues.key_to_read() == CATALOGUE_VERSION_KEY


def test_a_held_catalogue_is_replaced_once_a_higher_version_is_loaded(aws: EmbeddedAws):
    held = DynamoCatalogues(table_with(application_client()))
    current = held.current()
    assert current is not None
    # Another process loads a newer catalogue (scripts/load_catalogue.py); only its version differs, so the
    # orders of other tests are placed as before.
    newer = Catalogue.model_validate({**current.model_dump(), "version": current.version + 1})
    assert DynamoCatalogues(table_with(application_client())).replace(newer) is True
    assert held.current() == newer
    assert held.current() == newer  # and held from then on


def test_a_table_loaded_before_the_version_was_kept_is_read_whole_until_the_loader_runs_again(aws: EmbeddedAws):
    client = Recording(application_client())
    table = table_with(client)
    loaded = DynamoCatalogues(table).current()
    assert loaded is not None
    application_client().delete_item(TableName=table.name, Key=to_dynamo(CATALOGUE_VERSION_KEY))
    held = DynamoCatalogues(table)
    assert held.current() == loaded
    client.operations.clear()
    assert held.current() == loaded
    assert client.operations == ["get_item", "get_item"]  # no version item: the catalogue is read again

    assert DynamoCatalogues(table).replace(loaded) is False  # the same version: the catalogue stays as it is
    stored = application_client().get_item(TableName=table.name, Key=to_dynamo(CATALOGUE_VERSION_KEY))["Item"]
    assert int(stored["version"]["N"]) == loaded.version
    assert application_client().get_item(TableName=table.name, Key=to_dynamo(CATALOGUE_KEY))["Item"]
    client.operations.clear()
    assert held.current() == loaded
    assert client.operations == ["get_item"]
