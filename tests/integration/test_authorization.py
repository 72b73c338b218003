"""The authorization matrix: every route of the local product, called by every demo person on their own and
others' objects, and by callers who cannot prove who they are, answers exactly what the route's declared access
(`entrypoints/contract.py` Access) says. The expectation is computed from the declaration; the answer comes
from the whole stack (gateway, authorizer or session, directory, services).

The JSON API proves the caller with a Bearer ID token: no token, an expired token and a forged one stand in for
the callers who cannot. The portal's pages prove them with the session cookie: no cookie, the cookie of a
session that was signed out, and a made-up cookie."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from stdnum import luhn

from app import app
from chalicelib.bookings.commands import BookAppointment, NewClient
from chalicelib.bookings.model import Client
from chalicelib.bootstrap import container
from chalicelib.directory.commands import AddPerson
from chalicelib.entrypoints.contract import Access, Operation, Relation, operation_of
from chalicelib.entrypoints.routing import every_route
from chalicelib.entrypoints.web import SESSION_COOKIE
from chalicelib.onboarding.commands import ApplyForCustomer
from chalicelib.requisitioners.commands import NewOrderer
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.identity import Actor as Actor_
from chalicelib.shared.identity import Person as Person_
from local import demo
from local.partner import signed
from local.people import OverHttp, Person, Reply, Visitor, agent_review, direct_order, placed, via_agent_order
from local.practice import INSURER, OTHER_PRACTITIONER, PHYSIOTHERAPY, PRACTITIONER, case

ANONYMOUS, EXPIRED, FORGED = "no token", "an expired token", "a forged token"
NO_COOKIE, ENDED, MADE_UP = "no session", "a signed-out session", "a made-up session cookie"
ALLOWED = "allowed"
INVITATION = re.compile(r"/set-password/(?P<id>[A-Za-z0-9_-]{20,64})")
SIGNING = re.compile(r"/signing/(?P<id>[A-Za-z0-9_-]{20,64})")
SIGN_IN = "sent to sign in"


@dataclass
class Thing:
    """An object a route is called on: its path parameters, which organisations are party to it, who it is
    addressed to. `fresh` makes another like it, for callers whose allowed call uses it up."""

    name: str
    values: dict[str, str]
    parties: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    exists: bool = True
    fresh: Callable[[], Thing] | None = field(default=None, repr=False)


@dataclass
class Caller:
    label: str
    token: str | None = None
    person: demo.DemoPerson | None = None
    visitor: Visitor | None = None  # the caller's browser on the portal


def expected(access: Access, caller: Caller, thing: Thing | None) -> int | str:
    """What the declared access gives this caller on this object: ALLOWED, or the refusal."""
    if not access.signed_in:
        return 404 if thing is not None and not thing.exists else ALLOWED
    if caller.person is None:
        if access.via == "session":
            return SIGN_IN
        return 401 if caller.label == ANONYMOUS else 403  # no token; a token not valid
    person = caller.person
    if access.roles and not access.roles & set(person.roles):
        return 403
    if access.agreement_signed and not signed_current_agreement(person.org_id):
        return 403
    if access.organisations and kind_of(person.org_id) not in access.organisations:
        return 403
    if thing is not None and not thing.exists:
        return 404
    party = thing is not None and (person.org_id in thing.parties or bool(access.everywhere & set(person.roles)))
    if access.relation is Relation.PARTY and thing is not None and not party:
        return 404  # nobody learns that it exists
    if access.relation is Relation.ASSIGNEE and thing is not None and person.user_id not in thing.assignees:
        return 403
    return ALLOWED


def signed_current_agreement(org_id: str) -> bool:
    current = demo.catalogue().agreement_version
    return any(org.org_id == org_id and org.signed_agreement_version == current for org in demo.ORGANISATIONS)


def kind_of(org_id: str) -> str:
    return next(str(org.kind) for org in demo.ORGANISATIONS if org.org_id == org_id)


def success(contract: Operation) -> set[int]:
    return {status for status in contract.responses if status < 300}


# --- callers ---------------------------------------------------------------------------------------------


def moto_signing_key() -> Any:
    private = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK.from_dict(json.loads(gzip.decompress(private.read_bytes())))


def resigned(token: str, key: Any, **changes: Any) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


@pytest.fixture(scope="module")
def callers(served, aws) -> dict[str, list[Caller]]:
    """Who calls the JSON API ("token") and who opens the pages ("session")."""
    people = [
        Caller(
            person.user_id,
            Person(person.user_id, OverHttp(served), aws).sign_in().token,
            person,
            Visitor(served).sign_in(person.user_id),
        )
        for person in demo.PEOPLE
    ]
    kim = next(str(caller.token) for caller in people if caller.label == "kim.service")
    now = int(time.time())
    # Signed with the pool's own key, as genuine, but an hour old.
    expired = resigned(kim, moto_signing_key().key, iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    # The claims of customer service, who may read every order, signed with a key that is not the pool's.
    forged = resigned(kim, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    signed_out = Visitor(served).sign_in("kim.service")
    ended_cookie = signed_out.cookies[SESSION_COOKIE]
    signed_out.submit("/sign-out")
    return {
        "token": [Caller(ANONYMOUS), Caller(EXPIRED, expired), Caller(FORGED, forged), *people],
        "session": [
            Caller(NO_COOKIE, visitor=Visitor(served)),
            Caller(ENDED, visitor=Visitor(served, cookies={SESSION_COOKIE: ended_cookie})),
            Caller(MADE_UP, visitor=Visitor(served, cookies={SESSION_COOKIE: secrets.token_urlsafe(32)})),
            *people,
        ],
    }


# --- objects ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def things(served, aws) -> dict[str, Callable[[], list[Thing]]]:
    """For each set of path parameters (or a route's own key), the objects routes with them are called on."""
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    agents, customer = frozenset({"region-norrby", "agent-cgm"}), frozenset({"region-norrby"})
    handlers, adam = frozenset({"hanna.handler", "hugo.handler"}), frozenset({"adam.attester"})

    def via_agent() -> tuple[str, str]:
        return placed(olivia.submit(via_agent_order()))

    def direct() -> tuple[str, str]:
        return placed(olivia.submit(direct_order()))

    def order(kind: str) -> Thing:
        if kind == "via agent":
            return Thing("a via-agent order", {"order_id": via_agent()[0]}, agents)
        return Thing("a direct order", {"order_id": direct()[0]}, customer)

    def agent_approval() -> Thing:
        hanna = Person("hanna.handler", OverHttp(served), aws).sign_in()
        order_id, number = via_agent()
        link = hanna.approval_link("granska beställning", number)
        return Thing(
            "an agent approval",
            {"approval_id": link, "order_id": order_id, "step": "agent_approval"},
            agents,
            handlers,
            fresh=agent_approval,
        )

    def customer_attestation() -> Thing:
        attester = Person("adam.attester", OverHttp(served), aws).sign_in()
        order_id, number = direct()
        link = attester.approval_link("attestera beställning", number)
        return Thing(
            "a customer attestation",
            {"approval_id": link, "order_id": order_id, "step": "customer_attestation"},
            customer,
            adam,
            fresh=customer_attestation,
        )

    def not_opened() -> Thing:
        order_id, _ = via_agent()  # waits for the agent: its customer attestation has not opened
        return Thing(
            "a step not opened yet", {"order_id": order_id, "step": "customer_attestation"}, agents, exists=False
        )

    def invitation() -> Thing:
        user_id = f"nina-{uuid.uuid4().hex[:8]}"
        person = Person_(user_id=user_id, org_id="region-norrby", name="Nina", email=f"{user_id}@x.example")
        container().accounts.open_account(person, {"organisation": "Region Norrby"})
        for _ in range(200):
            for mail in aws.sent_emails():
                if person.email in mail["to"] and (found := INVITATION.search(mail["body"])):
                    return Thing("an invitation", {"invitation_id": found["id"]})
            time.sleep(0.02)
        raise AssertionError("no invitation mailed")

    def colleague(org_id: str, administrator: str) -> Thing:
        """A person of the organisation, added for the route by its administrator (an orderer: the attesters stay
        as they are, and a route that removes one removes nobody another test needs)."""
        admin = container().adapters.directory.person(administrator)
        assert admin is not None
        added = container().people.add(Actor(signed_in=admin), AddPerson.model_validate(new_person()), uuid.uuid4().hex)
        return Thing(f"a person of {org_id}", {"user_id": added.user_id}, frozenset({org_id}))

    def application() -> Thing:
        # R-ONB-3: a customer application is decided by the provider's administrators only.
        sent = container().onboarding.apply(
            ApplyForCustomer.model_validate(application_body()), uuid.uuid4().hex, "matrix"
        )
        return Thing(
            "a customer application",
            {"application_id": sent.application_id},
            assignees=frozenset({"petra.provider"}),
            fresh=application,
        )

    @cache  # one link for every route that takes one: the signing link is sent again a few times a day
    def signing() -> Thing:
        greta = next(p for p in demo.PEOPLE if p.user_id == "greta.admin").as_person()
        before = len(aws.sent_emails())
        container().onboarding.send_signing_again(Actor_(signed_in=greta))
        for _ in range(200):
            for mail in aws.sent_emails()[before:]:
                if (found := SIGNING.search(mail["body"])) is not None:
                    return Thing("a link to sign the agreement", {"signing_id": found["id"]})
            time.sleep(0.02)
        raise AssertionError("no signing link mailed")

    def orderer() -> Thing:
        rita = container().directory.actor("rita.requisitioner", "req-fjallby")
        email = f"matrix-{uuid.uuid4().hex[:8]}@req-fjallby.example"
        created = container().orderers.create(rita, NewOrderer(name="Mats Matrix", email=email))
        return Thing("an orderer of Fjällby", {"user_id": created.user_id}, frozenset({"req-fjallby"}))

    def practitioners_client(practitioner_id: str = PRACTITIONER.practitioner_id) -> Client:
        tag = uuid.uuid4().hex[:8]
        return container().bookings.client_for(
            practitioner_id, NewClient(name=f"Mia Matrix {tag}", email=f"mia-{tag}@example.org")
        )

    def booking() -> Thing:
        """R-BKG-5: a booking of Pia's (Fysio's practitioner): another practitioner's is not found."""
        client = practitioners_client()
        series = container().bookings.series_for_case(PRACTITIONER.practitioner_id, client.client_id, a_case())
        booked = container().bookings.book(
            PRACTITIONER.practitioner_id,
            BookAppointment(client_id=client.client_id, series_id=series.series_id, starts_at=a_free_time()),
        )
        return Thing("a booking of Pia's", {"booking_id": booked.booking_id}, frozenset({"fysio"}))

    missing_orderer = Thing(
        "an orderer that does not exist", {"user_id": f"nobody-{uuid.uuid4().hex[:8]}"}, exists=False
    )
    missing_order = Thing("an order that does not exist", {"order_id": uuid.uuid4().hex}, exists=False)
    missing_step = Thing(
        "a link that leads nowhere",
        {"approval_id": "N" * 32, "order_id": uuid.uuid4().hex, "step": "agent_approval"},
        exists=False,
    )
    return {
        "order_id": lambda: [order("via agent"), order("direct"), missing_order],
        "approval_id": lambda: [agent_approval(), customer_attestation(), missing_step],
        "approval_id to sign": lambda: [customer_attestation(), missing_step],
        "approval_id to decide": lambda: [agent_approval(), missing_step],
        "order_id step": lambda: [agent_approval(), customer_attestation(), not_opened(), missing_step],
        "order_id step to sign": lambda: [customer_attestation(), missing_step],
        "name": lambda: [Thing("the portal's script", {"name": "portal.js"})],
        "invitation_id": lambda: [
            invitation(),
            Thing("a made-up invitation", {"invitation_id": "M" * 32}, exists=False),
        ],
        "message_id": lambda: [Thing("a mail in the outbox", {"message_id": aws.sent_emails()[-1]["id"]})],
        "user_id": lambda: [
            colleague("region-norrby", "ada.admin"),
            colleague("clinic-old", "greta.admin"),
            Thing("a person nobody has", {"user_id": "nobody.here"}, exists=False),
        ],
        "application_id": lambda: [
            application(),
            Thing("an application that does not exist", {"application_id": f"app-{'0' * 24}"}, exists=False),
        ],
        "signing_id": lambda: [
            signing(),
            Thing("a made-up signing link", {"signing_id": "M" * 32}, exists=False),
        ],
        "orderer user_id": lambda: [orderer(), missing_orderer],
        "booking_id": lambda: [
            booking(),
            Thing("a booking nobody has", {"booking_id": "bk-0000000000000000"}, exists=False),
        ],
        "client_id": lambda: [
            Thing("a client of Pia's", {"client_id": practitioners_client().client_id}, frozenset({"fysio"})),
            Thing("a client nobody has", {"client_id": "cl-0000000000000000"}, exists=False),
        ],
        # Switched, the requisitioner's session acts as the orderer: the one that does not exist comes first.
        "user_id to switch to": lambda: [missing_orderer, orderer()],
    }


# A role each organisation of the matrix's administrators gives (directory.model.ROLES_BY_KIND), where Orderer
# is not one.
ROLE_TO_ADD = {"provider": "CustomerService"}


def new_person(role: str = "Orderer") -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Matrix Person {tag}",
        "email": f"matrix-{tag}@region-norrby.example",
        "roles": [role],
        "phone": "0701234567",
    }


