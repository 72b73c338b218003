"""Signing in, knowing who acts, a person's own profile, and the portal's web sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.directory.model import NewSession, SessionLifetimes, session_key
from chalicelib.directory.ports import (
    Claims,
    Directory,
    Language,
    NewPasswordRequired,
    PasswordSignIn,
    SignedIn,
    WebSession,
    WebSessions,
)
from chalicelib.directory.reasons import NOT_IN_DIRECTORY, SESSION_ENDED, UNKNOWN_LANGUAGE, WRONG_PASSWORD
from chalicelib.shared.errors import InvalidRequest, NotSignedIn
from chalicelib.shared.identity import Actor, Person, Role
from chalicelib.shared.time import Clock


class DirectoryService:
    def __init__(self, directory: Directory, sign_in: PasswordSignIn) -> None:
        self._directory = directory
        self._sign_in = sign_in

    def sign_in(self, username: str, password: str) -> SignedIn:
        return self._sign_in.sign_in(username, password)

    def actor(self, user_id: str | None, org_id: str | None) -> Actor:
        """The directory, not the token, is the authority on a person's roles; the two must agree on the
        organisation."""
        person = self._directory.person(user_id) if user_id else None
        if person is None or person.org_id != org_id:
            raise NotSignedIn(NOT_IN_DIRECTORY)
        return Actor(signed_in=person)

    def profile(self, actor: Actor) -> dict[str, Any]:
        """The person, their organisation, and its attesters (for the order form, R-ONB-2)."""
        person = actor.person
        organisation = self._directory.organisation(person.org_id)
        attesters = self._directory.people(person.org_id, Role.ATTESTER)
        return {
            **person.model_dump(mode="json"),
            "organisation": organisation.model_dump(mode="json") if organisation else None,
            "attesters": [{"user_id": attester.user_id, "name": attester.name} for attester in attesters],
        }


@dataclass(frozen=True)
class CurrentSession:
    """A live session and the person behind it, as the directory knows them now."""

    session: WebSession
    actor: Actor


def _language(language: Language | str) -> Language:
    try:
        return Language(language)
    except ValueError:
        raise InvalidRequest(
            UNKNOWN_LANGUAGE, field="language", languages=", ".join(each.value for each in Language)
        ) from None


class SessionService:
    """The portal's server-side sessions: signing in through Cognito (and the first sign-in's new password, and a
    forgotten one), the session a cookie refers to, its CSRF token, its language, and signing out."""

    def __init__(
        self,
        sessions: WebSessions,
        sign_in: PasswordSignIn,
        directory: Directory,
        clock: Clock,
        lifetimes: SessionLifetimes,
    ) -> None:
        self._sessions = sessions
        self._sign_in = sign_in
        self._directory = directory
        self._clock = clock
        self._lifetimes = lifetimes

    def start(
        self, username: str, password: str, language: Language | str = Language.SV
    ) -> NewSession | NewPasswordRequired:
        """A new session, or the new password an account created by an administrator must choose first."""
        chosen = _language(language)
        signed_in = self._sign_in.authenticate(username, password)
        if isinstance(signed_in, NewPasswordRequired):
            return signed_in
        return self._open(signed_in, chosen)

    def complete_new_password(
        self, username: str, challenge_session: str, new_password: str, language: Language | str = Language.SV
    ) -> NewSession:
        chosen = _language(language)
        return self._open(self._sign_in.complete_new_password(username, challenge_session, new_password), chosen)

    def _open(self, claims: Claims, language: Language) -> NewSession:
        person = self._directory.person(claims.user_id)
        if person is None or person.org_id != claims.org_id:
            # Cognito knows the password but the directory not the person: no more said than for a wrong password.
            raise NotSignedIn(WRONG_PASSWORD)
        started = WebSession.start(person.user_id, person.org_id, language, self._clock(), self._lifetimes)
        self._sessions.create(started.session)
        return started

    def forgot_password(self, username: str) -> None:
        """Sends a code if there is such an account; the answer is the same if there is not."""
        self._sign_in.forgot_password(username)

    def reset_password(self, username: str, code: str, new_password: str) -> None:
        self._sign_in.confirm_forgot_password(username, code, new_password)

    def current(self, cookie_value: str | None) -> CurrentSession | None:
        """The session the cookie refers to and who it is, or None when it is missing, ended or expired. A session
        of someone the directory no longer has, or has in another organisation, ends here."""
        if not cookie_value:
            return None
        now = self._clock()
        session = self._sessions.get(session_key(cookie_value), now)
        if session is None:
            return None
        person = self._directory.person(session.user_id)
        if person is None or person.org_id != session.org_id:
            self._sessions.end(session)
            return None
        touched = session.touch(now, self._lifetimes)
        if touched is not None:
            self._sessions.touch(touched)
            session = touched
        return CurrentSession(
            session=session, actor=Actor(signed_in=person, acting_as=self._acting_as(person, session))
        )

    def _acting_as(self, signed_in: Person, session: WebSession) -> Person | None:
        """R-REQ-5: the orderer a requisitioner switched to, while it still is one of its organisation's."""
        if session.acting_as is None or not signed_in.has_role(Role.REQUISITIONER):
            return None
        orderer = self._directory.person(session.acting_as)
        if orderer is None or orderer.org_id != signed_in.org_id or not orderer.has_role(Role.ORDERER):
            return None
        return orderer

    def act_as(self, cookie_value: str | None, orderer: Person | None) -> None:
        """R-REQ-5: the session acts as `orderer` from now on; None switches back. The requisitioners context
        decides who may be switched to; the session only keeps it."""
        current = self.current(cookie_value)
        if current is None:
            raise NotSignedIn(SESSION_ENDED)
        self._sessions.set_acting_as(current.session.key, orderer.user_id if orderer else None)

    @staticmethod
    def check_csrf(session: WebSession, token: str | None) -> None:
        """Raises NotAllowed unless `token` is the session's CSRF token (compared in constant time)."""
        session.require_csrf(token)

    def choose_language(self, cookie_value: str | None, language: Language | str) -> WebSession:
        chosen = _language(language)
        current = self.current(cookie_value)
        if current is None:
            raise NotSignedIn(SESSION_ENDED)
        self._sessions.set_language(current.session.key, chosen)
        return current.session.model_copy(update={"language": chosen})

    def end(self, cookie_value: str | None) -> None:
        """Signing out: the session ends at once."""
        if not cookie_value:
            return
        session = self._sessions.get(session_key(cookie_value), self._clock())
        if session is not None:
            self._sessions.end(session)

    def end_all(self, user_id: str) -> None:
        """Every session of the person ends (their password changed, they left, an administrator asks)."""
        self._sessions.end_all(user_id)
