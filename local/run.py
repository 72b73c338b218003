"""`make run`: the whole product on this machine: embedded AWS, API, pages and the outbox."""

from __future__ import annotations

import argparse
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from chalice.config import Config
from chalice.local import LocalDevServer

from app import app
from chalicelib.bootstrap import container
from chalicelib.shared.time import utc_now
from local import demo
from local.embedded_aws import EmbeddedAws, embedded_aws
from local.http_server import create_server
from local.outbox import outbox_blueprint
from local.practice import seed_practice


def seed_demo(aws: EmbeddedAws) -> None:
    container.cache_clear()  # settings come from the environment the embedded AWS just set
    adapters = container().adapters
    demo.seed(adapters.directory, adapters.catalogues, aws.client("cognito-idp"), aws.user_pool_id)
    demo.seed_onboarding(container().onboarding, adapters.signings, adapters.transactions, utc_now())
    demo.seed_orderers(adapters.orderers, adapters.transactions)
    seed_practice(adapters.booking_records, adapters.transactions)


@contextmanager
def serving(aws: EmbeddedAws, host: str, port: int) -> Iterator[LocalDevServer]:
    """Serves the app and the outbox over HTTP in a background thread until the context ends: many clients at
    once, each request logged by its route, never by a path that holds a link's id."""
    if "/outbox" not in app.routes:
        app.register_blueprint(outbox_blueprint(aws))
    server = create_server(app, Config.create(chalice_stage="dev", app_name=app.app_name), host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server.server_close()


@contextmanager
def local_product(host: str = "127.0.0.1", port: int = 8000) -> Iterator[EmbeddedAws]:
    with embedded_aws(app, base_url=f"http://{host}:{port}") as aws:
        seed_demo(aws)
        # What start-up made (modules, service models, the seeded stage) stays for the process's life: frozen out
        # of the garbage collector's full passes, which otherwise walk it again and again as the product fills.
        gc.collect()
        gc.freeze()
        with serving(aws, host, port):
            yield aws
        container.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    with local_product(arguments.host, arguments.port):
        base = f"http://{arguments.host}:{arguments.port}"
        print(f"\nThe product runs at {base}   (outbox: {base}/outbox)\n")
        print(f"Every demo person signs in with the password {demo.PASSWORD}\n")
        for person in demo.PEOPLE:
            roles = ", ".join(role.value for role in person.roles)
            print(f"  {person.user_id:<16} {person.name:<22} {person.org_id:<14} {roles}")
        print("\nStop with Ctrl-C.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopped.")


if __name__ == "__main__":
    main()