# Which objects a route takes, where it is not the plain set of its path parameters.
ROUTE_OBJECTS = {
    ("POST", "/api/approvals/{approval_id}/code"): "approval_id to sign",
    ("POST", "/api/approvals/{approval_id}/decision"): "approval_id to decide",
    ("POST", "/approvals/{approval_id}/code"): "approval_id to sign",
    ("POST", "/orders/{order_id}/steps/{step}/code"): "order_id step to sign",
    ("POST", "/switch-to/{user_id}"): "user_id to switch to",
}


def objects_of(method: str, path: str, things: dict[str, Callable[[], list[Thing]]]) -> list[Thing | None]:
    parameters = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if not parameters:
        return [None]
    # The orderers' routes take a requisitioner's orderers; the people routes, an organisation's people.
    default = ("orderer " if path.startswith(("/orderers/", "/api/orderers/")) else "") + " ".join(parameters)
    key = ROUTE_OBJECTS.get((method, path), default)
    assert key in things, f"the matrix has no objects for {parameters} of {method} {path}"
    return list(things[key]())


# --- calling -----------------------------------------------------------------------------------------------


def case_opened() -> dict[str, Any]:
    """An insurer case for the demo practitioner, a new one each time (each event id is used once)."""
    return {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": "case.opened",
        "occurred_at": "2026-12-01T10:00:00+00:00",
        "case": {
            "case_id": f"SAK-{uuid.uuid4().hex[:12]}",
            "practitioner_id": PRACTITIONER.practitioner_id,
            "insurer": {
                "insurer_id": INSURER.insurer_id,
                "name": INSURER.name,
                "organisation_number": INSURER.party.organisation_number,
                "address": {"street": "Forsikringsveien 10", "postcode": "0250", "city": "Oslo"},
            },
            "service": PHYSIOTHERAPY.model_dump(),
            "max_appointments": 4,
        },
    }


