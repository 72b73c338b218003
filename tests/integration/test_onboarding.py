"""Customer onboarding through the API and the pages, on the embedded AWS (DOMAIN.md Flow 1): the application,
a duplicate, the rate limit, the provider's approval and rejection, the signatory's signature by SMS code, an
organisation on an older agreement model signing anew (R-ONB-1), and customer service's finder (R-ONB-4)."""

from __future__ import annotations

import random
import re
import time
import uuid
from typing import Any

from stdnum import luhn

from chalicelib.bootstrap import container
from chalicelib.shared.identity import Role
from chalicelib.shared.transactions import Transaction
from local.people import CODE, Person, Visitor

SIGNING = re.compile(r"/signing/(?P<id>[A-Za-z0-9_-]{20,64})")
INVITATION = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
PASSWORD = "A-good-pass-2027"


def org_number() -> str:
    base = f"55{random.randrange(10**7):07d}"
    return base + luhn.calc_check_digit(base)


def application(number: str | None = None, tag: str | None = None, **changes: Any) -> dict[str, Any]:
    tag = tag or uuid.uuid4().hex[:8]
    return {
        "organisation_name": f"Vårdcentralen {tag} AB",
        "org_number": number or org_number(),
        "administrator": {"name": "Anna Admin", "email": f"anna-{tag}@apply.example"},
        "signatory": {"name": "Sam Signatory", "email": f"sam-{tag}@apply.example", "phone": "070-123 45 67"},
        "agreement_contact": {"name": "Cleo Contact", "email": f"cleo-{tag}@apply.example"},
        **changes,
    }


def send(person: Any, body: dict[str, Any], key: str | None = None) -> Any:
    return person.post("/api/applications", body, {"Idempotency-Key": key or uuid.uuid4().hex})


def link_mailed(aws: Any, address: str, pattern: re.Pattern[str]) -> str:
    for _ in range(500):
        for mail in reversed(aws.sent_emails()):
            if address in mail["to"] and (found := pattern.search(mail["body"])):
                return str(found["id"])
        time.sleep(0.02)
    raise AssertionError(f"no such link reached {address}")


def approved(person: Any, aws: Any) -> dict[str, Any]:
    """An application sent and approved by the provider's administrator; the contacts' addresses."""
    body = application()
    sent = send(person("olivia.orderer"), body)
    assert sent.status == 201, sent.body
    decided = person("petra.provider").post(
        f"/api/applications/{sent.body['application_id']}/decision", {"decision": "approve"}
    )
    assert decided.status == 200, decided.body
    return {**body, "application_id": sent.body["application_id"], "org_id": f"org-{body['org_number']}"}


def sign_by_sms(served: str, aws: Any, link: str) -> Any:
    visitor = Visitor(served)
    assert visitor.get(f"/signing/{link}").status == 200
    before = len(aws.sent_sms())
    assert visitor.submit(f"/signing/{link}/code").status == 200
    texts = [sms for sms in aws.sent_sms()[before:] if sms["to"] == "+46701234567"]
    code = CODE.search(texts[-1]["text"])
    assert code is not None
    return visitor.submit(f"/signing/{link}/sign", {"one_time_code": code["code"]})


def test_an_application_sent_by_anyone_waits_for_the_providers_administrator(http, aws, person):
    anyone = Person("nobody", http, aws)  # not signed in
    sent = send(anyone, application(number="556987-6542"))
    assert sent.status == 201 and sent.body["status"] == "pending"
    waiting = person("petra.provider").get("/api/applications?limit=100").body["applications"]
    assert any(found["application_id"] == sent.body["application_id"] for found in waiting)
    assert person("ada.admin").get("/api/applications").body["applications"] == []  # a customer's administrator
    pending = person("petra.provider").get("/api/pending?limit=100").body["pending"]
    assert any(line.get("application_id") == sent.body["application_id"] for line in pending)


