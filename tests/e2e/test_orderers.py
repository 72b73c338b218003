"""A requisitioner's orderers in real Chromium (DOMAIN.md Flow 3), in Swedish: someone registers as an orderer,
chooses a password from the mailed link and orders; the requisitioner attests, approves the orderer in the
portal, and the waiting order goes on to its case (R-REQ-3). Then the requisitioner switches to an orderer,
orders as them under a banner, and switches back (R-REQ-5). Mails and SMS codes are read in the local outbox."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from local import demo
from tests.e2e.test_portal import (
    WAIT_MS,
    accessible,
    attest,
    browser,
    new_browser,
    pending_step,
    signed_in,
)

__all__ = ["browser", "new_browser", "signed_in"]  # the fixtures, shared with the portal's tests

pytestmark = [pytest.mark.browser]


def invitation_link(page: Page, email: str) -> str:
    """The link to choose a password, from the mail in the outbox, as in the person's mail program."""
    outbox = page.context.new_page()
    row = outbox.locator("tr.email").filter(has_text=email).first
    for _ in range(80):
        outbox.goto("/outbox")
        if row.count():
            break
        outbox.wait_for_timeout(250)
    row.get_by_role("link", name="Read").click()
    link = outbox.get_by_role("link", name="Välj ditt lösenord").get_attribute("href")
    outbox.close()
    assert link
    return link


def order_directly(page: Page, attester: str) -> str:
    """A direct order through the form; its number."""
    page.get_by_role("link", name="Ny beställning").first.click()
    page.get_by_label("Webcert Fristående").check()
    page.get_by_label("Namn", exact=True).fill("Fjällby vårdcentral")
    page.get_by_label("HSA-id", exact=True).fill("SE2321000016-3001")
    page.locator(".declaration:visible input").first.check()
    page.get_by_label("En ny fakturaadress").check()
    page.get_by_label("Fakturaadress", exact=True).fill("Fjällby Rekvisition, Box 1\n981 00 Fjällby")
    page.get_by_label("Fakturareferens", exact=True).fill("FR-1")
    page.get_by_label("Attestant för beställningen").select_option(attester)
    page.get_by_label("Jag har läst och godkänner tjänstens villkor").check()
    page.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    page.get_by_role("button", name="Skicka beställningen").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("är skickad")
    return re.search(r"RITM\d{7}", heading.inner_text())[0]  # type: ignore[index]


def test_a_self_registered_orderer_is_approved_in_the_portal_and_the_waiting_order_gets_its_case(
    new_browser, signed_in
):
    email = f"sam-{uuid.uuid4().hex[:8]}@example.org"
    sam = new_browser().new_page()
    sam.goto("/sign-in")
    sam.get_by_role("link", name="Registrera dig som beställare hos en rekvirent").click()
    expect(sam.get_by_role("heading", name="Registrera dig som beställare")).to_be_visible()
    accessible(sam, "orderer-registration")
    sam.get_by_label("Namn").fill("Sam Självregistrerad")
    sam.get_by_label("E-post").fill(email)
    sam.get_by_label("Rekvirent").select_option(label="Fjällby Rekvisition")
    sam.get_by_role("button", name="Registrera").click()
    expect(sam.get_by_role("heading", name="Titta i din e-post")).to_be_visible()

    # R-REQ-3: the password is chosen through the mailed link, which signs Sam in.
    sam.goto(invitation_link(sam, email))
    sam.get_by_label("Nytt lösenord").fill(demo.PASSWORD)
    sam.get_by_label("Det nya lösenordet igen").fill(demo.PASSWORD)
    sam.get_by_role("button", name="Spara lösenordet och logga in").click()
    expect(sam.get_by_text("Inloggad som Sam Självregistrerad")).to_be_visible()
    number = order_directly(sam, "rita.requisitioner")  # an unapproved orderer can submit

    rita = signed_in("rita.requisitioner")
    pending_step(rita, "Attestera beställning", number)
    attest(rita, "rita.requisitioner", number)

    # The order waits before its case, in its history, until Rita approves Sam.
    order_page = sam.url.removesuffix("/submitted")
    sam.goto(order_page)
    history = sam.locator("#history")
    for _ in range(60):
        if history.get_by_text("Väntar på att rekvirenten godkänner beställaren").count():
            break
        sam.wait_for_timeout(250)
        sam.reload()
    expect(history).to_contain_text("Väntar på att rekvirenten godkänner beställaren")

    rita.get_by_role("link", name="Beställare", exact=True).click()
    waiting = rita.locator("#waiting-orderers")
    expect(waiting).to_contain_text("Sam Självregistrerad")
    expect(waiting).to_contain_text("beställningar som väntar på ditt godkännande: 1")
    accessible(rita, "orderers")
    waiting.get_by_role("button", name="Godkänn Sam Självregistrerad").click()
    expect(rita.get_by_text("Beställaren är godkänd.")).to_be_visible()

    for _ in range(80):
        if sam.locator(".status-completed").count():
            break
        sam.wait_for_timeout(250)
        sam.reload()
    expect(sam.locator(".lead .status")).to_have_text("Klar")
    history = sam.locator("#history")
    expect(history.get_by_role("row").filter(has_text="Beställaren godkänd")).to_contain_text("Rita Requisitioner")
    expect(history).to_contain_text("Ärende skapat")


def test_a_requisitioner_switches_to_an_orderer_orders_as_them_under_a_banner_and_switches_back(signed_in):
    rita = signed_in("rita.requisitioner")
    expect(rita.get_by_role("link", name="Ny beställning")).to_have_count(0)  # R-REQ-5: not offered
    rita.get_by_role("link", name="Beställare", exact=True).click()
    row = rita.locator("#orderers").get_by_role("row").filter(has_text="Oda Orderer")
    row.get_by_role("button", name="Växla till Oda Orderer").click()

    banner = rita.locator("#switch-banner")
    expect(banner).to_contain_text("Du, Rita Requisitioner, agerar som Oda Orderer.")
    expect(rita.get_by_text("Inloggad som Oda Orderer")).to_be_visible()
    accessible(rita, "switched-to-orderer")
    order_directly(rita, "rita.requisitioner")
    expect(banner).to_be_visible()  # on every page

    rita.goto(rita.url.removesuffix("/submitted"))
    # R-REQ-5: done by the orderer, on the requisitioner's behalf.
    submitted = rita.locator("#history").get_by_role("row").filter(has_text="Oda Orderer")
    expect(submitted).to_have_count(1)
    expect(submitted).to_contain_text("Skickad")
    expect(submitted).to_contain_text("för Rita Requisitioner räkning")

    rita.locator("#switch-banner").get_by_role("button", name="Växla tillbaka till Rita Requisitioner").click()
    expect(rita.locator("#switch-banner")).to_have_count(0)
    expect(rita.get_by_role("heading", name="Dina beställare", level=1)).to_be_visible(timeout=WAIT_MS)
    expect(rita.get_by_text("Inloggad som Rita Requisitioner")).to_be_visible()