def a_case(practitioner_id: str = PRACTITIONER.practitioner_id) -> str:
    """An insurer case of its own for the practitioner (a series belongs to one client)."""
    owner = OTHER_PRACTITIONER if practitioner_id == OTHER_PRACTITIONER.practitioner_id else PRACTITIONER
    insurer_case = case(f"SAK-{uuid.uuid4().hex[:10]}", practitioner=owner)
    transaction = container().adapters.transactions.begin()
    container().adapters.booking_records.put_case(transaction, insurer_case, None)
    transaction.commit()
    return insurer_case.case_id


def a_free_time() -> datetime:
    """A time no other booking holds: the calendar lasts the whole session."""
    return datetime(2030, 1, 7, 7, 0, tzinfo=UTC) + timedelta(
        days=uuid.uuid4().int % 2000, minutes=5 * (uuid.uuid4().int % 100)
    )


def client_of(user_id: str) -> str:
    """A client of the practitioner (for anyone else, a client id that is never reached)."""
    if user_id not in (PRACTITIONER.practitioner_id, OTHER_PRACTITIONER.practitioner_id):
        return "cl-0000000000000000"
    tag = uuid.uuid4().hex[:8]
    client = container().bookings.client_for(user_id, NewClient(name=f"Mia {tag}", email=f"mia-{tag}@example.org"))
    return client.client_id


