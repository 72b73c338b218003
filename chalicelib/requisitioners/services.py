"""A requisitioner's orderers (DOMAIN.md Flow 3, R-REQ-1…7): created, self-registered and approved, listed,
edited, deleted, switched to; and the orders held before their case until their orderer is approved."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.approvals.ports import TaskAnswers, TaskClosed
from chalicelib.directory.ports import Accounts, Directory, OrganisationKind
from chalicelib.notifications.ports import Notification, Notifier, Outbox, OutboxMessage, Recipient
from chalicelib.requisitioners.commands import NewOrderer, OrdererChanges, Registration
from chalicelib.requisitioners.model import Orderer, RequisitionerEntry, WaitingOrder, comparable_email, email_key
from chalicelib.requisitioners.ports import AccountOpening, HeldOrders, Orderers
from chalicelib.requisitioners.reasons import (
    EMAIL_TAKEN,
    NO_SUCH_ORDERER,
    NO_SUCH_REQUISITIONER,
    ONLY_REQUISITIONERS,
)
from chalicelib.shared.errors import InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Person, Role
from chalicelib.shared.limits import Limit, Limits, require
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

RELEASE = "orderers.release"  # the outbox kind that tells the workflow an orderer's held orders go on
ORDERER_NAMESPACE = uuid.UUID("0b9d7f6e-4c1a-4e3b-9a0f-6f1d2c3b4a59")
RELEASE_ATTEMPTS = 3


@dataclass(frozen=True)
class OrdererRow:
    """One line of the requisitioner's list (R-REQ-2)."""

    orderer: Orderer
    person: Person
    orders: int
    waiting: list[str] = field(default_factory=list)  # the ids of its orders held for its approval


