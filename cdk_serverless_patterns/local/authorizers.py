"""API Gateway authorizers in the local cloud, as both API services run them.

* **Cognito user pools** (REST ``COGNITO_USER_POOLS``): the token from the
  identity source (``Authorization`` by default) is verified against the keys
  of the user pools in ``ProviderARNs``: signature, issuer, expiry, then
  ``token_use`` — an ID token when the method sets no ``AuthorizationScopes``,
  an access token carrying one of them when it does. Any failure is
  ``401 {"message":"Unauthorized"}`` (an expired token:
  ``{"message":"The incoming token has expired"}``). Claims reach
  ``requestContext.authorizer.claims`` as strings.
* **JWT** (HTTP API): the token (bare or ``Bearer``-prefixed) is verified as API
  Gateway documents: RS256 signature with the issuer's keys (``kid``), ``iss``
  equal to the authorizer's ``Issuer``, ``aud`` (or ``client_id`` when there
  is no ``aud``) in its ``Audience``, ``exp``/``nbf``/``iat``; a failure is
  ``401`` with a ``www-authenticate`` header naming it; a token without one of
  the route's ``AuthorizationScopes`` (``scope`` or ``scp``) is ``403
  {"message":"Forbidden"}``. Only issuers that are user pools of the stack can
  be verified (LocalCloud fetches no remote key set); for another issuer use
  ``claims=``.
* **Lambda** (REST ``TOKEN``/``REQUEST``, HTTP API payload 1.0/2.0, simple or
  IAM-policy responses): the function runs with the identity source values;
  a missing source is ``401`` without running it; results are cached per
  authorizer and identity-source values for ``AuthorizerResultTtlInSeconds``
  (REST default 300 s, HTTP API default 0 = off), and a cached REST policy is
  evaluated against each method ARN, as in AWS (a policy written for one
  method denies the next one).
* **IAM** (``AWS_IAM``): the caller is the role given with ``principal=`` or the
  role whose STS credentials (``sts.assume_role`` on the local cloud) signed
  the request (SigV4 ``Authorization`` header); its identity policies must
  allow ``execute-api:Invoke`` on the method ARN. The signature itself is not
  recomputed.

``claims=`` on ``request()`` stays a shortcut: the claims are taken as a
verified token's (scopes still checked).
"""

from __future__ import annotations

import datetime
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, TypeAlias

from .functions import HandlerError
from .iam import Permission, statements_of
from .template import StackTemplate

if TYPE_CHECKING:
    from .context import CloudContext
    from .services.cognito import LocalUserPool

#: ``AuthorizerResultTtlInSeconds`` when the template leaves it out: REST 300 s, HTTP API 0 (caching off).
REST_DEFAULT_TTL = 300
HTTP_DEFAULT_TTL = 0


def clock() -> float:
    """Now, in seconds since the epoch: what token expiry and authorizer caches are measured against."""
    return time.time()


@dataclass(frozen=True)
class Rejection:
    """A refused request: status, body message, the REST gateway response type and extra headers."""

    status: int
    message: Optional[str]
    response_type: str = "UNAUTHORIZED"
    headers: Mapping[str, str] = field(default_factory=dict)
    message_key: str = "message"

    def body(self) -> str:
        return json.dumps({self.message_key: self.message})


#: What an authorizer decides: the ``requestContext.authorizer`` value, or why the request is refused.
AuthResult: TypeAlias = "tuple[Optional[dict[str, Any]], Optional[Rejection]]"

UNAUTHORIZED = Rejection(401, "Unauthorized", "UNAUTHORIZED")
FORBIDDEN = Rejection(403, "Forbidden", "ACCESS_DENIED")
HTTP_SERVER_ERROR = Rejection(500, "Internal Server Error", "AUTHORIZER_FAILURE")


