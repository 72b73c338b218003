"""What every page needs besides itself: the style sheet and script, the terms of the service, the health
check."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import ANYONE, Access, Call, Strict, operation, reply
from chalicelib.entrypoints.web import Visit, page
from chalicelib.rendering import render
from chalicelib.shared.errors import NotFound, Reason

pages = Blueprint(__name__)

ASSETS = {"portal.js": "text/javascript; charset=utf-8", "portal.css": "text/css; charset=utf-8"}
NO_SUCH_ASSET = Reason("pages.no_such_asset", "No such asset.")


class Health(Strict):
    status: str


@pages.route("/terms")
@page(
    pages, summary="The terms of the service, in their current version", access=Access(signed_in=False, via="session")
)
def terms(visit: Visit) -> Response:
    return visit.page("terms.html", version=container().orders.catalogue().terms_version)


@pages.route("/favicon.ico")
@operation(pages, summary="No icon", access=ANYONE, responses={204: None}, media_type="image/x-icon")
def favicon(call: Call[None]) -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "max-age=86400"})


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
    return Response(
        body=render("en", f"assets/{name}"),
        status_code=200,
        headers={"Content-Type": ASSETS[name], "Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@pages.route("/api/health")
@operation(
    pages, summary="The function answers (for load balancers and smoke tests)", access=ANYONE, responses={200: Health}
)
def health(call: Call[None]) -> Response:
    return reply(Health(status="ok"))
