"""The API's own description: the OpenAPI document, and a page that reads it for people."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.entrypoints.contract import ANYONE, Call, operation
from chalicelib.entrypoints.http import json_response
from chalicelib.entrypoints.openapi import document
from chalicelib.entrypoints.routing import every_route
from chalicelib.entrypoints.web import HTML_HEADERS
from chalicelib.rendering import render

reference = Blueprint(__name__)


@cache
def api_document() -> dict[str, Any]:
    """Made once per container from the app's routes, which do not change while it runs."""
    return document(every_route(reference.current_app))


@reference.route("/api/openapi.json")
@operation(reference, summary="This API's OpenAPI 3.1 document", access=ANYONE, responses={200: None}, tag="reference")
def openapi_document(call: Call[None]) -> Response:
    return json_response(api_document(), headers={"Cache-Control": "max-age=300"})


@reference.route("/api/reference")
@operation(
    reference,
    summary="This API's reference, to read",
    access=ANYONE,
    responses={200: None},
    media_type="text/html",
    tag="reference",
)
def reference_page(call: Call[None]) -> Response:
    # For programmers, in English: the document's own language.
    return Response(
        body=render("en", "pages/reference.html", api=api_document()), status_code=200, headers=HTML_HEADERS
    )
