"""The OpenAPI 3.1 document of the JSON API, generated from the routes and the contracts declared on them
(`contract.py`): the schemas are pydantic's JSON Schema of the very models the routes validate with and
answer from. Nothing of it is written by hand."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.entrypoints.contract import Operation, operation_of
from chalicelib.entrypoints.http import ErrorBody

OPENAPI_VERSION = "3.1.0"
API_PREFIX = "/api/"
SECURITY_SCHEME = "cognito"
REF = "#/components/schemas/{model}"


class UndeclaredRoute(Exception):
    """A route without a contract: it would be missing from the document and from the authorization matrix."""


def declared_operations(routes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, Operation]]:
    """(path, method, contract) of every route, in a stable order; refuses a route that declares none."""
    found = []
    for path in sorted(routes):
        for method in sorted(routes[path]):
            contract = operation_of(routes[path][method].view_function)
            if contract is None:
                raise UndeclaredRoute(f"{method} {path} declares no contract (entrypoints/contract.py)")
            found.append((path, method, contract))
    return found


def _models(operations: list[tuple[str, str, Operation]]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for _, _, contract in operations:
        if contract.body is not None:
            wanted[(contract.body, "validation")] = None
        for model in contract.responses.values():
            if model is not None:
                wanted[(model, "serialization")] = None
    return list(wanted)


def _parameters(contract: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name, kind in contract.path.items():
        parameters.append({"name": name, "in": "path", "required": True, "schema": TypeAdapter(kind).json_schema()})
    if contract.query is not None:
        schema = contract.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": _given(prop)}
            )
    for header in contract.headers:
        parameters.append(
            {
                "name": header.name,
                "in": "header",
                "required": True,
                "description": header.description,
                "schema": {"type": "string", "pattern": f"^{header.pattern}$"},
            }
        )
    return parameters


def _given(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema as it is sent: an optional one is left out, never sent as null."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1 and schema.get("default", ...) is None:
        rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
        return {**rest, **options[0]}
    return schema


def _responses(contract: Operation, refs: Mapping[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in contract.responses.items():
        answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if model is not None:
            answer["content"] = {contract.media_type: {"schema": refs[(model, "serialization")]}}
        elif status != HTTPStatus.NO_CONTENT:
            shape = "object" if contract.media_type == "application/json" else "string"
            answer["content"] = {contract.media_type: {"schema": {"type": shape}}}
        if status == HTTPStatus.CREATED:
            answer["headers"] = {"Location": {"schema": {"type": "string"}, "description": "Where it can be read"}}
        responses[str(status)] = answer
    error = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    for status in sorted(contract.error_statuses()):
        responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": error}
    return responses


def _access(contract: Operation) -> dict[str, Any]:
    access = contract.access
    return {
        "signed_in": access.signed_in,
        "roles": sorted(access.roles),
        "relation": access.relation.value,
        "everywhere": sorted(access.everywhere),
        "agreement_signed": access.agreement_signed,
        "organisations": sorted(access.organisations),
        "rules": access.rules,
    }


def document(routes: Mapping[str, Mapping[str, Any]], server_url: str = "/") -> dict[str, Any]:
    """The document of every route under /api/."""
    operations = [entry for entry in declared_operations(routes) if entry[0].startswith(API_PREFIX)]
    models = _models(operations)
    refs, definitions = models_json_schema(models, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, contract in operations:
        entry: dict[str, Any] = {
            "operationId": _operation_id(routes, path, method),
            "summary": contract.summary,
            "description": " ".join(part for part in (contract.description, contract.access.describe()) if part),
            "tags": [contract.tag] if contract.tag else [],
            "parameters": _parameters(contract),
            "responses": _responses(contract, refs),
            "security": [{SECURITY_SCHEME: []}] if contract.access.signed_in else [],
            "x-access": _access(contract),
        }
        if contract.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(contract.body, "validation")]}},
            }
        paths.setdefault(path, {})[method.lower()] = entry
    _link(paths)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Service orders",
            "version": "1",
            "description": "Health-care organisations order IT services; agents approve, attesters sign. Every "
            "error is an ErrorBody. Lists are pages: pass `next` back as `cursor`.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The Cognito ID token from POST /api/session",
                }
            },
        },
    }


def _operation_id(routes: Mapping[str, Mapping[str, Any]], path: str, method: str) -> str:
    return str(routes[path][method].view_name)


# Where one operation's answer names what another reads: the links a stateful client (or a fuzzer) follows.
LINKS = {
    ("/api/orders", "post", "201"): {
        "ReadOrder": {"operationId": "read_order", "parameters": {"order_id": "$response.body#/order_id"}}
    },
    ("/api/orders", "get", "200"): {
        "ReadFirstOrder": {"operationId": "read_order", "parameters": {"order_id": "$response.body#/orders/0/order_id"}}
    },
    ("/api/agent/queue", "get", "200"): {
        "ReadFirstWaiting": {
            "operationId": "read_order",
            "parameters": {"order_id": "$response.body#/orders/0/order_id"},
        }
    },
    ("/api/pending", "get", "200"): {
        "ReadFirstPendingOrder": {
            "operationId": "read_order",
            "parameters": {"order_id": "$response.body#/pending/0/order_id"},
        }
    },
    ("/api/cases", "get", "200"): {
        "ReadFirstCasesOrder": {
            "operationId": "read_order",
            "parameters": {"order_id": "$response.body#/cases/0/order_id"},
        }
    },
}


def _link(paths: dict[str, dict[str, Any]]) -> None:
    for (path, method, status), links in LINKS.items():
        paths[path][method]["responses"][status]["links"] = links
