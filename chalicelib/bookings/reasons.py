"""Why bookings refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

NOT_AN_IDENTITY_NUMBER = Reason(
    "bookings.not_an_identity_number", "Not a valid Norwegian national identity number or D-number."
)
NOT_AN_ORGANISATION_NUMBER = Reason("bookings.not_an_organisation_number", "Not a valid Norwegian organisation number.")
NOT_A_VAT_NUMBER = Reason("bookings.not_a_vat_number", "Not a valid Norwegian VAT number.")
CLIENT_NEEDS_CONTACT = Reason(
    "bookings.client_needs_contact", "A client needs a national identity number or an e-mail address."
)
NO_SUCH_PRACTITIONER = Reason("bookings.no_such_practitioner", "No such practitioner.")
NO_SUCH_CLIENT = Reason("bookings.no_such_client", "No such client.")
NO_SUCH_CASE = Reason("bookings.no_such_case", "No insurer case with this case id.")
NO_SUCH_SERIES = Reason("bookings.no_such_series", "No such series.")
NO_SUCH_BOOKING = Reason("bookings.no_such_booking", "No such booking.")
SERIES_CLOSED = Reason("bookings.series_closed", "The series is closed; no more appointments can be booked in it.")
SERIES_OF_ANOTHER_CLIENT = Reason("bookings.series_of_another_client", "The series belongs to another client.")
SERIES_FULL = Reason(
    "bookings.series_full",
    "The series has used all {maximum} appointments the insurer allows; no more can be booked in it.",
)
TIME_TAKEN = Reason("bookings.time_taken", "The practitioner already has a booking at this time.")
BAD_TIME = Reason(
    "bookings.bad_time", "An appointment starts on a five-minute mark and lasts five minutes to three hours."
)
BOOKING_CLOSED = Reason("bookings.booking_closed", "The booking is cancelled or attended and can no longer change.")
NOT_YET_HELD = Reason("bookings.not_yet_held", "An appointment can be marked attended only once it has begun.")
BUSY = Reason("bookings.busy", "The calendar changed while booking; try again.")
BAD_SIGNATURE = Reason("bookings.bad_signature", "The signature is missing or wrong.")
STALE_SIGNATURE = Reason("bookings.stale_signature", "The signature's timestamp is more than five minutes off.")
SIGNATURE_REUSED = Reason("bookings.signature_reused", "This signature was used already; sign each delivery anew.")
EVENT_ID_REUSED = Reason("bookings.event_id_reused", "This event id was already used for a different event.")
EVENT_NEEDS_PART = Reason("bookings.event_needs_part", "An event of type {type} needs this field.")
CASE_OF_ANOTHER_INSURER = Reason("bookings.case_of_another_insurer", "This case id belongs to another insurer.")
CHOOSE_SERIES = Reason("bookings.choose_series", "Choose one of the client's series, or enter an insurer case id.")
CLIENT_HAS_NO_EMAIL = Reason("bookings.client_has_no_email", "The client has no e-mail address to be invited at.")
BAD_DAY = Reason("bookings.bad_day", "Enter a date as YYYY-MM-DD.")
BAD_CLOCK = Reason("bookings.bad_clock", "Enter a time as HH:MM, on a five-minute mark.")
