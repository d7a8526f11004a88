"""API Gateway HTTP APIs (v2) from the template: route keys, JWT/Lambda/IAM auth, CORS, payload 2.0.

:class:`LocalHttpApi` answers ``request(...)`` like :class:`~.apigateway.LocalApi`
does for REST, with HTTP API behaviour: ``"METHOD /path"`` route keys (``ANY``
and ``$default`` as fall-backs; unknown routes are 404 ``Not Found``); JWT,
Lambda and IAM authorizers run by :mod:`..authorizers` (tokens verified
against the stack's user pools, or ``claims=``); the API's ``CorsConfiguration`` answers preflights and decorates
responses; ``AWS_PROXY`` integrations with payload 2.0 (a handler's plain dict
becomes a 200 JSON body, as API Gateway does).
"""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .. import authorizers
from ..context import CloudContext
from ..integrations import SUBTYPES, IntegrationConfigError, subtype_call
from ..vtl import InputVariable
from ..http import LocalResponse, json_dumps, match_segments, parse_request, route_score
from ..template import Resource
from .api_front import ApiFront, ApiService

INTEGRATION_TIMEOUT_SECONDS = 30.0


class LocalHttpApi(ApiFront):
    """One HTTP API of the template, ready to take requests."""

    def __init__(self, ctx: CloudContext, api: Resource) -> None:
        super().__init__(ctx, api, stage=("AWS::ApiGatewayV2::Stage", "ApiId", "$default"), timeout_s=INTEGRATION_TIMEOUT_SECONDS)
        t = ctx.template
        props = t.resolve(api.properties)
        self.cors: Mapping[str, Any] = props.get("CorsConfiguration") or {}
        self.integrations = {
            r.ref: t.resolve(r.properties)
            for r in t.of_type("AWS::ApiGatewayV2::Integration")
            if t.resolve(r.properties.get("ApiId")) == api.ref
        }
        self.authorizers = {
            r.ref: t.resolve(r.properties)
            for r in t.of_type("AWS::ApiGatewayV2::Authorizer")
            if t.resolve(r.properties.get("ApiId")) == api.ref
        }
        self.routes: dict[str, dict[str, Any]] = {
            str(t.resolve(r.properties["RouteKey"])): t.resolve(r.properties)
            for r in t.of_type("AWS::ApiGatewayV2::Route")
            if t.resolve(r.properties.get("ApiId")) == api.ref
        }

    def _match(self, method: str, path: str) -> Optional[tuple[str, dict[str, Any], dict[str, str]]]:
        segments = [s for s in path.split("/") if s]
        best: Optional[tuple[tuple[int, int, int], str, dict[str, Any], dict[str, str]]] = None
        for key, route in self.routes.items():
            if key == "$default":
                continue
            route_method, _, route_path = key.partition(" ")
            if route_method not in (method, "ANY"):
                continue
            template_segments = [s for s in route_path.split("/") if s]
            params = match_segments(template_segments, segments)
            if params is None:
                continue
            score = (*route_score(template_segments), 1 if route_method == method else 0)
            if best is None or score > best[0]:
                best = (score, key, route, params)
        if best is not None:
            return best[1], best[2], best[3]
        if "$default" in self.routes:
            return "$default", self.routes["$default"], {}
        return None

    def _request(self, method: str, path: str, json_body: Any, body: Optional[str | bytes],
                 headers: Optional[Mapping[str, str]], query: Optional[Mapping[str, Any]],
                 claims: Optional[Mapping[str, Any]], principal: Any = None) -> LocalResponse:
        path, raw_query, query_params, given, body = parse_request(path, json_body, body, headers, query)
        lower = {k.lower(): v for k, v in given.items()}  # HTTP APIs lower-case header names
        if method == "OPTIONS" and self.cors and "access-control-request-method" in lower:
            return self._preflight(lower)
        matched = self._match(method, path)
        if matched is None:
            return _error(404, "Not Found")
        route_key, route, path_params = matched
        authorizer_context, denial = self._authorize(route, route_key, method, path, lower, query_params, path_params, claims, principal)
        if denial is not None:
            return denial
        target = str(route.get("Target", ""))
        integration = self.integrations.get(target.removeprefix("integrations/"))
        if integration is not None and integration.get("IntegrationSubtype"):
            request = _MappingSource(body, lower, {k: v[-1] for k, v in query_params.items()}, path_params,
                                     self._context(method, path, route_key, authorizer_context))
            return self._service(integration, request)
        if integration is None or integration.get("IntegrationType") != "AWS_PROXY":
            self.ctx.warn_once("httpapi:integration", "LocalCloud runs HTTP API Lambda proxy and first-class AWS integrations only")
            return _error(500, "Internal Server Error")
        event = self._event(method, path, route_key, lower, query_params, raw_query, path_params, body, authorizer_context)
        return self._proxy(str(integration["IntegrationUri"]), event, str(integration.get("PayloadFormatVersion", "2.0")))

    def _authorize(self, route: Mapping[str, Any], route_key: str, method: str, path: str, lower: Mapping[str, str],
                   query_params: Mapping[str, list[str]], path_params: Mapping[str, str],
                   claims: Optional[Mapping[str, Any]], principal: Any) -> tuple[Optional[dict[str, Any]], Optional[LocalResponse]]:
        """The route's authorizer (:mod:`..authorizers`): the authorizer context, or the refusal."""
        kind = route.get("AuthorizationType", "NONE")
        if kind == "NONE":
            return None, None
        route_arn = self._execute_api_arn(method, path)
        if kind == "AWS_IAM":
            return self._refused(authorizers.iam(self.ctx, route_arn, lower, principal, rest=False))
        authorizer_id = str(route.get("AuthorizerId"))
        authorizer = self.authorizers.get(authorizer_id)
        if authorizer is None:
            self.ctx.warn_once(f"authorizer:{authorizer_id}", (
                f"LocalCloud: route {route_key} names authorizer {authorizer_id!r}, which is not in the template; "
                "the request is refused"))
            return None, _error(500, "Internal Server Error")
        if kind == "JWT":
            scopes = [str(s) for s in route.get("AuthorizationScopes") or []]
            return self._refused(authorizers.http_jwt(self.ctx, authorizer, scopes, lower, claims))
        sources = [str(s) for s in authorizer.get("IdentitySource") or []]
        values = [_identity_value(s, lower, query_params) for s in sources]

        def event(version: str, present: list[str]) -> dict[str, Any]:
            if version == "1.0":
                return {
                    "version": "1.0", "type": "REQUEST", "methodArn": route_arn, "identitySource": ",".join(present),
                    "authorizationToken": present[0] if present else None, "resource": route_key, "path": path,
                    "httpMethod": method, "headers": dict(lower), "multiValueHeaders": {k: [v] for k, v in lower.items()},
                    "queryStringParameters": {k: v[-1] for k, v in query_params.items()} or None,
                    "multiValueQueryStringParameters": {k: list(v) for k, v in query_params.items()} or None,
                    "pathParameters": dict(path_params) or None, "stageVariables": None,
                    "requestContext": self._context(method, path, route_key, None),
                }
            raw_query = "&".join(f"{k}={v}" for k, vs in query_params.items() for v in vs)
            payload = self._event(method, path, route_key, lower, query_params, raw_query, path_params, None, None)
            payload.pop("isBase64Encoded")
            payload.update(type="REQUEST", routeArn=route_arn, identitySource=present)
            return payload

        return self._refused(self._lambda_authorizers.http(authorizer_id, authorizer, route_arn, values, event))

    def _context(self, method: str, path: str, route_key: str, authorizer: Optional[dict[str, Any]]) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.timezone.utc)
        context: dict[str, Any] = {
            "accountId": self.ctx.template.account,
            "apiId": self.api.ref,
            "domainName": f"{self.api.ref}.execute-api.{self.ctx.template.region}.amazonaws.com",
            "domainPrefix": self.api.ref,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "LocalCloud"},
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route_key,
            "stage": self.stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        return context

    def _event(self, method: str, path: str, route_key: str, lower: Mapping[str, str],
               query_params: Mapping[str, list[str]], raw_query: str, path_params: Mapping[str, str],
               body: Optional[str], authorizer: Optional[dict[str, Any]]) -> dict[str, Any]:
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": {k: v for k, v in lower.items() if k != "cookie"},
            "requestContext": self._context(method, path, route_key, authorizer),
            "isBase64Encoded": False,
        }
        if "cookie" in lower:
            event["cookies"] = [c.strip() for c in lower["cookie"].split(";") if c.strip()]
        if query_params:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in query_params.items()}
        if path_params:
            event["pathParameters"] = dict(path_params)
        if body is not None:
            event["body"] = body
        return event

    def _proxy(self, arn: str, event: dict[str, Any], payload_version: str) -> LocalResponse:
        result, failed = self._run_function(arn, event)
        if failed == "timeout":
            return _error(503, "Service Unavailable")
        if failed is not None:
            return _error(500, "Internal Server Error")
        if payload_version == "2.0" and not (isinstance(result, Mapping) and "statusCode" in result):
            # API Gateway infers the response from a plain value (payload format 2.0).
            return LocalResponse(200, {"content-type": "application/json"}, result if isinstance(result, str) else json_dumps(result))
        if not isinstance(result, Mapping):
            return _error(500, "Internal Server Error")
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        cookies = result.get("cookies") or []
        if cookies:
            headers["set-cookie"] = ", ".join(str(c) for c in cookies)
        body = result.get("body") or ""
        if not isinstance(body, str):
            body = json_dumps(body)
        return LocalResponse(int(result.get("statusCode", 200)), headers, body)

    def _service(self, integration: Mapping[str, Any], request: "_MappingSource") -> LocalResponse:
        """A first-class AWS integration: its parameter mapping, the call as its role, the service's answer."""
        try:
            mapped = {str(k): request.value(v) for k, v in (integration.get("RequestParameters") or {}).items()}
            service, action, params = subtype_call(str(integration["IntegrationSubtype"]), mapped)
            answer = self._services.call(service, action, params, role_arn=str(integration.get("CredentialsArn") or ""),
                                         session="BackplaneAssumeRoleSession")
        except IntegrationConfigError as error:
            self.ctx.warn_once(f"httpapi:{integration.get('IntegrationSubtype')}", f"LocalCloud: {error}")
            return _error(500, "Internal Server Error")
        return LocalResponse(answer.status, {"content-type": "application/json"}, answer.body)

    def _rejected(self, rejection: authorizers.Rejection) -> LocalResponse:
        return LocalResponse(rejection.status, {"content-type": "application/json", **rejection.headers}, rejection.body())

    def _preflight(self, lower: Mapping[str, str]) -> LocalResponse:
        origin = lower.get("origin", "")
        if not self._origin_allowed(origin):
            return LocalResponse(204, {}, "")
        headers = {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": ",".join(self.cors.get("AllowMethods") or []),
            "access-control-allow-headers": ",".join(self.cors.get("AllowHeaders") or []).lower(),
        }
        if self.cors.get("MaxAge") is not None:
            headers["access-control-max-age"] = str(self.cors["MaxAge"])
        return LocalResponse(204, headers, "")

    def _origin_allowed(self, origin: str) -> bool:
        allowed = self.cors.get("AllowOrigins") or []
        return bool(origin) and ("*" in allowed or origin in allowed)

    def _answered(self, response: LocalResponse, lower: Mapping[str, str]) -> LocalResponse:
        """The response with the CORS origin header when the API's ``CorsConfiguration`` allows the caller."""
        origin = lower.get("origin", "")
        if self.cors and self._origin_allowed(origin) and "access-control-allow-origin" not in response.headers:
            response.headers["access-control-allow-origin"] = origin
        return response


