"""What a practitioner asks of bookings (R-BKG-5), strictly shaped."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from chalicelib.bookings.model import LONGEST_APPOINTMENT_MINUTES, SLOT_MINUTES
from chalicelib.bookings.reasons import CLIENT_NEEDS_CONTACT
from chalicelib.shared.commands import WHOLE, Command, Identifier, Text
from chalicelib.shared.errors import InvalidRequest

# The patterns are written to mean the same to pydantic's regex engine, Python's and the ECMA-262 one JSON Schema
# (and so the published OpenAPI) uses: `[0-9]`, not `\d`, which is any script's digit in the first two; no
# control character and no byte-order mark beside `\s`, whose whitespace differs between the three.
NOT_IN_AN_ADDRESS = r"@\s\x00-\x1f\x7f-\x9f\ufeff"
# Eleven digits; the check digits are checked by the model (python-stdnum), which refuses with a reason.
IdentityNumberText = Annotated[str, StringConstraints(pattern=r"^[0-9]{6} ?[0-9]{5}$")]
EmailAddress = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=rf"^[^{NOT_IN_AN_ADDRESS}]{{1,64}}@[^{NOT_IN_AN_ADDRESS}.]+(\.[^{NOT_IN_AN_ADDRESS}.]+)+$",
    ),
]
CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class NewClient(Command):
    """A client to find or create: by identity number first, then by e-mail (R-BKG-3, never duplicated)."""

    name: Text
    email: EmailAddress | None = None
    identity_number: IdentityNumberText | None = None
    language: Annotated[str, StringConstraints(pattern=r"^(nb|en|sv)$")] = "nb"

    @model_validator(mode="after")
    def _reachable(self) -> NewClient:
        if self.email is None and self.identity_number is None:
            raise InvalidRequest(CLIENT_NEEDS_CONTACT, field="identity_number")
        return self


class BookAppointment(Command):
    """R-BKG-5: an appointment for one client, in one of the client's series (or none), at a time."""

    client_id: Identifier
    series_id: CaseId | None = None
    starts_at: Annotated[AwareDatetime, Field(strict=False)]  # an ISO 8601 string with its offset
    minutes: Annotated[int, Field(ge=SLOT_MINUTES, le=LONGEST_APPOINTMENT_MINUTES), WHOLE] | None = None


class MoveBooking(Command):
    starts_at: Annotated[AwareDatetime, Field(strict=False)]  # an ISO 8601 string with its offset
    minutes: Annotated[int, Field(ge=SLOT_MINUTES, le=LONGEST_APPOINTMENT_MINUTES), WHOLE] | None = None


class ManualBooking(Command):
    """R-BKG-5 through the API: an appointment in one of the client's open series, or in the series of an
    insurer case looked up by its id; `request_key` makes a request sent twice book once."""

    client_id: Identifier
    series_id: CaseId | None = None
    case_id: CaseId | None = None
    starts_at: Annotated[AwareDatetime, Field(strict=False)]  # an ISO 8601 string with its offset
    invite: bool = False
    request_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")]


class OpenCaseSeries(Command):
    """R-BKG-4: the series of an insurer case, for a client, opened from the case."""

    client_id: Identifier
    case_id: CaseId
