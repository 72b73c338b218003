"""The portal's web sessions, without AWS: what is random, what is stored, when a session ends, and how seldom
its use is written."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from chalicelib.directory.model import SessionLifetimes, WebSession, session_key
from chalicelib.shared.errors import NotAllowed
from chalicelib.shared.languages import Language

from .fixtures import NOW

LIFETIMES = SessionLifetimes()
URL_SAFE_256_BITS = re.compile(r"[A-Za-z0-9_-]{43}")


def started(**lifetimes: timedelta) -> tuple[WebSession, str]:
    new = WebSession.start("olivia.orderer", "region-norrby", Language.SV, NOW, SessionLifetimes(**lifetimes))
    return new.session, new.cookie_value


def test_the_cookie_value_and_the_csrf_token_are_256_random_url_safe_bits_and_only_the_cookies_hash_is_kept():
    news = [WebSession.start("olivia.orderer", "region-norrby", Language.SV, NOW, LIFETIMES) for _ in range(200)]
    cookies = {new.cookie_value for new in news}
    tokens = {new.session.csrf_token for new in news}
    assert len(cookies) == len(tokens) == 200 and not cookies & tokens
    assert all(URL_SAFE_256_BITS.fullmatch(value) for value in cookies | tokens)
    for new in news:
        assert new.session.key == hashlib.sha256(new.cookie_value.encode()).hexdigest() == session_key(new.cookie_value)
        assert new.cookie_value not in new.session.model_dump_json()


def test_neither_the_cookie_value_nor_the_csrf_token_shows_in_a_repr():
    new = WebSession.start("olivia.orderer", "region-norrby", Language.EN, NOW, LIFETIMES)
    assert new.cookie_value not in repr(new)
    assert new.session.csrf_token not in repr(new) and new.session.csrf_token not in repr(new.session)


def test_a_session_lasts_eight_hours_at_most_and_half_an_hour_unused_by_default():
    session, _ = started()
    assert session.language is Language.SV
    assert session.created_at == NOW
    assert session.expires_at == NOW + timedelta(hours=8)
    assert session.idle_expires_at == NOW + timedelta(minutes=30)
    assert session.is_live(NOW + timedelta(minutes=29, seconds=59))
    assert not session.is_live(NOW + timedelta(minutes=30))


def test_use_is_written_at_most_once_a_minute():
    session, _ = started()
    assert session.touch(NOW + timedelta(seconds=59), LIFETIMES) is None
    touched = session.touch(NOW + timedelta(minutes=1), LIFETIMES)
    assert touched is not None
    assert touched.idle_expires_at == NOW + timedelta(minutes=31)
    assert touched.model_copy(update={"idle_expires_at": session.idle_expires_at}) == session  # nothing else moves
    assert touched.touch(NOW + timedelta(minutes=1, seconds=59), LIFETIMES) is None


def test_a_session_used_every_ten_seconds_lives_on_and_is_written_once_a_minute():
    session, _ = started()
    writes = 0
    for seconds in range(0, 3600, 10):
        now = NOW + timedelta(seconds=seconds)
        assert session.is_live(now)
        touched = session.touch(now, LIFETIMES)
        if touched is not None:
            session, writes = touched, writes + 1
    assert writes == 59  # the first minute needs none: the session was written when it started
    assert session.idle_expires_at == NOW + timedelta(minutes=89)


def test_use_never_extends_a_session_past_its_absolute_expiry():
    session, _ = started(absolute=timedelta(minutes=40))
    late = session.touch(NOW + timedelta(minutes=29), LIFETIMES)
    assert late is not None and late.idle_expires_at == session.expires_at == NOW + timedelta(minutes=40)
    assert late.touch(NOW + timedelta(minutes=39), LIFETIMES) is None
    assert not late.is_live(NOW + timedelta(minutes=40))


def test_the_last_stretch_to_the_absolute_expiry_is_written_even_when_shorter_than_a_minute():
    session, _ = started(absolute=timedelta(minutes=30, seconds=30))
    touched = session.touch(NOW + timedelta(seconds=40), LIFETIMES)
    assert touched is not None and touched.idle_expires_at == session.expires_at


def test_an_unused_session_ends_even_before_its_absolute_expiry():
    session, _ = started()
    assert not session.is_live(NOW + timedelta(hours=1))
    assert not session.is_live(NOW + timedelta(hours=8))


@pytest.mark.parametrize("token", [None, "", "not-the-token", "å" * 43])
def test_a_request_without_the_sessions_csrf_token_is_refused(token: str | None):
    session, _ = started()
    with pytest.raises(NotAllowed) as refused:
        session.require_csrf(token)
    assert refused.value.code == "directory.csrf_not_valid"


def test_the_sessions_own_csrf_token_passes():
    session, _ = started()
    session.require_csrf(session.csrf_token)