_REFERENCE = re.compile(r"\$\{([^}]+)\}|\$((?:request|context|stageVariables)\.[A-Za-z0-9_.\-\[\]*]+|request\.body)")


@dataclass
class _MappingSource:
    """What an HTTP API parameter mapping reads: ``$request.body.x``, ``$request.header.x``,
    ``$request.querystring.x``, ``$request.path.x``, ``$context.x``, static text around them."""

    body: Optional[str]
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    path: Mapping[str, str]
    context: Mapping[str, Any]

    def value(self, source: Any) -> str:
        text = str(source)
        return _REFERENCE.sub(lambda m: self._reference(m.group(1) or m.group(2)), text)

    def _reference(self, reference: str) -> str:
        if reference == "request.body" or reference.startswith("request.body."):
            found = InputVariable(self.body).path("$" + reference.removeprefix("request.body"))
            return found if isinstance(found, str) else json_dumps(found)
        kind, _, name = reference.partition(".")
        if kind == "request":
            where, _, key = name.partition(".")
            values = {"header": {k: v for k, v in self.headers.items()}, "querystring": self.query, "path": self.path}.get(where, {})
            return str(values.get(key.lower() if where == "header" else key, ""))
        if kind == "context":
            value: Any = self.context
            for part in name.split("."):
                value = value.get(part, "") if isinstance(value, Mapping) else ""
            return str(value)
        return ""


