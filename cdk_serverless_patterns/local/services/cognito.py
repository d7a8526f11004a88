"""Amazon Cognito user pools from the template: pools, app clients and groups, and sign-in with real tokens.

Each ``AWS::Cognito::UserPool`` exists in moto's cognito-idp under the id the
template gives it (``<region>_<logical id>``), so a handler that calls
``admin_get_user`` or ``list_users`` sees the users a test signed in; its
``AWS::Cognito::UserPoolClient`` and ``AWS::Cognito::UserPoolGroup`` resources
exist with the ids and names the template gives them.

Tokens are issued here, not by moto: moto signs every pool's tokens with one
RSA key it ships in its package (kid ``dummy``), so a signature cannot tell one
pool from another, and its access tokens carry only the
``aws.cognito.signin.user.admin`` scope. Each local pool gets its own 2048-bit
RSA key (RS256, as Cognito), generated when the cloud opens, and its key set
(:meth:`LocalUserPool.jwks`, what Cognito publishes at
``/.well-known/jwks.json``) is what the API authorizers verify against.
Claims follow Cognito's ID and access tokens (``iss``, ``sub``, ``aud`` /
``client_id``, ``token_use``, ``cognito:groups``, ``scope``, ``auth_time``,
``exp`` from the app client's token validity, ...). JOSE is `joserfc`, the
library moto itself uses for Cognito.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from ..context import CloudContext
from ..service import Service
from ..template import Resource

#: The scope Cognito puts in access tokens from its own sign-in API (no OAuth scopes requested).
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: Cognito's defaults when the app client sets no validity: ID and access tokens last one hour.
_DEFAULT_VALIDITY_SECONDS = 3600


@dataclass(frozen=True)
class LocalTokens:
    """What :meth:`~..cloud.LocalCloud.sign_in` returns (contract).

    ``authorization`` is the header value the API's authorizer expects: for a
    REST Cognito authorizer the ID token, or the access token when every method
    it guards requires scopes (on a REST API that mixes both, pick
    ``id_token`` or ``access_token`` per method); for an HTTP API JWT
    authorizer ``Bearer `` and the access token when a route requires scopes,
    else the ID token. ``header`` is the authorizer's identity source.
    """

    id_token: str
    access_token: str
    authorization: str
    header: str = "Authorization"

    @property
    def headers(self) -> dict[str, str]:
        """``{header: authorization}``, ready for ``request(headers=...)``."""
        return {self.header: self.authorization}


@dataclass
class LocalAppClient:
    """An app client of a local pool: its id and what its tokens get."""

    client_id: str
    oauth_scopes: tuple[str, ...]
    oauth_flows: tuple[str, ...]
    id_validity: int = _DEFAULT_VALIDITY_SECONDS
    access_validity: int = _DEFAULT_VALIDITY_SECONDS


@dataclass
class LocalUserPool:
    """One user pool of the local cloud, with its signing key."""

    logical_id: str
    pool_id: str
    region: str
    username_attributes: tuple[str, ...]
    clients: dict[str, LocalAppClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.kid = f"local-{self.pool_id}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": self.kid, "alg": "RS256", "use": "sig"})

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def jwks(self) -> dict[str, Any]:
        """The pool's public key set, as Cognito serves it at ``<issuer>/.well-known/jwks.json``."""
        return {"keys": [self.key.as_dict(private=False)]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        from joserfc import jwt

        return jwt.encode({"kid": self.kid, "alg": "RS256"}, dict(claims), self.key)


class Cognito(Service):
    """User pools, app clients and groups in moto; sign-in with tokens signed by each pool's own key."""

    handles = ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup")

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self.pools: dict[str, LocalUserPool] = {}
        ctx.provide_user_pools(self)

    # -- provisioning -----------------------------------------------------------------------
    def provision(self) -> None:
        t = self.ctx.template
        client = self.ctx.client("cognito-idp")
        for pool in t.of_type("AWS::Cognito::UserPool"):
            props = t.resolve(pool.properties)
            created = client.create_user_pool(PoolName=str(props.get("UserPoolName") or pool.logical_id),
                                              **_pool_settings(props))["UserPool"]["Id"]
            _adopt_pool_id(t.account, t.region, created, pool.name)
            self.pools[pool.name] = LocalUserPool(
                pool.logical_id, pool.name, t.region, tuple(props.get("UsernameAttributes") or ())
            )
        for app_client in t.of_type("AWS::Cognito::UserPoolClient"):
            props = t.resolve(app_client.properties)
            pool_id = str(props.get("UserPoolId"))
            if pool_id not in self.pools:
                continue
            created = client.create_user_pool_client(
                UserPoolId=pool_id, ClientName=str(props.get("ClientName") or app_client.logical_id)
            )["UserPoolClient"]["ClientId"]
            _adopt_client_id(t.account, t.region, pool_id, created, app_client.ref)
            units = {k.lower(): str(v).lower() for k, v in (props.get("TokenValidityUnits") or {}).items()}
            self.pools[pool_id].clients[app_client.ref] = LocalAppClient(
                app_client.ref,
                tuple(str(s) for s in props.get("AllowedOAuthScopes") or ()),
                tuple(str(f) for f in props.get("AllowedOAuthFlows") or ()),
                _validity(props.get("IdTokenValidity"), units.get("idtoken", "hours")),
                _validity(props.get("AccessTokenValidity"), units.get("accesstoken", "hours")),
            )
        for group in t.of_type("AWS::Cognito::UserPoolGroup"):
            props = t.resolve(group.properties)
            if str(props.get("UserPoolId")) in self.pools:
                client.create_group(UserPoolId=str(props["UserPoolId"]), GroupName=str(props.get("GroupName") or group.logical_id))

    # -- look-ups (the UserPools interface of the context) ----------------------------------
    def pool(self, pool_id: str) -> Optional[LocalUserPool]:
        return self.pools.get(pool_id)

    def pool_for_issuer(self, issuer: str) -> Optional[LocalUserPool]:
        return next((p for p in self.pools.values() if p.issuer == issuer.rstrip("/")), None)

    # -- sign-in ----------------------------------------------------------------------------
    def sign_in(
        self,
        pool: LocalUserPool,
        username: str,
        password: Optional[str],
        *,
        groups: Sequence[str] = (),
        attributes: Optional[Mapping[str, str]] = None,
        client_id: Optional[str] = None,
        scopes: Optional[Sequence[str]] = None,
    ) -> tuple[str, str]:
        """``(id_token, access_token)`` for ``username``, created (confirmed, password set) if needed.

        :param password: checked when the user exists; the new user's password
            when not (default: a generated one that meets any password policy).
        :param groups: groups the user is added to (created in the pool if absent).
        :param attributes: user attributes set on a new user (``email``,
            ``custom:tenant`` ...); they appear in the ID token.
        :param client_id: the app client the tokens are for. Default: the pool's first client.
        :param scopes: the access token's scopes. Default: the client's
            ``AllowedOAuthScopes`` when it has OAuth flows (a managed-login
            sign-in granting every allowed scope), else
            ``aws.cognito.signin.user.admin`` (Cognito's own sign-in API).
        """
        app = self._client(pool, client_id)
        granted = self._scopes(pool, app, scopes)
        user = self._ensure_user(pool, username, password, attributes or {})
        idp = self.ctx.client("cognito-idp")
        for group in groups:
            try:
                idp.create_group(UserPoolId=pool.pool_id, GroupName=group)
            except idp.exceptions.GroupExistsException:
                pass
            idp.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=user["Username"], GroupName=group)
        member_of = [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=user["Username"])["Groups"]]
        attrs = {a["Name"]: a["Value"] for a in user.get("UserAttributes") or user.get("Attributes") or []}
        # a pool that signs in with e-mail or phone names its users by their sub (as Cognito does)
        name = attrs["sub"] if pool.username_attributes else user["Username"]
        now = int(time.time())
        common: dict[str, Any] = {
            "sub": attrs["sub"], "iss": pool.issuer, "origin_jti": str(uuid.uuid4()), "event_id": str(uuid.uuid4()),
            "auth_time": now, "iat": now,
        }
        if member_of:
            common["cognito:groups"] = member_of
        id_claims = {
            **common, **{k: _attribute_value(v) for k, v in attrs.items() if k != "sub"},
            "cognito:username": name, "aud": app.client_id, "token_use": "id",
            "exp": now + app.id_validity, "jti": str(uuid.uuid4()),
        }
        access_claims = {
            **common, "client_id": app.client_id, "token_use": "access", "scope": " ".join(granted),
            "exp": now + app.access_validity, "jti": str(uuid.uuid4()), "username": name,
        }
        return pool.sign(id_claims), pool.sign(access_claims)

    def tokens(self, pool: LocalUserPool, username: str, password: Optional[str], *, groups: Sequence[str],
               attributes: Optional[Mapping[str, str]], client_id: Optional[str], scopes: Optional[Sequence[str]],
               authorizers: Sequence[Resource]) -> LocalTokens:
        """Sign in and say which token, in which header, the API's authorizer on this pool takes.

        ``authorizers``: the API authorizers to consider (those of a pattern, or
        every one of the stack); the first on this pool decides.
        """
        header, use_access, bearer, audience = self._expectation(pool, authorizers)
        if client_id is None and audience is not None:
            client_id = audience
        id_token, access_token = self.sign_in(pool, username, password, groups=groups, attributes=attributes,
                                              client_id=client_id, scopes=scopes)
        token = access_token if use_access else id_token
        return LocalTokens(id_token, access_token, f"Bearer {token}" if bearer else token, header)

    def _expectation(self, pool: LocalUserPool, authorizers: Sequence[Resource]) -> tuple[str, bool, bool, Optional[str]]:
        """(header, access token?, ``Bearer``?, client id) for the first authorizer on ``pool``; ID token in
        ``Authorization`` when none is."""
        t = self.ctx.template
        for authorizer in authorizers:
            props = t.resolve(authorizer.properties)
            if authorizer.type == "AWS::ApiGateway::Authorizer" and props.get("Type") == "COGNITO_USER_POOLS":
                if not any(str(arn).rsplit("/", 1)[-1] == pool.pool_id for arn in props.get("ProviderARNs") or []):
                    continue
                source = str(props.get("IdentitySource") or "method.request.header.Authorization")
                # REST takes only ID tokens where a method sets no scopes: the access token when every method does
                methods = [m for m in t.of_type("AWS::ApiGateway::Method")
                           if t.resolve(m.properties.get("AuthorizerId")) == authorizer.ref]
                scoped = bool(methods) and all(m.properties.get("AuthorizationScopes") for m in methods)
                return source.rsplit(".", 1)[-1], scoped, False, None
            if authorizer.type == "AWS::ApiGatewayV2::Authorizer" and props.get("AuthorizerType") == "JWT":
                config = props.get("JwtConfiguration") or {}
                if str(config.get("Issuer", "")).rstrip("/") != pool.issuer:
                    continue
                source = str((props.get("IdentitySource") or ["$request.header.Authorization"])[0])
                # a JWT authorizer checks no token use: the access token passes scoped and unscoped routes alike
                scoped = any(
                    t.resolve(r.properties.get("AuthorizerId")) == authorizer.ref and r.properties.get("AuthorizationScopes")
                    for r in t.of_type("AWS::ApiGatewayV2::Route")
                )
                audience = next((str(a) for a in config.get("Audience") or [] if str(a) in pool.clients), None)
                return source.rsplit(".", 1)[-1], scoped, True, audience
        return "Authorization", False, False, None

    def _client(self, pool: LocalUserPool, client_id: Optional[str]) -> LocalAppClient:
        if client_id is None:
            if not pool.clients:
                raise LookupError(
                    f"LocalCloud.sign_in: user pool {pool.logical_id} has no app client; add one "
                    "(user_pool.add_client(...)) — tokens are issued to a client"
                )
            return next(iter(pool.clients.values()))
        if client_id not in pool.clients:
            raise LookupError(f"LocalCloud.sign_in: user pool {pool.logical_id} has no app client {client_id!r}; "
                              f"its clients: {sorted(pool.clients)}")
        return pool.clients[client_id]

    @staticmethod
    def _scopes(pool: LocalUserPool, app: LocalAppClient, scopes: Optional[Sequence[str]]) -> list[str]:
        if scopes is None:
            return list(app.oauth_scopes) if app.oauth_flows and app.oauth_scopes else [ADMIN_SCOPE]
        allowed = set(app.oauth_scopes) | {ADMIN_SCOPE}
        invalid = [s for s in scopes if s not in allowed]
        if invalid:
            raise ValueError(
                f"LocalCloud.sign_in: scopes {invalid} are not allowed for app client {app.client_id} of {pool.logical_id} "
                f"(invalid_scope); its AllowedOAuthScopes: {sorted(app.oauth_scopes)}"
            )
        return list(scopes)

    def _ensure_user(self, pool: LocalUserPool, username: str, password: Optional[str],
                     attributes: Mapping[str, str]) -> dict[str, Any]:
        idp = self.ctx.client("cognito-idp")
        try:
            user: dict[str, Any] = idp.admin_get_user(UserPoolId=pool.pool_id, Username=username)
        except idp.exceptions.UserNotFoundException:
            pass
        else:
            if password is not None and not _password_matches(self.ctx.template.account, self.ctx.template.region,
                                                              pool.pool_id, username, password):
                raise PermissionError(f"LocalCloud.sign_in: NotAuthorizedException: Incorrect username or password ({username})")
            return user
        given = dict(attributes)
        for kind in ("email", "phone_number"):
            if kind in pool.username_attributes and _looks_like(kind, username):
                given.setdefault(kind, username)
                given.setdefault(f"{kind}_verified", "true")
        idp.admin_create_user(
            UserPoolId=pool.pool_id, Username=username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": str(v)} for k, v in given.items()],
        )
        idp.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=username, Password=password or _generated_password(), Permanent=True
        )
        created: dict[str, Any] = idp.admin_get_user(UserPoolId=pool.pool_id, Username=username)
        return created


