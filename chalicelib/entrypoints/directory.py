"""Signing in and one's own profile."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.directory.commands import SignIn
from chalicelib.directory.model import Organisation
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import ANYONE, Access, Call, Relation, Strict, operation, reply
from chalicelib.shared.errors import NotSignedIn
from chalicelib.shared.identity import Person

directory = Blueprint(__name__)


class SessionStarted(Strict):
    id_token: str  # a Cognito ID token: send it as `Authorization: Bearer <id_token>`
    expires_in: int  # seconds


class Colleague(Strict):
    user_id: str
    name: str


class Profile(Person):
    """The person, their organisation, and its attesters (for the order form, R-ONB-2)."""

    organisation: Organisation | None
    attesters: list[Colleague]


@directory.route("/api/session", methods=["POST"])
@operation(
    directory,
    summary="Sign in with username and password",
    access=ANYONE,
    body=SignIn,
    responses={200: SessionStarted},
    refusals=(NotSignedIn,),
    tag="directory",
)
def sign_in(call: Call[SignIn]) -> Response:
    signed_in = container().directory.sign_in(call.body.username, call.body.password)
    return reply(SessionStarted(id_token=signed_in.id_token, expires_in=signed_in.expires_in))


@directory.route("/api/me", authorizer=authorizer)
@operation(
    directory,
    summary="Who I am: my roles, my organisation and its attesters",
    access=Access(relation=Relation.OWN),
    responses={200: Profile},
    tag="directory",
)
def me(call: Call[None]) -> Response:
    return reply(Profile.model_validate(container().directory.profile(call.caller)))
