"""The Chalice app: middleware, the authorizer and one blueprint per area. Nothing else happens here."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.entrypoints.account import account
from chalicelib.entrypoints.approvals import approvals
from chalicelib.entrypoints.auth import auth
from chalicelib.entrypoints.booking_api import booking_api
from chalicelib.entrypoints.booking_pages import booking_pages
from chalicelib.entrypoints.bookings import bookings
from chalicelib.entrypoints.directory import directory
from chalicelib.entrypoints.middleware import http_observability
from chalicelib.entrypoints.onboarding import onboarding
from chalicelib.entrypoints.onboarding_pages import onboarding_pages
from chalicelib.entrypoints.operations import operations
from chalicelib.entrypoints.order_pages import order_pages
from chalicelib.entrypoints.orderers import orderers
from chalicelib.entrypoints.orders import orders
from chalicelib.entrypoints.outbox import outbox
from chalicelib.entrypoints.pages import pages
from chalicelib.entrypoints.people import people
from chalicelib.entrypoints.portal import portal
from chalicelib.entrypoints.reference import reference
from chalicelib.entrypoints.step_pages import step_pages
from chalicelib.entrypoints.tasks import tasks
from chalicelib.manifest import APP_NAME

# One logger: Powertools'. Chalice's own would share its name, so it adds none.
app = Chalice(app_name=APP_NAME, configure_logs=False)
app.register_middleware(http_observability, "http")

# The authorizer first: the routes of the other blueprints refer to it. Then the JSON API, the portal's pages,
# and the functions the workflow, the outbox and the schedule run.
for blueprint in (
    auth,
    directory,
    people,
    orders,
    approvals,
    onboarding,
    reference,
    pages,
    account,
    portal,
    order_pages,
    step_pages,
    onboarding_pages,
    orderers,
    tasks,
    outbox,
    operations,
    bookings,
    booking_api,
    booking_pages,
):
    app.register_blueprint(blueprint)
