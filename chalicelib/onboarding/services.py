"""Customer onboarding (DOMAIN.md Flow 1): the application, the provider's decision as an approval step, the
organisation and accounts an approval makes, the signatory's signature of the current agreement (R-ONB-1), and
customer service's finder of an organisation's administrators (R-ONB-4)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.approvals.ports import Decision, OpenedStep, Outcome, StepRequest, SubjectRef, SubjectView
from chalicelib.directory.ports import Directory, Organisation, OrganisationKind
from chalicelib.notifications.ports import MailDeliverer, Notification, Notifier, Outbox, OutboxMessage, Recipient
from chalicelib.onboarding.commands import ApplyForCustomer, compact_org_number
from chalicelib.onboarding.model import (
    DECISION_TIME,
    SIGNING_LIFETIME,
    AgreementSigning,
    Application,
    Contact,
    Signatory,
    application_id_for,
)
from chalicelib.onboarding.ports import AccountOpener, AgreementSignings, Applications, StepOpener
from chalicelib.onboarding.reasons import (
    AGREEMENT_ALREADY_CURRENT,
    ALREADY_A_CUSTOMER,
    ALREADY_APPLIED,
    CHANGED_MEANWHILE,
    NO_SIGNATORY,
    NO_SUCH_APPLICATION,
    NOBODY_TO_APPROVE,
    NOT_A_CUSTOMER,
    ONLY_ADMINISTRATOR,
    ONLY_ADMINISTRATORS_DECIDE,
    ONLY_CUSTOMER_SERVICE,
    SIGNING_LINK_NOT_VALID,
)
from chalicelib.shared.errors import AlreadyDone, InProgress, InvalidRequest, NotAllowed, NotFound, StepOutOfOrder
from chalicelib.shared.i18n import N_
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.limits import Limit, Limits, require
from chalicelib.shared.links import LinkSecret, link_id, link_key, new_link_seed
from chalicelib.shared.pagination import Page, PageRequest, bad_cursor
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transaction, Transactions
from chalicelib.signing.ports import Signature, Signer, SigningRequest

APPLICATION = "application"  # the approvals subject kind
PROVIDER_APPROVAL = "provider_approval"  # its one step
APPROVED = "onboarding.approved"  # the outbox kind that completes an approval
SIGNING_MAIL = "onboarding.signing"  # the outbox kind of a signing link's mail

# Public forms are limited (docs/decisions.md): per address, and per network address.
PER_ADDRESS = Limit("application.address", 5, timedelta(hours=1))
PER_NETWORK = Limit("application.network", 100, timedelta(hours=1))
# An administrator sends the signing link again: enough for a lost mail, not a flood of texts and mails.
SIGNING_AGAIN = Limit("signing.again", 3, timedelta(days=1))


def application_step(application_id: str) -> SubjectRef:
    return SubjectRef(kind=APPLICATION, subject_id=application_id, step=PROVIDER_APPROVAL)


def summary_of(application: Application) -> dict[str, Any]:
    return application.model_dump(mode="json")


class ApplicationSteps:
    """The `Subject` of kind "application": the provider's approval of a customer application (Flow 1 step 2).

    Its assignees are the provider organisation's administrators: approving creates an organisation and opens
    accounts, which is an administrator's power (R-ONB-3); customer service finds administrators (R-ONB-4) but
    decides no applications."""

    kind = APPLICATION

    def __init__(
        self,
        applications: Applications,
        directory: Directory,
        notifier: Notifier,
        outbox: Outbox,
        provider_org_id: str,
        base_url: str,
    ) -> None:
        self._base_url = base_url
        self._applications = applications
        self._directory = directory
        self._notifier = notifier
        self._outbox = outbox
        self._provider_org_id = provider_org_id

    def _application(self, ref: SubjectRef) -> Application:
        found = self._applications.get(ref.subject_id)
        if found is None:
            raise NotFound(NO_SUCH_APPLICATION)
        return found

    def open(self, transaction: Transaction, ref: SubjectRef, now: datetime) -> OpenedStep:
        application = self._application(ref)
        deciders = self._directory.people(self._provider_org_id, Role.ADMINISTRATOR)
        if not deciders:
            raise StepOutOfOrder(NOBODY_TO_APPROVE)
        # Each of the provider's administrators is told, in their language, that an application arrived: one mail
        # each, once however often the step opens (the outbox keeps a key once). Only what the mail says is in it.
        self._notifier.notify(
            transaction,
            Notification(
                key=f"application:{application.application_id}:received",
                template="application_received",
                recipients=tuple(Recipient(d.email, d.name, d.language.value) for d in deciders),
                context={
                    "application": {
                        "organisation_name": application.organisation_name,
                        "org_number": application.org_number,
                    },
                    "link": f"{self._base_url}/applications/{application.application_id}",
                },
                correlation_id=application.application_id,
            ),
        )
        return OpenedStep(
            assignees=deciders,
            needs_signature=False,
            signing_description="",
            summary={
                "application_id": application.application_id,
                "organisation_name": application.organisation_name,
                "org_number": application.org_number,
            },
            request_template="",  # the provider works from its list of applications, linked from the mail below
        )

    def request(self, ref: SubjectRef) -> StepRequest:
        return StepRequest(template="")

    def view(self, ref: SubjectRef, actor: Actor) -> SubjectView:
        application = self._application(ref)
        return SubjectView(details={"application": summary_of(application)}, closed=not application.is_pending)

    def is_closed(self, ref: SubjectRef) -> bool:
        found = self._applications.get(ref.subject_id)
        return found is None or not found.is_pending

    def decide(
        self,
        transaction: Transaction,
        ref: SubjectRef,
        actor: Actor,
        decision: Decision,
        signature: Signature | None,
        now: datetime,
    ) -> None:
        """Stages the decision and the mails that tell the contacts; an approval also stages its completion,
        which the outbox delivers until it is done (the organisation, the accounts, the signing link)."""
        application = self._application(ref)
        approve = decision.outcome is Outcome.APPROVED
        decided = application.decided(approve, actor.person.user_id, decision.reason, now)
        self._applications.decide(transaction, decided)
        contacts = (application.administrator, application.signatory, application.agreement_contact)
        self._notifier.notify(
            transaction,
            Notification(
                key=f"application:{application.application_id}:{decided.status.value}",
                template=f"application_{decided.status.value}",
                recipients=tuple(Recipient(c.email, c.name, application.language.value) for c in contacts),
                context={"application": summary_of(decided)},
                correlation_id=application.application_id,
            ),
        )
        if approve:
            self._outbox.stage(
                transaction,
                OutboxMessage(
                    key=f"application:{application.application_id}:complete",
                    kind=APPROVED,
                    payload={"application_id": application.application_id},
                    correlation_id=application.application_id,
                ),
            )


class OnboardingService:
    def __init__(
        self,
        applications: Applications,
        signings: AgreementSignings,
        directory: Directory,
        accounts: AccountOpener,
        steps: StepOpener,
        signer: Signer,
        outbox: Outbox,
        mail: MailDeliverer,
        limits: Limits,
        link_secret: LinkSecret,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
        current_agreement: Callable[[], int],
        provider_org_id: str,
    ) -> None:
        self._provider_org_id = provider_org_id
        self._applications = applications
        self._signings = signings
        self._directory = directory
        self._accounts = accounts
        self._steps = steps
        self._signer = signer
        self._outbox = outbox
        self._mail = mail
        self._limits = limits
        self._link_secret = link_secret
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url
        self._current_agreement = current_agreement

    # --- the application (Flow 1 step 1) ------------------------------------------------------------

    def apply(self, command: ApplyForCustomer, key: str, network_address: str) -> Application:
        """Stores the application and opens the provider's approval step. A double submit (the same key) gets
        the first application back; an organisation number of a customer, or of an application still pending,
        is refused naming `org_number`. Nothing here looks at the e-mail addresses, so nothing tells whether one
        is registered."""
        application_id = application_id_for(key)
        stored = self._applications.get(application_id)
        if stored is None:
            emails = {
                contact.email.casefold()
                for contact in (command.administrator, command.signatory, command.agreement_contact)
            }
            require(self._limits, PER_ADDRESS, self._clock(), *sorted(emails))
            require(self._limits, PER_NETWORK, self._clock(), network_address)
            stored = self._store(application_id, command)
        # A crash after the application was stored and before its step opened is mended by the retried submit.
        self._steps.open(application_step(stored.application_id), None, int(DECISION_TIME.total_seconds()))
        return stored

    def _store(self, application_id: str, command: ApplyForCustomer) -> Application:
        self._refuse_duplicate(command.org_number, application_id)
        application = Application(
            application_id=application_id,
            organisation_name=command.organisation_name,
            org_number=command.org_number,
            administrator=Contact.model_validate(command.administrator.model_dump()),
            signatory=Signatory.model_validate(command.signatory.model_dump()),
            agreement_contact=Contact.model_validate(command.agreement_contact.model_dump()),
            submitted_at=self._clock(),
        )
        transaction = self._transactions.begin()
        self._applications.add(transaction, application)
        try:
            transaction.commit()
        except ConcurrentChange:
            stored = self._applications.get(application_id)
            if stored is not None:
                return stored  # the same submit, twice at once
            self._refuse_duplicate(command.org_number, application_id)
            raise InProgress(CHANGED_MEANWHILE, field="org_number") from None  # freed meanwhile: try again
        return application

    def _refuse_duplicate(self, org_number: str, application_id: str) -> None:
        if self._directory.organisation_numbered(org_number) is not None:
            raise InvalidRequest(ALREADY_A_CUSTOMER, field="org_number")
        holder = self._applications.holder(org_number)
        if holder is not None and holder != application_id:
            held = self._applications.get(holder)
            raise InvalidRequest(
                ALREADY_APPLIED if held and held.is_pending else ALREADY_A_CUSTOMER, field="org_number"
            )

    # --- the provider's list (Flow 1 step 2) -----------------------------------------------------------

    def pending(self, actor: Actor, page: PageRequest) -> Page[Application]:
        """The applications waiting for a decision, for the provider's administrators (their assignees); another
        organisation's administrator has none to decide."""
        person = actor.person
        if not person.has_role(Role.ADMINISTRATOR):
            raise NotAllowed(ONLY_ADMINISTRATORS_DECIDE)
        if person.org_id != self._provider_org_id:
            return Page([])
        return self._applications.pending(page)

    def application(self, application_id: str) -> Application:
        found = self._applications.get(application_id)
        if found is None:
            raise NotFound(NO_SUCH_APPLICATION)
        return found

    # --- an approval's completion (Flow 1 step 3), delivered from the outbox ---------------------------

    def complete(self, payload: dict[str, Any]) -> None:
        """The organisation, the administrator's and the agreement contact's accounts with their invitations,
        and the signatory's signing link. Each part is done once however often this runs: the outbox runs it
        again after a crash until it has all been done."""
        application = self.application(str(payload["application_id"]))
        organisation = self._directory.organisation(application.org_id)
        if organisation is None:
            organisation = Organisation(
                org_id=application.org_id,
                name=application.organisation_name,
                kind=OrganisationKind.CUSTOMER,
                org_number=application.org_number,
            )
            self._directory.save_organisation(organisation)
        about = {"organisation": application.organisation_name}
        self._accounts.open_account(application.administrator_person(), about)
        contact = application.agreement_contact_person()
        if contact is not None:
            self._accounts.open_account(contact, about, template="invitation_agreement_contact")
        seed = hmac.new(
            self._link_secret.value(), f"first-signing:{application.application_id}".encode(), hashlib.sha256
        ).hexdigest()[:32]
        self._send_signing_link(organisation, application.signatory, seed, first=True)

    def _send_signing_link(self, organisation: Organisation, signatory: Signatory, seed: str, first: bool) -> None:
        now = self._clock()
        signing = AgreementSigning(
            key=link_key(link_id(self._link_secret.value(), seed)),
            seed=seed,
            org_id=organisation.org_id,
            organisation_name=organisation.name,
            signatory=signatory,
            created_at=now,
            expires_at=now + SIGNING_LIFETIME,
        )
        transaction = self._transactions.begin()
        self._signings.add(transaction, signing)
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"signing:{signing.key}",
                kind=SIGNING_MAIL,
                payload={
                    "seed": seed,
                    "template": "agreement_signing",
                    "to": signatory.email,
                    "language": signing.language.value,
                    "context": {
                        "organisation": organisation.name,
                        "person": {"name": signatory.name},
                        "expires_at": signing.expires_at.isoformat(),
                    },
                },
                correlation_id=organisation.org_id,
            ),
        )
        try:
            transaction.commit()
        except ConcurrentChange:
            if not first or self._signings.get(signing.key) is None:
                raise  # a first link already made is this one: sent once

    def deliver_signing(self, payload: dict[str, Any]) -> None:
        """Delivers a signing link's mail from the outbox, with the link made now from its seed."""
        link = f"{self._base_url}/signing/{link_id(self._link_secret.value(), payload['seed'])}"
        self._mail.deliver({**payload, "context": {**payload["context"], "link": link}})

    # --- signing the agreement (Flow 1 step 4, R-ONB-1) --------------------------------------------------

    def signing(self, link: str) -> dict[str, Any]:
        """What the signatory sees behind the link. Reads only: mail scanners open links."""
        found = self._signing(link)
        found.require_usable(self._clock())
        return self._shown(found)

    def _shown(self, signing: AgreementSigning) -> dict[str, Any]:
        phone = signing.signatory.phone
        return {
            "organisation_name": signing.organisation_name,
            "signatory_name": signing.signatory.name,
            "sent_to": f"{'•' * max(len(phone) - 3, 0)}{phone[-3:]}",
            "agreement_version": self._current_agreement(),
            "expires_at": signing.expires_at.isoformat(),
        }

    def _signing(self, link: str) -> AgreementSigning:
        found = self._signings.get(link_key(link))
        if found is None:
            raise NotFound(SIGNING_LINK_NOT_VALID)
        return found

    def _request(self, signing: AgreementSigning) -> SigningRequest:
        return SigningRequest(
            purpose=f"agreement:{signing.key}",
            signer=signing.signer(),
            description=N_("sign the customer agreement of {organisation}"),
            params={"organisation": signing.organisation_name},
        )

    def send_code(self, link: str) -> dict[str, str]:
        """A signature is strong: a fresh one-time code to the signatory's phone (as an attestation, R-ORD-4)."""
        signing = self._signing(link)
        signing.require_usable(self._clock())
        return self._signer.start(self._request(signing))

    def sign(self, link: str, one_time_code: str | None) -> dict[str, Any]:
        """R-ONB-1: the organisation has signed the current agreement from now on, and may order. Single use."""
        signing = self._signing(link)
        now = self._clock()
        signing.require_usable(now)
        version = self._current_agreement()
        transaction = self._transactions.begin()
        signature = self._signer.verify(transaction, self._request(signing), one_time_code)
        signed = signing.model_copy(update={"signed_at": signature.signed_at, "signed_version": version})
        self._signings.sign(transaction, signed)
        self._directory.record_signed_agreement(transaction, signing.org_id, version)
        try:
            transaction.commit()
        except ConcurrentChange as error:
            self._signing(link).require_usable(now)  # signed meanwhile: say so
            raise AlreadyDone(AGREEMENT_ALREADY_CURRENT) from error
        return {**self._shown(signing), "signed_version": version}

    # --- an organisation on an older agreement model (R-ONB-1) -------------------------------------------

    def agreement_of(self, actor: Actor) -> dict[str, Any]:
        """Where the caller's organisation stands: the version it signed, the current one, its signatory."""
        organisation = self._directory.organisation(actor.person.org_id)
        current = self._current_agreement()
        signatory = self._signings.signatory_of(actor.person.org_id)
        return {
            "organisation_name": organisation.name if organisation else "",
            "signed_version": organisation.signed_agreement_version if organisation else None,
            "current_version": current,
            "signed_current": bool(organisation and organisation.has_signed(current)),
            "signatory_name": signatory.name if signatory else None,
            "is_customer": bool(organisation and organisation.kind is OrganisationKind.CUSTOMER),
        }

    def send_signing_again(self, actor: Actor) -> dict[str, str]:
        """An administrator of an organisation that has not signed the current agreement (never, or under an
        older model) has the signing link sent to its signatory: a new link, a few times a day."""
        person = actor.person
        if not person.has_role(Role.ADMINISTRATOR):  # R-ONB-3: the administrator acts for the organisation
            raise NotAllowed(ONLY_ADMINISTRATOR)
        organisation = self._directory.organisation(person.org_id)
        if organisation is None or organisation.kind is not OrganisationKind.CUSTOMER:
            raise InvalidRequest(NOT_A_CUSTOMER)
        if organisation.has_signed(self._current_agreement()):
            raise AlreadyDone(AGREEMENT_ALREADY_CURRENT)
        signatory = self._signings.signatory_of(organisation.org_id)
        if signatory is None:
            raise NotFound(NO_SIGNATORY)
        require(self._limits, SIGNING_AGAIN, self._clock(), organisation.org_id)
        self._send_signing_link(organisation, signatory, new_link_seed(), first=False)
        return {"sent_to": signatory.email, "signatory_name": signatory.name}

    # --- R-ONB-4: who is an organisation's administrator ---------------------------------------------------

    def find_administrators(self, actor: Actor, organisation: str, page: PageRequest) -> Page[dict[str, Any]]:
        """Customer service finds an organisation's administrators by its name or its organisation number."""
        if not actor.person.has_role(Role.CUSTOMER_SERVICE):
            raise NotAllowed(ONLY_CUSTOMER_SERVICE)
        if not organisation.strip():
            return Page([])
        found = self._organisations(organisation.strip())
        people = [
            {
                "org_id": org.org_id,
                "organisation_name": org.name,
                "org_number": org.org_number,
                "user_id": person.user_id,
                "name": person.name,
                "email": person.email,
                "phone": person.phone,
            }
            for org in found
            for person in self._directory.people(org.org_id, Role.ADMINISTRATOR)
        ]
        start = 0
        if page.cursor:
            if not page.cursor.isdigit() or len(page.cursor) > 6:
                raise bad_cursor()
            start = int(page.cursor)
        end = start + page.limit
        return Page(people[start:end], str(end) if end < len(people) else None)

    def _organisations(self, query: str) -> list[Organisation]:
        try:
            number = compact_org_number(query)  # read as the application form reads it
        except ValueError:
            return self._directory.organisations_named(query)
        found = self._directory.organisation_numbered(number)
        return [found] if found else self._directory.organisations_named(query)
