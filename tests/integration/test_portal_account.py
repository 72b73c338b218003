"""Signing in to the portal over HTTP, as a browser without scripts does: the first sign-in that sets a
password, a forgotten password, a session that ends at sign-out, CSRF, and where a signed-out visitor was going."""

from __future__ import annotations

import re

from chalicelib.entrypoints.web import LANGUAGE_COOKIE, RETURN_COOKIE, SESSION_COOKIE
from local import demo
from local.people import Visitor
from tests.integration.test_web_sessions import TEMPORARY_PASSWORD, account

NEW_PASSWORD = "Another-pass-2027"


def test_a_first_sign_in_sets_a_new_password_and_then_signs_in(served, aws):
    user_id = account(aws, temporary=True)
    visitor = Visitor(served)
    visitor.get("/sign-in")
    asked = visitor.submit("/sign-in", {"username": user_id, "password": TEMPORARY_PASSWORD})
    assert asked.status == 200 and "Välj ett lösenord" in asked.html and SESSION_COOKIE not in visitor.cookies
    challenge = re.search(r'name="challenge" value="([^"]+)"', asked.html)
    assert challenge is not None
    fields = {"username": user_id, "challenge": challenge[1]}
    different = visitor.submit(
        "/sign-in/new-password", {**fields, "new_password": NEW_PASSWORD, "repeat_password": "x"}
    )
    assert different.status == 400 and "Lösenorden är inte likadana" in different.html
    weak = visitor.submit("/sign-in/new-password", {**fields, "new_password": "short", "repeat_password": "short"})
    assert weak.status == 400 and "starkare lösenord" in weak.html
    done = visitor.submit(
        "/sign-in/new-password", {**fields, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    )
    assert done.status == 303 and done.location == "/" and SESSION_COOKIE in visitor.cookies
    assert "Nina Newcomer" in visitor.get("/").html


def test_a_forgotten_password_is_set_again_with_the_code_from_the_mail(served, aws):
    user_id = account(aws)
    visitor = Visitor(served)
    visitor.get("/sign-in/forgot")
    sent = visitor.submit("/sign-in/forgot", {"username": user_id})
    assert sent.status == 200 and "Välj ett nytt lösenord" in sent.html
    # The same answer for an account that does not exist: nobody learns which usernames there are.
    unknown = Visitor(served)
    unknown.get("/sign-in/forgot")
    assert "Om kontot finns" in unknown.submit("/sign-in/forgot", {"username": "nobody.at.all"}).html
    # The embedded Cognito sends no mail and takes any code not of its own making (docs/decisions.md).
    reset = visitor.submit("/sign-in/reset", {"username": user_id, "code": "123456", "new_password": NEW_PASSWORD})
    assert (reset.status, reset.location) == (303, "/sign-in?notice=password_set")
    assert "Ditt nya lösenord är sparat" in visitor.get("/sign-in?notice=password_set").html
    Visitor(served).sign_in(user_id, NEW_PASSWORD)


def test_a_wrong_password_is_refused_without_saying_whether_the_account_exists(served):
    answers = []
    for username in ("olivia.orderer", "nobody.at.all"):
        visitor = Visitor(served)
        visitor.get("/sign-in")
        answer = visitor.submit("/sign-in", {"username": username, "password": "wrong-password-1"})
        assert answer.status == 401 and SESSION_COOKIE not in visitor.cookies
        answers.append(re.sub(r'value="[^"]*"', "", answer.html))
    assert answers[0] == answers[1]


def test_signing_out_ends_the_session_at_once_everywhere_it_was_used(served):
    tab = Visitor(served).sign_in("olivia.orderer")
    other_tab = Visitor(served, cookies=dict(tab.cookies))  # the same browser: the same cookie
    assert other_tab.get("/").status == 200
    tab.get("/")
    assert tab.submit("/sign-out").location == "/sign-in?notice=signed_out"
    assert other_tab.get("/").status == 303  # the session is gone from the table, not only from one tab


def test_a_form_without_the_sessions_csrf_token_changes_nothing(served):
    visitor = Visitor(served).sign_in("olivia.orderer")
    forged = visitor.request("POST", "/sign-out", {"csrf": "not-the-token"})
    assert forged.status == 403
    assert visitor.get("/").status == 200  # still signed in: the forged sign-out did nothing
    missing = visitor.request("POST", "/orders/new", {"action": "add_unit"})
    assert missing.status == 403


def test_a_signed_out_visitor_is_brought_back_where_they_were_going(served):
    visitor = Visitor(served)
    sent = visitor.get("/orders?scope=organisation")
    assert (sent.status, sent.location) == (303, "/sign-in") and RETURN_COOKIE in visitor.cookies
    visitor.get("/sign-in")
    back = visitor.submit("/sign-in", {"username": "olivia.orderer", "password": demo.PASSWORD})
    assert back.location == "/orders" and RETURN_COOKIE not in visitor.cookies


def test_the_language_chosen_before_signing_in_is_kept_after(served):
    visitor = Visitor(served)
    visitor.get("/sign-in")
    visitor.submit("/language", {"language": "nb", "return_to": "/sign-in"})
    assert visitor.cookies[LANGUAGE_COOKIE] == "nb" and 'lang="nb"' in visitor.get("/sign-in").html
    visitor.submit("/sign-in", {"username": "olivia.orderer", "password": demo.PASSWORD})
    visitor.cookies.pop(LANGUAGE_COOKIE)  # the session holds the choice now
    assert 'lang="nb"' in visitor.get("/").html
    assert visitor.submit("/language", {"language": "xx", "return_to": "//elsewhere.example"}).location == "/"
