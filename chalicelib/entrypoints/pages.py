"""The web pages and their assets. Pages are shells: the signed-in browser fetches what they show, so
opening a page (an e-mailed link, say) reads nothing and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict

from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import ANYONE, Call, Strict, View, operation, reply
from chalicelib.shared.errors import NotFound, Reason

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


class Health(Strict):
    status: str


class PageQuery(BaseModel):
    """A page reads no parameters, and a link that carries some (a mail program's tracking, say) still opens."""

    model_config = ConfigDict(extra="ignore")


def shell(summary: str, **declared: Any) -> Callable[[Callable[[Call[None]], Response]], View]:
    """A page: anyone may load it, and it reads and changes nothing until the browser asks the API."""
    return operation(
        pages,
        summary=summary,
        access=ANYONE,
        query=PageQuery,
        responses={200: None},
        media_type="text/html",
        **declared,
    )


@pages.route("/")
@shell("The portal: sign-in, new order, my approvals, my orders")
def home_page(call: Call[None]) -> Response:
    return page("home.html")


@pages.route("/approvals/{approval_id}")
@shell("The page behind an e-mailed link", path={"approval_id": str})
def approval_page(call: Call[None]) -> Response:
    """Only the page: the step is fetched by the signed-in assignee's browser, so opening changes nothing."""
    return page("approval.html")


@pages.route("/orders/{order_id}")
@shell("An order's page", path={"order_id": str})
def order_page(call: Call[None]) -> Response:
    return page("order.html")


@pages.route("/favicon.ico")
@operation(pages, summary="No icon", access=ANYONE, responses={204: None}, media_type="image/x-icon")
def favicon(call: Call[None]) -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "max-age=86400"})


NO_SUCH_ASSET = Reason("pages.no_such_asset", "No such asset.")


@pages.route("/assets/{name}")
@operation(
    pages,
    summary="The portal's script and style sheet",
    access=ANYONE,
    path={"name": str},
    responses={200: None},
    refusals=(NotFound,),
    media_type="text/javascript",
)
def asset(call: Call[None]) -> Response:
    name = call.path["name"]
    if name not in ASSETS:
        raise NotFound(NO_SUCH_ASSET, field="name")
    text = container().templates.get_template(f"assets/{name}").render()
    return Response(
        body=text,
        status_code=200,
        headers={"Content-Type": ASSETS[name], "Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@pages.route("/api/health")
@operation(
    pages, summary="The function answers (for load balancers and smoke tests)", access=ANYONE, responses={200: Health}
)
def health(call: Call[None]) -> Response:
    return reply(Health(status="ok"))
