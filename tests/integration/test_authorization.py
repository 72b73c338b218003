"""The authorization matrix: every route of the local product, called by every demo person on their own and
others' objects, and with no token, an expired token and a forged one, answers exactly what the route's
declared access (`entrypoints/contract.py` Access) says. The expectation is computed from the declaration;
the answer comes from the whole stack (gateway, authorizer, directory, services)."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app import app
from chalicelib.entrypoints.contract import Access, Operation, Relation, operation_of
from chalicelib.shared.identity import Role
from local import demo
from local.people import OverHttp, Person, Reply, agent_review, direct_order, placed, via_agent_order

ANONYMOUS, EXPIRED, FORGED = "no token", "an expired token", "a forged token"
ALLOWED = "allowed"


@dataclass
class Thing:
    """An object a route is called on: its path value, which organisations are party to it, who it is
    addressed to. `fresh` makes another like it, for callers whose allowed call uses it up."""

    name: str
    value: str
    parties: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()
    exists: bool = True
    fresh: Callable[[], Thing] | None = field(default=None, repr=False)


@dataclass
class Caller:
    label: str
    token: str | None
    person: demo.DemoPerson | None = None


def expected(access: Access, caller: Caller, thing: Thing | None) -> int | str:
    """What the declared access gives this caller on this object: ALLOWED, or the refusal's status."""
    if not access.signed_in:
        return ALLOWED
    if caller.label == ANONYMOUS:
        return 401
    if caller.person is None:  # expired, forged
        return 403
    person = caller.person
    if access.roles and not access.roles & set(person.roles):
        return 403
    if access.agreement_signed and not signed_current_agreement(person.org_id):
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


def success(contract: Operation) -> set[int]:
    return {status for status in contract.responses if status < 300}


# --- tokens ----------------------------------------------------------------------------------------------


def moto_signing_key() -> Any:
    private = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK.from_dict(json.loads(gzip.decompress(private.read_bytes())))


def resigned(token: str, key: Any, **changes: Any) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


@pytest.fixture(scope="module")
def callers(served, aws) -> list[Caller]:
    people = [
        Caller(person.user_id, Person(person.user_id, OverHttp(served), aws).sign_in().token, person)
        for person in demo.PEOPLE
    ]
    kim = next(str(caller.token) for caller in people if caller.label == "kim.service")
    now = int(time.time())
    # Signed with the pool's own key, as genuine, but an hour old.
    expired = resigned(kim, moto_signing_key().key, iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    # The claims of customer service, who may read every order, signed with a key that is not the pool's.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = resigned(kim, stranger)
    return [Caller(ANONYMOUS, None), Caller(EXPIRED, expired), Caller(FORGED, forged), *people]


# --- objects ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def things(served, aws) -> dict[str, Callable[[], list[Thing]]]:
    """For each path parameter, the objects a route with it is called on."""
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()

    def order(kind: str) -> Thing:
        if kind == "via agent":
            order_id, _ = placed(olivia.submit(via_agent_order()))
            return Thing("a via-agent order", order_id, frozenset({"region-norrby", "agent-cgm"}))
        order_id, _ = placed(olivia.submit(direct_order()))
        return Thing("a direct order", order_id, frozenset({"region-norrby"}))

    def agent_approval() -> Thing:
        hanna = Person("hanna.handler", OverHttp(served), aws).sign_in()
        _, number = placed(olivia.submit(via_agent_order()))
        link = hanna.approval_link("review order", number)
        return Thing(
            "an agent approval", link, assignees=frozenset({"hanna.handler", "hugo.handler"}), fresh=agent_approval
        )

    def customer_attestation() -> Thing:
        adam = Person("adam.attester", OverHttp(served), aws).sign_in()
        _, number = placed(olivia.submit(direct_order()))
        link = adam.approval_link("attest order", number)
        return Thing("a customer attestation", link, assignees=frozenset({"adam.attester"}), fresh=customer_attestation)

    missing_order = Thing("an order that does not exist", uuid.uuid4().hex, exists=False)
    missing_step = Thing("a link that leads nowhere", "N" * 32, exists=False)
    return {
        "order_id": lambda: [order("via agent"), order("direct"), missing_order],
        "approval_id": lambda: [agent_approval(), customer_attestation(), missing_step],
        "approval_id (to sign)": lambda: [customer_attestation(), missing_step],
        "approval_id (to decide)": lambda: [agent_approval(), missing_step],
        "name": lambda: [Thing("the portal's script", "portal.js")],
        "message_id": lambda: [Thing("a mail in the outbox", aws.sent_emails()[-1]["id"])],
    }


# Which objects a route with a path parameter takes, where it is not the parameter's plain name.
PARAMETER_OBJECTS = {
    ("POST", "/api/approvals/{approval_id}/code"): "approval_id (to sign)",
    ("POST", "/api/approvals/{approval_id}/decision"): "approval_id (to decide)",
}


def body_for(method: str, path: str, caller: Caller) -> dict[str, Any] | None:
    """What each route with a body is sent: a valid one, for this caller. A new such route needs a line."""
    person = caller.person or next(p for p in demo.PEOPLE if p.user_id == "olivia.orderer")
    attester = next(
        (p.user_id for p in demo.PEOPLE if p.org_id == person.org_id and Role.ATTESTER in p.roles), "adam.attester"
    )
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/session"): {"username": person.user_id, "password": demo.PASSWORD},
        ("POST", "/api/orders"): direct_order(attester_id=attester),
        ("POST", "/api/approvals/{approval_id}/decision"): {"decision": "approve", "agent_review": agent_review()},
    }
    if (method, path) not in bodies:
        raise AssertionError(f"the matrix does not know what to send to {method} {path}: add it to body_for")
    return bodies[(method, path)]


