"""The mapping-template layer of LocalCloud (no CDK, no moto): Velocity with API Gateway's $input, $util, $context."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("airspeed")
from cdk_serverless_patterns.local.vtl import InputVariable, UtilVariable, VtlError, render  # noqa: E402

BODY = json.dumps({"order_id": "o-1", "note": "it's \"quoted\"", "items": [{"sku": "a", "n": 2}, {"sku": "b", "n": 1}]})
PARAMS = {"path": {"id": "42"}, "querystring": {"q": "x y", "id": "shadowed"}, "header": {"X-Tenant": "t-1"}}


def _render(template: str, body: str = BODY, **context: object) -> str:
    return render(template, input=InputVariable(body, PARAMS), context=context)


def test_input_json_and_path_follow_jsonpath() -> None:
    assert json.loads(_render("$input.json('$')")) == json.loads(BODY)
    assert _render("$input.json('$.items[0]')") == '{"sku": "a", "n": 2}'
    assert _render("$input.json('$.items[*].sku')") == '["a", "b"]'
    assert _render("$input.path('$.order_id') $input.path('$.items').size() $input.path('$.items[1].n')") == "o-1 2 1"
    assert _render("#foreach($i in $input.path('$.items'))$i.sku#if($foreach.hasNext),#end#end") == "a,b"
    assert _render("[$input.path('$.missing')][$input.path('$.missing.deeper')]") == "[][]"
    assert _render("$input.body", body="raw text") == "raw text"


def test_input_params_look_in_path_then_query_then_header() -> None:
    assert _render("$input.params('id') $input.params('q') $input.params('x-tenant') [$input.params('nope')]") == "42 x y t-1 []"
    assert _render("#foreach($k in $input.params().querystring.keySet())$k=$input.params().querystring.get($k);#end") == "q=x y;id=shadowed;"
    assert _render("$input.params().header.get('X-Tenant') $input.params().path.size()") == "t-1 1"


def test_escape_javascript_and_the_replace_all_idiom_give_valid_json() -> None:
    # The idiom API Gateway's Step Functions examples use: escapeJavaScript, then undo its \' (not valid JSON).
    template = '{"input": "$util.escapeJavaScript($input.json(\'$\')).replaceAll("\\\\\'","\'")"}'
    assert json.loads(json.loads(_render(template))["input"]) == json.loads(BODY)
    assert UtilVariable.escapeJavaScript("a'b\"c\\d/e\nf\u00e9") == "a\\'b\\\"c\\\\d\\/e\\nf\\u00E9"


def test_util_helpers() -> None:
    assert _render("$util.urlEncode('a b&c=d~') $util.urlDecode('a+b%26c')") == "a+b%26c%3Dd%7E a b&c"
    assert _render("$util.base64Encode('hi') $util.base64Decode('aGk=')") == "aGk= hi"
    assert _render("$util.parseJson('{\"a\": [1, 2]}').a.size()") == "2"
    with pytest.raises(VtlError, match="parseJson"):
        _render("$util.parseJson('not json')")


def test_context_variables_and_set() -> None:
    context = {"requestId": "r-1", "identity": {"sourceIp": "127.0.0.1"}, "authorizer": {"claims": {"sub": "u-1"}},
               "httpMethod": "POST", "resourcePath": "/orders", "stage": "prod", "requestTimeEpoch": 1700000000000}
    template = ("#set($who = $context.authorizer.claims.sub)$who $context.identity.sourceIp $context.httpMethod "
                "$context.resourcePath $context.stage $context.requestTimeEpoch $context.requestId [$context.nothing.here]")
    assert _render(template, **context) == "u-1 127.0.0.1 POST /orders prod 1700000000000 r-1 []"


def test_a_template_that_does_not_parse_is_a_vtl_error() -> None:
    with pytest.raises(VtlError, match="does not parse"):
        _render("#if($input.body")
