"""Signing in and out of the portal, the first sign-in that sets a password, a forgotten password, and the
language switch."""

from __future__ import annotations

from urllib.parse import unquote

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.directory.model import NewSession
from chalicelib.directory.ports import NewPasswordRequired
from chalicelib.entrypoints.contract import Access
from chalicelib.entrypoints.web import (
    FORM,
    LANGUAGE_COOKIE,
    RETURN_COOKIE,
    SESSION_COOKIE,
    Visit,
    cleared,
    cookies,
    page,
    safe_return,
    set_cookie,
)
from chalicelib.shared.errors import DomainError, InvalidRequest
from chalicelib.shared.i18n import supported

account = Blueprint(__name__)

OPEN = Access(signed_in=False, via="session")
YEAR = 365 * 24 * 3600


def problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def signed_in(visit: Visit, started: NewSession) -> Response:
    """The session's cookie set, and the person taken where they were going."""
    going = safe_return(unquote(cookies(visit.request).get(RETURN_COOKIE, "/")))
    visit.set_cookies += [set_cookie(SESSION_COOKIE, started.cookie_value), cleared(RETURN_COOKIE)]
    return visit.redirect(going)


def required(visit: Visit, fields: dict[str, str]) -> list[dict[str, str]]:
    """A problem for each of `fields` (name: what to tell) left empty."""
    return [problem(name, message) for name, message in fields.items() if not visit.field(name).strip()]


@account.route("/sign-in", methods=["GET"])
@page(account, summary="Sign in", access=OPEN)
def sign_in_page(visit: Visit) -> Response:
    if visit.actor is not None:
        return visit.redirect("/")
    return visit.page("sign_in.html", errors=[], username="")


@account.route("/sign-in", methods=["POST"], content_types=[FORM])
@page(account, summary="Sign in with username and password", access=OPEN)
def sign_in(visit: Visit) -> Response:
    t = visit.texts
    username = visit.field("username").strip()
    errors = required(
        visit, {"username": t.gettext("Enter your username"), "password": t.gettext("Enter your password")}
    )
    if errors:
        return visit.page("sign_in.html", 400, errors=errors, username=username)
    try:
        started = container().sessions.start(username, visit.field("password"), visit.language)
    except DomainError as refusal:
        message = t.refusal(refusal.reason, refusal.params)
        return visit.page("sign_in.html", 401, errors=[problem("password", message)], username=username)
    if isinstance(started, NewPasswordRequired):
        return visit.page("new_password.html", errors=[], username=username, challenge=started.challenge_session)
    return signed_in(visit, started)


@account.route("/sign-in/new-password", methods=["POST"], content_types=[FORM])
@page(account, summary="Set a password at the first sign-in", access=OPEN)
def new_password(visit: Visit) -> Response:
    t = visit.texts
    username, challenge = visit.field("username"), visit.field("challenge")
    errors = required(visit, {"new_password": t.gettext("Choose a new password")})
    if not errors and visit.field("new_password") != visit.field("repeat_password"):
        errors = [problem("repeat_password", t.gettext("The passwords are not the same"))]
    if not errors:
        try:
            session = container().sessions.complete_new_password(
                username, challenge, visit.field("new_password"), visit.language
            )
            return signed_in(visit, session)
        except DomainError as refusal:
            errors = [problem("new_password", t.refusal(refusal.reason, refusal.params))]
    return visit.page("new_password.html", 400, errors=errors, username=username, challenge=challenge)


@account.route("/sign-in/forgot", methods=["GET"])
@page(account, summary="Forgotten password", access=OPEN)
def forgot_page(visit: Visit) -> Response:
    return visit.page("forgot_password.html", errors=[], username="")


@account.route("/sign-in/forgot", methods=["POST"], content_types=[FORM])
@page(account, summary="Send a code to set a new password", access=OPEN)
def forgot(visit: Visit) -> Response:
    username = visit.field("username").strip()
    errors = required(visit, {"username": visit.texts.gettext("Enter your username")})
    if errors:
        return visit.page("forgot_password.html", 400, errors=errors, username=username)
    container().sessions.forgot_password(username)  # answers the same whether or not the account exists
    return visit.page("reset_password.html", errors=[], username=username, notice="reset_sent")


@account.route("/sign-in/reset", methods=["POST"], content_types=[FORM])
@page(account, summary="Set a new password with the code", access=OPEN)
def reset(visit: Visit) -> Response:
    t = visit.texts
    username = visit.field("username").strip()
    errors = required(
        visit, {"code": t.gettext("Enter the code from the e-mail"), "new_password": t.gettext("Choose a new password")}
    )
    if not errors:
        try:
            container().sessions.reset_password(username, visit.field("code").strip(), visit.field("new_password"))
            return visit.redirect("/sign-in?notice=password_set")
        except DomainError as refusal:
            errors = [problem("code", t.refusal(refusal.reason, refusal.params))]
    return visit.page("reset_password.html", 400, errors=errors, username=username)


@account.route("/sign-out", methods=["POST"], content_types=[FORM])
@page(account, summary="Sign out: the session ends at once", access=Access(via="session"))
def sign_out(visit: Visit) -> Response:
    if visit.session_cookie:
        container().sessions.end(visit.session_cookie)
    visit.set_cookies.append(cleared(SESSION_COOKIE))
    return visit.redirect("/sign-in?notice=signed_out")


@account.route("/language", methods=["POST"], content_types=[FORM])
@page(account, summary="Choose the portal's language", access=OPEN)
def choose_language(visit: Visit) -> Response:
    language = supported(visit.field("language"))
    if language is not None:
        if visit.session_cookie:
            container().sessions.choose_language(visit.session_cookie, language)
        visit.set_cookies.append(set_cookie(LANGUAGE_COOKIE, language, YEAR))
    return visit.redirect(safe_return(visit.field("return_to")))


@account.route("/set-password/{invitation_id}")
@page(account, summary="An invitation's page: choose a password", access=OPEN)
def invitation_page(visit: Visit) -> Response:
    """Reading only: the invitation is used when the password is set."""
    link = visit.path["invitation_id"]
    _, invited = container().accounts.invitation(link)
    return visit.page("set_password.html", errors=[], link=link, invited=invited)


@account.route("/set-password/{invitation_id}", methods=["POST"], content_types=[FORM])
@page(account, summary="Choose a password through an invitation, and sign in", access=OPEN)
def accept_invitation(visit: Visit) -> Response:
    t = visit.texts
    link = visit.path["invitation_id"]
    _, invited = container().accounts.invitation(link)
    errors = required(visit, {"new_password": t.gettext("Choose a new password")})
    if not errors and visit.field("new_password") != visit.field("repeat_password"):
        errors = [problem("repeat_password", t.gettext("The passwords are not the same"))]
    if not errors:
        try:
            started = container().accounts.accept(link, visit.field("new_password"), invited.language.value)
            return signed_in(visit, started)
        except InvalidRequest as refusal:
            errors = [problem("new_password", t.refusal(refusal.reason, refusal.params))]
    return visit.page("set_password.html", 400, errors=errors, link=link, invited=invited)
