"""Why ordering refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

NO_SUCH_OFFERING = Reason("ordering.no_such_offering", "No such offering in the catalogue.")
NO_SUCH_AGENT = Reason("ordering.no_such_agent", "No such agent in the catalogue.")
NO_CATALOGUE = Reason("ordering.no_catalogue", "The catalogue has not been loaded.")
NOT_AN_ORDERER = Reason("ordering.not_an_orderer", "Only an Orderer of the organisation can place orders.")
REQUISITIONER_CANNOT_ORDER = Reason(
    "ordering.requisitioner_cannot_order",
    "A requisitioner cannot place orders itself: switch to one of your orderers, and order as them.",
)
AGREEMENT_NOT_SIGNED = Reason(
    "ordering.agreement_not_signed",
    "Your organisation must sign the current customer agreement before it can order.",
)
NO_ORGANISATION = Reason("ordering.no_organisation", "Your account belongs to no known organisation.")
ATTESTER_NOT_OF_ORGANISATION = Reason(
    "ordering.attester_not_of_organisation", "The attester must be an Attester of your organisation."
)
UNKNOWN_DECLARATION = Reason("ordering.unknown_declaration", "Unknown declaration question: {question_id}.")
DECLARATION_NOT_TICKED = Reason(
    "ordering.declaration_not_ticked", "Every declaration question must be read and ticked."
)
DIRECT_TAKES_NO_AGENT = Reason(
    "ordering.direct_takes_no_agent", "This offering is ordered directly; it takes no agent or source system."
)
SOURCE_SYSTEM_MISSING = Reason("ordering.source_system_missing", "A via-agent offering needs the source system.")
AGENT_MISSING = Reason("ordering.agent_missing", "A via-agent offering needs the agent.")
SOURCE_SYSTEM_UNSUPPORTED = Reason(
    "ordering.source_system_unsupported", "{agent} does not support the source system {source_system}."
)
AGENT_DOES_NOT_SERVE = Reason("ordering.agent_does_not_serve", "{agent} does not serve your organisation.")
NO_SUCH_SAVED_INVOICE = Reason("ordering.no_such_saved_invoice", "No such saved invoice address for this organisation.")
TOO_MANY_SAVED_INVOICES = Reason(
    "ordering.too_many_saved_invoices",
    "Your organisation has saved {most} invoice addresses, the most it can keep: use one of them, or this one "
    "without saving it.",
)
CARE_UNIT_NAMED_TWICE = Reason("ordering.care_unit_named_twice", "Each care unit may be named only once.")
CARE_UNIT_HSA_ID_TWICE = Reason(
    "ordering.care_unit_hsa_id_twice", "Each care unit's HSA-id may be given only once: {hsa_id} is given twice."
)
TERMS_CHANGED = Reason(
    "ordering.terms_changed",
    "The terms have changed since you read them (version {accepted}, now {current}): read them again and accept "
    "the current ones.",
)
NO_SUCH_ORDER = Reason("ordering.no_such_order", "No such order.")
ORDER_ENDED = Reason("ordering.order_ended", "The order has already ended ({status}).")
STEP_ALREADY_DECIDED = Reason("ordering.step_already_decided", "This step has already been decided.")
STEP_CANNOT_START = Reason("ordering.step_cannot_start", "{step} cannot start now; the order waits for {waits_for}.")
ATTESTATION_NEEDS_SIGNATURE = Reason(
    "ordering.attestation_needs_signature", "Attestation needs a signature with a one-time code."
)
AGENT_REVIEW_MISSING = Reason("ordering.agent_review_missing", "Agent approval needs the agent's review.")
AGENT_REVIEW_REQUIRED = Reason(
    "ordering.agent_review_required",
    "Approving needs the declaration, the agent's invoice details and the agent attester.",
)
NO_AGENT_ATTESTER_CHOSEN = Reason(
    "ordering.no_agent_attester_chosen", "Agent attestation needs the agent's chosen attester."
)
AGENT_ATTESTER_NOT_OF_AGENT = Reason(
    "ordering.agent_attester_not_of_agent", "The agent attester must be an Attester of the agent's organisation."
)
CASE_BEFORE_CHAIN_DONE = Reason(
    "ordering.case_before_chain_done", "A case can only be created once every step of the chain is approved."
)
NOBODY_TO_DECIDE = Reason("ordering.nobody_to_decide", "Nobody can decide {step} for order {number}.")
ONLY_AGENT_HANDLERS_SEE_QUEUE = Reason(
    "ordering.only_agent_handlers_see_queue", "Only an agent's case handlers see its queue."
)
ONLY_CUSTOMER_SERVICE_SEES_CASES = Reason(
    "ordering.only_customer_service_sees_cases", "Only customer service sees the cases."
)
ONLY_OPERATIONS_SEE_ATTENTION = Reason(
    "ordering.only_operations_see_attention", "Only the provider's operations see the orders that need attention."
)
ORGANISATION_NAME_AMBIGUOUS = Reason(
    "ordering.organisation_name_ambiguous", "{count} organisations are called {name}: search by the organisation's id."
)