def _pool_settings(props: Mapping[str, Any]) -> dict[str, Any]:
    """The template's pool settings moto takes (username attributes, password policy, schema)."""
    settings: dict[str, Any] = {}
    for key in ("UsernameAttributes", "AliasAttributes", "AutoVerifiedAttributes"):
        if props.get(key):
            settings[key] = list(props[key])
    if props.get("Policies"):
        policy = dict((props["Policies"] or {}).get("PasswordPolicy") or {})
        policy.pop("PasswordHistorySize", None)
        settings["Policies"] = {"PasswordPolicy": {k: _typed(v) for k, v in policy.items()}}
    if props.get("Schema"):
        settings["Schema"] = list(props["Schema"])
    return settings


def _typed(value: Any) -> Any:
    text = str(value).lower()
    if text in ("true", "false"):
        return text == "true"
    return int(value) if text.isdigit() else value


def _validity(value: Any, unit: str) -> int:
    if value is None:
        return _DEFAULT_VALIDITY_SECONDS
    return int(value) * _UNIT_SECONDS.get(unit, 3600)


def _attribute_value(value: str) -> Any:
    return value == "true" if value in ("true", "false") else value


def _looks_like(kind: str, username: str) -> bool:
    return "@" in username if kind == "email" else username.startswith("+")


