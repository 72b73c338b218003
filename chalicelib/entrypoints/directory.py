"""Signing in and one's own profile."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.directory.commands import SignIn
from chalicelib.entrypoints.auth import actor_of, authorizer
from chalicelib.entrypoints.http import handles_errors, json_response, parse

directory = Blueprint(__name__)


@directory.route("/api/session", methods=["POST"])
@handles_errors
def sign_in() -> Response:
    command = parse(SignIn, directory.current_request.raw_body)
    signed_in = container().directory.sign_in(command.username, command.password)
    return json_response({"id_token": signed_in.id_token, "expires_in": signed_in.expires_in})


@directory.route("/api/me", authorizer=authorizer)
@handles_errors
def me() -> Response:
    return json_response(container().directory.profile(actor_of(directory.current_request)))
