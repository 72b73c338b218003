"""The OpenAPI document: generated from the routes and their contracts, served, valid OpenAPI 3.1, and read for
people at /api/reference."""

from __future__ import annotations

import json
import urllib.request

import pytest
from chalice.app import Chalice
from openapi_spec_validator import validate

from app import app
from chalicelib.entrypoints.contract import ANYONE, operation
from chalicelib.entrypoints.openapi import UndeclaredRoute, declared_operations, document
from chalicelib.entrypoints.routing import every_route


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the local product on loopback
        return answer.status, answer.headers["Content-Type"], answer.read()


def test_the_served_document_is_valid_openapi_3_1_made_from_the_routes(served):
    status, content_type, body = fetch(f"{served}/api/openapi.json")
    assert status == 200 and content_type.startswith("application/json")
    served_document = json.loads(body)
    validate(served_document)
    assert served_document["openapi"].startswith("3.1")
    assert served_document == json.loads(json.dumps(document(every_route(app))))


def test_every_api_route_is_in_the_document_with_its_errors_and_who_may_call_it():
    described = document(every_route(app))
    for path, methods in every_route(app).items():
        if not path.startswith("/api/"):
            continue
        for method in methods:
            entry = described["paths"][path][method.lower()]
            assert "500" in entry["responses"], (method, path)
            assert entry["x-access"]["signed_in"] == bool(entry["security"]), (method, path)
            if entry["security"]:
                assert {"401", "403"} <= set(entry["responses"]), (method, path)
            for status, response in entry["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_the_schemas_are_the_models_the_routes_validate_with():
    schemas = document(every_route(app))["components"]["schemas"]
    place_order = schemas["PlaceOrder"]
    assert place_order["additionalProperties"] is False
    assert place_order["properties"]["terms_accepted"]["const"] is True
    assert place_order["properties"]["care_units"]["maxItems"] == 1000
    assert schemas["CareUnit"]["properties"]["hsa_id"]["pattern"] == "^SE[0-9]{10,12}-[A-Za-z0-9]{1,31}$"
    assert schemas["DecisionBody"]["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert set(schemas["ErrorBody"]["required"]) == {"message", "code", "errors"}


def test_a_route_without_a_contract_is_refused():
    """A new route must declare what it takes, answers and who may call it, or the document (and the
    authorization matrix) cannot be made."""
    bare = Chalice(app_name="bare")

    @bare.route("/api/declared")
    @operation(bare, summary="declared", access=ANYONE, responses={200: None})  # type: ignore[arg-type]
    def declared(call):  # pragma: no cover - never called
        raise AssertionError

    @bare.route("/api/forgotten")
    def forgotten():  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(UndeclaredRoute, match="GET /api/forgotten"):
        declared_operations(bare.routes)


def test_every_route_of_the_local_product_declares_its_contract(served):
    declared = declared_operations(every_route(app))
    assert {(path, method) for path, method, _ in declared} >= {("/outbox", "GET"), ("/", "GET")}


def test_the_reference_page_lists_every_operation_and_schema(served):
    status, content_type, body = fetch(f"{served}/api/reference")
    assert status == 200 and content_type.startswith("text/html")
    page = body.decode()
    described = document(every_route(app))
    for path, methods in described["paths"].items():
        for method, entry in methods.items():
            assert f'id="{entry["operationId"]}"' in page and f"{method.upper()} {path}" in page
    for name in described["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "R-ORD-5" in page  # who may call each operation, with its rule
