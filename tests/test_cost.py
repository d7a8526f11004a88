"""``python -m cdk_serverless_patterns cost``: the estimate, its output and its errors."""

from __future__ import annotations

import json

import pytest

from cdk_serverless_patterns.tooling import prices as P
from cdk_serverless_patterns.tooling.cli import main
from cdk_serverless_patterns.tooling.cost import (
    FREE_TYPES,
    PRICED_TYPES,
    estimate_stack,
)
from cdk_serverless_patterns.tooling.traffic import Profile
from tests.test_traffic import fan_out_template, res


@pytest.fixture(scope="module")
def orders_api(synthesized_example):
    example = synthesized_example("orders_api")
    assert example.error is None
    return example


def lines(estimate, service=None):
    return {f"{x.service}: {x.item}": x for x in estimate.lines if service in (None, x.service)}


def test_hand_calculation_of_the_orders_api_agrees_within_one_percent(orders_api, capsys):
    """1 M requests/month, 120 ms: API Gateway REST + Lambda + DynamoDB, worked out by hand from the
    pricing pages: 5 routes share the requests (POST /orders, PUT /orders/{id} and DELETE /orders/{id}
    read and write, GET /orders and GET /orders/{id} read), 3 arm64 functions at 256 MB; 1 % of the
    invocations are cold starts whose 250 ms INIT is billed (on-demand, since August 2025)."""
    api = 1_000_000 * 3.50 / 1e6
    lambda_requests = 1_000_000 * 0.20 / 1e6
    lambda_compute = 1_000_000 * 0.120 * 256 / 1024 * 0.0000133334
    lambda_init = 1_000_000 * 0.01 * 0.250 * 256 / 1024 * 0.0000133334
    reads = 5 * 200_000 * 0.125 / 1e6
    writes = 3 * 200_000 * 0.625 / 1e6
    by_hand = api + lambda_requests + lambda_compute + lambda_init + reads + writes  # $4.61
    assert main(["cost", "--json", "--stack", "OrdersApiExample", str(orders_api.outdir)]) == 0
    [stack] = json.loads(capsys.readouterr().out)["stacks"]
    from_tool = sum(
        x["usd"] for x in stack["lines"]
        if x["service"] in ("API Gateway", "Lambda") or x["item"].endswith("request units")
    )
    assert from_tool == pytest.approx(by_hand, rel=0.01)
    assert by_hand == pytest.approx(4.6083, abs=1e-3)


def test_the_orders_api_estimate_has_fixed_costs_drivers_and_the_arm64_saving(orders_api):
    [name] = orders_api.stack_names
    template = json.loads(orders_api.template_path(name).read_text())
    e = estimate_stack(name, template)
    fixed = {k: x.usd for k, x in lines(e).items() if x.fixed}
    count = lambda t: sum(1 for r in template["Resources"].values() if r["Type"] == t)
    assert fixed["KMS: customer managed keys"] == count("AWS::KMS::Key") * P.KMS_KEY_MONTH.usd
    # each metric an alarm reads is billed: the two error alarms of each function read Errors and Invocations
    alarms = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    metrics = sum(sum(1 for m in a["Metrics"] if "MetricStat" in m) if "Metrics" in a else 1 for a in alarms)
    assert metrics == len(alarms) + 2 * 3  # the two error alarms of each of the three functions read two metrics
    assert fixed["CloudWatch: alarms (standard resolution)"] == pytest.approx(metrics * 0.10)
    assert fixed["WAF: web ACLs"] == 5.00  # the web ACL on by default
    assert e.fixed_usd == pytest.approx(sum(fixed.values()))
    # the Cognito Plus plan (threat protection, no free MAUs) is the biggest line at 1,000 MAU
    assert e.drivers()[0].item.endswith("Plus plan") and e.drivers()[0].usd == pytest.approx(20.0)
    assert len(e.drivers()) == 3 and e.drivers()[0].usd >= e.drivers()[1].usd >= e.drivers()[2].usd
    # arm64: 20 % off the GB-second price, so 20 % of the x86_64 compute
    assert e.arm64_saving_pct == pytest.approx(20.0, abs=0.01)
    gb_seconds = 1_000_000 * (0.12 + 0.01 * 0.25) * 0.25  # invoke + INIT of the 1 % cold starts
    assert e.arm64_saving_usd == pytest.approx(gb_seconds * (0.0000166667 - 0.0000133334))
    assert not e.not_priced


