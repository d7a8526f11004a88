"""API Gateway REST APIs from the template: routes, auth, request validation, proxy integration, CORS.

:class:`LocalApi` answers ``request(method, path, ...)`` the way the deployed
stage would: the resource tree (``{param}``, ``{proxy+}``, literal segments
first) and methods (``ANY`` last) of the ``AWS::ApiGateway::RestApi``; the
method's ``AuthorizationType``, run by :mod:`..authorizers` (Cognito tokens
verified against the pool's keys, or ``claims=``; Lambda authorizers with their
cache; IAM for ``principal=`` or a SigV4 caller), API keys; the request validator with the method's
JSON-schema model; then the ``AWS_PROXY`` integration with the v1 proxy event,
or a ``MOCK`` integration (CORS preflight). Gateway errors carry the headers
the API's ``AWS::ApiGateway::GatewayResponse`` resources add.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .. import authorizers
from ..context import CloudContext
from ..integrations import IntegrationConfigError, ServiceResponse, parse_uri, unsupported
from ..vtl import InputVariable, VtlError, render, vtl_value
from ..http import LocalResponse, json_dumps, match_segments, parse_request, route_score
from ..template import Resource
from .api_front import ApiFront, ApiService

INTEGRATION_TIMEOUT_SECONDS = 29.0
#: The integration request parameter Lambda reads a tenant-isolated invoke's tenant id from.
TENANT_ID_PARAMETER = "integration.request.header.X-Amz-Tenant-Id"


@dataclass
class _Route:
    path: str  # resource path, e.g. /orders/{id}
    methods: dict[str, Resource]


class LocalApi(ApiFront):
    """One REST API of the template, ready to take requests."""

    def __init__(self, ctx: CloudContext, api: Resource) -> None:
        super().__init__(ctx, api, stage=("AWS::ApiGateway::Stage", "RestApiId", "prod"), timeout_s=INTEGRATION_TIMEOUT_SECONDS)
        template = ctx.template
        paths: dict[str, str] = {api.attributes["RootResourceId"]: "/"}
        resources = [
            r for r in template.of_type("AWS::ApiGateway::Resource") if template.resolve(r.properties.get("RestApiId")) == api.ref
        ]
        remaining = list(resources)
        while remaining:
            progressed = False
            for r in list(remaining):
                parent = template.resolve(r.properties["ParentId"])
                if parent in paths:
                    base = paths[parent].rstrip("/")
                    paths[r.ref] = f"{base}/{template.resolve(r.properties['PathPart'])}"
                    remaining.remove(r)
                    progressed = True
            if not progressed:
                break
        self.routes: dict[str, _Route] = {path: _Route(path, {}) for path in paths.values()}
        for method in template.of_type("AWS::ApiGateway::Method"):
            if template.resolve(method.properties.get("RestApiId")) != api.ref:
                continue
            path = paths.get(str(template.resolve(method.properties["ResourceId"])))
            if path is not None:
                self.routes[path].methods[str(method.properties["HttpMethod"]).upper()] = method
        self.gateway_responses = {
            str(r.properties.get("ResponseType")): template.resolve(r.properties)
            for r in template.of_type("AWS::ApiGateway::GatewayResponse")
            if template.resolve(r.properties.get("RestApiId")) == api.ref
        }

    # -- matching -------------------------------------------------------------------------
    def _match(self, path: str) -> Optional[tuple[_Route, dict[str, str]]]:
        segments = [s for s in path.split("/") if s]
        best: Optional[tuple[tuple[int, int], _Route, dict[str, str]]] = None
        for route in self.routes.values():
            template_segments = [s for s in route.path.split("/") if s]
            params = match_segments(template_segments, segments)
            if params is None:
                continue
            score = route_score(template_segments)
            if best is None or score > best[0]:
                best = (score, route, params)
        return (best[1], best[2]) if best else None

    # -- the request ----------------------------------------------------------------------
    def _request(self, method: str, path: str, json_body: Any, body: Optional[str | bytes],
                 headers: Optional[Mapping[str, str]], query: Optional[Mapping[str, Any]],
                 claims: Optional[Mapping[str, Any]], principal: Any = None) -> LocalResponse:
        path, _, query_params, headers, body = parse_request(path, json_body, body, headers, query)
        matched = self._match(path)
        if matched is None:
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
        route, path_params = matched
        method_resource = route.methods.get(method) or route.methods.get("ANY")
        if method_resource is None:
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
        props = self.ctx.template.resolve(method_resource.properties)
        lower_headers = {k.lower(): v for k, v in headers.items()}
        if props.get("ApiKeyRequired") and "x-api-key" not in lower_headers:
            return self._gateway_error("API_KEY", 403, "Forbidden")
        authorizer_context, denial = self._authorize(props, method, route, path, lower_headers, headers, query_params, path_params, claims, principal)
        if denial is not None:
            return denial
        invalid = self._validate(props, lower_headers, query_params, body)
        if invalid is not None:
            return invalid
        integration = props.get("Integration") or {}
        kind = integration.get("Type")
        request = MappedRequest(
            self._request_context(method, path, route, authorizer_context), body,
            {"path": dict(path_params), "querystring": {k: v[-1] for k, v in query_params.items()}, "header": dict(headers)},
        )
        if kind in ("AWS", "MOCK"):
            return self._mapped(method_resource.logical_id, integration, request)
        if kind not in ("AWS_PROXY",):
            self.ctx.warn_once(f"integration:{kind}", f"LocalCloud runs AWS_PROXY, AWS and MOCK integrations, not {kind}")
            return self._gateway_error("DEFAULT_5XX", 500, "Internal server error")
        event = self._proxy_event(method, path, route, headers, query_params, path_params, body, authorizer_context)
        # the integration request header X-Amz-Tenant-Id (mapped from the method request) is the invoke's tenant id
        tenant = (integration.get("RequestParameters") or {}).get(TENANT_ID_PARAMETER)
        return self._proxy(str(integration["Uri"]), event, request.parameter(str(tenant)) if tenant else None)

    def _mapped(self, method_id: str, integration: Mapping[str, Any], request: "MappedRequest") -> LocalResponse:
        """An ``AWS`` (or ``MOCK``) integration: request mapping, the service call, integration response, response mapping."""
        templates = integration.get("RequestTemplates") or {}
        content_type = request.content_type()
        template = templates.get(content_type)
        passthrough = str(integration.get("PassthroughBehavior") or "WHEN_NO_MATCH")
        if template is None and (passthrough == "NEVER" or (passthrough == "WHEN_NO_TEMPLATES" and templates)):
            return self._gateway_error("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type")
        try:
            mapped = request.render(template) if template is not None else request.body or ""
            if integration.get("Type") == "MOCK":
                answer = ServiceResponse(_mock_status(mapped), "")
            else:
                answer = self._call_service(method_id, integration, request, mapped)
            return self._integration_response(integration, request, answer)
        except (VtlError, IntegrationConfigError) as error:
            self.ctx.warn_once(f"integration:{method_id}", f"LocalCloud: the integration of {method_id} failed: {error}")
            return self._gateway_error("DEFAULT_5XX", 500, "Internal server error")

    def _call_service(self, method_id: str, integration: Mapping[str, Any], request: "MappedRequest",
                      mapped: str) -> ServiceResponse:
        target = parse_uri(str(integration.get("Uri", "")))
        query = {
            name.removeprefix("integration.request.querystring."): request.parameter(str(source))
            for name, source in (integration.get("RequestParameters") or {}).items()
            if name.startswith("integration.request.querystring.")
        }
        headers = {
            name.removeprefix("integration.request.header."): request.parameter(str(source))
            for name, source in (integration.get("RequestParameters") or {}).items()
            if name.startswith("integration.request.header.")
        }
        action, params = self._services.params_from_request(target, mapped, query, headers)
        role = integration.get("Credentials")
        if not role:
            raise IntegrationConfigError("an AWS integration needs Credentials (a role API Gateway assumes); set credentials_role")
        return self._services.call(target.service, action, params, role_arn=str(role), session="BackplaneAssumeRoleSession")

    def _integration_response(self, integration: Mapping[str, Any], request: "MappedRequest",
                              answer: ServiceResponse) -> LocalResponse:
        """The integration response whose ``SelectionPattern`` matches the status (else the default), mapped."""
        responses = list(integration.get("IntegrationResponses") or [])
        chosen = next((r for r in responses if r.get("SelectionPattern") and
                       re.fullmatch(str(r["SelectionPattern"]), str(answer.status), flags=re.DOTALL)), None)
        chosen = chosen or next((r for r in responses if not r.get("SelectionPattern")), None)
        if chosen is None:
            if integration.get("Type") == "MOCK" and not responses:
                return LocalResponse(200, {}, "")
            # "No match for output mapping and no default output mapping configured"
            return self._gateway_error("DEFAULT_5XX", 500, "Internal server error")
        templates = chosen.get("ResponseTemplates") or {}
        accept = request.header("accept").split(",")[0].split(";")[0].strip()
        content_type = accept if accept in templates else "application/json" if "application/json" in templates else next(iter(templates), "application/json")
        body = answer.body
        context = vtl_value({**request.context, "responseOverride": {"status": "", "header": {}}})
        if templates.get(content_type):
            body = render(str(templates[content_type]), input=InputVariable(answer.body, request.params), context=context)
        headers = {"Content-Type": content_type} if body else {}
        for key, value in (chosen.get("ResponseParameters") or {}).items():
            if key.startswith("method.response.header."):
                headers[key.removeprefix("method.response.header.")] = _response_parameter(str(value), answer)
        override = context["responseOverride"]
        headers.update({str(k): str(v) for k, v in override["header"].items()})
        status = override["status"] or chosen.get("StatusCode", 200)
        return LocalResponse(int(status), headers, body)

    def _authorize(self, props: Mapping[str, Any], method: str, route: _Route, path: str,
                   lower_headers: Mapping[str, str], headers: Mapping[str, str],
                   query_params: Mapping[str, list[str]], path_params: Mapping[str, str],
                   claims: Optional[Mapping[str, Any]], principal: Any) -> tuple[Optional[dict[str, Any]], Optional[LocalResponse]]:
        """The method's authorizer (:mod:`..authorizers`): the authorizer context, or the gateway's refusal."""
        kind = props.get("AuthorizationType", "NONE")
        if kind == "NONE":
            return None, None
        template = self.ctx.template
        method_arn = self._execute_api_arn(method, path)
        if kind == "AWS_IAM":
            _, rejection = authorizers.iam(self.ctx, method_arn, lower_headers, principal, rest=True)
            return self._refused((None, rejection))
        authorizer = next((a for a in template.of_type("AWS::ApiGateway::Authorizer") if a.ref == props.get("AuthorizerId")), None)
        if authorizer is None:
            self.ctx.warn_once(f"authorizer:{props.get('AuthorizerId')}", (
                f"LocalCloud: method {method} {route.path} names authorizer {props.get('AuthorizerId')!r}, "
                "which is not in the template; the request is refused"))
            return None, self._gateway_error("AUTHORIZER_CONFIGURATION_ERROR", 500, None)
        auth_props = template.resolve(authorizer.properties)
        if kind == "COGNITO_USER_POOLS":
            scopes = [str(s) for s in props.get("AuthorizationScopes") or []]
            return self._refused(authorizers.rest_cognito(self.ctx, auth_props, scopes, lower_headers, claims))
        values = {source: _identity_value(source, lower_headers, query_params)
                  for source in [s.strip() for s in str(auth_props.get("IdentitySource", "")).split(",") if s.strip()]}

        def request_event() -> dict[str, Any]:
            return {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": route.path,
                "path": path,
                "httpMethod": method,
                "headers": dict(headers),
                "queryStringParameters": {k: v[-1] for k, v in query_params.items()} or None,
                "pathParameters": dict(path_params) or None,
                "stageVariables": None,
                "requestContext": self._request_context(method, path, route, None),
            }

        return self._refused(self._lambda_authorizers.rest(authorizer.ref, auth_props, method_arn, values, request_event))

    def _rejected(self, rejection: authorizers.Rejection) -> LocalResponse:
        response = self._gateway_error(rejection.response_type, rejection.status, rejection.message)
        response.headers.update(rejection.headers)
        if rejection.message_key != "message":
            response.body = rejection.body()
        return response

    def _validate(self, props: Mapping[str, Any], lower_headers: Mapping[str, str],
                  query_params: Mapping[str, list[str]], body: Optional[str]) -> Optional[LocalResponse]:
        template = self.ctx.template
        validator_id = props.get("RequestValidatorId")
        if not validator_id:
            return None
        validator = next((v for v in template.of_type("AWS::ApiGateway::RequestValidator") if v.ref == validator_id), None)
        if validator is None:
            return None
        v_props = template.resolve(validator.properties)
        if str(v_props.get("ValidateRequestParameters", False)).lower() == "true":
            missing = []
            for name, required in (props.get("RequestParameters") or {}).items():
                if str(required).lower() != "true":
                    continue
                kind, _, key = name.removeprefix("method.request.").partition(".")
                if kind == "querystring" and key not in query_params:
                    missing.append(key)
                elif kind == "header" and key.lower() not in lower_headers:
                    missing.append(key)
            if missing:
                return self._gateway_error(
                    "BAD_REQUEST_PARAMETERS", 400, f"Missing required request parameters: [{', '.join(missing)}]"
                )
        if str(v_props.get("ValidateRequestBody", False)).lower() == "true":
            models = props.get("RequestModels") or {}
            content_type = lower_headers.get("content-type", "application/json").split(";")[0].strip()
            model_ref = models.get(content_type) or models.get("application/json")
            model = next((m for m in template.of_type("AWS::ApiGateway::Model") if m.ref == model_ref), None)
            if model is not None:
                schema = template.resolve(model.properties.get("Schema") or {})
                if isinstance(schema, str):
                    schema = json.loads(schema)
                try:
                    document = json.loads(body) if body else None
                except ValueError:
                    return self._gateway_error("BAD_REQUEST_BODY", 400, "Invalid request body")
                import jsonschema

                if document is None or not jsonschema.Draft4Validator(schema).is_valid(document):
                    return self._gateway_error("BAD_REQUEST_BODY", 400, "Invalid request body")
        return None

    def _request_context(self, method: str, path: str, route: _Route, authorizer: Optional[dict[str, Any]]) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.timezone.utc)
        context: dict[str, Any] = {
            "resourceId": route.path,
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{self.stage}{path}",
            "accountId": self.ctx.template.account,
            "protocol": "HTTP/1.1",
            "stage": self.stage,
            "domainPrefix": self.api.ref,
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "LocalCloud", "accountId": None, "caller": None, "user": None},
            "domainName": f"{self.api.ref}.execute-api.{self.ctx.template.region}.amazonaws.com",
            "apiId": self.api.ref,
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        return context

    def _proxy_event(self, method: str, path: str, route: _Route, headers: Mapping[str, str],
                     query_params: Mapping[str, list[str]], path_params: Mapping[str, str], body: Optional[str],
                     authorizer: Optional[dict[str, Any]]) -> dict[str, Any]:
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers) or None,
            "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": {k: v[-1] for k, v in query_params.items()} or None,
            "multiValueQueryStringParameters": {k: list(v) for k, v in query_params.items()} or None,
            "pathParameters": dict(path_params) or None,
            "stageVariables": None,
            "requestContext": self._request_context(method, path, route, authorizer),
            "body": body,
            "isBase64Encoded": False,
        }

    def _proxy(self, uri: str, event: dict[str, Any], tenant_id: Optional[str] = None) -> LocalResponse:
        result, failed = self._run_function(_function_arn_from_uri(uri), event, tenant_id=tenant_id or None)
        if failed == "refused":  # Lambda refused the invoke (e.g. no tenant id): an integration failure
            return self._gateway_error("DEFAULT_5XX", 500, "Internal server error")
        if failed == "timeout":
            return self._gateway_error("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out")
        if failed is not None:
            return self._gateway_error("DEFAULT_5XX", 502, "Internal server error")
        if not isinstance(result, Mapping) or not isinstance(result.get("statusCode", 200), int):
            return self._gateway_error("DEFAULT_5XX", 502, "Internal server error")
        response_headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        multi = {str(k): [str(x) for x in v] for k, v in (result.get("multiValueHeaders") or {}).items()}
        for key, values in multi.items():
            response_headers.setdefault(key, values[-1])
        response_body = result.get("body") or ""
        if not isinstance(response_body, str):
            return self._gateway_error("DEFAULT_5XX", 502, "Internal server error")
        if result.get("isBase64Encoded"):
            response_body = base64.b64decode(response_body).decode(errors="replace")
        response_headers.setdefault("Content-Type", "application/json")
        return LocalResponse(int(result.get("statusCode", 200)), response_headers, response_body, multi)

    def _gateway_error(self, response_type: str, status: int, message: Optional[str]) -> LocalResponse:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": response_type}
        configured = self.gateway_responses.get(response_type) or self.gateway_responses.get(
            "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        )
        if configured:
            for key, value in (configured.get("ResponseParameters") or {}).items():
                if key.startswith("gatewayresponse.header."):
                    headers[key.rsplit(".", 1)[-1]] = str(value).strip("'")
            if configured.get("StatusCode") and configured.get("ResponseType") == response_type:
                status = int(configured["StatusCode"])
        body = json_dumps({"message": message}) if message is not None else json_dumps({"message": None})
        return LocalResponse(status, headers, body)


@dataclass
class MappedRequest:
    """The method request as a mapping template sees it: ``$context``, the body, and the ``path``/``querystring``/``header`` parameters."""

    context: dict[str, Any]
    body: Optional[str]
    params: dict[str, dict[str, str]]

    def header(self, name: str) -> str:
        return next((v for k, v in self.params["header"].items() if k.lower() == name.lower()), "")

    def content_type(self) -> str:
        """The request's media type; API Gateway takes ``application/json`` when there is none."""
        return self.header("content-type").split(";")[0].strip().lower() or "application/json"

    def render(self, template: str) -> str:
        return render(template, input=InputVariable(self.body, self.params), context=self.context)

    def parameter(self, source: str) -> str:
        """An integration request parameter's value: ``'literal'``, ``method.request.{path|querystring|header}.x``, ``context.x``."""
        if source.startswith("'") and source.endswith("'"):
            return source[1:-1]
        if source.startswith("method.request."):
            kind, _, name = source.removeprefix("method.request.").partition(".")
            if kind == "header":
                return self.header(name)
            if kind == "body":  # method.request.body[.JSONPath]
                found = InputVariable(self.body or "", self.params).path("$." + name if name else "$")
                return found if isinstance(found, str) else json.dumps(found)
            return self.params.get(kind, {}).get(name, "")
        if source.startswith("context."):
            value: Any = self.context
            for part in source.removeprefix("context.").split("."):
                value = value.get(part, "") if isinstance(value, Mapping) else ""
            return str(value)
        return source