def body_for(method: str, path: str, caller: Caller) -> dict[str, Any]:
    """What each API route with a body is sent: a valid one, for this caller. A new such route needs a line."""
    person = caller.person or next(p for p in demo.PEOPLE if p.user_id == "olivia.orderer")
    attester = next(
        (p.user_id for p in demo.PEOPLE if p.org_id == person.org_id and Role.ATTESTER in p.roles), "adam.attester"
    )
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/session"): {"username": person.user_id, "password": demo.PASSWORD},
        ("POST", "/api/orders"): direct_order(attester_id=attester),
        ("POST", "/api/approvals/{approval_id}/decision"): {"decision": "approve", "agent_review": agent_review()},
        ("POST", "/api/people"): new_person(role=ROLE_TO_ADD.get(person.org_id, "Orderer")),
        ("PATCH", "/api/people/{user_id}"): {"name": "Renamed Person"},
        ("PUT", "/api/organisation/serving"): {"customers": [], "source_systems": []},
        ("POST", "/api/applications"): application_body(),
        ("POST", "/api/applications/{application_id}/decision"): {"decision": "approve"},
        ("POST", "/api/orderers"): {"name": "Mona Matrix", "email": f"mona-{uuid.uuid4().hex[:8]}@example.org"},
        ("POST", "/api/orderer-registrations"): {
            "name": "Rolf Registered",
            "email": f"rolf-{uuid.uuid4().hex[:8]}@example.org",
            "requisitioner_id": "req-fjallby",
        },
        ("POST", "/api/practice/clients"): {"name": "Mia Matrix", "email": f"mia-{uuid.uuid4().hex[:8]}@example.org"},
        ("POST", "/api/practice/series"): {"client_id": client_of(person.user_id), "case_id": a_case(person.user_id)},
        ("POST", "/api/practice/bookings"): {
            "client_id": client_of(person.user_id),
            "case_id": a_case(person.user_id),
            "starts_at": a_free_time().isoformat(),
            "request_key": uuid.uuid4().hex,
        },
        # Anyone may send one; only the partner's signature (call_api signs it) makes it count.
        ("POST", "/api/partner-events"): case_opened(),
    }
    if (method, path) not in bodies:
        raise AssertionError(f"the matrix does not know what to send to {method} {path}: add it to body_for")
    return bodies[(method, path)]


