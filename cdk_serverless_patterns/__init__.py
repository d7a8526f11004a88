"""cdk-serverless-patterns: production-grade serverless L3 constructs for AWS CDK v2.

Public API (contract): ``FunctionSpec``, ``ServerlessFunction``,
``PatternConfigError``, ``enable_checks``, ``ServerlessPatternsChecks`` and one
construct per pattern.
"""

from .checks import ServerlessPatternsChecks, enable_checks
from .errors import PatternConfigError
from .function import FunctionSpec, Invocation, ServerlessFunction

__all__ = [
    "FunctionSpec",
    "Invocation",
    "PatternConfigError",
    "ServerlessFunction",
    "ServerlessPatternsChecks",
    "enable_checks",
]
