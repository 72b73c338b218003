"""The via-agent chain in real Chromium, done as the people do it: the order form, the outbox, the links in
the e-mails, the codes in the SMS, and the order's history at the end (R-ORD-1…8)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from local import demo
from local.people import direct_order, placed, via_agent_order

CHROMIUM = shutil.which("chromium")
# Kept after the run as its artifacts (git ignores them).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Never skipped: without Chromium these tests fail (`make test` installs it; `-m "not browser"` leaves them out).
pytestmark = [pytest.mark.browser]

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

NewPage = Callable[[], Page]


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
def new_page(browser: Browser, served: str) -> Iterator[NewPage]:
    """A fresh browser context per person: nobody shares another's sessionStorage, so nobody's token."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(base_url=served, locale="en-GB", viewport={"width": 1200, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def name_of(user_id: str) -> str:
    return next(person.name for person in demo.PEOPLE if person.user_id == user_id)


def phone_of(user_id: str) -> str:
    return next(person.phone for person in demo.PEOPLE if person.user_id == user_id)


def email_of(user_id: str) -> str:
    return next(person.email for person in demo.PEOPLE if person.user_id == user_id)


def sign_in(page: Page, user_id: str) -> None:
    page.get_by_label("Username", exact=True).fill(user_id)
    page.get_by_label("Password", exact=True).fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {name_of(user_id)}")).to_be_visible()


def follow_link_in_email(page: Page, user_id: str, subject: str) -> None:
    """Reads the person's e-mail in the outbox and clicks its link, as they would in their mail program.

    The workflow sends the e-mail moments after the step before it ends, so the outbox is reloaded
    until it is there, as a person would press reload.
    """
    row = page.locator("tr.email").filter(has_text=email_of(user_id)).filter(has_text=subject).first
    for _ in range(40):
        page.goto("/outbox")
        try:
            expect(row).to_be_visible(timeout=400)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError(f"no e-mail '{subject}' reached {user_id}")
    row.get_by_role("link", name="Read").click()
    page.get_by_role("link", name="Open the order").click()
    expect(page).to_have_url(re.compile(r"/approvals/[A-Za-z0-9_-]{20,64}$"))


def latest_code(page: Page, user_id: str, number: str) -> str:
    """The code in the newest SMS to the person about this order, read in another tab of their browser."""
    outbox = page.context.new_page()
    outbox.goto("/outbox")
    text = outbox.locator("tr.sms").filter(has_text=phone_of(user_id)).filter(has_text=number).first
    match = re.match(r"(\d{6}) is your code", text.locator("td").nth(1).inner_text())
    assert match, "the SMS holds no code"
    outbox.close()
    return match[1]


def attest_with_code(page: Page, user_id: str, number: str) -> None:
    """R-ORD-4: the attester, although signed in, signs with a one-time code sent now."""
    follow_link_in_email(page, user_id, f"attest order {number}")
    sign_in(page, user_id)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"attestation of order {number}")
    expect(page.locator("#order-details")).to_contain_text("Vårdcentral Syd")
    page.get_by_role("button", name="Send me a one-time code").click()
    expect(page.get_by_role("status").filter(has_text="Code sent to")).to_contain_text(phone_of(user_id)[-3:])
    page.get_by_label("One-time code", exact=True).fill(latest_code(page, user_id, number))
    page.get_by_role("button", name="Approve order").click()
    expect(page.get_by_text("You approved the order")).to_be_visible()


def detail(page: Page, term: str) -> Locator:
    return page.locator(f"dl.details dt:text-is('{term}') + dd")


def history_row(page: Page, what: str, step: str) -> Locator:
    return (
        page.get_by_role("row")
        .filter(has=page.get_by_role("cell", name=what, exact=True))
        .filter(has=page.get_by_role("cell", name=step, exact=True))
    )