def _mock_status(mapped: str) -> int:
    """A MOCK integration answers the ``statusCode`` its request template sets (200 without one)."""
    try:
        return int(json.loads(mapped).get("statusCode", 200)) if mapped.strip() else 200
    except (ValueError, AttributeError, TypeError):
        return 200


def _response_parameter(source: str, answer: ServiceResponse) -> str:
    """A method response header's value: ``'literal'``, ``integration.response.body[.path]`` or ``integration.response.header.x``."""
    if source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("integration.response.body"):
        path = "$" + source.removeprefix("integration.response.body")
        value = InputVariable(answer.body).path(path)
        return value if isinstance(value, str) else json.dumps(value)
    if source.startswith("integration.response.header."):
        wanted = source.removeprefix("integration.response.header.").lower()
        return next((v for k, v in answer.headers.items() if k.lower() == wanted), "")
    return ""


def integration_problems(ctx: CloudContext, method: Resource) -> Optional[str]:
    """What LocalCloud cannot run in a REST method's integration (None when it runs)."""
    integration = ctx.template.resolve(method.properties.get("Integration") or {})
    kind = integration.get("Type")
    if kind in ("AWS_PROXY", "MOCK") or not integration:
        return None
    if kind != "AWS":
        return f"a {kind} integration (LocalCloud runs AWS_PROXY, AWS and MOCK): test that backend on its own"
    try:
        target = parse_uri(str(integration.get("Uri", "")))
    except IntegrationConfigError as error:
        return str(error)
    if target.path is not None and target.service not in ("sqs", "lambda"):
        return f"the path form of a {target.service} integration (LocalCloud runs the action/... form): use action/<Action>"
    why = unsupported(target.service, target.action)
    return None if why is None else f"{why}: call that service from a Lambda proxy integration, or test it on AWS"
