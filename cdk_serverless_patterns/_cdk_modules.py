"""aws-cdk-lib sub-modules loaded on first use, so importing a pattern loads only what it builds.

``from aws_cdk import aws_wafv2`` executes the whole generated module (thousands of
classes) even when the importing module never builds a web ACL. Modules of this
package import their sub-modules from here instead, under the same names::

    from cdk_serverless_patterns._cdk_modules import aws_logs as logs

Type checkers see the real module (the imports below). At run time ``logs`` is a
stand-in that imports ``aws_cdk.aws_logs`` on its first attribute access and then
hands out the module's attributes. The stand-in is not put in ``sys.modules``
(``importlib.util.LazyLoader`` would): jsii imports a type's module to resolve an
object it returns and expects the classes registered right after, and a user's own
``from aws_cdk import aws_logs`` must get the real module.

A sub-module not listed below is a mypy error in the module that imports it: add it here.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_cdk import aws_apigateway as aws_apigateway
    from aws_cdk import aws_apigatewayv2 as aws_apigatewayv2
    from aws_cdk import aws_apigatewayv2_authorizers as aws_apigatewayv2_authorizers
    from aws_cdk import aws_apigatewayv2_integrations as aws_apigatewayv2_integrations
    from aws_cdk import aws_backup as aws_backup
    from aws_cdk import aws_certificatemanager as aws_certificatemanager
    from aws_cdk import aws_cloudfront as aws_cloudfront
    from aws_cdk import aws_cloudfront_origins as aws_cloudfront_origins
    from aws_cdk import aws_cloudwatch as aws_cloudwatch
    from aws_cdk import aws_cloudwatch_actions as aws_cloudwatch_actions
    from aws_cdk import aws_cognito as aws_cognito
    from aws_cdk import aws_dynamodb as aws_dynamodb
    from aws_cdk import aws_ec2 as aws_ec2
    from aws_cdk import aws_events as aws_events
    from aws_cdk import aws_events_targets as aws_events_targets
    from aws_cdk import aws_iam as aws_iam
    from aws_cdk import aws_kinesis as aws_kinesis
    from aws_cdk import aws_kms as aws_kms
    from aws_cdk import aws_lambda as aws_lambda
    from aws_cdk import aws_lambda_destinations as aws_lambda_destinations
    from aws_cdk import aws_lambda_event_sources as aws_lambda_event_sources
    from aws_cdk import aws_logs as aws_logs
    from aws_cdk import aws_pipes as aws_pipes
    from aws_cdk import aws_s3 as aws_s3
    from aws_cdk import aws_scheduler as aws_scheduler
    from aws_cdk import aws_scheduler_targets as aws_scheduler_targets
    from aws_cdk import aws_secretsmanager as aws_secretsmanager
    from aws_cdk import aws_sns as aws_sns
    from aws_cdk import aws_sns_subscriptions as aws_sns_subscriptions
    from aws_cdk import aws_sqs as aws_sqs
    from aws_cdk import aws_ssm as aws_ssm
    from aws_cdk import aws_stepfunctions as aws_stepfunctions
    from aws_cdk import aws_stepfunctions_tasks as aws_stepfunctions_tasks
    from aws_cdk import aws_wafv2 as aws_wafv2

_LOADED: dict[str, ModuleType] = {}


class LazyCdkModule:
    """``aws_cdk.<name>``, imported on the first attribute access."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module = _LOADED.get(self._name)
        if module is None:
            module = _LOADED[self._name] = importlib.import_module(f"aws_cdk.{self._name}")
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._name in _LOADED else "not loaded yet"
        return f"<aws_cdk.{self._name}, {state}>"


def cdk_module(name: str) -> Any:
    """The sub-module ``aws_cdk.<name>`` (e.g. ``"aws_logs"``), loaded when first used."""
    return LazyCdkModule(name)


if not TYPE_CHECKING:

    def __getattr__(name: str) -> LazyCdkModule:
        # ``from cdk_serverless_patterns._cdk_modules import aws_logs``: one stand-in per name.
        if not name.startswith("aws_"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = globals()[name] = LazyCdkModule(name)
        return module
