"""The front half of an API Gateway request, shared by REST APIs and HTTP APIs.

:class:`ApiFront` is what :class:`~.apigateway.LocalApi` (REST) and
:class:`~.apigatewayv2.LocalHttpApi` (HTTP API) have in common before and around
their integrations: the stage the API is deployed to, the ``request(...)`` entry
point a test calls, the ``execute-api`` ARN an authorizer or IAM policy sees,
turning an authorizer's refusal into the gateway's response, and running a Lambda
proxy integration within the integration timeout. Each subclass keeps what differs:
routing, the authorizer kinds, the event payload and the gateway's error shapes.
:class:`ApiService` is the service both register: one front per API resource.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Generic, Mapping, Optional, TypeVar

from .. import authorizers
from ..context import CloudContext
from ..functions import HandlerError, ServiceError
from ..http import LocalResponse
from ..integrations import ServiceIntegrations
from ..service import Service
from ..template import Resource

#: The authorizer context, or the gateway's refusal.
Authorized = tuple[Optional[dict[str, Any]], Optional[LocalResponse]]


class ApiFront(ABC):
    """One API of the template, ready to take requests; subclasses route and integrate them."""

    def __init__(self, ctx: CloudContext, api: Resource, *, stage: tuple[str, str, str], timeout_s: float) -> None:
        """:param stage: the stage's resource type, the property naming its API, and the stage name
            when the template has none for the API, e.g. ``("AWS::ApiGateway::Stage", "RestApiId", "prod")``.
        :param timeout_s: seconds after which a proxy integration's answer counts as timed out.
        """
        self.ctx = ctx
        self.api = api
        self._services = ServiceIntegrations(ctx)
        self._lambda_authorizers = authorizers.LambdaAuthorizers(ctx)
        template = ctx.template
        self.integration_timeout_seconds = timeout_s
        stage_type, api_id_property, self.stage = stage
        for resource in template.of_type(stage_type):
            if template.resolve(resource.properties.get(api_id_property)) == api.ref:
                self.stage = str(template.resolve(resource.properties.get("StageName", self.stage)))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,  # noqa: A002 - the name `requests` users know
        body: Optional[str | bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, Any]] = None,
        claims: Optional[Mapping[str, Any]] = None,
        principal: Any = None,
    ) -> LocalResponse:
        """Send one request to the stage, as a client on the internet would, and deliver what follows.

        :param claims: shortcut for a Cognito-authorized method (REST) or a
            JWT-authorized route (HTTP API): these claims stand for a verified
            token (scopes still checked). Default None: the ``Authorization``
            header is verified (see ``LocalCloud.sign_in``).
        :param principal: for an ``AWS_IAM`` method or route, the caller: a role,
            a function (its role), or a role's logical id, name or ARN. Default
            None: the caller is whoever's STS credentials signed the request.
        """
        with self.ctx.top_level():
            response = self._request(method.upper(), path, json, body, headers, query, claims, principal)
        return self._answered(response, {k.lower(): v for k, v in (headers or {}).items()})

    @abstractmethod
    def _request(self, method: str, path: str, json_body: Any, body: Optional[str | bytes],
                 headers: Optional[Mapping[str, str]], query: Optional[Mapping[str, Any]],
                 claims: Optional[Mapping[str, Any]], principal: Any) -> LocalResponse:
        """Route, authorize and integrate one request (``method`` upper-cased)."""

    def _answered(self, response: LocalResponse, lower_headers: Mapping[str, str]) -> LocalResponse:
        """The response as the client gets it. Default: unchanged."""
        return response

    @abstractmethod
    def _rejected(self, rejection: authorizers.Rejection) -> LocalResponse:
        """The gateway's response to an authorizer's refusal."""

    def _execute_api_arn(self, method: str, path: str) -> str:
        """The ``execute-api`` ARN of one request, as authorizers and IAM policies see it."""
        template = self.ctx.template
        return f"arn:aws:execute-api:{template.region}:{template.account}:{self.api.ref}/{self.stage}/{method}{path}"

    def _refused(self, result: tuple[Optional[dict[str, Any]], Optional[authorizers.Rejection]]) -> Authorized:
        """An authorizer's answer: its context, or (on a rejection) the gateway's response."""
        context, rejection = result
        if rejection is None:
            return context, None
        return None, self._rejected(rejection)

    def _run_function(self, arn: str, event: dict[str, Any], *, tenant_id: Optional[str] = None) -> tuple[Any, Optional[str]]:
        """Run a proxy integration's function (as tenant ``tenant_id``, default none): its result, or why
        there is none (``"refused"``: Lambda refused the invoke, e.g. no tenant id; ``"error"``: the
        handler raised; ``"timeout"``: it outran the integration timeout)."""
        function, _ = self.ctx.functions.function_for_arn(arn)
        started = time.monotonic()
        try:
            result = self.ctx.functions.run(function, event, invoked_arn=arn, tenant_id=tenant_id)
        except ServiceError:
            return None, "refused"
        except HandlerError:
            return None, "error"
        if time.monotonic() - started > self.integration_timeout_seconds:
            return None, "timeout"
        return result, None


F = TypeVar("F", bound=ApiFront)


class ApiService(Service, ABC, Generic[F]):
    """An API Gateway service: nothing to create; each API answers requests as the front :meth:`_front` makes."""

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        self._apis: dict[str, F] = {}

    @abstractmethod
    def _front(self, api: Resource) -> F:
        """A new front for ``api``."""

    def entry_point(self, api: Resource) -> F:
        """The API's front, made once."""
        if api.logical_id not in self._apis:
            self._apis[api.logical_id] = self._front(api)
        return self._apis[api.logical_id]
