"""The portal in real Chromium, used as the demo people use it: in Swedish by default, every decision taken from
the portal's own lists, once from an e-mailed link opened in another tab without signing in again, a direct order,
a rejection, a form whose errors are fixed one by one, an English run, keyboard only, and axe-core on every page
at 1280 and 390 pixels. Screenshots are kept in test-artifacts/screenshots."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from local import demo
from local.people import OverHttp, Person, direct_order, placed, via_agent_order
from tests.integration.test_web_sessions import TEMPORARY_PASSWORD, account

CHROMIUM = shutil.which("chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

# Never skipped: without Chromium these tests fail (`make test` installs it; `-m "not browser"` leaves them out).
pytestmark = [pytest.mark.browser]

NewPerson = Callable[..., Page]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("no `chromium` on PATH: `make browser` installs Debian's", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_browser(browser: Browser, served: str) -> Iterator[Callable[..., BrowserContext]]:
    """A browser of one person's own (its own cookies), Swedish unless told otherwise."""
    contexts: list[BrowserContext] = []

    def open_browser(locale: str = "sv-SE", width: int = 1280) -> BrowserContext:
        context = browser.new_context(base_url=served, locale=locale, viewport={"width": width, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield open_browser
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(new_browser) -> NewPerson:
    def sign_in_as(user_id: str, locale: str = "sv-SE") -> Page:
        page = new_browser(locale).new_page()
        page.goto("/")
        sign_in(page, user_id)
        return page

    return sign_in_as


def person(user_id: str) -> demo.DemoPerson:
    return next(each for each in demo.PEOPLE if each.user_id == user_id)


def sign_in(page: Page, user_id: str) -> None:
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    page.get_by_label("Användarnamn").fill(user_id)
    page.get_by_label("Lösenord").fill(demo.PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text(f"Inloggad som {person(user_id).name}")).to_be_visible()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def accessible(page: Page, name: str) -> None:
    """axe-core finds no violation on the page, at each width; a screenshot of each is kept."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        results = Axe().run(page)
        shot(page, f"{name}-{width}")
        assert results.violations_count == 0, f"{name} at {width} px:\n{results.generate_report()}"
    page.set_viewport_size({"width": 1280, "height": 900})


def mail_link(page: Page, user_id: str, subject: str) -> str:
    """The link in the person's mail, read in the outbox as in their mail program."""
    outbox = page.context.new_page()
    row = outbox.locator("tr.email").filter(has_text=person(user_id).email).filter(has_text=subject).first
    for _ in range(60):
        outbox.goto("/outbox")
        if row.count():
            break
        outbox.wait_for_timeout(250)
    row.get_by_role("link", name="Read").click()
    link = outbox.get_by_role("link", name=re.compile("Öppna beställningen|Open the order")).get_attribute("href")
    outbox.close()
    assert link
    return link


def latest_code(page: Page, user_id: str, number: str) -> str:
    """The code in the newest SMS to the person about the order, read in another tab, as on their phone."""
    phone = page.context.new_page()
    phone.goto("/outbox")
    text = phone.locator("tr.sms").filter(has_text=person(user_id).phone).filter(has_text=number).first
    match = re.match(r"(\d{6}) ", text.locator("td").nth(1).inner_text())
    phone.close()
    assert match, "the SMS holds no code"
    return match[1]


def pending_step(page: Page, task: str, number: str) -> None:
    """Opens the step from the person's own list (R-ORD-6), as it appears once the workflow opened it."""
    link = page.get_by_role("link", name=f"{task} {number}")
    for _ in range(60):
        page.goto("/pending")
        if link.count():
            break
        page.wait_for_timeout(250)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{task} {number}")


def attest(page: Page, user_id: str, number: str) -> None:
    """R-ORD-4: signed in, and still signing with a one-time code sent now."""
    page.get_by_role("button", name="Skicka ett engångslösenord till mig").click()
    expect(page.get_by_role("status").filter(has_text="En kod har skickats till")).to_contain_text(
        person(user_id).phone[-3:]
    )
    page.get_by_label("Engångslösenord", exact=True).fill(latest_code(page, user_id, number))
    page.get_by_role("button", name="Skicka mitt beslut").click()
    expect(page.get_by_text("Ditt beslut är registrerat.")).to_be_visible()


def fill_via_agent_order(page: Page) -> None:
    page.get_by_role("link", name="Ny beställning").first.click()
    page.get_by_label("Webcert Integrerad – via agent").check()
    page.get_by_label("Namn", exact=True).fill("Vårdcentral Norr")
    page.get_by_label("HSA-id", exact=True).fill("SE2321000016-1003")
    page.get_by_role("button", name="Lägg till en vårdenhet").click()
    page.locator("#care_units-1-name").fill("Vårdcentral Syd")
    page.locator("#care_units-1-hsa_id").fill("SE2321000016-1004")
    page.get_by_label("Källsystem", exact=True).select_option("CGM J4")
    page.get_by_label("Agent", exact=True).select_option("agent-cgm")
    for box in page.locator(".declaration:visible input").all():
        box.check()
    page.get_by_label(re.compile("Region Norrby, Box 100")).check()
    page.get_by_label("Attestant för beställningen").select_option("adam.attester")
    page.get_by_label("Jag har läst och godkänner tjänstens villkor").check()


def test_a_via_agent_order_in_swedish_with_every_decision_from_the_portals_lists(signed_in):
    """DOMAIN.md Flow 2 via agent (R-ORD-1…8), as the demo people would do it, without documentation."""
    olivia = signed_in("olivia.orderer")
    expect(olivia.locator("html")).to_have_attribute("lang", "sv")
    fill_via_agent_order(olivia)
    # R-ORD-1: the price of one order for both units, live as the form is filled in.
    expect(olivia.locator("#price-text")).to_contain_text("15 000 kr")
    accessible(olivia, "order-form")
    olivia.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    expect(olivia.get_by_role("heading", name="Kontrollera dina svar")).to_be_visible()
    expect(olivia.locator("dl.details")).to_contain_text("12 000 kr i uppstartsavgift + 2 × 1 500 kr = 15 000 kr")
    accessible(olivia, "order-check")
    olivia.get_by_role("button", name="Skicka beställningen").click()
    heading = olivia.get_by_role("heading", level=1)
    expect(heading).to_contain_text("är skickad")
    number = re.search(r"RITM\d{7}", heading.inner_text())[0]  # type: ignore[index]
    # Who acts next: the agent's case handlers, by name.
    expect(
        olivia.get_by_text(re.compile("Nästa steg: Agentens godkännande av Hanna Handler eller Hugo Handler"))
    ).to_be_visible()
    accessible(olivia, "order-submitted")

    # The agent's case handler decides from her list, with the agent's saved invoice address.
    hanna = signed_in("hanna.handler")
    pending_step(hanna, "Granska beställning", number)
    expect(hanna.locator("#order-details")).to_contain_text("Vårdcentral Syd")
    accessible(hanna, "agent-approval")
    hanna.get_by_label(re.compile("Jag intygar")).check()
    hanna.get_by_label(re.compile("CGM Sverige AB")).check()
    hanna.get_by_label("Attestant i din organisation").select_option("alva.attester")
    hanna.get_by_role("button", name="Skicka mitt beslut").click()
    expect(hanna.get_by_text("Ditt beslut är registrerat.")).to_be_visible()

    # When one case handler decides, the others' pending entries go away.
    hugo = signed_in("hugo.handler")
    hugo.goto("/pending")
    expect(hugo.get_by_role("link", name=re.compile(number))).to_have_count(0)

    alva = signed_in("alva.attester")
    pending_step(alva, "Attestera beställning", number)
    attest(alva, "alva.attester", number)

    adam = signed_in("adam.attester")
    pending_step(adam, "Attestera beställning", number)
    accessible(adam, "customer-attestation")
    attest(adam, "adam.attester", number)

    # Where the order is: every step done, with who decided and how they signed (R-ORD-8).
    olivia.goto(olivia.url.removesuffix("/submitted"))
    for _ in range(40):
        if olivia.locator(".status-completed").count():
            break
        olivia.wait_for_timeout(250)
        olivia.reload()
    expect(olivia.locator(".lead .status")).to_have_text("Klar")
    tracker = olivia.locator(".tracker")
    for done in ("Agentens godkännande", "Agentens attest", "Kundens attest"):
        expect(tracker.locator(".tracker-done").filter(has_text=done)).to_have_count(1)
    history = olivia.locator("#history")
    expect(
        history.get_by_role("row").filter(has_text="Alva Attester").filter(has_text="Engångslösenord via sms")
    ).to_have_count(1)
    expect(
        history.get_by_role("row").filter(has_text="Adam Attester").filter(has_text="Engångslösenord via sms")
    ).to_have_count(1)
    expect(history).to_contain_text("Ärende skapat")
    accessible(olivia, "order-completed")


def test_an_emailed_link_opened_in_another_tab_needs_no_second_sign_in(signed_in, served, aws):
    """One sign-in serves every tab and every e-mailed link; the link opens the step for its assignee."""
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    _, number = placed(olivia.submit(direct_order()))
    adam = signed_in("adam.attester")
    link = mail_link(adam, "adam.attester", f"attestera beställning {number}")
    second_tab = adam.context.new_page()
    second_tab.goto(link)
    expect(second_tab.get_by_role("heading", level=1)).to_have_text(f"Attestera beställning {number}")
    expect(second_tab.get_by_role("heading", name="Logga in")).to_have_count(0)
    attest(second_tab, "adam.attester", number)


def test_a_link_opened_signed_out_asks_to_sign_in_and_then_shows_the_step(new_browser, served, aws):
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    _, number = placed(olivia.submit(direct_order()))
    adam = Person("adam.attester", OverHttp(served), aws)
    link = adam.approval_link("attestera beställning", number)
    page = new_browser().new_page()
    page.goto(f"/approvals/{link}")
    expect(page).to_have_url(re.compile(r"/sign-in$"))  # the link's id stays out of the address
    sign_in(page, "adam.attester")
    expect(page).to_have_url(re.compile(rf"/approvals/{link}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Attestera beställning {number}")


def test_a_direct_order_goes_to_the_customers_attester_and_then_customer_service(signed_in):
    olivia = signed_in("olivia.orderer")
    olivia.get_by_role("link", name="Ny beställning").first.click()
    olivia.get_by_label("Webcert Fristående").check()
    olivia.get_by_label("Namn", exact=True).fill("Vårdcentral Öst")
    olivia.get_by_label("HSA-id", exact=True).fill("SE2321000016-2001")
    olivia.locator(".declaration:visible input").first.check()
    olivia.get_by_label("En ny fakturaadress").check()
    olivia.get_by_label("Fakturaadress", exact=True).fill("Region Norrby, Box 200\n901 00 Norrby")
    olivia.get_by_label("Fakturareferens", exact=True).fill("RN-77")
    olivia.get_by_label("Attestant för beställningen").select_option("adam.attester")
    olivia.get_by_label("Jag har läst och godkänner tjänstens villkor").check()
    olivia.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    olivia.get_by_role("button", name="Skicka beställningen").click()
    number = re.search(r"RITM\d{7}", olivia.get_by_role("heading", level=1).inner_text())[0]  # type: ignore[index]
    expect(olivia.get_by_text(re.compile("Nästa steg: Kundens attest av Adam Attester"))).to_be_visible()

    adam = signed_in("adam.attester")
    pending_step(adam, "Attestera beställning", number)
    attest(adam, "adam.attester", number)

    kim = signed_in("kim.service")
    row = kim.get_by_role("row").filter(has_text=number)
    for _ in range(40):
        kim.goto(f"/cases?number={number}")
        if row.count():
            break
        kim.wait_for_timeout(250)
    expect(row).to_contain_text("CS" + number.removeprefix("RITM"))
    accessible(kim, "cases")


def test_a_rejection_ends_the_order_and_the_orderer_sees_why(signed_in, served, aws):
    """R-ORD-3."""
    api = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    order_id, number = placed(api.submit(via_agent_order()))
    hanna = signed_in("hanna.handler")
    pending_step(hanna, "Granska beställning", number)
    hanna.get_by_label("Avslå beställningen").check()
    hanna.get_by_role("button", name="Skicka mitt beslut").click()
    expect(hanna.locator(".error-summary")).to_contain_text("Ange anledningen")  # a rejection must say why
    hanna.get_by_label(re.compile("Anledning")).fill("Vi levererar inte den här anslutningen.")
    hanna.get_by_role("button", name="Skicka mitt beslut").click()
    expect(hanna.get_by_text("Ditt beslut är registrerat.")).to_be_visible()

    olivia = signed_in("olivia.orderer")
    olivia.goto(f"/orders/{order_id}")
    for _ in range(40):
        if olivia.locator(".status-rejected").count():
            break
        olivia.wait_for_timeout(250)
        olivia.reload()
    expect(olivia.locator(".lead .status")).to_have_text("Avslagen")
    expect(olivia.locator("#order-details")).to_contain_text("Vi levererar inte den här anslutningen.")
    expect(olivia.locator(".tracker .tracker-ended")).to_contain_text("Agentens godkännande")


def test_a_form_with_errors_fixed_one_by_one_keeps_everything_typed(signed_in):
    olivia = signed_in("olivia.orderer")
    olivia.goto("/orders/new")
    olivia.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    summary = olivia.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Välj vad du vill beställa")
    accessible(olivia, "order-form-errors")

    olivia.get_by_label("Webcert Fristående").check()
    olivia.get_by_label("Namn", exact=True).fill("Vårdcentral Väst")
    olivia.get_by_label("HSA-id", exact=True).fill("inte ett HSA-id")
    olivia.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    expect(summary).not_to_contain_text("Välj vad du vill beställa")  # fixed: its error is gone
    expect(summary).to_contain_text("Ange HSA-id för vårdenhet 1")
    expect(olivia.get_by_label("Namn", exact=True)).to_have_value("Vårdcentral Väst")  # nothing typed is lost
    expect(olivia.get_by_label("HSA-id", exact=True)).to_have_value("inte ett HSA-id")
    expect(olivia.get_by_label("HSA-id", exact=True)).to_have_attribute("aria-invalid", "true")

    summary.get_by_role("link", name=re.compile("Ange HSA-id")).click()
    expect(olivia.get_by_label("HSA-id", exact=True)).to_be_focused()  # the summary's link leads to the field
    olivia.get_by_label("HSA-id", exact=True).fill("SE2321000016-3001")
    olivia.get_by_role("button", name="Fortsätt: kontrollera dina svar").click()
    expect(summary).not_to_contain_text("Ange HSA-id")
    expect(summary).to_contain_text("Godkänn villkoren för att beställa")
    expect(olivia.get_by_label("Webcert Fristående")).to_be_checked()


def test_the_portal_in_english_when_chosen(new_browser):
    page = new_browser().new_page()
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Username").fill("olivia.orderer")
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Olivia Orderer")).to_be_visible()  # the choice is kept in the session
    page.get_by_role("link", name="New order").first.click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()
    page.get_by_label("Webcert Fristående").check()
    expect(page.locator("#price-text")).to_contain_text("SEK")
    accessible(page, "order-form-english")
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Ny beställning")).to_be_visible()


def test_the_browsers_language_is_used_until_one_is_chosen(new_browser):
    page = new_browser(locale="nb-NO").new_page()
    page.goto("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")


def test_keyboard_only_sign_in_and_navigation(new_browser):
    page = new_browser().new_page()
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
    page.get_by_label("Användarnamn").focus()
    page.keyboard.type("kim.service")
    page.keyboard.press("Tab")
    page.keyboard.type(demo.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Inloggad som Kim Customer Service")).to_be_visible()
    page.get_by_role("link", name="Ärenden", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ärenden")


def test_someone_else_opening_a_link_sees_no_decision(signed_in, served, aws):
    """R-ORD-5: only the people a step is addressed to may decide it."""
    api = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    _, number = placed(api.submit(via_agent_order()))
    link = Person("hanna.handler", OverHttp(served), aws).approval_link("granska beställning", number)
    adam = signed_in("adam.attester")
    adam.goto(f"/approvals/{link}")
    expect(adam.get_by_role("heading", level=1)).to_have_text("Det här beslutet är riktat till någon annan.")
    expect(adam.get_by_role("button", name="Skicka mitt beslut")).to_have_count(0)
    expect(adam.locator("#order-details")).to_have_count(0)


def test_every_page_passes_axe_at_both_widths(signed_in, new_browser, served, aws):
    anonymous = new_browser().new_page()
    for path, name in (("/sign-in", "sign-in"), ("/sign-in/forgot", "forgot-password"), ("/terms", "terms")):
        anonymous.goto(path)
        accessible(anonymous, name)
    api = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    order_id, _ = placed(api.submit(via_agent_order()))
    pages = {
        "olivia.orderer": [("/", "home-orderer"), ("/orders", "orders"), (f"/orders/{order_id}", "order")],
        "hanna.handler": [("/", "home-handler"), ("/pending", "pending"), ("/agent/queue", "agent-queue")],
        "kim.service": [("/", "home-customer-service")],
        "olle.operations": [("/", "home-operations"), ("/operations", "operations")],
        "adam.attester": [("/orders/new", "not-for-your-role"), (f"/orders/{uuid_hex()}", "not-found")],
    }
    for user_id, paths in pages.items():
        page = signed_in(user_id)
        for path, name in paths:
            page.goto(path)
            accessible(page, name)


def uuid_hex() -> str:
    return uuid.uuid4().hex


def test_a_first_sign_in_and_a_forgotten_password_in_the_browser(new_browser, aws):
    user_id = account(aws, temporary=True)
    page = new_browser().new_page()
    page.goto("/sign-in")
    page.get_by_label("Användarnamn").fill(user_id)
    page.get_by_label("Lösenord").fill(TEMPORARY_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Välj ett lösenord")).to_be_visible()
    accessible(page, "new-password")
    page.get_by_label("Nytt lösenord").fill("Another-pass-2027")
    page.get_by_label("Det nya lösenordet igen").fill("Another-pass-2027")
    page.get_by_role("button", name="Spara lösenordet och logga in").click()
    expect(page.get_by_text("Inloggad som Nina Newcomer")).to_be_visible()

    forgotten = new_browser().new_page()
    forgotten.goto("/sign-in")
    forgotten.get_by_role("link", name="Glömt ditt lösenord?").click()
    forgotten.get_by_label("Användarnamn").fill(user_id)
    forgotten.get_by_role("button", name="Skicka koden").click()
    expect(forgotten.get_by_role("heading", name="Välj ett nytt lösenord")).to_be_visible()
    accessible(forgotten, "reset-password")


def test_the_api_reference_passes_axe(new_browser):
    page = new_browser().new_page()
    page.goto("/api/reference")
    accessible(page, "api-reference")