class OrdererService:
    def __init__(
        self,
        orderers: Orderers,
        directory: Directory,
        accounts: Accounts,
        opening: AccountOpening,
        held: HeldOrders,
        count_orders: Callable[[str], int],  # how many orders a person placed
        end_sessions: Callable[[str], None],  # ends every web session of a person
        notifier: Notifier,
        outbox: Outbox,
        task_answers: TaskAnswers,
        limits: Limits,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
        registrations_per_address: int = 5,
        registrations_per_network: int = 20,
    ) -> None:
        # R-REQ-3: self-registration is public: a few a day per e-mail address, more an hour per network address.
        self._per_address = Limit("orderer_registration.email", registrations_per_address, timedelta(days=1))
        self._per_network = Limit("orderer_registration.ip", registrations_per_network, timedelta(hours=1))
        self._orderers = orderers
        self._directory = directory
        self._accounts = accounts
        self._opening = opening
        self._held = held
        self._count_orders = count_orders
        self._end_sessions = end_sessions
        self._notifier = notifier
        self._outbox = outbox
        self._task_answers = task_answers
        self._limits = limits
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url

    # --- the requisitioner ----------------------------------------------------------------------------------

    def requisitioner(self, actor: Actor) -> Person:
        """The requisitioner's own account, not switched to an orderer (R-REQ-5)."""
        person = actor.signed_in
        organisation = self._directory.organisation(person.org_id)
        if (
            actor.acting_as is not None
            or not person.has_role(Role.REQUISITIONER)
            or organisation is None
            or organisation.kind is not OrganisationKind.REQUISITIONER
        ):
            raise NotAllowed(ONLY_REQUISITIONERS)
        return person

    def orderer(self, actor: Actor, user_id: str) -> tuple[Orderer, Person]:
        """One of the requisitioner's orderers; another's, or none, is not found (nobody learns it exists)."""
        requisitioner = self.requisitioner(actor)
        orderer = self._orderers.get(user_id)
        person = self._directory.person(user_id) if orderer else None
        if orderer is None or person is None or orderer.requisitioner_org_id != requisitioner.org_id:
            raise NotFound(NO_SUCH_ORDERER)
        return orderer, person

    def create(self, actor: Actor, command: NewOrderer) -> Orderer:
        """R-REQ-1: a name and an e-mail address; the orderer is e-mailed a link to choose a password. Approved
        from the start: the requisitioner made it. Sent again, the same orderer is found (its id follows from
        the requisitioner and the address)."""
        requisitioner = self.requisitioner(actor)
        email = str(command.email)
        user_id = "orderer-" + uuid.uuid5(ORDERER_NAMESPACE, f"{requisitioner.org_id}\n{comparable_email(email)}").hex
        existing = self._orderers.get(user_id)
        if existing is None:
            now = self._clock()
            orderer = Orderer(
                user_id=user_id,
                requisitioner_org_id=requisitioner.org_id,
                approved=True,
                self_registered=False,
                created_at=now,
                approved_at=now,
                approved_by=requisitioner.user_id,
            )
            transaction = self._transactions.begin()
            self._orderers.add(transaction, orderer)
            # R-REQ-6: the requisitioner's own address may be its orderer's too (the directory keeps it the
            # requisitioner's); any other address is one person's, in the directory's one registry.
            if comparable_email(email) != comparable_email(requisitioner.email):
                self._directory.claim_email(transaction, email, user_id)
            try:
                transaction.commit()
            except ConcurrentChange:
                existing = self._orderers.get(user_id)
                if existing is None:
                    raise InvalidRequest(EMAIL_TAKEN, field="email") from None
        person = self._directory.person(user_id) or Person(
            user_id=user_id,
            org_id=requisitioner.org_id,
            name=command.name,
            email=email,
            roles=[Role.ORDERER],
            language=requisitioner.language,
        )
        self._opening.open_account(person, self._about(requisitioner.org_id))  # does nothing twice
        return existing or self._orderers.get(user_id) or orderer

    def rows(self, actor: Actor, page: PageRequest) -> Page[OrdererRow]:
        """R-REQ-2: each orderer with the number of its orders, approved or not, and the orders it holds."""
        requisitioner = self.requisitioner(actor)
        found = self._orderers.of_requisitioner(requisitioner.org_id, page)
        rows = []
        for orderer in found.items:
            person = self._directory.person(orderer.user_id)
            if person is None:
                continue
            waiting = [] if orderer.approved else [held.order_id for held in self._orderers.waiting(orderer.user_id)]
            rows.append(OrdererRow(orderer, person, self._count_orders(orderer.user_id), waiting))
        return Page(rows, found.next)

    def awaiting_approval(self, actor: Actor, page: PageRequest) -> Page[OrdererRow]:
        """R-REQ-3: the requisitioner's pending list: the orderers waiting for its approval, with the orders
        they hold."""
        requisitioner = self.requisitioner(actor)
        found = self._orderers.unapproved_of(requisitioner.org_id, page)
        rows = []
        for orderer in found.items:
            person = self._directory.person(orderer.user_id)
            if person is not None:
                waiting = [held.order_id for held in self._orderers.waiting(orderer.user_id)]
                rows.append(OrdererRow(orderer, person, self._count_orders(orderer.user_id), waiting))
        return Page(rows, found.next)

    def edit(self, actor: Actor, user_id: str, changes: OrdererChanges) -> Person:
        """R-REQ-7: the contact details, in the directory and on the account."""
        requisitioner = self.requisitioner(actor)
        orderer, person = self.orderer(actor, user_id)
        email = str(changes.email)
        if orderer.self_registered and comparable_email(email) == comparable_email(requisitioner.email):
            raise InvalidRequest(EMAIL_TAKEN, field="email")  # R-REQ-6
        if comparable_email(email) != comparable_email(person.email):
            transaction = self._transactions.begin()
            if comparable_email(email) != comparable_email(requisitioner.email):
                self._directory.claim_email(transaction, email, user_id)  # R-REQ-6
            self._directory.release_email(transaction, person.email, user_id)
            try:
                transaction.commit()
            except ConcurrentChange:
                raise InvalidRequest(EMAIL_TAKEN, field="email") from None
        changed = person.model_copy(update={"name": changes.name, "email": email})
        self._directory.save_person(changed)
        self._accounts.update(changed)
        return changed

    def send_password_link(self, actor: Actor, user_id: str) -> None:
        """R-REQ-7: a new password is chosen by the orderer through an e-mailed link; nobody else sees it."""
        requisitioner = self.requisitioner(actor)
        _, person = self.orderer(actor, user_id)
        transaction = self._transactions.begin()
        self._opening.invite(transaction, person, self._about(requisitioner.org_id), template="new_password")
        transaction.commit()

    def approve(self, actor: Actor, user_id: str) -> Orderer:
        """R-REQ-3, R-REQ-7: the orderer approved; every order it holds goes on to its case (through the outbox,
        so that a crash after the approval still releases them)."""
        requisitioner = self.requisitioner(actor)
        orderer, _ = self.orderer(actor, user_id)
        approved = orderer.approve(requisitioner.user_id, self._clock())
        if approved is None:
            return orderer
        transaction = self._transactions.begin()
        self._orderers.approve(transaction, approved)
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"orderer:{user_id}:release",
                kind=RELEASE,
                payload={"orderer_id": user_id, "approver_id": requisitioner.user_id},
            ),
        )
        with suppress(ConcurrentChange):  # approved meanwhile, by the same requisitioner's other request
            transaction.commit()
        return self._orderers.get(user_id) or approved

    def delete(self, actor: Actor, user_id: str) -> None:
        """R-REQ-4: the orderer can no longer sign in and leaves the list; every order it made stays, with its
        name. The directory keeps the person, without a role, for the history that names them."""
        self.requisitioner(actor)
        _, person = self.orderer(actor, user_id)
        # The person loses their role, account and sessions first: after a crash the orderer is still listed,
        # and deleting it again does the rest.
        self._directory.save_person(person.model_copy(update={"roles": []}))
        self._accounts.remove(user_id)
        self._end_sessions(user_id)
        transaction = self._transactions.begin()
        self._orderers.remove(transaction, user_id)
        self._directory.release_email(transaction, person.email, user_id)
        transaction.commit()

    def switch_to(self, actor: Actor, user_id: str) -> Person:
        """R-REQ-5: whom the requisitioner acts as from now on (the session keeps it)."""
        self.requisitioner(actor)
        _, person = self.orderer(actor, user_id)
        if not person.has_role(Role.ORDERER):
            raise NotFound(NO_SUCH_ORDERER)
        return person

    def may_act_as(self, signed_in: Person, user_id: str) -> Person | None:
        """The orderer a session switched to, while it still is one of the signed-in requisitioner's."""
        orderer = self._orderers.get(user_id)
        person = self._directory.person(user_id) if orderer else None
        if (
            orderer is None
            or person is None
            or not signed_in.has_role(Role.REQUISITIONER)
            or orderer.requisitioner_org_id != signed_in.org_id
            or not person.has_role(Role.ORDERER)
        ):
            return None
        return person

    # --- self-registration ------------------------------------------------------------------------------------

    def requisitioners(self) -> list[RequisitionerEntry]:
        return sorted(self._orderers.requisitioners(), key=lambda entry: entry.name.casefold())

    def list_requisitioner(self, org_id: str) -> None:
        """Offers a requisitioner organisation on the self-registration form."""
        organisation = self._directory.organisation(org_id)
        if organisation is None or organisation.kind is not OrganisationKind.REQUISITIONER:
            raise NotFound(NO_SUCH_REQUISITIONER)
        self._orderers.add_requisitioner(RequisitionerEntry(org_id=org_id, name=organisation.name))

    def register(self, command: Registration, network_address: str | None) -> None:
        """R-REQ-3: anyone registers as an orderer of a requisitioner they pick, and is e-mailed a link to
        choose a password; the requisitioner is e-mailed to approve them. The answer is the same whether or not
        the address is registered: a duplicate is told so in a mail to that address, not on the page."""
        email = str(command.email)
        require(self._limits, self._per_address, self._clock(), comparable_email(email))
        require(self._limits, self._per_network, self._clock(), network_address or "")
        organisation = self._directory.organisation(command.requisitioner_id)
        if organisation is None or organisation.kind is not OrganisationKind.REQUISITIONER:
            raise InvalidRequest(NO_SUCH_REQUISITIONER, field="requisitioner_id")
        requisitioners = self._directory.people(organisation.org_id, Role.REQUISITIONER)
        user_id = "orderer-" + hashlib.sha256(f"self\n{comparable_email(email)}".encode()).hexdigest()[:24]
        owner = self._directory.email_holder(email)  # anyone's in the directory, not only orderers'
        # R-REQ-6: a self-registered orderer may not use its requisitioner's address.
        theirs = any(comparable_email(person.email) == comparable_email(email) for person in requisitioners)
        if theirs or (owner is not None and owner != user_id) or self._someone_else(user_id, organisation.org_id):
            self._tell_taken(email, organisation.name)
            return
        existing = self._orderers.get(user_id)
        if existing is None:
            now = self._clock()
            orderer = Orderer(
                user_id=user_id,
                requisitioner_org_id=organisation.org_id,
                approved=False,
                self_registered=True,
                created_at=now,
            )
            transaction = self._transactions.begin()
            self._orderers.add(transaction, orderer)
            self._directory.claim_email(transaction, email, user_id)
            self._notifier.notify(
                transaction,
                Notification(
                    key=f"orderer-registered:{user_id}",
                    template="orderer_registered",
                    recipients=tuple(
                        Recipient(person.email, person.name, person.language.value) for person in requisitioners
                    ),
                    context={
                        "orderer": {"name": command.name, "email": email},
                        "organisation": organisation.name,
                        "link": f"{self._base_url}/orderers",
                    },
                ),
            )
            try:
                transaction.commit()
            except ConcurrentChange:
                if self._orderers.get(user_id) is None:
                    self._tell_taken(email, organisation.name)  # the address was claimed meanwhile
                    return
        person = self._directory.person(user_id) or Person(
            user_id=user_id, org_id=organisation.org_id, name=command.name, email=email, roles=[Role.ORDERER]
        )
        self._opening.open_account(person, self._about(organisation.org_id))

    def _someone_else(self, user_id: str, org_id: str) -> bool:
        """This address registered before, for another requisitioner."""
        orderer = self._orderers.get(user_id)
        return orderer is not None and orderer.requisitioner_org_id != org_id

    def _tell_taken(self, email: str, organisation: str) -> None:
        transaction = self._transactions.begin()
        window = self._per_address.window_of(self._clock())
        self._notifier.notify(
            transaction,
            Notification(
                key=f"registration-taken:{email_key(email)}:{window}:{uuid.uuid4().hex}",
                template="registration_taken",
                recipients=(Recipient(email),),
                context={"organisation": organisation, "link": f"{self._base_url}/sign-in/forgot"},
            ),
        )
        transaction.commit()

    def _about(self, org_id: str) -> dict[str, str]:
        organisation = self._directory.organisation(org_id)
        return {"organisation": organisation.name if organisation else org_id}

    # --- the order held for its orderer's approval (statemachines/order_workflow.asl.json OrdererApproval) -------

    def hold(self, order_id: str, orderer_id: str, task_token: str, timeout_seconds: int) -> bool:
        """R-REQ-3: the order waits before its case until its orderer is approved; True when it goes on at once
        (approved meanwhile). A retried task waits under its new token. A deleted orderer's order waits on, to
        its timeout."""
        for _ in range(RELEASE_ATTEMPTS):
            orderer = self._orderers.get(orderer_id)
            if orderer is not None and orderer.approved:
                self._release_now(order_id, orderer, task_token)
                return True
            now = self._clock()
            earlier = next((held for held in self._orderers.waiting(orderer_id) if held.order_id == order_id), None)
            waiting = WaitingOrder(
                order_id=order_id,
                orderer_id=orderer_id,
                task_token=task_token,
                since=earlier.since if earlier else now,
                expires_at=now + timedelta(seconds=timeout_seconds),
            )
            transaction = self._transactions.begin()
            self._orderers.hold(transaction, waiting, unapproved=orderer is not None)
            if earlier is None:
                self._held.waiting(transaction, order_id, now)
            try:
                transaction.commit()
            except ConcurrentChange:
                continue  # approved meanwhile (or the order changed): look again
            return False
        raise ConcurrentChange("the orderer's approval kept changing")

    def _release_now(self, order_id: str, orderer: Orderer, task_token: str) -> None:
        """The orderer was approved meanwhile: the order is held and released at once, the workflow told by the
        outbox as for any approval (only the relay answers the workflow)."""
        now = self._clock()
        waiting = WaitingOrder(
            order_id=order_id, orderer_id=orderer.user_id, task_token=task_token, since=now, expires_at=now
        )
        transaction = self._transactions.begin()
        self._orderers.hold(transaction, waiting, unapproved=False)
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"orderer:{orderer.user_id}:release:{order_id}:{hashlib.sha256(task_token.encode()).hexdigest()}",
                kind=RELEASE,
                payload={"orderer_id": orderer.user_id, "approver_id": orderer.approved_by or orderer.user_id},
                correlation_id=order_id,
            ),
        )
        transaction.commit()

    def deliver_release(self, payload: dict[str, Any]) -> None:
        """Delivers an approval from the outbox: each held order's history says who approved, then the workflow
        is told. Delivered again (a retry), what was told already is told again, harmlessly."""
        approver = self._directory.person(payload["approver_id"])
        if approver is None:
            return
        for waiting in self._orderers.waiting(payload["orderer_id"]):
            if waiting.released_at is None:
                released = waiting.model_copy(update={"released_at": self._clock()})
                transaction = self._transactions.begin()
                self._orderers.release(transaction, released)
                self._held.released(transaction, waiting.order_id, approver, self._clock())
                transaction.commit()
            with suppress(TaskClosed):  # timed out meanwhile: the workflow's ending stands
                self._task_answers.answer(waiting.task_token, {"outcome": "approved"})
            self._orderers.forget(waiting)
