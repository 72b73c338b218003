"""The demo's practice (seed 004): a practitioner, an insurer with open cases, and the partner that sends their
bookings. Shared by the local product and the tests."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.bookings.model import Insurer, InsurerCase, Party, PostalAddress, Practitioner, Service
from chalicelib.bookings.ports import BookingRecords
from chalicelib.shared.transactions import Transactions

OPENED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

PRACTITIONER = Practitioner(
    practitioner_id="pia.practitioner",
    name="Pia Practitioner",
    email="pia.practitioner@fysio.example",
    language="nb",
    business=Party(
        name="Fysio Pia AS",
        organisation_number="923609016",
        address=PostalAddress(street="Storgata 1", postcode="0155", city="Oslo"),
    ),
    bank_account="15032080119",
)
# Another practitioner, whose clients and bookings Pia must never see.
OTHER_PRACTITIONER = Practitioner(
    practitioner_id="ola.practitioner",
    name="Ola Practitioner",
    email="ola.practitioner@terapi.example",
    business=Party(
        name="Terapi Ola AS",
        organisation_number="986174613",
        address=PostalAddress(street="Kongens gate 2", postcode="7011", city="Trondheim"),
    ),
    bank_account="15032080119",
)

INSURER = Insurer(
    insurer_id="trygg-forsikring",
    party=Party(
        name="Trygg Forsikring ASA",
        organisation_number="995568217",
        address=PostalAddress(street="Forsikringsveien 10", postcode="0250", city="Oslo"),
        vat_number="NO995568217MVA",
    ),
)

PHYSIOTHERAPY = Service(code="fysio-45", name="Fysioterapi, 45 minutter", minutes=45, price_ore=95_000)

# The partner that sends the demo's bookings, and its signing secret: a published fake, as the demo password is.
PARTNER_ID = "helsenett-demo"
PARTNER_SECRET = "demo-partner-signing-secret-for-the-local-product"

# Synthetic identity numbers with valid check digits: a fødselsnummer and a D-number.
CLIENT_IDENTITY_NUMBER = "15089012357"
CLIENT_D_NUMBER = "41019012393"


def case(case_id: str, max_appointments: int = 6, practitioner: Practitioner = PRACTITIONER) -> InsurerCase:
    return InsurerCase(
        case_id=case_id,
        insurer=INSURER,
        practitioner_id=practitioner.practitioner_id,
        service=PHYSIOTHERAPY,
        max_appointments=max_appointments,
        updated_at=OPENED,
    )


CASES = (case("SAK-2026-1001"), case("SAK-2026-1002", max_appointments=2), case("SAK-2026-1003", max_appointments=10))


def seed_practice(records: BookingRecords, transactions: Transactions) -> None:
    """The practitioners and the insurer's open cases, as the local product starts with them."""
    for practitioner in (PRACTITIONER, OTHER_PRACTITIONER):
        records.put_practitioner(practitioner)
    for insurer_case in CASES:
        transaction = transactions.begin()
        records.put_case(transaction, insurer_case, None)
        transaction.commit()
