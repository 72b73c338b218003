"""Why a requisitioner's or an orderer's request is refused."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

ONLY_REQUISITIONERS = Reason(
    "requisitioners.only_requisitioners",
    "Only a requisitioner manages orderers; switch back to your own account first.",
)
NO_SUCH_ORDERER = Reason("requisitioners.no_such_orderer", "There is no such orderer of yours.")
NO_SUCH_REQUISITIONER = Reason("requisitioners.no_such_requisitioner", "Choose a requisitioner from the list.")
EMAIL_TAKEN = Reason(
    "requisitioners.email_taken",
    "This e-mail address already belongs to an account. Use another, or ask that person to sign in.",
)
NOT_SWITCHED = Reason("requisitioners.not_switched", "You have not switched to an orderer.")