# What each page form is sent. An allowed caller is not refused for who they are; what the form itself then
# answers (done, or its fields named) is the pages' own tests' business. A new form needs a line.
FORMS: dict[str, dict[str, str]] = {
    "/sign-in": {"username": "", "password": ""},
    "/sign-in/new-password": {"username": "", "challenge": "", "new_password": ""},
    "/sign-in/forgot": {"username": ""},
    "/sign-in/reset": {"username": "", "code": "", "new_password": ""},
    "/sign-out": {},
    "/set-password/{invitation_id}": {"new_password": "", "repeat_password": ""},
    "/language": {"language": "sv", "return_to": "/"},
    "/orders/new": {"action": "add_unit"},
    "/orders/new/submit": {},
    "/approvals/{approval_id}/code": {},
    "/approvals/{approval_id}/decision": {"decision": "maybe"},
    "/approvals/{approval_id}/resend": {},
    "/orders/{order_id}/steps/{step}/code": {},
    "/orders/{order_id}/steps/{step}/decision": {"decision": "maybe"},
    "/orders/{order_id}/steps/{step}/resend": {},
    "/people/new": {"name": ""},
    "/people/{user_id}": {"name": ""},
    "/people/{user_id}/remove": {},
    "/people/{user_id}/invite": {},
    "/serving": {"add_customer": ""},
    "/apply": {},
    "/applications/{application_id}/decision": {"decision": "maybe"},
    "/signing/{signing_id}/code": {},
    "/signing/{signing_id}/sign": {"one_time_code": ""},
    "/agreement/send-again": {},
    "/orderers": {"name": "", "email": ""},
    "/orderers/{user_id}": {"name": "", "email": ""},
    "/orderers/{user_id}/password": {},
    "/orderers/{user_id}/approval": {},
    "/orderers/{user_id}/delete": {},
    "/register": {"name": "", "email": "", "requisitioner_id": ""},
    "/switch-back": {},
    "/bookings/new/client": {"name": ""},
    "/bookings/new/check": {},
    "/bookings/new/submit": {},
    "/bookings/{booking_id}/move": {"date": "", "time": ""},
    "/bookings/{booking_id}/cancel": {},
    "/bookings/{booking_id}/attended": {},
    # Sorted last but for /terms: the requisitioner's session acts as the orderer from here on.
    "/switch-to/{user_id}": {},
}


