"""Amazon Cognito: sign-in with a password, and verification of the ID tokens it issues (the directory's
`PasswordSignIn` and `TokenVerifier`)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from chalicelib.directory.ports import Claims, SignedIn
from chalicelib.directory.reasons import NEW_PASSWORD_REQUIRED, NOT_AN_ID_TOKEN, TOKEN_NOT_VALID, WRONG_PASSWORD
from chalicelib.shared.errors import NotSignedIn

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class JwksTokenVerifier:
    """Checks signature, issuer, audience, expiry and token use ourselves: chalice local checks none."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, jwks_file: str | None = None) -> None:
        self._issuer = issuer
        self._audience = audience
        self._keys: jwt.PyJWKSet | None = None
        self._jwks_file = jwks_file
        self._client = None if jwks_file else jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)

    def _signing_key(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        if self._keys is None:
            if self._jwks_file is None:
                raise jwt.InvalidTokenError("no source of signing keys")
            raw = Path(self._jwks_file).read_bytes()
            if self._jwks_file.endswith(".gz"):
                raw = gzip.decompress(raw)
            self._keys = jwt.PyJWKSet.from_dict(json.loads(raw))
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError("unknown signing key")

    def verify(self, token: str) -> Claims:
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud", "token_use"]},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise NotSignedIn(TOKEN_NOT_VALID) from error
        if claims.get("token_use") != "id":
            raise NotSignedIn(NOT_AN_ID_TOKEN)
        return Claims(user_id=str(claims["cognito:username"]), org_id=str(claims.get("custom:org_id", "")))


class CognitoSignIn:
    """Builds its client on first use: only the sign-in route needs Cognito."""

    def __init__(self, client: Callable[[], CognitoIdentityProviderClient], app_client_id: str) -> None:
        self._make_client = client
        self._app_client_id = app_client_id

    @cached_property
    def _client(self) -> CognitoIdentityProviderClient:
        return self._make_client()

    def sign_in(self, username: str, password: str) -> SignedIn:
        try:
            response = self._client.initiate_auth(
                ClientId=self._app_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (self._client.exceptions.NotAuthorizedException, self._client.exceptions.UserNotFoundException) as error:
            raise NotSignedIn(WRONG_PASSWORD) from error
        result = response.get("AuthenticationResult")
        if not result:
            raise NotSignedIn(NEW_PASSWORD_REQUIRED)
        return SignedIn(id_token=result["IdToken"], expires_in=result["ExpiresIn"])