def _generated_password() -> str:
    """A password any Cognito password policy accepts (length 30, all four character classes)."""
    return f"Lc1!{secrets.token_urlsafe(20)}aZ9#"


# -- moto: pools and clients under the template's ids ------------------------------------------
# moto 5.2 draws pool and client ids at random and offers no way to choose them, while
# the template (handlers' USER_POOL_ID, authorizers' issuers and audiences) uses the ids
# LocalCloud gave them; the pool and client are re-keyed in moto's backend once, after creation.

def _backend_pool(account: str, region: str, pool_id: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[account][region].user_pools[pool_id]


def _adopt_pool_id(account: str, region: str, created: str, wanted: str) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    pools = cognitoidp_backends[account][region].user_pools
    pool = pools.pop(created)
    pool.id = wanted
    pool.arn = pool.arn.rsplit("/", 1)[0] + f"/{wanted}"
    pools[wanted] = pool


def _adopt_client_id(account: str, region: str, pool_id: str, created: str, wanted: str) -> None:
    clients = _backend_pool(account, region, pool_id).clients
    app = clients.pop(created)
    app.id = wanted
    clients[wanted] = app


def _password_matches(account: str, region: str, pool_id: str, username: str, password: str) -> bool:
    user = _backend_pool(account, region, pool_id)._get_user(username)
    return user is not None and user.password == password


__all__ = ["ADMIN_SCOPE", "Cognito", "LocalAppClient", "LocalTokens", "LocalUserPool"]
