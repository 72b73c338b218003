"""What runs around every HTTP request: the route in each log line, metrics flushed (the trace
segment is the runtime's active tracing)."""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Request, Response

from chalicelib.entrypoints.http import in_our_words
from chalicelib.observability import in_request, publish_metrics, request_done


def http_observability(event: Request, get_response: Callable[[Request], Response]) -> Response:
    # The route pattern, never the path: an approval link's id is a secret.
    route = event.context.get("resourcePath", "?")
    in_request(route, event.method)
    try:
        response = in_our_words(get_response(event))
    finally:
        publish_metrics()
        request_done()
    return response
