"""The resource graph and the traffic model behind ``cost`` and ``diagram`` (hand-written templates)."""

from __future__ import annotations

import json

import pytest

from cdk_serverless_patterns.tooling.graph import build_graph
from cdk_serverless_patterns.tooling.traffic import (
    Profile,
    ProfileError,
    firings_per_month,
    happy_path,
    propagate,
)


def res(kind, path, **props):
    return {"Type": kind, "Properties": props, "Metadata": {"aws:cdk:path": f"App/{path}/Resource"}}


def fn(path, role, memory=256):
    return res("AWS::Lambda::Function", path, Role={"Fn::GetAtt": [role, "Arn"]}, MemorySize=memory,
               Architectures=["arm64"])


def policy(role, *statements):
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "Roles": [{"Ref": role}], "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": list(actions), "Resource": {"Fn::GetAtt": [target, "Arn"]}}
            for actions, target in statements
        ]}}}


ROLE = {"Type": "AWS::IAM::Role", "Properties": {}}


def fan_out_template(**queue_props):
    """API -> Submit (publishes) -> Topic -> Queue -> Worker (writes Table)."""
    return {"Resources": {
        "Api": res("AWS::ApiGateway::RestApi", "Jobs/Api"),
        "Res": {"Type": "AWS::ApiGateway::Resource", "Properties": {"PathPart": "jobs", "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}}},
        "Post": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "HttpMethod": "POST", "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Res"},
            "Integration": {"Uri": {"Fn::Join": ["", ["arn:", {"Ref": "SubmitAlias"}, "/invocations"]]}}}},
        "SubmitRole": ROLE, "WorkerRole": ROLE,
        "Submit": fn("Jobs/Submit/Function", "SubmitRole"),
        "SubmitAlias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Submit"}}},
        "Topic": res("AWS::SNS::Topic", "Jobs/Topic"),
        "Queue": res("AWS::SQS::Queue", "Jobs/Queue", RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
                     **queue_props),
        "Dlq": res("AWS::SQS::Queue", "Jobs/Dlq"),
        "Sub": {"Type": "AWS::SNS::Subscription", "Properties": {"TopicArn": {"Ref": "Topic"}, "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]}}},
        "Worker": fn("Jobs/Worker/Function", "WorkerRole"),
        "Esm": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "FunctionName": {"Ref": "Worker"}}},
        "Table": res("AWS::DynamoDB::Table", "Jobs/Table", BillingMode="PAY_PER_REQUEST"),
        "SubmitPolicy": policy("SubmitRole", (["sns:Publish"], "Topic")),
        "WorkerPolicy": policy("WorkerRole", (["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Queue"),
                               (["dynamodb:PutItem", "dynamodb:GetItem"], "Table")),
    }}


def test_graph_edges_triggers_grants_and_failures():
    g = build_graph("App", fan_out_template())
    edges = {(e.source, e.label, e.target, e.kind) for e in g.edges}
    assert ("Api", "POST /jobs", "Submit", "trigger") in edges  # through the alias
    assert ("Submit", "publishes", "Topic", "data") in edges
    assert ("Topic", "subscription", "Queue", "trigger") in edges
    assert ("Queue", "polls", "Worker", "trigger") in edges
    assert ("Queue", "redrive", "Dlq", "failure") in edges
    assert ("Worker", "reads/writes", "Table", "data") in edges
    # the consumer's receive permission is its trigger, not a second edge
    assert not any(e.source == "Worker" and e.target == "Queue" for e in g.edges)
    assert g.nodes["Submit"].group == "Jobs" and g.nodes["Submit"].name == "Submit"  # "/Function" dropped


def test_traffic_follows_the_graph():
    t = propagate(build_graph("App", fan_out_template()), Profile(requests_per_month=1000))
    assert t.entries == ["Api"]
    assert t.units == pytest.approx({"Api": 1000, "Submit": 1000, "Topic": 1000, "Queue": 1000, "Worker": 1000})
    assert t.reads == {"Table": 1000} and t.writes == {"Table": 1000}
    assert "Dlq" not in t.units  # the happy path sends nothing to a dead-letter queue


def test_profile_per_path_multiplies_messages_and_batches():
    profile = Profile(requests_per_month=1000, paths={
        "App/Jobs/Submit": {"messages_per_event": 3},
        "App/Jobs/Worker": {"records_per_batch": 10, "writes_per_event": 2, "reads_per_event": 0},
    })
    t = propagate(build_graph("App", fan_out_template()), profile)
    assert t.units["Topic"] == 3000 and t.units["Queue"] == 3000
    # batching changes the invocations, not the work: each message is still written twice
    assert t.units["Worker"] == 3000 and t.invocations["Worker"] == pytest.approx(300)
    assert t.writes["Table"] == pytest.approx(6000) and t.reads["Table"] == 0


