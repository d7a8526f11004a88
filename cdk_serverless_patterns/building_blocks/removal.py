"""Removal policy and the settings that must follow it, so a sandbox is deletable in one ``cdk destroy``.

Two things block deleting a stack whose resources are marked ``Delete``:
deletion protection (a DynamoDB table or Cognito user pool with it on cannot be
deleted, and the stack deletion fails) and KMS keys waiting out a 30-day
deletion window (not a failure, but a month of keys pending deletion per
sandbox). The library derives both from the resource's *final* DeletionPolicy
instead of from the ``removal_policy`` option alone, because users also change
removal policies after construction:

* ``removal_policy=RemovalPolicy.DESTROY`` on a pattern, or
* CDK's own ``RemovalPolicies.of(stack).destroy()`` (an Aspect at priority
  ``AspectPriority.MUTATING``), ``RemovalPolicy.DESTROY`` applied by a custom
  Aspect (priority ``AspectPriority.DEFAULT``), or ``apply_removal_policy`` on
  the resource.

:class:`FollowRemovalPolicy` is an Aspect attached to each stateful resource
the library creates, at :data:`PRIORITY` (after MUTATING and DEFAULT aspects,
before READONLY ones such as checks): a ``Delete`` policy turns deletion
protection off and shortens a key's pending window to the 7-day minimum;
``Retain``/``Snapshot`` keep protection on. See ``docs/patterns/destroy.md``.
"""

from __future__ import annotations

import functools

import jsii
from aws_cdk import AspectPriority, Aspects, CfnDeletionPolicy, CfnResource, IAspect
from typing import TYPE_CHECKING

from constructs import IConstruct

from cdk_serverless_patterns._first_use import module_getattr
from cdk_serverless_patterns._cdk_modules import (
    aws_cognito as cognito,
    aws_dynamodb as dynamodb,
    aws_kms as kms,
)


#: Runs after RemovalPolicies (MUTATING, 200) and aspects at the default
#: priority (500), before read-only aspects (1000): ``AspectPriority.READONLY - 100``,
#: read on first use (a jsii call; importing this module makes none).
PRIORITY: int
#: KMS's minimum waiting period before a scheduled key deletion (7-30 days).
KEY_PENDING_WINDOW_DAYS = 7


@jsii.implements(IAspect)
class FollowRemovalPolicy:
    """Aligns deletion protection and key pending windows with the final DeletionPolicy."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, dynamodb.CfnTable):
            node.deletion_protection_enabled = not _deletes(node)
        elif isinstance(node, cognito.CfnUserPool):
            node.deletion_protection = "INACTIVE" if _deletes(node) else "ACTIVE"
        elif isinstance(node, kms.CfnKey) and _deletes(node):
            node.pending_window_in_days = KEY_PENDING_WINDOW_DAYS


def _deletes(resource: CfnResource) -> bool:
    return resource.cfn_options.deletion_policy == CfnDeletionPolicy.DELETE


@functools.lru_cache(maxsize=1)
def _follow_removal_policy() -> FollowRemovalPolicy:
    """One instance serves every resource: it keeps no state, and jsii creates the
    JavaScript side of a Python object once, not once per resource."""
    return FollowRemovalPolicy()


def follow_removal_policy(resource: IConstruct) -> None:
    """Attach :class:`FollowRemovalPolicy` to ``resource`` (an L2 or L1) and its children."""
    Aspects.of(resource).add(_follow_removal_policy(), priority=_priority())


@functools.lru_cache(maxsize=1)
def _priority() -> int:
    return int(AspectPriority.READONLY) - 100


if not TYPE_CHECKING:
    __getattr__ = module_getattr(globals(), {"PRIORITY": _priority})
