"""Malformed and hostile input on every endpoint: a 4xx with the field and the reason, never a 500."""

from __future__ import annotations

import uuid

import pytest

from local.people import direct_order

APPROVAL = "C" * 32
ORDER = "0" * 32

BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("not json", b"{not json"),
    ("json array", b"[1, 2, 3]"),
    ("json string", b'"approve"'),
    ("null", b"null"),
    ("binary", b"\xff\xfe\x00\x01"),
    ("huge number", b'{"care_units": {"count": 1e400}}'),
    ("deep nesting", b'{"a":' * 200 + b"1" + b"}" * 200),
    ("unknown field", b'{"decision": "approve", "is_admin": true}'),
    ("script", b'{"decision": "<script>alert(1)</script>", "reason": "<img src=x onerror=alert(1)>"}'),
]

WRITE_ENDPOINTS = [
    "/api/session",
    "/api/orders",
    f"/api/approvals/{APPROVAL}/decision",
]


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
@pytest.mark.parametrize(("label", "raw"), BODIES, ids=[label for label, _ in BODIES])
def test_malformed_bodies_get_a_4xx_naming_what_is_wrong(person, path, label, raw):
    olivia = person("olivia.orderer")
    response = olivia.request("POST", path, raw=raw, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert 400 <= response.status < 500, (label, response.status, response.body)
    assert isinstance(response.body, dict) and response.body["message"]
    if response.status == 400:
        assert response.body["errors"] and all({"field", "reason"} <= set(e) for e in response.body["errors"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"care_units": []}, "care_units"),
        ({"care_units": {"count": 1, "names": ["A"]}}, "care_units"),
        (
            {
                "care_units": [
                    {"name": "Same", "hsa_id": "SE2321000099-1"},
                    {"name": "same", "hsa_id": "SE2321000099-2"},
                ]
            },
            "care_units",
        ),
        (
            {"care_units": [{"name": "A", "hsa_id": "SE2321000099-1"}, {"name": "B", "hsa_id": "SE2321000099-1"}]},
            "care_units",
        ),
        ({"care_units": [{"name": "A", "hsa_id": "2321000099-1"}]}, "care_units.0.hsa_id"),
        ({"care_units": [{"name": "A"}]}, "care_units.0.hsa_id"),
        ({"care_units": [{"name": "x" * 201, "hsa_id": "SE2321000099-1"}]}, "care_units.0.name"),
        ({"offering_id": "../../etc/passwd"}, "offering_id"),
        ({"offering_id": "no-such-offering"}, "offering_id"),
        ({"attester_id": "robert'); DROP TABLE orders;--"}, "attester_id"),
        ({"terms_accepted": False}, "terms_accepted"),
        ({"terms_version": 0}, "terms_version"),
        ({"terms_version": 99}, "terms_version"),  # a rule: the terms changed since they were read
        ({"invoice": {"kind": "new", "address": "", "reference": "R"}}, "invoice.new.address"),
        ({"invoice": {"kind": "stolen", "invoice_id": "x"}}, "invoice"),
        ({"declarations": {"personal-data": "yes please"}}, "declarations.personal-data"),
        ({"extra": "field"}, "extra"),
    ],
)
def test_wrong_order_fields_are_named(person, changes, field):
    response = person("olivia.orderer").submit(direct_order(**changes))
    assert response.status in (400, 422), response.body
    fields = [error["field"] for error in response.body["errors"]]
    assert field in fields, fields


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"decision": "maybe"}, "decision", 400),
        ({"decision": "reject"}, "reason", 422),  # R-ORD-3: a rejection says why
        ({"decision": "reject", "reason": "   "}, "reason", 422),
        ({"decision": "approve", "one_time_code": "12ab56"}, "one_time_code", 400),
        (
            {"decision": "approve", "agent_review": {"declaration_accepted": False}},
            "agent_review.declaration_accepted",
            400,
        ),
    ],
)
def test_wrong_decision_fields_are_named(person, body, field, status):
    """400: not of the documented shape; 422: of the shape, but a rule refuses it."""
    response = person("hanna.handler").post(f"/api/approvals/{APPROVAL}/decision", body)
    assert response.status == status, response.body
    assert field in [error["field"] for error in response.body["errors"]]


@pytest.mark.parametrize(
    "path",
    [
        "/api/me",
        "/api/catalogue",
        "/api/orders",
        f"/api/orders/{ORDER}",
        "/api/pending",
        "/api/agent/queue",
        "/api/cases",
        f"/api/approvals/{APPROVAL}",
    ],
)
def test_reads_need_a_valid_sign_in(http, person, path):
    assert http.request("GET", path, headers={}).status_code == 401
    forged = person("olivia.orderer").token[:-4] + "AAAA"
    assert http.request("GET", path, headers={"Authorization": f"Bearer {forged}"}).status_code == 403
    assert http.request("GET", path, headers={"Authorization": "Bearer not.a.token"}).status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/orders", f"/api/approvals/{APPROVAL}/code", f"/api/approvals/{APPROVAL}/decision"]
)
def test_writes_need_a_valid_sign_in(http, path):
    assert http.request("POST", path, headers={"Content-Type": "application/json"}, body=b"{}").status_code == 401