def test_an_unknown_resource_type_is_listed_not_priced():
    template = fan_out_template()
    template["Resources"]["Custom"] = {"Type": "Custom::Thing", "Properties": {}}
    template["Resources"]["Db"] = {"Type": "AWS::RDS::DBInstance", "Properties": {}}
    e = estimate_stack("App", template)
    assert e.not_priced == {"Custom::Thing": ["Custom"], "AWS::RDS::DBInstance": ["Db"]}
    assert not PRICED_TYPES & FREE_TYPES


def test_fixed_costs_at_zero_traffic():
    template = {"Resources": {
        "Stream": res("AWS::Kinesis::Stream", "Clicks/Stream", StreamModeDetails={"StreamMode": "ON_DEMAND"}),
        "Shards": res("AWS::Kinesis::Stream", "Clicks/Shards", ShardCount=2),
        "Acl": res("AWS::WAFv2::WebACL", "Api/Acl", Rules=[{}, {}, {}]),
        "Key": res("AWS::KMS::Key", "Key"),
        "Dash": res("AWS::CloudWatch::Dashboard", "Dash"),
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Fn": res("AWS::Lambda::Function", "Fn", MemorySize=1024, Architectures=["arm64"], Role={"Fn::GetAtt": ["Role", "Arn"]}),
        "Alias": res("AWS::Lambda::Alias", "Alias", FunctionName={"Ref": "Fn"},
                     ProvisionedConcurrencyConfig={"ProvisionedConcurrentExecutions": 2}),
    }}
    e = estimate_stack("App", template, Profile(requests_per_month=0))
    fixed = {k: x.usd for k, x in lines(e).items() if x.fixed}
    assert fixed == pytest.approx({
        "Kinesis: Clicks/Stream: on-demand stream": 730 * 0.04,
        "Kinesis: Clicks/Shards: shards": 2 * 730 * 0.015,
        "WAF: web ACLs": 5.0, "WAF: rules and rule groups": 3.0,
        "KMS: customer managed keys": 1.0, "CloudWatch: dashboards": 3.0,
        "Lambda: provisioned concurrency (arm64, 1024 MB)": 2 * 730 * 3600 * 0.0000033334,
    })
    assert e.variable_usd == 0


def test_sqs_requests_idle_polling_fifo_and_kms():
    e = estimate_stack("App", fan_out_template(FifoQueue=True, KmsMasterKeyId={"Ref": "Key"}),
                       Profile(requests_per_month=1_000_000))
    by_item = lines(e)
    # send + receive + delete for each message (one message per batch by default)
    assert by_item["SQS: FIFO queue requests"].quantity == 3_000_000
    assert by_item["SQS: FIFO queue requests"].usd == pytest.approx(3 * 0.50)
    # one mapping: five 20-second long polls at a time, all month
    assert by_item["SQS: idle long polls by Lambda pollers"].quantity == pytest.approx(5 * 730 * 3600 / 20)
    assert by_item["SQS: idle long polls by Lambda pollers"].fixed
    # per 300-second data key reuse period: two calls for the sender (the topic), one for the consumer
    assert by_item["KMS: requests (SQS data keys)"].quantity == pytest.approx(3 * 730 * 3600 / 300)


def test_a_profile_file_changes_the_estimate(orders_api, tmp_path, capsys):
    profile = tmp_path / "traffic.json"
    profile.write_text(json.dumps({"paths": {"OrdersApiExample/Orders/Api": {"routes": {"GET /orders": 9, "POST /orders": 1}},
                                             "OrdersApiExample/Orders/UserPool": {"monthly_active_users": 50}}}))
    assert main(["cost", "--json", "--profile", str(profile), "--requests-per-month", "2000000", str(orders_api.outdir)]) == 0
    [stack] = json.loads(capsys.readouterr().out)["stacks"]
    by_item = {x["item"]: x for x in stack["lines"]}
    assert by_item["Orders/Table: write request units"]["quantity"] == pytest.approx(200_000)  # POST only
    assert by_item["Orders/UserPool: Plus plan"]["usd"] == pytest.approx(1.0)


