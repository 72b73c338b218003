"""The ID token check (chalicelib/adapters/identity.py): pyjwt's claim checks over python-rsa's RS256, against
the same pool key moto signs with, read from a JWKS file as locally and over HTTP as on AWS."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

from chalicelib.adapters import identity
from chalicelib.adapters.identity import JwksTokenVerifier
from chalicelib.directory.reasons import NOT_AN_ID_TOKEN
from chalicelib.shared.errors import NotSignedIn

RESOURCES = Path(moto.__file__).parent / "cognitoidp" / "resources"
PUBLIC = RESOURCES / "jwks-public.json.gz"
ISSUER = "https://cognito-idp.eu-north-1.amazonaws.com/eu-north-1_pool"
CLIENT = "app-client"


def pool_key() -> Any:
    return jwt.PyJWK.from_dict(json.loads(gzip.decompress((RESOURCES / "jwks-private.json.gz").read_bytes()))).key


def token(key: Any = None, algorithm: str = "RS256", kid: str = "dummy", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "0000-1111",
        "cognito:username": "olivia.orderer",
        "custom:org_id": "region-norrby",
        "token_use": "id",
        "iss": ISSUER,
        "aud": CLIENT,
        "iat": now,
        "exp": now + 3600,
        **changes,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, pool_key() if key is None else key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def verifier() -> JwksTokenVerifier:
    return JwksTokenVerifier(ISSUER, CLIENT, "https://unused.invalid/jwks.json", str(PUBLIC))


def test_a_token_signed_by_the_pool_is_read(verifier: JwksTokenVerifier):
    claims = verifier.verify(token())
    assert (claims.user_id, claims.org_id) == ("olivia.orderer", "region-norrby")


def refused(verifier: JwksTokenVerifier, bad: str) -> bool:
    try:
        verifier.verify(bad)
    except NotSignedIn:
        return True
    return False


def test_a_token_signed_by_another_key_under_the_pools_key_id_is_refused(verifier: JwksTokenVerifier):
    other = crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(verifier, token(other))


def test_a_token_whose_signature_was_changed_is_refused(verifier: JwksTokenVerifier):
    genuine = token()
    assert refused(verifier, genuine[:-6] + ("AAAAAA" if not genuine.endswith("AAAAAA") else "BBBBBB"))


def test_unsigned_and_symmetric_tokens_are_refused(verifier: JwksTokenVerifier):
    """`alg: none`, and HS256 keyed with the pool's public key (the algorithm confusion attack)."""
    unsigned = jwt.encode({"cognito:username": "kim.service", "token_use": "id"}, "", algorithm="none")
    public_jwk = json.loads(gzip.decompress(PUBLIC.read_bytes()))["keys"][0]
    symmetric = token(public_jwk["n"].encode(), algorithm="HS256")
    assert refused(verifier, unsigned) and refused(verifier, symmetric)


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int(time.time()) - 60},
        {"aud": "another-client"},
        {"iss": "https://cognito-idp.eu-north-1.amazonaws.com/eu-north-1_other"},
        {"exp": None},
        {"token_use": None},
        {"nbf": int(time.time()) + 3600},
        {"iat": "yesterday"},
    ],
    ids=["expired", "foreign client", "another pool", "no expiry", "no token use", "not yet valid", "bad iat"],
)
def test_claims_pyjwt_checks_still_refuse(verifier: JwksTokenVerifier, changes: dict[str, Any]):
    assert refused(verifier, token(**changes))


def test_an_access_token_is_not_an_id_token(verifier: JwksTokenVerifier):
    with pytest.raises(NotSignedIn) as refusal:
        verifier.verify(token(token_use="access"))
    assert refusal.value.code == NOT_AN_ID_TOKEN.code


def test_a_token_of_an_unknown_key_is_refused(verifier: JwksTokenVerifier):
    assert refused(verifier, token(kid="another"))


class Jwks:
    """A JWKS endpoint that counts how often it was asked."""

    def __init__(self) -> None:
        self.body = gzip.decompress(PUBLIC.read_bytes())
        self.fetches = 0


@pytest.fixture
def endpoint() -> Iterator[tuple[Jwks, str]]:
    jwks = Jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            jwks.fetches += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield jwks, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()


def test_the_pools_keys_are_fetched_once_then_again_only_when_old_or_a_new_key_signs(
    endpoint: tuple[Jwks, str], monkeypatch: pytest.MonkeyPatch
):
    jwks, url = endpoint
    verifier = JwksTokenVerifier(ISSUER, CLIENT, url)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    for _ in range(3):
        verifier.verify(token())
    assert jwks.fetches == 1

    # A token of a key the verifier does not know fetches the keys again, but not more than once a minute.
    assert refused(verifier, token(kid="rotated"))
    assert jwks.fetches == 1
    clock[0] += identity.KEYS_REFETCH_SECONDS + 1
    assert refused(verifier, token(kid="rotated"))
    assert refused(verifier, token(kid="rotated"))
    assert jwks.fetches == 2

    # After an hour the keys are fetched again.
    clock[0] += identity.KEYS_LIFESPAN_SECONDS + 1
    verifier.verify(token())
    assert jwks.fetches == 3
