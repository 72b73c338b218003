"""The portal's web sessions over the fakes: signing in (and a first sign-in's new password, and a forgotten
one), the session a cookie refers to, its CSRF token and language, and signing out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from chalicelib.directory.model import NewSession, session_key
from chalicelib.directory.ports import NewPasswordRequired
from chalicelib.shared.errors import DomainError, InvalidRequest, NotAllowed, NotSignedIn, TooManyAttempts
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from tests.fakes.world import World, settings

PASSWORD = "Right-pass-2026"
NEW_PASSWORD = "Chosen-pass-2027"


@pytest.fixture
def world() -> World:
    world = World()
    world.sign_in.add_account("olivia.orderer", PASSWORD)
    return world


def signed_in(world: World, user_id: str = "olivia.orderer", language: str = "sv") -> NewSession:
    started = world.app.sessions.start(user_id, PASSWORD, language)
    assert isinstance(started, NewSession)
    return started


def refusal(error: DomainError) -> tuple[type[DomainError], str, str, str | None]:
    return type(error), error.code, error.message, error.field


def newcomer(world: World, user_id: str = "nina.newcomer") -> Person:
    """Someone an administrator just added: in the directory, with a temporary password."""
    person = Person(user_id=user_id, org_id="region-norrby", name="Nina Newcomer", email="nina@region-norrby.example")
    world.directory.save_person(person)
    world.sign_in.add_account(user_id, "Temporary-pass-1", temporary=True)
    return person


# --- signing in ---------------------------------------------------------------------------------------


def test_signing_in_starts_a_session_of_the_person_the_directory_knows(world: World):
    started = signed_in(world, language="en")
    session = started.session
    assert (session.user_id, session.org_id, session.language) == ("olivia.orderer", "region-norrby", Language.EN)
    assert world.web_sessions.sessions[session.key] == session
    assert session.key == session_key(started.cookie_value)
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.session == session
    assert current.actor.person.roles == [Role.ORDERER]


def test_the_language_is_swedish_unless_chosen(world: World):
    started = world.app.sessions.start("olivia.orderer", PASSWORD)
    assert isinstance(started, NewSession) and started.session.language is Language.SV


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(world: World):
    with pytest.raises(NotSignedIn) as wrong_password:
        world.app.sessions.start("olivia.orderer", "Wrong-pass-2026")
    with pytest.raises(NotSignedIn) as unknown_user:
        world.app.sessions.start("nobody.at.all", PASSWORD)
    assert refusal(wrong_password.value) == refusal(unknown_user.value)
    assert wrong_password.value.code == "directory.wrong_password"
    assert world.web_sessions.sessions == {}


@pytest.mark.parametrize("org_id", [None, "agent-cgm"])
def test_an_account_the_directory_does_not_know_as_such_is_refused_as_a_wrong_password(world: World, org_id):
    """Cognito knows the password, but the directory has no such person, or has them in another organisation."""
    user_id = "olivia.orderer" if org_id else "stranger"
    world.sign_in.add_account(user_id, PASSWORD, org_id=org_id)
    with pytest.raises(NotSignedIn) as refused:
        world.app.sessions.start(user_id, PASSWORD)
    assert refused.value.code == "directory.wrong_password"
    assert world.web_sessions.sessions == {}


def test_an_unknown_language_is_refused_before_anyone_is_signed_in(world: World):
    with pytest.raises(InvalidRequest) as refused:
        world.app.sessions.start("olivia.orderer", PASSWORD, "de")
    assert (refused.value.code, refused.value.field) == ("directory.unknown_language", "language")
    assert "sv, en, nb" in refused.value.message
    assert world.web_sessions.sessions == {}


def test_sign_in_held_off_by_cognito_says_too_many_attempts(world: World):
    world.sign_in.held_off = True
    with pytest.raises(TooManyAttempts) as refused:
        world.app.sessions.start("olivia.orderer", PASSWORD)
    assert refused.value.code == "directory.too_many_attempts"


# --- the first sign-in: a new password ----------------------------------------------------------------


def test_the_first_sign_in_asks_for_a_new_password_then_starts_a_session(world: World):
    newcomer(world)
    challenge = world.app.sessions.start("nina.newcomer", "Temporary-pass-1", "nb")
    assert isinstance(challenge, NewPasswordRequired) and challenge.username == "nina.newcomer"
    assert world.web_sessions.sessions == {}
    assert challenge.challenge_session not in repr(challenge)

    started = world.app.sessions.complete_new_password("nina.newcomer", challenge.challenge_session, NEW_PASSWORD, "nb")
    assert (started.session.user_id, started.session.language) == ("nina.newcomer", Language.NB)
    assert world.app.sessions.current(started.cookie_value) is not None
    assert isinstance(world.app.sessions.start("nina.newcomer", NEW_PASSWORD), NewSession)


@pytest.mark.parametrize("weak", ["Short-1", "no-capitals-2026", "NO-SMALL-2026", "No-digits-here", "NoSymbols2026x"])
def test_a_new_password_not_strong_enough_is_refused_and_the_challenge_stays_open(world: World, weak: str):
    newcomer(world)
    challenge = world.app.sessions.start("nina.newcomer", "Temporary-pass-1")
    assert isinstance(challenge, NewPasswordRequired)
    with pytest.raises(InvalidRequest) as refused:
        world.app.sessions.complete_new_password("nina.newcomer", challenge.challenge_session, weak)
    assert (refused.value.code, refused.value.field) == ("directory.password_too_weak", "new_password")
    assert "12 characters" in refused.value.message
    world.app.sessions.complete_new_password("nina.newcomer", challenge.challenge_session, NEW_PASSWORD)


def test_a_challenge_answered_once_or_never_given_asks_to_sign_in_again(world: World):
    newcomer(world)
    challenge = world.app.sessions.start("nina.newcomer", "Temporary-pass-1")
    assert isinstance(challenge, NewPasswordRequired)
    world.app.sessions.complete_new_password("nina.newcomer", challenge.challenge_session, NEW_PASSWORD)
    for session in (challenge.challenge_session, "made-up"):
        with pytest.raises(NotSignedIn) as refused:
            world.app.sessions.complete_new_password("nina.newcomer", session, "Another-pass-2028")
        assert refused.value.code == "directory.sign_in_again"


def test_a_newcomer_not_in_the_directory_gets_no_session_after_the_new_password(world: World):
    world.sign_in.add_account("stranger", "Temporary-pass-1", temporary=True)
    challenge = world.app.sessions.start("stranger", "Temporary-pass-1")
    assert isinstance(challenge, NewPasswordRequired)
    with pytest.raises(NotSignedIn) as refused:
        world.app.sessions.complete_new_password("stranger", challenge.challenge_session, NEW_PASSWORD)
    assert refused.value.code == "directory.wrong_password"
    assert world.web_sessions.sessions == {}


# --- a forgotten password ------------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_with_the_code_sent(world: World):
    world.app.sessions.forgot_password("olivia.orderer")
    [code] = world.sign_in.codes_sent["olivia.orderer"]
    world.app.sessions.reset_password("olivia.orderer", code, NEW_PASSWORD)
    assert isinstance(world.app.sessions.start("olivia.orderer", NEW_PASSWORD), NewSession)
    with pytest.raises(NotSignedIn):
        world.app.sessions.start("olivia.orderer", PASSWORD)
    with pytest.raises(InvalidRequest) as used_again:  # a code is used once
        world.app.sessions.reset_password("olivia.orderer", code, "Another-pass-2028")
    assert used_again.value.code == "directory.wrong_code"


def test_asking_for_a_code_answers_the_same_whether_or_not_there_is_such_a_person(world: World):
    for username in ("olivia.orderer", "nobody.at.all"):
        world.app.sessions.forgot_password(username)  # no error, no answer: nothing to tell them apart by
    assert set(world.sign_in.codes_sent) == {"olivia.orderer"}


def test_a_wrong_code_and_a_code_for_nobody_get_the_same_answer(world: World):
    world.app.sessions.forgot_password("olivia.orderer")
    with pytest.raises(InvalidRequest) as wrong:
        world.app.sessions.reset_password("olivia.orderer", "000000", NEW_PASSWORD)
    with pytest.raises(InvalidRequest) as nobody:
        world.app.sessions.reset_password("nobody.at.all", "000000", NEW_PASSWORD)
    assert refusal(wrong.value) == refusal(nobody.value)
    assert (wrong.value.code, wrong.value.field) == ("directory.wrong_code", "code")


def test_a_reset_to_a_password_not_strong_enough_is_refused(world: World):
    world.app.sessions.forgot_password("olivia.orderer")
    [code] = world.sign_in.codes_sent["olivia.orderer"]
    with pytest.raises(InvalidRequest) as refused:
        world.app.sessions.reset_password("olivia.orderer", code, "weak")
    assert (refused.value.code, refused.value.field) == ("directory.password_too_weak", "new_password")
    assert isinstance(world.app.sessions.start("olivia.orderer", PASSWORD), NewSession)


def test_too_many_wrong_codes_hold_off_even_the_right_one(world: World):
    world.app.sessions.forgot_password("olivia.orderer")
    [code] = world.sign_in.codes_sent["olivia.orderer"]
    for _ in range(world.sign_in.max_wrong_codes):
        with pytest.raises(InvalidRequest):
            world.app.sessions.reset_password("olivia.orderer", "000000", NEW_PASSWORD)
    with pytest.raises(TooManyAttempts) as refused:
        world.app.sessions.reset_password("olivia.orderer", code, NEW_PASSWORD)
    assert refused.value.code == "directory.too_many_attempts"


# --- the session a cookie refers to --------------------------------------------------------------------


@pytest.mark.parametrize("cookie_value", [None, "", "not-a-session"])
def test_no_session_without_a_cookie_of_one(world: World, cookie_value: str | None):
    assert world.app.sessions.current(cookie_value) is None


def test_a_session_unused_for_half_an_hour_ends(world: World):
    started = signed_in(world)
    world.clock.advance(minutes=30)
    assert world.app.sessions.current(started.cookie_value) is None


def test_a_session_in_use_lives_eight_hours_and_no_longer(world: World):
    started = signed_in(world)
    for _ in range(8 * 3 - 1):
        world.clock.advance(minutes=20)
        assert world.app.sessions.current(started.cookie_value) is not None
    world.clock.advance(minutes=20)  # eight hours after signing in
    assert world.app.sessions.current(started.cookie_value) is None


def test_use_is_written_at_most_once_a_minute(world: World):
    started = signed_in(world)
    stored = world.web_sessions.sessions[started.session.key]
    world.clock.advance(seconds=50)
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.session.idle_expires_at == stored.idle_expires_at
    assert world.web_sessions.sessions[started.session.key].idle_expires_at == stored.idle_expires_at
    world.clock.advance(seconds=10)
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.session.idle_expires_at == world.clock.now + timedelta(minutes=30)
    assert world.web_sessions.sessions[started.session.key].idle_expires_at == current.session.idle_expires_at


def test_the_actor_is_the_person_as_the_directory_knows_them_now(world: World):
    started = signed_in(world)
    olivia = world.directory.person("olivia.orderer")
    assert olivia is not None
    world.directory.save_person(olivia.model_copy(update={"roles": [Role.ORDERER, Role.ATTESTER]}))
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.actor.person.roles == [Role.ORDERER, Role.ATTESTER]


def test_the_session_of_someone_who_left_the_directory_ends(world: World):
    started = signed_in(world)
    olivia = world.directory.people_by_id.pop("olivia.orderer")
    assert world.app.sessions.current(started.cookie_value) is None
    world.directory.save_person(olivia)  # back again: the session stays ended
    assert world.app.sessions.current(started.cookie_value) is None
    assert world.web_sessions.sessions == {}


def test_the_session_of_someone_moved_to_another_organisation_ends(world: World):
    started = signed_in(world)
    olivia = world.directory.person("olivia.orderer")
    assert olivia is not None
    world.directory.save_person(olivia.model_copy(update={"org_id": "clinic-old"}))
    assert world.app.sessions.current(started.cookie_value) is None
    assert world.web_sessions.sessions == {}


# --- CSRF, language, signing out -------------------------------------------------------------------------


def test_a_change_carries_the_sessions_csrf_token(world: World):
    session = signed_in(world).session
    world.app.sessions.check_csrf(session, session.csrf_token)
    other = signed_in(world).session
    for token in (None, "", other.csrf_token):
        with pytest.raises(NotAllowed) as refused:
            world.app.sessions.check_csrf(session, token)
        assert refused.value.code == "directory.csrf_not_valid"


def test_a_chosen_language_stays_with_the_session(world: World):
    started = signed_in(world)
    chosen = world.app.sessions.choose_language(started.cookie_value, "en")
    assert chosen.language is Language.EN
    current = world.app.sessions.current(started.cookie_value)
    assert current is not None and current.session.language is Language.EN


def test_choosing_an_unknown_language_or_without_a_session_is_refused(world: World):
    started = signed_in(world)
    with pytest.raises(InvalidRequest) as unknown:
        world.app.sessions.choose_language(started.cookie_value, "fi")
    assert unknown.value.field == "language"
    world.app.sessions.end(started.cookie_value)
    with pytest.raises(NotSignedIn) as ended:
        world.app.sessions.choose_language(started.cookie_value, "en")
    assert ended.value.code == "directory.session_ended"


def test_signing_out_ends_that_session_at_once_and_no_other(world: World):
    first, second = signed_in(world), signed_in(world)
    world.app.sessions.end(first.cookie_value)
    assert world.app.sessions.current(first.cookie_value) is None
    assert world.app.sessions.current(second.cookie_value) is not None
    world.app.sessions.end(first.cookie_value)  # signing out twice, or without a session, is no error
    world.app.sessions.end(None)


def test_ending_all_of_a_persons_sessions_leaves_everyone_elses(world: World):
    world.sign_in.add_account("adam.attester", PASSWORD)
    olivias = [signed_in(world), signed_in(world)]
    adams = signed_in(world, "adam.attester")
    world.app.sessions.end_all("olivia.orderer")
    assert all(world.app.sessions.current(started.cookie_value) is None for started in olivias)
    assert world.app.sessions.current(adams.cookie_value) is not None


# --- configuration -----------------------------------------------------------------------------------------


def test_the_lifetimes_come_from_the_settings(world: World):
    app = world.build(web_session_lifetime_seconds=3600, web_session_idle_seconds=600)
    started = app.sessions.start("olivia.orderer", PASSWORD)
    assert isinstance(started, NewSession)
    assert started.session.expires_at == world.clock.now + timedelta(hours=1)
    assert started.session.idle_expires_at == world.clock.now + timedelta(minutes=10)


@pytest.mark.parametrize(
    "changes",
    [
        {"web_session_idle_seconds": 9 * 3600},  # longer unused than at all
        {"web_session_idle_seconds": 60},  # no longer than a write of its use is apart
        {"web_session_lifetime_seconds": 0},
    ],
)
def test_lifetimes_that_cannot_work_are_refused_at_start(changes: dict[str, int]):
    with pytest.raises(ValidationError):
        settings(**changes)
