"""Amazon Cognito: sign-in with a password, a new password on the first sign-in, a forgotten password, and
verification of the ID tokens it issues (the directory's `PasswordSignIn` and `TokenVerifier`)."""

from __future__ import annotations

import gzip
import json
import secrets
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import jwt.algorithms
import jwt.types
import rsa
from botocore.exceptions import ClientError, ParamValidationError
from jwt.utils import base64url_decode

from chalicelib.directory.ports import Claims, NewPasswordRequired, SignedIn, TokenVerifier
from chalicelib.directory.reasons import (
    NEW_PASSWORD_REQUIRED,
    NOT_AN_ID_TOKEN,
    PASSWORD_TOO_WEAK,
    SIGN_IN_AGAIN,
    SIGN_IN_STEP_NOT_OFFERED,
    TOKEN_NOT_VALID,
    TOO_MANY_ATTEMPTS,
    WRONG_CODE,
    WRONG_PASSWORD,
)
from chalicelib.manifest import PASSWORD_POLICY
from chalicelib.shared.errors import InvalidRequest, NotSignedIn, TooManyAttempts
from chalicelib.shared.identity import Person

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# How long the pool's keys are kept, and how soon a token signed by a key not among them may fetch them again
# (Cognito adds a key before it signs with it).
KEYS_LIFESPAN_SECONDS = 3600
KEYS_REFETCH_SECONDS = 60
# pyjwt's checks of a signed token's claims, the signature being checked just before (`JwksTokenVerifier`).
CLAIM_CHECKS: jwt.types.Options = {
    "verify_signature": False,
    "verify_exp": True,
    "verify_nbf": True,
    "verify_iat": True,
    "verify_aud": True,
    "verify_iss": True,
    "verify_sub": True,
    "verify_jti": True,
    "require": ["exp", "iss", "aud", "token_use"],
}


class _RsaSha256(jwt.algorithms.Algorithm):
    """RS256 (RSASSA-PKCS1-v1_5 with SHA-256), verification only, by python-rsa: Cognito signs its tokens so, and
    pyjwt's own RS256 needs cryptography, 5 MB of the deployment package for one signature check
    (docs/decisions.md, 2026-12-02). Only a public key is used, so nothing secret can leak through its timing."""

    def prepare_key(self, key: Any) -> rsa.PublicKey:
        if not isinstance(key, rsa.PublicKey):
            raise jwt.InvalidKeyError("an RSA public key of the pool is needed")
        return key

    def sign(self, msg: bytes, key: Any) -> bytes:
        raise NotImplementedError("tokens are signed by Cognito, never here")

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        try:
            return rsa.verify(msg, sig, key) == "SHA-256"
        except rsa.VerificationError:
            return False

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError("keys are read from the pool's JWKS, never written")

    @staticmethod
    def from_jwk(jwk: str | dict[str, Any]) -> rsa.PublicKey:
        data = json.loads(jwk) if isinstance(jwk, str) else jwk
        if data.get("kty") != "RSA":
            raise jwt.InvalidKeyError("not an RSA key")
        n, e = (int.from_bytes(base64url_decode(str(data[part])), "big") for part in ("n", "e"))
        return rsa.PublicKey(n, e)


def _signatures() -> jwt.PyJWS:
    """pyjwt's JWS that knows RS256 and nothing else."""
    jws = jwt.PyJWS(algorithms=[])
    jws.register_algorithm("RS256", _RsaSha256())
    return jws