def application_body() -> dict[str, Any]:
    """A customer application no other shares: its own organisation number and addresses."""
    base, tag = f"55{secrets.randbelow(10**7):07d}", uuid.uuid4().hex[:10]
    return {
        "organisation_name": f"Matrix {tag} AB",
        "org_number": base + luhn.calc_check_digit(base),
        "administrator": {"name": "A", "email": f"a-{tag}@matrix.example"},
        "signatory": {"name": "S", "email": f"s-{tag}@matrix.example", "phone": "0701234567"},
        "agreement_contact": {"name": "C", "email": f"c-{tag}@matrix.example"},
    }


def filled(path: str, thing: Thing | None) -> str:
    for name, value in (thing.values if thing else {}).items():
        path = path.replace("{" + name + "}", value)
    return path


def call_api(served: str, method: str, path: str, thing: Thing | None, caller: Caller, contract: Operation) -> Reply:
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    if caller.token:
        headers["Authorization"] = f"Bearer {caller.token}"
    body = body_for(method, path, caller) if contract.body is not None else None
    raw = json.dumps(body).encode() if body is not None else b""
    if body is not None and any(header.name == "X-Signature" for header in contract.headers):
        raw, partner_headers = signed(body)  # a partner's event: signed with the demo partner's secret
        headers.update(partner_headers)
    answer = OverHttp(served).request(method, filled(path, thing), headers, raw)
    parsed: Any = answer.body
    if answer.headers.get("Content-Type", "").startswith("application/json") and answer.body:
        parsed = json.loads(answer.body)
    return Reply(answer.status_code, parsed, answer.headers)


def open_page(served: str, method: str, path: str, thing: Thing | None, caller: Caller) -> tuple[int, str | None]:
    visitor = caller.visitor
    assert visitor is not None
    if path == "/sign-out" and caller.person is not None:
        visitor = Visitor(served).sign_in(caller.person.user_id)  # signing out ends the session; use another
    if method == "GET":
        page = visitor.get(filled(path, thing))
    else:
        assert path in FORMS, f"the matrix does not know what to post to {path}: add it to FORMS"
        visitor.get("/terms")  # a page of the site, for the form's CSRF token
        page = visitor.submit(filled(path, thing), FORMS[path])
    return page.status, page.location


def routes() -> list[tuple[str, str]]:
    return [(method, path) for path, methods in sorted(every_route(app).items()) for method in sorted(methods)]


