"""runtime.http: JSON responses, errors, CORS echo, caller identity."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from cdk_serverless_patterns.runtime.http import (
    HttpError,
    api_handler,
    caller_id,
    cors_headers,
    header,
    json_body,
    json_response,
)


def test_json_response_serialises_dynamodb_numbers():
    response = json_response(200, {"n": Decimal("3"), "price": Decimal("1.5"), "tags": {"b", "a"}})
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {"n": 3, "price": 1.5, "tags": ["a", "b"]}


def test_empty_body_for_204():
    assert json_response(204)["body"] == ""


@pytest.mark.parametrize(
    "allowed, origin, expected",
    [
        ("", "https://a.example.com", {}),
        ("*", "https://a.example.com", {"Access-Control-Allow-Origin": "*"}),
        ("https://a.example.com,https://b.example.com", "https://b.example.com",
         {"Access-Control-Allow-Origin": "https://b.example.com", "Vary": "Origin"}),
        ("https://a.example.com", "https://evil.example.com", {}),
    ],
)
def test_cors_headers_echo_only_allowed_origins(monkeypatch, allowed, origin, expected):
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", allowed)
    assert cors_headers({"headers": {"Origin": origin}}) == expected


def test_json_body_parses_floats_as_decimal():
    assert json_body({"body": '{"x": 1.1}'}) == {"x": Decimal("1.1")}


def test_header_is_case_insensitive():
    assert header({"headers": {"X-Correlation-Id": "c-1"}}, "x-correlation-id") == "c-1"
    assert header({"headers": None}, "x") is None


@pytest.mark.parametrize(
    "context, expected",
    [
        ({"authorizer": {"claims": {"sub": "u-1"}}}, "u-1"),
        ({"authorizer": {"principalId": "svc-7"}}, "svc-7"),
        ({"identity": {"userArn": "arn:aws:iam::1:user/x"}}, "arn:aws:iam::1:user/x"),
        ({}, None),
    ],
)
def test_caller_id(context, expected):
    assert caller_id({"requestContext": context}) == expected


def test_api_handler_maps_http_errors_and_adds_cors(monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example.com")

    @api_handler
    def handler(event, context):
        raise HttpError(422, "bad_thing", "that was bad", details=["x"])

    response = handler({"headers": {"origin": "https://a.example.com"}, "requestContext": {"requestId": "r"}}, None)
    assert response["statusCode"] == 422
    assert response["headers"]["Access-Control-Allow-Origin"] == "https://a.example.com"
    assert json.loads(response["body"]) == {
        "error": {"code": "bad_thing", "message": "that was bad", "details": ["x"], "request_id": "r"}
    }


def test_api_handler_passes_successful_responses_through():
    @api_handler
    def handler(event, context):
        return json_response(201, {"ok": True})

    assert handler({}, None)["statusCode"] == 201


def test_http_module_does_not_import_aws_cdk():
    code = "import sys, cdk_serverless_patterns.runtime.http; print('aws_cdk' in sys.modules, 'jsii' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


@pytest.mark.parametrize(
    "authorizer, expected",
    [
        ({"jwt": {"claims": {"sub": "user-1"}, "scopes": None}}, "user-1"),
        ({"lambda": {"principalId": "client-7"}}, "client-7"),
        ({"iam": {"userArn": "arn:aws:iam::123456789012:role/caller"}}, "arn:aws:iam::123456789012:role/caller"),
        ({}, None),
    ],
)
def test_caller_id_of_http_api_payload_2(authorizer, expected):
    event = {"version": "2.0", "routeKey": "GET /x", "requestContext": {"http": {"method": "GET"}, "authorizer": authorizer}}
    assert caller_id(event) == expected
