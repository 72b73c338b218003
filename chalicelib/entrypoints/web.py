"""The portal's pages: rendered here, on the server, for the person a session cookie names, in their language.
Each page route is declared with `page(...)`, the counterpart of `contract.operation` for the JSON API: who may
open it (the same `Access`, proven by the session instead of a token), and what it does.

A session is a cookie (`__Host-session`: Secure, HttpOnly, SameSite=Lax, path /) naming a session kept in
DynamoDB; every form carries the session's CSRF token, checked before anything else; opening a page (GET)
changes nothing. A person who is not signed in is sent to sign in and brought back where they were going."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from chalice.app import Blueprint, Request, Response

from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import Access, Operation
from chalicelib.entrypoints.http import STATUS
from chalicelib.observability import logger
from chalicelib.rendering import render
from chalicelib.shared.errors import DomainError, NotAllowed, Reason
from chalicelib.shared.i18n import Words, negotiate, supported, texts
from chalicelib.shared.identity import Actor

SESSION_COOKIE = "__Host-session"
LANGUAGE_COOKIE = "__Host-language"
RETURN_COOKIE = "__Host-return"  # where a person who had to sign in was going (kept out of the URL: links hold ids)
FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 256 * 1024

HTML_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",  # a link's id must not leak through Referer
    "X-Content-Type-Options": "nosniff",
}

NOT_FOR_YOUR_ROLE = Reason("portal.not_for_your_role", "This page is for other roles than yours.")
FORM_TOO_LARGE = Reason("portal.form_too_large", "The form is too large.")


def cookies(request: Request) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def set_cookie(name: str, value: str, max_age: int | None = None) -> str:
    """A `__Host-` cookie: this host only, every path, HTTPS only, never read by scripts, not sent along with
    another site's POST. Without `max_age` it ends with the browser (the session's own expiry still holds)."""
    lifetime = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{name}={value}; Path=/{lifetime}; Secure; HttpOnly; SameSite=Lax"


def cleared(name: str) -> str:
    return set_cookie(name, "", 0)


def safe_return(path: str | None) -> str:
    """Only a path of this site: never another host (`//evil.example`, `/\\evil`)."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")) and re.fullmatch(r"[\x21-\x7e]*", path):
        return path
    return "/"


@dataclass
class Visit:
    """One request to a page: who asks (if signed in), in which language, and what the form sent."""

    request: Request
    texts: Words
    actor: Actor | None = None
    session: Any = None  # the directory's web session, when signed in
    session_cookie: str | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.texts.language

    @property
    def caller(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("a page declared for anyone asked who signed in")
        return self.actor

    @property
    def csrf(self) -> str:
        return str(self.session.csrf_token) if self.session is not None else ""

    @property
    def where(self) -> str:
        """The path asked for (Chalice keeps the route's pattern; the parameters fill it in)."""
        return self.request.path.format(**(self.request.uri_params or {}))

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default

    def query(self, name: str, default: str = "") -> str:
        return str(dict(self.request.query_params or {}).get(name, default))

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        html = render(
            self.language,
            f"pages/{template}",
            person=self.actor.person if self.actor else None,
            # R-REQ-5: the requisitioner switched to an orderer, for the banner that switches back.
            switched_from=self.actor.signed_in if self.actor and self.actor.acting_as else None,
            csrf=self.csrf,
            current_path=self.where,
            # The provider's administrators decide customer applications (Flow 1 step 2): their navigation has them.
            provider_org_id=container().settings.provider_org_id,
            **{"notice": self.query("notice"), **context},
        )
        return Response(body=html, status_code=status, headers=self._headers(HTML_HEADERS))

    def redirect(self, location: str) -> Response:
        return Response(body="", status_code=303, headers=self._headers({"Location": location}))

    def _headers(self, headers: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
        merged = dict(headers)
        if self.set_cookies:
            merged["Set-Cookie"] = list(self.set_cookies)
        return merged


PageView = Callable[[Visit], Response]


def language_of(request: Request, session: Any) -> str:
    """The session's choice, else the language cookie (set by the switch before signing in), else the
    browser's."""
    if session is not None and supported(getattr(session, "language", None)):
        return str(session.language)
    chosen = supported(cookies(request).get(LANGUAGE_COOKIE))
    return chosen or negotiate(request.headers.get("accept-language"))


def page(blueprint: Blueprint, *, summary: str, access: Access, **declared: Any) -> Callable[[PageView], Any]:
    """Declares a page (who may open it) and makes it keep that: an anonymous visitor of a signed-in page is
    sent to sign in; a POST needs the session's CSRF token; a refusal is a page in the reader's language."""
    contract = Operation(summary=summary, access=access, responses={200: None}, media_type="text/html", **declared)

    def wrap(view: PageView) -> Any:
        def run(**path: str) -> Response:
            request = blueprint.current_request
            sessions = container().sessions
            cookie = cookies(request).get(SESSION_COOKIE)
            current = sessions.current(cookie) if cookie else None
            session, actor = (current.session, current.actor) if current else (None, None)
            visit = Visit(
                request=request,
                texts=texts(language_of(request, session)),
                actor=actor,
                session=session,
                session_cookie=cookie if current else None,
                path=dict(path),
            )
            if cookie and current is None:
                visit.set_cookies.append(cleared(SESSION_COOKIE))  # an ended or expired session
            try:
                if access.signed_in and actor is None:
                    return sign_in_first(visit)
                if actor is not None and access.roles and not access.roles & set(actor.person.roles):
                    raise NotAllowed(NOT_FOR_YOUR_ROLE)
                if request.method == "POST":
                    visit.form = read_form(request)
                    if session is not None:
                        sessions.check_csrf(session, visit.field("csrf"))
                return view(visit)
            except DomainError as refusal:
                return refused(visit, refusal)
            except Exception:  # noqa: BLE001 - a page that failed says so, and that nothing was lost
                logger.exception("Page failed")
                return visit.page("error.html", 500, title=visit.texts.gettext("Something went wrong"))

        run.__name__ = view.__name__
        run.__doc__ = view.__doc__
        run.operation = contract  # type: ignore[attr-defined]
        return run

    return wrap


def read_form(request: Request) -> dict[str, list[str]]:
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_FORM_BYTES:
        raise NotAllowed(FORM_TOO_LARGE)
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=5000)
    except (UnicodeDecodeError, ValueError):
        return {}


def sign_in_first(visit: Visit) -> Response:
    """To the sign-in page, remembering where the person was going (a GET; a POST goes back to its page)."""
    target = visit.where if visit.request.method == "GET" else "/"
    visit.set_cookies.append(set_cookie(RETURN_COOKIE, quote(safe_return(target), safe="/"), 900))
    return visit.redirect("/sign-in")


def refused(visit: Visit, refusal: DomainError) -> Response:
    status = next(code for kind, code in STATUS.items() if isinstance(refusal, kind))
    logger.info("Page refused", extra={"status": status, "error": type(refusal).__name__})
    message = visit.texts.refusal(refusal.reason, refusal.params)
    return visit.page("error.html", status, title=message, refused=True)
