"""Deprecated since 0.2.0 (removed in 1.0.0): this module moved to ``cdk_serverless_patterns.patterns.saga.workflow``."""

from cdk_serverless_patterns.patterns.saga.workflow import *  # noqa: F401,F403
from cdk_serverless_patterns._moved import warn_moved

warn_moved(__name__)
