"""``ApiAuth``: how an ``ApiBackend`` authorizes requests, at the gateway.

Five choices, each a factory (contract):

* :meth:`ApiAuth.cognito` — the default. A Cognito user pool authorizer; the
  pool is created (strong password policy, MFA required by TOTP, Plus feature
  plan with threat protection, no self sign-up) unless an existing
  ``IUserPool`` is given.
* :meth:`ApiAuth.lambda_authorizer` — a Lambda authorizer made from a
  ``FunctionSpec``: a TOKEN authorizer on the ``Authorization`` header, or a
  REQUEST authorizer when ``identity_sources`` are given; results are cached.
* :meth:`ApiAuth.jwt` — HTTP APIs only: a JWT authorizer for any OpenID
  Connect issuer (Auth0, Okta, Entra ID, a Cognito pool elsewhere...).
* :meth:`ApiAuth.iam` — SigV4-signed requests, authorized by IAM policies.
* :meth:`ApiAuth.none` — a public API, only when asked for explicitly and with
  a reason (the reason becomes the acknowledgement of the "no authorization"
  findings, so a reviewer sees it).

The class is a plain frozen dataclass: no scope needed, so it can be declared
next to the routes. :func:`validate_auth` checks one into a ``Problems``
collector; :func:`build_authorizer` (REST) and :func:`build_http_authorizer`
(HTTP) make the CDK resources. On an HTTP API, ``cognito()`` becomes a JWT
authorizer on the pool's issuer and a Lambda authorizer answers with the
*simple* response format (``{"isAuthorized": true, "context": {...}}``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Optional, Sequence, cast

from aws_cdk import Annotations, Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_apigateway as apigw,
    aws_apigatewayv2 as apigwv2,
    aws_apigatewayv2_authorizers as v2_authorizers,
    aws_cognito as cognito,
)
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.function import FunctionSpec, validate_spec
from cdk_serverless_patterns.building_blocks.option_types import STRING_LIST
from cdk_serverless_patterns.building_blocks.removal import follow_removal_policy
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.errors import Problems, or_default

from .api_type import ApiType


_IDENTITY_SOURCE_PREFIXES = (
    "method.request.header.",
    "method.request.querystring.",
    "context.",
    "stageVariables.",
)
#: HTTP API identity sources (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
_HTTP_IDENTITY_SOURCE_PREFIXES = ("$request.header.", "$request.querystring.", "$context.", "$stageVariables.")


def implements(value: Any, *attributes: str) -> bool:
    """Duck-typed check for a jsii interface (``ITable``, ``IUserPool``...).

    jsii interfaces are not runtime-checkable protocols, and imported resources
    (``UserPool.from_user_pool_id``) are dynamic proxies, so look for the
    attributes the library uses instead.
    """
    return value is not None and not isinstance(value, (str, bool, int, dict)) and all(
        hasattr(value, a) for a in attributes
    )


class AuthKind(enum.Enum):
    COGNITO = "cognito"
    LAMBDA = "lambda"
    JWT = "jwt"
    IAM = "iam"
    NONE = "none"


@dataclass(frozen=True)
class ApiAuth:
    """How the gateway authorizes requests (contract). Build with the factories."""

    kind: AuthKind
    user_pool: Optional[Any] = None
    scopes: tuple[str, ...] = ()
    mfa_required: bool = True
    feature_plan: Optional[cognito.FeaturePlan] = None
    authorizer: Optional[Any] = None
    identity_sources: tuple[str, ...] = ()
    results_cache_ttl: Optional[Duration] = None
    reason: str = ""
    issuer: str = ""
    audience: tuple[str, ...] = ()

    @classmethod
    def cognito(
        cls,
        user_pool: Optional[cognito.IUserPool] = None,
        *,
        scopes: Sequence[str] = (),
        mfa_required: bool = True,
        feature_plan: Optional[cognito.FeaturePlan] = None,
    ) -> "ApiAuth":
        """A Cognito user pool authorizer (the default).

        :param user_pool: an existing pool (``IUserPool``). Default: a new pool
            with a 12-character password policy (upper, lower, digits, symbols),
            MFA required (TOTP only: no SMS cost or SNS role), Plus feature plan
            with full-function threat protection, e-mail sign-in, no self sign-up,
            and deletion protection while RETAINed.
        :param scopes: OAuth scopes the access token must carry (e.g.
            ``["orders/read"]``). Default: none, so ID tokens are accepted.
        :param mfa_required: new pool only. Default True (cdk-nag COG2);
            ``False`` makes MFA optional.
        :param feature_plan: new pool only. Default ``FeaturePlan.PLUS``
            (threat protection, cdk-nag COG8), billed per monthly active user;
            ``ESSENTIALS`` is cheaper but leaves COG8 for you to acknowledge.
        """
        return cls(
            AuthKind.COGNITO,
            user_pool=user_pool,
            # one scope may be given as a string; anything else but a list is left for validation to report
            scopes=(scopes,) if isinstance(scopes, str) else tuple(scopes) if isinstance(scopes, (list, tuple))
            else cast(tuple[str, ...], scopes),
            mfa_required=mfa_required,
            feature_plan=feature_plan,
        )

    @classmethod
    def lambda_authorizer(
        cls,
        spec: FunctionSpec,
        *,
        identity_sources: Sequence[str] = (),
        results_cache_ttl: Optional[Duration] = None,
    ) -> "ApiAuth":
        """A Lambda authorizer made from ``spec`` (invoked through its ``live`` alias).

        :param spec: the authorizer function. On a REST API it returns an IAM
            policy document and its timeout is held to 29 s like a route's; on
            an HTTP API it returns the simple response ``{"isAuthorized": bool,
            "context": {...}}`` and must answer within 10 s.
        :param identity_sources: REST: empty (default) makes a TOKEN authorizer
            on the ``Authorization`` header; otherwise a REQUEST authorizer keyed
            on these sources (``method.request.header.X``,
            ``method.request.querystring.x``, ``context.x``, ``stageVariables.x``).
            HTTP: default ``$request.header.Authorization``; otherwise
            ``$request.header.X``, ``$request.querystring.x``, ``$context.x`` or
            ``$stageVariables.x``.
        :param results_cache_ttl: how long API Gateway caches a decision per
            identity, 0-3600 s. Default 5 minutes (fewer authorizer calls);
            ``Duration.seconds(0)`` turns caching off.
        """
        return cls(
            AuthKind.LAMBDA,
            authorizer=spec,
            identity_sources=tuple(identity_sources) if not isinstance(identity_sources, str) else (identity_sources,),
            results_cache_ttl=results_cache_ttl,
        )

    @classmethod
    def jwt(cls, issuer: str, audience: Sequence[str], *, scopes: Sequence[str] = ()) -> "ApiAuth":
        """A JWT authorizer for any OpenID Connect issuer (HTTP APIs only).

        API Gateway fetches the issuer's ``/.well-known/openid-configuration``
        and JWKS, checks the token's signature, ``iss``, ``aud`` (or
        ``client_id``), ``exp`` and ``nbf``, and the route's scopes.

        :param issuer: the ``iss`` URL, ``https://...`` (e.g.
            ``https://example.eu.auth0.com/``).
        :param audience: accepted ``aud`` values, 1-50 (HTTP API quota).
        :param scopes: OAuth scopes every route requires, at most 10. Default: none.
        """
        return cls(
            AuthKind.JWT,
            issuer=issuer,
            audience=tuple(audience) if not isinstance(audience, str) else (audience,),
            scopes=tuple(scopes) if not isinstance(scopes, str) else (scopes,),
        )

    @classmethod
    def iam(cls) -> "ApiAuth":
        """IAM authorization: callers sign requests with SigV4 and need ``execute-api:Invoke``."""
        return cls(AuthKind.IAM)

    @classmethod
    def none(cls, reason: str) -> "ApiAuth":
        """No authorization at the gateway: a public API.

        :param reason: why this API is public (at least 20 characters); it is
            recorded as the acknowledgement of cdk-nag's APIG4/COG4 findings.
        """
        return cls(AuthKind.NONE, reason=reason)

    @property
    def identity_cache_keys(self) -> tuple[str, ...]:
        """Request parameters that identify the caller, for response cache keys.

        A cached response must never be served to another caller: Cognito, TOKEN
        authorizers and IAM carry the identity in ``Authorization`` (SigV4
        signatures differ per request, so IAM-authorized responses effectively
        never hit the cache: safe, not useful); REQUEST authorizers in their
        header/query identity sources. A public API has no caller identity.
        """
        if self.kind is AuthKind.NONE:
            return ()
        if self.kind is AuthKind.LAMBDA and self.identity_sources:
            return tuple(
                s for s in self.identity_sources
                if s.startswith(("method.request.header.", "method.request.querystring."))
            )
        return ("method.request.header.Authorization",)


def validate_auth(
    problems: Problems, auth: Any, *, field_name: str = "auth", api_type: ApiType = ApiType.REST
) -> None:
    """Add every problem with ``auth`` to ``problems`` (rules differ per ``api_type``)."""
    if isinstance(auth, FunctionSpec):
        problems.add(
            field_name,
            "FunctionSpec",
            "an ApiAuth",
            f"wrap the authorizer: {field_name}=ApiAuth.lambda_authorizer(spec)",
        )
        return
    if not isinstance(auth, ApiAuth):
        problems.add(
            field_name,
            auth,
            "ApiAuth.cognito(), ApiAuth.lambda_authorizer(spec), ApiAuth.jwt(issuer, audience) (HTTP APIs), "
            "ApiAuth.iam() or ApiAuth.none(reason)",
            "build the value with one of those factories",
        )
        return
    if auth.kind in (AuthKind.COGNITO, AuthKind.JWT) and api_type is ApiType.HTTP:
        problems.check(
            len(auth.scopes) <= defaults.HTTP_API_MAX_SCOPES_PER_ROUTE,
            f"{field_name}.scopes",
            list(auth.scopes),
            f"at most {defaults.HTTP_API_MAX_SCOPES_PER_ROUTE} scopes per route (HTTP API quota)",
            "require fewer scopes; check finer permissions in the handler",
        )
    if auth.kind is AuthKind.COGNITO:
        _validate_cognito(problems, auth, field_name)
    elif auth.kind is AuthKind.LAMBDA:
        _validate_lambda(problems, auth, field_name, api_type)
    elif auth.kind is AuthKind.JWT:
        _validate_jwt(problems, auth, field_name, api_type)
    elif auth.kind is AuthKind.NONE:
        problems.check_reason(
            f"{field_name}.reason",
            auth.reason,
            why="why the API is public",
            fix="pass ApiAuth.none(reason='Public product catalogue: read-only, no personal data')",
        )


def _validate_cognito(problems: Problems, auth: ApiAuth, p: str) -> None:
    if isinstance(auth.user_pool, FunctionSpec):
        problems.add(
            f"{p}.user_pool",
            "FunctionSpec",
            "an IUserPool (or None to create one)",
            "for a Lambda authorizer use ApiAuth.lambda_authorizer(spec)",
        )
    elif auth.user_pool is not None and not implements(auth.user_pool, "user_pool_id", "user_pool_arn"):
        problems.add(
            f"{p}.user_pool",
            auth.user_pool,
            "an IUserPool (cognito.UserPool or UserPool.from_user_pool_id)",
            "pass an existing pool, or None to create one",
        )
    if not STRING_LIST.check(auth.scopes):
        problems.add(f"{p}.scopes", auth.scopes, STRING_LIST.allowed, "pass scopes=['resource-server/scope']")
    else:
        _validate_scopes(problems, auth, p)
    problems.check(
        isinstance(auth.mfa_required, bool),
        f"{p}.mfa_required",
        auth.mfa_required,
        "True or False",
        "pass mfa_required=True (the default) or False",
    )
    if auth.user_pool is not None:
        problems.check(
            auth.mfa_required is True and auth.feature_plan is None,
            f"{p}.mfa_required/feature_plan",
            {"mfa_required": auth.mfa_required, "feature_plan": auth.feature_plan},
            "pool settings only when the construct creates the pool",
            "configure MFA and the feature plan on your existing pool, or pass user_pool=None",
        )


def _validate_jwt(problems: Problems, auth: ApiAuth, p: str, api_type: ApiType) -> None:
    problems.check(
        api_type is ApiType.HTTP,
        p,
        "ApiAuth.jwt(...)",
        "a JWT authorizer on HTTP APIs only (REST APIs authorize JWTs through a Cognito user pool "
        "or a Lambda authorizer)",
        "pass api_type=ApiType.HTTP, or use ApiAuth.cognito(pool) / ApiAuth.lambda_authorizer(spec)",
    )
    problems.check(
        isinstance(auth.issuer, str) and auth.issuer.startswith("https://") and len(auth.issuer) > len("https://"),
        f"{p}.issuer",
        auth.issuer,
        "the issuer URL, https://... (the token's 'iss' claim)",
        "pass e.g. issuer='https://example.eu.auth0.com/'",
    )
    problems.check(
        1 <= len(auth.audience) <= defaults.HTTP_API_MAX_JWT_AUDIENCES
        and all(isinstance(a, str) and a.strip() for a in auth.audience),
        f"{p}.audience",
        list(auth.audience),
        f"1-{defaults.HTTP_API_MAX_JWT_AUDIENCES} non-empty audience strings (HTTP API quota)",
        "pass the client id or API identifier the tokens are issued for, e.g. audience=['orders-api']",
    )
    _validate_scopes(problems, auth, p)


def _validate_scopes(problems: Problems, auth: ApiAuth, p: str) -> None:
    for scope in auth.scopes:
        problems.check(
            isinstance(scope, str) and bool(scope.strip()) and " " not in scope,
            f"{p}.scopes",
            scope,
            "non-empty OAuth scope names without spaces, e.g. 'orders/read'",
            "pass scopes=['resource-server/scope']",
        )


def _validate_lambda(problems: Problems, auth: ApiAuth, p: str, api_type: ApiType = ApiType.REST) -> None:
    http = api_type is ApiType.HTTP
    validate_spec(
        problems,
        auth.authorizer,
        field_prefix=f"{p}.authorizer",
        max_timeout_s=defaults.HTTP_API_AUTHORIZER_TIMEOUT_S if http else defaults.API_INTEGRATION_TIMEOUT_S,
        max_timeout_reason=defaults.HTTP_API_AUTHORIZER_TIMEOUT_REASON if http else defaults.API_TIMEOUT_REASON,
    )
    prefixes = _HTTP_IDENTITY_SOURCE_PREFIXES if http else _IDENTITY_SOURCE_PREFIXES
    for source in auth.identity_sources:
        problems.check(
            isinstance(source, str) and source.startswith(prefixes) and "." in source.rstrip("."),
            f"{p}.identity_sources",
            source,
            (
                "$request.header.<name>, $request.querystring.<name>, $context.<name> or "
                "$stageVariables.<name> (HTTP API identity sources)"
                if http
                else "method.request.header.<name>, method.request.querystring.<name>, context.<name> "
                "or stageVariables.<name>"
            ),
            "use e.g. '$request.header.X-Api-Token'"
            if http
            else "use apigateway.IdentitySource.header('X-Api-Token') or similar",
        )
    ttl = auth.results_cache_ttl
    if ttl is not None:
        if not isinstance(ttl, Duration):
            problems.add(f"{p}.results_cache_ttl", ttl, "an aws_cdk.Duration", "pass Duration.minutes(5)")
        else:
            problems.check(
                0 <= ttl.to_seconds() <= defaults.AUTHORIZER_CACHE_TTL_MAX_S,
                f"{p}.results_cache_ttl",
                f"{ttl.to_seconds()} s",
                f"0-{defaults.AUTHORIZER_CACHE_TTL_MAX_S} s (API Gateway authorizer result cache)",
                "pass e.g. Duration.minutes(5), or Duration.seconds(0) to disable caching",
            )


@dataclass
class BuiltAuth:
    """What :func:`build_authorizer` made: method options and the created resources."""

    authorization_type: apigw.AuthorizationType
    authorizer: Optional[apigw.IAuthorizer] = None
    scopes: tuple[str, ...] = ()
    user_pool: Optional[cognito.IUserPool] = None
    user_pool_client: Optional[cognito.UserPoolClient] = None
    authorizer_function: Optional[Any] = None


def _user_pool_and_client(
    scope: Construct, auth: ApiAuth, removal_policy: RemovalPolicy
) -> tuple[cognito.IUserPool, Optional[cognito.UserPoolClient]]:
    """The given pool (no client), or a new pool with an app client (SRP, no secret)."""
    if auth.user_pool is not None:
        return auth.user_pool, None
    pool = _create_user_pool(scope, auth, removal_policy)
    client = pool.add_client(
        "AppClient",
        auth_flows=cognito.AuthFlow(user_srp=True),
        prevent_user_existence_errors=True,
        generate_secret=False,
    )
    return pool, client


def build_authorizer(
    scope: Construct,
    auth: ApiAuth,
    *,
    removal_policy: RemovalPolicy,
    make_function: Any,
) -> BuiltAuth:
    """Create the user pool / authorizer for ``auth`` under ``scope`` (REST APIs).

    ``make_function(construct_id, spec)`` builds a ServerlessFunction (the
    pattern passes its own, so the authorizer gets the same alarms and options).
    """
    if auth.kind is AuthKind.IAM:
        return BuiltAuth(apigw.AuthorizationType.IAM)
    if auth.kind is AuthKind.NONE:
        return BuiltAuth(apigw.AuthorizationType.NONE)
    if auth.kind is AuthKind.COGNITO:
        pool, client = _user_pool_and_client(scope, auth, removal_policy)
        authorizer: apigw.Authorizer = apigw.CognitoUserPoolsAuthorizer(
            scope,
            "Authorizer",
            cognito_user_pools=[pool],
            results_cache_ttl=defaults.AUTHORIZER_CACHE_TTL,
        )
        return BuiltAuth(
            apigw.AuthorizationType.COGNITO,
            authorizer=authorizer,
            scopes=auth.scopes,
            user_pool=pool,
            user_pool_client=client,
        )
    function = make_function("AuthorizerFunction", auth.authorizer)
    ttl = or_default(auth.results_cache_ttl, defaults.AUTHORIZER_CACHE_TTL)
    if auth.identity_sources:
        authorizer = apigw.RequestAuthorizer(
            scope,
            "Authorizer",
            handler=function.alias,
            identity_sources=list(auth.identity_sources),
            results_cache_ttl=ttl,
        )
    else:
        authorizer = apigw.TokenAuthorizer(scope, "Authorizer", handler=function.alias, results_cache_ttl=ttl)
    return BuiltAuth(apigw.AuthorizationType.CUSTOM, authorizer=authorizer, authorizer_function=function)


@dataclass
class BuiltHttpAuth:
    """What :func:`build_http_authorizer` made: the route authorizer and created resources."""

    authorizer: Optional[apigwv2.IHttpRouteAuthorizer]
    scopes: tuple[str, ...] = ()
    user_pool: Optional[cognito.IUserPool] = None
    user_pool_client: Optional[cognito.UserPoolClient] = None
    authorizer_function: Optional[Any] = None


def build_http_authorizer(
    scope: Construct,
    auth: ApiAuth,
    *,
    removal_policy: RemovalPolicy,
    make_function: Any,
) -> BuiltHttpAuth:
    """Create the user pool / route authorizer for ``auth`` under ``scope`` (HTTP APIs).

    Cognito becomes a JWT authorizer on the pool (``HttpUserPoolAuthorizer``:
    issuer ``https://cognito-idp.<region>.amazonaws.com/<pool id>``, audience
    the app client); a Lambda authorizer uses payload 2.0 and simple
    responses, cached per identity source; ``none`` is an explicit
    ``HttpNoneAuthorizer`` (so a reviewer sees it in the template).
    """
    if auth.kind is AuthKind.IAM:
        return BuiltHttpAuth(v2_authorizers.HttpIamAuthorizer())
    if auth.kind is AuthKind.NONE:
        return BuiltHttpAuth(apigwv2.HttpNoneAuthorizer())
    if auth.kind is AuthKind.COGNITO:
        pool, client = _user_pool_and_client(scope, auth, removal_policy)
        clients = [client] if client is not None else [
            cognito.UserPoolClient(
                scope,
                "AppClient",
                user_pool=pool,
                auth_flows=cognito.AuthFlow(user_srp=True),
                prevent_user_existence_errors=True,
                generate_secret=False,
            )
        ]
        authorizer: apigwv2.IHttpRouteAuthorizer = v2_authorizers.HttpUserPoolAuthorizer(
            "Authorizer", pool, user_pool_clients=clients, authorizer_name="cognito"
        )
        return BuiltHttpAuth(authorizer, scopes=auth.scopes, user_pool=pool, user_pool_client=clients[0])
    if auth.kind is AuthKind.JWT:
        authorizer = v2_authorizers.HttpJwtAuthorizer(
            "Authorizer", auth.issuer, jwt_audience=list(auth.audience), authorizer_name="jwt"
        )
        return BuiltHttpAuth(authorizer, scopes=auth.scopes)
    function = make_function("AuthorizerFunction", auth.authorizer)
    ttl = or_default(auth.results_cache_ttl, defaults.AUTHORIZER_CACHE_TTL)
    authorizer = v2_authorizers.HttpLambdaAuthorizer(
        "Authorizer",
        function.alias,
        authorizer_name="lambda",
        response_types=[v2_authorizers.HttpLambdaResponseType.SIMPLE],
        identity_source=list(auth.identity_sources) or ["$request.header.Authorization"],
        results_cache_ttl=ttl,
    )
    return BuiltHttpAuth(authorizer, authorizer_function=function)


def _create_user_pool(scope: Construct, auth: ApiAuth, removal_policy: RemovalPolicy) -> cognito.UserPool:
    plan = or_default(auth.feature_plan, cognito.FeaturePlan.PLUS)
    pool = cognito.UserPool(
        scope,
        "UserPool",
        self_sign_up_enabled=False,
        sign_in_aliases=cognito.SignInAliases(email=True),
        sign_in_case_sensitive=False,
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        password_policy=cognito.PasswordPolicy(
            min_length=defaults.PASSWORD_MIN_LENGTH,
            require_lowercase=True,
            require_uppercase=True,
            require_digits=True,
            require_symbols=True,
            temp_password_validity=Duration.days(3),
        ),
        mfa=cognito.Mfa.REQUIRED if auth.mfa_required else cognito.Mfa.OPTIONAL,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        feature_plan=plan,
        standard_threat_protection_mode=(
            cognito.StandardThreatProtectionMode.FULL_FUNCTION if plan == cognito.FeaturePlan.PLUS else None
        ),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        deletion_protection=removal_policy == RemovalPolicy.RETAIN,
        removal_policy=removal_policy,
    )
    # Deletion protection follows the final DeletionPolicy, also when a DESTROY is applied later.
    follow_removal_policy(pool)
    return pool


# --- what the chosen auth means for the findings and warnings ---------------------


def acknowledge_auth(target: Construct, auth: ApiAuth, api_type: ApiType) -> None:
    """Acknowledge the cdk-nag findings an explicit auth choice answers, on ``target``
    (the REST API, or the parent of the HTTP API's routes)."""
    if api_type is ApiType.HTTP:
        # cdk-nag's COG4 checks REST methods only; APIG4 checks HTTP routes too.
        if auth.kind is AuthKind.NONE:
            acknowledge(target, AWS_SOLUTIONS + "APIG4", f"Public API by explicit ApiAuth.none(): {auth.reason}")
        return
    if auth.kind is AuthKind.NONE:
        acknowledge(target, AWS_SOLUTIONS + "APIG4", f"Public API by explicit ApiAuth.none(): {auth.reason}")
        acknowledge(target, AWS_SOLUTIONS + "COG4", f"Public API by explicit ApiAuth.none(): {auth.reason}")
    elif auth.kind in (AuthKind.LAMBDA, AuthKind.IAM):
        how = "a Lambda authorizer" if auth.kind is AuthKind.LAMBDA else "IAM (SigV4) authorization"
        acknowledge(
            target,
            AWS_SOLUTIONS + "COG4",
            f"Every method is authorized at the gateway by {how}, chosen explicitly with "
            f"ApiAuth.{auth.kind.value if auth.kind is AuthKind.IAM else 'lambda_authorizer'}(); "
            "a Cognito user pool authorizer is one option among those (APIG4 still checks that "
            "every method is authorized).",
        )


def warn_on_weakened_auth(scope: Construct, auth: ApiAuth) -> None:
    """Warn (``Annotations``) when a new user pool is made without MFA or threat protection."""
    if auth.kind is not AuthKind.COGNITO or auth.user_pool is not None:
        return
    if not auth.mfa_required:
        Annotations.of(scope).add_warning_v2(
            "cdk-serverless-patterns:api-mfa-optional",
            "mfa_required=False: MFA is optional in the new user pool (cdk-nag AwsSolutions-COG2).",
        )
    if auth.feature_plan is not None and auth.feature_plan != cognito.FeaturePlan.PLUS:
        Annotations.of(scope).add_warning_v2(
            "cdk-serverless-patterns:api-no-threat-protection",
            f"feature_plan={auth.feature_plan}: the user pool has no threat protection "
            "(cdk-nag AwsSolutions-COG8); acknowledge the finding with your reason.",
        )