def test_longest_path_prefix_wins():
    profile = Profile(defaults={"item_kb": 2}, paths={"App/Jobs": {"item_kb": 3}, "App/Jobs/Table": {"item_kb": 4}})
    assert profile.setting("App/Jobs/Table", "item_kb") == 4
    assert profile.setting("App/Jobs/Queue", "item_kb") == 3
    assert profile.setting("App/Other", "item_kb") == 2
    assert profile.setting("App/JobsX/Queue", "item_kb") == 2  # a prefix is a whole path segment


def test_api_route_weights():
    template = fan_out_template()
    template["Resources"]["Get"] = {"Type": "AWS::ApiGateway::Method", "Properties": {
        "HttpMethod": "GET", "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Res"},
        "Integration": {"Uri": {"Fn::Join": ["", [{"Fn::GetAtt": ["Worker", "Arn"]}]]}}}}
    g = build_graph("App", template)
    even = propagate(g, Profile(requests_per_month=1000))
    assert even.units["Submit"] == 500
    weighted = propagate(g, Profile(requests_per_month=1000, paths={"App/Jobs/Api": {"routes": {"GET /jobs": 3, "POST /jobs": 1}}}))
    assert weighted.units["Submit"] == 250
    with pytest.raises(ProfileError, match="'PUT /jobs' is not a route; the routes are GET /jobs, POST /jobs"):
        propagate(g, Profile(paths={"App/Jobs/Api": {"routes": {"PUT /jobs": 1}}}))


def test_a_loop_is_cut_off_and_reported():
    template = fan_out_template()
    template["Resources"]["WorkerPolicy"] = policy("WorkerRole", (["sqs:SendMessage"], "Topic2"))
    template["Resources"]["Topic2"] = res("AWS::SNS::Topic", "Jobs/Topic2")
    template["Resources"]["Sub2"] = {"Type": "AWS::SNS::Subscription", "Properties": {
        "TopicArn": {"Ref": "Topic2"}, "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]}}}
    t = propagate(build_graph("App", template), Profile(requests_per_month=1000))
    # Worker -> Topic2 -> Queue -> Worker would never end: each request passes each node of the loop once
    assert t.loops == [("Topic2", "Queue")]
    assert t.units["Worker"] == 1000 and t.units["Queue"] == 1000 and t.units["Topic2"] == 1000


def test_event_bus_choreography_is_finite_and_noted():
    """A function that puts events on the bus its own rule reads from (the usual EventBridge design)."""
    from cdk_serverless_patterns.tooling.cost import estimate_stack

    template = {"Resources": {
        "Role": ROLE,
        "Bus": res("AWS::Events::EventBus", "Flow/Bus"),
        "Rule": res("AWS::Events::Rule", "Flow/Rule", EventBusName={"Ref": "Bus"},
                    Targets=[{"Arn": {"Fn::GetAtt": ["Handler", "Arn"]}, "Id": "T"}]),
        "Handler": fn("Flow/Handler/Function", "Role"),
        "Policy": policy("Role", (["events:PutEvents"], "Bus")),
        "Api": res("AWS::ApiGatewayV2::Api", "Flow/Api"),
        "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Api"},
                        "IntegrationUri": {"Fn::GetAtt": ["Handler", "Arn"]}}},
        "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": "POST /x",
                  "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]}}},
    }}
    e = estimate_stack("App", template, Profile(requests_per_month=1_000_000))
    assert all(line.usd < 100 for line in e.lines) and e.total_usd < 100
    assert any("traffic loops back from App/Flow/Bus to App/Flow/Rule" in note or "loops back" in note for note in e.notes)


@pytest.mark.parametrize(
    "expression, firings",
    [
        ("rate(15 minutes)", 730 * 4),
        ("rate(1 hour)", 730),
        ("rate(1 day)", 730 / 24),
        ("cron(30 2 * * ? *)", 30.4167),
        ("cron(0/15 * * * ? *)", 4 * 24 * 30.4167),
        ("cron(0 9 ? * MON-FRI *)", 5 * 30.4167 / 7),
        ("cron(0 0 1 * ? *)", 1),
        ("cron(0 0 1 1,7 ? *)", 2 / 12),
        ("cron(0 0 * JAN-MAR ? *)", 30.4167 * 3 / 12),
        ("rate(0 minutes)", 0),
        ("at(2027-01-01T00:00:00)", 1),
        ("not a schedule", 0),
    ],
)
def test_schedule_firings_per_month(expression, firings):
    assert firings_per_month(expression) == pytest.approx(firings, rel=1e-3)


