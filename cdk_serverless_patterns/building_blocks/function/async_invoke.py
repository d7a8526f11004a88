"""Asynchronous invocation: the on-failure queue and the retry settings of the ``live`` alias."""

from __future__ import annotations

from typing import Optional, TypedDict

from aws_cdk import Duration, RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_lambda as lambda_,
    aws_lambda_destinations as destinations,
    aws_sns as sns,
)
from ..queues import FailureQueue


class AsyncInvokeSettings(TypedDict):
    """``aws_lambda.Alias`` keyword arguments for asynchronous invocation (typed for ``**``)."""

    retry_attempts: Optional[int]
    max_event_age: Optional[Duration]
    on_failure: Optional[lambda_.IDestination]


def async_failure_queue(
    scope: Construct,
    *,
    alarm_topic: Optional[sns.ITopic],
    create_alarms: bool,
    removal_policy: RemovalPolicy,
) -> FailureQueue:
    """The encrypted, SSL-only queue failed asynchronous invocations land in (``AsyncFailures``), with its alarm."""
    return FailureQueue(
        scope,
        "AsyncFailures",
        purpose=f"asynchronous invocations of {scope.node.path}",
        alarm_topic=alarm_topic,
        create_alarms=create_alarms,
        removal_policy=removal_policy,
    )


def alias_async_settings(
    failure: Optional[FailureQueue], *, retry_attempts: int, max_event_age: Duration
) -> AsyncInvokeSettings:
    """Retries, event age and on-failure destination, when there is a failure queue; else Lambda's own.

    Lambda keeps async settings per qualifier, and every trigger invokes the
    alias: they are configured there, not on $LATEST.
    """
    if failure is None:
        return AsyncInvokeSettings(retry_attempts=None, max_event_age=None, on_failure=None)
    return AsyncInvokeSettings(
        retry_attempts=retry_attempts,
        max_event_age=max_event_age,
        on_failure=destinations.SqsDestination(failure.queue),
    )
