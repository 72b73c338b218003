"""Customer service finds cases by the order's number and by the customer organisation, its id or its name
(DOMAIN.md Flow 2 step 5), through indexes, never a scan."""

from __future__ import annotations

import pytest

from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.ordering.model import Order, Step
from chalicelib.shared.errors import InvalidRequest, NotAllowed
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.pagination import PageRequest
from local.people import direct_order
from tests.fakes.world import FIRST, World

KOMMUN = Organisation(
    org_id="norrby-kommun", name="Norrby kommun", kind=OrganisationKind.CUSTOMER, signed_agreement_version=2
)


def with_a_second_customer(world: World) -> None:
    world.directory.save_organisation(KOMMUN)
    for user_id, role in (("karin.orderer", Role.ORDERER), ("kalle.attester", Role.ATTESTER)):
        world.directory.save_person(
            Person(
                user_id=user_id,
                org_id=KOMMUN.org_id,
                name=user_id,
                email=f"{user_id}@x.example",
                phone="+46701009999",
                roles=[role],
            )
        )


def completed(world: World, orderer: str = "olivia.orderer", attester: str = "adam.attester") -> Order:
    order = world.submit(orderer, direct_order(attester_id=attester))
    world.attest(attester, world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION))
    world.app.endings.create_case(order.order_id)
    world.clock.advance(minutes=1)
    return order


@pytest.fixture
def orders(world: World) -> dict[str, list[Order]]:
    with_a_second_customer(world)
    return {
        "region-norrby": [completed(world), completed(world, "ada.admin")],
        KOMMUN.org_id: [completed(world, "karin.orderer", "kalle.attester")],
    }


def numbers(world: World, order_number: str | None, organisation: str | None, page: PageRequest = FIRST) -> list[str]:
    found = world.app.orders.find_cases(world.actor("kim.service"), order_number, organisation, page)
    return [case.order_number for case in found.items]


def test_a_case_is_found_by_its_orders_number_however_it_is_typed(world: World, orders):
    first = orders["region-norrby"][0]
    for typed in (first.number, f"  {first.number.lower()} "):
        assert numbers(world, typed, None) == [first.number]
    assert numbers(world, "RITM9999999", None) == []
    assert numbers(world, "not a number", None) == []


def test_an_organisations_cases_are_found_by_its_id_or_its_name_newest_first(world: World, orders):
    region = [order.number for order in reversed(orders["region-norrby"])]
    assert numbers(world, None, "region-norrby") == region
    assert numbers(world, None, "region  NORRBY") == region  # its name, as people type it
    assert numbers(world, None, "Norrby kommun") == [orders[KOMMUN.org_id][0].number]
    assert numbers(world, None, "Region Söderby") == []
    page = world.app.orders.find_cases(world.actor("kim.service"), None, "Region Norrby", PageRequest(limit=1))
    assert [case.order_number for case in page.items] == region[:1] and page.next is not None
    assert numbers(world, None, "Region Norrby", PageRequest(limit=1, cursor=page.next)) == region[1:]


def test_a_number_and_an_organisation_find_the_case_only_if_it_is_that_organisations(world: World, orders):
    number = orders[KOMMUN.org_id][0].number
    assert numbers(world, number, "Norrby kommun") == [number]
    assert numbers(world, number, "Region Norrby") == []


def test_with_neither_every_case_is_listed(world: World, orders):
    assert len(numbers(world, None, None)) == 3 == len(numbers(world, " ", ""))


def test_a_name_several_organisations_share_is_refused_naming_the_organisation(world: World, orders):
    world.directory.save_organisation(KOMMUN.model_copy(update={"org_id": "norrby-kommun-2"}))
    with pytest.raises(InvalidRequest) as refused:
        numbers(world, None, "Norrby Kommun")
    assert refused.value.field == "organisation" and refused.value.params["count"] == 2
    assert numbers(world, None, "norrby-kommun-2") == []  # by its id it is found, and has no cases


@pytest.mark.parametrize("user_id", ["olivia.orderer", "hanna.handler", "adam.attester"])
def test_only_customer_service_finds_cases(world: World, user_id: str):
    with pytest.raises(NotAllowed):
        world.app.orders.find_cases(world.actor(user_id), None, "region-norrby", FIRST)
