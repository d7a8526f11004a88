"""Scoped acknowledgements of check findings.

The library never silences a rule globally: each acknowledgement names one
construct (it covers that construct and its children) and carries a reason a
security reviewer can accept. All of the library's own acknowledgements go
through :func:`acknowledge`, so they are easy to audit with one grep.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

#: cdk-nag 3 reports rule ids as ``<pack>::<pack>-<rule>``.
AWS_SOLUTIONS = "AwsSolutions::AwsSolutions-"
SERVERLESS = "Serverless::Serverless-"


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` (full id, e.g. ``AwsSolutions::AwsSolutions-IAM5``) on ``construct``."""
    if not reason or len(reason) < 20:
        raise ValueError(f"acknowledgement of {rule_id} needs a real reason, got {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
