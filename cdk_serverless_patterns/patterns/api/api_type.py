"""``ApiType``: which API Gateway flavour an ``ApiBackend`` builds (contract).

Pure Python (no aws_cdk import), so handler-side code and docs tooling can
import it cheaply.
"""

from __future__ import annotations

import enum


class ApiType(enum.Enum):
    """The API Gateway product behind an ``ApiBackend`` (contract).

    * ``REST`` (the default): API Gateway REST API (v1). WAF, request body
      validation, API keys and usage plans, response caching, X-Ray and
      execution logs; USD 3.50 per million requests (us-east-1, first 333 M).
      Integration timeout 29 s by default.
    * ``HTTP``: API Gateway HTTP API (v2). JWT authorizers (Cognito or any OIDC
      issuer), Lambda authorizers with simple responses, IAM; payload format
      2.0; lower latency; USD 1.00 per million requests (us-east-1, first
      300 M). No WAF, request validation, usage plans or caching. Integration
      timeout at most 30 s (hard limit).

    See ``docs/patterns/api.md`` for the full comparison and prices.
    """

    REST = "REST"
    HTTP = "HTTP"

    @property
    def integration_timeout_s(self) -> int:
        """Longest a route's function may run before the gateway answers 504."""
        from cdk_serverless_patterns import defaults

        if self is ApiType.HTTP:
            return defaults.HTTP_API_INTEGRATION_TIMEOUT_S
        return defaults.API_INTEGRATION_TIMEOUT_S

    @property
    def timeout_reason(self) -> str:
        """Why functions are held to :attr:`integration_timeout_s` (shown in errors)."""
        from cdk_serverless_patterns import defaults

        if self is ApiType.HTTP:
            return defaults.HTTP_API_TIMEOUT_REASON
        return defaults.API_TIMEOUT_REASON
