"""The portal's sign-in on the embedded AWS: the user pool as deployed, and Cognito's errors as the directory's
refusals.

moto sends no code for a forgotten password. It accepts any confirmation code that does not begin with
`moto-confirmation-code:`; ForgotPassword hands back `moto-confirmation-code:<six digits>` in the response header
`x-moto-forgot-password-confirmation-code`, and a code with that prefix must be the last one handed out, else
ExpiredCodeException (docs/decisions.md, 2026-12-01)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.identity import CognitoSignIn
from chalicelib.manifest import PASSWORD_POLICY, SIGN_IN_FLOWS
from chalicelib.shared.errors import InvalidRequest, NotSignedIn, TooManyAttempts
from local.embedded_aws import REGION, EmbeddedAws
from tests.fakes.directory import FakeTokens

# --- the embedded user pool -----------------------------------------------------------------------------


def test_the_embedded_user_pool_signs_in_as_the_deployed_one(aws: EmbeddedAws):
    """infra/ makes the deployed pool from the same manifest (tests/infra holds it)."""
    cognito = aws.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=aws.user_pool_id)["UserPool"]
    client = cognito.describe_user_pool_client(UserPoolId=aws.user_pool_id, ClientId=aws.app_client_id)
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == PASSWORD_POLICY.min_length
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Priority": 1, "Name": "verified_email"}]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert sorted(client["UserPoolClient"]["ExplicitAuthFlows"]) == sorted(SIGN_IN_FLOWS)
    assert client["UserPoolClient"]["PreventUserExistenceErrors"] == "ENABLED"


# --- Cognito's errors, as the directory's refusals -------------------------------------------------------

WRONG_PASSWORD = (NotSignedIn, "directory.wrong_password")
TOO_MANY = (TooManyAttempts, "directory.too_many_attempts")
TOO_WEAK = (InvalidRequest, "directory.password_too_weak")
SIGN_IN_AGAIN = (NotSignedIn, "directory.sign_in_again")
WRONG_CODE = (InvalidRequest, "directory.wrong_code")
NO_ANSWER = None  # ForgotPassword: the same answer as when a code was sent

CALLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "initiate_auth": ("authenticate", ("someone", "Some-pass-2026")),
    "respond_to_auth_challenge": (
        "complete_new_password",
        ("someone", "a-challenge-session-from-cognito", "Some-pass-2026"),
    ),
    "forgot_password": ("forgot_password", ("someone",)),
    "confirm_forgot_password": ("confirm_forgot_password", ("someone", "123456", "Some-pass-2026")),
}
MAPPED = [
    ("initiate_auth", "NotAuthorizedException", WRONG_PASSWORD),
    ("initiate_auth", "UserNotFoundException", WRONG_PASSWORD),
    ("initiate_auth", "UserNotConfirmedException", WRONG_PASSWORD),
    ("initiate_auth", "PasswordResetRequiredException", WRONG_PASSWORD),
    ("initiate_auth", "TooManyRequestsException", TOO_MANY),
    ("initiate_auth", "LimitExceededException", TOO_MANY),
    ("initiate_auth", "TooManyFailedAttemptsException", TOO_MANY),
    ("respond_to_auth_challenge", "InvalidPasswordException", TOO_WEAK),
    ("respond_to_auth_challenge", "NotAuthorizedException", SIGN_IN_AGAIN),
    ("respond_to_auth_challenge", "ExpiredCodeException", SIGN_IN_AGAIN),
    ("respond_to_auth_challenge", "CodeMismatchException", SIGN_IN_AGAIN),
    ("respond_to_auth_challenge", "TooManyRequestsException", TOO_MANY),
    ("forgot_password", "UserNotFoundException", NO_ANSWER),
    ("forgot_password", "LimitExceededException", NO_ANSWER),
    ("forgot_password", "InvalidParameterException", NO_ANSWER),
    ("forgot_password", "NotAuthorizedException", NO_ANSWER),
    ("forgot_password", "CodeDeliveryFailureException", NO_ANSWER),
    ("forgot_password", "TooManyRequestsException", TOO_MANY),
    ("confirm_forgot_password", "CodeMismatchException", WRONG_CODE),
    ("confirm_forgot_password", "ExpiredCodeException", WRONG_CODE),
    ("confirm_forgot_password", "UserNotFoundException", WRONG_CODE),
    ("confirm_forgot_password", "InvalidPasswordException", TOO_WEAK),
    ("confirm_forgot_password", "LimitExceededException", TOO_MANY),
    ("confirm_forgot_password", "TooManyFailedAttemptsException", TOO_MANY),
]
COGNITO_MESSAGE = "Cognito's own words, which nobody outside the adapter reads"


def stubbed(operation: str, response: dict[str, Any] | None = None, error: str | None = None) -> CognitoSignIn:
    client = boto3.client("cognito-idp", region_name=REGION)
    stubber = Stubber(client)
    if error:
        stubber.add_client_error(operation, service_error_code=error, service_message=COGNITO_MESSAGE)
    else:
        stubber.add_response(operation, response or {})
    stubber.activate()
    return CognitoSignIn(lambda: client, "app-client", FakeTokens())


@pytest.mark.parametrize(("operation", "error", "expected"), MAPPED)
def test_cognitos_errors_are_refusals_that_never_repeat_cognitos_words(aws, operation, error, expected):
    """Cognito answers each of these as deployed; moto answers few of them."""
    method, arguments = CALLS[operation]
    sign_in = stubbed(operation, error=error)
    if expected is NO_ANSWER:
        assert getattr(sign_in, method)(*arguments) is None
        return
    kind, code = expected
    with pytest.raises(kind) as refused:
        getattr(sign_in, method)(*arguments)
    assert refused.value.code == code
    assert COGNITO_MESSAGE not in str(refused.value) and refused.value.__cause__ is None


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_an_error_that_is_no_refusal_is_left_to_fail_the_request(aws, operation):
    method, arguments = CALLS[operation]
    with pytest.raises(ClientError):
        getattr(stubbed(operation, error="InternalErrorException"), method)(*arguments)


def test_a_second_factor_the_portal_does_not_offer_is_refused(aws):
    sign_in = stubbed(
        "initiate_auth", {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s" * 20, "ChallengeParameters": {}}
    )
    with pytest.raises(NotSignedIn) as refused:
        sign_in.authenticate("someone", "Some-pass-2026")
    assert refused.value.code == "directory.sign_in_step_not_offered"
