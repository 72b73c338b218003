"""Placing an order (DOMAIN.md Flow 2, R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-9), who decides each step (R-ORD-5)
and who may read an order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.directory.ports import Organisation
from chalicelib.ordering.commands import AgentReviewInput, NewInvoice, PlaceOrder
from chalicelib.ordering.model import (
    AgentReview,
    Catalogue,
    Flow,
    HistoryAction,
    HistoryEvent,
    InvoiceDetails,
    Order,
    Price,
    Step,
)
from chalicelib.ordering.reasons import (
    AGENT_ATTESTER_NOT_OF_AGENT,
    AGENT_DOES_NOT_SERVE,
    AGENT_MISSING,
    AGREEMENT_NOT_SIGNED,
    ATTESTER_NOT_OF_ORGANISATION,
    CARE_UNIT_HSA_ID_TWICE,
    CARE_UNIT_NAMED_TWICE,
    DECLARATION_NOT_TICKED,
    DIRECT_TAKES_NO_AGENT,
    NO_AGENT_ATTESTER_CHOSEN,
    NO_SUCH_SAVED_INVOICE,
    NOT_AN_ORDERER,
    SOURCE_SYSTEM_MISSING,
    SOURCE_SYSTEM_UNSUPPORTED,
    TERMS_CHANGED,
    UNKNOWN_DECLARATION,
)
from chalicelib.shared.errors import InvalidRequest, NotAllowed
from chalicelib.shared.identity import Person, Role


def _check_care_units(command: PlaceOrder) -> None:
    """R-ORD-1: one order covers every care unit, each once: by its name (whatever its case) and by its HSA-id
    (whose letters the catalogue does not tell apart by case either)."""
    names: set[str] = set()
    hsa_ids: set[str] = set()
    for unit in command.care_units:
        if unit.name.casefold() in names:
            raise InvalidRequest(CARE_UNIT_NAMED_TWICE, field="care_units")
        if unit.hsa_id.casefold() in hsa_ids:
            raise InvalidRequest(CARE_UNIT_HSA_ID_TWICE, field="care_units", hsa_id=unit.hsa_id)
        names.add(unit.name.casefold())
        hsa_ids.add(unit.hsa_id.casefold())


def place_order(
    command: PlaceOrder,
    *,
    catalogue: Catalogue,
    orderer: Person,
    customer: Organisation,
    attester: Person | None,
    agent_organisation: Organisation | None,
    order_id: str,
    number: Callable[[], str],
    now: datetime,
) -> tuple[Order, HistoryEvent]:
    """Checks every rule, then draws the order's number (R-ORD-8) so a refused order uses none."""
    if not orderer.has_role(Role.ORDERER):
        raise NotAllowed(NOT_AN_ORDERER)  # R-ONB-2
    if not customer.has_signed(catalogue.agreement_version):
        raise NotAllowed(AGREEMENT_NOT_SIGNED)  # R-ONB-1
    if attester is None or attester.org_id != customer.org_id or not attester.has_role(Role.ATTESTER):
        raise InvalidRequest(ATTESTER_NOT_OF_ORGANISATION, field="attester_id")  # R-ONB-2

    _check_care_units(command)  # R-ORD-1: one order covers every care unit, each once
    offering = catalogue.offering(command.offering_id)
    _check_declarations(command, [question.question_id for question in offering.declaration_questions])

    agent_name = None
    if offering.flow is Flow.VIA_AGENT:  # R-ORD-9: the catalogue decides the flow
        agent_name = _check_agent(command, catalogue, customer, agent_organisation)
    elif command.agent_org_id or command.source_system:
        raise InvalidRequest(DIRECT_TAKES_NO_AGENT, field="agent_org_id")

    if isinstance(command.invoice, NewInvoice):
        invoice = InvoiceDetails(address=command.invoice.address, reference=command.invoice.reference)
    else:
        saved = customer.saved_invoice(command.invoice.invoice_id)
        if saved is None:
            raise InvalidRequest(NO_SUCH_SAVED_INVOICE, field="invoice.invoice_id")
        invoice = InvoiceDetails(address=saved.address, reference=saved.reference)

    # Seed 000 step 7: what the orderer accepts are the terms as they stand now, not as they stood when the
    # form was opened.
    if command.terms_version != catalogue.terms_version:
        raise InvalidRequest(
            TERMS_CHANGED, field="terms_version", accepted=command.terms_version, current=catalogue.terms_version
        )

    order = Order(
        order_id=order_id,
        number=number(),
        flow=offering.flow,
        customer_org_id=customer.org_id,
        customer_name=customer.name,
        orderer_id=orderer.user_id,
        orderer_name=orderer.name,
        attester_id=attester.user_id,
        offering=offering,
        care_units=[unit.model_copy() for unit in command.care_units],
        source_system=command.source_system if offering.flow is Flow.VIA_AGENT else None,
        agent_org_id=command.agent_org_id if offering.flow is Flow.VIA_AGENT else None,
        agent_name=agent_name,
        declarations=dict(command.declarations),
        invoice=invoice,
        price=Price.for_offering(offering, len(command.care_units)),  # R-ORD-1
        terms_version=catalogue.terms_version,
        terms_accepted_at=now,
        created_at=now,
        updated_at=now,
    )
    submitted = HistoryEvent(
        at=now, action=HistoryAction.SUBMITTED, actor_id=orderer.user_id, actor_name=orderer.name, note=order.number
    )
    return order, submitted


