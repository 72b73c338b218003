"""Why onboarding refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

ALREADY_A_CUSTOMER = Reason(
    "onboarding.already_a_customer",
    "An organisation with this organisation number is already a customer. Ask its administrator, or customer "
    "service, for access.",
)
ALREADY_APPLIED = Reason(
    "onboarding.already_applied",
    "An application for this organisation number is already waiting for the provider's decision.",
)
CHANGED_MEANWHILE = Reason(
    "onboarding.changed_meanwhile",
    "Another application for this organisation number was decided meanwhile; send it again.",
)
NO_SUCH_APPLICATION = Reason("onboarding.no_such_application", "There is no such application.")
NOBODY_TO_APPROVE = Reason(
    "onboarding.nobody_to_approve", "The provider has no administrator to decide customer applications."
)
SIGNING_LINK_NOT_VALID = Reason("onboarding.signing_link_not_valid", "This link to sign the agreement is not valid.")
SIGNING_LINK_USED = Reason(
    "onboarding.signing_link_used", "The agreement has already been signed with this link. Nothing more is needed."
)
SIGNING_LINK_EXPIRED = Reason(
    "onboarding.signing_link_expired",
    "This link to sign the agreement has expired. Ask your organisation's administrator to send a new one.",
)
AGREEMENT_ALREADY_CURRENT = Reason(
    "onboarding.agreement_already_current", "Your organisation has already signed the current agreement."
)
NO_SIGNATORY = Reason(
    "onboarding.no_signatory", "Nobody is recorded as your organisation's signatory; contact customer service."
)
ONLY_ADMINISTRATOR = Reason(
    "onboarding.only_administrator", "Only your organisation's administrator sends the agreement to be signed."
)
ONLY_ADMINISTRATORS_DECIDE = Reason(
    "onboarding.only_administrators_decide", "Only the provider's administrators decide customer applications."
)
ONLY_CUSTOMER_SERVICE = Reason(
    "onboarding.only_customer_service", "Only customer service looks up an organisation's administrators."
)
NOT_A_CUSTOMER = Reason("onboarding.not_a_customer", "Only a customer organisation signs the customer agreement.")
SEARCH_TOO_SHORT = Reason(
    "onboarding.search_too_short", "Enter an organisation's name or its organisation number (at most 200 characters)."
)
