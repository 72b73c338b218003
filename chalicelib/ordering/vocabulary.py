"""The one set of words pages and mails use for an order's states, steps and history (marked for translation;
the English is the message id, `Texts.gettext` says it in the reader's language)."""

from __future__ import annotations

from chalicelib.shared.i18n import N_

STATUS = {
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "timed_out": N_("Timed out"),
    "needs_attention": N_("Needs attention"),
}

STEP = {
    "agent_approval": N_("Agent approval"),
    "agent_attestation": N_("Agent attestation"),
    "customer_attestation": N_("Customer attestation"),
}

# What a person does at a step: the heading of its decision page and the subject of its mail.
STEP_TASK = {
    "agent_approval": N_("Review order {number}"),
    "agent_attestation": N_("Attest order {number}"),
    "customer_attestation": N_("Attest order {number}"),
}

HISTORY = {
    "submitted": N_("Submitted"),
    "step_opened": N_("Sent for decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "timed_out": N_("Timed out"),
    "case_created": N_("Case created"),
    "needs_attention": N_("Needs attention"),
    "awaiting_orderer_approval": N_("Waits for the requisitioner to approve the orderer"),
    "orderer_approved": N_("Orderer approved"),
    "resumed": N_("Resumed by operations"),
}

FLOW = {"direct": N_("Direct connection"), "via_agent": N_("Connection via agent")}

SIGNING = {"sms_one_time_code": N_("One-time code by SMS"), "bankid": N_("BankID")}

# A step in the order's tracker.
PROGRESS = {
    "done": N_("Done"),
    "current": N_("Now"),
    "to_come": N_("Later"),
    "ended": N_("Ended here"),
    "not_reached": N_("Not reached"),
}

WORDS = {
    "status": STATUS,
    "step": STEP,
    "step_task": STEP_TASK,
    "history": HISTORY,
    "flow": FLOW,
    "signing": SIGNING,
    "progress": PROGRESS,
}


def word(kind: str, value: object) -> str:
    """The English word for a value (its message id); an unknown value is shown as it is."""
    return WORDS[kind].get(str(value), str(value))
