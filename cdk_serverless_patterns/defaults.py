"""Every default and AWS limit the library uses, in one place.

Patterns never hard-code these again; change a default here and every pattern
follows. Limits carry the AWS documentation they come from.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from aws_cdk import Duration

from cdk_serverless_patterns._first_use import module_getattr

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_, aws_logs as logs


# aws_cdk values (Duration, Architecture) are jsii objects: building one is a
# round trip to the jsii kernel. They are declared here with their type and
# built on first use (module ``__getattr__`` below), then kept, so importing a
# pattern costs no kernel calls for the defaults it never reads.
_LAZY: dict[str, Callable[[], Any]] = {}


def _lazy(name: str, build: Callable[[], Any]) -> None:
    _LAZY[name] = build


def _duration(name: str, **amount: int) -> None:
    ((unit, value),) = amount.items()
    _lazy(name, lambda: getattr(Duration, unit)(value))


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
    runtime: lambda_.Runtime = getattr(lambda_.Runtime, f"PYTHON_3_{max(minors)}")
    return runtime


# --- Lambda -----------------------------------------------------------------
#: Default memory. 256 MB: twice the CPU share of 128 MB for a small cost, the
#: usual sweet spot for Python handlers that call AWS APIs.
MEMORY_MB = 256
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MEMORY_MIN_MB = 128
MEMORY_MAX_MB = 10240
#: Default timeout: 10 s, long enough for a few SDK calls, short enough to fail fast.
TIMEOUT: Duration
_duration("TIMEOUT", seconds=10)
TIMEOUT_MIN_S = 1
#: Lambda's hard maximum (15 minutes).
TIMEOUT_MAX_S = 900
#: Total size of all environment variables (keys + values), 4 KB.
ENV_MAX_BYTES = 4096
#: Keys Lambda reserves ("Reserved environment variables"); setting them fails at
#: deploy time. Exactly AWS's list: the ones AWS documents as settable
#: (AWS_LAMBDA_EXEC_WRAPPER for wrapper scripts, AWS_XRAY_CONTEXT_MISSING,
#: AWS_XRAY_DAEMON_ADDRESS, LANG, PATH, LD_LIBRARY_PATH, NODE_PATH, PYTHONPATH,
#: TZ, ...) are not refused.
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
#: Lambda's Description: at most 256 characters.
DESCRIPTION_MAX_CHARS = 256
#: What an unset FunctionSpec.architecture means: Graviton, ~20% cheaper per GB-second...
ARCHITECTURE: lambda_.Architecture
_lazy("ARCHITECTURE", lambda: lambda_.Architecture.ARM_64)
#: ...except on Lambda@Edge, which runs x86_64 functions only.
EDGE_ARCHITECTURE: lambda_.Architecture
_lazy("EDGE_ARCHITECTURE", lambda: lambda_.Architecture.X86_64)
#: Name of the alias every ServerlessFunction publishes; triggers point at it.
ALIAS_NAME = "live"
#: Async invocation: Lambda's own default is 2 retries and 6 h; we keep the
#: retries and cut the age to 1 h so stale events land in the DLQ quickly.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE: Duration
_duration("ASYNC_MAX_EVENT_AGE", hours=1)

# --- Logs -------------------------------------------------------------------
#: One month: enough to debug last week's incident, cheap enough to forget.
LOG_RETENTION: logs.RetentionDays
#: ``LOG_RETENTION``'s member name (for messages that must not load aws_logs).
LOG_RETENTION_NAME = "ONE_MONTH"
_lazy("LOG_RETENTION", lambda: getattr(logs.RetentionDays, LOG_RETENTION_NAME))
#: CloudWatch Logs log group names are at most 512 characters.
LOG_GROUP_NAME_MAX = 512

# --- SQS --------------------------------------------------------------------
#: AWS: set the source queue's visibility timeout to at least six times the
#: function timeout. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
SQS_VISIBILITY_FACTOR = 6
#: SQS maximum visibility timeout: 12 hours.
SQS_VISIBILITY_MAX_S = 12 * 60 * 60
#: Messages are received this many times before going to the DLQ.
MAX_RECEIVE_COUNT = 5
#: DLQs keep messages for the SQS maximum, 14 days, to leave time to redrive.
DLQ_RETENTION: Duration
_duration("DLQ_RETENTION", days=14)

# --- EventBridge Scheduler (ScheduledJob) -------------------------------------
#: Time zone schedule expressions are evaluated in.
SCHEDULE_TIMEZONE = "UTC"
#: Scheduler retry policy (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html):
#: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86400.
SCHEDULER_RETRY_ATTEMPTS_MIN = 0
SCHEDULER_RETRY_ATTEMPTS_MAX = 185
SCHEDULER_MAX_EVENT_AGE_MIN_S = 60
SCHEDULER_MAX_EVENT_AGE_MAX_S = 86400
#: We keep AWS's 185 attempts (exponential backoff, so they are cheap) but stop
#: after 1 h: a run that Scheduler could not hand to Lambda within an hour lands
#: in the schedule's DLQ (alarmed) instead of running hours late.
SCHEDULER_RETRY_ATTEMPTS = 185
SCHEDULER_MAX_EVENT_AGE: Duration
_duration("SCHEDULER_MAX_EVENT_AGE", hours=1)
#: Flexible time window, 1-1440 minutes
#: (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_FlexibleTimeWindow.html).
SCHEDULE_FLEXIBLE_WINDOW_MIN_MINUTES = 1
SCHEDULE_FLEXIBLE_WINDOW_MAX_MINUTES = 1440
#: Lambda asynchronous invocation limits (EventInvokeConfig):
#: https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
ASYNC_MAX_EVENT_AGE_MIN_S = 60
ASYNC_MAX_EVENT_AGE_MAX_S = 21600
#: Scheduler invokes targets with 60 s precision
#: (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html); the
#: "did not run" alarm window adds this to the rate so a late run is not a miss.
SCHEDULE_PRECISION: Duration
_duration("SCHEDULE_PRECISION", seconds=60)
#: CloudWatch: an alarm period is a multiple of 60 s (10/20/30 are high-resolution
#: only) and Period x EvaluationPeriods is at most 7 days
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
ALARM_MAX_EVALUATION_S = 7 * 24 * 3600
#: AWS::Scheduler::Schedule Description: at most 512 characters
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html).
SCHEDULE_DESCRIPTION_MAX = 512

# --- API Gateway ------------------------------------------------------------
#: REST API integration timeout (default quota): 29 seconds.
API_INTEGRATION_TIMEOUT_S = 29

#: Why HTTP API route functions are held to HTTP_API_INTEGRATION_TIMEOUT_S (shown in errors).
HTTP_API_TIMEOUT_REASON = "API Gateway HTTP API maximum integration timeout, not adjustable"
#: HTTP API quotas (same page): routes per API 300 (adjustable), authorizer
#: scopes per route 10, audiences per JWT authorizer 50, and a Lambda authorizer
#: must answer within 10 s.
HTTP_API_MAX_ROUTES = 300
HTTP_API_MAX_SCOPES_PER_ROUTE = 10
HTTP_API_MAX_JWT_AUDIENCES = 50
HTTP_API_AUTHORIZER_TIMEOUT_S = 10
HTTP_API_AUTHORIZER_TIMEOUT_REASON = "HTTP API Lambda authorizer response timeout (10 s)"

# --- CloudFormation -----------------------------------------------------------
#: Resources per stack (CloudFormation quota; CDK fails synth with
#: TooManyResourcesInStack above it).
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
STACK_MAX_RESOURCES = 500
#: Metrics per metric-math alarm (CloudWatch allows at most 10), so aggregate
#: function alarms cover at most this many functions each.
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html
ALARM_MAX_METRICS = 10

# --- S3 (SecureBucket, EventProcessing) -------------------------------------
#: Buckets deny requests over TLS older than 1.2 (on top of denying plain HTTP).
S3_MINIMUM_TLS_VERSION = 1.2
#: Server access logs are kept one year, then expire.
ACCESS_LOG_EXPIRATION: Duration
_duration("ACCESS_LOG_EXPIRATION", days=365)
#: Parts of abandoned multipart uploads are billed until aborted.
ABORT_INCOMPLETE_UPLOADS_AFTER: Duration
_duration("ABORT_INCOMPLETE_UPLOADS_AFTER", days=7)
#: S3 object keys are at most 1024 bytes (UTF-8).
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
S3_KEY_MAX_BYTES = 1024

# --- EventBridge rule targets (EventProcessing) ------------------------------
#: Target retry policy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86400.
#: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
RULE_RETRY_ATTEMPTS_MIN = 0
RULE_RETRY_ATTEMPTS_MAX = 185
RULE_MAX_EVENT_AGE_MIN_S = 60
RULE_MAX_EVENT_AGE_MAX_S = 86400
#: AWS's 185 attempts (exponential backoff) but at most 1 h, like Lambda's async
#: queue: an event EventBridge could not hand over within an hour lands in the
#: target DLQ (alarmed) instead of being retried for a day.
RULE_RETRY_ATTEMPTS = 185
RULE_MAX_EVENT_AGE: Duration
_duration("RULE_MAX_EVENT_AGE", hours=1)

# --- SQS event source mappings (EventProcessing buffer) ----------------------
#: Standard queues: BatchSize 1-10000; above 10 a batching window of at least
#: 1 s is required; MaximumBatchingWindowInSeconds 0-300.
#: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
SQS_BATCH_SIZE_MIN = 1
SQS_BATCH_SIZE_MAX = 10000
SQS_BATCH_SIZE_WITHOUT_WINDOW_MAX = 10
SQS_BATCH_SIZE = 10
BATCHING_WINDOW_MAX_S = 300

#: FIFO queues as Lambda event sources: batches of at most 10 messages. FIFO
#: queues also have no per-message delay (DelaySeconds on
#: SendMessage is rejected; only the queue-level delay applies).
#: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
#: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
SQS_FIFO_BATCH_SIZE_MAX = 10
#: Queue and topic names: at most 80 characters of letters, digits, '-' and '_';
#: FIFO names end in ".fifo" (counted in the 80).
#: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
QUEUE_NAME_MAX = 80
FIFO_SUFFIX = ".fifo"

# --- Fan-out / fan-in (FanOutFanIn) ------------------------------------------
#: ScalingConfig.MaximumConcurrency of an SQS event source: 2-1000.
#: https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html
SQS_MAX_CONCURRENCY_MIN = 2
#: Default MaximumConcurrency of an SQS event source: a backlog drains at most
#: this many batches at once (see building_blocks/concurrency.py). It reserves
#: nothing from the account, unlike reserved concurrency.
SQS_MAX_CONCURRENCY = 10
#: Default reserved concurrency of an EventBridge rule's Lambda target (an
#: asynchronous consumer with no other bound); throttled events wait inside
#: Lambda and are retried up to the target's maximum event age.
RULE_CONSUMER_RESERVED_CONCURRENCY = 10
#: Lambda's default concurrent executions quota per account and Region; Lambda
#: keeps 100 of it unreserved, so at most 900 can be reserved in a default account.
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_ACCOUNT_CONCURRENCY = 1000
LAMBDA_UNRESERVED_MINIMUM = 100
#: The reserved concurrency one ApiBackend's route functions share by default
#: (a fifth of the default account quota): each function gets
#: min(ceil(stage rate x timeout), API_RESERVED_CONCURRENCY_SHARE // functions).
API_RESERVED_CONCURRENCY_SHARE = 200
#: The reserved concurrency one Saga's functions share by default (a tenth of the
#: default quota): each gets SAGA_RESERVED_CONCURRENCY_SHARE // functions.
SAGA_RESERVED_CONCURRENCY_SHARE = 100
SQS_MAX_CONCURRENCY_MAX = 1000
#: Provisioned mode of an SQS event source mapping (dedicated event pollers; each
#: handles up to 1 MB/s or 10 concurrent invokes): MinimumPollers 2-200 (default 2),
#: MaximumPollers 2-2000 (default 200), per the CloudFormation ProvisionedPollerConfig
#: and aws-cdk-lib's ProvisionedPollerConfig (2.275.0). It and maximum concurrency are
#: "mutually exclusive options": https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
SQS_MIN_POLLERS_MIN = 2
SQS_MIN_POLLERS_MAX = 200
SQS_MAX_POLLERS_MIN = 2
SQS_MAX_POLLERS_MAX = 2000
SQS_MAX_POLLERS_DEFAULT = 200
#: Concurrent invocations one SQS event poller drives at most (AWS Lambda pricing page, provisioned mode).
SQS_INVOKES_PER_POLLER = 10
#: Lambda Managed Instances (read 2026-12-07): functions of at least 2 GB and 1 vCPU
#: (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-best-practices.html),
#: ExecutionEnvironmentMemoryGiBPerVCpu 2.0-8.0 and PerExecutionEnvironmentMaxConcurrency
#: 1-1600 (https://docs.aws.amazon.com/lambda/latest/api/API_LambdaManagedInstancesCapacityProviderConfig.html),
#: Python 3.13+ and Node.js 22+ (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html).
MANAGED_INSTANCES_MEMORY_MIN_MB = 2048
MANAGED_INSTANCES_GIB_PER_VCPU_MIN = 2.0
MANAGED_INSTANCES_GIB_PER_VCPU_MAX = 8.0
MANAGED_INSTANCES_CONCURRENCY_MIN = 1
MANAGED_INSTANCES_CONCURRENCY_MAX = 1600
MANAGED_INSTANCES_MIN_RUNTIMES: dict[str, tuple[int, ...]] = {"python": (3, 13), "nodejs": (22,)}
#: Job state (DynamoDB TTL) is kept this long after its last write: longer than
#: SQS's 14-day maximum message retention, so a late duplicate never finds its
#: job gone and starts it again. Must equal runtime.fan_in.DEFAULT_RETENTION_S.
FAN_IN_JOB_RETENTION: Duration
_duration("FAN_IN_JOB_RETENTION", days=30)
#: Allowed job retention: at least 14 days, SQS's maximum message retention (each
#: part item expires that long after its own write, so an earlier part must outlive
#: the latest possible redelivery of a later one), at most a year (finished jobs are
#: not an archive; the aggregator stores results).
FAN_IN_JOB_RETENTION_MIN: Duration
_duration("FAN_IN_JOB_RETENTION_MIN", days=14)
FAN_IN_JOB_RETENTION_MAX: Duration
_duration("FAN_IN_JOB_RETENTION_MAX", days=365)
#: A worker name is its construct id, its part name and part of its queue's
#: name: letters, digits, '-' and '_', starting with a letter, at most 64.
FAN_OUT_WORKER_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"

# --- Kinesis (StreamProcessing) ----------------------------------------------
#: Event source mapping parameters for Kinesis:
#: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
#: BatchSize 1-10000 (default 100), MaximumBatchingWindowInSeconds 0-300,
#: ParallelizationFactor 1-10, MaximumRetryAttempts -1 (infinite) to 10000,
#: MaximumRecordAgeInSeconds -1 (infinite) or 60-604800.
KINESIS_BATCH_SIZE_MIN = 1
KINESIS_BATCH_SIZE_MAX = 10000
KINESIS_BATCH_SIZE = 100
KINESIS_PARALLELIZATION_MIN = 1
KINESIS_PARALLELIZATION = 1
KINESIS_PARALLELIZATION_MAX = 10
KINESIS_RETRY_ATTEMPTS_MIN = -1
KINESIS_RETRY_ATTEMPTS_MAX = 10000
KINESIS_RECORD_AGE_MIN_S = 60
KINESIS_RECORD_AGE_MAX_S = 604800
#: Bounded, unlike Lambda's default of infinite: a poison record blocks its
#: shard until retries run out. Bisecting (on by default) isolates the bad
#: record first, so a few whole-batch retries are enough for transient faults.
KINESIS_RETRY_ATTEMPTS = 3
#: Records older than this skip to the on-failure queue. The queue receives
#: only the batch's shard and sequence numbers, not the data, so the default
#: leaves most of the stream's 24 h retention to re-read the records.
KINESIS_MAX_RECORD_AGE: Duration
_duration("KINESIS_MAX_RECORD_AGE", hours=1)
#: Stream retention: 24 h (the minimum and default) to 8760 h (365 days).
#: https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
KINESIS_RETENTION: Duration
_duration("KINESIS_RETENTION", hours=24)
KINESIS_RETENTION_MIN_H = 24
KINESIS_RETENTION_MAX_H = 8760
#: IteratorAge alarm: the oldest unread record has waited this long.
ITERATOR_AGE_ALARM: Duration
_duration("ITERATOR_AGE_ALARM", minutes=5)
#: Why API-backed functions are held to API_INTEGRATION_TIMEOUT_S (shown in errors).
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
API_TIMEOUT_REASON = "API Gateway REST integration timeout"
#: Resources per REST API (default quota, adjustable): 300. Same page.
API_MAX_RESOURCES = 300
#: Stage name of every ApiBackend unless overridden.
API_STAGE_NAME = "prod"
#: Stage throttling. Account quota is 10,000 rps steady / 5,000 burst per Region,
#: shared by every API in the account; one API's default takes a tenth of it, so a
#: runaway client cannot starve the others. (Lambda's default 1,000 concurrent
#: executions at ~100 ms per request also serve about 10,000 rps.)
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
API_THROTTLING_RATE_LIMIT = 1000
API_THROTTLING_BURST_LIMIT = 2000
#: Lambda authorizer / Cognito authorizer result cache: 5 minutes (API Gateway's
#: own default), 0-3600 s allowed.
#: https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html
AUTHORIZER_CACHE_TTL: Duration
_duration("AUTHORIZER_CACHE_TTL", minutes=5)
AUTHORIZER_CACHE_TTL_MAX_S = 3600
#: Cognito password policy minimum length for pools ApiBackend creates (Cognito
#: allows 6-99; NIST SP 800-63B and cdk-nag COG1 want at least 8).
PASSWORD_MIN_LENGTH = 12
#: Stage cache: TTL 0-3600 s (default 300 s) and the allowed cluster sizes in GB.
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
API_CACHE_TTL: Duration
_duration("API_CACHE_TTL", minutes=5)
API_CACHE_TTL_MAX_S = 3600
API_CACHE_SIZES_GB = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
#: Alarms: 5XX rate (the stage's 5XXError Average is the fraction of requests
#: that failed) at 1%, 4XX rate at 10% (clients err more often; a spike means a
#: broken client or an attack), p95 latency SLO 1 s.
API_SERVER_ERROR_RATE = 0.01
API_CLIENT_ERROR_RATE = 0.10
API_LATENCY_SLO: Duration
_duration("API_LATENCY_SLO", seconds=1)
#: WAF rate-based rule: requests per source IP per 5 minutes before blocking.
#: AWS WAF allows 10-2,000,000,000.
#: https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
WAF_RATE_LIMIT_PER_5_MIN = 2000
WAF_RATE_LIMIT_MIN = 10
WAF_RATE_LIMIT_MAX = 2_000_000_000
#: AWS managed rule groups the default web ACL uses (each one counts as a rule for pricing).
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)

# --- Alarms -----------------------------------------------------------------
#: Evaluation period for every alarm.
ALARM_PERIOD: Duration
_duration("ALARM_PERIOD", minutes=5)
#: p95 duration alarm fires at this fraction of the function timeout.
DURATION_ALARM_FRACTION = 0.8
#: Oldest-message alarm fires when a message waits this long.
QUEUE_AGE_ALARM: Duration
_duration("QUEUE_AGE_ALARM", minutes=15)
#: Function error-rate alarm: Errors / Invocations above 1 % in a period.
#: Seed 002 "Essential Metrics": "Error rate | > 1% | Indicates bugs or external failures".
FUNCTION_ERROR_RATE = 0.01
#: Below this many invocations in a period the rate is noise (one error in 20 calls is 5 %):
#: the error-*count* alarm (any error) watches those periods, the rate alarm the busier ones.
#: 100 per 5 minutes is the volume at which one error is exactly the 1 % threshold.
FUNCTION_ERROR_RATE_MIN_INVOCATIONS = 100
#: Cold-start rate alarm (opt-in, ``FunctionAlarms(cold_starts=True)``): cold starts / invocations.
#: Seed 002 "Essential Metrics": "Cold start rate | > 10% | Performance degradation".
FUNCTION_COLD_START_RATE = 0.10
#: Namespace of the cold-start count the log metric filter publishes (one metric per function).
COLD_START_METRIC_NAMESPACE = "ServerlessPatterns/Lambda"
#: Cost-per-invocation anomaly alarm: the band's width in standard deviations (CloudWatch's default 2).
#: Seed 002 "Essential Metrics": "Cost per invocation | > baseline | Cost anomaly detection".
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html
FUNCTION_COST_ANOMALY_STD_DEVS = 2.0
#: Periods the cost-per-invocation must stay above the band before the alarm fires (3 x 5 min:
#: one slow deploy-time cold burst does not page).
FUNCTION_COST_ANOMALY_PERIODS = 3

# --- Lambda@Edge ------------------------------------------------------------
#: Lambda@Edge functions are created in US East (N. Virginia) and replicated.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
EDGE_REGION = "us-east-1"
#: Viewer request/response events: 128 MB and 5 s; origin request/response
#: events: Lambda's own memory range and 30 s.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-lambda-at-edge
EDGE_VIEWER_MAX_MEMORY_MB = 128
EDGE_VIEWER_MAX_TIMEOUT_S = 5
EDGE_ORIGIN_MAX_MEMORY_MB = MEMORY_MAX_MB
EDGE_ORIGIN_MAX_TIMEOUT_S = 30
#: Runtime families Lambda@Edge supports (Node.js and Python).
EDGE_RUNTIME_FAMILIES = ("nodejs", "python")

# --- CloudFront -------------------------------------------------------------
#: Price class 100 (North America, Europe, Israel): the cheapest edge set; pass
#: PRICE_CLASS_ALL for viewers elsewhere.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PriceClass.html
CLOUDFRONT_PRICE_CLASS_NAME = "PRICE_CLASS_100"
#: Object served for requests to "/".
CLOUDFRONT_DEFAULT_ROOT_OBJECT = "index.html"
#: Path pattern routed to an ApiBackend origin.
CLOUDFRONT_API_PATH_PATTERN = "/api/*"
#: CloudFront Functions: viewer events only, function code at most 10 KB.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions
CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024
#: HSTS max-age: two years, the value hstspreload.org requires.
HSTS_MAX_AGE: Duration
_duration("HSTS_MAX_AGE", days=730)
#: 5xxErrorRate alarm threshold (percent of viewer requests, 5-minute average).
CLOUDFRONT_5XX_RATE_ALARM_PERCENT = 5

# --- Step Functions (Saga) --------------------------------------------------
#: State names: 1-80 characters; no whitespace, brackets, wildcards, quotes or
#: ``# % \ ^ | ~ ` $ & , ; : /``; only ``0-9 A-Z a-z - _`` for CloudWatch logging.
#: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateExitedEventDetails.html
SFN_STATE_NAME_MAX = 80
#: A Standard workflow execution (and a task token wait) lasts at most one year.
#: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
SFN_MAX_DURATION: Duration
_duration("SFN_MAX_DURATION", days=365)
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
SAGA_RETRY_INTERVAL: Duration
_duration("SAGA_RETRY_INTERVAL", seconds=2)
SAGA_RETRY_BACKOFF_RATE = 2.0
SAGA_RETRY_MAX_DELAY: Duration
_duration("SAGA_RETRY_MAX_DELAY", seconds=30)
SAGA_RETRY_ATTEMPTS = 4
#: A compensation must eventually succeed, so it also retries its own errors
#: (a downstream outage while refunding) this many times, 10 s apart and up.
SAGA_COMPENSATION_RETRY_ATTEMPTS = 5
SAGA_COMPENSATION_RETRY_INTERVAL: Duration
_duration("SAGA_COMPENSATION_RETRY_INTERVAL", seconds=10)
SAGA_COMPENSATION_RETRY_MAX_DELAY: Duration
_duration("SAGA_COMPENSATION_RETRY_MAX_DELAY", minutes=5)
#: An Express workflow execution lasts at most five minutes; Express has no
#: .waitForTaskToken and records its history only in CloudWatch Logs.
#: https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
SFN_EXPRESS_MAX_DURATION: Duration
_duration("SFN_EXPRESS_MAX_DURATION", minutes=5)
#: Compensation retries of an Express saga back off to at most this, so a
#: compensation's retries fit the five minutes (Standard: 5 minutes per wait).
SAGA_EXPRESS_COMPENSATION_RETRY_MAX_DELAY: Duration
_duration("SAGA_EXPRESS_COMPENSATION_RETRY_MAX_DELAY", seconds=20)
#: How long a human approval waits before it counts as a rejection.
SAGA_APPROVAL_TIMEOUT: Duration
_duration("SAGA_APPROVAL_TIMEOUT", hours=24)

# --- CQRS + event sourcing (Cqrs) ---------------------------------------------
#: Archive RetentionDays is an integer >= 0; 0 keeps events indefinitely.
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-archive.html
#: Default 0 (forever): a new projection can then be built by replaying the
#: whole history, which is what the archive is for.
CQRS_ARCHIVE_RETENTION_DAYS = 0
#: Source of the events the pipe puts on the bus: "cqrs.<construct id>". EventBridge
#: reserves sources starting with "aws." for AWS services.
CQRS_EVENT_SOURCE_PREFIX = "cqrs."
EVENT_SOURCE_RESERVED_PREFIX = "aws."
#: PutEvents Source and DetailType are at most 256 / 128 characters
#: (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html);
#: the pipe copies an event's type into DetailType.
EVENT_SOURCE_MAX_CHARS = 256
EVENT_DETAIL_TYPE_MAX_CHARS = 128
#: Projection names become construct ids, env values and read-model sort keys.
PROJECTION_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
#: Pipes DynamoDB stream source (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html):
#: BatchSize 1-10000, but an event bus target takes at most 10 events per batch
#: (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html).
PIPE_BATCH_SIZE_MIN = 1
PIPE_BATCH_SIZE_MAX = 10
#: Default 1: each record becomes its own PutEvents entry whose detail-type is
#: read from that record (a dynamic path), with no dependence on how Pipes
#: resolves dynamic parameters inside a batch; raise it for throughput.
PIPE_BATCH_SIZE = 1
#: MaximumRetryAttempts -1 (infinite) or 0-10000; MaximumRecordAgeInSeconds -1
#: (infinite) or up to 604800. We require finite values: an infinite retry of a
#: poison record would block its shard until the stream drops it.
PIPE_RETRY_ATTEMPTS_MAX = 10000
PIPE_RECORD_AGE_MIN_S = 60
PIPE_RECORD_AGE_MAX_S = 604800
#: 10 retries (exponential backoff, halving the batch each time) ride out PutEvents
#: throttling; a record still failing goes to the pipe's DLQ (alarmed) and can be
#: republished from the event store.
PIPE_RETRY_ATTEMPTS = 10
#: DynamoDB streams keep records 24 hours, so a longer age would never apply.
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
PIPE_MAX_RECORD_AGE: Duration
_duration("PIPE_MAX_RECORD_AGE", hours=24)
#: Pipe log levels (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-logs.html);
#: ERROR logs failed executions only, without payloads (events may carry personal data).
PIPE_LOG_LEVELS = ("OFF", "ERROR", "INFO", "TRACE")
PIPE_LOG_LEVEL = "ERROR"
#: Projection lag: alarm when a projector's oldest queued event (Lambda's
#: AsyncEventAge) is this old.
#: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
PROJECTION_LAG_ALARM: Duration
_duration("PROJECTION_LAG_ALARM", minutes=5)

# --- ServerlessPatternsChecks (checks/) ---------------------------------------
#: What Lambda and SQS use when a template leaves the property out.
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html
LAMBDA_DEFAULT_MEMORY_MB = 128
LAMBDA_DEFAULT_TIMEOUT_S = 3
SQS_DEFAULT_VISIBILITY_S = 30
#: HTTP API (API Gateway v2) integrations time out after at most 30 s (not adjustable).
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
HTTP_API_INTEGRATION_TIMEOUT_S = 30
#: Lambda@Edge rejects functions with more than 512 MB of ephemeral storage.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
EDGE_MAX_EPHEMERAL_STORAGE_MB = 512

# --- Observability layers (FunctionSpec.powertools / FunctionSpec.tracing) ----
#: Powertools for AWS Lambda (Python) v3 layer version pinned by
#: ``FunctionSpec(powertools=True)``: 27 is Powertools 3.23.0 (published
#: 2025-11-13 for every python3.x/arch pair). The same release is the dev
#: extra's pin, so handler tests run what the layer runs. Raise both together.
#: ARN format: https://docs.aws.amazon.com/powertools/python/latest/#lambda-layer
POWERTOOLS_LAYER_VERSION = 27
POWERTOOLS_PACKAGE_VERSION = "3.23.0"
#: Account AWS publishes the Powertools layers from, per partition
#: (aws-cn: cn-north-1 only). GovCloud is not pinned here: resolve through SSM
#: (``Powertools(ssm_version=...)``) or pass the layer in ``layers``.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_ACCOUNT_CN = "498634801083"
POWERTOOLS_CN_REGIONS = ("cn-north-1",)
#: Commercial Regions where AWS publishes the pinned Powertools v3 layer for arm64
#: (docs/includes/_layer_homepage_arm64.md of aws-powertools/powertools-lambda-python);
#: x86_64 is also published in POWERTOOLS_X86_ONLY_REGIONS. Elsewhere (e.g. ap-east-2,
#: ap-southeast-6, GovCloud) the ARN would fail at deploy.
POWERTOOLS_LAYER_REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ca-central-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)
POWERTOOLS_X86_ONLY_REGIONS = ("ca-west-1",)
#: Public SSM parameters AWS keeps for each Powertools layer:
#: /aws/service/powertools/python/{arm64|x86_64}/python3.x/{3.x.y|latest}
POWERTOOLS_SSM_PREFIX = "/aws/service/powertools/python"
#: ADOT (AWS Distro for OpenTelemetry) Python layer for ``Tracing.OPENTELEMETRY``,
#: pinned rather than CDK's LATEST so upgrading aws-cdk-lib does not swap it:
#: aws-otel-python-{amd64|arm64}-ver-1-29-0 (OpenTelemetry Python 1.29.0,
#: ADOT Collector 0.42.0); CDK resolves the per-Region ARN (901920570463).
#: It supports the python3.8-3.13 runtimes.
ADOT_PYTHON_LAYER_VERSION = "V1_29_0"
ADOT_PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13")


def newest_adot_python_runtime() -> lambda_.Runtime:
    """The newest Python runtime the pinned ADOT layer supports (:data:`ADOT_PYTHON_RUNTIMES`):
    the default runtime of a ``Tracing.OPENTELEMETRY`` function, whose layer lags Lambda's newest Python."""
    version = ADOT_PYTHON_RUNTIMES[-1].removeprefix("python")
    runtime: lambda_.Runtime = getattr(lambda_.Runtime, f"PYTHON_{version.replace('.', '_')}")
    return runtime