def test_a_via_agent_order_passes_every_step_in_the_browser_and_its_history_shows_who_signed(new_page):
    olivia = new_page()
    olivia.goto("/")
    sign_in(olivia, "olivia.orderer")
    my_orders = olivia.locator("#my-orders-list")
    expect(my_orders).not_to_contain_text("Loading")

    olivia.get_by_label("Offering", exact=True).select_option(
        label="Webcert Integrerad – via agent (connection via agent)"
    )
    total = olivia.locator("#price-total")
    expect(total).to_have_text("13,500 SEK")  # one care unit until the count changes
    olivia.get_by_label("Number of care units", exact=True).fill("2")
    olivia.get_by_label("Name of care unit 1", exact=True).fill("Vårdcentral Norr")
    olivia.get_by_label("HSA-id of care unit 1", exact=True).fill("SE2321000099-VCN1")
    olivia.get_by_label("Name of care unit 2", exact=True).fill("Vårdcentral Syd")
    olivia.get_by_label("HSA-id of care unit 2", exact=True).fill("SE2321000099-VCS1")
    olivia.get_by_label("Source system", exact=True).select_option("CGM J4")
    olivia.get_by_label("Agent", exact=True).select_option(label="CGM")
    declarations = olivia.get_by_role("group", name="Declarations").get_by_role("checkbox")
    expect(declarations).to_have_count(2)
    for declaration in declarations.all():
        declaration.check()
    olivia.get_by_role("radio", name=re.compile("RN-IT-4711")).check()
    olivia.get_by_label("Attester for this order", exact=True).select_option(label="Adam Attester")
    olivia.get_by_label("I accept the terms").check()

    # R-ORD-1: the start-up fee, the price per care unit and the total, before submitting.
    price = olivia.get_by_role("region", name="Price")
    expect(price).to_contain_text("12,000 SEK")
    expect(price).to_contain_text("2 × 1,500 SEK = 3,000 SEK")
    expect(total).to_have_text("15,000 SEK")
    expect(price).to_contain_text("One order for all your care units is the cheapest")
    olivia.screenshot(path=SCREENSHOTS / "order-form.png", full_page=True)

    olivia.get_by_role("button", name="Submit order").dblclick()  # a double click places one order
    opened = olivia.get_by_role("link", name=re.compile(r"^Open order RITM\d+$"))
    expect(opened).to_be_visible()
    number = opened.inner_text().removeprefix("Open order ")
    order_path = opened.get_attribute("href")
    assert order_path and re.fullmatch(r"/orders/[0-9a-f]{32}", order_path)
    expect(my_orders.locator("tbody tr").first).to_contain_text(number)  # newest first, once
    expect(my_orders.locator("tbody tr").filter(has_text=number)).to_have_count(1)

    # R-ORD-2 step 2: a case handler of the agent follows the e-mail's link, not yet signed in.
    hanna = new_page()
    follow_link_in_email(hanna, "hanna.handler", f"review order {number}")
    expect(hanna.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(hanna, "hanna.handler")
    expect(hanna.get_by_role("heading", level=1)).to_have_text(f"Agent approval of order {number}")
    details = hanna.locator("#order-details")
    for shown in ("Region Norrby", "Vårdcentral Norr", "CGM J4", "RN-IT-4711", "15,000 SEK"):
        expect(details).to_contain_text(shown)
    hanna.get_by_label("I certify that").check()
    hanna.get_by_label("Agent invoice address", exact=True).fill("CGM, Box 5, 111 11 Stockholm")
    hanna.get_by_label("Agent invoice reference", exact=True).fill("CGM-123")
    hanna.get_by_label("Agent attester", exact=True).select_option(label="Alva Attester")
    hanna.screenshot(path=SCREENSHOTS / "approval.png", full_page=True)
    hanna.get_by_role("button", name="Approve order").click()
    expect(hanna.get_by_text("You approved the order")).to_be_visible()

    # Steps 3 and 4: the agent's attester, then the customer's, each signing with a code by SMS.
    attest_with_code(new_page(), "alva.attester", number)
    attest_with_code(new_page(), "adam.attester", number)

    # Step 5 and R-ORD-8: the orderer sees the case and who did what, with which signing method.
    olivia = new_page()
    olivia.goto(order_path)
    sign_in(olivia, "olivia.orderer")
    expect(detail(olivia, "Status")).to_have_text("Completed")
    expect(detail(olivia, "Case number")).to_have_text("CS" + number.removeprefix("RITM"))
    expect(detail(olivia, "Total")).to_have_text("15,000 SEK")
    agent_approval = history_row(olivia, "Approved", "Agent approval")
    expect(agent_approval).to_have_count(1)
    expect(agent_approval).to_contain_text("Hanna Handler")
    for step, attester in (("Agent attestation", "Alva Attester"), ("Customer attestation", "Adam Attester")):
        attestation = history_row(olivia, "Approved", step)
        expect(attestation).to_have_count(1)
        expect(attestation).to_contain_text(attester)
        expect(attestation).to_contain_text("One-time code by SMS")
    expect(history_row(olivia, "Case created", "–")).to_have_count(1)


def test_an_approval_link_opened_by_someone_else_shows_no_decision(new_page, person):
    """R-ORD-5: only the people a step is addressed to may decide it, and opening a link changes nothing."""
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    _, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("review order", number)

    adam = new_page()
    adam.goto(f"/approvals/{approval_id}")
    sign_in(adam, "adam.attester")
    expect(adam.get_by_text("addressed to someone else")).to_be_visible()
    expect(adam.get_by_role("button", name="Approve order")).to_have_count(0)
    expect(adam.get_by_role("button", name=re.compile("Reject|Cancel"))).to_have_count(0)
    expect(adam.locator("#order-details")).to_be_empty()

    assert hanna.get(f"/api/approvals/{approval_id}").body["state"] == "open"


def test_a_long_list_shows_more_on_request(new_page: NewPage, person) -> None:
    """R-ORD-6: lists come a page at a time; every pending step can be reached from the portal."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    numbers = []
    for _ in range(26):  # one more than a page
        _, number = placed(olivia.submit(direct_order()))
        numbers.append(number)
    for number in numbers:  # every step has opened (they open in parallel, not in the order placed)
        adam.next_email("attest order", number)
    newest = adam.get("/api/pending?limit=1").body["pending"][0]["number"]

    page = new_page()
    page.goto("/")
    sign_in(page, "adam.attester")
    rows = page.locator("#pending-list tbody tr")
    expect(rows.first).to_contain_text(newest)  # the newest first
    shown = rows.count()
    assert shown == 25
    expect(page.locator("#pending-count")).to_have_text("(25+)")
    page.locator("#pending-list").get_by_role("button", name="Show more").click()
    expect(rows).not_to_have_count(shown)
    assert rows.count() > shown
    texts = rows.all_inner_texts()
    assert len(texts) == len(set(texts))  # nothing shown twice
