"""Fuzzing the local product from its own OpenAPI document (schemathesis): valid and invalid requests to every
operation, and chains of them along the document's links, with a fixed seed. No answer may be a 5xx, and every
answer (errors included) must be one the document declares, in the shape it declares."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Config
from schemathesis.specs.openapi.stateful import OpenAPIStateMachine

from app import app
from chalicelib.bootstrap import container
from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.entrypoints.openapi import document
from chalicelib.entrypoints.routing import every_route
from chalicelib.shared.identity import Role
from local import demo
from local.people import OverHttp, Person, direct_order, via_agent_order

SEED = 20261201
EXAMPLES_PER_OPERATION = 90
STATEFUL_STEPS = 300
AT_LEAST = 1000

# Who calls each operation: someone it is meant for, so that the fuzzer reaches past the role checks.
CALLER_BY_ROLE = {
    "Administrator": "fuzz.admin",  # of a throwaway organisation of its own: its changes touch no other test's people
    "AgentCaseHandler": "hanna.handler",
    "CustomerService": "kim.service",
    "Requisitioner": "rita.requisitioner",
    "Practitioner": "pia.practitioner",
}
DEFAULT_CALLER = "olivia.orderer"

sent: Counter[str] = Counter()
answered: Counter[str] = Counter()

CONFIG = {
    "seed": SEED,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    # The seed alone decides what is sent: no example database carried between runs. The sign-in header is the
    # test's own (a real token per operation), so the fuzzer makes none up: its mutations would be replaced.
    "generation": {
        "mode": "all",
        "max-examples": EXAMPLES_PER_OPERATION,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,
    },
    "checks": {
        # A request the document allows may still break a rule the document cannot state (no such offering, a
        # cursor that is not ours): 422. What it must never get is 400, the answer to a request out of shape.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 410, 422, 429]},
        # A person's own lists answer for the signed-in person whatever is asked: no resource to free or find.
        "use_after_free": {"enabled": False},
        "ensure_resource_availability": {"enabled": False},
    },
}


# The administrator's organisation: a customer nobody else uses, so the people the fuzzer adds, edits and removes
# are its own, and no other test's order form, attesters or lists see them.
THROWAWAY = Organisation(org_id="fuzz-org", name="Fuzz Throwaway AB", kind=OrganisationKind.CUSTOMER)
ADMINISTRATOR = demo.DemoPerson(
    "fuzz.admin", "Fuzz Administrator", THROWAWAY.org_id, (Role.ADMINISTRATOR,), "+46701009901"
)


def throwaway_administrator(aws: Any) -> None:
    directory = container().adapters.directory
    if directory.person(ADMINISTRATOR.user_id) is not None:
        return
    directory.save_organisation(THROWAWAY)
    directory.save_person(ADMINISTRATOR.as_person())
    demo.add_sign_in(aws.client("cognito-idp"), aws.user_pool_id, ADMINISTRATOR)


@pytest.fixture(scope="module")
def tokens(served, aws) -> dict[str, str]:
    throwaway_administrator(aws)
    people = {DEFAULT_CALLER, *CALLER_BY_ROLE.values()}
    return {user_id: Person(user_id, OverHttp(served), aws).sign_in().token for user_id in people}


def with_examples(description: dict[str, Any]) -> dict[str, Any]:
    """The document, with a real order as the example of a submit: the fuzzer then places orders that pass every
    rule too, and follows their links."""
    body = description["paths"]["/api/orders"]["post"]["requestBody"]["content"]["application/json"]
    body["examples"] = {"direct": {"value": direct_order()}, "via agent": {"value": via_agent_order()}}
    return description


# The document the app makes of itself (`test_openapi.py` shows it is the one the product serves).
api = schemathesis.openapi.from_dict(with_examples(document(every_route(app))), config=Config.from_dict(CONFIG))


def caller_of(operation: Any) -> str:
    roles = operation.definition.raw.get("x-access", {}).get("roles", [])
    return next((CALLER_BY_ROLE[role] for role in roles if role in CALLER_BY_ROLE), DEFAULT_CALLER)


def signed_in(tokens: dict[str, str], operation: Any) -> dict[str, str]:
    if not operation.definition.raw.get("security"):
        return {}
    return {"Authorization": f"Bearer {tokens[caller_of(operation)]}"}


@api.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_document_says(case, served, tokens):
    sent[case.operation.label] += 1
    response = case.call_and_validate(base_url=served, headers=signed_in(tokens, case.operation), timeout=30)
    answered[f"{case.operation.label} {response.status_code}"] += 1


def test_chains_of_operations_along_the_links_answer_as_documented(served, tokens):
    class Workflow(api.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": served, "headers": signed_in(tokens, case.operation), "timeout": 30}

        def after_call(self, response: Any, case: Any) -> None:
            sent[f"stateful {case.operation.label}"] += 1
            answered[f"{case.operation.label} {response.status_code}"] += 1

    assert issubclass(Workflow, OpenAPIStateMachine)
    Workflow.run(settings=settings(max_examples=STATEFUL_STEPS // 10, stateful_step_count=10, deadline=None))


def test_the_fuzzer_sent_more_than_a_thousand_requests_to_every_operation():
    """Run with the module: it counts what the tests above sent."""
    operations = {f"{method.upper()} {path}" for path, methods in api.raw_schema["paths"].items() for method in methods}
    assert operations <= {label for label in sent if not label.startswith("stateful ")}, sorted(sent)
    assert sum(sent.values()) >= AT_LEAST, sent
    assert any(label.startswith("stateful ") for label in sent)
    assert answered["POST /api/orders 201"] > 0 and answered["GET /api/orders/{order_id} 200"] > 0, answered
    # The people routes are reached past their role check, as the throwaway organisation's administrator.
    assert answered["GET /api/people 200"] > 0 and answered["POST /api/people 403"] == 0, answered
