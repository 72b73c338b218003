"""In-memory catalogue and directory for domain tests: no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Agent, Catalogue, DeclarationQuestion, Flow, Offering, Order
from chalicelib.ordering.rules import place_order
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import LanguageCode

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def texts(english: str) -> dict[LanguageCode, str]:
    return {"sv": f"{english} (sv)", "en": english, "nb": f"{english} (nb)"}


CATALOGUE = Catalogue(
    version=1,
    agreement_version=2,
    terms_version=3,
    offerings=[
        Offering(
            offering_id="via",
            service_id="webcert",
            service_name="Webcert",
            name="Webcert via agent",
            description=texts("Webcert in your journal system."),
            flow=Flow.VIA_AGENT,
            start_up_fee=12000,
            price_per_care_unit=1500,
            declaration_questions=[DeclarationQuestion(question_id="q1", text=texts("We promise."))],
        ),
        Offering(
            offering_id="direct",
            service_id="webcert",
            service_name="Webcert",
            name="Webcert direct",
            description=texts("Webcert in the browser."),
            flow=Flow.DIRECT,
            start_up_fee=8000,
            price_per_care_unit=900,
        ),
    ],
    agents=[Agent(org_id="agent", name="CGM", source_systems=["CGM J4"])],
)
CUSTOMER = Organisation(org_id="customer", name="Region", kind=OrganisationKind.CUSTOMER, signed_agreement_version=2)
AGENT = Organisation(org_id="agent", name="CGM", kind=OrganisationKind.AGENT, serves_customers=["customer"])
ORDERER = Person(user_id="orderer", org_id="customer", name="Olivia", email="o@x", roles=[Role.ORDERER])
ATTESTER = Person(user_id="attester", org_id="customer", name="Adam", email="a@x", roles=[Role.ATTESTER])
HANDLER = Person(user_id="handler", org_id="agent", name="Hanna", email="h@x", roles=[Role.AGENT_CASE_HANDLER])
AGENT_ATTESTER = Person(user_id="agent-attester", org_id="agent", name="Alva", email="al@x", roles=[Role.ATTESTER])


def command(**changes: Any) -> PlaceOrder:
    fields: dict[str, Any] = {
        "offering_id": "via",
        "care_units": [{"name": "North", "hsa_id": "SE2321000016-N1"}, {"name": "South", "hsa_id": "SE2321000016-S1"}],
        "source_system": "CGM J4",
        "agent_org_id": "agent",
        "declarations": {"q1": True},
        "invoice": {"kind": "new", "address": "Box 1", "reference": "R1"},
        "attester_id": "attester",
        "terms_accepted": True,
        "terms_version": 3,
    }
    fields.update(changes)
    return PlaceOrder.model_validate(fields)


def placed(**kwargs: Any) -> Order:
    arguments: dict[str, Any] = {
        "catalogue": CATALOGUE,
        "orderer": ORDERER,
        "customer": CUSTOMER,
        "attester": ATTESTER,
        "agent_organisation": AGENT,
        "order_id": "o1",
        "number": lambda: "RITM0000001",
        "now": NOW,
    }
    cmd = kwargs.pop("cmd", None) or command()
    arguments.update(kwargs)
    return place_order(cmd, **arguments)[0]