def test_the_happy_path_skips_catch_branches():
    asl = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Next": "B", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "UndoA"}]},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "Next": "C"}], "Default": "D"},
        "C": {"Type": "Task", "End": True},
        "D": {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}], "Next": "E"},
        "E": {"Type": "Succeed"},
        "UndoA": {"Type": "Task", "Next": "Failed"}, "Failed": {"Type": "Fail"},
    }}
    assert [s["Type"] for s in happy_path(asl)] == ["Task", "Choice", "Parallel", "Pass", "Succeed"]


@pytest.mark.parametrize(
    "paths, message",
    [
        ({"App/X": {"messages_per_invoke": 3}}, "paths.App/X.messages_per_invoke is not a profile setting: use one of"),
        ({"App/X": {"match_rate": 1.5}}, "paths.App/X.match_rate=1.5 is invalid: use a fraction between 0 and 1"),
        ({"App/X": {"cold_start_rate": 2}}, "paths.App/X.cold_start_rate=2 is invalid: use a fraction between 0 and 1"),
        ({"App/X": {"records_per_batch": 0}}, "records_per_batch=0 is invalid: use a number >= 1"),
        ({"App/X": {"item_kb": "big"}}, "item_kb='big' is invalid: use a finite number >= 0"),
        ({"App/X": {"routes": ["GET /"]}}, "routes=['GET /'] is invalid"),
    ],
)
def test_bad_profile_settings_name_the_key_and_the_fix(paths, message):
    with pytest.raises(ProfileError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        Profile(paths=paths)


def test_profile_files(tmp_path):
    good = tmp_path / "traffic.json"
    good.write_text(json.dumps({"requests_per_month": 5000, "paths": {"App/Jobs/Submit": {"messages_per_event": 3}}}))
    profile = Profile.load(good)
    assert profile.requests_per_month == 5000 and profile.setting("App/Jobs/Submit", "messages_per_event") == 3
    assert Profile.load(good, requests_per_month=7).requests_per_month == 7  # the command line wins
    toml = tmp_path / "traffic.toml"
    toml.write_text('avg_duration_ms = 80\n[paths."App/Jobs/Worker"]\nrecords_per_batch = 10\n')
    assert Profile.load(toml).setting("App/Jobs/Worker", "records_per_batch") == 10
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ProfileError, match="is not valid json"):
        Profile.load(tmp_path / "bad.json")
    (tmp_path / "typo.json").write_text('{"request_per_month": 1}')
    with pytest.raises(ProfileError, match="profile key 'request_per_month' is not known"):
        Profile.load(tmp_path / "typo.json")
    with pytest.raises(ProfileError, match="does not exist"):
        Profile.load(tmp_path / "missing.json")


def test_rule_schedules_fire_by_their_expression_and_deploy_time_functions_get_nothing():
    template = {"Resources": {
        "JobRole": ROLE, "ProviderRole": ROLE,
        "Job": fn("Jobs/Job/Function", "JobRole"),
        "Every5": res("AWS::Events::Rule", "Jobs/Every5", ScheduleExpression="rate(5 minutes)",
                      Targets=[{"Arn": {"Fn::GetAtt": ["Job", "Arn"]}, "Id": "T"}]),
        "Provider": fn("Custom/Provider", "ProviderRole"),
        "Seed": {"Type": "Custom::SeedData", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}}},
    }}
    g = build_graph("App", template)
    t = propagate(g, Profile(requests_per_month=1_000_000))
    assert t.units["Job"] == pytest.approx(730 * 12)  # not the million requests
    assert "Provider" not in t.units and g.deploy_time == {"Provider"}
    assert g.nodes["Provider"].title == "Lambda (deploy time)"
    assert g.nodes["Every5"].title == "rule rate(5 minutes)"  # the diagram shows when it fires


def test_a_pattern_hint_in_the_template_sets_a_default_the_profile_overrides():
    template = fan_out_template()
    template["Resources"]["Worker"]["Metadata"]["cdk_serverless_patterns:traffic"] = {"writes_per_event": 0.5}
    g = build_graph("App", template)
    assert propagate(g, Profile(requests_per_month=1000)).writes["Table"] == 500
    profile = Profile(requests_per_month=1000, paths={"App/Jobs/Worker": {"writes_per_event": 2}})
    assert propagate(g, profile).writes["Table"] == 2000


def test_subscription_dead_letters_come_from_the_topic_and_compensations_are_on_error():
    template = fan_out_template()
    template["Resources"]["Sub"]["Properties"]["RedrivePolicy"] = {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}}
    template["Resources"]["Saga"] = res("AWS::StepFunctions::StateMachine", "Jobs/Saga", DefinitionString={"Fn::Join": ["", [
        '{"StartAt":"Do","States":{"Do":{"Type":"Task","Resource":"', {"Fn::GetAtt": ["Submit", "Arn"]},
        '","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Undo"}],"End":true},"Undo":{"Type":"Task","Resource":"',
        {"Fn::GetAtt": ["Worker", "Arn"]}, '","End":true}}}']]})
    g = build_graph("App", template)
    edges = {(e.source, e.label, e.target) for e in g.edges}
    assert ("Topic", "DLQ", "Dlq") in edges and ("Saga", "task", "Submit") in edges and ("Saga", "on error", "Worker") in edges


