"""``Idempotency``: a function's typed declaration of how a repeated delivery stays harmless.

At-least-once triggers (SQS, Kinesis and DynamoDB streams without partial batch
responses, EventBridge rules, Scheduler, S3, SNS) deliver some events twice and
Lambda's async queue retries failed ones, so their handlers must be idempotent.
Rules that read templates cannot see handler code; the declaration says what the
code does, and :class:`~cdk_serverless_patterns.building_blocks.function.ServerlessFunction`
records it in the function's template metadata under :data:`METADATA_KEY`, where
the ``SP-IDEMPOTENCY`` rule of ``ServerlessPatternsChecks`` reads it::

    FunctionSpec(code="handlers", handler="report.handler",
                 idempotency=Idempotency.natural("overwrites report/<date>.csv; a rerun writes the same file"))
    FunctionSpec(code="handlers", handler="ingest.handler",
                 idempotency=Idempotency.conditional_write("object key + version id"))

Each kind is a factory so further ones fit without changing the field: a
Powertools ``@idempotent`` kind (issue 18) would carry a persistence table that
the construct creates and grants.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Optional

from cdk_serverless_patterns.template.metadata import IDEMPOTENCY

#: Template metadata key (on the ``AWS::Lambda::Function``) holding the declaration
#: (defined in the leaf :mod:`cdk_serverless_patterns.template.metadata`, which the rule pack reads).
METADATA_KEY = IDEMPOTENCY


class IdempotencyKind(enum.Enum):
    """How a handler makes a repeat harmless."""

    #: Doing the work twice has the same effect as once (an overwrite, a delete, a read).
    NATURAL = "natural"
    #: The handler records each event under a key with a conditional write and skips keys it has seen.
    CONDITIONAL_WRITE = "conditional-write"


@dataclass(frozen=True)
class Idempotency:
    """A function's declaration of how it stays correct when an event arrives twice.

    Build it with a factory, not the constructor:

    * :meth:`natural` — the work is idempotent by nature; say why.
    * :meth:`conditional_write` — the handler deduplicates with a conditional
      write keyed by something unique per event; name that key.

    :param kind: the :class:`IdempotencyKind`.
    :param how: one sentence a reviewer can check against the code.
    :param key: the deduplication key (``CONDITIONAL_WRITE`` only).
    """

    kind: IdempotencyKind
    how: str
    key: Optional[str] = None

    @classmethod
    def natural(cls, reason: str) -> "Idempotency":
        """The work is idempotent by nature. ``reason`` says why a second run is harmless,
        e.g. ``"overwrites report/<date>.csv"``."""
        return cls(IdempotencyKind.NATURAL, reason)

    @classmethod
    def conditional_write(cls, key: str, *, how: Optional[str] = None) -> "Idempotency":
        """The handler writes a marker keyed by ``key`` (e.g. ``"event id"``,
        ``"object key + version id"``) with a condition that it does not exist yet,
        and skips the event when the write fails. ``how`` adds detail; default:
        derived from ``key``."""
        text = how if how is not None else f"conditional write keyed by {key}; a repeat is skipped"
        return cls(IdempotencyKind.CONDITIONAL_WRITE, text, key)

    def to_metadata(self) -> dict[str, Any]:
        """What :data:`METADATA_KEY` holds in the template."""
        data: dict[str, Any] = {"kind": self.kind.value, "how": self.how}
        if self.key is not None:
            data["key"] = self.key
        return data
