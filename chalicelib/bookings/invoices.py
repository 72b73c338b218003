"""The invoice an attended appointment makes due: the series' line, from the practitioner's business to the
insurer (R-BKG-4), with amounts in øre so that nothing is rounded on the way to the EHF document."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import ConfigDict

from chalicelib.bookings.model import (
    Booking,
    BookingStatus,
    Party,
    Practitioner,
    Series,
    organisation_number,
    vat_number,
)
from chalicelib.bookings.reasons import BOOKING_CLOSED
from chalicelib.shared.deferred import Model

PAYMENT_DAYS = 14
# Health care given by an authorised practitioner is exempt from Norwegian VAT (merverdiavgiftsloven § 3-2).
VAT_EXEMPTION_REASON = "Helse- og omsorgstjenester, unntatt etter merverdiavgiftsloven § 3-2"


class InvoiceLine(Model):
    model_config = ConfigDict(extra="forbid")

    description: str
    quantity: int
    unit_price_ore: int
    vat_percent: int
    appointment_on: date

    @property
    def amount_ore(self) -> int:
        return self.quantity * self.unit_price_ore

    @property
    def vat_category(self) -> str:
        """UNCL5305: S (standard rate) or E (exempt)."""
        return "S" if self.vat_percent else "E"


class Invoice(Model):
    """One invoice per attended appointment: its number is the booking's, so producing it again makes the same."""

    model_config = ConfigDict(extra="forbid")

    number: str
    issued_on: date
    due_on: date
    buyer_reference: str  # the insurer's case id, so the insurer files it with the case
    seller: Party
    seller_bank_account: str
    buyer: Party
    lines: list[InvoiceLine]
    currency: str = "NOK"

    @property
    def net_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)

    @property
    def vat_ore(self) -> int:
        return sum(line.amount_ore * line.vat_percent // 100 for line in self.lines)

    @property
    def total_ore(self) -> int:
        return self.net_ore + self.vat_ore

    @property
    def document_key(self) -> str:
        """Where the access point finds it."""
        return f"ehf/{self.seller.organisation_number}/{self.number}.xml"


def invoice_for(booking: Booking, series: Series, practitioner: Practitioner) -> Invoice:
    """R-BKG-4: the series' line for one attended appointment, to the insurer. Organisation numbers (mod 11) and
    VAT numbers are checked again here: an invoice the access point would refuse is not made at all."""
    if booking.status is not BookingStatus.ATTENDED:
        raise ValueError(BOOKING_CLOSED.text)
    seller, buyer = _checked(practitioner.business, "seller"), _checked(series.invoice_recipient, "buyer")
    issued_on = booking.updated_at.date()
    return Invoice(
        number=booking.booking_id,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=PAYMENT_DAYS),
        buyer_reference=series.series_id,
        seller=seller,
        seller_bank_account=practitioner.bank_account,
        buyer=buyer,
        lines=[
            InvoiceLine(
                description=booking.service.name,
                quantity=1,
                unit_price_ore=booking.service.price_ore,
                vat_percent=booking.service.vat_percent,
                appointment_on=booking.starts_at.date(),
            )
        ],
    )


def _checked(party: Party, role: str) -> Party:
    return party.model_copy(
        update={
            "organisation_number": organisation_number(party.organisation_number, f"{role}.organisation_number"),
            "vat_number": vat_number(party.vat_number, f"{role}.vat_number") if party.vat_number else None,
        }
    )
