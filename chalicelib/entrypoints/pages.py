"""The web pages and their assets. Pages are shells: the signed-in browser fetches what they show, so
opening a page (an e-mailed link, say) reads nothing and changes nothing."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.entrypoints.http import json_response

pages = Blueprint(__name__)

PAGE_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",  # approval links must not leak through Referer
    "X-Content-Type-Options": "nosniff",
}
ASSETS = {"portal.js": "text/javascript; charset=utf-8", "portal.css": "text/css; charset=utf-8"}


def page(template: str, **context: Any) -> Response:
    html = container().templates.get_template(f"pages/{template}").render(**context)
    return Response(body=html, status_code=200, headers=PAGE_HEADERS)


@pages.route("/")
def home_page() -> Response:
    return page("home.html")


@pages.route("/approvals/{approval_id}")
def approval_page(approval_id: str) -> Response:
    """Only the page: the step is fetched by the signed-in assignee's browser, so opening changes nothing."""
    return page("approval.html")


@pages.route("/orders/{order_id}")
def order_page(order_id: str) -> Response:
    return page("order.html")


@pages.route("/favicon.ico")
def favicon() -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "max-age=86400"})


@pages.route("/assets/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        return json_response({"message": "No such asset.", "errors": []}, 404)
    text = container().templates.get_template(f"assets/{name}").render()
    return Response(
        body=text,
        status_code=200,
        headers={"Content-Type": ASSETS[name], "Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@pages.route("/api/health")
def health() -> dict[str, str]:
    """For load balancers and smoke tests: the function answers."""
    return {"status": "ok"}