#: Lambda: at most 5 layers per function, the library's own (runtime, Powertools, ADOT) included.
LAYERS_MAX = 5
#: Lambda: the Handler property is at most 128 characters.
HANDLER_MAX_CHARS = 128

# --- Durable saga (DurableSaga, Lambda durable functions) ---------------------
#: DurableConfig.ExecutionTimeout: 1 - 31,622,400 s (366 days), whole seconds.
#: RetentionPeriodInDays: 1 - 90 days, default 14.
#: https://docs.aws.amazon.com/lambda/latest/api/API_DurableConfig.html
DURABLE_EXECUTION_TIMEOUT_MAX_S = 31_622_400
DURABLE_RETENTION_MAX_DAYS = 90
#: A saga of a few Lambda steps ends in minutes; a day leaves room for retries
#: and compensation backoff (5 retries up to 5 min each per compensation).
DURABLE_SAGA_EXECUTION_TIMEOUT: Duration
_duration("DURABLE_SAGA_EXECUTION_TIMEOUT", days=1)
#: Lambda's own default: execution history for two weeks of incident review.
DURABLE_SAGA_RETENTION: Duration
_duration("DURABLE_SAGA_RETENTION", days=14)
#: Managed runtimes that run durable functions (Python ones).
#: https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html
DURABLE_PYTHON_RUNTIMES = ("python3.13", "python3.14")
#: The orchestrator waits for one step function at a time; its own timeout is
#: the longest step timeout plus this margin (capped at Lambda's 15 minutes).
DURABLE_ORCHESTRATOR_TIMEOUT_MARGIN: Duration
_duration("DURABLE_ORCHESTRATOR_TIMEOUT_MARGIN", seconds=30)

