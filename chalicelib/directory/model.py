"""Organisations and what the directory knows of them (R-ONB-1), the rules over their people (R-ONB-3), and
the portal's web sessions."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers
from pydantic import ConfigDict, Field

from chalicelib.directory.reasons import (
    CSRF_NOT_VALID,
    INVITATION_EXPIRED,
    INVITATION_USED,
    LAST_ADMINISTRATOR,
    NO_ROLE,
    PHONE_NOT_VALID,
    ROLE_NOT_FOR_ORGANISATION,
)
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import AlreadyDone, Expired, InvalidRequest, NotAllowed
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language


def comparable_name(name: str) -> str:
    """A name as it is looked up: "region  NORRBY" finds "Region Norrby" (case, spacing and Unicode's
    composed and decomposed letters alike)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class OrganisationKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    PROVIDER = "provider"
    # Orders only through its orderers, whom it creates or approves (DOMAIN.md Flow 3, R-REQ-5).
    REQUISITIONER = "requisitioner"
    # A practice whose practitioners receive insurance bookings (DOMAIN.md Flow 4).
    PRACTICE = "practice"


class SavedInvoiceDetails(Model):
    """An invoice address and reference an organisation keeps for reuse."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: str
    address: str
    reference: str


class Organisation(Model):
    model_config = ConfigDict(extra="forbid")

    org_id: str
    name: str
    kind: OrganisationKind
    org_number: str | None = Field(default=None, description="Swedish organisation number, ten digits")
    signed_agreement_version: int | None = None
    serves_customers: list[str] = Field(default_factory=list, description="agents only: customer org ids")
    source_systems: list[str] | None = Field(
        default=None,
        description="agents only: the catalogue's source systems of theirs they take orders for; none said: all",
    )
    invoice_details: list[SavedInvoiceDetails] = Field(default_factory=list)

    def has_signed(self, current_version: int) -> bool:
        # R-ONB-1: an agreement under an older model does not count.
        return self.signed_agreement_version == current_version

    def saved_invoice(self, invoice_id: str) -> SavedInvoiceDetails | None:
        return next((saved for saved in self.invoice_details if saved.invoice_id == invoice_id), None)


@dataclass(frozen=True)
class SessionLifetimes:
    """How long a web session lasts: at most `absolute` after sign-in, and `idle` after it was last used. The
    idle expiry is written at most once per `touch_every`, so a page view is not a write every time."""

    absolute: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=30)
    touch_every: timedelta = timedelta(minutes=1)


def session_key(cookie_value: str) -> str:
    """What the table keys a session by: the cookie value's SHA-256, so a copy of the table opens no session."""
    return hashlib.sha256(cookie_value.encode()).hexdigest()


class WebSession(Model):
    """A person signed in to the portal, referenced by an opaque cookie value that is never stored."""

    model_config = ConfigDict(extra="forbid")

    key: str  # session_key(cookie value)
    user_id: str
    org_id: str
    language: Language = Language.SV
    csrf_token: str = Field(repr=False)
    created_at: datetime
    expires_at: datetime  # absolute: no use extends it
    idle_expires_at: datetime  # moved on by use, never past `expires_at`
    acting_as: str | None = None  # R-REQ-5: the orderer a requisitioner switched to, until it switches back

    @classmethod
    def start(
        cls, user_id: str, org_id: str, language: Language, now: datetime, lifetimes: SessionLifetimes
    ) -> NewSession:
        """A new session and its cookie value: 256 random bits each for the cookie and the CSRF token."""
        cookie_value = secrets.token_urlsafe(32)
        expires_at = now + lifetimes.absolute
        session = cls(
            key=session_key(cookie_value),
            user_id=user_id,
            org_id=org_id,
            language=language,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=expires_at,
            idle_expires_at=min(now + lifetimes.idle, expires_at),
        )
        return NewSession(session=session, cookie_value=cookie_value)

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at and now < self.idle_expires_at

    def touch(self, now: datetime, lifetimes: SessionLifetimes) -> WebSession | None:
        """The session used at `now`, its idle expiry moved on, when that is worth a write: once the last write
        is `touch_every` old, or to reach the absolute expiry. None when the stored session will do."""
        moved_on = min(now + lifetimes.idle, self.expires_at)
        if moved_on <= self.idle_expires_at:
            return None
        if moved_on - self.idle_expires_at < lifetimes.touch_every and moved_on < self.expires_at:
            return None
        return self.model_copy(update={"idle_expires_at": moved_on})

    def require_csrf(self, token: str | None) -> None:
        """A form or request that changes something must carry this session's CSRF token."""
        if not token or not hmac.compare_digest(self.csrf_token.encode(), token.encode()):
            raise NotAllowed(CSRF_NOT_VALID)