class _TokenError(Exception):
    def __init__(self, description: str, *, expired: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.expired = expired


def _strip_bearer(value: str) -> str:
    return value[7:].strip() if value[:7].lower() == "bearer " else value.strip()


def _verify(token: str, pool_for: Callable[[str], "Optional[LocalUserPool]"]) -> dict[str, Any]:
    """The claims of ``token`` once its signature (the issuing pool's key) and times check out."""
    from joserfc import jws
    from joserfc.errors import JoseError

    try:
        compact = jws.extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeDecodeError):
        raise _TokenError("the token is not a valid JWT") from None
    if not isinstance(claims, dict):
        raise _TokenError("the token is not a valid JWT")
    if compact.protected.get("alg") != "RS256":
        raise _TokenError("the token's signing algorithm is not supported")
    pool = pool_for(str(claims.get("iss", "")))
    if pool is None:
        raise _TokenError("the token does not have a valid issuer")
    if compact.protected.get("kid") != pool.kid:
        raise _TokenError("the token's key id is not in the issuer's key set")
    try:
        jws.deserialize_compact(token, pool.key, algorithms=["RS256"])
    except JoseError:
        raise _TokenError("the token has an invalid signature") from None
    now = clock()
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise _TokenError("the token has expired", expired=True)
    if claims.get("nbf", 0) > now or claims.get("iat", 0) > now + 1:
        raise _TokenError("the token is not valid yet")
    return claims


