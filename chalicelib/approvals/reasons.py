"""Why a decision step refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

LINK_NOT_VALID = Reason("approvals.link_not_valid", "This link is not valid.")
SOMEONE_ELSE = Reason("approvals.someone_else", "This decision is addressed to someone else.")
SUPERSEDED = Reason("approvals.superseded", "This link has been replaced by a newer one. Use the latest e-mail.")
ALREADY_DECIDED = Reason("approvals.already_decided", "This step has already been decided.")
LINK_EXPIRED = Reason("approvals.link_expired", "This link has expired.")
NEEDS_NO_SIGNATURE = Reason(
    "approvals.needs_no_signature", "This step is an approval, not an attestation: it needs no code."
)
UNKNOWN_SUBJECT = Reason("approvals.unknown_subject", "Nothing of the kind {kind} is decided here.")
REASON_REQUIRED = Reason("approvals.reason_required", "A reason is required to reject or cancel.")
NO_SUCH_STEP = Reason("approvals.no_such_step", "This step has not been opened for a decision.")
TOO_MANY_RESENDS = Reason(
    "approvals.too_many_resends", "The e-mail for this step has been sent to you again {limit} times; use the latest."
)
