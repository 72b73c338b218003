"""The local product's HTTP server: Chalice's dev server, made to hold many clients at once and to log requests
without the secrets some paths carry."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from http import HTTPStatus
from http.server import HTTPServer
from typing import Any
from urllib.parse import quote, unquote

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    NotAuthorizedError,
    RouteMatcher,
    ThreadedHTTPServer,
)

from chalicelib.manifest import gateway_error

# An approval link's id is 20 to 64 of these characters. Any run that long may be one (or a cursor), wherever it
# stands in a path, a malformed request line or an error message.
SECRET_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted>"
# Shown instead of a query string: its values may be cursors, and its keys are whatever a client chose.
QUERY_SHOWN = "?…"
LISTEN_BACKLOG = 128


class _ToStderr(logging.Handler):
    """Writes to whatever `sys.stderr` is when a line is logged (a test's capture, say)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


# The access log: a logger, so that the tests read it as they read the app's logs.
access_log = logging.getLogger("local.access")
access_log.setLevel(logging.INFO)
access_log.propagate = False
access_log.addHandler(_ToStderr())


def redact(text: str) -> str:
    return SECRET_LIKE.sub(REDACTED, text)


def loggable_target(target: str, routes: Iterable[str]) -> str:
    """The route a request target matches, as the app declares it (`/approvals/{approval_id}`), the name the
    app's own log lines give it too; for a target no route matches, its path with anything secret-like taken
    out. Never the query."""
    path, question_mark, _ = target.partition("#")[0].partition("?")
    query = QUERY_SHOWN if question_mark else ""
    try:
        return str(RouteMatcher(list(routes)).match_route(path).route) + query
    except ValueError:
        # Decoded first, so that an id spelt with percent escapes is recognised too; encoded again, so that
        # what a client encoded (a line break, say) cannot pass for something else in the log.
        return quote(redact(unquote(path)), safe="/<>") + query


class RedactingRequestHandler(ChaliceRequestHandler):
    """Chalice's handler, with an access log of method, route and status, and nothing secret in any line."""

    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
    ) -> None:
        # Before the base initialiser: it handles the whole connection, logging included, before it returns.
        # Read per connection, as blueprints (the outbox) may be registered after the server starts.
        self.routes = list(app_object.routes)
        super().__init__(request, client_address, server, app_object, config)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, HTTPStatus):
            code = code.value
        # The request line rather than `self.path`: the line is always this request's, even when it could not
        # be parsed, while `path` may still be the previous request's on a kept-alive connection.
        words = self.requestline.split()
        if len(words) in (2, 3):
            words[1] = loggable_target(words[1], self.routes)
            line = " ".join(words)
        else:
            line = redact(self.requestline)
        self.log_message('"%s" %s %s', line, code, size)

    def log_message(self, format: str, *args: Any) -> None:
        # Every line passes here, `log_error`'s too ("Bad request syntax ('GET /approvals/…')"), so every line
        # is redacted, and its control characters escaped as the base class does.
        message = redact(format % args).translate(self._control_char_table)  # type: ignore[attr-defined]
        access_log.info("%s - - [%s] %s", self.address_string(), self.log_date_time_string(), message)

    def __getattr__(self, name: str) -> Any:
        # Methods Chalice's server has no `do_` for (TRACE, QUERY…) the base class answers with 501. The app
        # answers every method no route has with 405 and Allow, as it does behind the gateway.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _send_error_response(self, error: LocalGatewayException) -> None:
        """What the gateway answers by itself, in the body the deployed GatewayResponses give it."""
        kind = gateway_response_type(error)
        answer = gateway_error(kind)
        message = answer.message
        if message is None:
            message = str(json.loads(error.body or b"{}").get("message") or HTTPStatus(error.CODE).phrase)
        body = json.dumps({"message": message, "code": answer.code, "errors": []}).encode()
        self._send_http_response(error.CODE, {**error.headers, "Content-Type": "application/json"}, body)


def gateway_response_type(error: LocalGatewayException) -> str:
    """Which of API Gateway's own answers Chalice's local gateway is giving."""
    if isinstance(error, NotAuthorizedError):
        return "UNAUTHORIZED"
    if isinstance(error, ForbiddenError):
        denied = error.headers.get("x-amzn-ErrorType") == "AccessDeniedException"
        return "ACCESS_DENIED" if denied else "MISSING_AUTHENTICATION_TOKEN"
    return "DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX"


class ProductHttpServer(ThreadedHTTPServer):
    """Chalice's server already takes each connection in its own daemon thread. What it lacks is room to queue
    connections: socketserver listens with a backlog of 5, and while the accepting thread waits for the
    interpreter lock behind busy request threads, the kernel drops (or resets) every connection beyond it."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The base class prints the traceback as it is; an exception's message may quote the path.
        print(f"Error while answering {client_address}:", file=sys.stderr)
        print(redact(traceback.format_exc()), file=sys.stderr, end="")


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """What `chalice.local.create_local_server` does, with this module's handler and server."""
    # Chalice's class swap gives each request thread its own `current_request`. Done once: a second swap would
    # make the class its own base, and the process may start more than one server.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, type(app))
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RedactingRequestHandler, server_cls=ProductHttpServer)
