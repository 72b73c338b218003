"""Why the directory or sign-in refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

NOT_IN_DIRECTORY = Reason("directory.not_in_directory", "Your account is not in the directory.")
# A wrong password and an unknown username get the same answer: nobody learns who has an account.
WRONG_PASSWORD = Reason("directory.wrong_password", "Wrong username or password.")
NEW_PASSWORD_REQUIRED = Reason(
    "directory.new_password_required", "This account must set a new password before signing in."
)
TOKEN_NOT_VALID = Reason("directory.token_not_valid", "Sign in again: the token is not valid.")
NOT_AN_ID_TOKEN = Reason("directory.not_an_id_token", "Sign in with an ID token.")
PASSWORD_TOO_WEAK = Reason(
    "directory.password_too_weak",
    "Choose a stronger password: at least {min_length} characters, with upper and lower case letters, a digit "
    "and a symbol.",
)
WRONG_CODE = Reason("directory.wrong_code", "The code is wrong or has expired. Ask for a new code.")
TOO_MANY_ATTEMPTS = Reason("directory.too_many_attempts", "Too many attempts. Wait a while, then try again.")
SIGN_IN_AGAIN = Reason("directory.sign_in_again", "Sign in again: the time to choose a new password ran out.")
SIGN_IN_STEP_NOT_OFFERED = Reason(
    "directory.sign_in_step_not_offered",
    "Your account asks for a sign-in step the portal does not offer; ask your administrator.",
)
SESSION_ENDED = Reason("directory.session_ended", "Sign in again: your session has ended.")
CSRF_NOT_VALID = Reason("directory.csrf_not_valid", "The form has expired. Load the page again and resend it.")
UNKNOWN_LANGUAGE = Reason("directory.unknown_language", "Choose one of the languages {languages}.")
INVITATION_NOT_VALID = Reason("directory.invitation_not_valid", "This link to choose a password is not valid.")
INVITATION_USED = Reason(
    "directory.invitation_used", "This link has already been used to choose a password. Sign in, or ask for a new one."
)
INVITATION_EXPIRED = Reason(
    "directory.invitation_expired", "This link to choose a password has expired. Ask your administrator for a new one."
)
PERSON_NOT_FOUND = Reason("directory.person_not_found", "There is no such person in your organisation.")
EMAIL_TAKEN = Reason("directory.email_taken", "Someone already has this e-mail address. Enter another.")
PHONE_NOT_VALID = Reason("directory.phone_not_valid", "Enter a mobile number, such as 070-123 45 67 or +47 412 34 567.")
ROLE_NOT_FOR_ORGANISATION = Reason(
    "directory.role_not_for_organisation", "The role {role} is not given in an organisation of this kind."
)
NO_ROLE = Reason("directory.no_role", "Choose at least one role.")
LAST_ADMINISTRATOR = Reason(
    "directory.last_administrator",
    "Your organisation must keep an administrator: make someone else an administrator first.",
)
ALREADY_ADDED = Reason(
    "directory.already_added", "This form was already sent and the person added. Open the list to see them."
)
NOT_AN_ADMINISTRATOR = Reason(
    "directory.not_an_administrator", "Only an administrator of your organisation manages its people."
)
PEOPLE_BUSY = Reason(
    "directory.people_busy", "Someone else changed your organisation's people at the same moment. Try again."
)
NOT_AN_AGENT = Reason("directory.not_an_agent", "Only an agent sets which customers and source systems it serves.")
NO_SUCH_CUSTOMER = Reason(
    "directory.no_such_customer", "There is no customer organisation {customer}. Enter its name or its id."
)
CUSTOMER_NAME_SHARED = Reason(
    "directory.customer_name_shared", "Several organisations are named {customer}. Enter the one you mean by its id."
)
SOURCE_SYSTEM_NOT_OFFERED = Reason(
    "directory.source_system_not_offered",
    "{source_system} is not one of your source systems in the catalogue: choose among {offered}.",
)
