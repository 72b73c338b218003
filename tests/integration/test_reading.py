"""Reading: my orders, my organisation's, my pending actions (R-ORD-6), the agent's queue (R-ORD-7), and who may
see an order at all."""

from __future__ import annotations

import pytest

from local.people import agent_review, direct_order, placed, via_agent_order


def ids(orders):
    return [order["order_id"] for order in orders]


def test_my_orders_and_my_organisations_orders(person):
    olivia, ada = person("olivia.orderer"), person("ada.admin")
    mine = olivia.submit(direct_order()).body["order_id"]
    colleagues = ada.submit(direct_order()).body["order_id"]

    my_orders = ids(olivia.get("/api/orders?scope=mine").body["orders"])
    assert mine in my_orders and colleagues not in my_orders
    organisation = ids(olivia.get("/api/orders?scope=organisation").body["orders"])
    assert {mine, colleagues} <= set(organisation)
    assert organisation == sorted(organisation, key=organisation.index)  # newest first
    assert organisation.index(colleagues) < organisation.index(mine)


def test_a_pending_step_is_in_the_assignees_notification_list_until_decided(person):
    """R-ORD-6."""
    olivia, hanna, hugo, alva = (
        person(u) for u in ("olivia.orderer", "hanna.handler", "hugo.handler", "alva.attester")
    )
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    for handler in (hanna, hugo):
        pending = [p for p in handler.get("/api/pending").body["pending"] if p["order_id"] == order_id]
        assert [(p["step"], p["customer_name"]) for p in pending] == [("agent_approval", "Region Norrby")]
    assert order_id not in ids(olivia.get("/api/pending").body["pending"])

    hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()})
    alva.next_email("attestera beställning", number)
    for handler in (hanna, hugo):
        assert order_id not in ids(handler.get("/api/pending").body["pending"])
    assert [p["step"] for p in alva.get("/api/pending").body["pending"] if p["order_id"] == order_id] == [
        "agent_attestation"
    ]


def test_the_agent_queue_holds_its_customers_orders_while_they_wait_for_the_agent(person):
    """R-ORD-7."""
    olivia, hanna, alva, adam = (
        person(u) for u in ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")
    )
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    queue = hanna.get("/api/agent/queue").body["orders"]
    assert order_id in ids(queue)
    assert next(o for o in queue if o["order_id"] == order_id)["current_step"] == "agent_approval"
    assert order_id not in ids(person("erik.handler").get("/api/agent/queue").body["orders"])  # another agent

    hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()})
    alva.attest(alva.approval_link("attestera beställning", number))
    adam.next_email("attestera beställning", number)  # now it waits for the customer, not the agent
    assert order_id not in ids(hanna.get("/api/agent/queue").body["orders"])


def test_only_agent_case_handlers_see_a_queue_and_only_customer_service_sees_cases(person):
    assert person("olivia.orderer").get("/api/agent/queue").status == 403
    assert person("hanna.handler").get("/api/cases").status == 403
    assert person("kim.service").get("/api/cases").status == 200


def test_an_order_is_visible_to_its_customer_its_agent_and_customer_service_only(person):
    olivia = person("olivia.orderer")
    via_agent = olivia.submit(via_agent_order()).body["order_id"]
    direct = olivia.submit(direct_order()).body["order_id"]
    for reader in ("olivia.orderer", "adam.attester", "hanna.handler", "kim.service"):
        assert person(reader).get(f"/api/orders/{via_agent}").status == 200, reader
    for outsider in ("oskar.orderer", "erik.handler"):
        assert person(outsider).get(f"/api/orders/{via_agent}").status == 404, outsider
    assert person("hanna.handler").get(f"/api/orders/{direct}").status == 404  # no agent in a direct order


def test_me_lists_the_organisations_attesters_for_the_order_form(person):
    me = person("olivia.orderer").get("/api/me").body
    assert me["org_id"] == "region-norrby" and me["roles"] == ["Orderer"]
    assert {a["user_id"] for a in me["attesters"]} == {"adam.attester", "ada.admin"}
    assert me["organisation"]["invoice_details"][0]["invoice_id"] == "inv-main"


def test_the_catalogue_says_each_offerings_flow_and_prices(person):
    """R-ORD-1, R-ORD-9."""
    catalogue = person("olivia.orderer").get("/api/catalogue").body
    offerings = {o["offering_id"]: o for o in catalogue["offerings"]}
    assert offerings["npo-consumer-via-agent"]["flow"] == "direct"
    assert offerings["webcert-integrated-via-agent"]["flow"] == "via_agent"
    assert all(o["start_up_fee"] > 0 and o["price_per_care_unit"] > 0 for o in offerings.values())
    assert {"CGM J4", "CGM TakeCare"} == set(
        next(a for a in catalogue["agents"] if a["org_id"] == "agent-cgm")["source_systems"]
    )


def all_pages(person, path: str, name: str, limit: int) -> list[list[dict[str, str]]]:
    pages, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        reply = person.get(f"{path}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert reply.status == 200, reply.body
        pages.append(reply.body[name])
        cursor = reply.body["next"]
        if cursor is None:
            return pages


def test_every_list_comes_in_pages_newest_first_and_nothing_is_cut(person):
    olivia = person("olivia.orderer")
    mine = [olivia.submit(direct_order()).body["order_id"] for _ in range(3)]
    first = olivia.get("/api/orders?scope=mine&limit=2").body
    assert ids(first["orders"]) == mine[::-1][:2] and first["next"]
    everything = [order for page in all_pages(olivia, "/api/orders?scope=mine", "orders", 4) for order in page]
    assert ids(everything)[:3] == mine[::-1]
    assert len(ids(everything)) == len(set(ids(everything)))
    for path, name, user in (
        ("/api/orders?scope=organisation", "orders", "olivia.orderer"),
        ("/api/pending", "pending", "adam.attester"),
        ("/api/agent/queue", "orders", "hanna.handler"),
        ("/api/cases", "cases", "kim.service"),
    ):
        reply = person(user).get(f"{path}{'&' if '?' in path else '?'}limit=1")
        assert reply.status == 200 and len(reply.body[name]) <= 1 and "next" in reply.body, path


def test_a_newly_opened_step_is_first_in_the_assignees_list(person):
    """R-ORD-6: ten steps mailed to one attester are all listed, the newest first (the list was sorted by
    order id, and capped, so new steps could vanish from it)."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    numbers = []
    for _ in range(10):
        _, number = placed(olivia.submit(direct_order()))
        adam.next_email("attestera beställning", number)
        numbers.append(number)
    pending = [line for page in all_pages(adam, "/api/pending", "pending", 3) for line in page]
    listed = [line["number"] for line in pending]
    assert set(numbers) <= set(listed)
    assert listed[: len(numbers)] == numbers[::-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=many", "limit"), ("cursor=%20", "cursor")],
)
def test_wrong_paging_parameters_are_named(person, query, field):
    reply = person("olivia.orderer").get(f"/api/orders?scope=mine&{query}")
    assert reply.status == 400 and reply.body["errors"][0]["field"] == field


def test_a_cursor_that_is_not_ours_is_refused(person):
    for path in ("/api/orders?scope=mine&", "/api/pending?", "/api/cases?"):
        user = "kim.service" if "cases" in path else "olivia.orderer"
        reply = person(user).get(f"{path}cursor=eyJwayI6IlVTRVIjYWRhLmFkbWluIn0")  # {"pk": "USER#ada.admin"}
        assert reply.status == 422 and reply.body["errors"][0]["field"] == "cursor", path
