"""The directory issue's whole journey in real Chromium, in Swedish (DOMAIN.md Flow 1 then Flow 2): a new customer
applies, the provider's administrator is mailed and approves, the signatory signs the agreement from the e-mailed
link with the code from the SMS (R-ONB-1), the administrator chooses a password from the invitation and adds an
orderer and an attester (R-ONB-3, R-ONB-2), the orderer chooses a password and places a direct order, the attester
attests it with the code from the SMS (R-ORD-4), and the order reaches its case. Mails and texts are read in the
local outbox."""

from __future__ import annotations

import random
import re
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from stdnum import luhn

from tests.e2e.test_onboarding import apply, code_texted, mailed_link
from tests.e2e.test_people import add_person
from tests.e2e.test_portal import browser, new_browser, pending_step, signed_in

__all__ = ["browser", "new_browser", "signed_in"]  # the fixtures, shared with the portal's tests

pytestmark = [pytest.mark.browser]

PASSWORD = "A-good-pass-2027"


def choose_password(context: BrowserContext, email: str, name: str) -> Page:
    """The invitation read in the person's own mail, a password chosen, and the person signed in by it."""
    page = context.new_page()
    page.goto(mailed_link(context, email, "Välj ditt lösenord", "Välj ditt lösenord"))
    page.get_by_label("Nytt lösenord").fill(PASSWORD)
    page.get_by_label("Det nya lösenordet igen").fill(PASSWORD)
    page.get_by_role("button", name="Spara lösenordet och logga in").click()
    expect(page.get_by_text(f"Inloggad som {name}")).to_be_visible()
    return page


def order_directly(page: Page, attester: str, invoice_address: str) -> str:
    """A direct order through the form, attested by `attester` (their name as offered); its number."""
    page.get_by_role("link", name="Ny beställning").first.click()
    page.get_by_label("Webcert Fristående").check()
    page.get_by_label("Namn", exact=True).fill("Nya vårdcentralen")
    page.get_by_label("HSA-id", exact=True).fill("SE2321000016-4001")
    page.locator(".declaration:visible input").first.check()
    page.get_by_label("En ny fakturaadress").check()
    page.get_by_label("Fakturaadress", exact=True).fill(invoice_address)
    page.get_by_label("Fakturareferens", exact=True).fill("NY-1")
    page.get_by_label("Attestant för beställningen").select_option(label=attester)
    page.get_by_label("Jag har läst och godkänner tjänstens villkor").check()
    page.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    page.get_by_role("button", name="Skicka beställningen").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("är skickad")
    return re.search(r"RITM\d{7}", heading.inner_text())[0]  # type: ignore[index]


def test_a_new_customer_applies_signs_sets_up_its_people_and_its_first_order_reaches_its_case(new_browser, signed_in):
    tag = uuid.uuid4().hex[:8]
    organisation = f"Hälsan Journey {tag} AB"
    base = f"55{random.randrange(10**7):07d}"
    number = base + luhn.calc_check_digit(base)
    signatory_mobile = f"+4670{random.randrange(10**7):07d}"
    apply(new_browser().new_page(), organisation, f"{number[:6]}-{number[6:]}", tag, signatory_mobile)

    # The provider's administrator is mailed, opens the application from the mail, and finds it in her list.
    petra = signed_in("petra.provider")
    link = mailed_link(petra.context, "petra.provider@provider.example", f"från {organisation}", "Öppna ansökan")
    petra.get_by_role("link", name="Kundansökningar").click()
    expect(petra.get_by_role("link", name=organisation)).to_be_visible()
    petra.goto(link)
    expect(petra.get_by_role("heading", level=1)).to_have_text(f"Kundansökan från {organisation}")
    petra.get_by_label("Godkänn: skapa organisationen och dess konton").check()
    petra.get_by_role("button", name="Registrera beslutet").click()
    expect(petra.get_by_text("Ditt beslut är registrerat.")).to_be_visible()

    # R-ONB-1: the signatory signs from the e-mailed link with the code sent by SMS.
    signatory = new_browser()
    link = mailed_link(signatory, f"sixten-{tag}@e2e.example", "Underteckna kundavtalet", "Underteckna avtalet")
    signing = signatory.new_page()
    signing.goto(link)
    signing.get_by_role("button", name="Skicka mig en engångskod med sms").click()
    expect(signing.get_by_role("status").filter(has_text="En engångskod har skickats")).to_be_visible()
    signing.get_by_label("Engångslösenord", exact=True).fill(code_texted(signatory, signatory_mobile))
    signing.get_by_role("button", name="Underteckna avtalet").click()
    expect(signing.get_by_role("heading", name="Avtalet är undertecknat")).to_be_visible()

    # The administrator chooses a password and adds an orderer and an attester (R-ONB-3, R-ONB-2).
    alma = choose_password(new_browser(), f"alma-{tag}@e2e.example", "Alma Administratör")
    attester_phone = f"+4670{random.randrange(10**7):07d}"
    orderer_email, attester_email = f"olle-{tag}@e2e.example", f"asta-{tag}@e2e.example"
    add_person(alma, f"Olle Orderer {tag}", orderer_email, "Beställare", f"+4670{random.randrange(10**7):07d}")
    add_person(alma, f"Asta Attestant {tag}", attester_email, "Attestant", attester_phone)

    # The orderer chooses a password and places a direct order for the new attester.
    olle = choose_password(new_browser(), orderer_email, f"Olle Orderer {tag}")
    order = order_directly(olle, f"Asta Attestant {tag}", f"{organisation}, Box 1\n111 11 Stockholm")
    expect(olle.get_by_text(re.compile(f"Nästa steg: Kundens attest av Asta Attestant {tag}"))).to_be_visible()

    # The attester attests from her own list, signing with the code sent by SMS (R-ORD-4).
    asta = choose_password(new_browser(), attester_email, f"Asta Attestant {tag}")
    pending_step(asta, "Attestera beställning", order)
    asta.get_by_role("button", name="Skicka ett engångslösenord till mig").click()
    expect(asta.get_by_role("status").filter(has_text="En kod har skickats till")).to_contain_text(attester_phone[-3:])
    asta.get_by_label("Engångslösenord", exact=True).fill(code_texted(asta.context, attester_phone))
    asta.get_by_role("button", name="Skicka mitt beslut").click()
    expect(asta.get_by_text("Ditt beslut är registrerat.")).to_be_visible()

    # The order reaches its case: customer service finds it, and the orderer sees it done.
    kim = signed_in("kim.service")
    row = kim.get_by_role("row").filter(has_text=order)
    for _ in range(60):
        kim.goto(f"/cases?number={order}")
        if row.count():
            break
        kim.wait_for_timeout(250)
    expect(row).to_contain_text("CS" + order.removeprefix("RITM"))
    olle.goto(olle.url.removesuffix("/submitted"))
    for _ in range(40):
        if olle.locator(".status-completed").count():
            break
        olle.wait_for_timeout(250)
        olle.reload()
    expect(olle.locator(".lead .status")).to_have_text("Klar")
    expect(olle.locator("#history")).to_contain_text("Ärende skapat")