def test_a_token_for_another_app_client_is_refused(person, aws, http):
    cognito = aws.client("cognito-idp")
    other = cognito.create_user_pool_client(
        UserPoolId=aws.user_pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    token = cognito.initiate_auth(
        ClientId=other["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "olivia.orderer", "PASSWORD": "Demo-pass-2026"},
    )["AuthenticationResult"]["IdToken"]
    assert http.request("GET", "/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_an_access_token_is_not_an_id_token(aws, http):
    tokens = aws.client("cognito-idp").initiate_auth(
        ClientId=aws.app_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "olivia.orderer", "PASSWORD": "Demo-pass-2026"},
    )["AuthenticationResult"]
    assert (
        http.request("GET", "/api/me", headers={"Authorization": f"Bearer {tokens['AccessToken']}"}).status_code == 403
    )


def test_a_wrong_password_is_a_401_with_a_message(http):
    response = http.request(
        "POST",
        "/api/session",
        headers={"Content-Type": "application/json"},
        body=b'{"username": "olivia.orderer", "password": "guess"}',
    )
    assert response.status_code == 401
    assert b"Wrong username or password" in response.body


def test_odd_paths_and_parameters_get_a_4xx(person):
    olivia = person("olivia.orderer")
    assert olivia.get("/api/orders?scope=everyone").status == 400
    assert olivia.get("/api/orders/not-an-id").status == 400
    assert olivia.get(f"/api/orders/{ORDER}").status == 404
    assert olivia.get("/api/approvals/%3Cscript%3E").status == 400
    assert olivia.get("/assets/../../app.py").status in (403, 404)


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
def test_deep_nesting_is_refused_naming_the_limit_without_a_traceback(person, path, logs):
    """Python's JSON parser recurses: 1,000 levels in a 2 KB body used to end in a 500."""
    olivia = person("olivia.orderer")
    response = olivia.request(
        "POST", path, raw=b"[" * 1000 + b"]" * 1000, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status == 400, response.body
    assert response.body["errors"] == [{"field": "body", "reason": "nested deeper than 16 levels"}]
    assert "Request refused" in logs.text and "Traceback" not in logs.text


def test_a_body_over_the_size_limit_is_refused_naming_the_limit(person):
    response = person("olivia.orderer").request(
        "POST", "/api/orders", raw=b'{"x": "' + b"a" * 300_000 + b'"}', headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status == 413
    assert response.body["errors"] == [{"field": "body", "reason": "larger than 262144 bytes"}]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"terms_accepted": 1}, "terms_accepted"),
        ({"care_units": [{"name": 1, "hsa_id": "SE2321000099-1"}]}, "care_units.0.name"),
        ({"terms_version": "1"}, "terms_version"),
        ({"terms_version": 1.5}, "terms_version"),
        ({"terms_version": True}, "terms_version"),
        ({"declarations": {"personal-data": 1}}, "declarations.personal-data"),
    ],
)
def test_no_type_is_guessed_at(person, changes, field):
    """A tick is true, a version is a whole number: 1, "1", 1.5 and true are refused, naming the field (1.0 is
    the number 1, as JSON has it)."""
    response = person("olivia.orderer").submit(direct_order(**changes))
    assert response.status == 400, response.body
    assert field in [error["field"] for error in response.body["errors"]]


@pytest.mark.parametrize(
    "text", ["Vård\x00central", "Vård\u202ecentral", "Vård\u200bcentral", "Vård\u2028central", "Vård\ufeff"]
)
def test_control_and_invisible_characters_are_refused_naming_the_field(person, text):
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    named = olivia.submit(direct_order(care_units=[{"name": text, "hsa_id": "SE2321000099-1"}]))
    assert named.status == 422  # of the documented shape (a string), refused by a rule
    [error] = named.body["errors"]
    assert error["field"] == "care_units.0.name" and "invisible formatting" in error["reason"]
    reason = hanna.post(f"/api/approvals/{APPROVAL}/decision", {"decision": "reject", "reason": text})
    assert reason.status == 422 and reason.body["errors"][0]["field"] == "reason"


def test_free_text_is_stored_normalised(person):
    decomposed = "Vårdcentral Lo\u0308v"  # "ö" as o + combining diaeresis
    olivia = person("olivia.orderer")
    order_id = olivia.submit(
        direct_order(
            care_units=[{"name": decomposed, "hsa_id": "SE2321000099-LOV1"}],
            invoice={"kind": "new", "address": "Box 1\r\n901 00 Norrby", "reference": "R1"},
        )
    ).body["order_id"]
    order = olivia.get(f"/api/orders/{order_id}").body["order"]
    assert order["care_units"] == [{"name": "Vårdcentral Löv", "hsa_id": "SE2321000099-LOV1"}]
    assert order["invoice"]["address"] == "Box 1\n901 00 Norrby"


def test_the_catalogue_refuses_a_valid_token_of_someone_not_in_the_directory(aws, http):
    """Every other endpoint refused such a token; the catalogue read it."""
    cognito = aws.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=aws.user_pool_id,
        Username="stranger",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "s@x.example"}, {"Name": "custom:org_id", "Value": "region-norrby"}],
    )
    cognito.admin_set_user_password(
        UserPoolId=aws.user_pool_id, Username="stranger", Password="Demo-pass-2026", Permanent=True
    )
    token = cognito.initiate_auth(
        ClientId=aws.app_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "stranger", "PASSWORD": "Demo-pass-2026"},
    )["AuthenticationResult"]["IdToken"]
    for path in ("/api/catalogue", "/api/me"):
        assert http.request("GET", path, headers={"Authorization": f"Bearer {token}"}).status_code == 401, path
