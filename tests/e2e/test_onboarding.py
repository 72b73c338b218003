"""Customer onboarding in real Chromium (DOMAIN.md Flow 1), in Swedish: an organisation applies on the public
page, the provider's administrator approves it from the portal, the signatory signs the agreement from the
e-mailed link with the code from the SMS (R-ONB-1), and the administrator chooses a password from the
invitation and signs in. Mails and texts are read in the local outbox, as in test_portal.py."""

from __future__ import annotations

import random
import re
import uuid

from playwright.sync_api import BrowserContext, Page, expect
from stdnum import luhn

from tests.e2e.test_portal import accessible, browser, new_browser, signed_in

__all__ = ["browser", "new_browser", "signed_in"]

PASSWORD = "A-good-pass-2027"


def mailed_link(context: BrowserContext, address: str, subject: str, words: str) -> str:
    """The link named `words` in the newest mail to `address` whose subject holds `subject`, read in the outbox."""
    outbox = context.new_page()
    row = outbox.locator("tr.email").filter(has_text=address).filter(has_text=subject).first
    for _ in range(80):
        outbox.goto("/outbox")
        if row.count():
            break
        outbox.wait_for_timeout(250)
    row.get_by_role("link", name="Read").click()
    link = outbox.get_by_role("link", name=words).get_attribute("href")
    outbox.close()
    assert link
    return link


def code_texted(context: BrowserContext, phone: str) -> str:
    """The code in the newest SMS to the phone, read in another tab, as on the signatory's phone."""
    tab = context.new_page()
    tab.goto("/outbox")
    text = tab.locator("tr.sms").filter(has_text=phone).first.locator("td").nth(1).inner_text()
    tab.close()
    match = re.match(r"(\d{6}) ", text)
    assert match, "the SMS holds no code"
    return match[1]


def apply(page: Page, organisation: str, number: str, tag: str, mobile: str) -> None:
    page.goto("/apply")
    expect(page.get_by_role("heading", name="Ansök om att bli kund")).to_be_visible()
    page.get_by_role("button", name="Skicka ansökan").click()  # empty: every field is named
    expect(page.get_by_role("alert")).to_contain_text("Ange organisationens namn")
    accessible(page, "onboarding-apply-errors")
    fields = {
        "#organisation_name": organisation,
        "#org_number": number,
        "#administrator-name": "Alma Administratör",
        "#administrator-email": f"alma-{tag}@e2e.example",
        "#signatory-name": "Sixten Signatär",
        "#signatory-email": f"sixten-{tag}@e2e.example",
        "#signatory-phone": mobile,
        "#agreement_contact-name": "Karl Kontakt",
        "#agreement_contact-email": f"karl-{tag}@e2e.example",
    }
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    page.get_by_role("button", name="Skicka ansökan").click()
    expect(page.get_by_role("heading", name="Ansökan är skickad")).to_be_visible()
    accessible(page, "onboarding-sent")


def test_an_organisation_applies_is_approved_signs_and_its_administrator_signs_in(new_browser, signed_in):
    tag = uuid.uuid4().hex[:8]
    organisation = f"Vårdcentralen E2E {tag} AB"
    base = f"55{random.randrange(10**7):07d}"
    number = base + luhn.calc_check_digit(base)
    mobile = f"+4670{random.randrange(10**7):07d}"
    applicant = new_browser().new_page()
    apply(applicant, organisation, f"{number[:6]}-{number[6:]}", tag, mobile)

    # The provider's administrator decides it from her own list (DOMAIN.md Flow 1 step 2).
    petra = signed_in("petra.provider")
    task = petra.get_by_role("link", name=f"Besluta om kundansökan från {organisation}")
    for _ in range(40):
        petra.goto("/pending")
        if task.count():
            break
        petra.wait_for_timeout(250)
    task.click()
    expect(petra.get_by_role("heading", level=1)).to_have_text(f"Kundansökan från {organisation}")
    accessible(petra, "onboarding-application")
    petra.get_by_label("Godkänn: skapa organisationen och dess konton").check()
    petra.get_by_role("button", name="Registrera beslutet").click()
    expect(petra.get_by_text("Ditt beslut är registrerat.")).to_be_visible()

    # The signatory signs from the e-mailed link with a code sent by SMS (R-ONB-1).
    signatory = new_browser()
    link = mailed_link(signatory, f"sixten-{tag}@e2e.example", "Underteckna kundavtalet", "Underteckna avtalet")
    signing = signatory.new_page()
    signing.goto(link)
    expect(signing.get_by_role("heading", name="Underteckna kundavtalet")).to_be_visible()
    accessible(signing, "onboarding-signing")
    signing.get_by_role("button", name="Skicka mig en engångskod med sms").click()
    expect(signing.get_by_role("status").filter(has_text="En engångskod har skickats")).to_contain_text(mobile[-3:])
    signing.get_by_label("Engångslösenord", exact=True).fill(code_texted(signatory, mobile))
    signing.get_by_role("button", name="Underteckna avtalet").click()
    expect(signing.get_by_role("heading", name="Avtalet är undertecknat")).to_be_visible()
    accessible(signing, "onboarding-signed")

    # The administrator chooses a password from the invitation, and signs in with it.
    admin = new_browser()
    invitation = mailed_link(admin, f"alma-{tag}@e2e.example", "Välj ditt lösenord", "Välj ditt lösenord")
    page = admin.new_page()
    page.goto(invitation)
    page.get_by_label("Nytt lösenord").fill(PASSWORD)
    page.get_by_label("Det nya lösenordet igen").fill(PASSWORD)
    page.get_by_role("button", name="Spara lösenordet och logga in").click()
    expect(page.get_by_text("Inloggad som Alma Administratör")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()
    page.get_by_label("Användarnamn").fill(f"{number}.admin")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text("Inloggad som Alma Administratör")).to_be_visible()
    page.goto("/agreement")
    expect(page.get_by_text("har undertecknat det gällande kundavtalet")).to_be_visible()


def test_the_onboarding_pages_of_the_provider_customer_service_and_an_administrator_pass_axe(signed_in):
    petra = signed_in("petra.provider")
    petra.goto("/applications")
    expect(petra.get_by_role("link", name="Vårdcentralen Solgläntan AB")).to_be_visible()  # the demo's
    accessible(petra, "onboarding-applications")
    kim = signed_in("kim.service")
    kim.goto("/administrators")
    kim.get_by_label("Organisationens namn eller organisationsnummer").fill("232100-0164")
    kim.get_by_role("button", name="Sök").click()
    expect(kim.get_by_role("rowheader", name="Ada Administrator")).to_be_visible()  # R-ONB-4
    accessible(kim, "onboarding-administrators")
    greta = signed_in("greta.admin")
    expect(greta.get_by_role("link", name="Låt er firmatecknare underteckna det")).to_be_visible()  # R-ONB-1
    greta.goto("/agreement")
    expect(greta.get_by_text("enligt en äldre modell")).to_be_visible()
    accessible(greta, "onboarding-agreement")
