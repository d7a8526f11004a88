"""How each service is priced: one function per service family, each adding its lines to a
:class:`.cost_model.Pricer`. Which lines are fixed is decided by :func:`.cost.estimate`, which
prices the stack at zero requests too."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from . import prices as P
from .asl import definition, happy_path
from .cost_model import MemoryChoice, Pricer, memory_and_arch, number, short_name, unresolved_sizing
from .graph import Role, references
from .schedules import firings_per_month
from .traffic import alarm_topics, declared_calls

GB_PER_KB = 1 / (1024 * 1024)
#: Lambda's SQS pollers: five long polls (20 s) at a time on an idle queue, per event source mapping.
SQS_IDLE_RECEIVES_PER_MAPPING = 5 * P.SECONDS_PER_MONTH / 20
#: SQS and SNS reuse a data key for a reuse period (SQS: KmsDataKeyReusePeriodSeconds, default
#: 300 s; SNS: up to 5 minutes) per principal: a sender calls KMS about twice per period
#: (GenerateDataKey, Decrypt), a receiver once.
KMS_REUSE_SECONDS = 300
#: X-Ray's default sampling rule: the first request each second, then 5 %.
XRAY_RESERVOIR_PER_MONTH = P.SECONDS_PER_MONTH
XRAY_RATE = 0.05


# -- fixed --------------------------------------------------------------------------------------

def _alarm_metric_count(props: Mapping[str, Any]) -> int:
    """Alarm metrics CloudWatch bills for one alarm: each metric a metric-math alarm reads (its
    expressions are free), 3 per metric for an anomaly-detection alarm (the metric and the band's
    two bounds). https://aws.amazon.com/cloudwatch/pricing/ (alarms), checked 2026-12-07."""
    queries = props.get("Metrics") or []
    if not queries:
        return 1
    read = sum(1 for q in queries if isinstance(q, dict) and "MetricStat" in q) or 1
    anomaly = any("ANOMALY_DETECTION_BAND" in str(q.get("Expression", "")) for q in queries if isinstance(q, dict))
    return read * 3 if anomaly else read


def _fixed(p: Pricer) -> None:
    keys = [k for k in p.of_type("AWS::KMS::Key") if p.g.props(k).get("Enabled", True) is not False]
    p.add("KMS", "customer managed keys", len(keys), "keys", P.KMS_KEY_MONTH, 1)
    metrics = high = 0
    for lid in p.of_type("AWS::CloudWatch::Alarm"):
        props = p.g.props(lid)
        count = _alarm_metric_count(props)
        if int(number(props.get("Period"), 60)) < 60:
            high += count
        else:
            metrics += count
    p.add("CloudWatch", "alarms (standard resolution)", metrics, "alarm metrics", P.CLOUDWATCH_ALARM_STANDARD_METRIC_MONTH,
          1)
    p.add("CloudWatch", "alarms (high resolution)", high, "alarm metrics", P.CLOUDWATCH_ALARM_HIGH_RESOLUTION_METRIC_MONTH,
          1)
    filters = sum(len(p.g.props(f).get("MetricTransformations") or []) for f in p.of_type("AWS::Logs::MetricFilter"))
    p.add("CloudWatch", "custom metrics (log metric filters)", filters, "metrics", P.CLOUDWATCH_CUSTOM_METRIC_MONTH, 1)
    p.add("CloudWatch", "composite alarms", len(p.of_type("AWS::CloudWatch::CompositeAlarm")), "alarms",
          P.CLOUDWATCH_ALARM_COMPOSITE_MONTH, 1)
    p.add("CloudWatch", "dashboards", len(p.of_type("AWS::CloudWatch::Dashboard")), "dashboards",
          P.CLOUDWATCH_DASHBOARD_MONTH, 1)
    p.add("Secrets Manager", "secrets", len(p.of_type("AWS::SecretsManager::Secret")), "secrets",
          P.SECRETS_MANAGER_SECRET_MONTH, 1)
    p.add("Route 53", "hosted zones", len(p.of_type("AWS::Route53::HostedZone")), "zones",
          P.ROUTE53_HOSTED_ZONE_MONTH, 1)
    acls = p.of_type("AWS::WAFv2::WebACL")
    p.add("WAF", "web ACLs", len(acls), "web ACLs", P.WAF_WEB_ACL_MONTH, 1)
    rules = sum(len(p.g.props(a).get("Rules") or []) for a in acls)
    p.add("WAF", "rules and rule groups", rules, "rules", P.WAF_RULE_MONTH, 1)
    for lid in p.of_type("AWS::ApiGateway::Stage"):
        props = p.g.props(lid)
        if props.get("CacheClusterEnabled") is True:
            size = str(props.get("CacheClusterSize", "0.5"))
            price = P.API_REST_CACHE_HOUR.get(size, P.API_REST_CACHE_HOUR["0.5"])
            p.add("API Gateway", f"REST cache {size} GB", P.HOURS_PER_MONTH, "hours", price, 1)