class JwksTokenVerifier:
    """Checks signature, issuer, audience, expiry and token use ourselves: chalice local checks none. The pool's
    keys come from its JWKS (fetched with pyjwt's client, kept an hour, fetched again at most once a minute for a
    key it does not know) or, locally, from a file."""

    def __init__(self, issuer: str, audience: str, jwks_url: str, jwks_file: str | None = None) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jws = _signatures()
        self._keys: dict[str, rsa.PublicKey] | None = None
        self._fetched_at = 0.0
        self._jwks_file = jwks_file
        self._client = None if jwks_file else jwt.PyJWKClient(jwks_url, cache_jwk_set=False)

    def _load(self) -> dict[str, rsa.PublicKey]:
        if self._client is not None:
            data = self._client.fetch_data()
        else:
            if self._jwks_file is None:
                raise jwt.InvalidTokenError("no source of signing keys")
            raw = Path(self._jwks_file).read_bytes()
            data = json.loads(gzip.decompress(raw) if self._jwks_file.endswith(".gz") else raw)
        return {
            str(key["kid"]): _RsaSha256.from_jwk(key)
            for key in data.get("keys", [])
            if key.get("kty") == "RSA" and key.get("use", "sig") == "sig" and "kid" in key
        }

    def _signing_key(self, token: str) -> rsa.PublicKey:
        kid = str(jwt.get_unverified_header(token).get("kid"))
        now = time.monotonic()
        stale = self._client is not None and now - self._fetched_at > KEYS_LIFESPAN_SECONDS
        unknown = self._keys is not None and kid not in self._keys
        if self._keys is None or stale or (unknown and now - self._fetched_at > KEYS_REFETCH_SECONDS):
            self._keys, self._fetched_at = self._load(), now
        if kid not in self._keys:
            raise jwt.InvalidTokenError("unknown signing key")
        return self._keys[kid]

    def verify(self, token: str) -> Claims:
        try:
            key = self._signing_key(token)
            self._jws.decode_complete(token, key, algorithms=["RS256"])  # type: ignore[arg-type]  # python-rsa's key
            # The signature holds; pyjwt checks every claim of the same token as it would have with it.
            claims = jwt.decode(token, options=CLAIM_CHECKS, audience=self._audience, issuer=self._issuer)
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise NotSignedIn(TOKEN_NOT_VALID) from error
        if claims.get("token_use") != "id":
            raise NotSignedIn(NOT_AN_ID_TOKEN)
        return Claims(user_id=str(claims["cognito:username"]), org_id=str(claims.get("custom:org_id", "")))


# Cognito's error codes, read here and nowhere above; their messages never leave this module.
_WRONG_PASSWORD = frozenset(
    {
        "NotAuthorizedException",
        "UserNotFoundException",
        # Both say the account exists; the person is told no more than for a wrong password.
        "UserNotConfirmedException",
        "PasswordResetRequiredException",
    }
)
_TOO_MANY = frozenset({"LimitExceededException", "TooManyFailedAttemptsException", "TooManyRequestsException"})
# Cognito answers an expired challenge session NotAuthorized; moto answers one it does not know ResourceNotFound
# (the client id was good: it just gave the session), and another username than the session's UserNotFound.
_CHALLENGE_OVER = frozenset(
    {
        "NotAuthorizedException",
        "ResourceNotFoundException",
        "UserNotFoundException",
        "CodeMismatchException",
        "ExpiredCodeException",
    }
)
# A wrong and an expired code alike. An unknown username too: Cognito then says UserNotFound, or CodeMismatch
# when the client prevents user existence errors (as deployed); moto says ResourceNotFound.
_WRONG_CODE = frozenset(
    {"CodeMismatchException", "ExpiredCodeException", "UserNotFoundException", "ResourceNotFoundException"}
)
# ForgotPassword answers the same whatever is wrong with the account: none, not confirmed, no verified address,
# too many codes already. Only what has nothing to do with the account is passed on.
_NO_CODE_SENT = frozenset(
    {
        "UserNotFoundException",
        "NotAuthorizedException",
        "UserNotConfirmedException",
        "InvalidParameterException",
        "LimitExceededException",
        "CodeDeliveryFailureException",
    }
)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _too_weak() -> InvalidRequest:
    return InvalidRequest(PASSWORD_TOO_WEAK, field="new_password", min_length=PASSWORD_POLICY.min_length)