def _error(status: int, message: str) -> LocalResponse:
    return LocalResponse(status, {"content-type": "application/json"}, json_dumps({"message": message}))


def _identity_value(source: str, lower: Mapping[str, str], query_params: Mapping[str, list[str]]) -> Optional[str]:
    """The value of one HTTP API identity source (``$request.header.X``, ``$request.querystring.x``)."""
    if source.startswith("$request.header."):
        return lower.get(source.removeprefix("$request.header.").lower())
    if source.startswith("$request.querystring."):
        values = query_params.get(source.removeprefix("$request.querystring."))
        return ",".join(values) if values else None
    return source  # $context / $stageVariables: constant for a local stage


class HttpApis(ApiService[LocalHttpApi]):
    """API Gateway v2 HTTP APIs: nothing to create; each API answers requests as a :class:`LocalHttpApi`."""

    handles = ("AWS::ApiGatewayV2::",)

    def _front(self, api: Resource) -> LocalHttpApi:
        return LocalHttpApi(self.ctx, api)

    def provision(self) -> None:
        """Name, once, each integration LocalCloud cannot run."""
        for integration in self.ctx.template.of_type("AWS::ApiGatewayV2::Integration"):
            props = self.ctx.template.resolve(integration.properties)
            subtype, kind = props.get("IntegrationSubtype"), props.get("IntegrationType")
            if subtype and subtype not in SUBTYPES:
                problem = f"the subtype {subtype} (LocalCloud runs {', '.join(SUBTYPES)}): test it on AWS"
            elif not subtype and kind != "AWS_PROXY":
                problem = f"a {kind} integration (LocalCloud runs Lambda proxy and first-class AWS integrations): test that backend on its own"
            else:
                continue
            self.ctx.warn_once(f"httpapi:{integration.logical_id}",
                               f"LocalCloud does not run AWS::ApiGatewayV2::Integration {integration.logical_id}: {problem}")
