"""Opening a person's sign-in account and inviting them to choose its password: an e-mailed link, used once,
that sets the password and signs them in (R-ONB-2, R-REQ-1). Whoever adds a person (an administrator, the
provider approving an application, a requisitioner creating an orderer) opens the account through here."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.directory.model import INVITATION_LIFETIME, Invitation, NewSession
from chalicelib.directory.ports import Accounts, Directory, Invitations
from chalicelib.directory.reasons import INVITATION_NOT_VALID
from chalicelib.directory.services import SessionService
from chalicelib.notifications.ports import MailDeliverer, Outbox, OutboxMessage
from chalicelib.shared.errors import NotFound
from chalicelib.shared.identity import Person
from chalicelib.shared.links import LinkSecret, link_id, link_key, new_link_seed
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transaction, Transactions

INVITE = "invitation"  # the outbox kind of an invitation's mail


class AccountService:
    def __init__(
        self,
        directory: Directory,
        accounts: Accounts,
        invitations: Invitations,
        outbox: Outbox,
        link_secret: LinkSecret,
        mail: MailDeliverer,
        sessions: SessionService,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
    ) -> None:
        self._directory = directory
        self._accounts = accounts
        self._invitations = invitations
        self._outbox = outbox
        self._link_secret = link_secret
        self._mail = mail
        self._sessions = sessions
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url

    def open_account(self, person: Person, about: Mapping[str, str], template: str = "invitation") -> None:
        """The person in the directory, their account, and one invitation mail: asked again (a retried request),
        it does nothing twice: the first invitation's seed is made from the person, under the link secret."""
        self._directory.save_person(person)
        self._accounts.create(person)
        transaction = self._transactions.begin()
        self.invite(transaction, person, about, template, seed=self._first_seed(person.user_id))
        try:
            transaction.commit()
        except ConcurrentChange:
            if self._invitations.get(self._key(self._first_seed(person.user_id))) is None:
                raise  # something else changed meanwhile: the caller may try again

    def invite_again(self, person: Person, about: Mapping[str, str], request_key: str) -> None:
        """A new invitation for someone whose earlier one expired or was lost; the same request again (its key)
        sends one mail."""
        seed = self._seed(f"invitation:{person.user_id}:{request_key}")
        transaction = self._transactions.begin()
        self.invite(transaction, person, about, seed=seed)
        try:
            transaction.commit()
        except ConcurrentChange:
            if self._invitations.get(self._key(seed)) is None:
                raise

    def invite(
        self,
        transaction: Transaction,
        person: Person,
        about: Mapping[str, str],
        template: str = "invitation",
        seed: str | None = None,
    ) -> None:
        """Stages an invitation for `person` and its mail, in `transaction`. `about` is what the mail says it is
        about (the organisation's name, who added them)."""
        seed = seed or new_link_seed()
        now = self._clock()
        invitation = Invitation(
            key=self._key(seed),
            seed=seed,
            user_id=person.user_id,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        self._invitations.add(transaction, invitation)
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"invitation:{invitation.key}",
                kind=INVITE,
                payload={
                    "seed": seed,
                    "template": template,
                    "to": person.email,
                    "language": person.language.value,
                    "context": {
                        **about,
                        "person": {"name": person.name, "user_id": person.user_id},
                        "expires_at": invitation.expires_at.isoformat(),
                    },
                },
            ),
        )

    def deliver_invitation(self, payload: dict[str, Any]) -> None:
        """Delivers an invitation's mail from the outbox, with the link made now from its seed."""
        link = f"{self._base_url}/set-password/{link_id(self._link_secret.value(), payload['seed'])}"
        self._mail.deliver({**payload, "context": {**payload["context"], "link": link}})

    def invitation(self, link: str) -> tuple[Invitation, Person]:
        """The invitation behind a link and whom it is for; refused when it is not valid, used or expired."""
        invitation = self._invitations.get(link_key(link))
        person = self._directory.person(invitation.user_id) if invitation else None
        if invitation is None or person is None:
            raise NotFound(INVITATION_NOT_VALID)
        invitation.require_usable(self._clock())
        return invitation, person

    def accept(self, link: str, password: str, language: str) -> NewSession:
        """Sets the password the person chose and signs them in. Single use."""
        invitation, person = self.invitation(link)
        self._accounts.set_password(person.user_id, password)
        transaction = self._transactions.begin()
        self._invitations.use(transaction, invitation.model_copy(update={"used_at": self._now()}))
        transaction.commit()
        started = self._sessions.start(person.user_id, password, language)
        if not isinstance(started, NewSession):  # the password was just set: no challenge is left
            raise RuntimeError("a new password still asks for a new password")
        return started

    def _now(self) -> datetime:
        return self._clock()

    def _key(self, seed: str) -> str:
        return link_key(link_id(self._link_secret.value(), seed))

    def _first_seed(self, user_id: str) -> str:
        return self._seed(f"first-invitation:{user_id}")

    def _seed(self, made_from: str) -> str:
        return hmac.new(self._link_secret.value(), made_from.encode(), hashlib.sha256).hexdigest()[:32]