def test_a_double_submit_is_one_application(http, aws):
    anyone, body, key = Person("nobody", http, aws), application(), uuid.uuid4().hex
    first, again = send(anyone, body, key), send(anyone, body, key)
    assert first.status == again.status == 201
    assert first.body["application_id"] == again.body["application_id"]


def test_a_duplicate_organisation_number_is_refused_naming_the_field(http, aws):
    anyone = Person("nobody", http, aws)
    customer = send(anyone, application(number="2321000164"))  # Region Norrby
    assert customer.status == 422 and customer.body["code"] == "onboarding.already_a_customer"
    assert customer.body["errors"][0]["field"] == "org_number"
    number = org_number()
    assert send(anyone, application(number=number)).status == 201
    pending = send(anyone, application(number=number))
    assert pending.status == 422 and pending.body["code"] == "onboarding.already_applied"


def test_the_page_names_the_field_of_a_duplicate_and_of_a_bad_number(served):
    visitor = Visitor(served)
    visitor.get("/apply")
    fields = {
        "organisation_name": "Region Norrby",
        "org_number": "232100-0164",
        "administrator-name": "A",
        "administrator-email": "a@page.example",
        "signatory-name": "S",
        "signatory-email": "s@page.example",
        "signatory-phone": "0701234567",
        "agreement_contact-name": "C",
        "agreement_contact-email": "c@page.example",
        "idempotency_key": uuid.uuid4().hex,
    }
    refused = visitor.submit("/apply", fields)
    assert refused.status == 422 and 'href="#org_number"' in refused.html
    bad = visitor.submit("/apply", {**fields, "org_number": "123", "signatory-phone": "12"})
    assert bad.status == 400 and 'href="#org_number"' in bad.html and 'href="#signatory-phone"' in bad.html
    sent = visitor.submit("/apply", {**fields, "org_number": org_number(), "idempotency_key": uuid.uuid4().hex})
    assert sent.status == 303 and sent.location == "/apply/sent"
    assert visitor.get("/apply/sent").status == 200


def test_applications_from_one_address_are_limited(http, aws):
    anyone, tag = Person("nobody", http, aws), uuid.uuid4().hex[:8]
    answers = [send(anyone, application(tag=tag)).status for _ in range(6)]
    assert answers == [201] * 5 + [429]


def test_an_approval_opens_the_accounts_and_the_administrator_sets_a_password_and_signs_in(person, aws, served):
    made = approved(person, aws)
    admin_email = made["administrator"]["email"]
    link = link_mailed(aws, admin_email, INVITATION)
    assert link_mailed(aws, made["agreement_contact"]["email"], INVITATION)
    assert link_mailed(aws, made["signatory"]["email"], SIGNING)
    organisation = container().adapters.directory.organisation(made["org_id"])
    assert organisation is not None and organisation.org_number == made["org_number"]
    (admin,) = container().adapters.directory.people(made["org_id"], Role.ADMINISTRATOR)
    visitor = Visitor(served)
    visitor.get(f"/set-password/{link}")
    done = visitor.submit(f"/set-password/{link}", {"new_password": PASSWORD, "repeat_password": PASSWORD})
    assert done.status == 303
    Visitor(served).sign_in(admin.user_id, PASSWORD)
    # The decision was single use.
    again = person("petra.provider").post(
        f"/api/applications/{made['application_id']}/decision", {"decision": "reject", "reason": "No"}
    )
    assert again.status == 409


def test_a_rejection_tells_the_contacts_why_in_swedish(person, aws, http):
    body = application()
    sent = send(Person("nobody", http, aws), body)
    application_id = sent.body["application_id"]
    petra = person("petra.provider")
    without = petra.post(f"/api/applications/{application_id}/decision", {"decision": "reject"})
    assert without.status == 422 and without.body["errors"][0]["field"] == "reason"
    assert (
        person("kim.service").post(f"/api/applications/{application_id}/decision", {"decision": "approve"}).status
        == 403
    )
    rejected = petra.post(
        f"/api/applications/{application_id}/decision", {"decision": "reject", "reason": "Ingen vårdgivare"}
    )
    assert rejected.status == 200 and rejected.body["outcome"] == "rejected"
    mails = aws.emails_to(body["signatory"]["email"], "Ingen vårdgivare")
    assert mails and "inte godkänd" in mails[0]["subject"]


