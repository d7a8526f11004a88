"""Checks: cdk-nag's AwsSolutions and Serverless packs plus the library's own rules.

``enable_checks(app)`` (contract) adds all three as CDK validation plugins; synth
then fails on any unacknowledged error and writes
``cdk.out/validation-report.json``. ``compliance=`` adds cdk-nag's NIST 800-53
R5, HIPAA Security and PCI DSS 3.2.1 packs by the names cdk-nag reports them under.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from aws_cdk import App, IPolicyValidationPlugin, Validations

from cdk_serverless_patterns.errors import PatternConfigError

from cdk_serverless_patterns._first_use import exported_from, module_getattr

from .acknowledge import acknowledge
from .base import ERROR, WARNING, Finding, Rule

if TYPE_CHECKING:
    from .graph import TemplateGraph
    from .plugin import ACK_PREFIX, PLUGIN_NAME, ServerlessPatternsChecks
    from .rules import RULES, RULES_BY_ID

# The rule pack and the template graph load on first use: constructs import
# ``checks.acknowledge`` (hence this package) whether or not checks are enabled.
_LAZY = {
    "TemplateGraph": ".graph",
    "ACK_PREFIX": ".plugin",
    "PLUGIN_NAME": ".plugin",
    "ServerlessPatternsChecks": ".plugin",
    "RULES": ".rules",
    "RULES_BY_ID": ".rules",
}

if not TYPE_CHECKING:
    __getattr__ = module_getattr(globals(), exported_from(__name__, _LAZY))


__all__ = [
    "enable_checks",
    "acknowledge",
    "COMPLIANCE_PACKS",
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


# cdk_nag is imported when a pack is built, not with this package: construction
# imports ``checks.acknowledge`` (hence this ``__init__``) even when checks are
# never enabled, and loading cdk-nag's jsii assembly is the costliest import here.


def _nist_800_53_r5(app: App) -> IPolicyValidationPlugin:
    from cdk_nag import NIST80053R5Checks

    return NIST80053R5Checks(app)


def _hipaa_security(app: App) -> IPolicyValidationPlugin:
    from cdk_nag import HIPAASecurityChecks

    return HIPAASecurityChecks(app)


def _pci_dss_321(app: App) -> IPolicyValidationPlugin:
    from cdk_nag import PCIDSS321Checks

    return PCIDSS321Checks(app)


#: Compliance pack name (as cdk-nag reports it) → builds that cdk-nag plugin for an app.
COMPLIANCE_PACKS: dict[str, Callable[[App], IPolicyValidationPlugin]] = {
    "NIST.800.53.R5": _nist_800_53_r5,
    "HIPAA.Security": _hipaa_security,
    "PCI.DSS.321": _pci_dss_321,
}


def enable_checks(app: App, *, compliance: Iterable[str] = (), patterns_checks: bool = True) -> None:
    """Add AwsSolutions, Serverless and :class:`ServerlessPatternsChecks` to ``app`` (contract).

    :param compliance: names of cdk-nag compliance packs to add as well, from
        :data:`COMPLIANCE_PACKS` (``"NIST.800.53.R5"``, ``"HIPAA.Security"``,
        ``"PCI.DSS.321"``). Default: none. An unknown name raises
        :class:`PatternConfigError` before any plugin is added.
    :param patterns_checks: also run the library's own rule pack. Default: True.
    """
    names = [compliance] if isinstance(compliance, str) else list(compliance)
    unknown = [n for n in names if n not in COMPLIANCE_PACKS]
    if unknown:
        valid = ", ".join(repr(n) for n in COMPLIANCE_PACKS)
        raise PatternConfigError(
            app.node.path or "<app>",
            [
                f"compliance={n!r} is invalid: allowed {valid} (cdk-nag's pack names). "
                f"Fix: pass a subset of them, e.g. compliance=(\"NIST.800.53.R5\",)"
                for n in unknown
            ],
        )
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from .plugin import PLUGIN_NAME, ServerlessPatternsChecks

    plugins: list[IPolicyValidationPlugin] = [AwsSolutionsChecks(app), ServerlessChecks(app)]
    plugins.extend(COMPLIANCE_PACKS[n](app) for n in dict.fromkeys(names))
    if patterns_checks:
        own = ServerlessPatternsChecks()
        own.packs = [p.name for p in plugins] + [PLUGIN_NAME]
        plugins.append(own)
    Validations.of(app).add_plugins(*plugins)
