"""Signing in, knowing who acts, and a person's own profile."""

from __future__ import annotations

from typing import Any

from chalicelib.directory.ports import Directory, PasswordSignIn, SignedIn
from chalicelib.directory.reasons import NOT_IN_DIRECTORY
from chalicelib.shared.errors import NotSignedIn
from chalicelib.shared.identity import Actor, Role


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