def _streams(p: Pricer) -> None:
    for lid in p.of_type("AWS::Kinesis::Stream"):
        props = p.g.props(lid)
        name = short_name(p, lid)
        on_demand = (props.get("StreamModeDetails") or {}).get("StreamMode") == "ON_DEMAND"
        if on_demand:
            p.add("Kinesis", f"{name}: on-demand stream", P.HOURS_PER_MONTH, "stream-hours",
                  P.KINESIS_ON_DEMAND_STREAM_HOUR, 1)
        else:
            shards = number(props.get("ShardCount"), 1)
            p.add("Kinesis", f"{name}: shards", shards * P.HOURS_PER_MONTH, "shard-hours", P.KINESIS_SHARD_HOUR, 1)
        records = p.units(lid)
        gb = records * p.setting(lid, "record_kb") * GB_PER_KB
        consumers = max(1, len(p.g.outgoing(lid, "trigger")))
        if on_demand:
            p.add("Kinesis", f"{name}: data in", gb, "GB", P.KINESIS_ON_DEMAND_INGEST_PER_GB, 1)
            p.add("Kinesis", f"{name}: data out ({consumers} consumer(s))", gb * consumers, "GB",
                  P.KINESIS_ON_DEMAND_RETRIEVAL_PER_GB, 1)
        else:
            units = records * max(1.0, p.setting(lid, "record_kb") / 25)
            p.add("Kinesis", f"{name}: PUT payload units", units, "units", P.KINESIS_PUT_PAYLOAD_UNITS_PER_MILLION, 1e6)


def _provisioned(p: Pricer) -> None:
    for cfn_type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        for lid in p.of_type(cfn_type):
            props = p.g.props(lid)
            count = number((props.get("ProvisionedConcurrencyConfig") or {}).get("ProvisionedConcurrentExecutions"), 0)
            fn = next((r for r in references(props.get("FunctionName")) if r in p.g.nodes), "")
            memory, arch = memory_and_arch(p.g.props(fn))
            price = P.LAMBDA_PROVISIONED_ARM_GB_SECOND if arch == "arm64" else P.LAMBDA_PROVISIONED_X86_GB_SECOND
            p.add("Lambda", f"provisioned concurrency ({arch}, {memory} MB)", count * memory / 1024 * P.SECONDS_PER_MONTH,
                  "GB-s", price, 1)


# -- compute ------------------------------------------------------------------------------------

