"""Checks: cdk-nag's AwsSolutions and Serverless packs plus the library's own rules.

``enable_checks(app)`` (contract) adds all three as CDK validation plugins; synth
then fails on any unacknowledged error and writes
``cdk.out/validation-report.json``.
"""

from __future__ import annotations

from aws_cdk import App, IPolicyValidationPlugin, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from .base import ERROR, WARNING, Finding, Rule
from .graph import TemplateGraph
from .plugin import ACK_PREFIX, PLUGIN_NAME, ServerlessPatternsChecks
from .rules import RULES, RULES_BY_ID

__all__ = [
    "enable_checks",
    "ServerlessPatternsChecks",
    "Rule",
    "Finding",
    "TemplateGraph",
    "RULES",
    "RULES_BY_ID",
    "ERROR",
    "WARNING",
    "PLUGIN_NAME",
    "ACK_PREFIX",
]


def enable_checks(app: App, *, patterns_checks: bool = True) -> None:
    """Add AwsSolutions, Serverless and :class:`ServerlessPatternsChecks` to ``app`` (contract).

    :param patterns_checks: also run the library's own rule pack. Default: True.
    """
    plugins: list[IPolicyValidationPlugin] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    if patterns_checks:
        plugins.append(ServerlessPatternsChecks())
    Validations.of(app).add_plugins(*plugins)
