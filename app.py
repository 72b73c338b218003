"""The Chalice app: middleware, the authorizer, the functions the workflow, the outbox and the schedule run, and
the API's areas. Nothing else happens here."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.entrypoints.auth import auth, authorizer
from chalicelib.entrypoints.middleware import http_observability
from chalicelib.entrypoints.routing import declare
from chalicelib.manifest import APP_NAME

# One logger: Powertools'. Chalice's own would share its name, so it adds none.
app = Chalice(app_name=APP_NAME, configure_logs=False)
app.register_middleware(http_observability, "http")

# The authorizer first: the routes refer to it.
app.register_blueprint(auth)

# The JSON API and the portal's pages, an area a module, and the functions that run on their own (the workflow's
# tasks, the outbox, the schedule, the booking events), each deployed with its module as its handler. They are
# declared from the route table (chalicelib/entrypoints/routes.json, `make routes`); a module is imported when
# what it declares is first called.
AREAS = tuple(
    f"chalicelib.entrypoints.{area}"
    for area in (
        "directory",
        "people",
        "orders",
        "approvals",
        "onboarding",
        "reference",
        "pages",
        "account",
        "portal",
        "order_pages",
        "step_pages",
        "onboarding_pages",
        "orderers",
        "bookings",
        "booking_api",
        "booking_pages",
    )
)
FUNCTIONS = tuple(f"chalicelib.entrypoints.{module}" for module in ("tasks", "outbox", "operations", "booking_events"))
declare(app, AREAS, FUNCTIONS, [authorizer])
