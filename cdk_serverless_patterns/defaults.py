"""Every default and AWS limit the library uses, in one place.

Patterns never hard-code these again; change a default here and every pattern
follows. Limits carry the AWS documentation they come from.
"""

from __future__ import annotations

import re
from functools import lru_cache

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs


@lru_cache(maxsize=1)
def newest_python_runtime() -> lambda_.Runtime:
    """The newest ``PYTHON_3_x`` runtime this aws-cdk-lib offers.

    Resolved from the installed library so upgrading aws-cdk-lib moves functions
    forward (cdk-nag's LambdaLatestVersion / AwsSolutions-L1 rules expect it).
    """
    minors = [
        int(m.group(1))
        for name in dir(lambda_.Runtime)
        if (m := re.fullmatch(r"PYTHON_3_(\d+)", name))
    ]
    return getattr(lambda_.Runtime, f"PYTHON_3_{max(minors)}")


# --- Lambda -----------------------------------------------------------------
#: Default memory. 256 MB: twice the CPU share of 128 MB for a small cost, the
#: usual sweet spot for Python handlers that call AWS APIs.
MEMORY_MB = 256
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MEMORY_MIN_MB = 128
MEMORY_MAX_MB = 10240
#: Default timeout: 10 s, long enough for a few SDK calls, short enough to fail fast.
TIMEOUT = Duration.seconds(10)
TIMEOUT_MIN_S = 1
#: Lambda's hard maximum (15 minutes).
TIMEOUT_MAX_S = 900
#: Total size of all environment variables (keys + values), 4 KB.
ENV_MAX_BYTES = 4096
#: Keys Lambda reserves; setting them fails at deploy time.
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_XRAY_CONTEXT_MISSING",
        "AWS_XRAY_DAEMON_ADDRESS",
    }
)
RESERVED_ENV_PREFIXES = ("AWS_LAMBDA_",)
#: Name of the alias every ServerlessFunction publishes; triggers point at it.
ALIAS_NAME = "live"
#: Async invocation: Lambda's own default is 2 retries and 6 h; we keep the
#: retries and cut the age to 1 h so stale events land in the DLQ quickly.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(1)

# --- Logs -------------------------------------------------------------------
#: One month: enough to debug last week's incident, cheap enough to forget.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# --- SQS --------------------------------------------------------------------
#: AWS: set the source queue's visibility timeout to at least six times the
#: function timeout. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
SQS_VISIBILITY_FACTOR = 6
#: SQS maximum visibility timeout: 12 hours.
SQS_VISIBILITY_MAX_S = 12 * 60 * 60
#: Messages are received this many times before going to the DLQ.
MAX_RECEIVE_COUNT = 5
#: DLQs keep messages for the SQS maximum, 14 days, to leave time to redrive.
DLQ_RETENTION = Duration.days(14)

# --- API Gateway ------------------------------------------------------------
#: REST API integration timeout (default quota): 29 seconds.
API_INTEGRATION_TIMEOUT_S = 29

# --- Alarms -----------------------------------------------------------------
#: Evaluation period for every alarm.
ALARM_PERIOD = Duration.minutes(5)
#: p95 duration alarm fires at this fraction of the function timeout.
DURATION_ALARM_FRACTION = 0.8
#: Oldest-message alarm fires when a message waits this long.
QUEUE_AGE_ALARM = Duration.minutes(15)

# --- Step Functions (Saga) --------------------------------------------------
#: State names: 1-80 characters; no whitespace, brackets, wildcards, quotes or
#: ``# % \ ^ | ~ ` $ & , ; : /``; only ``0-9 A-Z a-z - _`` for CloudWatch logging.
#: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateExitedEventDetails.html
SFN_STATE_NAME_MAX = 80
#: A Standard workflow execution (and a task token wait) lasts at most one year.
#: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
SFN_MAX_DURATION = Duration.days(365)
#: Errors that mean "Lambda could not run the function this time", not "the
#: function said no": AWS recommends retrying them.
#: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
SAGA_TRANSIENT_LAMBDA_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
)
#: Transient-error retries: 2 s, 4 s, 8 s ... capped at 30 s, full jitter so
#: throttled executions do not retry in lock step.
SAGA_RETRY_INTERVAL = Duration.seconds(2)
SAGA_RETRY_BACKOFF_RATE = 2.0
SAGA_RETRY_MAX_DELAY = Duration.seconds(30)
SAGA_RETRY_ATTEMPTS = 4
#: A compensation must eventually succeed, so it also retries its own errors
#: (a downstream outage while refunding) this many times, 10 s apart and up.
SAGA_COMPENSATION_RETRY_ATTEMPTS = 5
SAGA_COMPENSATION_RETRY_INTERVAL = Duration.seconds(10)
SAGA_COMPENSATION_RETRY_MAX_DELAY = Duration.minutes(5)
#: How long a human approval waits before it counts as a rejection.
SAGA_APPROVAL_TIMEOUT = Duration.hours(24)
