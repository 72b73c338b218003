"""Placing an order: R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-9, without AWS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.ordering.model import Flow
from chalicelib.shared.errors import InvalidRequest, NotAllowed

from .fixtures import AGENT, ATTESTER, CUSTOMER, HANDLER, ORDERER, command, placed


def test_the_price_shows_the_start_up_fee_and_the_per_unit_price():
    """R-ORD-1: splitting costs one start-up fee per order."""
    price = placed().price
    assert (price.start_up_fee, price.price_per_care_unit, price.care_unit_count, price.total) == (
        12000,
        1500,
        2,
        15000,
    )
    one_each = 2 * placed(cmd=command(care_units={"count": 1, "names": ["North"]})).price.total
    assert one_each > price.total


def test_an_organisation_must_have_signed_the_current_agreement():
    """R-ONB-1."""
    for version in (None, 1):
        with pytest.raises(NotAllowed, match="current customer agreement"):
            placed(customer=CUSTOMER.model_copy(update={"signed_agreement_version": version}))


def test_only_orderers_order_and_only_the_organisations_attesters_attest():
    """R-ONB-2."""
    with pytest.raises(NotAllowed):
        placed(orderer=ATTESTER)
    for attester in (None, ORDERER, HANDLER, ATTESTER.model_copy(update={"org_id": "elsewhere"})):
        with pytest.raises(InvalidRequest) as refused:
            placed(attester=attester)
        assert refused.value.field == "attester_id"


def test_the_catalogue_decides_the_flow():
    """R-ORD-9."""
    assert placed().flow is Flow.VIA_AGENT
    direct = placed(cmd=command(offering_id="direct", source_system=None, agent_org_id=None, declarations={}))
    assert direct.flow is Flow.DIRECT and direct.agent_org_id is None
    with pytest.raises(InvalidRequest) as refused:
        placed(cmd=command(offering_id="direct", declarations={}))
    assert refused.value.field == "agent_org_id"


def test_the_agent_must_support_the_source_system_and_serve_the_customer():
    with pytest.raises(InvalidRequest) as unsupported:
        placed(cmd=command(source_system="Other"))
    assert unsupported.value.field == "source_system"
    with pytest.raises(InvalidRequest) as not_served:
        placed(agent_organisation=AGENT.model_copy(update={"serves_customers": []}))
    assert not_served.value.field == "agent_org_id"


def test_a_refused_order_draws_no_number():
    drawn: list[str] = []

    def number() -> str:
        drawn.append("RITM1")
        return "RITM1"

    with pytest.raises(InvalidRequest):
        placed(attester=None, number=number)
    assert drawn == []
    placed(number=number)
    assert drawn == ["RITM1"]


def test_care_units_must_be_counted_and_named_each_once():
    """R-ORD-1: one order covers all the care units, so the count and the names must agree."""
    for care_units in ({"count": 3, "names": ["A", "B"]}, {"count": 2, "names": ["A", "a"]}):
        with pytest.raises(InvalidRequest) as refused:
            placed(cmd=command(care_units=care_units))
        assert refused.value.field == "care_units"


def test_no_care_units_is_not_an_order():
    with pytest.raises(ValidationError):
        command(care_units={"count": 0, "names": []})


def test_terms_must_be_accepted():
    with pytest.raises(ValidationError):
        command(terms_accepted=False)
