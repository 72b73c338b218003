"""Placing an order: R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-9, without AWS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Flow
from chalicelib.shared.errors import InvalidRequest, NotAllowed

from .fixtures import AGENT, ATTESTER, CATALOGUE, CUSTOMER, HANDLER, NOW, ORDERER, command, placed


def test_the_price_shows_the_start_up_fee_and_the_per_unit_price():
    """R-ORD-1: splitting costs one start-up fee per order."""
    price = placed().price
    assert (price.start_up_fee, price.price_per_care_unit, price.care_unit_count, price.total) == (
        12000,
        1500,
        2,
        15000,
    )
    one_each = 2 * placed(cmd=command(care_units=[{"name": "North", "hsa_id": "SE2321000016-N1"}])).price.total
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


def test_the_price_counts_the_care_units_listed():
    """R-ORD-1: how many care units is the list's length; there is no count to disagree with it."""
    units = [{"name": f"Unit {n}", "hsa_id": f"SE2321000016-U{n}"} for n in range(5)]
    order = placed(cmd=command(care_units=units))
    assert order.price.care_unit_count == 5 and [unit.hsa_id for unit in order.care_units][-1] == "SE2321000016-U4"


@pytest.mark.parametrize(
    ("care_units", "code"),
    [
        (
            [
                {"name": "Vårdcentral A", "hsa_id": "SE2321000016-A1"},
                {"name": "vårdcentral a", "hsa_id": "SE2321000016-A2"},
            ],
            "ordering.care_unit_named_twice",
        ),
        (
            [
                {"name": "Vårdcentral A", "hsa_id": "SE2321000016-A1"},
                {"name": "Vårdcentral B", "hsa_id": "SE2321000016-A1"},
            ],
            "ordering.care_unit_hsa_id_twice",
        ),
        (
            [
                {"name": "Vårdcentral A", "hsa_id": "SE2321000016-ab1"},
                {"name": "Vårdcentral B", "hsa_id": "SE2321000016-AB1"},
            ],
            "ordering.care_unit_hsa_id_twice",
        ),
    ],
)
def test_each_care_unit_is_named_once_and_has_its_own_hsa_id(care_units: list[dict[str, str]], code: str):
    """R-ORD-1: one order covers all the care units, each once. A rule (422), not the shape (400)."""
    with pytest.raises(InvalidRequest) as refused:
        placed(cmd=command(care_units=care_units))
    assert (refused.value.field, refused.value.code) == ("care_units", code)


def test_no_care_units_is_not_an_order():
    with pytest.raises(ValidationError):
        command(care_units=[])


@pytest.mark.parametrize(
    "hsa_id",
    ["SE232100001-A1", "SE2321000016", "SE2321000016-", "SE2321000016-15 CQ", "se2321000016-1", "NO2321000016-1"],
)
def test_an_hsa_id_out_of_its_pattern_is_out_of_shape(hsa_id: str):
    with pytest.raises(ValidationError):
        command(care_units=[{"name": "North", "hsa_id": hsa_id}])


def test_the_hsa_id_pattern_is_in_the_document():
    schema = PlaceOrder.model_json_schema()
    assert schema["$defs"]["CareUnit"]["properties"]["hsa_id"]["pattern"] == "^SE[0-9]{10,12}-[A-Za-z0-9]{1,31}$"
    assert schema["properties"]["care_units"]["maxItems"] == 1000


def test_terms_must_be_accepted():
    with pytest.raises(ValidationError):
        command(terms_accepted=False)


def test_the_terms_accepted_must_be_the_current_ones_and_the_order_records_them():
    """Seed 000 step 7: terms that changed since the form was opened must be read again."""
    with pytest.raises(InvalidRequest) as refused:
        placed(cmd=command(terms_version=2))
    assert (refused.value.field, refused.value.code) == ("terms_version", "ordering.terms_changed")
    assert "read them again" in refused.value.message
    order = placed()
    assert (order.terms_version, order.terms_accepted_at) == (CATALOGUE.terms_version, NOW)