def test_a_stack_inside_a_stage_groups_by_the_pattern_below_the_stack():
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {},
                                    "Metadata": {"aws:cdk:path": "Prod/Jobs/Report/Queue/Resource"}}}}
    node = build_graph("Prod/Jobs", template).nodes["Q"]
    assert (node.group, node.name) == ("Report", "Queue")


def test_a_definition_object_and_a_definition_in_s3():
    template = fan_out_template()
    template["Resources"]["Saga"] = res("AWS::StepFunctions::StateMachine", "Jobs/Saga", Definition={
        "StartAt": "Do", "States": {"Do": {"Type": "Task", "Resource": {"Fn::GetAtt": ["Worker", "Arn"]}, "End": True}}})
    template["Resources"]["Other"] = res("AWS::StepFunctions::StateMachine", "Jobs/Other",
                                         DefinitionS3Location={"Bucket": "b", "Key": "k"})
    g = build_graph("App", template)
    assert ("Saga", "task", "Worker") in {(e.source, e.label, e.target) for e in g.edges}
    assert any("Other: the state machine's definition is not in the template" in n for n in g.notes)


def test_disabled_and_deploy_time_schedules_do_not_fire():
    template = {"Resources": {
        "Off": res("AWS::Events::Rule", "Jobs/Off", ScheduleExpression="rate(1 minute)", State="DISABLED"),
        "Later": res("AWS::Scheduler::Schedule", "Jobs/Later", ScheduleExpression={"Ref": "Expr"}),
    }}
    g = build_graph("App", template)
    t = propagate(g, Profile())
    assert t.units == {} and any("Later: its schedule expression is only known at deploy time" in n for n in g.notes)


def durable_saga_template(calls=True):
    """A durable orchestrator whose role may invoke two actions and two compensations (through
    their aliases); ``calls``: it declares which run per execution and which only on failure."""
    names = ("Reserve", "Charge", "Release", "Refund")
    resources = {
        "Api": res("AWS::ApiGateway::RestApi", "Saga/Api"),
        "Post": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "HttpMethod": "POST", "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "Integration": {"Uri": {"Fn::Join": ["", ["arn:", {"Ref": "OrchestratorAlias"}, "/invocations"]]}}}},
        "OrchestratorRole": ROLE, "StepRole": ROLE,
        "Orchestrator": fn("Saga/Orchestrator/Function", "OrchestratorRole"),
        "OrchestratorAlias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Orchestrator"}}},
        "OrchestratorPolicy": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": "OrchestratorRole"}], "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Ref": f"{n}Alias"}} for n in names
            ]}}},
    }
    resources["Orchestrator"]["Properties"]["DurableConfig"] = {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 30}
    for n in names:
        resources[n] = fn(f"Saga/{n}/Function", "StepRole")
        resources[f"{n}Alias"] = {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": n}}}
    if calls:
        resources["Orchestrator"]["Metadata"]["cdk_serverless_patterns:calls"] = {
            "per_execution": [{"Ref": "ReserveAlias"}, {"Ref": "ChargeAlias"}],
            "on_failure": [{"Ref": "ReleaseAlias"}, {"Ref": "RefundAlias"}],
        }
    return {"Resources": resources}


def test_a_durable_orchestrator_invokes_its_actions_per_execution_and_compensations_at_the_failure_rate():
    undeclared = propagate(build_graph("App", durable_saga_template(calls=False)), Profile(requests_per_month=1000))
    # without the declaration every function the role may invoke counts as invoked: the overstatement
    assert undeclared.invocations["Refund"] == 1000
    g = build_graph("App", durable_saga_template())
    t = propagate(g, Profile(requests_per_month=1000))
    assert {n: v for n, v in t.invocations.items() if v} == pytest.approx({"Orchestrator": 1000, "Reserve": 1000, "Charge": 1000})
    assert "Refund" not in t.units
    failing = propagate(g, Profile(requests_per_month=1000, paths={"App/Saga": {"failure_rate": 0.1}}))
    assert failing.invocations == pytest.approx(
        {"Orchestrator": 1000, "Reserve": 1000, "Charge": 1000, "Release": 100, "Refund": 100}
    )
    with pytest.raises(ProfileError, match="failure_rate=2 is invalid: use a fraction between 0 and 1"):
        Profile(defaults={"failure_rate": 2})