def _identity_value(source: str, lower_headers: Mapping[str, str], query_params: Mapping[str, list[str]]) -> Optional[str]:
    """The value of one REST identity source (``method.request.header.X``, ``method.request.querystring.x``)."""
    if source.startswith("method.request.header."):
        return lower_headers.get(source.rsplit(".", 1)[-1].lower())
    if source.startswith("method.request.querystring."):
        values = query_params.get(source.rsplit(".", 1)[-1])
        return values[-1] if values else None
    return source  # stage variables and context values: constant for a local stage


def _function_arn_from_uri(uri: str) -> str:
    match = re.search(r"/functions/(arn:[^/]+)/invocations", uri)
    return match.group(1) if match else uri


class RestApis(ApiService[LocalApi]):
    """API Gateway REST APIs: nothing to create; each API answers requests as a :class:`LocalApi`."""

    handles = ("AWS::ApiGateway::",)

    def _front(self, api: Resource) -> LocalApi:
        return LocalApi(self.ctx, api)

    def provision(self) -> None:
        """Name, once, each method whose integration LocalCloud cannot run."""
        for method in self.ctx.template.of_type("AWS::ApiGateway::Method"):
            problem = integration_problems(self.ctx, method)
            if problem is not None:
                self.ctx.warn_once(
                    f"integration:{method.logical_id}",
                    f"LocalCloud does not run AWS::ApiGateway::Method {method.logical_id}: {problem}",
                )


__all__ = ["LocalApi", "LocalResponse", "RestApis"]
