"""An organisation's people through the JSON API and the pages, on the embedded Cognito and DynamoDB (R-ONB-3):
adding opens the account (groups mirroring roles) and mails the invitation, edits keep Cognito in step, and a
removed person is signed out everywhere while their orders keep their name. The people added here are
orderers only: the demo organisation's attesters stay as other tests know them."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from chalicelib.bootstrap import container
from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.shared.identity import Person as Person_
from chalicelib.shared.identity import Role
from local.people import OverHttp, Person, Visitor, direct_order, placed

LINK = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
PASSWORD = "A-good-pass-2027"


def admin(served: str, aws: Any) -> Person:
    return Person("ada.admin", OverHttp(served), aws).sign_in()


def newcomer(**changes: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Nora Ny {tag}",
        "email": f"nora-{tag}@region-norrby.example",
        "roles": ["Orderer"],
        "phone": "070-123 45 67",
        "language": "sv",
        **changes,
    }


def add(ada: Person, body: dict[str, Any], key: str | None = None) -> Any:
    return ada.post("/api/people", body, {"Idempotency-Key": key or uuid.uuid4().hex})


def groups(aws: Any, user_id: str) -> set[str]:
    listed = aws.client("cognito-idp").admin_list_groups_for_user(UserPoolId=aws.user_pool_id, Username=user_id)
    return {group["GroupName"] for group in listed["Groups"]}


def invitation_in(aws: Any, email: str) -> str:
    for _ in range(300):
        for mail in aws.sent_emails():
            if email in mail["to"] and (found := LINK.search(mail["body"])):
                return found["id"]
        time.sleep(0.02)
    raise AssertionError(f"no invitation reached {email}")


def test_r_onb_3_an_administrator_adds_a_person_with_an_account_and_an_invitation(served, aws):
    ada = admin(served, aws)
    body = newcomer()
    key = uuid.uuid4().hex
    added = add(ada, body, key)
    assert added.status == 201, added.body
    person = added.body
    assert person["phone"] == "+46 70 ••• •• 67"  # masked in every answer
    assert "+46701234567" not in str(ada.get(f"/api/people/{person['user_id']}").body)
    assert groups(aws, person["user_id"]) == {"Orderer"}
    invitation_in(aws, body["email"])
    # A double submit adds nobody else.
    again = add(ada, body, key)
    assert again.status == 201 and again.body["user_id"] == person["user_id"]
    # Someone else with the same address is refused on the e-mail field.
    taken = add(ada, newcomer(email=body["email"].upper()))
    assert taken.status == 422 and [problem["field"] for problem in taken.body["errors"]] == ["email"]


def test_r_onb_3_a_wrong_mobile_number_is_refused_naming_the_phone(served, aws):
    ada = admin(served, aws)
    for typed in ("08-123 456 78", "123"):
        answer = add(ada, newcomer(phone=typed))
        assert answer.status == 422, answer.body
        assert [problem["field"] for problem in answer.body["errors"]] == ["phone"]
    malformed = add(ada, newcomer(phone="ring me"))
    assert malformed.status == 400 and malformed.body["errors"][0]["field"] == "phone"


def test_r_onb_3_an_edit_keeps_cognito_in_step(served, aws):
    ada = admin(served, aws)
    person = add(ada, newcomer()).body
    new_email = f"moved-{uuid.uuid4().hex[:8]}@region-norrby.example"
    edited = ada.request("PATCH", f"/api/people/{person['user_id']}", {"email": new_email, "roles": ["Orderer"]})
    assert edited.status == 200 and edited.body["email"] == new_email
    account = aws.client("cognito-idp").admin_get_user(UserPoolId=aws.user_pool_id, Username=person["user_id"])
    assert {"Name": "email", "Value": new_email} in account["UserAttributes"]
    last = ada.request("PATCH", "/api/people/ada.admin", {"roles": ["Orderer", "Attester"]})
    assert last.status == 422 and last.body["code"] == "directory.last_administrator"


def test_r_onb_3_someone_not_an_administrator_is_refused_and_another_organisations_person_not_found(served, aws):
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    assert olivia.get("/api/people").status == 403
    assert add(olivia, newcomer()).status == 403
    assert olivia.request("DELETE", "/api/people/adam.attester").status == 403
    ada = admin(served, aws)
    assert ada.get("/api/people/oskar.orderer").status == 404
    assert ada.request("PATCH", "/api/people/oskar.orderer", {"name": "Mallory"}).status == 404
    assert ada.request("DELETE", "/api/people/oskar.orderer").status == 404
    assert Person("oskar.orderer", OverHttp(served), aws).sign_in().token  # still there, still signs in


def test_r_onb_3_the_list_is_paged_and_never_cut(served, aws):
    ada = admin(served, aws)
    for _ in range(3):
        add(ada, newcomer())
    seen: list[str] = []
    path = "/api/people?limit=2"
    while True:
        answer = ada.get(path)
        assert answer.status == 200 and len(answer.body["people"]) <= 2
        seen += [person["user_id"] for person in answer.body["people"]]
        if answer.body["next"] is None:
            break
        path = f"/api/people?limit=2&cursor={answer.body['next']}"
    assert len(seen) == len(set(seen)) >= 6 and {"ada.admin", "olivia.orderer", "adam.attester"} <= set(seen)
    assert ada.get("/api/people?cursor=not-a-cursor").status in (400, 422)


def test_r_onb_3_a_removed_person_is_signed_out_and_their_orders_keep_their_name(served, aws):
    ada = admin(served, aws)
    body = newcomer()
    person = add(ada, body).body
    link = invitation_in(aws, body["email"])
    browser = Visitor(served)
    browser.get(f"/set-password/{link}")
    assert (
        browser.submit(f"/set-password/{link}", {"new_password": PASSWORD, "repeat_password": PASSWORD}).status == 303
    )
    assert browser.get("/").status == 200
    nora = Person(person["user_id"], OverHttp(served), aws)
    signed_in = nora.post("/api/session", {"username": person["user_id"], "password": PASSWORD})
    nora.token = signed_in.body["id_token"]
    order_id, _ = placed(nora.submit(direct_order()))

    removed = ada.request("DELETE", f"/api/people/{person['user_id']}")
    assert removed.status == 204
    assert ada.request("DELETE", f"/api/people/{person['user_id']}").status == 204  # sent again: done
    assert browser.get("/").status == 303  # the portal session ended
    assert nora.get("/api/me").status in (401, 403)  # the token names nobody the directory has
    assert nora.post("/api/session", {"username": person["user_id"], "password": PASSWORD}).status == 401
    order = ada.get(f"/api/orders/{order_id}")
    assert order.status == 200 and order.body["order"]["orderer_name"] == body["name"]
    assert any(event["actor_name"] == body["name"] for event in order.body["history"])
    assert ada.get(f"/api/people/{person['user_id']}").status == 404


def test_r_onb_3_the_pages_add_and_change_a_person_and_name_the_field_at_fault(served, aws):
    visitor = Visitor(served).sign_in("ada.admin")
    assert "Ada Administrator" in visitor.get("/people").html
    form = visitor.get("/people/new")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.html)
    assert form.status == 200 and key is not None
    body = newcomer()
    fields = {**body, "roles": "Orderer", "idempotency_key": key[1]}
    wrong = visitor.submit("/people/new", {**fields, "phone": "08-123 456 78"})
    assert wrong.status == 422 and 'href="#phone"' in wrong.html and 'id="phone-error"' in wrong.html
    added = visitor.submit("/people/new", fields)
    assert added.status == 303, added.html
    again = visitor.submit("/people/new", fields)  # the form sent twice: one person
    assert again.status == 303 and again.location == added.location
    page = visitor.get(added.location or "")
    assert page.status == 200 and "+46 70 ••• •• 67" in page.html and "+46701234567" not in page.html
    user_id = (added.location or "").split("?")[0].rsplit("/", 1)[1]
    saved = visitor.submit(f"/people/{user_id}", {"name": body["name"], "email": body["email"], "roles": ""})
    assert saved.status == 400 and 'href="#roles"' in saved.html
    removed = visitor.submit(f"/people/{user_id}/remove")
    assert removed.location == "/people?notice=person_removed"
    assert Visitor(served).sign_in("olivia.orderer").get("/people").status == 403


def test_r_onb_2_the_order_form_of_an_organisation_without_an_attester_says_what_to_do(served, aws):
    """R-ONB-2: an order needs an Orderer and an Attester of the organisation. An organisation whose
    administrator has named no attester yet is told so on the form, and where to name one; an order sent
    anyway is refused naming the attester."""
    tag = uuid.uuid4().hex[:8]
    directory = container().adapters.directory
    directory.save_organisation(
        Organisation(
            org_id=f"clinic-{tag}",
            name=f"Clinic {tag}",
            kind=OrganisationKind.CUSTOMER,
            signed_agreement_version=container().orders.catalogue().agreement_version,
        )
    )
    founder = Person_(
        user_id=f"fia-{tag}",
        org_id=f"clinic-{tag}",
        name="Fia Founder",
        email=f"fia-{tag}@clinic.example",
        roles=[Role.ADMINISTRATOR, Role.ORDERER],
    )
    container().accounts.open_account(founder, {"organisation": f"Clinic {tag}"})
    container().adapters.accounts.set_password(founder.user_id, PASSWORD)
    form = Visitor(served).sign_in(founder.user_id, PASSWORD).get("/orders/new")
    assert form.status == 200 and 'id="no-attester"' in form.html and 'href="/people"' in form.html
    fia = Person(founder.user_id, OverHttp(served), aws)
    fia.token = fia.post("/api/session", {"username": founder.user_id, "password": PASSWORD}).body["id_token"]
    refused = fia.submit(direct_order(attester_id=founder.user_id))
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "attester_id"


def test_r_onb_3_an_agents_administrator_sets_what_it_serves(served, aws):
    """Through the API and the page, on the embedded DynamoDB; a customer's administrator may not."""
    tag = uuid.uuid4().hex[:8]
    eva = Person_(
        user_id=f"eva-{tag}",
        org_id="agent-evry",
        name="Eva Evry",
        email=f"eva-{tag}@evry.example",
        roles=[Role.ADMINISTRATOR],
    )
    container().accounts.open_account(eva, {"organisation": "Evry"})
    container().adapters.accounts.set_password(eva.user_id, PASSWORD)
    caller = Person(eva.user_id, OverHttp(served), aws)
    caller.token = caller.post("/api/session", {"username": eva.user_id, "password": PASSWORD}).body["id_token"]
    try:
        now = caller.get("/api/organisation/serving")
        assert now.status == 200 and now.body == {
            "customers": [],
            "source_systems": ["Evry Journal"],
            "offered_source_systems": ["Evry Journal"],
        }
        changed = caller.request(
            "PUT", "/api/organisation/serving", {"customers": ["Gamla Kliniken"], "source_systems": ["Evry Journal"]}
        )
        assert changed.status == 200 and changed.body["customers"] == [
            {"org_id": "clinic-old", "name": "Gamla Kliniken"}
        ]
        wrong = caller.request("PUT", "/api/organisation/serving", {"customers": [], "source_systems": ["CGM J4"]})
        assert wrong.status == 422 and wrong.body["errors"][0]["field"] == "source_systems"
        page = Visitor(served).sign_in(eva.user_id, PASSWORD)
        assert "Gamla Kliniken" in page.get("/serving").html
        unknown = page.submit("/serving", {"customers": "clinic-old", "add_customer": "Nowhere", "source_systems": ""})
        assert unknown.status == 422 and 'href="#add_customer"' in unknown.html
        assert page.submit("/serving", {"source_systems": "Evry Journal"}).location == "/serving?notice=serving_saved"
        assert container().adapters.directory.organisation("agent-evry").serves_customers == []  # type: ignore[union-attr]
    finally:
        caller.request("PUT", "/api/organisation/serving", {"customers": [], "source_systems": ["Evry Journal"]})
    assert admin(served, aws).get("/api/organisation/serving").status == 403


def test_r_onb_3_a_new_invitation_is_sent_once_per_request_and_sets_the_password(served, aws):
    ada = admin(served, aws)
    body = newcomer()
    person = add(ada, body).body
    invitation_in(aws, body["email"])
    key = uuid.uuid4().hex
    for _ in range(2):  # a double submit
        sent = ada.post(f"/api/people/{person['user_id']}/invitation", None, {"Idempotency-Key": key})
        assert sent.status == 202, sent.body
    for _ in range(300):
        mails = [mail for mail in aws.sent_emails() if body["email"] in mail["to"]]
        if len(mails) >= 2:
            break
        time.sleep(0.02)
    time.sleep(0.3)
    mails = [mail for mail in aws.sent_emails() if body["email"] in mail["to"]]
    assert len(mails) == 2
    links = {found["id"] for mail in mails if (found := LINK.search(mail["body"]))}
    assert len(links) == 2
    assert ada.post("/api/people/oskar.orderer/invitation", None, {"Idempotency-Key": key}).status == 404
