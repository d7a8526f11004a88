"""A monthly cost estimate of synthesized templates: fixed charges plus traffic-driven ones.

**Fixed** (billed whether or not traffic flows, per month of 730 hours): KMS
customer managed keys, CloudWatch alarms and dashboards, Kinesis streams
(on-demand stream-hours or provisioned shard-hours), WAF web ACLs and their
rules, API Gateway caches, Lambda provisioned concurrency, Secrets Manager
secrets, Route 53 hosted zones.

**Variable** under :class:`Assumptions` (the same traffic for every function,
as the README's cost table assumes): Lambda requests and GB-seconds (arm64 or
x86_64 as built), API Gateway requests (REST or HTTP) and WAF requests, one per
invocation of the API's functions.

Not priced: data transfer, storage (S3, DynamoDB, logs), DynamoDB/SQS/SNS/
EventBridge/Step Functions request charges (they depend on what handlers do),
Cognito monthly active users, and the free tier. Prices are the us-east-1 list
prices on the AWS pricing pages (aws.amazon.com/<service>/pricing), first tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

HOURS_PER_MONTH = 730

#: Lambda: per million requests, and per GB-second by architecture.
REQUEST_PRICE_PER_MILLION = 0.20
GB_SECOND_PRICE = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PROVISIONED_GB_SECOND_PRICE = {"x86_64": 0.0000041667, "arm64": 0.0000033334}
KMS_KEY_MONTH = 1.00
ALARM_METRIC_MONTH = 0.10  # standard resolution, per metric the alarm evaluates
DASHBOARD_MONTH = 3.00
KINESIS_ON_DEMAND_STREAM_HOUR = 0.04
KINESIS_SHARD_HOUR = 0.015
WAF_WEB_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
WAF_REQUEST_PRICE_PER_MILLION = 0.60
API_REST_PRICE_PER_MILLION = 3.50
API_HTTP_PRICE_PER_MILLION = 1.00
#: API Gateway cache, USD per hour by size (GB).
API_CACHE_HOUR = {"0.5": 0.02, "1.6": 0.038, "6.1": 0.20, "13.5": 0.25, "28.4": 0.50, "58.2": 1.00, "118": 1.90, "237": 3.80}
SECRET_MONTH = 0.40
HOSTED_ZONE_MONTH = 0.50


@dataclass(frozen=True)
class Assumptions:
    """Traffic assumed for every function of a stack (and for the API in front of it)."""

    invocations_per_month: int = 1_000_000
    average_duration_ms: float = 120.0


@dataclass(frozen=True)
class StackCost:
    """Lambda's share of a stack's cost (the README's arm64-vs-x86 comparison)."""

    functions: int
    requests_usd: float
    compute_as_built_usd: float
    compute_x86_usd: float

    @property
    def total_as_built_usd(self) -> float:
        return self.requests_usd + self.compute_as_built_usd

    @property
    def total_x86_usd(self) -> float:
        return self.requests_usd + self.compute_x86_usd

    @property
    def saving_pct(self) -> float:
        return 0.0 if not self.total_x86_usd else 100 * (1 - self.total_as_built_usd / self.total_x86_usd)


@dataclass(frozen=True)
class CostLine:
    """One priced item: what, how many, and USD per month."""

    item: str
    quantity: float
    usd: float


@dataclass(frozen=True)
class MonthlyEstimate:
    """Fixed and variable lines of one template."""

    fixed: list[CostLine] = field(default_factory=list)
    variable: list[CostLine] = field(default_factory=list)

    @property
    def fixed_usd(self) -> float:
        return sum(line.usd for line in self.fixed)

    @property
    def variable_usd(self) -> float:
        return sum(line.usd for line in self.variable)

    @property
    def total_usd(self) -> float:
        return self.fixed_usd + self.variable_usd


def _resources(template: Mapping[str, Any], cfn_type: str) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for logical_id, res in (template.get("Resources") or {}).items():
        if isinstance(res, Mapping) and res.get("Type") == cfn_type:
            props = res.get("Properties")
            out.append((logical_id, props if isinstance(props, Mapping) else {}))
    return out


def _number(value: Any, default: float) -> float:
    """A literal number, or ``default`` for a token (a Ref/parameter unknown until deploy)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def lambda_functions(template: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(memory MB, architecture) of every Lambda function in ``template``.

    Lambda's defaults apply where a property is absent (128 MB, x86_64).
    """
    return [_memory_and_arch(props) for _, props in _resources(template, "AWS::Lambda::Function")]


def _memory_and_arch(props: Mapping[str, Any]) -> tuple[int, str]:
    arch = (props.get("Architectures") or ["x86_64"])[0]
    return int(_number(props.get("MemorySize"), 128)), arch if arch in GB_SECOND_PRICE else "x86_64"


def stack_cost(template: Mapping[str, Any], assumptions: Assumptions = Assumptions()) -> StackCost:
    """Lambda requests and compute of ``template``, as built and as if every function ran on x86_64."""
    functions = lambda_functions(template)
    seconds = assumptions.invocations_per_month * assumptions.average_duration_ms / 1000
    requests = len(functions) * assumptions.invocations_per_month / 1e6 * REQUEST_PRICE_PER_MILLION
    as_built = sum(seconds * memory / 1024 * GB_SECOND_PRICE[arch] for memory, arch in functions)
    x86 = sum(seconds * memory / 1024 * GB_SECOND_PRICE["x86_64"] for memory, _ in functions)
    return StackCost(len(functions), requests, as_built, x86)


def monthly_estimate(template: Mapping[str, Any], assumptions: Assumptions = Assumptions()) -> MonthlyEstimate:
    """Fixed and variable monthly cost of ``template`` (see the module docstring for what is priced)."""
    fixed: list[CostLine] = []
    variable: list[CostLine] = []

    def add(lines: list[CostLine], item: str, quantity: float, usd: float) -> None:
        if quantity:
            lines.append(CostLine(item, quantity, usd))

    keys = len(_resources(template, "AWS::KMS::Key"))
    add(fixed, "KMS keys", keys, keys * KMS_KEY_MONTH)
    alarm_metrics = sum(len(p.get("Metrics") or []) or 1 for _, p in _resources(template, "AWS::CloudWatch::Alarm"))
    add(fixed, "CloudWatch alarm metrics", alarm_metrics, alarm_metrics * ALARM_METRIC_MONTH)
    dashboards = len(_resources(template, "AWS::CloudWatch::Dashboard"))
    add(fixed, "CloudWatch dashboards", dashboards, dashboards * DASHBOARD_MONTH)

    streams = _resources(template, "AWS::Kinesis::Stream")
    on_demand = [p for _, p in streams if (p.get("StreamModeDetails") or {}).get("StreamMode") == "ON_DEMAND"]
    shards = sum(_number(p.get("ShardCount"), 1) for _, p in streams if p not in on_demand)
    add(fixed, "Kinesis on-demand streams", len(on_demand), len(on_demand) * KINESIS_ON_DEMAND_STREAM_HOUR * HOURS_PER_MONTH)
    add(fixed, "Kinesis provisioned shards", shards, shards * KINESIS_SHARD_HOUR * HOURS_PER_MONTH)

    acls = _resources(template, "AWS::WAFv2::WebACL")
    rules = sum(len(p.get("Rules") or []) for _, p in acls)
    add(fixed, "WAF web ACLs", len(acls), len(acls) * WAF_WEB_ACL_MONTH)
    add(fixed, "WAF rules", rules, rules * WAF_RULE_MONTH)

    for _, stage in _resources(template, "AWS::ApiGateway::Stage"):
        if stage.get("CacheClusterEnabled") is True:
            size = str(stage.get("CacheClusterSize", "0.5"))
            add(fixed, f"API Gateway cache ({size} GB)", 1, API_CACHE_HOUR.get(size, 0.02) * HOURS_PER_MONTH)

    functions = dict(_resources(template, "AWS::Lambda::Function"))
    for cfn_type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        for _, props in _resources(template, cfn_type):
            config = props.get("ProvisionedConcurrencyConfig") or {}
            count = _number(config.get("ProvisionedConcurrentExecutions"), 0)
            memory, arch = _memory_and_arch(functions.get(_ref(props.get("FunctionName")), {}))
            seconds = HOURS_PER_MONTH * 3600
            add(fixed, f"Lambda provisioned concurrency ({arch}, {memory} MB)", count,
                count * memory / 1024 * seconds * PROVISIONED_GB_SECOND_PRICE[arch])

    secrets = len(_resources(template, "AWS::SecretsManager::Secret"))
    add(fixed, "Secrets Manager secrets", secrets, secrets * SECRET_MONTH)
    zones = len(_resources(template, "AWS::Route53::HostedZone"))
    add(fixed, "Route 53 hosted zones", zones, zones * HOSTED_ZONE_MONTH)

    lam = stack_cost(template, assumptions)
    millions = assumptions.invocations_per_month / 1e6
    how_many = f"{lam.functions} function{'' if lam.functions == 1 else 's'}"
    add(variable, f"Lambda requests ({how_many} x {millions:g} M)", lam.functions * millions, lam.requests_usd)
    add(variable, f"Lambda compute ({assumptions.average_duration_ms:g} ms average)", lam.functions, lam.compute_as_built_usd)
    rest = len(_resources(template, "AWS::ApiGateway::RestApi"))
    http = len(_resources(template, "AWS::ApiGatewayV2::Api"))
    add(variable, f"API Gateway REST requests ({millions:g} M per API)", rest * millions, rest * millions * API_REST_PRICE_PER_MILLION)
    add(variable, f"API Gateway HTTP requests ({millions:g} M per API)", http * millions, http * millions * API_HTTP_PRICE_PER_MILLION)
    add(variable, f"WAF requests ({millions:g} M per web ACL)", len(acls) * millions,
        len(acls) * millions * WAF_REQUEST_PRICE_PER_MILLION)
    return MonthlyEstimate(fixed, variable)


def _ref(value: Any) -> str:
    """The logical id a ``Ref``/``GetAtt`` points to (``""`` for anything else)."""
    if isinstance(value, Mapping):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    return ""


def format_estimate(rows: list[tuple[str, MonthlyEstimate]], assumptions: Assumptions) -> str:
    """Per stack: every fixed and variable line, subtotals; then the total of all stacks."""
    lines = [
        f"Monthly estimate, us-east-1 list prices, no free tier; traffic: {assumptions.invocations_per_month:,} "
        f"invocations x {assumptions.average_duration_ms:g} ms per function (and per API). "
        "Not priced: data transfer, storage, DynamoDB/SQS/SNS/EventBridge/Step Functions requests."
    ]
    for stack, estimate in rows:
        lines.append("")
        lines.append(f"{stack}: ${estimate.total_usd:,.2f}/month (fixed ${estimate.fixed_usd:,.2f} + variable ${estimate.variable_usd:,.2f})")
        for kind, items in (("fixed", estimate.fixed), ("variable", estimate.variable)):
            for line in items:
                lines.append(f"  {kind:<8} {line.item:<52} {line.quantity:>10g}  ${line.usd:>10,.2f}")
    total = sum(e.total_usd for _, e in rows)
    fixed = sum(e.fixed_usd for _, e in rows)
    lines.append("")
    lines.append(f"total: ${total:,.2f}/month (fixed ${fixed:,.2f} + variable ${total - fixed:,.2f})")
    return "\n".join(lines)
