"""Both chains of R-ORD-2 end to end over HTTP, on the embedded AWS with the real definition executing.
Every link and code is taken from the e-mail or SMS the person would receive."""

from __future__ import annotations

from typing import Any

from local.people import agent_review, direct_order, placed, via_agent_order


def history_of(person: Any, order_id: str) -> list[dict[str, Any]]:
    response = person.get(f"/api/orders/{order_id}")
    assert response.status == 200, response.body
    return response.body["history"]


def test_via_agent_order_passes_agent_approval_agent_attestation_customer_attestation_then_case(person, aws):
    olivia, hanna, hugo, alva, adam = (
        person(u) for u in ("olivia.orderer", "hanna.handler", "hugo.handler", "alva.attester", "adam.attester")
    )
    order_id, number = placed(olivia.submit(via_agent_order()))
    assert number.startswith("RITM")  # R-ORD-8

    # R-ORD-2 step 2: every case handler of the agent is asked; one decides.
    approval_id = hanna.approval_link("granska beställning", number)
    hugo.next_email("review order", number)  # in English, his language
    view = hanna.get(f"/api/approvals/{approval_id}")
    assert view.status == 200
    assert view.body["step"] == "agent_approval" and view.body["state"] == "open"
    assert [unit["hsa_id"] for unit in view.body["order"]["care_units"]] == ["SE2321000099-VCN1", "SE2321000099-VCS1"]
    assert {"user_id": "alva.attester", "name": "Alva Attester"} in view.body["agent_attesters"]
    decided = hanna.post(
        f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()}
    )
    assert decided.status == 200, decided.body

    # Step 3: the attester the handler chose signs with a one-time code (R-ORD-4, R-ORD-5).
    approval_id = alva.approval_link("attestera beställning", number)
    assert alva.get(f"/api/approvals/{approval_id}").body["order"]["agent_review"]["attester_id"] == "alva.attester"
    assert alva.attest(approval_id).status == 200

    # Step 4: the customer's attester.
    approval_id = adam.approval_link("attestera beställning", number)
    assert adam.attest(approval_id).status == 200

    # Step 5: the case, and the agent told to start the technical connection.
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    hanna.next_email("påbörja den tekniska anslutningen", number)
    olivia.next_email("är klar", number)
    order = olivia.get(f"/api/orders/{order_id}").body["order"]
    assert order["status"] == "completed"
    assert order["case_number"] == "CS" + order["number"].removeprefix("RITM")
    assert order["price"] == {
        "start_up_fee": 12000,
        "price_per_care_unit": 1500,
        "care_unit_count": 2,
        "total": 15000,
    }  # R-ORD-1

    # R-ORD-8: who did what, when, with which signing method.
    events = [(e["action"], e["step"], e["actor_id"], e["signing_method"]) for e in history_of(olivia, order_id)]
    assert events == [
        ("submitted", None, "olivia.orderer", None),
        ("step_opened", "agent_approval", "system", None),
        ("approved", "agent_approval", "hanna.handler", None),
        ("step_opened", "agent_attestation", "system", None),
        ("approved", "agent_attestation", "alva.attester", "sms_one_time_code"),
        ("step_opened", "customer_attestation", "system", None),
        ("approved", "customer_attestation", "adam.attester", "sms_one_time_code"),
        ("case_created", None, "system", None),
    ]
    cases = person("kim.service").get("/api/cases").body["cases"]
    assert any(case["order_id"] == order_id for case in cases)


def test_direct_order_goes_straight_to_customer_attestation_and_customer_service_is_told(person, aws):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))

    approval_id = adam.approval_link("attestera beställning", number)
    assert adam.get(f"/api/approvals/{approval_id}").body["step"] == "customer_attestation"
    assert adam.attest(approval_id).status == 200

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    service_mail = aws.emails_to("customer.service@provider.example", order_id)
    assert service_mail, "customer service is told to contact the customer"
    steps = [e["step"] for e in history_of(olivia, order_id) if e["action"] == "approved"]
    assert steps == ["customer_attestation"]  # R-ORD-2: no agent step in the direct chain


def test_the_catalogue_not_the_customer_decides_the_flow(person, aws):
    """R-ORD-9: NPÖ Konsument via agent is ordered through the direct flow."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    refused = olivia.submit(
        direct_order(
            offering_id="npo-consumer-via-agent", declarations={}, agent_org_id="agent-cgm", source_system="CGM J4"
        )
    )
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == "agent_org_id"

    _, number = placed(olivia.submit(direct_order(offering_id="npo-consumer-via-agent", declarations={})))
    approval_id = adam.approval_link("attestera beställning", number)
    assert adam.get(f"/api/approvals/{approval_id}").body["step"] == "customer_attestation"
