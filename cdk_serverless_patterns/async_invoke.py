"""Asynchronous-invocation settings on a ``ServerlessFunction``'s ``live`` alias.

Lambda keeps EventInvokeConfig per qualifier: the function-level one
(``$LATEST``) that ``ServerlessFunction(invocation=ASYNC)`` configures does not
apply when a trigger (an EventBridge rule, Scheduler, S3, SNS) invokes the
alias, which then falls back to Lambda's defaults: 2 retries over up to 6 h and
no on-failure destination. Patterns that wire an async trigger to the alias call
:func:`configure_alias_async_invoke` so the alias gets the same retries, age
and on-failure queue.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_lambda_destinations as destinations

from . import defaults
from .function import ServerlessFunction


def configure_alias_async_invoke(
    function: ServerlessFunction,
    *,
    retry_attempts: Optional[int] = None,
    max_event_age: Optional[Duration] = None,
) -> None:
    """Give ``function.alias`` the on-failure queue and retry settings of an ASYNC function.

    :param retry_attempts: 0-2. Default :data:`defaults.ASYNC_RETRY_ATTEMPTS`.
    :param max_event_age: 60 s-6 h. Default :data:`defaults.ASYNC_MAX_EVENT_AGE`.

    Does nothing when the function is not ASYNC (it has no on-failure queue) or
    the alias is already configured (a second config would fail to deploy).
    """
    alias = function.alias
    if function.dead_letter_queue is None or alias.node.try_find_child("EventInvokeConfig") is not None:
        return
    alias.configure_async_invoke(
        on_failure=destinations.SqsDestination(function.dead_letter_queue),
        retry_attempts=retry_attempts if retry_attempts is not None else defaults.ASYNC_RETRY_ATTEMPTS,
        max_event_age=max_event_age if max_event_age is not None else defaults.ASYNC_MAX_EVENT_AGE,
    )
