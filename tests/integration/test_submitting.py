"""POST /api/orders: who may order what (R-ONB-1, R-ONB-2, R-ORD-9), and a double submit creates one order."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from local.people import direct_order, via_agent_order


def orders_of(person):
    return [order["order_id"] for order in person.get("/api/orders?scope=mine").body["orders"]]


def test_a_double_submit_creates_one_order_and_starts_one_workflow(person, aws):
    olivia = person("olivia.orderer")
    key = uuid.uuid4().hex
    first = olivia.submit(via_agent_order(), key)
    second = olivia.submit(via_agent_order(), key)
    assert first.status == second.status == 201
    assert first.body == second.body
    assert orders_of(olivia).count(first.body["order_id"]) == 1
    aws.execution(first.body["order_id"])  # the outbox starts it, after the answer
    executions = aws.client("stepfunctions").list_executions(stateMachineArn=aws.environment["STATE_MACHINE_ARN"])[
        "executions"
    ]
    assert [e["name"] for e in executions].count(first.body["order_id"]) == 1


def test_simultaneous_submits_with_one_key_create_one_order(person):
    olivia = person("olivia.orderer")
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: olivia.submit(direct_order(), key), range(4)))
    created = {a.body["order_id"] for a in answers if a.status == 201}
    assert len(created) == 1
    assert all(a.status in (201, 409) for a in answers)
    assert orders_of(olivia).count(created.pop()) == 1


def test_a_reused_key_with_another_order_is_refused(person):
    olivia = person("olivia.orderer")
    key = uuid.uuid4().hex
    assert olivia.submit(direct_order(), key).status == 201
    reused = olivia.submit(via_agent_order(), key)
    assert reused.status == 422
    assert reused.body["errors"][0]["field"] == "Idempotency-Key"


def test_the_same_key_from_two_orderers_makes_two_orders(person):
    key = uuid.uuid4().hex
    first = person("olivia.orderer").submit(direct_order(), key)
    second = person("ada.admin").submit(direct_order(), key)
    assert first.status == second.status == 201
    assert first.body["order_id"] != second.body["order_id"]


def test_an_order_without_idempotency_key_is_refused(person):
    olivia = person("olivia.orderer")
    for headers in ({}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "has spaces in it"}):
        response = olivia.post("/api/orders", direct_order(), headers=headers)
        assert response.status == 400
        assert response.body["errors"][0]["field"] == "Idempotency-Key"


def test_an_organisation_on_an_older_agreement_cannot_order(person):
    """R-ONB-1: signed under an older agreement model is not signed."""
    oskar = person("oskar.orderer")
    refused = oskar.submit(direct_order(attester_id="otto.attester"))
    assert refused.status == 403
    assert "current customer agreement" in refused.body["message"]
    assert orders_of(oskar) == []


def test_only_an_orderer_can_order(person):
    """R-ONB-2."""
    for user_id in ("adam.attester", "hanna.handler", "kim.service"):
        refused = person(user_id).submit(direct_order())
        assert refused.status == 403, user_id


def test_the_attester_must_be_an_attester_of_the_same_organisation(person):
    """R-ONB-2."""
    olivia = person("olivia.orderer")
    for attester in ("olivia.orderer", "alva.attester", "otto.attester", "no.such.person"):
        refused = olivia.submit(direct_order(attester_id=attester))
        assert refused.status == 422, attester
        assert refused.body["errors"] == [
            {"field": "attester_id", "reason": "The attester must be an Attester of your organisation."}
        ]


def test_the_agent_must_support_the_source_system_and_serve_the_customer(person):
    olivia = person("olivia.orderer")
    unsupported = olivia.submit(via_agent_order(source_system="Evry Journal"))
    assert unsupported.status == 422 and unsupported.body["errors"][0]["field"] == "source_system"
    not_ours = olivia.submit(via_agent_order(agent_org_id="agent-evry", source_system="Evry Journal"))
    assert not_ours.status == 422 and not_ours.body["errors"][0]["field"] == "agent_org_id"
    unknown = olivia.submit(via_agent_order(agent_org_id="agent-nobody"))
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "agent_org_id"
    missing = olivia.submit(via_agent_order(source_system=None))
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "source_system"


def test_every_declaration_must_be_ticked(person):
    olivia = person("olivia.orderer")
    unticked = olivia.submit(via_agent_order(declarations={"personal-data": True, "security-requirements": False}))
    assert unticked.status == 422
    assert unticked.body["errors"][0]["field"] == "declarations.security-requirements"
    unknown = olivia.submit(direct_order(declarations={"personal-data": True, "made-up": True}))
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "declarations"


def test_a_saved_invoice_must_belong_to_the_organisation(person):
    olivia = person("olivia.orderer")
    refused = olivia.submit(direct_order(invoice={"kind": "saved", "invoice_id": "inv-of-someone-else"}))
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "invoice.invoice_id"


def test_a_refused_order_uses_no_order_number(person):
    olivia = person("olivia.orderer")
    first = olivia.submit(direct_order()).body["number"]
    assert olivia.submit(direct_order(attester_id="nobody")).status == 422
    second = olivia.submit(direct_order()).body["number"]
    assert int(second.removeprefix("RITM")) == int(first.removeprefix("RITM")) + 1


def test_an_address_saved_for_reuse_is_offered_on_the_next_form(person):
    """Seed 000 step 5: the new address is saved on the organisation in the order's own transaction."""
    olivia = person("olivia.orderer")
    address = f"Region Norrby, Box {uuid.uuid4().int % 10_000}, 901 00 Norrby"
    invoice = {"kind": "new", "address": address, "reference": "RN-99", "save_for_reuse": True}
    order_id = olivia.submit(direct_order(invoice=invoice)).body["order_id"]
    saved = olivia.get("/api/me").body["organisation"]["invoice_details"]
    assert {"invoice_id": f"inv-{order_id}", "address": address, "reference": "RN-99"} in saved
    reused = olivia.submit(direct_order(invoice={"kind": "saved", "invoice_id": f"inv-{order_id}"}))
    assert reused.status == 201
    assert olivia.get(f"/api/orders/{reused.body['order_id']}").body["order"]["invoice"]["address"] == address


def test_an_order_accepting_terms_that_changed_is_a_rule_refusal_naming_the_terms_version(person):
    """Of the documented shape, refused by a rule (422): the terms must be read again."""
    refused = person("olivia.orderer").submit(direct_order(terms_version=99))
    assert refused.status == 422 and refused.body["code"] == "ordering.terms_changed"
    assert [error["field"] for error in refused.body["errors"]] == ["terms_version"]