def _lambda(p: Pricer) -> None:
    at_edge = {e.target for e in p.g.edges if e.role == Role.EDGE_FUNCTION}
    not_on_demand = _not_on_demand(p)
    requests = {"regional": 0.0, "edge": 0.0}
    gb_s: dict[str, float] = {}
    init_gb_s: dict[str, float] = {}
    x86_usd = x86_built_usd = 0.0
    for lid in p.of_type("AWS::Lambda::Function"):
        invocations = p.t.invocations.get(lid, 0.0)
        memory, arch = memory_and_arch(p.g.props(lid))
        unknown = unresolved_sizing(p.g.props(lid))
        if unknown and invocations:
            p.estimate.notes.append(
                f"{short_name(p, lid)}: {' and '.join(unknown)} only known at deploy time; priced as "
                f"{memory} MB {arch}"
            )
        duration_ms = p.setting(lid, "avg_duration_ms")
        gb_seconds = invocations * duration_ms / 1000 * memory / 1024
        if lid in at_edge:  # Lambda@Edge: its own prices, x86_64 only
            requests["edge"] += invocations
            gb_s["edge"] = gb_s.get("edge", 0.0) + gb_seconds
            continue
        requests["regional"] += invocations
        if "CapacityProviderConfig" in p.g.props(lid):
            continue  # Managed Instances: EC2 instances and a management fee (_managed_instances), no GB-seconds
        init = 0.0 if lid in not_on_demand else _init_gb_seconds(p, lid, invocations, memory)
        gb_s[arch] = gb_s.get(arch, 0.0) + gb_seconds
        init_gb_s[arch] = init_gb_s.get(arch, 0.0) + init
        x86_usd += (gb_seconds + init) * P.LAMBDA_DURATION_X86_GB_SECOND.usd
        if arch == "x86_64":
            x86_built_usd += (gb_seconds + init) * P.LAMBDA_DURATION_X86_GB_SECOND.usd
        if invocations:
            p.estimate.memory.append(_memory_choice(p, lid, memory, arch, duration_ms, gb_seconds + init))
    p.add("Lambda", "requests", requests["regional"], "requests", P.LAMBDA_REQUESTS_PER_MILLION, 1e6)
    for arch, price in (("arm64", P.LAMBDA_DURATION_ARM_GB_SECOND), ("x86_64", P.LAMBDA_DURATION_X86_GB_SECOND)):
        p.add("Lambda", f"compute ({arch})", gb_s.get(arch, 0.0), "GB-s", price, 1)
        p.add("Lambda", f"INIT compute, on-demand cold starts ({arch})", init_gb_s.get(arch, 0.0), "GB-s", price, 1)
    p.add("Lambda@Edge", "requests", requests["edge"], "requests", P.LAMBDA_EDGE_REQUESTS_PER_MILLION, 1e6)
    p.add("Lambda@Edge", "compute", gb_s.get("edge", 0.0), "GB-s", P.LAMBDA_EDGE_DURATION_GB_SECOND, 1)
    p.estimate.lambda_compute_x86_usd = x86_usd
    p.estimate.x86_64_compute_usd = x86_built_usd
    kb = sum(p.t.invocations.get(f, 0.0) * p.setting(f, "log_kb_per_invocation") for f in p.of_type("AWS::Lambda::Function"))
    _logs(p, "function logs", kb, sum(requests.values()) > 0)


#: Lambda's memory range (MB): half or double outside it is not a choice.
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_MEMORY_MB = (128, 10240)


def _init_gb_seconds(p: Pricer, lid: str, invocations: float, memory: int) -> float:
    """GB-seconds of the INIT phases of an on-demand function: Lambda bills INIT like INVOKE since
    2025-08-01 (ZIP packages on managed runtimes included). The profile's ``cold_start_rate`` of the
    invocations start a new execution environment, each running ``init_duration_ms``."""
    cold_starts = invocations * p.setting(lid, "cold_start_rate")
    return cold_starts * p.setting(lid, "init_duration_ms") / 1000 * memory / 1024


