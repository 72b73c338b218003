"""What must never reach a log line: a task token, a one-time code, an approval link's id, a phone number, a
personal identity number, a password, a JWT, or what a web session is made of (a cookie value, a CSRF token,
Cognito's challenge session, a password reset code, a new password). `leaks` finds them in a text; `LogCapture`
gathers every line the app, the embedded AWS and the local server log while a test runs."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from moto.stepfunctions.parser.asl.eval.states import ContextObject
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from chalicelib.observability import logger
from local import demo
from local.embedded_aws import EmbeddedAws

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
PHONE = re.compile(r"(?<![\w+])\+\d{8,15}(?!\d)")
# 10 or 12 digits, with or without the separator: a Swedish personnummer or samordningsnummer, or a Norwegian
# fødselsnummer or D-number, if python-stdnum says it is one (dates and check digits ruling out chance runs).
IDENTITY_NUMBER = re.compile(r"(?<![\w-])(?:\d{6}|\d{8})[-+]?\d{4,5}(?![\w-])")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
URL_SAFE_RUN = re.compile(r"[A-Za-z0-9_-]{20,}")
SIX_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])")
LINK = re.compile(r"/(?:approvals|set-password|signing)/(?P<id>[A-Za-z0-9_-]{20,64})")
CODE = re.compile(r"^(?P<code>\d{6}) ")
PASSWORD_FIELD = re.compile(r'"password"\s*:', re.IGNORECASE)


@dataclass
class Secrets:
    """The secrets the product handed out so far: task tokens, link ids, codes, and the demo people's phones; and
    what a test of sign-in handed over or was handed (`session_secrets`)."""

    task_tokens: set[str] = field(default_factory=set)
    link_ids: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    session_secrets: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=lambda: {person.phone for person in demo.PEOPLE})
    _mails_read: int = 0
    _sms_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, aws: EmbeddedAws) -> None:
        """Adds what was mailed and texted since the last read."""
        with self._lock:
            mails = aws.sent_emails()
            for mail in mails[self._mails_read :]:
                self.link_ids |= {match["id"] for match in LINK.finditer(mail["body"])}
            self._mails_read = len(mails)
            texts = aws.sent_sms()
            for sms in texts[self._sms_read :]:
                self.codes |= {match["code"] for match in CODE.finditer(sms["text"])}
            self._sms_read = len(texts)

    @contextmanager
    def recording_task_tokens(self) -> Iterator[None]:
        """Every task token the embedded Step Functions issues, as it issues it."""
        issue = ContextObject.update_task_token

        def recorded(context: ContextObject) -> str:
            token = issue(context)
            with self._lock:
                self.task_tokens.add(token)
            return token

        ContextObject.update_task_token = recorded  # type: ignore[method-assign, assignment]
        try:
            yield
        finally:
            ContextObject.update_task_token = issue  # type: ignore[method-assign]


def leaks(text: str, known: Secrets) -> list[str]:
    """What in `text` is secret, each named by its kind (never the secret itself in full)."""
    found: list[str] = []

    def hidden(value: str) -> str:
        return value[:4] + "…"

    found += [f"a JWT {hidden(match)}" for match in JWT.findall(text)]
    found += [f"a phone number {hidden(match)}" for match in PHONE.findall(text)]
    found += [f"a phone number {hidden(phone)}" for phone in known.phones if phone.lstrip("+") in text]
    found += [
        f"a personal identity number {hidden(match)}"
        for match in IDENTITY_NUMBER.findall(text)
        if personnummer.is_valid(match) or fodselsnummer.is_valid(match)
    ]
    found += [f"a task token {hidden(match)}" for match in set(UUID.findall(text)) & known.task_tokens]
    found += [f"a link id {hidden(match)}" for match in set(URL_SAFE_RUN.findall(text)) & known.link_ids]
    found += [f"a one-time code {hidden(match)}" for match in set(SIX_DIGITS.findall(text)) & known.codes]
    found += [f"a session secret {hidden(secret)}" for secret in known.session_secrets if secret in text]
    if demo.PASSWORD in text or PASSWORD_FIELD.search(text):
        found.append("a password")
    return found


class LogCapture(logging.Handler):
    """Every record of the app's logger, the local server's access log and anything logged at the root."""

    LOGGERS = (logging.getLogger(logger.service), logging.getLogger("local.access"), logging.getLogger())

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()
        self.setFormatter(logger.registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is kept as its raw parts
            line = f"{record.msg} {record.args}"
        with self._guard:
            self.lines.append(line)

    @property
    def text(self) -> str:
        with self._guard:
            return "\n".join(self.lines)

    @contextmanager
    def attached(self) -> Iterator[LogCapture]:
        for each in self.LOGGERS:
            each.addHandler(self)
        try:
            yield self
        finally:
            for each in self.LOGGERS:
                each.removeHandler(self)
