"""Placing an order (DOMAIN.md Flow 2, R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-9), who decides each step (R-ORD-5)
and who may read an order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.directory.ports import Organisation, OrganisationKind, SavedInvoiceDetails
from chalicelib.ordering.commands import AgentReviewInput, NewInvoice, PlaceOrder, SavedInvoice
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
    REQUISITIONER_CANNOT_ORDER,
    SOURCE_SYSTEM_MISSING,
    SOURCE_SYSTEM_UNSUPPORTED,
    TERMS_CHANGED,
    TOO_MANY_SAVED_INVOICES,
    UNKNOWN_DECLARATION,
)
from chalicelib.shared.errors import InvalidRequest, NotAllowed
from chalicelib.shared.identity import Person, Role

# An organisation's saved invoice details are kept on its directory item, which DynamoDB holds to 400 KB: a
# hundred of the longest fit with room to spare.
MOST_SAVED_INVOICES = 100


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


def may_order(orderer: Person, customer: Organisation, catalogue: Catalogue) -> None:
    """Who may place an order at all: an Orderer (R-ONB-2) of an organisation that signed the current
    agreement (R-ONB-1). A requisitioner's own account orders only as one of its orderers (R-REQ-5)."""
    if customer.kind is OrganisationKind.REQUISITIONER and not orderer.has_role(Role.ORDERER):
        raise NotAllowed(REQUISITIONER_CANNOT_ORDER)  # R-REQ-5
    if not orderer.has_role(Role.ORDERER):
        raise NotAllowed(NOT_AN_ORDERER)  # R-ONB-2
    if not customer.has_signed(catalogue.agreement_version):
        raise NotAllowed(AGREEMENT_NOT_SIGNED)  # R-ONB-1


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
    may_order(orderer, customer, catalogue)
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

    invoice = _invoice(command.invoice, customer, field="invoice")

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


def _invoice(choice: NewInvoice | SavedInvoice, organisation: Organisation | None, *, field: str) -> InvoiceDetails:
    """Seed 000 step 5, seed 002 step 2: a new invoice address and reference, or one the organisation saved."""
    if isinstance(choice, NewInvoice):
        return InvoiceDetails(address=choice.address, reference=choice.reference)
    saved = organisation.saved_invoice(choice.invoice_id) if organisation else None
    if saved is None:
        raise InvalidRequest(NO_SUCH_SAVED_INVOICE, field=f"{field}.invoice_id")
    return InvoiceDetails(address=saved.address, reference=saved.reference)


def saved_invoice_id(order_id: str) -> str:
    """The id of invoice details saved with an order: made from the order, so a retried submit or decision
    finds them saved and saves nothing twice. Ids are an organisation's own, so the customer and the agent of
    one order may both have one of this id."""
    return f"inv-{order_id}"


def invoice_to_save(
    choice: NewInvoice | SavedInvoice, organisation: Organisation, order_id: str, *, field: str
) -> SavedInvoiceDetails | None:
    """What an order or an agent's review adds to the organisation's saved invoice details: a new address it
    asked to save for reuse, unless the organisation has saved the same address and reference already (or
    saved them with this order before)."""
    if not isinstance(choice, NewInvoice) or not choice.save_for_reuse:
        return None
    invoice_id = saved_invoice_id(order_id)
    if organisation.saved_invoice(invoice_id) is not None or any(
        (saved.address, saved.reference) == (choice.address, choice.reference) for saved in organisation.invoice_details
    ):
        return None
    if len(organisation.invoice_details) >= MOST_SAVED_INVOICES:
        raise InvalidRequest(TOO_MANY_SAVED_INVOICES, field=f"{field}.save_for_reuse", most=MOST_SAVED_INVOICES)
    return SavedInvoiceDetails(invoice_id=invoice_id, address=choice.address, reference=choice.reference)


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
    # The catalogue lists the source systems an agent connects; the agent's administrator may take orders for
    # fewer of them (docs/people.md).
    taken = agent_organisation.source_systems if agent_organisation is not None else None
    if command.source_system not in agent.source_systems or (taken is not None and command.source_system not in taken):
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


def agent_review(
    order: Order,
    review: AgentReviewInput,
    handler: Person,
    attester: Person | None,
    agent_organisation: Organisation | None,
) -> AgentReview:
    """Seed 002 step 2: the handler picks an attester among the agent's own Attesters (R-ORD-5), and the
    agent's invoice details: new ones, or ones the agent's organisation saved (never the customer's)."""
    if attester is None or attester.org_id != order.agent_org_id or not attester.has_role(Role.ATTESTER):
        raise InvalidRequest(AGENT_ATTESTER_NOT_OF_AGENT, field="agent_review.attester_id")
    agent = agent_organisation if agent_organisation and agent_organisation.org_id == order.agent_org_id else None
    return AgentReview(
        declaration_accepted=review.declaration_accepted,
        invoice=_invoice(review.invoice, agent, field="agent_review.invoice"),
        attester_id=attester.user_id,
        attester_name=attester.name,
        handler_id=handler.user_id,
        handler_name=handler.name,
    )


def may_read(order: Order, person: Person) -> bool:
    """People of the customer and of the agent, and customer service. Every assignee of R-ORD-5 belongs to
    the customer or the agent, so no one the order waits for is left out."""
    return person.org_id in (order.customer_org_id, order.agent_org_id) or person.has_role(Role.CUSTOMER_SERVICE)
