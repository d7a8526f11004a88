"""Real sign-in and authorizers in LocalCloud: Cognito tokens, JWT, Lambda (cached) and IAM, as API Gateway answers.

One app, synthesized once: a plain aws_cdk stack with every authorizer kind on a
REST API and an HTTP API, and the library's ApiBackend (Cognito by default, REST
and HTTP). Each failure case is its own assertion: wrong signature, expired,
wrong audience, wrong token use, missing scope, missing token.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Iterator

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as v2auth
from aws_cdk import aws_apigatewayv2_integrations as v2int
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from cdk_serverless_patterns import ApiAuth, ApiBackend, ApiType, FunctionSpec
from cdk_serverless_patterns.local import LocalCloud, LocalTokens, authorizers

HANDLERS = Path(__file__).parent.parent / "fixtures" / "signin_handlers"


def _fn(scope: Any, name: str, handler: str) -> lambda_.Function:
    return lambda_.Function(scope, name, runtime=lambda_.Runtime.PYTHON_3_13, handler=handler,
                            code=lambda_.Code.from_asset(str(HANDLERS)))


class AuthStack(cdk.Stack):
    """Plain CDK: one pool (two clients, a resource server), a rival pool, a REST and an HTTP API."""

    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(self, "Pool", sign_in_aliases=cognito.SignInAliases(email=True))
        self.pool.add_resource_server(
            "Orders", identifier="orders", scopes=[cognito.ResourceServerScope(scope_name="read", scope_description="read")]
        )
        self.web = self.pool.add_client("Web", o_auth=cognito.OAuthSettings(
            flows=cognito.OAuthFlows(authorization_code_grant=True),
            scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.custom("orders/read")],
            callback_urls=["https://app.example.com/cb"],
        ))
        self.other = self.pool.add_client("Other")
        self.rival = cognito.UserPool(self, "Rival")
        self.rival.add_client("RivalWeb")
        echo = _fn(self, "Echo", "echo.handler")
        self.echo = echo

        self.rest = apigw.RestApi(self, "Rest")
        pool_auth = apigw.CognitoUserPoolsAuthorizer(self, "PoolAuth", cognito_user_pools=[self.pool])
        integration = apigw.LambdaIntegration(echo)
        self.rest.root.add_resource("me").add_method("GET", integration, authorizer=pool_auth)
        self.rest.root.add_resource("orders").add_method(
            "GET", integration, authorizer=pool_auth, authorization_scopes=["orders/read"]
        )
        self.rest.root.add_resource("admin").add_method(
            "GET", integration, authorizer=pool_auth, authorization_scopes=["orders/admin"]
        )
        self.token_fn = _fn(self, "TokenFn", "token_authorizer.handler")
        token_auth = apigw.TokenAuthorizer(self, "TokenAuth", handler=self.token_fn, results_cache_ttl=cdk.Duration.seconds(60))
        for path in ("token-a", "token-b"):
            self.rest.root.add_resource(path).add_method("GET", integration, authorizer=token_auth)
        iam_method = self.rest.root.add_resource("iam").add_method(
            "GET", integration, authorization_type=apigw.AuthorizationType.IAM
        )
        self.caller = iam.Role(self, "Caller", assumed_by=iam.AccountRootPrincipal())
        self.caller.add_to_policy(iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[iam_method.method_arn]))
        self.stranger = iam.Role(self, "Stranger", assumed_by=iam.AccountRootPrincipal())
        self.stranger.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["*"]))

        self.http = apigwv2.HttpApi(self, "Http")
        http_int = v2int.HttpLambdaIntegration("Echo", echo)
        user_pool_auth = v2auth.HttpUserPoolAuthorizer("PoolJwt", self.pool, user_pool_clients=[self.web])
        self.http.add_routes(path="/me", methods=[apigwv2.HttpMethod.GET], integration=http_int, authorizer=user_pool_auth)
        self.http.add_routes(path="/orders", methods=[apigwv2.HttpMethod.GET], integration=http_int,
                             authorizer=user_pool_auth, authorization_scopes=["orders/read"])
        simple = v2auth.HttpLambdaAuthorizer(
            "Simple", _fn(self, "SimpleFn", "simple_authorizer.handler"), response_types=[v2auth.HttpLambdaResponseType.SIMPLE],
            identity_source=["$request.header.X-Key"], results_cache_ttl=cdk.Duration.seconds(30),
        )
        self.http.add_routes(path="/lambda", methods=[apigwv2.HttpMethod.GET], integration=http_int, authorizer=simple)
        self.http.add_routes(path="/iam", methods=[apigwv2.HttpMethod.GET], integration=http_int,
                             authorizer=v2auth.HttpIamAuthorizer())
        self.caller.add_to_policy(iam.PolicyStatement(
            actions=["execute-api:Invoke"], resources=[self.http.arn_for_execute_api("GET", "/iam", "*")]
        ))
        # a route written in L1, naming its authorizer with Fn::GetAtt (as many public samples do)
        policy_fn = _fn(self, "PolicyFn", "policy_authorizer.handler")
        policy_auth = apigwv2.CfnAuthorizer(
            self, "PolicyAuth", api_id=self.http.api_id, authorizer_type="REQUEST", name="policy",
            authorizer_payload_format_version="1.0", identity_source=["$request.header.X-Key"],
            authorizer_uri=f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{policy_fn.function_arn}/invocations",
        )
        apigwv2.CfnRoute(self, "PolicyRoute", api_id=self.http.api_id, route_key="GET /policy",
                         authorization_type="CUSTOM", authorizer_id=policy_auth.attr_authorizer_id,
                         target=f"integrations/{self._integration_id()}")
        # the library's ApiBackend with its default auth (Cognito), REST and HTTP
        spec = FunctionSpec(code=HANDLERS, handler="echo.handler")
        self.backend = ApiBackend(self, "Backend", routes={"GET /me": spec}, auth=ApiAuth.cognito(mfa_required=False),
                                  removal_policy=cdk.RemovalPolicy.DESTROY)
        self.http_backend = ApiBackend(self, "HttpBackend", routes={"GET /me": spec}, api_type=ApiType.HTTP,
                                       auth=ApiAuth.cognito(mfa_required=False), removal_policy=cdk.RemovalPolicy.DESTROY)

    def _integration_id(self) -> str:
        found = [c for c in self.http.node.find_all() if isinstance(c, apigwv2.CfnIntegration)]
        return found[0].ref


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    AuthStack(app, "Auth")
    return app


@pytest.fixture(scope="module")
def plain(app: cdk.App) -> Iterator[tuple[AuthStack, LocalCloud]]:
    stack = app.node.find_child("Auth")
    assert isinstance(stack, AuthStack)
    with LocalCloud(stack) as cloud:
        yield stack, cloud


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["cognito:groups"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_sign_in_issues_real_tokens_of_the_local_pool(plain: tuple[AuthStack, LocalCloud]) -> None:
    stack, cloud = plain
    tokens = cloud.sign_in(stack.pool, "ada@example.com", "Passw0rd!Passw0rd", groups=["admins"])
    assert isinstance(tokens, LocalTokens)
    claims = json.loads(base64.urlsafe_b64decode(tokens.id_token.split(".")[1] + "=="))
    pool_id = cloud.template.resources[stack.resolve(stack.pool.node.default_child.logical_id)].name
    assert claims["iss"] == f"https://cognito-idp.{cloud.template.region}.amazonaws.com/{pool_id}"
    assert claims["token_use"] == "id" and claims["cognito:groups"] == ["admins"] and claims["email"] == "ada@example.com"
    assert claims["exp"] - claims["iat"] == 3600
    access = json.loads(base64.urlsafe_b64decode(tokens.access_token.split(".")[1] + "=="))
    assert access["token_use"] == "access" and "aud" not in access and access["scope"] == "openid orders/read"
    # the user exists in the pool, for handlers that call cognito-idp
    user = cloud.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username="ada@example.com")
    assert user["UserStatus"] == "CONFIRMED"
    with pytest.raises(PermissionError, match="Incorrect username or password"):
        cloud.sign_in(stack.pool, "ada@example.com", "wrong-Passw0rd!")
    with pytest.raises(ValueError, match="invalid_scope"):
        cloud.sign_in(stack.pool, "ada@example.com", scopes=["orders/admin"])


def test_rest_cognito_authorizer_verifies_the_token(plain: tuple[AuthStack, LocalCloud], monkeypatch: pytest.MonkeyPatch) -> None:
    stack, cloud = plain
    api = cloud.api(stack.rest)
    tokens = cloud.sign_in(stack.pool, "bob@example.com", groups=["a", "b"])
    assert tokens.authorization == tokens.id_token  # some methods on the pool's authorizer take no scopes
    ok = api.request("GET", "/me", headers={"Authorization": tokens.id_token})
    assert ok.status == 200
    claims = ok.json()["claims"]
    assert claims["email"] == "bob@example.com" and claims["token_use"] == "id"
    assert sorted(claims["cognito:groups"].split(",")) == ["a", "b"]
    assert claims["exp"].endswith(" UTC " + claims["exp"][-4:])  # a Java date, as API Gateway passes it
    unauthorized = {"message": "Unauthorized"}
    assert api.request("GET", "/me").json() == unauthorized and api.request("GET", "/me").status == 401
    assert api.request("GET", "/me", headers={"Authorization": tokens.access_token}).status == 401  # wrong token use
    assert api.request("GET", "/me", headers={"Authorization": _tampered(tokens.id_token)}).status == 401  # signature
    rival = cloud.sign_in(stack.rival, "eve")
    assert api.request("GET", "/me", headers={"Authorization": rival.id_token}).status == 401  # another pool's token
    # scopes: the access token with the scope passes, the ID token and a missing scope do not
    assert api.request("GET", "/orders", headers={"Authorization": tokens.access_token}).status == 200
    assert api.request("GET", "/orders", headers={"Authorization": tokens.id_token}).status == 401
    assert api.request("GET", "/admin", headers={"Authorization": tokens.access_token}).status == 401
    monkeypatch.setattr(authorizers, "clock", lambda: 2e10)  # far after the token's exp
    expired = api.request("GET", "/me", headers={"Authorization": tokens.id_token})
    assert (expired.status, expired.json()) == (401, {"message": "The incoming token has expired"})


def test_http_jwt_authorizer_verifies_the_token(plain: tuple[AuthStack, LocalCloud], monkeypatch: pytest.MonkeyPatch) -> None:
    stack, cloud = plain
    api = cloud.api(stack.http)
    tokens = cloud.sign_in(stack.pool, "cy@example.com", groups=["a", "b"])
    ok = api.request("GET", "/me", headers={"Authorization": f"Bearer {tokens.id_token}"})
    assert ok.status == 200
    jwt = ok.json()["jwt"]
    assert jwt["claims"]["cognito:groups"] in ("[a b]", "[b a]") and jwt["claims"]["email"] == "cy@example.com"
    assert api.request("GET", "/me", headers={"Authorization": tokens.id_token}).status == 200  # bare token accepted
    assert api.request("GET", "/me").status == 401
    bad_signature = api.request("GET", "/me", headers={"Authorization": f"Bearer {_tampered(tokens.access_token)}"})
    assert bad_signature.status == 401 and "invalid signature" in bad_signature.headers["www-authenticate"]
    other = cloud.sign_in(stack.pool, "cy@example.com", client=stack.other)  # a client not in the audience
    wrong_audience = api.request("GET", "/me", headers={"Authorization": other.id_token})
    assert wrong_audience.status == 401 and wrong_audience.json() == {"message": "Unauthorized"}
    assert "valid audience" in wrong_audience.headers["www-authenticate"]
    assert api.request("GET", "/orders", headers={"Authorization": f"Bearer {tokens.access_token}"}).status == 200
    missing_scope = api.request("GET", "/orders", headers={"Authorization": f"Bearer {tokens.id_token}"})
    assert (missing_scope.status, missing_scope.json()) == (403, {"message": "Forbidden"})
    assert 'error="insufficient_scope"' in missing_scope.headers["www-authenticate"]
    monkeypatch.setattr(authorizers, "clock", lambda: 2e10)
    expired = api.request("GET", "/me", headers={"Authorization": tokens.id_token})
    assert expired.status == 401 and "expired" in expired.headers["www-authenticate"]


def test_claims_stay_a_shortcut(plain: tuple[AuthStack, LocalCloud]) -> None:
    stack, cloud = plain
    assert cloud.api(stack.rest).request("GET", "/me", claims={"sub": "u"}).json()["claims"] == {"sub": "u"}
    assert cloud.api(stack.http).request("GET", "/orders", claims={"sub": "u"}).status == 403  # scopes still checked


def test_rest_token_authorizer_caches_its_policy_per_token(plain: tuple[AuthStack, LocalCloud], monkeypatch: pytest.MonkeyPatch) -> None:
    stack, cloud = plain
    api = cloud.api(stack.rest)
    before = len(cloud.invocations(stack.token_fn))
    first = api.request("GET", "/token-a", headers={"Authorization": "allow"})
    assert first.status == 200 and first.json() == {"tier": "gold", "principalId": "user-1"}
    assert api.request("GET", "/token-a", headers={"Authorization": "allow"}).status == 200
    # the cached policy names /token-a only: /token-b is denied without running the function, as in AWS
    denied = api.request("GET", "/token-b", headers={"Authorization": "allow"})
    assert (denied.status, denied.json()) == (403, {"message": "User is not authorized to access this resource"})
    assert len(cloud.invocations(stack.token_fn)) == before + 1
    assert api.request("GET", "/token-a", headers={"Authorization": "deny"}).json() == {
        "message": "User is not authorized to access this resource with an explicit deny"}
    assert api.request("GET", "/token-a", headers={"Authorization": "nope"}).status == 401
    assert api.request("GET", "/token-a").status == 401
    monkeypatch.setattr(authorizers, "clock", lambda: 2e10)  # the TTL (60 s) has passed: the function runs again
    assert api.request("GET", "/token-b", headers={"Authorization": "allow"}).status == 200


def test_http_lambda_authorizers_simple_and_policy_and_getatt(plain: tuple[AuthStack, LocalCloud]) -> None:
    stack, cloud = plain
    api = cloud.api(stack.http)
    ok = api.request("GET", "/lambda", headers={"X-Key": "open"})
    assert ok.status == 200 and ok.json() == {"lambda": {"key": "open"}}
    assert api.request("GET", "/lambda", headers={"X-Key": "shut"}).status == 403
    assert api.request("GET", "/lambda").status == 401
    # the L1 route names its authorizer through Fn::GetAtt: honoured, payload 1.0, IAM-policy response
    assert api.request("GET", "/policy", headers={"X-Key": "open"}).status == 200
    assert api.request("GET", "/policy", headers={"X-Key": "shut"}).json() == {"message": "Forbidden"}


def test_iam_routes_check_the_callers_policies(plain: tuple[AuthStack, LocalCloud]) -> None:
    stack, cloud = plain
    rest, http = cloud.api(stack.rest), cloud.api(stack.http)
    unsigned = rest.request("GET", "/iam")
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    assert rest.request("GET", "/iam", principal=stack.caller).status == 200
    refused = rest.request("GET", "/iam", principal=stack.stranger)
    assert refused.status == 403 and "is not authorized to perform: execute-api:Invoke" in refused.json()["Message"]
    assert (http.request("GET", "/iam").status, http.request("GET", "/iam", principal=stack.caller).status) == (403, 200)
    assert http.request("GET", "/iam", principal=stack.stranger).status == 403
    # a SigV4-signed request: the caller is the role whose STS credentials signed it
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    role_arn = next(r.arn for r in cloud.template.of_type("AWS::IAM::Role") if r.logical_id.startswith("Caller"))
    keys = cloud.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="tester")["Credentials"]
    request = AWSRequest("GET", "https://api.example.com/prod/iam")
    SigV4Auth(Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]), "execute-api",
              cloud.template.region).add_auth(request)
    assert rest.request("GET", "/iam", headers=dict(request.headers)).status == 200
    foreign = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFOREIGN/20260101/us-east-1/execute-api/aws4_request"}
    assert rest.request("GET", "/iam", headers=foreign).status == 403


def test_the_library_api_backend_signs_in_with_its_pool(plain: tuple[AuthStack, LocalCloud]) -> None:
    stack, cloud = plain
    rest_tokens = cloud.sign_in(stack.backend, "dee@example.com", groups=["ops"])
    assert rest_tokens.authorization == rest_tokens.id_token
    rest = cloud.api(stack.backend)
    assert rest.request("GET", "/me", headers=rest_tokens.headers).json()["claims"]["cognito:groups"] == "ops"
    assert rest.request("GET", "/me", headers={"Authorization": rest_tokens.access_token}).status == 401
    http_tokens = cloud.sign_in(stack.http_backend, "dee@example.com")
    assert http_tokens.authorization == f"Bearer {http_tokens.id_token}"
    http = cloud.api(stack.http_backend)
    assert http.request("GET", "/me", headers=http_tokens.headers).status == 200
    # the REST backend's token is no good on the HTTP API (another pool: issuer and key differ)
    assert http.request("GET", "/me", headers={"Authorization": rest_tokens.id_token}).status == 401

