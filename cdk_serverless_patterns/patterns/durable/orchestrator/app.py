"""Entry point of DurableSaga's orchestrator (the code lives in the runtime layer)."""

from cdk_serverless_patterns.runtime.durable_saga import handler

__all__ = ["handler"]
