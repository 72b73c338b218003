"""A person whose account someone opened chooses their password through the e-mailed link, and is signed in
(R-ONB-2, R-REQ-1), on the embedded Cognito and DynamoDB."""

from __future__ import annotations

import re
import time
import uuid

from chalicelib.bootstrap import container
from chalicelib.shared.identity import Person, Role
from local.people import Visitor

LINK = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
PASSWORD = "A-good-pass-2027"


def newcomer() -> Person:
    user_id = f"nina-{uuid.uuid4().hex[:8]}"
    return Person(
        user_id=user_id,
        org_id="region-norrby",
        name="Nina Newcomer",
        email=f"{user_id}@region-norrby.example",
        roles=[Role.ORDERER],  # no attester: the demo organisation's attesters stay as other tests know them
    )


def invitation_in(aws, person: Person) -> str:
    for _ in range(200):
        for mail in aws.sent_emails():
            if person.email in mail["to"] and (found := LINK.search(mail["body"])):
                return found["id"]
        time.sleep(0.02)
    raise AssertionError(f"no invitation reached {person.email}")


def test_an_opened_account_chooses_its_password_by_the_mailed_link_and_is_signed_in(aws, served):
    nina = newcomer()
    container().accounts.open_account(nina, {"organisation": "Region Norrby"})
    groups = aws.client("cognito-idp").admin_list_groups_for_user(UserPoolId=aws.user_pool_id, Username=nina.user_id)
    assert {group["GroupName"] for group in groups["Groups"]} == {"Orderer"}
    link = invitation_in(aws, nina)

    visitor = Visitor(served)
    page = visitor.get(f"/set-password/{link}")
    assert page.status == 200 and nina.user_id in page.html
    done = visitor.submit(f"/set-password/{link}", {"new_password": PASSWORD, "repeat_password": PASSWORD})
    assert done.status == 303 and "Nina Newcomer" in visitor.get("/").html
    # The link is used up; the password stands for every sign-in.
    assert Visitor(served).get(f"/set-password/{link}").status == 409
    Visitor(served).sign_in(nina.user_id, PASSWORD)


def test_nobody_signs_in_to_an_opened_account_before_choosing_its_password(aws, served):
    nina = newcomer()
    container().accounts.open_account(nina, {"organisation": "Region Norrby"})
    visitor = Visitor(served)
    visitor.get("/sign-in")
    answer = visitor.submit("/sign-in", {"username": nina.user_id, "password": ""})
    assert answer.status == 400
    assert visitor.get("/set-password/" + "M" * 32).status == 404
