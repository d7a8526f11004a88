"""The list prices the ``cost`` command uses, one dated line per price.

**Region**: US East (N. Virginia), us-east-1, in USD.

**Tier policy**: the first *paid* tier of each price, with no free tier
applied (the Lambda, SQS, SNS, DynamoDB, CloudWatch, Cognito... free
allowances are left to the estimator). Where a price is tiered by volume the
note names the tier. A price of ``0.0`` is used only for something AWS does not
charge at all, and its note then starts with "free".

**Updating a line**: open the ``source`` page, find the us-east-1 figure, then
change ``usd`` (per ``unit``; keep the unit), set ``checked`` to the ISO date
you looked, and keep the note honest about the tier. A number that could not be
confirmed from the page (or from a copy of it, or from the AWS Price List API)
keeps its last known value and says "not confirmed" in its note. New prices go
into their service's group *and* into :data:`ALL` (``tests/test_prices.py``
fails otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    """One list price: ``usd`` per ``unit``, where it was read and when."""

    usd: float  # USD per `unit`
    unit: str  # e.g. "1M requests", "GB-second", "month", "hour", "GB-month", "10K requests"
    source: str  # the AWS pricing page URL
    checked: str  # ISO date the price was checked, "2026-12-01"
    note: str = ""  # tier or assumption, e.g. "first 6 billion GB-s tier"


HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

# --- AWS Lambda (and Lambda@Edge / CloudFront Functions, billed by CloudFront) ---
LAMBDA_REQUESTS_PER_MILLION = Price(0.20, "1M requests", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "x86_64 and arm64 alike")
LAMBDA_DURATION_X86_GB_SECOND = Price(0.0000166667, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "x86_64, first 6 billion GB-s a month tier")
LAMBDA_DURATION_ARM_GB_SECOND = Price(0.0000133334, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "arm64, first 7.5 billion GB-s a month tier")
LAMBDA_PROVISIONED_X86_GB_SECOND = Price(0.0000041667, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "provisioned concurrency configured, x86_64; billed while enabled, used or not (5-minute rounding)")
LAMBDA_PROVISIONED_ARM_GB_SECOND = Price(0.0000033334, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "provisioned concurrency configured, arm64; billed while enabled, used or not (5-minute rounding)")
LAMBDA_PROVISIONED_DURATION_X86_GB_SECOND = Price(0.0000097222, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "duration of invocations served by provisioned concurrency, x86_64 (replaces the on-demand duration price)")
LAMBDA_PROVISIONED_DURATION_ARM_GB_SECOND = Price(0.0000077778, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "duration of invocations served by provisioned concurrency, arm64 (replaces the on-demand duration price)")
LAMBDA_EPHEMERAL_STORAGE_GB_SECOND = Price(0.0000000309, "GB-second", "https://aws.amazon.com/lambda/pricing/", "2026-12-01", "only /tmp configured above the 512 MB every function gets, during execution")
LAMBDA_EDGE_REQUESTS_PER_MILLION = Price(0.60, "1M requests", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "Lambda@Edge; no free tier exists")
LAMBDA_EDGE_DURATION_GB_SECOND = Price(0.00005001, "GB-second", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "Lambda@Edge, 1 ms rounding; no free tier exists")
CLOUDFRONT_FUNCTIONS_INVOCATIONS_PER_MILLION = Price(0.10, "1M invocations", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "no duration charge")

# --- Amazon API Gateway ---
API_REST_REQUESTS_PER_MILLION = Price(3.50, "1M requests", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "REST API, first 333 million a month tier")
API_HTTP_REQUESTS_PER_MILLION = Price(1.00, "1M requests", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "HTTP API, first 300 million a month tier")
#: REST API stage cache, by ``CacheClusterSize`` (GB, as CloudFormation spells it).
API_REST_CACHE_HOUR = {
    "0.5": Price(0.020, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "0.5 GB cache; no free tier exists"),
    "1.6": Price(0.038, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "1.6 GB cache"),
    "6.1": Price(0.200, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "6.1 GB cache"),
    "13.5": Price(0.250, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "13.5 GB cache"),
    "28.4": Price(0.500, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "28.4 GB cache"),
    "58.2": Price(1.000, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "58.2 GB cache"),
    "118": Price(1.900, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "118 GB cache"),
    "237": Price(3.800, "hour", "https://aws.amazon.com/api-gateway/pricing/", "2026-12-01", "237 GB cache"),
}

# --- Amazon SQS (a request carries 1-10 messages; each 64 KB chunk of its payload is one request) ---
SQS_STANDARD_REQUESTS_PER_MILLION = Price(0.40, "1M requests", "https://aws.amazon.com/sqs/pricing/", "2026-12-01", "standard queue, first tier; empty receives count")
SQS_FIFO_REQUESTS_PER_MILLION = Price(0.50, "1M requests", "https://aws.amazon.com/sqs/pricing/", "2026-12-01", "FIFO queue, first tier; empty receives count")

# --- Amazon SNS ---
SNS_STANDARD_PUBLISHES_PER_MILLION = Price(0.50, "1M requests", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "standard topic; each 64 KB chunk of a published payload is one request")
SNS_FIFO_PUBLISHES_PER_MILLION = Price(0.30, "1M requests", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "FIFO topic, Publish and PublishBatch entries")
SNS_FIFO_PUBLISH_PAYLOAD_PER_GB = Price(0.017, "GB", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "FIFO topic, payload published; each message rounded up to 1 KB")
SNS_FIFO_SUBSCRIPTION_MESSAGES_PER_MILLION = Price(0.01, "1M messages", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "FIFO topic: messages published x subscriptions, filtered-out messages included")
SNS_FIFO_SUBSCRIPTION_PAYLOAD_PER_GB = Price(0.001, "GB", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "FIFO topic, payload of the subscription messages")
SNS_DELIVERY_TO_SQS_LAMBDA_PER_MILLION = Price(0.0, "1M deliveries", "https://aws.amazon.com/sns/pricing/", "2026-12-01", "free: a standard topic charges no delivery fee to SQS queues or Lambda functions (data transfer only; FIFO topics bill subscription messages instead)")

# --- Amazon EventBridge ---
EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION = Price(1.00, "1M events", "https://aws.amazon.com/eventbridge/pricing/", "2026-12-01", "custom events published to any bus; each 64 KB chunk is one event; AWS service events are free")
EVENTBRIDGE_PIPES_REQUESTS_PER_MILLION = Price(0.40, "1M requests", "https://aws.amazon.com/eventbridge/pricing/", "2026-12-01", "requests left after the pipe's filter; each 64 KB chunk is one request")
EVENTBRIDGE_ARCHIVE_PROCESSING_PER_GB = Price(0.10, "GB", "https://aws.amazon.com/eventbridge/pricing/", "2026-12-01", "events written to an archive")
EVENTBRIDGE_ARCHIVE_STORAGE_GB_MONTH = Price(0.023, "GB-month", "https://aws.amazon.com/eventbridge/pricing/", "2026-12-01", "archived events kept")
EVENTBRIDGE_SCHEDULER_INVOCATIONS_PER_MILLION = Price(1.00, "1M invocations", "https://aws.amazon.com/eventbridge/pricing/", "2026-12-01", "EventBridge Scheduler; the 14 million free a month not applied")

# --- AWS Step Functions ---
SFN_STANDARD_TRANSITIONS_PER_THOUSAND = Price(0.025, "1K state transitions", "https://aws.amazon.com/step-functions/pricing/", "2026-12-01", "Standard workflows; the 4,000 free a month not applied")
SFN_EXPRESS_REQUESTS_PER_MILLION = Price(1.00, "1M requests", "https://aws.amazon.com/step-functions/pricing/", "2026-12-01", "Express workflows, executions started")
SFN_EXPRESS_DURATION_GB_SECOND = Price(0.00001667, "GB-second", "https://aws.amazon.com/step-functions/pricing/", "2026-12-01", "Express workflows, first tier; duration rounded up to 100 ms and memory billed in 64 MB chunks")

# --- AWS Lambda durable functions (on top of the function's requests and duration) ---
#: Read 2026-12-07 from copies of https://aws.amazon.com/lambda/pricing/ (its rate tables render
#: client-side): https://www.thecandidstartup.org/2026/01/12/aws-lambda-durable-functions.html and
#: api-evangelist/aws-lambda plans/aws-lambda-plans-pricing.yml (2026-09-20, "$8.00/M").
LAMBDA_DURABLE_OPERATIONS_PER_MILLION = Price(8.00, "1M operations", "https://aws.amazon.com/lambda/pricing/", "2026-12-07", "durable operations: each step, wait, callback and retry attempt; no free tier exists; read from a copy of the page")
LAMBDA_DURABLE_DATA_WRITTEN_GB = Price(0.25, "GB", "https://aws.amazon.com/lambda/pricing/", "2026-12-07", "data the durable operations persist (checkpointed results, inputs, errors); read from a copy of the page")
LAMBDA_DURABLE_DATA_RETAINED_GB_MONTH = Price(0.15, "GB-month", "https://aws.amazon.com/lambda/pricing/", "2026-12-07", "execution data kept while running and for the retention period after; read from a copy of the page")

# --- Lambda provisioned pollers and Managed Instances ---
#: Read 2026-12-07 from a copy of https://aws.amazon.com/lambda/pricing/ (its "Provisioned Mode for
#: Event Source Mapping" and "Lambda Managed Instances" sections and their us-east-1 examples).
LAMBDA_SQS_EPU_HOUR = Price(0.00925, "EPU-hour", "https://aws.amazon.com/lambda/pricing/", "2026-12-07", "provisioned mode of an SQS event source mapping: one Event Poller Unit per event poller (at least 2), per second with a 1-minute minimum; read from a copy of the page")
#: Lambda Managed Instances add this share of the EC2 on-demand price of each instance as a management fee.
LAMBDA_MANAGED_INSTANCES_FEE_SHARE = 0.15
#: EC2 on-demand (Linux) hourly prices of the instance types the cost command prices Managed Instances with.
EC2_ON_DEMAND_HOUR: dict[str, Price] = {
    "m7g.xlarge": Price(0.1632, "hour", "https://aws.amazon.com/ec2/pricing/on-demand/", "2026-12-07", "Linux on-demand, 4 vCPU 16 GiB Graviton3; the figure of the Managed Instances example on https://aws.amazon.com/lambda/pricing/"),
    "m7g.large": Price(0.0816, "hour", "https://aws.amazon.com/ec2/pricing/on-demand/", "2026-12-07", "Linux on-demand, 2 vCPU 8 GiB Graviton3; half of m7g.xlarge (sizes in a family are priced linearly), not confirmed on the page itself"),
}
#: Instances a capacity provider keeps when nothing else is known: Lambda launches three for
#: Availability Zone resiliency (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-best-practices.html).
MANAGED_INSTANCES_DEFAULT_INSTANCES = 3
MANAGED_INSTANCES_DEFAULT_TYPE = "m7g.xlarge"

# --- Amazon DynamoDB (on-demand, Standard table class; request prices after the November 2024 50 % cut) ---
DYNAMODB_WRITE_REQUEST_UNITS_PER_MILLION = Price(0.625, "1M write request units", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "one unit per 1 KB written; transactional writes take two")
DYNAMODB_READ_REQUEST_UNITS_PER_MILLION = Price(0.125, "1M read request units", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "one unit per 4 KB strongly consistent read; eventually consistent takes half, transactional two")
DYNAMODB_STORAGE_GB_MONTH = Price(0.25, "GB-month", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "Standard table class; the 25 GB free a month not applied")
DYNAMODB_PITR_GB_MONTH = Price(0.20, "GB-month", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "continuous backups (point-in-time recovery), table data plus local secondary indexes")
DYNAMODB_BACKUP_GB_MONTH = Price(0.10, "GB-month", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "on-demand backup, warm storage; AWS Backup warm storage for DynamoDB assumed the same (AWS Backup rate not confirmed in stored sources)")
DYNAMODB_STREAMS_READ_REQUEST_UNITS_PER_MILLION = Price(0.20, "1M streams read request units", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "$0.02 per 100,000 GetRecords calls; the 2.5 million free a month not applied; reads by Lambda triggers are free")
DYNAMODB_STREAMS_LAMBDA_READS_PER_MILLION = Price(0.0, "1M streams read request units", "https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-12-01", "free: GetRecords calls made by Lambda triggers (and by global tables) are not charged")

# --- Amazon Kinesis Data Streams ---
KINESIS_ON_DEMAND_STREAM_HOUR = Price(0.04, "stream-hour", "https://aws.amazon.com/kinesis/data-streams/pricing/", "2026-12-01", "on-demand Standard mode, billed while the stream exists, traffic or not")
KINESIS_ON_DEMAND_INGEST_PER_GB = Price(0.08, "GB", "https://aws.amazon.com/kinesis/data-streams/pricing/", "2026-12-01", "on-demand Standard data in; each record rounded up to 1 KB")
KINESIS_ON_DEMAND_RETRIEVAL_PER_GB = Price(0.04, "GB", "https://aws.amazon.com/kinesis/data-streams/pricing/", "2026-12-01", "on-demand Standard data out, shared-throughput consumers")
KINESIS_SHARD_HOUR = Price(0.015, "shard-hour", "https://aws.amazon.com/kinesis/data-streams/pricing/", "2026-12-01", "provisioned mode, 24-hour retention")
KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION = Price(0.014, "1M PUT payload units", "https://aws.amazon.com/kinesis/data-streams/pricing/", "2026-12-01", "provisioned mode; one unit per 25 KB of a record")

# --- Amazon CloudWatch ---
CLOUDWATCH_ALARM_STANDARD_METRIC_MONTH = Price(0.10, "alarm metric-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "standard resolution (60 s), per metric the alarm evaluates; the 10 free not applied")
CLOUDWATCH_ALARM_HIGH_RESOLUTION_METRIC_MONTH = Price(0.30, "alarm metric-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "high resolution (10 s), per metric the alarm evaluates")
CLOUDWATCH_ALARM_COMPOSITE_MONTH = Price(0.50, "alarm-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "composite alarm")
CLOUDWATCH_DASHBOARD_MONTH = Price(3.00, "dashboard-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "the 3 free dashboards not applied")
CLOUDWATCH_LOGS_INGESTION_PER_GB = Price(0.50, "GB", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "Standard log class, first tier; the 5 GB free not applied")
CLOUDWATCH_LOGS_STORAGE_GB_MONTH = Price(0.03, "GB-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "archived (compressed) log data")
CLOUDWATCH_CUSTOM_METRIC_MONTH = Price(0.30, "metric-month", "https://aws.amazon.com/cloudwatch/pricing/", "2026-12-01", "first 10,000 metrics tier; the 10 free not applied")

# --- AWS X-Ray ---
XRAY_TRACES_RECORDED_PER_MILLION = Price(5.00, "1M traces", "https://aws.amazon.com/xray/pricing/", "2026-12-01", "traces recorded; the 100,000 free a month not applied")
XRAY_TRACES_RETRIEVED_PER_MILLION = Price(0.50, "1M traces", "https://aws.amazon.com/xray/pricing/", "2026-12-01", "traces retrieved or scanned; the 1 million free a month not applied")

# --- AWS KMS ---
KMS_KEY_MONTH = Price(1.00, "month", "https://aws.amazon.com/kms/pricing/", "2026-12-01", "customer managed key (AWS managed keys cost nothing a month)")
KMS_REQUESTS_PER_10K = Price(0.03, "10K requests", "https://aws.amazon.com/kms/pricing/", "2026-12-01", "symmetric key requests; the 20,000 free a month not applied")

# --- AWS WAF ---
WAF_WEB_ACL_MONTH = Price(5.00, "month", "https://aws.amazon.com/waf/pricing/", "2026-12-01", "per web ACL, prorated hourly")
WAF_RULE_MONTH = Price(1.00, "month", "https://aws.amazon.com/waf/pricing/", "2026-12-01", "per rule or rule group in a web ACL, prorated hourly")
WAF_REQUESTS_PER_MILLION = Price(0.60, "1M requests", "https://aws.amazon.com/waf/pricing/", "2026-12-01", "requests inspected by a web ACL")

# --- Amazon Cognito user pools (Lite / Essentials / Plus feature plans since November 2024) ---
COGNITO_LITE_MAU = Price(0.0055, "MAU", "https://aws.amazon.com/cognito/pricing/", "2026-12-01", "Lite, first paid band (10,001-100,000 MAU); first 10,000 MAU free (COGNITO_LITE_FREE_MAU), not applied")
COGNITO_ESSENTIALS_MAU = Price(0.015, "MAU", "https://aws.amazon.com/cognito/pricing/", "2026-12-01", "Essentials (the default plan for new pools); first 10,000 MAU free (COGNITO_ESSENTIALS_FREE_MAU), not applied")
COGNITO_PLUS_MAU = Price(0.02, "MAU", "https://aws.amazon.com/cognito/pricing/", "2026-12-01", "Plus (threat protection); no free MAUs")
#: Monthly active users each plan includes free (direct sign-in, not SAML/OIDC federation).
COGNITO_LITE_FREE_MAU = 10_000
COGNITO_ESSENTIALS_FREE_MAU = 10_000
COGNITO_PLUS_FREE_MAU = 0

# --- Amazon CloudFront ---
CLOUDFRONT_DATA_TRANSFER_OUT_PER_GB = Price(0.085, "GB", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "to the internet, first 10 TB a month tier, United States/Mexico/Canada and Europe; free tier not applied")
CLOUDFRONT_HTTPS_REQUESTS_PER_10K = Price(0.0100, "10K requests", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "HTTPS, United States/Mexico/Canada")
CLOUDFRONT_HTTP_REQUESTS_PER_10K = Price(0.0075, "10K requests", "https://aws.amazon.com/cloudfront/pricing/", "2026-12-01", "HTTP, United States/Mexico/Canada")

# --- Amazon S3 Standard ---
S3_STANDARD_STORAGE_GB_MONTH = Price(0.023, "GB-month", "https://aws.amazon.com/s3/pricing/", "2026-12-01", "first 50 TB a month tier")
S3_PUT_REQUESTS_PER_1K = Price(0.005, "1K requests", "https://aws.amazon.com/s3/pricing/", "2026-12-01", "PUT, COPY, POST, LIST")
S3_GET_REQUESTS_PER_1K = Price(0.0004, "1K requests", "https://aws.amazon.com/s3/pricing/", "2026-12-01", "GET, SELECT and all other requests")

# --- AWS Secrets Manager and Amazon Route 53 ---
SECRETS_MANAGER_SECRET_MONTH = Price(0.40, "month", "https://aws.amazon.com/secrets-manager/pricing/", "2026-12-01", "per secret")
ROUTE53_HOSTED_ZONE_MONTH = Price(0.50, "month", "https://aws.amazon.com/route53/pricing/", "2026-12-01", "per hosted zone, first 25 zones tier")

# --- Amazon VPC (functions in a VPC) ---
NAT_GATEWAY_HOUR = Price(0.045, "hour", "https://aws.amazon.com/vpc/pricing/", "2026-12-01", "per NAT gateway, billed while it exists; us-east-1 figure as quoted by third-party pages (cloudburn, 2026-02)")
NAT_GATEWAY_DATA_PER_GB = Price(0.045, "GB", "https://aws.amazon.com/vpc/pricing/", "2026-12-01", "data processed by a NAT gateway, both directions, on top of data transfer")
PUBLIC_IPV4_HOUR = Price(0.005, "hour", "https://aws.amazon.com/vpc/pricing/", "2026-12-01", "per public IPv4 address (an Elastic IP, attached or not), since February 2024")
VPC_INTERFACE_ENDPOINT_AZ_HOUR = Price(0.01, "hour", "https://aws.amazon.com/privatelink/pricing/", "2026-12-01", "per interface VPC endpoint per Availability Zone; gateway endpoints (S3, DynamoDB) are free")

#: Every price above by its constant's name (the cache sizes as ``API_REST_CACHE_HOUR[<size>]``).
ALL: dict[str, Price] = {
    "LAMBDA_REQUESTS_PER_MILLION": LAMBDA_REQUESTS_PER_MILLION,
    "LAMBDA_DURATION_X86_GB_SECOND": LAMBDA_DURATION_X86_GB_SECOND,
    "LAMBDA_DURATION_ARM_GB_SECOND": LAMBDA_DURATION_ARM_GB_SECOND,
    "LAMBDA_PROVISIONED_X86_GB_SECOND": LAMBDA_PROVISIONED_X86_GB_SECOND,
    "LAMBDA_PROVISIONED_ARM_GB_SECOND": LAMBDA_PROVISIONED_ARM_GB_SECOND,
    "LAMBDA_PROVISIONED_DURATION_X86_GB_SECOND": LAMBDA_PROVISIONED_DURATION_X86_GB_SECOND,
    "LAMBDA_PROVISIONED_DURATION_ARM_GB_SECOND": LAMBDA_PROVISIONED_DURATION_ARM_GB_SECOND,
    "LAMBDA_EPHEMERAL_STORAGE_GB_SECOND": LAMBDA_EPHEMERAL_STORAGE_GB_SECOND,
    "LAMBDA_EDGE_REQUESTS_PER_MILLION": LAMBDA_EDGE_REQUESTS_PER_MILLION,
    "LAMBDA_EDGE_DURATION_GB_SECOND": LAMBDA_EDGE_DURATION_GB_SECOND,
    "CLOUDFRONT_FUNCTIONS_INVOCATIONS_PER_MILLION": CLOUDFRONT_FUNCTIONS_INVOCATIONS_PER_MILLION,
    "API_REST_REQUESTS_PER_MILLION": API_REST_REQUESTS_PER_MILLION,
    "API_HTTP_REQUESTS_PER_MILLION": API_HTTP_REQUESTS_PER_MILLION,
    **{f"API_REST_CACHE_HOUR[{size}]": price for size, price in API_REST_CACHE_HOUR.items()},
    "SQS_STANDARD_REQUESTS_PER_MILLION": SQS_STANDARD_REQUESTS_PER_MILLION,
    "SQS_FIFO_REQUESTS_PER_MILLION": SQS_FIFO_REQUESTS_PER_MILLION,
    "SNS_STANDARD_PUBLISHES_PER_MILLION": SNS_STANDARD_PUBLISHES_PER_MILLION,
    "SNS_FIFO_PUBLISHES_PER_MILLION": SNS_FIFO_PUBLISHES_PER_MILLION,
    "SNS_FIFO_PUBLISH_PAYLOAD_PER_GB": SNS_FIFO_PUBLISH_PAYLOAD_PER_GB,
    "SNS_FIFO_SUBSCRIPTION_MESSAGES_PER_MILLION": SNS_FIFO_SUBSCRIPTION_MESSAGES_PER_MILLION,
    "SNS_FIFO_SUBSCRIPTION_PAYLOAD_PER_GB": SNS_FIFO_SUBSCRIPTION_PAYLOAD_PER_GB,
    "SNS_DELIVERY_TO_SQS_LAMBDA_PER_MILLION": SNS_DELIVERY_TO_SQS_LAMBDA_PER_MILLION,
    "EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION": EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION,
    "EVENTBRIDGE_PIPES_REQUESTS_PER_MILLION": EVENTBRIDGE_PIPES_REQUESTS_PER_MILLION,
    "EVENTBRIDGE_ARCHIVE_PROCESSING_PER_GB": EVENTBRIDGE_ARCHIVE_PROCESSING_PER_GB,
    "EVENTBRIDGE_ARCHIVE_STORAGE_GB_MONTH": EVENTBRIDGE_ARCHIVE_STORAGE_GB_MONTH,
    "EVENTBRIDGE_SCHEDULER_INVOCATIONS_PER_MILLION": EVENTBRIDGE_SCHEDULER_INVOCATIONS_PER_MILLION,
    "SFN_STANDARD_TRANSITIONS_PER_THOUSAND": SFN_STANDARD_TRANSITIONS_PER_THOUSAND,
    "SFN_EXPRESS_REQUESTS_PER_MILLION": SFN_EXPRESS_REQUESTS_PER_MILLION,
    "SFN_EXPRESS_DURATION_GB_SECOND": SFN_EXPRESS_DURATION_GB_SECOND,
    "LAMBDA_SQS_EPU_HOUR": LAMBDA_SQS_EPU_HOUR,
    **{f"EC2_ON_DEMAND_HOUR[{kind}]": price for kind, price in EC2_ON_DEMAND_HOUR.items()},
    "LAMBDA_DURABLE_OPERATIONS_PER_MILLION": LAMBDA_DURABLE_OPERATIONS_PER_MILLION,
    "LAMBDA_DURABLE_DATA_WRITTEN_GB": LAMBDA_DURABLE_DATA_WRITTEN_GB,
    "LAMBDA_DURABLE_DATA_RETAINED_GB_MONTH": LAMBDA_DURABLE_DATA_RETAINED_GB_MONTH,
    "DYNAMODB_WRITE_REQUEST_UNITS_PER_MILLION": DYNAMODB_WRITE_REQUEST_UNITS_PER_MILLION,
    "DYNAMODB_READ_REQUEST_UNITS_PER_MILLION": DYNAMODB_READ_REQUEST_UNITS_PER_MILLION,
    "DYNAMODB_STORAGE_GB_MONTH": DYNAMODB_STORAGE_GB_MONTH,
    "DYNAMODB_PITR_GB_MONTH": DYNAMODB_PITR_GB_MONTH,
    "DYNAMODB_BACKUP_GB_MONTH": DYNAMODB_BACKUP_GB_MONTH,
    "DYNAMODB_STREAMS_READ_REQUEST_UNITS_PER_MILLION": DYNAMODB_STREAMS_READ_REQUEST_UNITS_PER_MILLION,
    "DYNAMODB_STREAMS_LAMBDA_READS_PER_MILLION": DYNAMODB_STREAMS_LAMBDA_READS_PER_MILLION,
    "KINESIS_ON_DEMAND_STREAM_HOUR": KINESIS_ON_DEMAND_STREAM_HOUR,
    "KINESIS_ON_DEMAND_INGEST_PER_GB": KINESIS_ON_DEMAND_INGEST_PER_GB,
    "KINESIS_ON_DEMAND_RETRIEVAL_PER_GB": KINESIS_ON_DEMAND_RETRIEVAL_PER_GB,
    "KINESIS_SHARD_HOUR": KINESIS_SHARD_HOUR,
    "KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION": KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION,
    "CLOUDWATCH_ALARM_STANDARD_METRIC_MONTH": CLOUDWATCH_ALARM_STANDARD_METRIC_MONTH,
    "CLOUDWATCH_ALARM_HIGH_RESOLUTION_METRIC_MONTH": CLOUDWATCH_ALARM_HIGH_RESOLUTION_METRIC_MONTH,
    "CLOUDWATCH_ALARM_COMPOSITE_MONTH": CLOUDWATCH_ALARM_COMPOSITE_MONTH,
    "CLOUDWATCH_DASHBOARD_MONTH": CLOUDWATCH_DASHBOARD_MONTH,
    "CLOUDWATCH_LOGS_INGESTION_PER_GB": CLOUDWATCH_LOGS_INGESTION_PER_GB,
    "CLOUDWATCH_LOGS_STORAGE_GB_MONTH": CLOUDWATCH_LOGS_STORAGE_GB_MONTH,
    "CLOUDWATCH_CUSTOM_METRIC_MONTH": CLOUDWATCH_CUSTOM_METRIC_MONTH,
    "XRAY_TRACES_RECORDED_PER_MILLION": XRAY_TRACES_RECORDED_PER_MILLION,
    "XRAY_TRACES_RETRIEVED_PER_MILLION": XRAY_TRACES_RETRIEVED_PER_MILLION,
    "KMS_KEY_MONTH": KMS_KEY_MONTH,
    "KMS_REQUESTS_PER_10K": KMS_REQUESTS_PER_10K,
    "WAF_WEB_ACL_MONTH": WAF_WEB_ACL_MONTH,
    "WAF_RULE_MONTH": WAF_RULE_MONTH,
    "WAF_REQUESTS_PER_MILLION": WAF_REQUESTS_PER_MILLION,
    "COGNITO_LITE_MAU": COGNITO_LITE_MAU,
    "COGNITO_ESSENTIALS_MAU": COGNITO_ESSENTIALS_MAU,
    "COGNITO_PLUS_MAU": COGNITO_PLUS_MAU,
    "CLOUDFRONT_DATA_TRANSFER_OUT_PER_GB": CLOUDFRONT_DATA_TRANSFER_OUT_PER_GB,
    "CLOUDFRONT_HTTPS_REQUESTS_PER_10K": CLOUDFRONT_HTTPS_REQUESTS_PER_10K,
    "CLOUDFRONT_HTTP_REQUESTS_PER_10K": CLOUDFRONT_HTTP_REQUESTS_PER_10K,
    "S3_STANDARD_STORAGE_GB_MONTH": S3_STANDARD_STORAGE_GB_MONTH,
    "S3_PUT_REQUESTS_PER_1K": S3_PUT_REQUESTS_PER_1K,
    "S3_GET_REQUESTS_PER_1K": S3_GET_REQUESTS_PER_1K,
    "SECRETS_MANAGER_SECRET_MONTH": SECRETS_MANAGER_SECRET_MONTH,
    "ROUTE53_HOSTED_ZONE_MONTH": ROUTE53_HOSTED_ZONE_MONTH,
    "NAT_GATEWAY_HOUR": NAT_GATEWAY_HOUR,
    "NAT_GATEWAY_DATA_PER_GB": NAT_GATEWAY_DATA_PER_GB,
    "PUBLIC_IPV4_HOUR": PUBLIC_IPV4_HOUR,
    "VPC_INTERFACE_ENDPOINT_AZ_HOUR": VPC_INTERFACE_ENDPOINT_AZ_HOUR,
}