def _check_declarations(command: PlaceOrder, question_ids: list[str]) -> None:
    expected = set(question_ids)
    unknown = set(command.declarations) - expected
    if unknown:
        raise InvalidRequest(UNKNOWN_DECLARATION, field="declarations", question_id=sorted(unknown)[0])
    for question_id in sorted(expected):
        if command.declarations.get(question_id) is not True:
            raise InvalidRequest(DECLARATION_NOT_TICKED, field=f"declarations.{question_id}")


def _check_agent(
    command: PlaceOrder,
    catalogue: Catalogue,
    customer: Organisation,
    agent_organisation: Organisation | None,
) -> str:
    if not command.source_system:
        raise InvalidRequest(SOURCE_SYSTEM_MISSING, field="source_system")
    if not command.agent_org_id:
        raise InvalidRequest(AGENT_MISSING, field="agent_org_id")
    agent = catalogue.agent(command.agent_org_id)
    if command.source_system not in agent.source_systems:
        raise InvalidRequest(
            SOURCE_SYSTEM_UNSUPPORTED, field="source_system", agent=agent.name, source_system=command.source_system
        )
    if agent_organisation is None or customer.org_id not in agent_organisation.serves_customers:
        raise InvalidRequest(AGENT_DOES_NOT_SERVE, field="agent_org_id", agent=agent.name)
    return agent.name


def assignees(order: Order, step: Step, agent_case_handlers: list[Person]) -> list[str]:
    """R-ORD-5: the only people who may decide `step` of `order`."""
    if step is Step.AGENT_APPROVAL:
        return sorted(person.user_id for person in agent_case_handlers if person.org_id == order.agent_org_id)
    if step is Step.AGENT_ATTESTATION:
        if order.agent_review is None:
            raise InvalidRequest(NO_AGENT_ATTESTER_CHOSEN)
        return [order.agent_review.attester_id]
    return [order.attester_id]


def agent_review(order: Order, review: AgentReviewInput, handler: Person, attester: Person | None) -> AgentReview:
    """Seed 002 step 2: the handler picks an attester among the agent's own Attesters (R-ORD-5)."""
    if attester is None or attester.org_id != order.agent_org_id or not attester.has_role(Role.ATTESTER):
        raise InvalidRequest(AGENT_ATTESTER_NOT_OF_AGENT, field="agent_review.attester_id")
    return AgentReview(
        declaration_accepted=review.declaration_accepted,
        invoice=InvoiceDetails(address=review.invoice_address, reference=review.invoice_reference),
        attester_id=attester.user_id,
        attester_name=attester.name,
        handler_id=handler.user_id,
        handler_name=handler.name,
    )


def may_read(order: Order, person: Person) -> bool:
    """People of the customer and of the agent, and customer service. Every assignee of R-ORD-5 belongs to
    the customer or the agent, so no one the order waits for is left out."""
    return person.org_id in (order.customer_org_id, order.agent_org_id) or person.has_role(Role.CUSTOMER_SERVICE)