def test_text_output(orders_api, capsys):
    assert main(["cost", str(orders_api.outdir), "--avg-duration-ms", "50"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Monthly estimate: us-east-1 list prices checked 2026-12-07, no free tier; 1,000,000 requests/month")
    assert "50 ms per invocation" in out
    assert "OrdersApiExample: $" in out and "(at zero traffic)" in out
    assert "top cost drivers: Cognito Orders/UserPool: Plus plan $20.00" in out
    assert "arm64 saving: $" in out and "fixed    KMS: customer managed keys" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["cost", "{missing}"], "is not a cloud assembly directory"),
        (["cost", "--stack", "Nope", "{outdir}"], "error: no stack 'Nope' in the assembly; its stacks are: OrdersApiExample"),
        (["diagram", "--stack", "Nope", "{outdir}"], "error: no stack 'Nope'"),
        (["cost", "--profile", "{missing}/p.json", "{outdir}"], "p.json does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(orders_api, tmp_path, capsys, argv, message):
    argv = [a.format(missing=tmp_path / "nothing", outdir=orders_api.outdir) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_fixed_is_the_cost_at_zero_requests():
    template = fan_out_template()
    template["Resources"]["Pool"] = res("AWS::Cognito::UserPool", "Jobs/Pool", UserPoolTier="PLUS")
    idle = estimate_stack("App", template, Profile(requests_per_month=0))
    busy = estimate_stack("App", template, Profile(requests_per_month=2_000_000))
    assert idle.variable_usd == 0 and idle.total_usd == pytest.approx(busy.fixed_usd)
    # users follow the requests unless the profile states them (then they are billed whatever the traffic)
    assert lines(busy)["Cognito: Jobs/Pool: Plus plan"].quantity == 2000
    stated = estimate_stack("App", template, Profile(requests_per_month=0, paths={"App/Jobs/Pool": {"monthly_active_users": 500}}))
    assert stated.fixed_usd == pytest.approx(500 * 0.02 + idle.fixed_usd)


def test_xray_counts_one_trace_per_request_where_it_starts():
    template = fan_out_template()
    for lid in ("Submit", "Worker"):
        template["Resources"][lid]["Properties"]["TracingConfig"] = {"Mode": "Active"}
    e = estimate_stack("App", template, Profile(requests_per_month=1_000_000))
    # the worker continues Submit's trace (through SNS and SQS): 1 M traces, not 2 M
    assert lines(e)["X-Ray: traces recorded (default sampling)"].quantity == 1_000_000


def test_markdown_and_json_show_what_is_not_priced_and_the_total(tmp_path, capsys):
    template = fan_out_template()
    template["Resources"]["Db"] = {"Type": "AWS::RDS::DBInstance", "Properties": {}}
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    assert main(["cost", "--format", "markdown", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("| AWS::RDS::DBInstance x1 |")
    assert main(["cost", "--json", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["not_priced"] == 1 and data["total"]["total_usd"] == data["stacks"][0]["total_usd"]


def test_a_profile_path_that_names_nothing_is_an_error(orders_api, tmp_path, capsys):
    profile = tmp_path / "typo.json"
    profile.write_text(json.dumps({"paths": {"OrdersApiExample/Order": {"item_kb": 2}}}))
    assert main(["cost", "--profile", str(profile), str(orders_api.outdir)]) == 2
    assert "profile path 'OrdersApiExample/Order' names no resource" in capsys.readouterr().err


def test_x86_functions_show_what_arm64_would_save():
    template = fan_out_template()
    template["Resources"]["Worker"]["Properties"]["Architectures"] = ["x86_64"]
    e = estimate_stack("App", template, Profile(requests_per_month=1_000_000))
    worker_x86 = 1_000_000 * (0.12 + 0.01 * 0.25) * 0.25 * 0.0000166667  # invoke + INIT of 1 % cold starts
    assert e.arm64_potential_usd == pytest.approx(worker_x86 * 0.2, rel=1e-3)


def test_init_of_on_demand_cold_starts_is_billed_from_the_profile():
    """INIT is billed like INVOKE for on-demand functions since 2025-08-01: cold_start_rate x
    init_duration_ms per invocation; not for provisioned concurrency, SnapStart or Managed Instances."""
    template = fan_out_template()
    profile = Profile(requests_per_month=1_000_000, paths={"App/Jobs/Worker": {"cold_start_rate": 0.05,
                                                                               "init_duration_ms": 800}})
    [init] = [x for x in estimate_stack("App", template, profile).lines if x.item.startswith("INIT compute")]
    # fn() is 256 MB arm64: Submit at the default 1 % x 250 ms, Worker at 5 % x 800 ms
    by_hand = 1_000_000 * (0.01 * 0.25 + 0.05 * 0.8) * 256 / 1024
    assert init.item == "INIT compute, on-demand cold starts (arm64)" and init.quantity == pytest.approx(by_hand)
    assert init.usd == pytest.approx(by_hand * P.LAMBDA_DURATION_ARM_GB_SECOND.usd) and not init.fixed
    template["Resources"]["SubmitAlias"]["Properties"]["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": 1}
    template["Resources"]["Worker"]["Properties"]["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    assert not [x for x in estimate_stack("App", template, profile).lines if x.item.startswith("INIT compute")]


def test_each_function_shows_its_memory_cost_at_half_and_double(capsys):
    template = fan_out_template()
    template["Resources"]["Submit"]["Properties"].update(MemorySize=128, Architectures=["x86_64"])
    template["Resources"]["Worker"]["Properties"].update(MemorySize=10240)
    e = estimate_stack("App", template, Profile(requests_per_month=1_000_000))
    by_name = {m.function: m for m in e.memory}
    submit, worker = by_name["Jobs/Submit"], by_name["Jobs/Worker"]
    assert (submit.memory_mb, submit.arch, submit.avg_duration_ms) == (128, "x86_64", 120)
    assert submit.gb_seconds == pytest.approx(1_000_000 * (0.12 + 0.01 * 0.25) * 128 / 1024)
    assert submit.usd == pytest.approx(submit.gb_seconds * P.LAMBDA_DURATION_X86_GB_SECOND.usd)
    assert submit.half_usd is None and submit.double_usd == pytest.approx(2 * submit.usd)  # 64 MB is not allowed
    assert worker.half_usd == pytest.approx(worker.usd / 2) and worker.double_usd is None  # 20,480 MB neither
    from cdk_serverless_patterns.tooling import cost_report

    out = cost_report.text([e])
    assert "same duration assumed" in out and "64 MB n/a" in out and "20480 MB n/a" in out
    [stack] = json.loads(cost_report.as_json([e]))["stacks"]
    assert {m["function"] for m in stack["memory"]} == {"Jobs/Submit", "Jobs/Worker"}


def test_a_vpc_prices_its_nat_gateways_and_addresses_and_lists_nothing_as_unknown(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2

    from cdk_serverless_patterns.tooling.assembly import stacks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Net", env=cdk.Environment(account="111111111111", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    vpc.add_interface_endpoint("Sqs", service=ec2.InterfaceVpcEndpointAwsService.SQS)
    app.synth()
    [net] = stacks(tmp_path)
    e = estimate_stack(net.path, net.template(), Profile(requests_per_month=0))
    by_item = lines(e)
    assert by_item["VPC: NAT gateways"].usd == pytest.approx(730 * 0.045)
    assert by_item["VPC: public IPv4 addresses"].usd == pytest.approx(730 * 0.005)
    assert by_item["VPC: interface endpoints (per Availability Zone)"].quantity == 2 * 730
    assert e.not_priced == {} and any("NAT gateway data processing" in n for n in e.notes)


def test_traffic_volumes_show_what_a_profile_did(orders_api, tmp_path, capsys):
    profile = tmp_path / "traffic.json"
    profile.write_text(json.dumps({"paths": {"OrdersApiExample/Orders/Api": {"routes": {"GET /orders": 3, "POST /orders": 1}}}}))
    assert main(["cost", "--traffic", "--profile", str(profile), str(orders_api.outdir)]) == 0
    out = capsys.readouterr().out
    assert "traffic per month" in out
    assert [line.split()[-1] for line in out.splitlines() if line.strip().startswith("Lambda Orders/PostOrders")] == ["250,000"]
    assert main(["cost", "--json", "--profile", str(profile), str(orders_api.outdir)]) == 0
    volumes = {v["path"]: v for v in json.loads(capsys.readouterr().out)["stacks"][0]["traffic"]}
    assert volumes["OrdersApiExample/Orders/GetOrders/Function"]["invocations"] == 750_000
    assert volumes["OrdersApiExample/Orders/Api"]["units"] == 1_000_000


def test_item_size_sets_request_units_and_unknown_sizing_is_noted():
    template = fan_out_template()
    template["Resources"]["Worker"]["Properties"]["Architectures"] = [{"Ref": "Arch"}]
    profile = Profile(requests_per_month=1000, paths={"App/Jobs/Table": {"item_kb": 10}})
    e = estimate_stack("App", template, profile)
    by_item = lines(e)
    # a 10 KB item: 10 write units per write, 3 read units (4 KB each) per strongly consistent read
    assert by_item["DynamoDB: Jobs/Table: write request units"].quantity == 10_000
    assert by_item["DynamoDB: Jobs/Table: read request units"].quantity == 3_000
    assert any("Jobs/Worker: Architectures only known at deploy time; priced as 256 MB x86_64" in n for n in e.notes)


def test_lines_of_the_same_item_add_up():
    from cdk_serverless_patterns.tooling.cost_model import Pricer
    from cdk_serverless_patterns.tooling.graph import build_graph
    from cdk_serverless_patterns.tooling.traffic import propagate

    g = build_graph("App", fan_out_template())
    p = Pricer(g, propagate(g, Profile()))
    p.add("CloudWatch", "log ingestion: API access logs", 1.0, "GB", P.CLOUDWATCH_LOGS_INGESTION_PER_GB, 1)
    p.add("CloudWatch", "log ingestion: API access logs", 2.0, "GB", P.CLOUDWATCH_LOGS_INGESTION_PER_GB, 1)
    [line] = p.estimate.lines
    assert line.quantity == 3.0 and line.usd == pytest.approx(1.5)


def test_text_leaves_out_a_saving_under_half_a_cent_and_empty_tables():
    from cdk_serverless_patterns.tooling.cost_model import CostLine, StackEstimate
    from cdk_serverless_patterns.tooling.cost_report import text

    tiny = StackEstimate("Tiny", Profile(), lines=[
        CostLine("Lambda", "Fn: compute (arm64)", 0.004, "GB-seconds", 0.0001, False),
        CostLine("SQS", "Q: requests", 0, "requests", 0.0, False),
    ], lambda_compute_x86_usd=0.004, volumes=[("Tiny/Fn", "Lambda", 0.001, 0.0)])
    empty = StackEstimate("Empty", Profile(), not_priced={"AWS::RDS::DBInstance": ["Db"]})
    bare = StackEstimate("Bare", Profile())
    out = text([tiny, empty, bare], volumes=True)
    assert "arm64 saving" not in out  # $0.0039: it would show as $0.00
    [compute] = [line.split()[-3:] for line in out.splitlines() if "GB-seconds" in line]
    [requests] = [line.split()[-3:] for line in out.splitlines() if "Q: requests" in line]
    assert compute == ["<0.01", "GB-seconds", "0.00"] and requests == ["0", "requests", "0.00"]
    assert [line.split()[-1] for line in out.splitlines() if "Lambda Fn" in line] == ["<0.01"]
    empty_part = out.split("Empty: ")[1].split("Bare: ")[0]
    assert "quantity" not in empty_part and "invocations" not in empty_part and "top cost drivers" not in empty_part
    assert "  traffic per month: none" in empty_part
    assert "  no billable resources (of the types priced)" in empty_part
    assert "not priced: AWS::RDS::DBInstance x1 (Db)" in empty_part
    bare_part = out.split("Bare: ")[1]
    assert bare_part.split("\n\n")[0].splitlines()[1:] == ["  no billable resources", "  traffic per month: none"]


def test_durable_operations_follow_the_declared_calls_and_the_failure_rate():
    from tests.test_traffic import durable_saga_template

    def operations(profile):
        [line] = [x for x in estimate_stack("App", durable_saga_template(), profile).lines
                  if x.service == "Lambda durable functions" and "operations" in x.item]
        return line

    happy = operations(Profile(requests_per_month=1_000_000))
    assert happy.item == "Saga/Orchestrator: operations (2 per execution)" and happy.quantity == pytest.approx(2_000_000)
    failing = operations(Profile(requests_per_month=1_000_000, defaults={"failure_rate": 0.05}))
    assert failing.item == "Saga/Orchestrator: operations (2.1 per execution)" and failing.quantity == pytest.approx(2_100_000)