def _not_on_demand(p: Pricer) -> set[str]:
    """Functions whose INIT is not billed per cold start: provisioned concurrency (initialised ahead,
    in the provisioned price) and SnapStart (restores are billed instead, not priced here); Lambda
    Managed Instances functions bill no GB-seconds at all (see :func:`_managed_instances`)."""
    out: set[str] = set()
    for cfn_type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        for lid in p.of_type(cfn_type):
            props = p.g.props(lid)
            if number((props.get("ProvisionedConcurrencyConfig") or {}).get("ProvisionedConcurrentExecutions"), 0) > 0:
                out.update(r for r in references(props.get("FunctionName")) if r in p.g.nodes)
    for lid in p.of_type("AWS::Lambda::Function"):
        props = p.g.props(lid)
        if (props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions":
            out.add(lid)
    return out


def _memory_choice(p: Pricer, lid: str, memory: int, arch: str, duration_ms: float, gb_seconds: float) -> MemoryChoice:
    price = (P.LAMBDA_DURATION_ARM_GB_SECOND if arch == "arm64" else P.LAMBDA_DURATION_X86_GB_SECOND).usd
    usd = gb_seconds * price
    low, high = LAMBDA_MEMORY_MB
    return MemoryChoice(
        short_name(p, lid), memory, arch, duration_ms, gb_seconds, usd,
        usd / 2 if memory / 2 >= low else None, usd * 2 if memory * 2 <= high else None,
    )


def _step_functions(p: Pricer) -> None:
    for lid in p.of_type("AWS::StepFunctions::StateMachine"):
        props, executions = p.g.props(lid), p.units(lid)
        name = short_name(p, lid)
        states = happy_path(definition(props))
        transitions = p.t.setting(lid, "transitions_per_execution")
        transitions = float(len(states) if transitions is None else transitions)
        if props.get("StateMachineType") == "EXPRESS":
            p.add("Step Functions", f"{name}: Express requests", executions, "executions",
                  P.SFN_EXPRESS_REQUESTS_PER_MILLION, 1e6)
            tasks = sum(1 for s in states if s.get("Type") == "Task") or 1
            seconds = max(0.1, tasks * p.setting(lid, "avg_duration_ms") / 1000)
            p.add("Step Functions", f"{name}: Express duration (64 MB)", executions * seconds * 64 / 1024, "GB-s",
                  P.SFN_EXPRESS_DURATION_GB_SECOND, 1)
        else:
            p.add("Step Functions", f"{name}: state transitions ({transitions:g} per execution)",
                  executions * transitions, "transitions", P.SFN_STANDARD_TRANSITIONS_PER_THOUSAND, 1e3)
        level = str((props.get("LoggingConfiguration") or {}).get("Level", "OFF"))
        if level != "OFF":
            kb = executions * transitions * 2 * p.setting(lid, "log_kb_per_request")
            _logs(p, f"{name} execution history (level {level})", kb, executions > 0)


def _durable_functions(p: Pricer) -> None:
    """Lambda durable functions: operations, data written and data retained, per execution (an
    execution is one invocation from outside; its replays are priced as Lambda requests)."""
    for lid in p.of_type("AWS::Lambda::Function"):
        config = p.g.props(lid).get("DurableConfig")
        executions = p.t.invocations.get(lid, 0.0)
        if not isinstance(config, dict) or not executions:
            continue
        name = short_name(p, lid)
        operations = p.t.setting(lid, "durable_operations_per_execution")
        if operations is None:
            calls = declared_calls(p.t, lid)
            invoked = {e.target for e in p.g.outgoing(lid) if e.carries_traffic}
            operations = sum(calls.values()) if calls else max(1, len(invoked))
        ops = executions * float(operations)
        written_gb = ops * p.setting(lid, "durable_kb_per_operation") * GB_PER_KB
        retention_days = number(config.get("RetentionPeriodInDays"), 14.0)
        p.add("Lambda durable functions", f"{name}: operations ({float(operations):g} per execution)", ops,
              "operations", P.LAMBDA_DURABLE_OPERATIONS_PER_MILLION, 1e6)
        p.add("Lambda durable functions", f"{name}: data written", written_gb, "GB", P.LAMBDA_DURABLE_DATA_WRITTEN_GB, 1)
        # steady state: each month's checkpoints stay for the retention period after their execution
        p.add("Lambda durable functions", f"{name}: data retained ({retention_days:g} days)",
              written_gb * retention_days / 30, "GB-month", P.LAMBDA_DURABLE_DATA_RETAINED_GB_MONTH, 1)


# -- front doors --------------------------------------------------------------------------------

def _apis(p: Pricer) -> None:
    for lid in p.of_type("AWS::ApiGateway::RestApi"):
        p.add("API Gateway", f"{p.g.nodes[lid].name}: REST requests", p.units(lid), "requests",
              P.API_REST_REQUESTS_PER_MILLION, 1e6)
    for lid in p.of_type("AWS::ApiGatewayV2::Api"):
        p.add("API Gateway", f"{p.g.nodes[lid].name}: HTTP requests", p.units(lid), "requests",
              P.API_HTTP_REQUESTS_PER_MILLION, 1e6)
    for cfn_type, api_key in (("AWS::ApiGateway::Stage", "RestApiId"), ("AWS::ApiGatewayV2::Stage", "ApiId")):
        for stage in p.of_type(cfn_type):
            props = p.g.props(stage)
            if props.get("AccessLogSetting") or props.get("AccessLogSettings"):
                requests = sum(p.units(a) for a in p.g.nodes_in(props.get(api_key)))
                kb = requests * p.setting(stage, "log_kb_per_request")
                _logs(p, "API access logs", kb, requests > 0)


def _waf(p: Pricer) -> None:
    protected: dict[str, float] = {}
    for lid in p.of_type("AWS::WAFv2::WebACLAssociation"):
        props = p.g.props(lid)
        for acl in references(props.get("WebACLArn")):
            protected[acl] = protected.get(acl, 0.0) + sum(p.units(n) for n in _api_of(p, props.get("ResourceArn")))
    for lid in p.of_type("AWS::CloudFront::Distribution"):
        config = p.g.props(lid).get("DistributionConfig") or {}
        for acl in references(config.get("WebACLId")):
            protected[acl] = protected.get(acl, 0.0) + p.units(lid)
    logged = {a for lc in p.of_type("AWS::WAFv2::LoggingConfiguration")
              for a in references(p.g.props(lc).get("ResourceArn"))}
    for acl, requests in sorted(protected.items()):
        p.add("WAF", "requests inspected", requests, "requests", P.WAF_REQUESTS_PER_MILLION, 1e6)
        if acl in logged:
            _logs(p, "WAF logs", requests * 3 * p.setting(acl, "log_kb_per_request"), requests > 0)


def _api_of(p: Pricer, value: Any) -> list[str]:
    """The APIs a stage ARN (``arn:...:/restapis/<api>/stages/<stage>``) names."""
    ids = set(references(value))
    for ref in list(ids):
        if p.g.type_of(ref) in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
            ids.update(references(p.g.props(ref).get("RestApiId") or p.g.props(ref).get("ApiId")))
    return [i for i in ids if p.g.type_of(i) in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")]


def _cloudfront(p: Pricer) -> None:
    for lid in p.of_type("AWS::CloudFront::Distribution"):
        requests, config = p.units(lid), p.g.props(lid).get("DistributionConfig") or {}
        p.add("CloudFront", "HTTPS requests", requests, "requests", P.CLOUDFRONT_HTTPS_REQUESTS_PER_10K, 1e4)
        gb = requests * p.setting(lid, "response_kb") * GB_PER_KB
        p.add("CloudFront", "data transfer out", gb, "GB", P.CLOUDFRONT_DATA_TRANSFER_OUT_PER_GB, 1)
        functions = sum(len(b.get("FunctionAssociations") or [])
                        for b in [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or [])])
        p.add("CloudFront Functions", "invocations", requests * functions, "invocations",
              P.CLOUDFRONT_FUNCTIONS_INVOCATIONS_PER_MILLION, 1e6)


def _cognito(p: Pricer) -> None:
    plans = {"LITE": P.COGNITO_LITE_MAU, "ESSENTIALS": P.COGNITO_ESSENTIALS_MAU, "PLUS": P.COGNITO_PLUS_MAU}
    for lid in p.of_type("AWS::Cognito::UserPool"):
        props = p.g.props(lid)
        plan = str(props.get("UserPoolTier") or "ESSENTIALS").upper()
        users = p.t.setting(lid, "monthly_active_users")
        users = p.t.profile.requests_per_month / 1000 if users is None else float(users)
        p.add("Cognito", f"{short_name(p, lid)}: {plan.title()} plan", users, "MAU", plans.get(plan, P.COGNITO_ESSENTIALS_MAU), 1)


# -- messaging ------------------------------------------------------------------------------------

def _sqs(p: Pricer) -> None:
    idle = 0.0
    fifo_requests = standard_requests = kms = 0.0
    for lid in p.of_type("AWS::SQS::Queue"):
        props, messages = p.g.props(lid), p.units(lid)
        consumers = [e.target for e in p.g.outgoing(lid, "trigger") if p.g.type_of(e.target) == "AWS::Lambda::Function"]
        batches = sum(messages / p.setting(c, "records_per_batch") for c in consumers)  # receives that return work
        requests = messages + 2 * batches  # send; receive and delete per batch
        if props.get("FifoQueue") is True:
            fifo_requests += requests
        else:
            standard_requests += requests
        idle += len(consumers) * SQS_IDLE_RECEIVES_PER_MAPPING
        if props.get("KmsMasterKeyId") and messages > 0:
            reuse = number(props.get("KmsDataKeyReusePeriodSeconds"), KMS_REUSE_SECONDS)
            senders = max(1, len(_senders(p, lid)))
            kms += (2 * senders + len(consumers)) * min(messages, P.SECONDS_PER_MONTH / reuse)
    p.add("SQS", "standard queue requests", standard_requests, "requests", P.SQS_STANDARD_REQUESTS_PER_MILLION, 1e6)
    p.add("SQS", "FIFO queue requests", fifo_requests, "requests", P.SQS_FIFO_REQUESTS_PER_MILLION, 1e6)
    p.add("SQS", "idle long polls by Lambda pollers", idle, "requests", P.SQS_STANDARD_REQUESTS_PER_MILLION, 1e6)
    p.add("KMS", "requests (SQS data keys)", kms, "requests", P.KMS_REQUESTS_PER_10K, 1e4)


def _senders(p: Pricer, lid: str) -> set[str]:
    """The principals that put messages on a queue or topic (functions, topics, rules...)."""
    return {e.source for e in p.g.incoming(lid) if e.carries_traffic}


def _sns(p: Pricer) -> None:
    quiet = alarm_topics(p.g)
    standard = fifo = kms = 0.0
    for lid in p.of_type("AWS::SNS::Topic"):
        if lid in quiet:
            continue
        props, messages = p.g.props(lid), p.units(lid)
        if props.get("FifoTopic") is True:
            fifo += messages
            subscriptions = len(p.g.outgoing(lid, "trigger"))
            p.add("SNS", f"{short_name(p, lid)}: FIFO subscription messages", messages * subscriptions, "messages",
                  P.SNS_FIFO_SUBSCRIPTION_MESSAGES_PER_MILLION, 1e6)
        else:
            standard += messages
        if props.get("KmsMasterKeyId"):
            publishers = max(1, len(_senders(p, lid)))
            kms += 2 * publishers * min(messages, P.SECONDS_PER_MONTH / KMS_REUSE_SECONDS)
    p.add("SNS", "standard publishes", standard, "publishes", P.SNS_STANDARD_PUBLISHES_PER_MILLION, 1e6)
    p.add("SNS", "FIFO publishes", fifo, "publishes", P.SNS_FIFO_PUBLISHES_PER_MILLION, 1e6)
    p.add("KMS", "requests (SNS encrypted topics)", kms, "requests", P.KMS_REQUESTS_PER_10K, 1e4)


def _eventbridge(p: Pricer) -> None:
    events = sum(p.units(b) for b in p.of_type("AWS::Events::EventBus"))
    p.add("EventBridge", "custom events", events, "events", P.EVENTBRIDGE_CUSTOM_EVENTS_PER_MILLION, 1e6)
    for lid in p.of_type("AWS::Events::Archive"):
        buses = [b for b in references(p.g.props(lid).get("SourceArn")) if p.g.type_of(b) == "AWS::Events::EventBus"]
        gb = sum(p.units(b) for b in buses) * p.setting(lid, "event_kb") * GB_PER_KB
        p.add("EventBridge", "archive: events written", gb, "GB", P.EVENTBRIDGE_ARCHIVE_PROCESSING_PER_GB, 1)
        p.add("EventBridge", "archive: storage (one month of events)", gb, "GB-month",
              P.EVENTBRIDGE_ARCHIVE_STORAGE_GB_MONTH, 1)
    p.add("EventBridge", "Pipes requests", sum(p.units(x) for x in p.of_type("AWS::Pipes::Pipe")), "requests",
          P.EVENTBRIDGE_PIPES_REQUESTS_PER_MILLION, 1e6)
    p.add("EventBridge", "Scheduler invocations", sum(p.units(s) for s in p.of_type("AWS::Scheduler::Schedule")),
          "invocations", P.EVENTBRIDGE_SCHEDULER_INVOCATIONS_PER_MILLION, 1e6)
    if p.of_type("AWS::Pipes::Pipe") and any(
        p.g.type_of(n) == "AWS::DynamoDB::Table" for x in p.of_type("AWS::Pipes::Pipe")
        for n in p.g.nodes_in(p.g.props(x).get("Source"))
    ):
        p.estimate.notes.append("DynamoDB Streams reads by EventBridge Pipes (GetRecords polling) are not priced")


# -- data ---------------------------------------------------------------------------------------

def _dynamodb(p: Pricer) -> None:
    backups = _backup_copies(p)
    for lid in p.of_type("AWS::DynamoDB::Table"):
        props, name = p.g.props(lid), short_name(p, lid)
        reads, writes = p.t.reads.get(lid, 0.0), p.t.writes.get(lid, 0.0)
        if props.get("BillingMode") != "PAY_PER_REQUEST":
            p.estimate.notes.append(f"{name}: provisioned capacity is not priced (only on-demand tables are)")
            continue
        item_kb = p.setting(lid, "item_kb")
        # on demand: a write takes one unit per KB, a strongly consistent read one per 4 KB
        p.add("DynamoDB", f"{name}: read request units", reads * math.ceil(max(item_kb, 1e-9) / 4), "RRU",
              P.DYNAMODB_READ_REQUEST_UNITS_PER_MILLION, 1e6)
        p.add("DynamoDB", f"{name}: write request units", writes * math.ceil(max(item_kb, 1e-9)), "WRU",
              P.DYNAMODB_WRITE_REQUEST_UNITS_PER_MILLION, 1e6)
        gb = writes * item_kb * GB_PER_KB
        p.add("DynamoDB", f"{name}: storage (one month of writes)", gb, "GB-month", P.DYNAMODB_STORAGE_GB_MONTH, 1)
        if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is True:
            p.add("DynamoDB", f"{name}: point-in-time recovery", gb, "GB-month", P.DYNAMODB_PITR_GB_MONTH, 1)
        if backups:
            p.add("DynamoDB", f"{name}: AWS Backup copies ({backups:g} kept)", gb * backups, "GB-month",
                  P.DYNAMODB_BACKUP_GB_MONTH, 1)


def _backup_copies(p: Pricer) -> float:
    """How many full copies the stack's AWS Backup plans keep (daily rules x DeleteAfterDays)."""
    copies = 0.0
    for lid in p.of_type("AWS::Backup::BackupPlan"):
        for rule in (p.g.props(lid).get("BackupPlan") or {}).get("BackupPlanRule") or []:
            days = number((rule.get("Lifecycle") or {}).get("DeleteAfterDays"), 35)
            runs = _runs_per_day(str(rule.get("ScheduleExpression", "cron(0 5 * * ? *)")))
            copies += days * runs
    return copies


def _runs_per_day(expression: str) -> float:
    return max(firings_per_month(expression) / (P.HOURS_PER_MONTH / 24), 0.0)


def _s3(p: Pricer) -> None:
    for lid in p.of_type("AWS::S3::Bucket"):
        name = short_name(p, lid)
        origin = any(e.role == Role.ORIGIN for e in p.g.incoming(lid))
        # an entry bucket's units are uploads; an origin bucket's units are CloudFront's fetches
        puts = p.t.writes.get(lid, 0.0) + (p.units(lid) if lid in p.t.entries else 0.0)
        gets = p.t.reads.get(lid, 0.0) + (p.units(lid) if origin else 0.0)
        p.add("S3", f"{name}: PUT requests", puts, "requests", P.S3_PUT_REQUESTS_PER_1K, 1e3)
        p.add("S3", f"{name}: GET requests", gets, "requests", P.S3_GET_REQUESTS_PER_1K, 1e3)
        gb = puts * p.setting(lid, "object_kb") * GB_PER_KB
        p.add("S3", f"{name}: storage (one month of writes)", gb, "GB-month", P.S3_STANDARD_STORAGE_GB_MONTH, 1)


# -- observability ------------------------------------------------------------------------------

def _logs(p: Pricer, item: str, kb: float, active: bool) -> None:
    if active:
        p.add("CloudWatch", f"log ingestion: {item}", kb * GB_PER_KB, "GB", P.CLOUDWATCH_LOGS_INGESTION_PER_GB, 1)


def _xray(p: Pricer) -> None:
    """One trace per request at each traced node no traced node feeds (the trace header travels on
    through SNS, SQS and EventBridge), under X-Ray's default sampling."""
    traced = {n for n in p.g.nodes if _traced(p, n)}
    downstream: set[str] = set()
    frontier = [e.target for e in p.g.edges if e.source in traced and e.carries_traffic]
    while frontier:
        node = frontier.pop()
        if node not in downstream:
            downstream.add(node)
            frontier.extend(e.target for e in p.g.outgoing(node) if e.carries_traffic)
    roots = traced - downstream
    requests = sum(p.t.invocations.get(n, p.units(n)) for n in roots)
    recorded = min(requests, XRAY_RESERVOIR_PER_MONTH) + XRAY_RATE * max(0.0, requests - XRAY_RESERVOIR_PER_MONTH)
    p.add("X-Ray", "traces recorded (default sampling)", recorded, "traces", P.XRAY_TRACES_RECORDED_PER_MILLION, 1e6)


def _traced(p: Pricer, lid: str) -> bool:
    kind, props = p.g.type_of(lid), p.g.props(lid)
    if kind == "AWS::Lambda::Function":
        return (props.get("TracingConfig") or {}).get("Mode") == "Active"
    if kind == "AWS::StepFunctions::StateMachine":
        return (props.get("TracingConfiguration") or {}).get("Enabled") is True
    if kind == "AWS::ApiGateway::RestApi":
        return any(
            p.g.props(s).get("TracingEnabled") is True and lid in references(p.g.props(s).get("RestApiId"))
            for s in p.of_type("AWS::ApiGateway::Stage")
        )
    return False


def _vpc(p: Pricer) -> None:
    """NAT gateways, public IPv4 addresses and interface endpoints: billed by the hour."""
    nats = p.of_type("AWS::EC2::NatGateway")
    p.add("VPC", "NAT gateways", len(nats) * P.HOURS_PER_MONTH, "hours", P.NAT_GATEWAY_HOUR, 1)
    p.add("VPC", "public IPv4 addresses", len(p.of_type("AWS::EC2::EIP")) * P.HOURS_PER_MONTH, "hours",
          P.PUBLIC_IPV4_HOUR, 1)
    endpoint_azs = sum(
        max(1, len(p.g.props(e).get("SubnetIds") or []))
        for e in p.of_type("AWS::EC2::VPCEndpoint")
        if p.g.props(e).get("VpcEndpointType") == "Interface"
    )
    p.add("VPC", "interface endpoints (per Availability Zone)", endpoint_azs * P.HOURS_PER_MONTH, "hours",
          P.VPC_INTERFACE_ENDPOINT_AZ_HOUR, 1)
    if endpoint_azs:
        p.estimate.notes.append(
            f"interface endpoint data processing (${P.VPC_INTERFACE_ENDPOINT_DATA_PER_GB.usd:g} per GB) is not "
            "priced: it depends on what the functions send and fetch (Secrets Manager and SSM reads are KBs)"
        )
    if nats:
        p.estimate.notes.append(
            f"NAT gateway data processing (${P.NAT_GATEWAY_DATA_PER_GB.usd:g} per GB) is not priced: it depends "
            "on what the functions fetch"
        )


def _provisioned_pollers(p: Pricer) -> None:
    """SQS event source mappings in provisioned mode: their minimum pollers, one EPU each, all month.
    Pollers added while scaling up are billed per second as used and are not in the estimate."""
    for lid in p.of_type("AWS::Lambda::EventSourceMapping"):
        config = p.g.props(lid).get("ProvisionedPollerConfig")
        if not isinstance(config, dict):
            continue
        pollers = number(config.get("MinimumPollers"), 2)
        p.add("Lambda", f"{short_name(p, lid)}: provisioned pollers (minimum {pollers:g})",
              pollers * P.HOURS_PER_MONTH, "EPU-hours", P.LAMBDA_SQS_EPU_HOUR, 1)
        p.estimate.notes.append(
            f"{short_name(p, lid)}: pollers above the minimum of {pollers:g} are billed as used "
            f"(${P.LAMBDA_SQS_EPU_HOUR.usd:g} per EPU-hour), not estimated"
        )


def _managed_instances(p: Pricer) -> None:
    """Capacity providers of Lambda Managed Instances: their EC2 instances at the on-demand price
    and Lambda's management fee on it (the functions pay requests only, priced in _lambda)."""
    for lid in p.of_type("AWS::Lambda::CapacityProvider"):
        allowed = ((p.g.props(lid).get("InstanceRequirements") or {}).get("AllowedInstanceTypes")) or []
        kind = next((k for k in allowed if k in P.EC2_ON_DEMAND_HOUR), P.MANAGED_INSTANCES_DEFAULT_TYPE)
        if kind not in allowed:
            p.estimate.notes.append(
                f"{short_name(p, lid)}: Lambda chooses the instance types; priced as "
                f"{P.MANAGED_INSTANCES_DEFAULT_INSTANCES} x {kind} on demand (Savings Plans and Reserved "
                "Instances lower the EC2 part, not the fee)"
            )
        hours = P.MANAGED_INSTANCES_DEFAULT_INSTANCES * P.HOURS_PER_MONTH
        price = P.EC2_ON_DEMAND_HOUR[kind]
        p.add("Lambda Managed Instances", f"{short_name(p, lid)}: EC2 {kind}", hours, "instance-hours", price, 1)
        fee = P.Price(price.usd * P.LAMBDA_MANAGED_INSTANCES_FEE_SHARE, "hour", "https://aws.amazon.com/lambda/pricing/",
                      price.checked, "15 % of the EC2 on-demand price")
        p.add("Lambda Managed Instances", f"{short_name(p, lid)}: management fee (15 %)", hours, "instance-hours", fee, 1)


PRICERS: list[Callable[[Pricer], None]] = [
    _fixed, _provisioned, _provisioned_pollers, _managed_instances, _streams, _apis, _cloudfront, _waf, _cognito, _lambda, _step_functions, _durable_functions,
    _sqs, _sns, _eventbridge, _dynamodb, _s3, _xray, _vpc,
]