class CognitoSignIn:
    """Builds its client on first use: only the sign-in routes need Cognito. Who signed in is read from the ID
    token Cognito issued, verified as every request's token is."""

    def __init__(
        self, client: Callable[[], CognitoIdentityProviderClient], app_client_id: str, verifier: TokenVerifier
    ) -> None:
        self._make_client = client
        self._app_client_id = app_client_id
        self._verifier = verifier

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

    def authenticate(self, username: str, password: str) -> Claims | NewPasswordRequired:
        try:
            response = self._client.initiate_auth(
                ClientId=self._app_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            if _code(error) in _WRONG_PASSWORD:
                raise NotSignedIn(WRONG_PASSWORD) from None
            if _code(error) in _TOO_MANY:
                raise TooManyAttempts(TOO_MANY_ATTEMPTS) from None
            raise
        if "AuthenticationResult" in response:
            return self._verifier.verify(response["AuthenticationResult"]["IdToken"])
        if response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            # Cognito's own name for the account, which the answer must carry (the person may have typed an alias).
            answer_as = response.get("ChallengeParameters", {}).get("USERNAME") or username
            return NewPasswordRequired(username=answer_as, challenge_session=response["Session"])
        raise NotSignedIn(SIGN_IN_STEP_NOT_OFFERED)  # a second factor (TOTP), which the portal does not ask for yet

    def complete_new_password(self, username: str, challenge_session: str, new_password: str) -> Claims:
        try:
            response = self._client.respond_to_auth_challenge(
                ClientId=self._app_client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=challenge_session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except ParamValidationError:
            raise NotSignedIn(SIGN_IN_AGAIN) from None  # no session Cognito could have given (too short)
        except ClientError as error:
            if _code(error) == "InvalidPasswordException":
                raise _too_weak() from None
            if _code(error) in _TOO_MANY:
                raise TooManyAttempts(TOO_MANY_ATTEMPTS) from None
            if _code(error) in _CHALLENGE_OVER:
                raise NotSignedIn(SIGN_IN_AGAIN) from None
            raise
        if "AuthenticationResult" not in response:
            raise NotSignedIn(SIGN_IN_STEP_NOT_OFFERED)
        return self._verifier.verify(response["AuthenticationResult"]["IdToken"])

    def forgot_password(self, username: str) -> None:
        try:
            self._client.forgot_password(ClientId=self._app_client_id, Username=username)
        except ParamValidationError:
            return  # an empty username: nobody to send a code to, and the same answer
        except ClientError as error:
            if _code(error) in _NO_CODE_SENT:
                return
            if _code(error) == "TooManyRequestsException":
                raise TooManyAttempts(TOO_MANY_ATTEMPTS) from None
            raise

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        try:
            self._client.confirm_forgot_password(
                ClientId=self._app_client_id, Username=username, ConfirmationCode=code, Password=new_password
            )
        except ParamValidationError:
            raise InvalidRequest(WRONG_CODE, field="code") from None  # an empty code or username
        except ClientError as error:
            if _code(error) == "InvalidPasswordException":
                raise _too_weak() from None
            if _code(error) in _TOO_MANY:
                raise TooManyAttempts(TOO_MANY_ATTEMPTS) from None
            if _code(error) in _WRONG_CODE:
                raise InvalidRequest(WRONG_CODE, field="code") from None
            raise


class CognitoAccounts:
    """The people's accounts in the stage's user pool (directory's `Accounts`): admin calls on that pool only.
    An account's groups are its person's roles; its `custom:org_id` their organisation."""

    def __init__(self, client: Callable[[], CognitoIdentityProviderClient], user_pool_id: str) -> None:
        self._make_client = client
        self._pool = user_pool_id

    @cached_property
    def _client(self) -> CognitoIdentityProviderClient:
        return self._make_client()

    def create(self, person: Person) -> None:
        try:
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=person.user_id,
                # Cognito sends nothing: the person is invited by the product's own mail, in their language.
                MessageAction="SUPPRESS",
                # A password nobody learns: the account is usable once the person chose theirs.
                TemporaryPassword=_unknowable_password(),
                UserAttributes=_attributes(person),
            )
        except ClientError as error:
            if _code(error) != "UsernameExistsException":
                raise
        self._set_groups(person)

    def update(self, person: Person) -> None:
        self._client.admin_update_user_attributes(
            UserPoolId=self._pool, Username=person.user_id, UserAttributes=_attributes(person)
        )
        self._set_groups(person)

    def set_password(self, user_id: str, password: str) -> None:
        try:
            self._client.admin_set_user_password(
                UserPoolId=self._pool, Username=user_id, Password=password, Permanent=True
            )
        except ClientError as error:
            if _code(error) in ("InvalidPasswordException", "InvalidParameterException"):
                raise _too_weak() from None
            raise

    def remove(self, user_id: str) -> None:
        for call in (self._client.admin_user_global_sign_out, self._client.admin_delete_user):
            try:
                call(UserPoolId=self._pool, Username=user_id)
            except ClientError as error:
                if _code(error) != "UserNotFoundException":
                    raise

    def _set_groups(self, person: Person) -> None:
        wanted = {role.value for role in person.roles}
        listed = self._client.admin_list_groups_for_user(UserPoolId=self._pool, Username=person.user_id)
        held = {group["GroupName"] for group in listed.get("Groups", [])}
        for group in sorted(wanted - held):
            self._client.admin_add_user_to_group(UserPoolId=self._pool, Username=person.user_id, GroupName=group)
        for group in sorted(held - wanted):
            self._client.admin_remove_user_from_group(UserPoolId=self._pool, Username=person.user_id, GroupName=group)


def _attributes(person: Person) -> list[Any]:
    return [
        {"Name": "email", "Value": person.email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:org_id", "Value": person.org_id},
    ]


def _unknowable_password() -> str:
    # Of every class the pool's policy asks for, and random: the person never sees it.
    return f"{secrets.token_urlsafe(24)}aA1!"