def test_every_route_as_every_caller_on_their_own_and_others_objects(served, callers, things):
    checked: list[tuple[str, str, str, str, int]] = []
    for method, path in routes():
        contract = operation_of(every_route(app)[path][method].view_function)
        assert contract is not None, f"{method} {path} declares no access: add an operation(...) or page(...)"
        pages = contract.access.via == "session"
        for thing in objects_of(method, path, things):
            used = False  # an allowed API POST on an object that can be used once uses it up
            for caller in callers["session" if pages else "token"]:
                want = expected(contract.access, caller, thing)
                target = thing
                if not pages and want == ALLOWED and method == "POST" and thing and thing.fresh is not None:
                    target = thing.fresh() if used else thing
                    used = True
                where = f"{method} {path} by {caller.label} on {target.name if target else '-'}"
                if pages:
                    status, location = open_page(served, method, path, target, caller)
                    if want == SIGN_IN:
                        assert (status, location) == (303, "/sign-in"), (where, status, location)
                    elif want == ALLOWED:
                        refused = status in (401, 403, 404) or location == "/sign-in"
                        if method == "GET":
                            assert status == 200 or (path == "/sign-in" and status == 303), (where, status)
                        assert not refused or path == "/sign-in", (where, status, location)
                    else:
                        assert status == want, (where, want, status)
                else:
                    answer = call_api(served, method, path, target, caller, contract)
                    status = answer.status
                    if want == ALLOWED:
                        assert status in success(contract), (where, status, answer.body)
                    else:
                        assert status == want, (where, want, status, answer.body)
                        assert isinstance(answer.body, dict) and answer.body["code"], (where, answer.body)
                checked.append((method, path, caller.label, target.name if target else "-", status))
    # Every route was called by everyone, and the matrix holds refusals of every kind.
    assert {(m, p) for m, p, *_ in checked} == set(routes())
    assert {status for *_, status in checked} >= {200, 201, 202, 303, 401, 403, 404}


def test_refused_callers_change_nothing(served, callers, things):
    """Everyone but the assignees tries to decide one step, by its link and by the order; the step is still open
    for its assignee after."""
    step = things["approval_id to decide"]()[0]
    decide = every_route(app)["/api/approvals/{approval_id}/decision"]["POST"].view_function
    contract = operation_of(decide)
    assert contract is not None
    for caller in callers["token"]:
        if caller.person is None or caller.person.user_id not in step.assignees:
            answer = call_api(served, "POST", "/api/approvals/{approval_id}/decision", step, caller, contract)
            assert answer.status in (401, 403)
    approve = {
        "decision": "approve",
        "declaration_accepted": "yes",
        "agent_attester": "alva.attester",
        "invoice_choice": "inv-cgm",
        "step": "agent_approval",
    }
    for caller in callers["session"]:
        if caller.person is None or caller.person.user_id not in step.assignees:
            visitor = caller.visitor
            assert visitor is not None
            visitor.get("/terms")
            for path in ("/approvals/{approval_id}/decision", "/orders/{order_id}/steps/{step}/decision"):
                assert visitor.submit(filled(path, step), approve).status in (303, 403), caller.label
    hanna = next(caller for caller in callers["token"] if caller.label == "hanna.handler")
    view = every_route(app)["/api/approvals/{approval_id}"]["GET"].view_function
    contract = operation_of(view)
    assert contract is not None
    assert call_api(served, "GET", "/api/approvals/{approval_id}", step, hanna, contract).body["state"] == "open"


def test_the_expected_answers_follow_the_declaration_not_the_code():
    """The matrix's expectation reads only the declaration: an access for customer service alone refuses an
    orderer, whatever the route does."""
    olivia = Caller("olivia", "token", next(p for p in demo.PEOPLE if p.user_id == "olivia.orderer"))
    kim = Caller("kim", "token", next(p for p in demo.PEOPLE if p.user_id == "kim.service"))
    only_service = Access(roles=frozenset({Role.CUSTOMER_SERVICE}))
    assert expected(only_service, olivia, None) == 403 and expected(only_service, kim, None) == ALLOWED
    order = Thing("o", {"order_id": "x"}, frozenset({"agent-cgm"}))
    party = Access(relation=Relation.PARTY)
    assert expected(party, olivia, order) == 404 and expected(party, Caller(ANONYMOUS), order) == 401
    assert expected(Access(via="session"), Caller(NO_COOKIE), None) == SIGN_IN
