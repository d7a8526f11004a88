"""ApiBackend options: the cache declaration, the stage settings with their defaults, and the names it owns.

The other option types of ``ApiBackend`` live with what they configure:
:class:`~.auth.ApiAuth` (auth), :class:`~.api_type.ApiType` (front door),
:class:`~cdk_serverless_patterns.TableAccess` (grants).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from aws_cdk import Duration

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.option_types import BOOL, COMMON, STRING, OptionType
from cdk_serverless_patterns.errors import or_default

#: Options of ApiBackend checked for their type only (values are ranged in :mod:`.validation`).
OPTION_TYPES: dict[str, OptionType] = {
    **COMMON,
    "stage_name": STRING,
    "api_key_required": BOOL,
    "detailed_metrics": BOOL,
}

#: Context key (``cdk.json`` ``"context"``, or ``cdk.App(context=...)``): ``true`` names a function
#: that several routes share for what it serves, ``OrdersRoutes`` for ``GET /orders`` +
#: ``POST /orders`` + ``GET /orders/{id}``. Unset (the default, and what every app before 0.2.0
#: synthesized), it keeps the id of its first route (``GetOrders``): renaming a construct id
#: changes the logical ids under it and replaces the function's log group (its logs are lost),
#: so only new apps turn it on. See docs/upgrading.md.
SHARED_FUNCTION_IDS_CONTEXT = "@cdk-serverless-patterns/api:sharedFunctionNamedForItsRoutes"


@dataclass(frozen=True)
class ApiCache:
    """Stage cache for selected GET routes (encrypted, keyed per caller).

    :param routes: GET route keys of the ``ApiBackend`` to cache, e.g.
        ``["GET /products/{id}"]``. Each is cached per path parameter, per
        ``query_parameters``, and per caller identity (``Authorization`` for
        Cognito, TOKEN authorizers and IAM; a REQUEST authorizer's identity
        sources), so one caller is never served another's cached response.
    :param ttl: 0-3600 s. Default 5 minutes.
    :param size_gb: cache cluster size, one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2,
        118, 237 (GB). Default ``"0.5"``. Billed per hour while the stage exists.
    :param query_parameters: query string parameters that change the response
        (part of the cache key). Default: none.
    """

    routes: Sequence[str]
    ttl: Optional[Duration] = None
    size_gb: str = "0.5"
    query_parameters: Sequence[str] = ()


@dataclass(frozen=True)
class ApiSettings:
    """The stage-level settings of a REST or HTTP API front door, defaults resolved (internal;
    ``ApiBackend`` and the saga start API).

    :param stage_name: Default ``"prod"`` (``defaults.API_STAGE_NAME``).
    :param rate: steady-state requests per second. Default 1000 (a tenth of the account's quota).
    :param burst: Default 2000.
    :param waf_rate_limit: requests per IP per 5 minutes. Default 2000.
    :param latency_slo: p95 the latency alarm holds to. Default 1 s.
    :param server_error_rate: 5XX fraction that alarms. Default 0.01.
    :param client_error_rate: 4XX fraction that alarms. Default 0.10.
    """

    stage_name: str
    rate: float
    burst: int
    waf_rate_limit: int
    latency_slo: Duration
    server_error_rate: float
    client_error_rate: float

    @classmethod
    def of(
        cls,
        *,
        stage_name: Optional[str] = None,
        rate: Optional[float] = None,
        burst: Optional[int] = None,
        waf_rate_limit: Optional[int] = None,
        latency_slo: Optional[Duration] = None,
        server_error_rate: Optional[float] = None,
        client_error_rate: Optional[float] = None,
    ) -> "ApiSettings":
        """The settings of the keyword options (None: the default)."""
        return cls(
            stage_name=or_default(stage_name, defaults.API_STAGE_NAME),
            rate=or_default(rate, defaults.API_THROTTLING_RATE_LIMIT),
            burst=or_default(burst, defaults.API_THROTTLING_BURST_LIMIT),
            waf_rate_limit=or_default(waf_rate_limit, defaults.WAF_RATE_LIMIT_PER_5_MIN),
            latency_slo=or_default(latency_slo, defaults.API_LATENCY_SLO),
            server_error_rate=or_default(server_error_rate, defaults.API_SERVER_ERROR_RATE),
            client_error_rate=or_default(client_error_rate, defaults.API_CLIENT_ERROR_RATE),
        )