def call(served: str, method: str, path: str, value: str | None, caller: Caller, contract: Operation) -> Reply:
    target = path if value is None else path.replace(path[path.index("{") : path.index("}") + 1], value)
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    if caller.token:
        headers["Authorization"] = f"Bearer {caller.token}"
    body = body_for(method, path, caller) if contract.body is not None else None
    answer = OverHttp(served).request(method, target, headers, json.dumps(body).encode() if body is not None else b"")
    parsed: Any = answer.body
    if answer.headers.get("Content-Type", "").startswith("application/json") and answer.body:
        parsed = json.loads(answer.body)
    return Reply(answer.status_code, parsed, answer.headers)


def routes() -> list[tuple[str, str]]:
    return [(method, path) for path, methods in sorted(app.routes.items()) for method in sorted(methods)]


def test_every_route_as_every_caller_on_their_own_and_others_objects(served, callers, things):
    checked: list[tuple[str, str, str, str, int]] = []
    for method, path in routes():
        contract = operation_of(app.routes[path][method].view_function)
        assert contract is not None, f"{method} {path} declares no access: add an operation(...) to it"
        parameter = path[path.index("{") + 1 : path.index("}")] if "{" in path else None
        if parameter is None:
            objects: list[Thing | None] = [None]
        else:
            key = PARAMETER_OBJECTS.get((method, path), parameter)
            assert key in things, f"the matrix has no objects for {{{parameter}}} of {method} {path}"
            objects = list(things[key]())
        for thing in objects:
            used = False  # an allowed POST on an object that can be used once uses it up
            for caller in callers:
                want = expected(contract.access, caller, thing)
                target = thing
                if want == ALLOWED and method == "POST" and thing is not None and thing.fresh is not None:
                    target = thing.fresh() if used else thing
                    used = True
                answer = call(served, method, path, target.value if target else None, caller, contract)
                where = f"{method} {path} by {caller.label} on {target.name if target else '-'}"
                if want == ALLOWED:
                    assert answer.status in success(contract), (where, answer.status, answer.body)
                else:
                    assert answer.status == want, (where, want, answer.status, answer.body)
                    assert isinstance(answer.body, dict) and answer.body["code"], (where, answer.body)
                checked.append((method, path, caller.label, target.name if target else "-", answer.status))
    # Every route was called by everyone, and the matrix holds refusals of every kind.
    assert {(m, p) for m, p, *_ in checked} == set(routes())
    assert {status for *_, status in checked} >= {200, 201, 202, 401, 403, 404}


def test_refused_callers_change_nothing(served, callers, things, aws):
    """Everyone but the assignees tries to decide one step; the step is still open for its assignee after."""
    step = things["approval_id (to decide)"]()[0]
    decide = app.routes["/api/approvals/{approval_id}/decision"]["POST"].view_function
    contract = operation_of(decide)
    assert contract is not None
    for caller in callers:
        if caller.person is None or caller.person.user_id not in step.assignees:
            assert call(
                served, "POST", "/api/approvals/{approval_id}/decision", step.value, caller, contract
            ).status in (
                401,
                403,
            )
    hanna = next(caller for caller in callers if caller.label == "hanna.handler")
    view = app.routes["/api/approvals/{approval_id}"]["GET"].view_function
    seen = call(served, "GET", "/api/approvals/{approval_id}", step.value, hanna, operation_of(view))  # type: ignore[arg-type]
    assert seen.body["state"] == "open"


def test_the_expected_answers_follow_the_declaration_not_the_code():
    """The matrix's expectation reads only the declaration: an access for customer service alone refuses an
    orderer, whatever the route does."""
    olivia = Caller("olivia", "token", next(p for p in demo.PEOPLE if p.user_id == "olivia.orderer"))
    kim = Caller("kim", "token", next(p for p in demo.PEOPLE if p.user_id == "kim.service"))
    only_service = Access(roles=frozenset({Role.CUSTOMER_SERVICE}))
    assert expected(only_service, olivia, None) == 403 and expected(only_service, kim, None) == ALLOWED
    order = Thing("o", "x", frozenset({"agent-cgm"}))
    party = Access(relation=Relation.PARTY)
    assert expected(party, olivia, order) == 404 and expected(party, Caller(ANONYMOUS, None), order) == 401
