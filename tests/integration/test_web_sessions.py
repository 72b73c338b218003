"""The portal's web sessions on the embedded AWS: sign-in through moto's Cognito (a first sign-in's new password,
a forgotten password), sessions in DynamoDB, and Cognito's errors as the directory's refusals.

moto sends no code for a forgotten password. It accepts any confirmation code that does not begin with
`moto-confirmation-code:`; ForgotPassword hands back `moto-confirmation-code:<six digits>` in the response header
`x-moto-forgot-password-confirmation-code`, and a code with that prefix must be the last one handed out, else
ExpiredCodeException (docs/decisions.md, 2026-12-01)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.identity import CognitoSignIn
from chalicelib.bootstrap import container
from chalicelib.directory.model import NewSession, session_key
from chalicelib.directory.ports import NewPasswordRequired, Organisation, OrganisationKind
from chalicelib.manifest import PASSWORD_POLICY, SIGN_IN_FLOWS
from chalicelib.shared.errors import DomainError, InvalidRequest, NotSignedIn, TooManyAttempts
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from local import demo
from local.embedded_aws import REGION, EmbeddedAws
from tests.fakes.directory import FakeTokens
from tests.leaks import Secrets, leaks

TEMPORARY_PASSWORD = "Temporary-pass-1"
NEW_PASSWORD = "Chosen-pass-2027"
TOO_SHORT = "Short-pass1"
MISTYPED = "Wrong-pass-2026"
MOTO_CODE_HEADER = "x-moto-forgot-password-confirmation-code"


@pytest.fixture
def secrets_handed(handed_out: Secrets) -> set[str]:
    """What this test hands to or gets from sign-in, which no log line may hold."""
    handed_out.session_secrets |= {TEMPORARY_PASSWORD, NEW_PASSWORD, TOO_SHORT, MISTYPED}
    return handed_out.session_secrets


def started(outcome: NewSession | NewPasswordRequired, secrets: set[str]) -> NewSession:
    assert isinstance(outcome, NewSession)
    secrets |= {outcome.cookie_value, outcome.session.csrf_token}
    return outcome


def account(aws: EmbeddedAws, *, temporary: bool = False, in_directory: bool = True) -> str:
    """A person an administrator adds, as local/demo.py does: with a temporary password unless made permanent."""
    user_id, org_id = f"nina-{uuid.uuid4().hex[:8]}", f"clinic-{uuid.uuid4().hex[:8]}"
    email = f"{user_id}@{org_id}.example"
    cognito = aws.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=aws.user_pool_id,
        Username=user_id,
        TemporaryPassword=TEMPORARY_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:org_id", "Value": org_id},
        ],
    )
    if not temporary:
        cognito.admin_set_user_password(
            UserPoolId=aws.user_pool_id, Username=user_id, Password=demo.PASSWORD, Permanent=True
        )
    if in_directory:
        directory = container().adapters.directory
        directory.save_organisation(Organisation(org_id=org_id, name="Nya Kliniken", kind=OrganisationKind.CUSTOMER))
        directory.save_person(
            Person(user_id=user_id, org_id=org_id, name="Nina Newcomer", email=email, roles=[Role.ORDERER])
        )
    return user_id


def refusal(error: DomainError) -> tuple[type[DomainError], str, str, str | None]:
    return type(error), error.code, error.message, error.field


def table_item(aws: EmbeddedAws, pk: str, sk: str) -> dict[str, Any] | None:
    found = aws.client("dynamodb").get_item(
        TableName=aws.environment["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = found.get("Item")
    return item


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


# --- signing in -----------------------------------------------------------------------------------------


def test_a_demo_person_signs_in_and_the_cookie_opens_their_session_until_they_sign_out(aws, secrets_handed):
    sessions = container().sessions
    new = started(sessions.start("olivia.orderer", demo.PASSWORD, "en"), secrets_handed)
    assert (new.session.user_id, new.session.org_id, new.session.language) == (
        "olivia.orderer",
        "region-norrby",
        Language.EN,
    )
    current = sessions.current(new.cookie_value)
    assert current is not None and current.actor.person.roles == [Role.ORDERER]
    sessions.check_csrf(current.session, new.session.csrf_token)

    assert sessions.choose_language(new.cookie_value, "nb").language is Language.NB
    current = sessions.current(new.cookie_value)
    assert current is not None and current.session.language is Language.NB

    sessions.end(new.cookie_value)
    assert sessions.current(new.cookie_value) is None
    assert table_item(aws, "USER#olivia.orderer", f"WEBSESSION#{new.session.key}") is None


def test_the_table_keeps_the_cookies_hash_and_never_the_cookie(aws, secrets_handed):
    new = started(container().sessions.start("adam.attester", demo.PASSWORD), secrets_handed)
    key = session_key(new.cookie_value)
    stored = table_item(aws, f"WEBSESSION#{key}", "SESSION")
    assert stored is not None and int(stored["expires_at_epoch"]["N"]) == int(new.session.expires_at.timestamp())
    assert table_item(aws, "USER#adam.attester", f"WEBSESSION#{key}") is not None  # the person's list
    everything = aws.client("dynamodb").scan(TableName=aws.environment["TABLE_NAME"])["Items"]
    assert everything and new.cookie_value not in json.dumps(everything)
    container().sessions.end(new.cookie_value)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(aws, secrets_handed):
    sessions = container().sessions
    with pytest.raises(NotSignedIn) as wrong_password:
        sessions.start("olivia.orderer", MISTYPED)
    with pytest.raises(NotSignedIn) as unknown_user:
        sessions.start(f"nobody-{uuid.uuid4().hex[:8]}", demo.PASSWORD)
    assert refusal(wrong_password.value) == refusal(unknown_user.value)
    assert wrong_password.value.code == "directory.wrong_password"


def test_an_account_the_directory_does_not_have_is_refused_as_a_wrong_password(aws):
    stranger = account(aws, in_directory=False)
    with pytest.raises(NotSignedIn) as refused:
        container().sessions.start(stranger, demo.PASSWORD)
    assert refused.value.code == "directory.wrong_password"


# --- the first sign-in of an account an administrator made ---------------------------------------------


def test_a_first_sign_in_chooses_a_new_password_then_has_a_session(aws, secrets_handed):
    newcomer = account(aws, temporary=True)
    sessions = container().sessions
    challenge = sessions.start(newcomer, TEMPORARY_PASSWORD, "nb")
    assert isinstance(challenge, NewPasswordRequired) and challenge.username == newcomer
    secrets_handed.add(challenge.challenge_session)

    with pytest.raises(InvalidRequest) as weak:  # the pool's own policy, as deployed
        sessions.complete_new_password(newcomer, challenge.challenge_session, TOO_SHORT)
    assert (weak.value.code, weak.value.field) == ("directory.password_too_weak", "new_password")

    new = started(
        sessions.complete_new_password(newcomer, challenge.challenge_session, NEW_PASSWORD, "nb"), secrets_handed
    )
    assert (new.session.user_id, new.session.language) == (newcomer, Language.NB)
    current = sessions.current(new.cookie_value)
    assert current is not None and current.actor.person.user_id == newcomer
    started(sessions.start(newcomer, NEW_PASSWORD), secrets_handed)


@pytest.mark.parametrize("challenge_session", ["not-a-challenge-session", "short", ""])
def test_an_answer_to_no_challenge_asks_to_sign_in_again(aws, challenge_session: str):
    newcomer = account(aws, temporary=True)
    with pytest.raises(NotSignedIn) as refused:
        container().sessions.complete_new_password(newcomer, challenge_session, NEW_PASSWORD)
    assert refused.value.code == "directory.sign_in_again"


# --- a forgotten password -------------------------------------------------------------------------------


def test_asking_for_a_code_answers_the_same_whether_or_not_there_is_such_a_person(aws):
    for username in (account(aws), f"nobody-{uuid.uuid4().hex[:8]}", ""):
        container().sessions.forgot_password(username)  # no error, no answer: nothing to tell them apart by


def test_moto_takes_any_code_without_its_prefix(aws, secrets_handed):
    """What the local product lets a person type after 'forgotten password': moto sends no mail."""
    forgetful = account(aws)
    sessions = container().sessions
    sessions.forgot_password(forgetful)
    sessions.reset_password(forgetful, "123456", NEW_PASSWORD)
    started(sessions.start(forgetful, NEW_PASSWORD), secrets_handed)
    with pytest.raises(NotSignedIn):
        sessions.start(forgetful, demo.PASSWORD)


def test_a_code_moto_handed_out_must_be_the_last_one(aws, secrets_handed):
    forgetful = account(aws)
    asked = aws.client("cognito-idp").forgot_password(ClientId=aws.app_client_id, Username=forgetful)
    code = asked["ResponseMetadata"]["HTTPHeaders"][MOTO_CODE_HEADER]
    assert code.startswith("moto-confirmation-code:")
    secrets_handed.add(code)
    sessions = container().sessions
    with pytest.raises(InvalidRequest) as wrong:
        sessions.reset_password(forgetful, "moto-confirmation-code:000000", NEW_PASSWORD)
    assert (wrong.value.code, wrong.value.field) == ("directory.wrong_code", "code")
    sessions.reset_password(forgetful, code, NEW_PASSWORD)
    started(sessions.start(forgetful, NEW_PASSWORD), secrets_handed)


@pytest.mark.parametrize(("username", "code"), [(f"nobody-{uuid.uuid4().hex[:8]}", "123456"), ("", ""), ("x", "")])
def test_a_code_for_nobody_or_no_code_is_refused_as_a_wrong_code(aws, username: str, code: str):
    with pytest.raises(InvalidRequest) as refused:
        container().sessions.reset_password(username, code, NEW_PASSWORD)
    assert refused.value.code == "directory.wrong_code"


# --- sessions of a person -------------------------------------------------------------------------------


def test_ending_all_of_a_persons_sessions(aws, secrets_handed):
    person = account(aws)
    sessions = container().sessions
    mine = [started(sessions.start(person, demo.PASSWORD), secrets_handed) for _ in range(3)]
    someone_elses = started(sessions.start("ada.admin", demo.PASSWORD), secrets_handed)
    sessions.end_all(person)
    assert [sessions.current(new.cookie_value) for new in mine] == [None, None, None]
    assert sessions.current(someone_elses.cookie_value) is not None
    sessions.end(someone_elses.cookie_value)


def test_the_session_of_someone_moved_to_another_organisation_ends(aws, secrets_handed):
    person = account(aws)
    sessions = container().sessions
    new = started(sessions.start(person, demo.PASSWORD), secrets_handed)
    directory = container().adapters.directory
    moved = directory.person(person)
    assert moved is not None
    directory.save_person(moved.model_copy(update={"org_id": "region-norrby"}))
    assert sessions.current(new.cookie_value) is None
    assert table_item(aws, f"WEBSESSION#{new.session.key}", "SESSION") is None


def test_the_log_check_finds_what_a_session_is_made_of(aws, handed_out, secrets_handed):
    new = started(container().sessions.start("olivia.orderer", demo.PASSWORD), secrets_handed)
    for secret in (new.cookie_value, new.session.csrf_token, NEW_PASSWORD):
        assert leaks(json.dumps({"message": "Signed in", "detail": secret}), handed_out)
    container().sessions.end(new.cookie_value)


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