@dataclass(frozen=True)
class NewSession:
    """A session just started, with the cookie value that opens it: handed out once, never stored or logged."""

    session: WebSession
    cookie_value: str = field(repr=False)


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(Model):
    """An e-mailed link for one person to choose their password: their first (an account someone else made for
    them) or a new one. Made like an approval link (`shared/links.py`): the table keeps the seed and the link's
    hash, never the link. Used once."""

    model_config = ConfigDict(extra="forbid")

    key: str  # the link's hash
    seed: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def require_usable(self, now: datetime) -> None:
        if self.used_at is not None:
            raise AlreadyDone(INVITATION_USED)
        if now >= self.expires_at:
            raise Expired(INVITATION_EXPIRED)


# --- an organisation's people (R-ONB-3) ----------------------------------------------------------------------

# The roles each kind of organisation gives its people: a customer orders and attests (R-ONB-2), an agent
# handles and attests its customers' orders, the provider serves everyone, a requisitioner orders through its
# orderers.
ROLES_BY_KIND: dict[OrganisationKind, tuple[Role, ...]] = {
    OrganisationKind.CUSTOMER: (Role.ADMINISTRATOR, Role.ORDERER, Role.ATTESTER),
    OrganisationKind.AGENT: (Role.ADMINISTRATOR, Role.AGENT_CASE_HANDLER, Role.ATTESTER),
    OrganisationKind.PROVIDER: (Role.ADMINISTRATOR, Role.CUSTOMER_SERVICE, Role.OPERATIONS),
    # A requisitioner's orderers are made on its orderers' pages (R-REQ-1), which keep their approval with them.
    OrganisationKind.REQUISITIONER: (Role.ADMINISTRATOR, Role.REQUISITIONER, Role.ATTESTER),
    OrganisationKind.PRACTICE: (Role.PRACTITIONER,),
}
PHONE_REGION = "SE"  # a number typed without a country code is Swedish
MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def roles_for(organisation: Organisation, roles: list[Role]) -> list[Role]:
    """The roles in the order the kind lists them, each once; refused naming `roles` when there is none or one
    the kind does not give."""
    given = ROLES_BY_KIND[organisation.kind]
    for role in roles:
        if role not in given:
            raise InvalidRequest(ROLE_NOT_FOR_ORGANISATION, field="roles", role=role.value)
    if not roles:
        raise InvalidRequest(NO_ROLE, field="roles")
    return [role for role in given if role in roles]


def mobile_number(typed: str) -> str:
    """A mobile number as SMS are sent to it, E.164 (`+46701234567`); one without a country code is Swedish.
    Anything else, a landline included (no SMS reaches it), is refused naming `phone`."""
    try:
        number = phonenumbers.parse(typed, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidRequest(PHONE_NOT_VALID, field="phone") from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidRequest(PHONE_NOT_VALID, field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked_phone(phone: str | None) -> str | None:
    """A stored number as pages and answers show it: the country code, the first two and the last two digits
    (`+46 70 ••• •• 67`), enough to recognise it and not enough to call it."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return "•" * 6
    country, _, national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL).partition(
        " "
    )
    digits = sum(character.isdigit() for character in national)
    shown: list[str] = []
    seen = 0
    for character in national:
        if character.isdigit():
            seen += 1
            shown.append(character if seen <= 2 or seen > digits - 2 else "•")
        else:
            shown.append(character)
    return f"{country} {''.join(shown)}"


def comparable_email(email: str) -> str:
    """An e-mail address as duplicates are found: `Nina@Example.org` is `nina@example.org`."""
    return unicodedata.normalize("NFC", email.strip()).casefold()


def new_user_id(name: str, org_id: str, request_key: str) -> str:
    """A person's id, which is also their username: readable (from the name) and the same for every try of one
    request (a double submit adds one person)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = ".".join(part for part in re.split(r"[^a-z0-9]+", ascii_name) if part)[:40] or "person"
    digest = hashlib.sha256(f"{org_id}\n{request_key}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


def keeps_an_administrator(people: list[Person], field: str | None = "roles") -> None:
    """R-ONB-3: an organisation always has an administrator, or nobody could manage its people. A change that
    would leave it none (taking the role from, or removing, the last one, oneself included) is refused."""
    if not any(person.has_role(Role.ADMINISTRATOR) for person in people):
        raise InvalidRequest(LAST_ADMINISTRATOR, field=field)


class RemovedPerson(Model):
    """What the directory keeps of a person it no longer has: who, of which organisation, removed when and by
    whom; no address or number (docs/decisions.md). Orders and their history keep the names they were made
    with; this lets a removal interrupted half-way be finished, and tells an administrator who removed whom."""

    model_config = ConfigDict(extra="forbid")

    user_id: str
    org_id: str
    name: str
    removed_at: datetime
    removed_by: str
