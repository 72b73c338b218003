"""Who is calling: the API Gateway authorizer that verifies the Cognito ID token, and the actor behind a
request that passed it."""

from __future__ import annotations

from chalice.app import AuthRequest, AuthResponse, Blueprint, Request

from chalicelib.bootstrap import container
from chalicelib.shared.errors import NotSignedIn
from chalicelib.shared.identity import Actor

auth = Blueprint(__name__)


@auth.authorizer()
def authorizer(auth_request: AuthRequest) -> AuthResponse:
    """Verifies the Cognito ID token (signature, issuer, audience, expiry) with the pool's JWKS."""
    token = auth_request.token.removeprefix("Bearer ").strip()
    try:
        claims = container().adapters.verifier.verify(token)
    except NotSignedIn:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=claims.user_id, context={"org_id": claims.org_id})


def actor_of(request: Request) -> Actor:
    """The person the authorizer let through, as the directory knows them now."""
    authorized = request.context.get("authorizer") or {}
    return container().directory.actor(authorized.get("principalId"), authorized.get("org_id"))
