"""A requisitioner's orderers over HTTP, on the embedded AWS with the real definition executing (R-REQ-1…7):
an unapproved orderer's order waits in OrdererApproval before its case, and goes on when the requisitioner
approves the orderer, or ends at the usual timeout."""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.bootstrap import container
from local import demo
from local.embedded_aws import EmbeddedAws
from local.people import OverHttp, Person, Visitor, placed, requisitioners_order

INVITATION = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")


def history_of(person: Any, order_id: str) -> list[tuple[str, str]]:
    response = person.get(f"/api/orders/{order_id}")
    assert response.status == 200, response.body
    return [(event["action"], event["actor_id"]) for event in response.body["history"]]


def invitation_to(aws: EmbeddedAws, email: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in aws.sent_emails():
            if email in mail["to"] and (found := INVITATION.search(mail["body"])):
                return found["id"]
        time.sleep(0.02)
    raise AssertionError(f"no invitation reached {email}")


def registered(http: Any, aws: EmbeddedAws) -> Person:
    """Someone registers as Fjällby's orderer through the API, chooses a password through the mailed link, and
    signs in."""
    email = f"self-{uuid.uuid4().hex[:8]}@example.org"
    anonymous = Person("anonymous", http, aws)
    answer = anonymous.post(
        "/api/orderer-registrations", {"name": "Sam Self", "email": email, "requisitioner_id": "req-fjallby"}
    )
    assert answer.status == 202, answer.body
    link = invitation_to(aws, email)
    _, invited = container().accounts.invitation(link)
    container().accounts.accept(link, demo.PASSWORD, "sv")
    return Person(invited.user_id, http, aws).sign_in()


def attested_by_rita(rita: Person, number: str) -> None:
    approval_id = rita.approval_link("attestera beställning", number)
    assert rita.attest(approval_id).status == 200


def wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("it did not happen in time")
        time.sleep(0.05)


@pytest.fixture
def decision_timeout(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Waits of six seconds: enough to attest in, short enough to watch the orderer's approval time out."""
    monkeypatch.setenv("DECISION_TIMEOUT_SECONDS", "6")
    container.cache_clear()
    yield 6
    monkeypatch.undo()
    container.cache_clear()


def test_r_req_3_a_self_registered_orderers_order_waits_before_its_case_until_the_requisitioner_approves(
    http, person, aws, served
):
    rita = person("rita.requisitioner")
    sam = registered(http, aws)
    listed = {row["user_id"]: row for row in rita.get("/api/orderers").body["orderers"]}
    assert listed[sam.user_id]["approved"] is False  # R-REQ-3
    assert aws.emails_to(demo_email("rita.requisitioner"), "Sam Self")  # the requisitioner is told

    order_id, number = placed(sam.submit(requisitioners_order()))  # R-REQ-3: an unapproved orderer can submit
    attested_by_rita(rita, number)
    wait_for(lambda: ("awaiting_orderer_approval", "system") in history_of(sam, order_id))
    assert aws.execution(order_id)["status"] == "RUNNING"
    assert order_id in {
        waiting for row in rita.get("/api/orderers").body["orderers"] for waiting in row["waiting_orders"] or []
    }
    pending = Visitor(served).sign_in("rita.requisitioner").get("/pending")  # the requisitioner's pending list
    assert "Sam Self" in pending.html and 'id="orderers-waiting"' in pending.html

    approved = rita.post(f"/api/orderers/{sam.user_id}/approval")
    assert approved.status == 200 and approved.body["approved"] is True
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    history = history_of(sam, order_id)
    assert history[-2:] == [("orderer_approved", "rita.requisitioner"), ("case_created", "system")]
    assert sam.get(f"/api/orders/{order_id}").body["order"]["status"] == "completed"


def test_r_req_3_approving_the_orderer_releases_every_waiting_order(http, person, aws):
    rita = person("rita.requisitioner")
    sam = registered(http, aws)
    orders = [placed(sam.submit(requisitioners_order())) for _ in range(2)]
    for order_id, number in orders:
        attested_by_rita(rita, number)
        wait_for(lambda order_id=order_id: ("awaiting_orderer_approval", "system") in history_of(sam, order_id))
    assert rita.post(f"/api/orderers/{sam.user_id}/approval").status == 200
    for order_id, _ in orders:
        assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"


def test_r_req_3_an_approved_orderers_order_skips_the_orderers_approval(person, aws):
    rita, oda = person("rita.requisitioner"), person("oda.orderer")
    order_id, number = placed(oda.submit(requisitioners_order()))
    attested_by_rita(rita, number)
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert "awaiting_orderer_approval" not in {action for action, _ in history_of(oda, order_id)}


def test_r_req_3_an_order_waiting_for_its_orderers_approval_times_out_as_the_other_steps_do(
    http, person, aws, decision_timeout
):
    rita = person("rita.requisitioner")
    sam = registered(http, aws)
    order_id, number = placed(sam.submit(requisitioners_order()))
    attested_by_rita(rita, number)
    assert aws.wait_for_execution(order_id, timeout=decision_timeout * 4)["status"] == "SUCCEEDED"
    assert sam.get(f"/api/orders/{order_id}").body["order"]["status"] == "timed_out"
    actions = [action for action, _ in history_of(sam, order_id)]
    assert actions[-2:] == ["awaiting_orderer_approval", "timed_out"]


def test_r_req_5_a_requisitioner_cannot_order_and_is_told_why(person):
    refused = person("rita.requisitioner").submit(requisitioners_order())
    assert refused.status == 403
    assert refused.body["code"] == "ordering.requisitioner_cannot_order"


def test_r_req_1_a_requisitioner_creates_an_orderer_who_is_invited(http, person, aws):
    rita = person("rita.requisitioner")
    email = f"new-{uuid.uuid4().hex[:8]}@fjallby.example"
    created = rita.post("/api/orderers", {"name": "Nils Ny", "email": email})
    assert created.status == 201, created.body
    assert created.body["approved"] is True
    assert invitation_to(aws, email)
    again = rita.post("/api/orderers", {"name": "Nils Ny", "email": email})
    assert again.status == 201 and again.body["user_id"] == created.body["user_id"]


def test_r_req_1_a_refused_orderer_names_the_field(person):
    rita = person("rita.requisitioner")
    refused = rita.post("/api/orderers", {"name": "Oda Again", "email": demo_email("oda.orderer")})
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == "email"


def test_r_req_3_self_registration_answers_the_same_for_a_registered_address(http, aws):
    anonymous = Person("anonymous", http, aws)
    answer = anonymous.post(
        "/api/orderer-registrations",
        {"name": "Oda", "email": demo_email("oda.orderer"), "requisitioner_id": "req-fjallby"},
    )
    fresh = anonymous.post(
        "/api/orderer-registrations",
        {"name": "New", "email": f"n-{uuid.uuid4().hex[:6]}@example.org", "requisitioner_id": "req-fjallby"},
    )
    assert (answer.status, answer.body) == (fresh.status, fresh.body) == (202, {"status": "received"})


def register_as(http: Any, aws: EmbeddedAws, email: str, name: str) -> Any:
    return Person("anonymous", http, aws).post(
        "/api/orderer-registrations", {"name": name, "email": email, "requisitioner_id": "req-fjallby"}
    )


def told_taken(aws: EmbeddedAws, email: str) -> bool:
    """The address's owner was mailed that it already belongs to an account (registration_taken.j2)."""
    return bool(aws.emails_to(email, "/sign-in/forgot"))


def test_r_req_6_self_registration_with_any_persons_address_in_the_directory_is_refused_unseen(http, aws):
    """Not only orderers': an attester of another organisation is in the directory's one registry of addresses."""
    email = demo_email("adam.attester")
    answer = register_as(http, aws, email, "Not Adam")
    assert (answer.status, answer.body) == (202, {"status": "received"})  # as for a new address
    assert told_taken(aws, email)
    assert not aws.emails_to(demo_email("rita.requisitioner"), "Not Adam", timeout=1)  # nobody asked to approve


def test_r_req_6_an_orderer_created_with_the_requisitioners_address_leaves_it_closed_to_self_registration(
    http, person, aws
):
    """The requisitioner's own address may be its orderer's; the directory still holds it as the
    requisitioner's, so registering with it is refused, unseen."""
    rita = person("rita.requisitioner")
    email = demo_email("rita.requisitioner")
    created = rita.post("/api/orderers", {"name": "Rita Orderer", "email": email})
    assert created.status == 201, created.body
    assert container().adapters.directory.email_holder(email) == "rita.requisitioner"
    answer = register_as(http, aws, email, "Rita Self")
    assert (answer.status, answer.body) == (202, {"status": "received"})
    assert told_taken(aws, email)
    assert [row["user_id"] for row in orderers_of(rita) if row["email"] == email] == [created.body["user_id"]]


def test_r_req_6_a_requisitioner_cannot_give_an_orderer_another_organisations_persons_address(person):
    rita = person("rita.requisitioner")
    refused = rita.post("/api/orderers", {"name": "Olivia Copy", "email": demo_email("olivia.orderer")})
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == "email"


def test_r_onb_3_an_administrator_cannot_add_a_person_with_an_orderers_address(person):
    """One registry: an address an orderer holds is taken for every organisation's administrator too."""
    ada = person("ada.admin")
    refused = ada.post(
        "/api/people",
        {
            "name": "Oda Copy",
            "email": demo_email("oda.orderer"),
            "roles": ["Orderer"],
            "phone": "070-123 45 67",
            "language": "sv",
        },
        {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused.status in (400, 409, 422), refused.body
    assert refused.body["errors"][0]["field"] == "email"


def test_r_req_6_a_self_registered_orderers_address_is_taken_for_an_administrator(http, person, aws):
    email = f"self-{uuid.uuid4().hex[:8]}@example.org"
    assert register_as(http, aws, email, "Sam Self").status == 202
    invitation_to(aws, email)
    ada = person("ada.admin")
    refused = ada.post(
        "/api/people",
        {"name": "Sam Copy", "email": email, "roles": ["Orderer"], "phone": "070-123 45 67", "language": "sv"},
        {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert refused.status in (400, 409, 422), refused.body
    assert refused.body["errors"][0]["field"] == "email"


def orderers_of(rita: Any) -> list[dict[str, Any]]:
    listed = rita.get("/api/orderers")
    assert listed.status == 200, listed.body
    return list(listed.body["orderers"])


def demo_email(user_id: str) -> str:
    return next(person.email for person in demo.PEOPLE if person.user_id == user_id)


# --- the portal's pages, as a browser without scripts uses them ----------------------------------------------


def test_r_req_2_the_list_page_shows_each_orderer_with_a_link_to_its_orders(served):
    rita = Visitor(served).sign_in("rita.requisitioner")
    listed = rita.get("/orderers")
    assert listed.status == 200
    pages = [listed.html]  # other tests add orderers: the demo's may be on a later page, newest first
    while (more := re.search(r'<a href="([^"]+)" rel="next">', pages[-1])) is not None:
        page = rita.get(html.unescape(more[1]))
        assert page.status == 200
        pages.append(page.html)
    assert any('href="/orderers/oda.orderer/orders"' in page for page in pages)
    assert any("Ulf Unapproved" in page for page in pages)
    assert rita.get("/orderers/oda.orderer/orders").status == 200
    assert rita.get("/orderers/olivia.orderer").status == 404  # another organisation's person


def test_r_req_1_the_form_names_the_field_at_fault_and_creates_the_orderer(served, aws):
    rita = Visitor(served).sign_in("rita.requisitioner")
    rita.get("/orderers")
    refused = rita.submit("/orderers", {"name": "Nora", "email": "not an address"})
    assert refused.status == 400 and 'href="#email"' in refused.html
    email = f"nora-{uuid.uuid4().hex[:8]}@fjallby.example"
    created = rita.submit("/orderers", {"name": "Nora Ny", "email": email})
    assert (created.status, created.location) == (303, "/orderers?notice=orderer_created")
    assert invitation_to(aws, email)


def test_r_req_7_and_r_req_4_an_orderer_is_edited_sent_a_password_link_and_deleted(served, aws):
    rita = Visitor(served).sign_in("rita.requisitioner")
    rita.get("/orderers")
    email = f"eva-{uuid.uuid4().hex[:8]}@fjallby.example"
    rita.submit("/orderers", {"name": "Eva Edit", "email": email})
    user_id = next(
        row["user_id"]
        for row in Person("rita.requisitioner", OverHttp(served), aws).sign_in().get("/api/orderers").body["orderers"]
        if row["email"] == email
    )
    rita.get(f"/orderers/{user_id}")
    changed = f"eva.ny-{uuid.uuid4().hex[:8]}@fjallby.example"
    saved = rita.submit(f"/orderers/{user_id}", {"name": "Eva Ny", "email": changed})
    assert saved.status == 303
    assert "Eva Ny" in rita.get(f"/orderers/{user_id}").html
    assert rita.submit(f"/orderers/{user_id}/password").status == 303
    assert invitation_to(aws, changed)  # R-REQ-7: the new password is chosen by the orderer, through a link
    deleted = rita.submit(f"/orderers/{user_id}/delete")
    assert (deleted.status, deleted.location) == (303, "/orderers?notice=orderer_deleted")
    assert "Eva Ny" not in rita.get("/orderers").html


def test_r_req_3_the_registration_page_names_the_fields_and_answers_the_same_for_everyone(served):
    visitor = Visitor(served)
    form = visitor.get("/register")
    assert form.status == 200 and "Fjällby Rekvisition" in form.html
    empty = visitor.submit("/register", {"name": "", "email": "", "requisitioner_id": ""})
    assert empty.status == 400
    assert all(f'href="#{field}"' in empty.html for field in ("name", "email", "requisitioner_id"))
    taken = visitor.submit(
        "/register", {"name": "Oda", "email": demo_email("oda.orderer"), "requisitioner_id": "req-fjallby"}
    )
    fresh = visitor.submit(
        "/register",
        {"name": "Ny", "email": f"ny-{uuid.uuid4().hex[:6]}@example.org", "requisitioner_id": "req-fjallby"},
    )
    assert taken.status == fresh.status == 200
    assert 'id="registered"' in taken.html and 'id="registered"' in fresh.html


def test_r_req_5_switched_every_page_shows_the_banner_until_switching_back(served):
    rita = Visitor(served).sign_in("rita.requisitioner")
    rita.get("/orderers")
    switched = rita.submit("/switch-to/oda.orderer")
    assert (switched.status, switched.location) == (303, "/")
    for path in ("/", "/orders", "/orders/new"):
        page = rita.get(path)
        assert page.status == 200 and 'id="switch-banner"' in page.html, path
    assert rita.get("/orderers").status == 403  # managing orderers needs the requisitioner's own account
    back = rita.submit("/switch-back")
    assert (back.status, back.location) == (303, "/orderers")
    assert 'id="switch-banner"' not in rita.get("/orderers").html
