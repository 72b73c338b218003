"""An administrator sets up their organisation's people in real Chromium (R-ONB-3, R-ONB-2): adds an orderer and
an attester, the new orderer chooses a password from the e-mailed invitation (read in the local outbox, as in
their mail program) and signs in. The attester is removed at the end: the demo organisation's attesters stay as
the other tests know them."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from chalicelib.bootstrap import container
from chalicelib.shared.identity import Actor
from tests.e2e import test_portal as portal
from tests.e2e.test_portal import accessible

# The portal's browser and its people's browsers, as the portal's own browser test has them.
browser, new_browser, signed_in = portal.browser, portal.new_browser, portal.signed_in
pytestmark = [pytest.mark.browser]
PASSWORD = "A-good-pass-2027"


def add_person(page: Page, name: str, email: str, role: str, phone: str) -> str:
    """Adds someone through the form; returns their username, as their page shows it."""
    page.get_by_role("link", name="Personer").first.click()
    expect(page.get_by_role("heading", name="Personer", level=1)).to_be_visible()
    page.get_by_role("link", name="Lägg till en person").click()
    page.get_by_label("Namn", exact=True).fill(name)
    page.get_by_label("E-post", exact=True).fill(email)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("Mobilnummer", exact=True).fill(phone)
    page.get_by_role("button", name="Lägg till och skicka inbjudan").click()
    expect(page.get_by_text("Personen är tillagd")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Nu \+46 70 ••• •• \d\d"))).to_be_visible()  # the number, masked
    username = re.search(r"Användarnamn: (\S+)", page.locator("main").inner_text())
    assert username is not None
    return username[1]


def invitation_link(page: Page, email: str) -> str:
    outbox = page.context.new_page()
    row = outbox.locator("tr.email").filter(has_text=email).first
    for _ in range(60):
        outbox.goto("/outbox")
        if row.count():
            break
        outbox.wait_for_timeout(250)
    row.get_by_role("link", name="Read").click()
    link = outbox.get_by_role("link", name="Välj ditt lösenord").get_attribute("href")
    outbox.close()
    assert link
    return link


def test_r_onb_3_an_administrator_adds_an_orderer_and_an_attester_and_the_orderer_signs_in(signed_in, new_browser):
    tag = uuid.uuid4().hex[:6]
    orderer_email, attester_email = f"nora-{tag}@region-norrby.example", f"atle-{tag}@region-norrby.example"
    ada = signed_in("ada.admin")
    # A wrong number is named beside its field, and nothing typed is lost.
    ada.get_by_role("link", name="Personer").first.click()
    ada.get_by_role("link", name="Lägg till en person").click()
    accessible(ada, "person-new")
    ada.get_by_label("Namn", exact=True).fill(f"Nora Ny {tag}")
    ada.get_by_label("E-post", exact=True).fill(orderer_email)
    ada.get_by_label("Beställare", exact=True).check()
    ada.get_by_label("Mobilnummer", exact=True).fill("08-123 456 78")
    ada.get_by_role("button", name="Lägg till och skicka inbjudan").click()
    expect(ada.locator("#phone-error")).to_contain_text("Ange ett mobilnummer")
    expect(ada.get_by_label("E-post", exact=True)).to_have_value(orderer_email)
    accessible(ada, "person-new-errors")

    orderer = add_person(ada, f"Nora Ny {tag}", orderer_email, "Beställare", "070-123 45 67")
    attester = add_person(ada, f"Atle Attestant {tag}", attester_email, "Attestant", "+46 70 765 43 21")
    try:
        accessible(ada, "person")
        ada.get_by_role("link", name="Tillbaka till personerna").click()
        expect(ada.get_by_role("link", name=f"Atle Attestant {tag}")).to_be_visible()
        accessible(ada, "people")

        # The orderer reads the invitation in their own browser, chooses a password and is signed in.
        nora = new_browser().new_page()
        nora.goto(invitation_link(nora, orderer_email))
        expect(nora.get_by_role("heading", name="Välj ditt lösenord")).to_be_visible()
        accessible(nora, "set-password")
        nora.get_by_label("Nytt lösenord").fill(PASSWORD)
        nora.get_by_label("Det nya lösenordet igen").fill(PASSWORD)
        nora.get_by_role("button", name="Spara lösenordet och logga in").click()
        expect(nora.get_by_text(f"Inloggad som Nora Ny {tag}")).to_be_visible()
        nora.get_by_role("button", name="Logga ut").click()
        nora.get_by_label("Användarnamn").fill(orderer)
        nora.get_by_label("Lösenord").fill(PASSWORD)
        nora.get_by_role("button", name="Logga in").click()
        expect(nora.get_by_text(f"Inloggad som Nora Ny {tag}")).to_be_visible()
        # R-ONB-2: her organisation has attesters, the new one among them, to choose on the order form.
        nora.get_by_role("link", name="Ny beställning").first.click()
        expect(nora.get_by_label("Attestant för beställningen")).to_contain_text(f"Atle Attestant {tag}")
        expect(nora.locator("#no-attester")).to_have_count(0)
    finally:
        administrator = container().adapters.directory.person("ada.admin")
        assert administrator is not None
        container().people.remove(Actor(signed_in=administrator), attester)
