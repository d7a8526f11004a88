"""The 2026 compute options: provisioned pollers, tenant isolation, Managed Instances, SnapStart
through the alias; their template, their cost lines and one test per forbidden combination."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    ApiType,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    FunctionUrlEndpoint,
    Invocation,
    ManagedInstances,
    ProvisionedPollers,
    ServerlessFunction,
    TenantIsolation,
)
from cdk_serverless_patterns.tooling import prices as P
from cdk_serverless_patterns.tooling.cost import estimate_stack
from tests.support import HANDLER_DIR, config_error

CAPACITY_PROVIDER_ARN = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:steady"


def spec(**changes: object) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler").replace(**changes)


def capacity_provider(stack: cdk.Stack) -> lambda_.ICapacityProvider:
    return lambda_.CapacityProvider.from_capacity_provider_arn(stack, "CapacityProvider", CAPACITY_PROVIDER_ARN)


@pytest.fixture(scope="module")
def template() -> dict:
    stack = cdk.Stack(cdk.App(), "Compute")
    ServerlessFunction(stack, "Snap", spec(snap_start=True))
    ServerlessFunction(
        stack,
        "Steady",
        spec(memory_size=2048, managed_instances=ManagedInstances(capacity_provider(stack), 32, 4)),
    )
    ApiBackend(
        stack,
        "Tenants",
        routes={"GET /reports": spec(tenant_isolation=TenantIsolation.header("X-Tenant-Id"))},
        auth=ApiAuth.iam(),
    )
    FanOutFanIn(
        stack,
        "Jobs",
        workers={"resize": spec()},
        aggregator=spec(),
        provisioned_pollers=ProvisionedPollers(minimum=2, maximum=20),
    )
    EventProcessing(stack, "Uploads", processor=spec(), buffer=True, provisioned_pollers=ProvisionedPollers(minimum=4))
    FanOutFanIn(stack, "PlainJobs", workers={"w": spec()}, aggregator=spec())  # every option left out
    return Template.from_stack(stack).to_json()


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# --- SnapStart through the alias ------------------------------------------------------------


def test_the_live_alias_points_at_the_published_snapstart_version(template):
    functions = {k: v for k, v in resources(template, "AWS::Lambda::Function").items() if k.startswith("Snap")}
    [(fn_id, fn)] = functions.items()
    assert fn["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert fn["Properties"]["Architectures"] == ["arm64"]  # Python SnapStart runs on Graviton too
    versions = {k: v for k, v in resources(template, "AWS::Lambda::Version").items()
                if v["Properties"]["FunctionName"] == {"Ref": fn_id}}
    [version_id] = versions
    [alias] = [a for a in resources(template, "AWS::Lambda::Alias").values()
               if a["Properties"]["FunctionName"] == {"Ref": fn_id}]
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}


# --- Managed Instances ------------------------------------------------------------------------


def test_managed_instances_set_the_capacity_provider_config(template):
    [fn] = [f for k, f in resources(template, "AWS::Lambda::Function").items() if k.startswith("Steady")]
    assert fn["Properties"]["CapacityProviderConfig"] == {
        "LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": CAPACITY_PROVIDER_ARN,
            "PerExecutionEnvironmentMaxConcurrency": 32,
            "ExecutionEnvironmentMemoryGiBPerVCpu": 4,
        }
    }


# --- tenant isolation ---------------------------------------------------------------------------


def test_a_tenant_isolated_route_maps_the_tenant_header_into_the_invoke(template):
    [fn] = [f for k, f in resources(template, "AWS::Lambda::Function").items() if k.startswith("Tenants")]
    assert fn["Properties"]["TenancyConfig"] == {"TenantIsolationMode": "PER_TENANT"}
    [method] = [m for m in resources(template, "AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "GET"]
    assert method["Properties"]["RequestParameters"] == {"method.request.header.X-Tenant-Id": True}
    assert method["Properties"]["Integration"]["RequestParameters"] == {
        "integration.request.header.X-Amz-Tenant-Id": "method.request.header.X-Tenant-Id"
    }


# --- provisioned pollers ------------------------------------------------------------------------


def test_provisioned_pollers_replace_the_default_maximum_concurrency(template):
    mappings = resources(template, "AWS::Lambda::EventSourceMapping").values()
    configs = sorted(
        (m["Properties"]["ProvisionedPollerConfig"]["MinimumPollers"],
         m["Properties"]["ProvisionedPollerConfig"]["MaximumPollers"], "ScalingConfig" in m["Properties"])
        for m in mappings if "ProvisionedPollerConfig" in m["Properties"]
    )
    assert configs == [(2, 20, False), (2, 20, False), (4, 200, False)]  # aggregator, worker, buffer


def test_options_left_out_change_nothing(template):
    plain = {k: v for k, v in template["Resources"].items() if k.startswith("PlainJobs")}
    for fn in (v for v in plain.values() if v["Type"] == "AWS::Lambda::Function"):
        assert not {"TenancyConfig", "CapacityProviderConfig", "SnapStart"} & set(fn["Properties"])
    mappings = [v["Properties"] for v in plain.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 2
    assert all("ProvisionedPollerConfig" not in m and m["ScalingConfig"] == {"MaximumConcurrency": 10} for m in mappings)


# --- cost -----------------------------------------------------------------------------------------


def test_managed_instances_name_their_concurrency_bound_for_the_compliance_packs(template):
    [fn] = [f for k, f in resources(template, "AWS::Lambda::Function").items() if k.startswith("Steady")]
    reasons = {r["id"]: r["reason"] for r in fn["Metadata"]["cdk_nag"]["rules_to_suppress"]}
    assert "capacity provider's instances" in reasons["NIST.800.53.R5-LambdaConcurrency"]
    assert "capacity provider's instances" in reasons["HIPAA.Security-LambdaConcurrency"]


def test_cost_prices_pollers_and_managed_instances_requests_only(template):
    estimate = estimate_stack("Compute", template)
    by_item = {f"{x.service}: {x.item}": x for x in estimate.lines}
    pollers = [x for k, x in by_item.items() if "provisioned pollers" in k]
    # two mappings of 2 pollers and one of 4, all month, $0.00925 per EPU-hour
    assert sum(x.usd for x in pollers) == pytest.approx((2 + 2 + 4) * 730 * 0.00925)
    assert all(x.fixed for x in pollers)


def test_cost_prices_a_capacity_provider_as_ec2_plus_the_management_fee():
    stack = cdk.Stack(cdk.App(), "Fleet")
    from aws_cdk import aws_ec2 as ec2

    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    provider = lambda_.CapacityProvider(
        stack, "Provider", subnets=vpc.isolated_subnets,
        security_groups=[ec2.SecurityGroup(stack, "Sg", vpc=vpc)],
    )
    ServerlessFunction(stack, "Fn", spec(memory_size=2048, managed_instances=ManagedInstances(provider)))
    e = estimate_stack("Fleet", Template.from_stack(stack).to_json())
    # items are named by the provider (its logical id here: Template.from_stack keeps no construct paths)
    fleet = {x.item.split(": ", 1)[1]: x for x in e.lines if x.service == "Lambda Managed Instances"}
    ec2_usd = 3 * 730 * P.EC2_ON_DEMAND_HOUR["m7g.xlarge"].usd
    assert sorted(fleet) == ["EC2 m7g.xlarge", "management fee (15 %)"], fleet
    assert fleet["EC2 m7g.xlarge"].usd == pytest.approx(ec2_usd)
    assert fleet["management fee (15 %)"].usd == pytest.approx(0.15 * ec2_usd)
    assert not any(x.service == "Lambda" and "compute" in x.item for x in e.lines)


# --- bad input: one test per forbidden combination --------------------------------------------


def _fn_error(s: FunctionSpec, **options: object) -> str:
    return str(config_error(ServerlessFunction, "Fn", spec=s, **options))


def test_tenant_isolation_with_a_queue_trigger():
    message = _fn_error(spec(tenant_isolation=TenantIsolation.header()), invocation=Invocation.EVENT_SOURCE)
    assert "spec.tenant_isolation=" in message and "queue and stream triggers" in message
    assert "ApiBackend REST routes" in message and "Fix:" in message


def test_tenant_isolation_in_a_fan_out_worker():
    error = config_error(FanOutFanIn, "Jobs", workers={"w": spec(tenant_isolation=TenantIsolation.header())},
                         aggregator=spec())
    assert "tenant_isolation" in str(error) and "event source mappings" in str(error)


def test_tenant_isolation_behind_a_function_url():
    message = str(config_error(FunctionUrlEndpoint, "Url", handler=spec(tenant_isolation=TenantIsolation.header())))
    assert "handler.tenant_isolation=" in message and "function URLs" in message


def test_tenant_isolation_on_an_http_api():
    message = str(config_error(ApiBackend, "Api", routes={"GET /r": spec(tenant_isolation=TenantIsolation.header())},
                               auth=ApiAuth.iam(), api_type=ApiType.HTTP))
    assert "tenant_isolation=" in message and "api_type=ApiType.REST" in message


def test_tenant_isolation_from_a_path_parameter_a_route_lacks():
    shared = spec(tenant_isolation=TenantIsolation.path("tenant"))
    message = str(config_error(ApiBackend, "Api", routes={"GET /{tenant}/r": shared, "GET /r": shared},
                               auth=ApiAuth.iam()))
    assert "{tenant} is missing from GET /r" in message


@pytest.mark.parametrize("other", [dict(provisioned_concurrency=1), dict(snap_start=True)])
def test_tenant_isolation_with_what_it_excludes(other):
    message = _fn_error(spec(tenant_isolation=TenantIsolation.header(), **other))
    [name] = other
    assert f"spec.{name}=" in message and "not with tenant_isolation" in message


def test_snap_start_with_provisioned_concurrency():
    message = _fn_error(spec(snap_start=True, provisioned_concurrency=2, reserved_concurrency=5))
    assert "spec.snap_start=True" in message and "snapstart.html" in message


@pytest.mark.parametrize("runtime", [lambda_.Runtime.PYTHON_3_11, lambda_.Runtime.NODEJS_22_X])
def test_snap_start_on_a_runtime_without_it(runtime):
    message = _fn_error(spec(snap_start=True, runtime=runtime))
    assert "spec.snap_start=True" in message and f"runtime is {runtime.name}" in message


def test_managed_instances_below_2_gb():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(Exception) as info:
        ServerlessFunction(stack, "Fn", spec(managed_instances=ManagedInstances(capacity_provider(stack))))
    assert "spec.memory_size=256" in str(info.value) and "at least 2048 MB" in str(info.value)


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(provisioned_concurrency=1), "spec.provisioned_concurrency=1"),
        (dict(snap_start=True), "spec.snap_start=True"),
        (dict(runtime=lambda_.Runtime.PYTHON_3_12), "spec.runtime='python3.12'"),
    ],
)
def test_managed_instances_with_what_they_exclude(changes, field):
    stack = cdk.Stack(cdk.App(), "V")
    managed = ManagedInstances(capacity_provider(stack))
    with pytest.raises(Exception) as info:
        ServerlessFunction(stack, "Fn", spec(memory_size=2048, managed_instances=managed, **changes))
    assert field in str(info.value) and "Fix:" in str(info.value)


@pytest.mark.parametrize(
    "changes, field",
    [(dict(max_concurrency_per_environment=0), "max_concurrency_per_environment=0"),
     (dict(memory_gib_per_vcpu=16.0), "memory_gib_per_vcpu=16.0"),
     (dict(memory_gib_per_vcpu=float("nan")), "memory_gib_per_vcpu=nan")],
)
def test_managed_instances_settings_out_of_range(changes, field):
    stack = cdk.Stack(cdk.App(), "V")
    managed = ManagedInstances(capacity_provider(stack), **changes)
    with pytest.raises(Exception) as info:
        ServerlessFunction(stack, "Fn", spec(memory_size=2048, managed_instances=managed))
    assert f"spec.managed_instances.{field}" in str(info.value)


def test_provisioned_pollers_with_maximum_concurrency():
    error = config_error(FanOutFanIn, "Jobs", workers={"w": spec()}, aggregator=spec(), max_concurrency=5,
                         provisioned_pollers=ProvisionedPollers())
    assert "max_concurrency=5" in str(error) and "exclude each other" in str(error)


@pytest.mark.parametrize(
    "pollers, field",
    [(ProvisionedPollers(minimum=1), "provisioned_pollers.minimum=1"),
     (ProvisionedPollers(maximum=2001), "provisioned_pollers.maximum=2001"),
     (ProvisionedPollers(minimum=50, maximum=10), "<= maximum (10)"),
     (ProvisionedPollers(minimum=True), "provisioned_pollers.minimum=True")],
)
def test_provisioned_pollers_out_of_range(pollers, field):
    error = config_error(FanOutFanIn, "Jobs", workers={"w": spec()}, aggregator=spec(), provisioned_pollers=pollers)
    assert field in str(error)


def test_provisioned_pollers_without_a_buffer():
    error = config_error(EventProcessing, "Uploads", processor=spec(), provisioned_pollers=ProvisionedPollers())
    assert "provisioned_pollers=" in str(error) and "only with buffer=True" in str(error)


def test_managed_instances_on_an_edge_function():
    from cdk_serverless_patterns import EdgeFunction

    stack = cdk.Stack(cdk.App(), "V", env=cdk.Environment(account="111111111111", region="us-east-1"))
    managed = ManagedInstances(capacity_provider(stack))
    with pytest.raises(Exception) as info:
        EdgeFunction(stack, "Edge", spec(memory_size=2048, managed_instances=managed))
    assert "spec.managed_instances=" in str(info.value) and "Lambda@Edge" in str(info.value)
