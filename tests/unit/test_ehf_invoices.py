"""EHF invoices (R-BKG-4): an attended appointment's line to the insurer as Peppol BIS Billing 3.0, valid against
the UBL 2.1 schema and the official CEN and Peppol rules, checked offline; a broken one is caught by its rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from chalicelib.bookings.ehf import CBC, ehf_invoice
from chalicelib.bookings.invoices import invoice_for
from chalicelib.bookings.model import Booking, BookingStatus, Series, organisation_number, vat_number
from chalicelib.shared.errors import InvalidRequest
from local.practice import INSURER, PHYSIOTHERAPY, PRACTITIONER, case
from tests.ehf import rule_failures, schema_errors

ATTENDED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def attended(**service_changes: object) -> tuple[Booking, Series]:
    series = Series.from_case(case("SAK-2026-1001"), "cl-0123456789abcdef", ATTENDED)
    booking = Booking(
        booking_id="bk-0123456789abcdef",
        practitioner_id=PRACTITIONER.practitioner_id,
        client_id="cl-0123456789abcdef",
        series_id=series.series_id,
        service=PHYSIOTHERAPY.model_copy(update=service_changes),
        starts_at=ATTENDED,
        minutes=45,
        status=BookingStatus.ATTENDED,
        created_at=ATTENDED,
        updated_at=ATTENDED,
    )
    return booking, series


def test_r_bkg_4_an_attended_appointment_makes_an_ehf_invoice_to_the_insurer_that_the_rules_accept():
    booking, series = attended()
    invoice = invoice_for(booking, series, PRACTITIONER)
    assert invoice.buyer == INSURER.party and invoice.buyer_reference == "SAK-2026-1001"
    assert (invoice.net_ore, invoice.vat_ore, invoice.total_ore) == (95_000, 0, 95_000)
    document = ehf_invoice(invoice)
    assert schema_errors(document) == []
    assert rule_failures(document) == []  # no error and no warning, CEN's or Peppol's
    root = etree.fromstring(document)
    assert root.find(f".//{{{CBC}}}PayableAmount").text == "950.00"  # type: ignore[union-attr]


def test_an_invoice_with_vat_at_the_standard_rate_is_accepted_too():
    booking, series = attended(vat_percent=25)
    practitioner = PRACTITIONER.model_copy(
        update={"business": PRACTITIONER.business.model_copy(update={"vat_number": "NO923609016MVA"})}
    )
    document = ehf_invoice(invoice_for(booking, series, practitioner))
    assert schema_errors(document) == []
    assert rule_failures(document) == []


def test_a_broken_invoice_is_caught_by_the_rule_it_breaks():
    """Totals that do not add up: EN 16931 BR-CO-15 (amount with VAT = amount without VAT + VAT)."""
    booking, series = attended()
    root = etree.fromstring(ehf_invoice(invoice_for(booking, series, PRACTITIONER)))
    root.find(f".//{{{CBC}}}TaxInclusiveAmount").text = "1000.00"  # type: ignore[union-attr]
    broken = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert schema_errors(broken) == []  # the schema cannot see it; the rules do
    failed = {failure["code"] for failure in rule_failures(broken, warnings=False)}
    assert "BR-CO-15" in failed


def test_an_invoice_without_its_buyer_reference_breaks_a_peppol_rule():
    booking, series = attended()
    root = etree.fromstring(ehf_invoice(invoice_for(booking, series, PRACTITIONER)))
    reference = root.find(f"{{{CBC}}}BuyerReference")
    assert reference is not None
    root.remove(reference)
    failed = {failure["code"] for failure in rule_failures(etree.tostring(root), warnings=False)}
    assert "PEPPOL-EN16931-R003" in failed


@pytest.mark.parametrize("number", ["923609017", "12345678", "NO923609016"])
def test_a_norwegian_organisation_number_is_checked_mod_11(number: str):
    with pytest.raises(InvalidRequest) as refused:
        organisation_number(number)
    assert refused.value.field == "organisation_number"


def test_a_norwegian_vat_number_is_checked_and_written_as_the_rules_want():
    assert vat_number("NO 923 609 016 MVA") == "NO923609016MVA"
    with pytest.raises(InvalidRequest):
        vat_number("NO923609017MVA")


def test_an_insurer_with_a_wrong_organisation_number_gets_no_invoice():
    booking, series = attended()
    wrong = INSURER.party.model_copy(update={"organisation_number": "995568218"})
    series = series.model_copy(update={"insurer": INSURER.model_copy(update={"party": wrong})})
    with pytest.raises(InvalidRequest) as refused:
        invoice_for(booking, series, PRACTITIONER)
    assert refused.value.field == "buyer.organisation_number"


def test_only_an_attended_appointment_is_invoiced():
    booking, series = attended()
    with pytest.raises(ValueError):
        invoice_for(booking.model_copy(update={"status": BookingStatus.BOOKED}), series, PRACTITIONER)