def _granted_scopes(claims: Mapping[str, Any]) -> list[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    return [str(s) for s in raw] if isinstance(raw, list) else str(raw).split()


def _header_name(source: str, prefix: str) -> Optional[str]:
    return source[len(prefix):].lower() if source.startswith(prefix) else None


# -- Cognito (REST) ------------------------------------------------------------------------------

def rest_cognito(ctx: "CloudContext", authorizer: Mapping[str, Any], scopes: Sequence[str],
                 headers: Mapping[str, str], claims: Optional[Mapping[str, Any]]) -> AuthResult:
    """A REST ``COGNITO_USER_POOLS`` authorizer on a method with ``scopes`` (``headers`` lower-cased)."""
    if claims is None:
        header = _header_name(str(authorizer.get("IdentitySource") or "method.request.header.Authorization"),
                              "method.request.header.") or "authorization"
        value = headers.get(header, "")
        if not value:
            return None, UNAUTHORIZED
        pool_ids = {str(arn).rsplit("/", 1)[-1] for arn in authorizer.get("ProviderARNs") or []}
        pools = [p for p in (ctx.user_pools.pool(i) for i in pool_ids) if p is not None]
        try:
            claims = _verify(_strip_bearer(value), lambda iss: next((p for p in pools if p.issuer == iss), None))
        except _TokenError as error:
            return None, Rejection(401, "The incoming token has expired") if error.expired else UNAUTHORIZED
        expression = authorizer.get("IdentityValidationExpression")
        if expression and not re.fullmatch(str(expression), str(claims.get("aud", ""))):
            return None, UNAUTHORIZED
        if claims.get("token_use") != ("access" if scopes else "id"):
            return None, UNAUTHORIZED
    if scopes and not set(scopes) & set(_granted_scopes(claims)):
        return None, UNAUTHORIZED
    return {"claims": {k: _rest_claim(k, v) for k, v in claims.items()}}, None


def _rest_claim(name: str, value: Any) -> str:
    """A claim as a REST Cognito authorizer passes it: strings; times as Java dates, lists comma-joined."""
    if name in ("exp", "iat", "auth_time") and isinstance(value, (int, float)):
        when = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        return when.strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


# -- JWT (HTTP API) ------------------------------------------------------------------------------

def http_jwt(ctx: "CloudContext", authorizer: Mapping[str, Any], scopes: Sequence[str],
             headers: Mapping[str, str], claims: Optional[Mapping[str, Any]]) -> AuthResult:
    """An HTTP API ``JWT`` authorizer on a route with ``scopes`` (``headers`` lower-cased)."""
    if claims is None:
        sources = [str(s) for s in authorizer.get("IdentitySource") or ["$request.header.Authorization"]]
        header = _header_name(sources[0], "$request.header.") or "authorization"
        value = headers.get(header, "")
        if not value:
            return None, UNAUTHORIZED
        config = authorizer.get("JwtConfiguration") or {}
        issuer = str(config.get("Issuer", "")).rstrip("/")
        pool = ctx.user_pools.pool_for_issuer(issuer)
        if pool is None:
            ctx.warn_once(f"jwt-issuer:{issuer}", (
                f"LocalCloud verifies JWTs of the stack's own user pools only, not of {issuer}: "
                "its requests are refused unless the test passes claims= to request()"
            ))
        try:
            claims = _verify(_strip_bearer(value), lambda iss: pool if pool is not None and iss.rstrip("/") == issuer else None)
            audience = claims.get("aud", claims.get("client_id"))
            audiences = audience if isinstance(audience, list) else [audience]
            if not set(str(a) for a in audiences) & set(str(a) for a in config.get("Audience") or []):
                raise _TokenError("the token does not have a valid audience")
        except _TokenError as error:
            challenge = f'Bearer scope="" error="invalid_token" error_description="{error.description}"'
            return None, Rejection(401, "Unauthorized", headers={"www-authenticate": challenge})
    granted = _granted_scopes(claims)
    if scopes and not set(scopes) & set(granted):
        wanted = " ".join(scopes)
        challenge = f'Bearer scope="{wanted}" error="insufficient_scope" error_description="expected scopes: [{wanted}]"'
        return None, Rejection(403, "Forbidden", "ACCESS_DENIED", {"www-authenticate": challenge})
    return {"jwt": {"claims": {k: _http_claim(v) for k, v in claims.items()}, "scopes": granted or None}}, None


def _http_claim(value: Any) -> str:
    """A claim as an HTTP API JWT authorizer passes it: strings, lists as ``[a b]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return value if isinstance(value, str) else str(value)


# -- Lambda (both) -------------------------------------------------------------------------------

class LambdaAuthorizers:
    """Runs one API's Lambda authorizers, with the result cache API Gateway keeps per identity source."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, Any]] = {}

    def _run(self, authorizer_id: str, key: tuple[str, ...], ttl: int, uri: str, event: Any) -> Any:
        """The function's answer for ``key``, from the cache while fresh; raises :class:`HandlerError`."""
        cached = self._cache.get((authorizer_id, key))
        if ttl > 0 and cached is not None and cached[0] > clock():
            return cached[1]
        arn = _function_arn(uri)
        function, _ = self.ctx.functions.function_for_arn(arn)
        result = self.ctx.functions.run(function, event, invoked_arn=arn)
        if ttl > 0:
            self._cache[(authorizer_id, key)] = (clock() + ttl, result)
        return result

    def rest(self, authorizer_id: str, authorizer: Mapping[str, Any], method_arn: str,
             values: Mapping[str, Optional[str]], request_event: Callable[[], dict[str, Any]]) -> AuthResult:
        """A REST ``TOKEN`` or ``REQUEST`` authorizer; ``values`` maps each identity source to its value."""
        ttl = int(authorizer.get("AuthorizerResultTtlInSeconds", REST_DEFAULT_TTL))
        if any(v in (None, "") for v in values.values()):
            return None, UNAUTHORIZED
        if authorizer.get("Type") == "TOKEN":
            token = str(next(iter(values.values()), ""))
            expression = authorizer.get("IdentityValidationExpression")
            if expression and not re.fullmatch(str(expression), token):
                return None, UNAUTHORIZED
            event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        else:
            event = request_event()
        try:
            result = self._run(authorizer_id, tuple(str(v) for v in values.values()), ttl,
                               str(authorizer.get("AuthorizerUri", "")), event)
        except HandlerError as error:
            if error.error_message == "Unauthorized":
                return None, UNAUTHORIZED
            return None, Rejection(500, None, "AUTHORIZER_FAILURE")
        if not isinstance(result, Mapping) or not isinstance(result.get("policyDocument"), Mapping):
            return None, Rejection(500, None, "AUTHORIZER_CONFIGURATION_ERROR")
        verdict = _policy_verdict(result["policyDocument"], method_arn)
        if verdict == "Deny":
            return None, Rejection(403, "User is not authorized to access this resource with an explicit deny", "ACCESS_DENIED")
        if verdict != "Allow":
            return None, Rejection(403, "User is not authorized to access this resource", "ACCESS_DENIED")
        context: dict[str, Any] = dict(result.get("context") or {})
        context["principalId"] = result.get("principalId")
        return context, None

    def http(self, authorizer_id: str, authorizer: Mapping[str, Any], route_arn: str,
             values: Sequence[Optional[str]], event: Callable[[str, list[str]], dict[str, Any]]) -> AuthResult:
        """An HTTP API Lambda authorizer; ``event(version, values)`` builds its payload."""
        if any(v in (None, "") for v in values):
            return None, UNAUTHORIZED
        present = [str(v) for v in values]
        ttl = int(authorizer.get("AuthorizerResultTtlInSeconds", HTTP_DEFAULT_TTL))
        version = str(authorizer.get("AuthorizerPayloadFormatVersion", "2.0"))
        try:
            result = self._run(authorizer_id, tuple(present), ttl, str(authorizer.get("AuthorizerUri", "")),
                               event(version, present))
        except HandlerError:
            return None, HTTP_SERVER_ERROR
        if not isinstance(result, Mapping):
            return None, HTTP_SERVER_ERROR
        if version == "2.0" and str(authorizer.get("EnableSimpleResponses", False)).lower() == "true":
            if result.get("isAuthorized") is not True:
                return None, FORBIDDEN
            return {"lambda": dict(result.get("context") or {})}, None
        if not isinstance(result.get("policyDocument"), Mapping):
            return None, HTTP_SERVER_ERROR
        if _policy_verdict(result["policyDocument"], route_arn) != "Allow":
            return None, FORBIDDEN
        return {"lambda": dict(result.get("context") or {}), "principalId": result.get("principalId")}, None


def _policy_verdict(document: Mapping[str, Any], arn: str) -> Optional[str]:
    """``Deny`` / ``Allow`` / None: the authorizer's policy for ``execute-api:Invoke`` on ``arn``."""
    statements = [s for s in statements_of(document) if s.applies("execute-api:Invoke", arn)]
    if any(s.effect == "Deny" for s in statements):
        return "Deny"
    return "Allow" if any(s.effect == "Allow" for s in statements) else None


def _function_arn(uri: str) -> str:
    match = re.search(r"/functions/(arn:[^/]+)/invocations", uri)
    return match.group(1) if match else uri


# -- IAM (both) ----------------------------------------------------------------------------------

def iam(ctx: "CloudContext", method_arn: str, headers: Mapping[str, str], principal: Any, *, rest: bool) -> AuthResult:
    """An ``AWS_IAM`` method or route: the caller's identity policies must allow ``execute-api:Invoke``."""
    template = ctx.template
    signature = headers.get("authorization", "")
    if principal is not None:
        role_id = role_logical_id(template, principal)
        session = "local"
    elif signature.startswith("AWS4-HMAC-SHA256"):
        found = _role_of_access_key(template, signature)
        if found is None:
            return None, Rejection(403, "The security token included in the request is invalid.", "UNAUTHORIZED")
        role_id, session = found
    elif rest:
        return None, Rejection(403, "Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN")
    else:
        return None, FORBIDDEN
    policies = ctx.iam.role(role_id)
    caller = policies.role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + f"/{session}"
    # the full evaluation (identity policies, boundary, conditions), as every other call
    if ctx.iam.check_role(policies, session, [Permission("execute-api:Invoke", method_arn)]) is not None:
        if not rest:
            return None, FORBIDDEN
        return None, Rejection(
            403, f"User: {caller} is not authorized to perform: execute-api:Invoke on resource: {method_arn}",
            "ACCESS_DENIED", message_key="Message",
        )
    return {"iam": {"accountId": template.account, "userArn": caller, "callerId": f"{policies.role_name}:{session}"}}, None


def role_logical_id(template: StackTemplate, principal: Any) -> str:
    """The template role a ``principal=`` names: a role, a function (its role), a logical id, name or ARN."""
    if isinstance(principal, str):
        for r in template.of_type("AWS::IAM::Role"):
            if principal in (r.logical_id, r.name, r.arn, r.path):
                return r.logical_id
        raise LookupError(f"LocalCloud: principal {principal!r} is no role of {template.stack_name}")
    import aws_cdk as cdk

    role = getattr(principal, "role", None) or principal
    child = getattr(getattr(role, "node", None), "default_child", None)
    if isinstance(child, cdk.CfnResource) and child.cfn_resource_type == "AWS::IAM::Role":
        return str(cdk.Stack.of(child).resolve(child.logical_id))
    raise TypeError(f"LocalCloud: principal= takes a role, a function, or a role's logical id, name or ARN; "
                    f"not {type(principal).__name__}")


def _role_of_access_key(template: StackTemplate, signature: str) -> Optional[tuple[str, str]]:
    """(role logical id, session name) of the STS credentials that signed the request, if the cloud issued them."""
    from moto.sts.models import sts_backends

    match = re.search(r"Credential=([A-Z0-9]+)/", signature)
    if match is None:
        return None
    assumed = sts_backends[template.account]["aws"].get_assumed_role_from_access_key(match.group(1))
    if assumed is None:
        return None
    for r in template.of_type("AWS::IAM::Role"):
        if r.arn == assumed.role_arn:
            return r.logical_id, str(assumed.session_name)
    return None


__all__ = ["LambdaAuthorizers", "Rejection", "clock", "http_jwt", "iam", "rest_cognito", "role_logical_id"]
