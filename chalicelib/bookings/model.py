"""Bookings' model (Flow 4): practitioners and their clients, insurer cases, the series a case sets, and the
appointments booked in a series. Pure: plain Python, pydantic and python-stdnum."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, ConfigDict, Field, field_validator
from stdnum.exceptions import ValidationError
from stdnum.no import fodselsnummer, mva, orgnr

from chalicelib.bookings.reasons import (
    BAD_TIME,
    BOOKING_CLOSED,
    NOT_A_VAT_NUMBER,
    NOT_AN_IDENTITY_NUMBER,
    NOT_AN_ORGANISATION_NUMBER,
    SERIES_CLOSED,
    SERIES_FULL,
)
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import InvalidRequest

# A practitioner's time is held in five-minute marks: each mark a booking covers is written once (the adapter's
# conditional write), so two bookings can never hold the same mark.
SLOT_MINUTES = 5
# The practitioners' days are Norwegian days.
CALENDAR_ZONE = ZoneInfo("Europe/Oslo")
LONGEST_APPOINTMENT_MINUTES = 180


class _Model(Model):
    model_config = ConfigDict(extra="forbid")


# --- identity and organisation numbers ------------------------------------------------------------------------


def identity_number(value: str, field: str = "identity_number") -> str:
    """A Norwegian fødselsnummer or D-number in its compact form, checked (both check digits) by python-stdnum."""
    try:
        return str(fodselsnummer.validate(value))
    except ValidationError:
        raise InvalidRequest(NOT_AN_IDENTITY_NUMBER, field=field) from None


def identity_lookup(key: bytes, number: str) -> str:
    """The keyed hash a client is found by: without the key, a copy of the table tells no identity number
    (the eleven digits hold too little to resist guessing an unkeyed hash)."""
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def masked_identity(number: str) -> str:
    """What a page shows of an identity number: the last two digits."""
    return f"{'•' * (len(number) - 2)}{number[-2:]}"


def organisation_number(value: str, field: str = "organisation_number") -> str:
    """A Norwegian organisation number (nine digits, mod 11), compact."""
    try:
        return str(orgnr.validate(value))
    except ValidationError:
        raise InvalidRequest(NOT_AN_ORGANISATION_NUMBER, field=field) from None


def vat_number(value: str, field: str = "vat_number") -> str:
    """A Norwegian VAT number (`NO` + organisation number + `MVA`), in that written form."""
    try:
        compact = str(mva.validate(value))
    except ValidationError:
        raise InvalidRequest(NOT_A_VAT_NUMBER, field=field) from None
    return f"NO{compact.removeprefix('NO').removesuffix('MVA')}MVA"


# --- who -----------------------------------------------------------------------------------------------------


class PostalAddress(_Model):
    street: str
    postcode: str
    city: str
    country: str = "NO"


class Party(_Model):
    """A business on an invoice: the practitioner's (seller) or the insurer (buyer)."""

    name: str
    organisation_number: str  # checked with organisation_number() when made
    address: PostalAddress
    vat_number: str | None = None  # only a VAT-registered business has one

    @property
    def peppol_id(self) -> str:
        """Its Peppol participant id: scheme 0192 is the Norwegian organisation number."""
        return f"0192:{self.organisation_number}"


class Practitioner(_Model):
    """A therapist who receives bookings (seed 004), and the business that invoices the insurer."""

    practitioner_id: str
    name: str
    email: str
    language: str = "nb"
    business: Party
    bank_account: str  # where the insurer pays (the invoice's payment means)


class Insurer(_Model):
    insurer_id: str
    party: Party

    @property
    def name(self) -> str:
        return self.party.name


class ClientSource(StrEnum):
    MANUAL = "manual"
    INBOUND = "inbound"  # R-BKG-3: made from a booking event


class Client(_Model):
    """A practitioner's client. The identity number is kept only as its keyed hash and a masked form."""

    client_id: str
    practitioner_id: str
    name: str
    email: str | None = None
    identity_hash: str | None = None
    identity_masked: str | None = None
    language: str = "nb"
    source: ClientSource = ClientSource.MANUAL
    created_at: datetime


def comparable_email(email: str) -> str:
    return email.strip().lower()


# --- what is booked ----------------------------------------------------------------------------------------


class Service(_Model):
    """A kind of appointment, as the insurer's case names it, and what one costs the insurer."""

    code: str
    name: str
    minutes: int = Field(ge=SLOT_MINUTES, le=LONGEST_APPOINTMENT_MINUTES)
    price_ore: int = Field(ge=0)  # NOK, in øre: amounts stay exact
    vat_percent: int = Field(default=0, ge=0, le=25)  # health care is exempt from VAT unless the case says


class Billing(StrEnum):
    EHF = "ehf"  # the Norwegian e-invoice: Peppol BIS Billing 3.0


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InsurerCase(_Model):
    """An insurer's case (sakID): who is treated, by whom, for what, how many times (R-BKG-4)."""

    case_id: str
    insurer: Insurer
    practitioner_id: str
    service: Service
    max_appointments: int = Field(ge=1, le=1000)
    status: CaseStatus = CaseStatus.OPEN
    updated_at: datetime


class SeriesStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class BookingSource(StrEnum):
    MANUAL = "manual"  # R-BKG-5: entered by the practitioner
    INBOUND = "inbound"  # R-BKG-1: booked by the client through the network or the insurer


