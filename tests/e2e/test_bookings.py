"""Bookings in real Chromium, as the demo practitioner uses them, in Norwegian bokmål: a booking by hand for a new
client in the series of an insurer case found by its id, the insurer and EHF shown before saving, the client's
invitation with its calendar file read in the local outbox, the series' limit refused on its field, and the
calendar by day and week with moving, cancelling and marking attended. axe-core on every page at both widths."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from stdnum.no import fodselsnummer

from chalicelib.bootstrap import container
from local import demo
from local.practice import PRACTITIONER, case
from tests.e2e.test_portal import accessible, browser, new_browser

__all__ = ["browser", "new_browser"]

pytestmark = [pytest.mark.browser]

PIA = PRACTITIONER.practitioner_id
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def pia(new_browser) -> Page:
    page = new_browser("nb-NO").new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
    page.get_by_label("Brukernavn").fill(PIA)
    page.get_by_label("Passord").fill(demo.PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_text("Logget inn som Pia Practitioner")).to_be_visible()
    return page


def a_case(maximum: int = 6) -> str:
    insurer_case = case(f"SAK-{uuid.uuid4().hex[:8]}", maximum)
    transaction = container().adapters.transactions.begin()
    container().adapters.booking_records.put_case(transaction, insurer_case, None)
    transaction.commit()
    return insurer_case.case_id


def a_day() -> date:
    return date(2029, 3, 5) + timedelta(days=uuid.uuid4().int % 600)


def an_identity_number() -> str:
    """A fødselsnummer of its own (valid check digits), so that each test's client is a new one (R-BKG-3)."""
    while True:
        day = date(1950, 1, 1) + timedelta(days=secrets.randbelow(20_000))
        base = f"{day:%d%m%y}{secrets.randbelow(500):03d}"
        k1 = 11 - sum(int(d) * w for d, w in zip(base, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:  # no valid number has this base
            continue
        first = base + str(k1)
        k2 = 11 - sum(int(d) * w for d, w in zip(first, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        number = first + str(k2)
        if k2 < 10 and fodselsnummer.is_valid(number):
            return number


def new_client(page: Page, name: str, email: str, identity: str | None = None) -> str:
    page.get_by_role("link", name="Ny time", exact=True).first.click()
    expect(page.get_by_role("heading", name="Ny time: klienten")).to_be_visible()
    page.get_by_label("Navn").fill(name)
    page.get_by_label("E-post").fill(email)
    number = identity or an_identity_number()
    page.get_by_label("Fødselsnummer eller D-nummer").fill(number)
    page.get_by_role("button", name="Fortsett").click()
    expect(page.get_by_role("heading", name=f"Ny time for {name}")).to_be_visible()
    return number


def fill_booking(page: Page, day: date, at: str, case_id: str | None = None) -> None:
    if case_id:
        page.get_by_label("Eller en ny serie: forsikringsselskapets saksnummer").fill(case_id)
    page.get_by_label("Dato").fill(day.isoformat())
    page.get_by_label("Klokkeslett (norsk tid)").fill(at)


def test_a_booking_by_hand_finds_the_series_by_case_id_and_invites_the_client_with_a_calendar_file(pia: Page):
    tag = uuid.uuid4().hex[:6]
    name, email, case_id, day = f"Kari Nordmann {tag}", f"kari.{tag}@example.org", a_case(), a_day()
    number = new_client(pia, name, email)
    expect(pia.get_by_text(f"•••••••••{number[-2:]}")).to_be_visible()  # the identity number, masked
    expect(pia.get_by_text(number)).to_have_count(0)
    accessible(pia, "bookings-form")
    fill_booking(pia, day, "10:30", case_id)
    pia.get_by_label("Inviter klienten: send timen på e-post med en kalenderfil").check()
    pia.get_by_role("button", name="Kontroller timen").click()
    expect(pia.get_by_role("heading", name="Kontroller timen")).to_be_visible()
    expect(pia.locator("#recipient")).to_contain_text("Trygg Forsikring ASA")
    expect(pia.locator("#billing")).to_contain_text("EHF")
    expect(pia.locator("#when")).to_contain_text("10:30 (Europe/Oslo)")
    accessible(pia, "bookings-check")
    pia.get_by_role("button", name="Lagre timen").click()
    expect(pia.get_by_text("Timen er lagret, og klienten har fått timen på e-post med en kalenderfil.")).to_be_visible()
    expect(pia.get_by_text("1 av 6 timer brukt, 5 igjen")).to_be_visible()
    accessible(pia, "bookings-calendar")

    # The client's mail, read in the local outbox: in Norwegian, with the calendar file in Norwegian time.
    outbox = pia.context.new_page()
    row = outbox.locator("tr.email").filter(has_text=email).first
    for _ in range(60):
        outbox.goto("/outbox")
        if row.count():
            break
        outbox.wait_for_timeout(250)
    expect(row).to_contain_text("Din time hos Pia Practitioner")
    expect(row).to_contain_text("avtale.ics")
    row.get_by_role("link", name="Read").click()
    expect(outbox.get_by_text("kl. 10:30 (norsk tid)", exact=False)).to_be_visible()
    calendar_file = outbox.locator("section.attachment pre").inner_text()
    assert "BEGIN:VTIMEZONE" in calendar_file and "TZID:Europe/Oslo" in calendar_file
    assert f"DTSTART;TZID=Europe/Oslo:{day.strftime('%Y%m%d')}T103000" in calendar_file
    outbox.close()


def test_a_booking_beyond_the_series_maximum_is_refused_on_the_series_field(pia: Page):
    tag = uuid.uuid4().hex[:6]
    name, case_id, day = f"Per Hansen {tag}", a_case(maximum=1), a_day()
    new_client(pia, name, f"per.{tag}@example.org")
    fill_booking(pia, day, "09:00", case_id)
    pia.get_by_role("button", name="Kontroller timen").click()
    pia.get_by_role("button", name="Lagre timen").click()
    expect(pia.get_by_text("Timen er lagret.")).to_be_visible()
    pia.get_by_role("link", name=f"Book ny time for {name}").click()
    fill_booking(pia, day, "11:00")  # the client's open series is chosen first
    pia.get_by_role("button", name="Kontroller timen").click()
    summary = pia.locator("#error-summary")
    expect(summary).to_contain_text("Det er et problem")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#series_id")
    accessible(pia, "bookings-series-full")


def test_the_calendar_by_day_and_week_moves_cancels_and_marks_attended(pia: Page):
    tag = uuid.uuid4().hex[:6]
    name, case_id = f"Ola Nordmann {tag}", a_case(maximum=3)
    day = datetime.now(OSLO).date() - timedelta(days=1 + uuid.uuid4().int % 400)
    new_client(pia, name, f"ola.{tag}@example.org")
    form_url = pia.url  # the booking form of the new client
    for at in ("08:00", "12:00"):
        pia.goto(form_url)
        fill_booking(pia, day, at, case_id if at == "08:00" else None)
        pia.get_by_role("button", name="Kontroller timen").click()
        pia.get_by_role("button", name="Lagre timen").click()
        expect(pia.get_by_text("Timen er lagret.")).to_be_visible()
    expect(pia.get_by_text("2 av 3 timer brukt, 1 igjen").first).to_be_visible()
    second = pia.locator("li.booking").filter(has_text=name).nth(1)
    second.get_by_label("Klokkeslett").fill("14:15")
    second.get_by_role("button", name="Flytt").click()
    expect(pia.get_by_text("Timen er flyttet; klienten og du har fått beskjed.")).to_be_visible()
    expect(pia.get_by_role("heading", name=re.compile(f"14:15.*{name}"))).to_be_visible()
    pia.locator("li.booking").filter(has_text="14:15").get_by_role("button", name="Avlys timen").click()
    expect(pia.get_by_text("Timen er avlyst", exact=False)).to_be_visible()
    expect(pia.get_by_text("1 av 3 timer brukt, 2 igjen").first).to_be_visible()
    pia.locator("li.booking").filter(has_text=name).get_by_role("button", name="Merk som møtt").click()
    expect(pia.locator("#invoice-made")).to_be_visible()
    expect(pia.get_by_text("Fakturert til Trygg Forsikring ASA med EHF.")).to_be_visible()
    pia.get_by_role("link", name="Vis uken").click()
    expect(pia.locator("#range")).to_contain_text("Fra")
    expect(pia.get_by_role("heading", name=re.compile(f"08:00.*{name}"))).to_be_visible()
    accessible(pia, "bookings-week")
