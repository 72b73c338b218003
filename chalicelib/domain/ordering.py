"""Placing an order (DOMAIN.md Flow 2, R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-9) and who decides each step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .commands import AgentReviewInput, NewInvoice, PlaceOrder
from .errors import InvalidRequest, NotAllowed
from .model import (
    AgentReview,
    Catalogue,
    Flow,
    HistoryEvent,
    InvoiceDetails,
    Order,
    Organisation,
    Price,
    Role,
    Step,
    User,
)


def place_order(
    command: PlaceOrder,
    *,
    catalogue: Catalogue,
    orderer: User,
    customer: Organisation,
    attester: User | None,
    agent_organisation: Organisation | None,
    order_id: str,
    number: Callable[[], str],
    now: datetime,
) -> tuple[Order, HistoryEvent]:
    """Checks every rule, then draws the order's number (R-ORD-8) so a refused order uses none."""
    if not orderer.has_role(Role.ORDERER):
        raise NotAllowed("Only an Orderer of the organisation can place orders.")  # R-ONB-2
    if not customer.has_signed(catalogue.agreement_version):
        raise NotAllowed(  # R-ONB-1
            "Your organisation must sign the current customer agreement before it can order."
        )
    if attester is None or attester.org_id != customer.org_id or not attester.has_role(Role.ATTESTER):
        raise InvalidRequest(  # R-ONB-2
            "The attester must be an Attester of your organisation.", field="attester_id"
        )

    offering = catalogue.offering(command.offering_id)
    _check_declarations(command, [question.question_id for question in offering.declaration_questions])

    agent_name = None
    if offering.flow is Flow.VIA_AGENT:  # R-ORD-9: the catalogue decides the flow
        agent_name = _check_agent(command, catalogue, customer, agent_organisation)
    elif command.agent_org_id or command.source_system:
        raise InvalidRequest(
            "This offering is ordered directly; it takes no agent or source system.", field="agent_org_id"
        )

    if isinstance(command.invoice, NewInvoice):
        invoice = InvoiceDetails(address=command.invoice.address, reference=command.invoice.reference)
    else:
        saved = customer.saved_invoice(command.invoice.invoice_id)
        invoice = InvoiceDetails(address=saved.address, reference=saved.reference)

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
        care_units=list(command.care_units.names),
        source_system=command.source_system if offering.flow is Flow.VIA_AGENT else None,
        agent_org_id=command.agent_org_id if offering.flow is Flow.VIA_AGENT else None,
        agent_name=agent_name,
        declarations=dict(command.declarations),
        invoice=invoice,
        price=Price.for_offering(offering, command.care_units.count),
        created_at=now,
        updated_at=now,
    )
    submitted = HistoryEvent(
        at=now, action="submitted", actor_id=orderer.user_id, actor_name=orderer.name, note=order.number
    )
    return order, submitted


def _check_declarations(command: PlaceOrder, question_ids: list[str]) -> None:
    expected = set(question_ids)
    unknown = set(command.declarations) - expected
    if unknown:
        raise InvalidRequest(f"Unknown declaration question: {sorted(unknown)[0]}.", field="declarations")
    for question_id in sorted(expected):
        if command.declarations.get(question_id) is not True:
            raise InvalidRequest(
                "Every declaration question must be read and ticked.", field=f"declarations.{question_id}"
            )


def _check_agent(
    command: PlaceOrder,
    catalogue: Catalogue,
    customer: Organisation,
    agent_organisation: Organisation | None,
) -> str:
    if not command.source_system:
        raise InvalidRequest("A via-agent offering needs the source system.", field="source_system")
    if not command.agent_org_id:
        raise InvalidRequest("A via-agent offering needs the agent.", field="agent_org_id")
    agent = catalogue.agent(command.agent_org_id)
    if command.source_system not in agent.source_systems:
        raise InvalidRequest(
            f"{agent.name} does not support the source system {command.source_system}.", field="source_system"
        )
    if agent_organisation is None or customer.org_id not in agent_organisation.serves_customers:
        raise InvalidRequest(f"{agent.name} does not serve your organisation.", field="agent_org_id")
    return agent.name


def assignees(order: Order, step: Step, agent_case_handlers: list[User]) -> list[str]:
    """R-ORD-5: the only people who may decide `step` of `order`."""
    if step is Step.AGENT_APPROVAL:
        return sorted(user.user_id for user in agent_case_handlers if user.org_id == order.agent_org_id)
    if step is Step.AGENT_ATTESTATION:
        if order.agent_review is None:
            raise InvalidRequest("Agent attestation needs the agent's chosen attester.")
        return [order.agent_review.attester_id]
    return [order.attester_id]


def agent_review(order: Order, review: AgentReviewInput, handler: User, attester: User | None) -> AgentReview:
    """Seed 002 step 2: the handler picks an attester among the agent's own Attesters (R-ORD-5)."""
    if attester is None or attester.org_id != order.agent_org_id or not attester.has_role(Role.ATTESTER):
        raise InvalidRequest(
            "The agent attester must be an Attester of the agent's organisation.", field="agent_review.attester_id"
        )
    return AgentReview(
        declaration_accepted=review.declaration_accepted,
        invoice=InvoiceDetails(address=review.invoice_address, reference=review.invoice_reference),
        attester_id=attester.user_id,
        attester_name=attester.name,
        handler_id=handler.user_id,
        handler_name=handler.name,
    )


def may_read(order: Order, user: User) -> bool:
    """People of the customer and of the agent, and customer service. Every assignee of R-ORD-5 belongs to
    the customer or the agent, so no one the order waits for is left out."""
    return user.org_id in (order.customer_org_id, order.agent_org_id) or user.has_role(Role.CUSTOMER_SERVICE)