class Series(_Model):
    """The appointments one insurer case pays for (R-BKG-4): keyed by the case id, invoiced to the insurer by
    EHF, limited to the case's number of appointments. `used` counts the bookings that hold an appointment."""

    series_id: str  # the insurer's case id
    practitioner_id: str
    client_id: str
    insurer: Insurer
    service: Service
    max_appointments: int
    billing: Billing = Billing.EHF
    used: int = 0
    status: SeriesStatus = SeriesStatus.OPEN
    created_at: datetime

    @classmethod
    def from_case(cls, case: InsurerCase, client_id: str, now: datetime) -> Series:
        """R-BKG-4: the case id sets everything: the insurer as invoice recipient, EHF, the service, the maximum."""
        return cls(
            series_id=case.case_id,
            practitioner_id=case.practitioner_id,
            client_id=client_id,
            insurer=case.insurer,
            service=case.service,
            max_appointments=case.max_appointments,
            status=SeriesStatus.OPEN if case.status is CaseStatus.OPEN else SeriesStatus.CLOSED,
            created_at=now,
        )

    @property
    def invoice_recipient(self) -> Party:
        return self.insurer.party

    @property
    def left(self) -> int:
        """R-BKG-6: the appointments left of the maximum (never below none, though inbound ones may go over)."""
        return max(self.max_appointments - self.used, 0)

    @property
    def full(self) -> bool:
        return self.used >= self.max_appointments

    def updated_from(self, case: InsurerCase) -> Series:
        """The insurer changed its case: a new maximum or service applies to what is booked from now on."""
        return self.model_copy(
            update={
                "insurer": case.insurer,
                "service": case.service,
                "max_appointments": case.max_appointments,
                "status": SeriesStatus.OPEN if case.status is CaseStatus.OPEN else SeriesStatus.CLOSED,
            }
        )

    def take(self, source: BookingSource) -> tuple[Series, bool]:
        """One appointment more; returns the series and whether the booking goes beyond what the case allows.
        R-BKG-4: by hand, an appointment beyond the maximum (or in a closed series) is refused; an inbound one
        is already booked by the client, so it is kept and flagged for the practitioner."""
        beyond = self.full or self.status is SeriesStatus.CLOSED
        if beyond and source is BookingSource.MANUAL:
            if self.status is SeriesStatus.CLOSED:
                raise InvalidRequest(SERIES_CLOSED, field="series_id")
            raise InvalidRequest(SERIES_FULL, field="series_id", maximum=self.max_appointments)
        return self.model_copy(update={"used": self.used + 1}), beyond

    def give_back(self) -> Series:
        """A cancelled booking's appointment is the series' again."""
        return self.model_copy(update={"used": max(self.used - 1, 0)})


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


def time_slots(starts_at: datetime, minutes: int, field: str = "starts_at") -> list[str]:
    """The five-minute marks an appointment covers, in UTC, as the calendar stores them."""
    if starts_at.tzinfo is None:
        raise InvalidRequest(BAD_TIME, field=field)
    start = starts_at.astimezone(UTC)
    if (
        start.minute % SLOT_MINUTES
        or start.second
        or start.microsecond
        or minutes % SLOT_MINUTES
        or not SLOT_MINUTES <= minutes <= LONGEST_APPOINTMENT_MINUTES
    ):
        raise InvalidRequest(BAD_TIME, field=field)
    return [
        (start + timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%MZ") for offset in range(0, minutes, SLOT_MINUTES)
    ]


class Booking(_Model):
    """One appointment in a practitioner's calendar (R-BKG-2). `over_limit` flags an inbound booking beyond
    its series' maximum, for the practitioner to settle with the insurer (R-BKG-4)."""

    booking_id: str
    practitioner_id: str
    client_id: str
    series_id: str | None = None
    service: Service
    starts_at: AwareDatetime
    minutes: int
    status: BookingStatus = BookingStatus.BOOKED
    source: BookingSource = BookingSource.MANUAL
    over_limit: bool = False
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @field_validator("starts_at")
    @classmethod
    def _in_utc(cls, starts_at: datetime) -> datetime:
        return starts_at.astimezone(UTC)  # stored and compared in one zone; shown in Norwegian time

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def slots(self) -> list[str]:
        return time_slots(self.starts_at, self.minutes)

    @property
    def holds_time(self) -> bool:
        """A cancelled booking frees its time; an attended one keeps it (it happened)."""
        return self.status is not BookingStatus.CANCELLED

    def moved(self, starts_at: datetime, minutes: int, now: datetime) -> Booking:
        self._still_open()
        time_slots(starts_at, minutes)
        return self.model_copy(
            update={
                "starts_at": starts_at.astimezone(UTC),
                "minutes": minutes,
                "version": self.version + 1,
                "updated_at": now,
            }
        )

    def cancelled(self, now: datetime) -> Booking:
        self._still_open()
        return self.model_copy(
            update={"status": BookingStatus.CANCELLED, "version": self.version + 1, "updated_at": now}
        )

    def attended(self, now: datetime) -> Booking:
        self._still_open()
        return self.model_copy(
            update={"status": BookingStatus.ATTENDED, "version": self.version + 1, "updated_at": now}
        )

    def _still_open(self) -> None:
        if self.status is not BookingStatus.BOOKED:
            raise InvalidRequest(BOOKING_CLOSED, field="booking_id")