# Removed in 0.2.0 (Lambda reserves the keys of RESERVED_ENV_KEYS, not every
# AWS_LAMBDA_ prefix: AWS_LAMBDA_EXEC_WRAPPER is settable); kept for 0.1.0 imports.
if TYPE_CHECKING:
    RESERVED_ENV_PREFIXES: tuple[str, ...]
else:

    _built_on_first_use = module_getattr(globals(), _LAZY)

    def __getattr__(name: str) -> Any:
        if name == "RESERVED_ENV_PREFIXES":
            warnings.warn(
                "defaults.RESERVED_ENV_PREFIXES is deprecated since 0.2.0 and unused: "
                "Lambda reserves the keys in defaults.RESERVED_ENV_KEYS",
                DeprecationWarning,
                stacklevel=2,
            )
            return ("AWS_LAMBDA_",)
        return _built_on_first_use(name)

# --- VPC functions (FunctionSpec.vpc, ServiceEndpoints, SP-VPC-NO-ROUTE) -------
#: Services reached through a *gateway* endpoint (free; a route-table entry): IAM prefix -> endpoint
#: service suffix (``com.amazonaws.<region>.<suffix>``). Amazon VPC User Guide, "Gateway endpoints".
GATEWAY_ENDPOINT_SERVICES = {"dynamodb": "dynamodb", "s3": "s3"}
#: Services reached through an *interface* endpoint (AWS PrivateLink, billed per AZ-hour and GB):
#: IAM action prefix -> endpoint service suffix, where the two differ (Kinesis Data Streams is
#: ``kinesis-streams``, CloudWatch ``monitoring``). AWS PrivateLink guide, "AWS services that
#: integrate with AWS PrivateLink". A prefix not listed here uses its own name.
INTERFACE_ENDPOINT_SERVICES = {
    "kinesis": "kinesis-streams",
    "cloudwatch": "monitoring",
    "bedrock": "bedrock-runtime",
    "states": "states",
    "execute-api": "execute-api",
}
#: IAM prefixes of grants the Lambda *service* uses for the function, from its own network, not
#: the function's: log delivery (the function's stdout), network interface management (ec2), and
#: the segments of active tracing; they need no route from the VPC. (Subsegments an SDK sends
#: through the X-Ray daemon are the function's own traffic: ServiceEndpoints(services=["xray"]).)
SERVICE_SIDE_PREFIXES = ("logs", "ec2", "xray")