def test_r_onb_1_the_signatory_signs_by_sms_code_and_the_organisation_has_signed_the_current_agreement(
    person, aws, served
):
    made = approved(person, aws)
    link = link_mailed(aws, made["signatory"]["email"], SIGNING)
    organisation = container().adapters.directory.organisation(made["org_id"])
    assert organisation is not None and organisation.signed_agreement_version is None  # may not order yet
    signed = sign_by_sms(served, aws, link)
    assert signed.status == 200
    current = container().adapters.catalogues.current()
    organisation = container().adapters.directory.organisation(made["org_id"])
    assert current is not None and organisation is not None and organisation.has_signed(current.agreement_version)
    assert Visitor(served).get(f"/signing/{link}").status == 409  # used once


def test_r_onb_1_an_organisation_on_an_older_model_is_asked_to_sign_the_current_one(person, aws, served):
    made = approved(person, aws)
    sign_by_sms(served, aws, link_mailed(aws, made["signatory"]["email"], SIGNING))
    # The agreement's model moves on: the organisation's signature is of an older one.
    table = container().adapters
    transaction: Transaction = table.transactions.begin()
    table.directory.record_signed_agreement(transaction, made["org_id"], 1)
    transaction.commit()
    invitation = link_mailed(aws, made["administrator"]["email"], INVITATION)
    admin = Visitor(served)
    admin.get(f"/set-password/{invitation}")
    admin.submit(f"/set-password/{invitation}", {"new_password": PASSWORD, "repeat_password": PASSWORD})
    page = admin.get("/agreement")
    assert page.status == 200 and 'action="/agreement/send-again"' in page.html
    before = {mail["id"] for mail in aws.sent_emails()}
    assert admin.submit("/agreement/send-again").status == 200
    for _ in range(500):
        fresh = [m for m in aws.sent_emails() if m["id"] not in before and made["signatory"]["email"] in m["to"]]
        if fresh:
            break
        time.sleep(0.02)
    found = SIGNING.search(fresh[-1]["body"])
    assert found is not None
    assert sign_by_sms(served, aws, found["id"]).status == 200
    assert 'action="/agreement/send-again"' not in admin.get("/agreement").html


def test_r_onb_4_customer_service_finds_the_administrators_by_name_or_number(person, served):
    kim = person("kim.service")
    by_number = kim.get("/api/administrators?organisation=232100-0164").body["administrators"]
    by_name = kim.get("/api/administrators?organisation=region%20norrby").body["administrators"]
    assert [found["user_id"] for found in by_number] == ["ada.admin"] and by_name == by_number
    assert person("olivia.orderer").get("/api/administrators?organisation=x").status == 403
    page = Visitor(served).sign_in("kim.service").get("/administrators?organisation=Gamla%20Kliniken")
    assert page.status == 200 and "Greta Administrator" in page.html


def test_someone_signed_in_sends_the_form_with_their_sessions_csrf_token(served):
    visitor = Visitor(served).sign_in("olivia.orderer")
    visitor.get("/apply")
    body = application()
    fields = {
        "organisation_name": body["organisation_name"],
        "org_number": body["org_number"],
        "administrator-name": "A",
        "administrator-email": body["administrator"]["email"],
        "signatory-name": "S",
        "signatory-email": body["signatory"]["email"],
        "signatory-phone": "0701234567",
        "agreement_contact-name": "C",
        "agreement_contact-email": body["agreement_contact"]["email"],
        "idempotency_key": uuid.uuid4().hex,
    }
    assert visitor.submit("/apply", fields).status == 303
