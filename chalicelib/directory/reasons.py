"""Why the directory or sign-in refuses a request."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

NOT_IN_DIRECTORY = Reason("directory.not_in_directory", "Your account is not in the directory.")
WRONG_PASSWORD = Reason("directory.wrong_password", "Wrong username or password.")
NEW_PASSWORD_REQUIRED = Reason(
    "directory.new_password_required", "This account must set a new password before signing in."
)
TOKEN_NOT_VALID = Reason("directory.token_not_valid", "Sign in again: the token is not valid.")
NOT_AN_ID_TOKEN = Reason("directory.not_an_id_token", "Sign in with an ID token.")
CSRF_NOT_VALID = Reason("directory.csrf_not_valid", "The form has expired. Load the page again and resend it.")
