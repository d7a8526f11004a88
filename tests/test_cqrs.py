"""Cqrs: event store, pipe, bus + archive, projections, command/query grants, validation."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk.assertions import Match

from cdk_serverless_patterns import (
    Cqrs,
    CqrsProjection,
    FunctionSpec,
    PatternConfigError,
)
from cdk_serverless_patterns.runtime import env
from tests.support import HANDLER_DIR, template_of


def spec(**kw) -> FunctionSpec:
    return FunctionSpec(code=HANDLER_DIR, handler="app.handler", **kw)


PLACE, CANCEL, SUMMARY, AUDIT, GET = spec(), spec(), spec(), spec(), spec()


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(cdk.App(), "S")
    cqrs = Cqrs(
        stack,
        "Orders",
        commands={"POST /orders": PLACE, "post /orders/{id}/cancel": CANCEL},
        queries={"GET /orders/{id}": GET},
        projections={
            "order-summary": SUMMARY,
            "audit": CqrsProjection(AUDIT, event_types=["OrderCancelled"]),
        },
        archive_retention_days=30,
        dashboard=True,
    )
    return stack, cqrs, template_of(stack)


def resources(template, type_):
    return template.find_resources(type_)


def logical_id(stack, construct) -> str:
    return stack.get_logical_id(construct.node.default_child)


def policy_statements(template, stack, function):
    policy = function.role.node.find_child("DefaultPolicy").node.default_child
    resolved = template.to_json()["Resources"][stack.get_logical_id(policy)]
    return resolved["Properties"]["PolicyDocument"]["Statement"]


def dynamo_actions(statements, table_logical_id):
    actions = set()
    for statement in statements:
        text = json.dumps(statement["Resource"])
        if table_logical_id in text:
            acts = statement["Action"]
            actions.update([acts] if isinstance(acts, str) else acts)
    return actions


# --- event store and read model ---------------------------------------------------
def test_event_store_is_keyed_by_aggregate_and_version_with_a_new_image_stream(built):
    stack, cqrs, template = built
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "KeySchema": [
                    {"AttributeName": "aggregate_id", "KeyType": "HASH"},
                    {"AttributeName": "version", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": Match.array_with([{"AttributeName": "version", "AttributeType": "N"}]),
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,
                "SSESpecification": {"SSEEnabled": True},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_read_model_is_keyed_by_aggregate_and_projection(built):
    _, _, template = built
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [
                {"AttributeName": "aggregate_id", "KeyType": "HASH"},
                {"AttributeName": "projection", "KeyType": "RANGE"},
            ],
            "StreamSpecification": Match.absent(),
        },
    )


# --- publishing ----------------------------------------------------------------------
def test_pipe_reads_inserts_only_with_dlq_retries_and_publishes_to_the_bus(built):
    stack, cqrs, template = built
    store_id = logical_id(stack, cqrs.event_store)
    bus_id = logical_id(stack, cqrs.event_bus)
    template.has_resource(
        "AWS::Pipes::Pipe",
        {
            "Properties": {
                "Source": {"Fn::GetAtt": [store_id, "StreamArn"]},
                "Target": {"Fn::GetAtt": [bus_id, "Arn"]},
                "SourceParameters": {
                    "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
                    "DynamoDBStreamParameters": {
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": 1,
                        "MaximumRetryAttempts": 10,
                        "MaximumRecordAgeInSeconds": 86400,
                        "OnPartialBatchItemFailure": "AUTOMATIC_BISECT",
                        "ParallelizationFactor": 1,
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("PipeFailures"), "Arn"]}},
                    },
                },
                "TargetParameters": {
                    "EventBridgeEventBusParameters": {"DetailType": "$.dynamodb.NewImage.type.S", "Source": "cqrs.Orders"}
                },
                "LogConfiguration": {"Level": "ERROR", "CloudwatchLogsLogDestination": Match.any_value()},
            },
            "DependsOn": [Match.string_like_regexp("PipeRoleDefaultPolicy")],
        },
    )


def test_pipe_role_is_least_privilege(built):
    stack, cqrs, template = built
    policy = cqrs.pipe_role.node.find_child("DefaultPolicy").node.default_child
    statements = template.to_json()["Resources"][stack.get_logical_id(policy)]["Properties"]["PolicyDocument"]["Statement"]
    simplified = sorted((json.dumps(s["Action"]), json.dumps(s["Resource"])) for s in statements)
    store, bus = logical_id(stack, cqrs.event_store), logical_id(stack, cqrs.event_bus)
    dlq = stack.get_logical_id(cqrs.pipe_dead_letter_queue.node.default_child)
    logs_id = stack.get_logical_id(cqrs.pipe_log_group.node.default_child)
    assert simplified == sorted(
        [
            ('"dynamodb:ListStreams"', '"*"'),
            (
                json.dumps(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]),
                json.dumps({"Fn::GetAtt": [store, "StreamArn"]}),
            ),
            ('"events:PutEvents"', json.dumps({"Fn::GetAtt": [bus, "Arn"]})),
            ('"sqs:SendMessage"', json.dumps({"Fn::GetAtt": [dlq, "Arn"]})),
            (json.dumps(["logs:CreateLogStream", "logs:PutLogEvents"]), json.dumps({"Fn::GetAtt": [logs_id, "Arn"]})),
        ]
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "pipes.amazonaws.com"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ]
            }
        },
    )


def test_archive_keeps_this_stores_events_for_the_given_days(built):
    stack, cqrs, template = built
    template.has_resource_properties(
        "AWS::Events::Archive",
        {
            "SourceArn": {"Fn::GetAtt": [logical_id(stack, cqrs.event_bus), "Arn"]},
            "EventPattern": {"source": ["cqrs.Orders"]},
            "RetentionDays": 30,
        },
    )


# --- projections -----------------------------------------------------------------------
def test_one_rule_per_projection_with_dlq_retry_and_type_filter(built):
    stack, cqrs, template = built
    assert set(cqrs.rules) == {"order-summary", "audit"}
    rules = resources(template, "AWS::Events::Rule")
    assert len(rules) == 2
    audit = rules[logical_id(stack, cqrs.rules["audit"])]["Properties"]
    assert audit["EventPattern"] == {"source": ["cqrs.Orders"], "detail-type": ["OrderCancelled"]}
    summary = rules[logical_id(stack, cqrs.rules["order-summary"])]["Properties"]
    assert summary["EventPattern"] == {"source": ["cqrs.Orders"]}
    for name, rule in (("audit", audit), ("order-summary", summary)):
        [target] = rule["Targets"]
        assert target["Arn"] == {"Ref": stack.get_logical_id(cqrs.projectors[name].alias.node.default_child)}
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 185}
        dlq = cqrs.delivery_dead_letter_queues[name]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [stack.get_logical_id(dlq.node.default_child), "Arn"]}}


def test_projectors_are_async_with_their_name_and_read_model(built):
    stack, cqrs, template = built
    for name, projector in cqrs.projectors.items():
        assert projector.dead_letter_queue is not None  # ASYNC: on-failure destination
        # the rule invokes the alias, whose async settings are separate from $LATEST's
        template.has_resource_properties(
            "AWS::Lambda::EventInvokeConfig",
            {
                "FunctionName": {"Ref": stack.get_logical_id(projector.function.node.default_child)},
                "Qualifier": {"Fn::Select": [7, {"Fn::Split": [":", {"Ref": stack.get_logical_id(projector.alias.node.default_child)}]}]},
                "MaximumRetryAttempts": 2,
                "MaximumEventAgeInSeconds": 3600,
                "DestinationConfig": {
                    "OnFailure": {
                        "Destination": {
                            "Fn::GetAtt": [stack.get_logical_id(projector.dead_letter_queue.node.default_child), "Arn"]
                        }
                    }
                },
            },
        )
        fn = template.to_json()["Resources"][stack.get_logical_id(projector.function.node.default_child)]
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables[env.PROJECTION_NAME] == name
        assert variables[env.READ_MODEL_TABLE] == {"Ref": logical_id(stack, cqrs.read_model)}
        assert variables[env.EVENT_STORE_TABLE] == {"Ref": logical_id(stack, cqrs.event_store)}
    audit = template.to_json()["Resources"][stack.get_logical_id(cqrs.projectors["audit"].function.node.default_child)]
    assert audit["Properties"]["Environment"]["Variables"][env.PROJECTION_EVENT_TYPES] == '["OrderCancelled"]'
    summary = cqrs.projectors["order-summary"].function.node.default_child
    assert env.PROJECTION_EVENT_TYPES not in template.to_json()["Resources"][stack.get_logical_id(summary)]["Properties"]["Environment"]["Variables"]


def test_projectors_write_only_the_read_model_and_may_only_query_the_store(built):
    stack, cqrs, template = built
    store, model = logical_id(stack, cqrs.event_store), logical_id(stack, cqrs.read_model)
    for projector in cqrs.projectors.values():
        statements = policy_statements(template, stack, projector)
        assert dynamo_actions(statements, model) == {"dynamodb:GetItem", "dynamodb:PutItem"}
        assert dynamo_actions(statements, store) == {"dynamodb:Query"}


# --- commands and queries --------------------------------------------------------------
def test_commands_and_queries_are_api_routes_of_one_api_backend(built):
    _, cqrs, template = built
    assert set(cqrs.commands) == {"POST /orders", "POST /orders/{id}/cancel"}
    assert set(cqrs.queries) == {"GET /orders/{id}"}
    assert cqrs.api is cqrs.api_backend.api
    assert len(resources(template, "AWS::ApiGateway::RestApi")) == 1
    assert len(resources(template, "AWS::ApiGateway::Method")) == 3


def test_commands_may_only_append_and_read_the_event_store(built):
    stack, cqrs, template = built
    store, model = logical_id(stack, cqrs.event_store), logical_id(stack, cqrs.read_model)
    for function in cqrs.commands.values():
        statements = policy_statements(template, stack, function)
        actions = dynamo_actions(statements, store)
        assert actions == {"dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:Query", "dynamodb:GetItem"}
        assert not actions & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
        assert dynamo_actions(statements, model) == set()


def test_queries_only_read_the_read_model(built):
    stack, cqrs, template = built
    store, model = logical_id(stack, cqrs.event_store), logical_id(stack, cqrs.read_model)
    statements = policy_statements(template, stack, cqrs.queries["GET /orders/{id}"])
    assert dynamo_actions(statements, model) == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    assert dynamo_actions(statements, store) == set()


def test_route_functions_know_both_tables(built):
    stack, cqrs, template = built
    fn = template.to_json()["Resources"][stack.get_logical_id(cqrs.commands["POST /orders"].function.node.default_child)]
    variables = fn["Properties"]["Environment"]["Variables"]
    assert variables[env.EVENT_STORE_TABLE] == {"Ref": logical_id(stack, cqrs.event_store)}
    assert variables[env.READ_MODEL_TABLE] == {"Ref": logical_id(stack, cqrs.read_model)}


# --- alarms ------------------------------------------------------------------------------
def test_alarms_cover_pipe_failures_dlqs_projector_errors_and_lag(built):
    stack, cqrs, template = built
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    pipe_metrics = {
        a["Properties"]["MetricName"]
        for a in alarms.values()
        if a["Properties"].get("Namespace") == "AWS/EventBridge/Pipes"
    }
    assert pipe_metrics == {"ExecutionFailed", "ExecutionThrottled"}
    for a in alarms.values():
        if a["Properties"].get("Namespace") == "AWS/EventBridge/Pipes":
            assert a["Properties"]["Dimensions"] == [{"Name": "PipeName", "Value": {"Ref": stack.get_logical_id(cqrs.pipe)}}]
    lag = [a for a in alarms.values() if a["Properties"].get("MetricName") == "AsyncEventAge"]
    assert len(lag) == 2 and all(a["Properties"]["Threshold"] == 300000 for a in lag)
    depth = [a for a in alarms.values() if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    # pipe DLQ + per projection: delivery DLQ and async on-failure queue
    assert len(depth) == 1 + 2 * 2
    # per projection, like EventProcessing: failed rule deliveries and events lost on the way to the DLQ
    for name, rule in cqrs.rules.items():
        rule_alarms = {
            a["Properties"]["MetricName"]
            for a in alarms.values()
            if a["Properties"].get("Namespace") == "AWS/Events"
            and a["Properties"]["Dimensions"] == [{"Name": "RuleName", "Value": {"Ref": logical_id(stack, rule)}}]
        }
        assert rule_alarms == {"FailedInvocations", "InvocationsFailedToBeSentToDlq"}, name
        assert cqrs.metric_projection_failed_invocations(name).metric_name == "FailedInvocations"
        assert cqrs.metric_projection_invocations_failed_to_dlq(name).metric_name == "InvocationsFailedToBeSentToDlq"
    assert len(cqrs.alarms) == len(alarms)
    assert len(resources(template, "AWS::CloudWatch::Dashboard")) == 1 and cqrs.dashboard is not None
    for projector in cqrs.projectors.values():
        assert set(projector.alarms) <= set(cqrs.alarms)


# --- existing resources and options -----------------------------------------------------
@pytest.fixture(scope="module")
def existing():
    stack = cdk.Stack(cdk.App(), "E")
    store = dynamodb.Table.from_table_attributes(
        stack, "Store", table_name="events", table_stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/events/stream/2026"
    )
    model = dynamodb.Table.from_table_name(stack, "Model", "views")
    bus = events.EventBus.from_event_bus_name(stack, "Bus", "shared")
    cqrs = Cqrs(
        stack,
        "Orders",
        commands={"POST /orders": spec()},
        projections={"summary": spec()},
        event_store=store,
        read_model=model,
        event_bus=bus,
        event_source="com.example.orders",
        pipe_log_level="OFF",
        pipe_batch_size=10,
        create_alarms=False,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return stack, cqrs, template_of(stack)


def test_existing_tables_and_bus_are_used_not_created(existing):
    stack, cqrs, template = existing
    assert resources(template, "AWS::DynamoDB::Table") == {}
    assert resources(template, "AWS::Events::EventBus") == {}
    template.has_resource_properties(
        "AWS::Pipes::Pipe",
        {
            "Source": "arn:aws:dynamodb:eu-west-1:123456789012:table/events/stream/2026",
            "LogConfiguration": Match.absent(),
            "SourceParameters": {"DynamoDBStreamParameters": Match.object_like({"BatchSize": 10})},
            "TargetParameters": {"EventBridgeEventBusParameters": {"Source": "com.example.orders", "DetailType": Match.any_value()}},
        },
    )
    template.has_resource_properties("AWS::Events::Archive", {"RetentionDays": 0})
    template.has_resource_properties("AWS::Events::Rule", {"EventBusName": "shared"})
    assert cqrs.pipe_log_group is None


def test_create_alarms_false_creates_none(existing):
    _, cqrs, template = existing
    assert resources(template, "AWS::CloudWatch::Alarm") == {}
    assert cqrs.alarms == []
    assert cqrs.dashboard is None


# --- validation: one test per rule ---------------------------------------------------------
def build(**overrides):
    options = dict(commands={"POST /orders": spec()}, projections={"summary": spec()})
    options.update(overrides)
    stack = cdk.Stack(cdk.App(), "V")
    Cqrs(stack, "Orders", **options)
    return stack


def invalid(match: str, **overrides) -> PatternConfigError:
    with pytest.raises(PatternConfigError, match=match) as caught:
        build(**overrides)
    assert "Invalid configuration for 'V/Orders'" in str(caught.value)
    return caught.value


def test_valid_minimal_options_build():
    assert build().node.try_find_child("Orders") is not None


def test_no_commands():
    err = invalid(r"commands=\{\} is invalid: allowed at least one route", commands={})
    assert "Fix: pass commands=" in str(err)


def test_invalid_command_route():
    invalid(r"commands\['FETCH /orders'\]='FETCH /orders' is invalid: allowed a method among", commands={"FETCH /orders": spec()})


def test_command_timeout_above_api_gateway_limit():
    invalid(r"commands\['POST /orders'\]\.timeout='30 s' is invalid: allowed at most 29 s",
            commands={"POST /orders": spec(timeout=Duration.seconds(30))})


def test_query_route_colliding_with_a_command():
    invalid(
        r"queries\['post /orders'\]='post /orders' is invalid: allowed a route not already used by another field\. "
        r"Fix: 'POST /orders' is already in commands",
        queries={"post /orders": spec()},
    )


def test_query_sharing_a_command_spec():
    shared = spec()
    invalid(r"queries\['GET /orders'\]=.*a spec not shared with a command",
            commands={"POST /orders": shared}, queries={"GET /orders": shared})


def test_no_projections():
    invalid(r"projections=\{\} is invalid: allowed at least one projection", projections={})


def test_invalid_projection_name():
    invalid(r"projections\['order summary'\]='order summary' is invalid: allowed a name of 1-64 letters",
            projections={"order summary": spec()})


def test_projection_that_is_not_a_spec():
    invalid(r"projections\['summary'\]='app.handler' is invalid: allowed a FunctionSpec or CqrsProjection",
            projections={"summary": "app.handler"})


def test_invalid_projection_event_types():
    invalid(r"projections\['summary'\]\.event_types=\[''\] is invalid: allowed a list of event type names",
            projections={"summary": CqrsProjection(spec(), event_types=[""])})


def test_invalid_projector_spec():
    invalid(r"projections\['summary'\]\.memory_size=64 is invalid", projections={"summary": spec(memory_size=64)})


def test_negative_archive_retention():
    invalid(r"archive_retention_days=-1 is invalid: allowed an integer >= 0 \(EventBridge archive; 0 keeps events forever\)",
            archive_retention_days=-1)


def test_reserved_event_source():
    invalid(r"event_source='aws.orders' is invalid: allowed 1-256 characters, not starting with 'aws.'",
            event_source="aws.orders")


def test_pipe_batch_size_above_event_bus_target_limit():
    invalid(r"pipe_batch_size=11 is invalid: allowed 1-10 \(EventBridge Pipes", pipe_batch_size=11)


def test_infinite_pipe_retries():
    invalid(r"pipe_retry_attempts=-1 is invalid: allowed 0-10000 \(EventBridge Pipes", pipe_retry_attempts=-1)


def test_pipe_record_age_out_of_range():
    invalid(r"pipe_max_record_age='691200 s' is invalid: allowed 60-604800 s", pipe_max_record_age=Duration.days(8))


def test_unknown_pipe_log_level():
    invalid(r"pipe_log_level='DEBUG' is invalid: allowed one of OFF, ERROR, INFO, TRACE", pipe_log_level="DEBUG")


def test_projector_retry_attempts_out_of_range():
    invalid(r"projector_retry_attempts=186 is invalid: allowed an integer 0-185", projector_retry_attempts=186)


def test_projector_max_event_age_out_of_range():
    invalid(r"projector_max_event_age='30 s' is invalid: allowed 60-86400 s", projector_max_event_age=Duration.seconds(30))


@pytest.mark.parametrize("field", ["projector_max_event_age", "pipe_max_record_age"])
def test_ages_in_fractions_of_a_second(field):
    # EventBridge and Pipes take whole seconds; Duration.to_seconds() would raise a jsii error.
    invalid(rf"{field}='61.5 s' is invalid: allowed 60-\d+ s \(.*\), in whole seconds", **{field: Duration.millis(61500)})


def test_existing_event_store_without_stream():
    stack = cdk.Stack(cdk.App(), "V")
    table = dynamodb.Table.from_table_name(stack, "T", "events")
    with pytest.raises(PatternConfigError, match=r"event_store='V/T' is invalid: allowed a table with a stream"):
        Cqrs(stack, "Orders", commands={"POST /orders": spec()}, projections={"summary": spec()}, event_store=table)


def test_api_options_that_cqrs_sets():
    invalid(r"api_options=\['table'\] is invalid: allowed ApiBackend options other than", api_options={"table": True})


def test_invalid_api_option_value_leaves_nothing_behind():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError, match=r"Invalid configuration for 'V/Orders/Api'[\s\S]*stage_name='bad stage'"):
        Cqrs(stack, "Orders", commands={"POST /orders": spec()}, projections={"summary": spec()},
             api_options={"stage_name": "bad stage"})
    assert stack.node.try_find_child("Orders") is None
    assert template_of(stack).to_json().get("Resources", {}) == {}


def test_all_problems_reported_at_once_and_nothing_built():
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as caught:
        Cqrs(stack, "Orders", commands={}, projections={}, archive_retention_days=-5)
    assert len(caught.value.problems) == 3
    assert stack.node.try_find_child("Orders") is None


def test_a_region_agnostic_stack_with_the_pipe_warns_with_the_regions_without_pipes(built):
    stack, cqrs, _ = built
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("EventBridge Pipe"))
    [warning] = warnings
    assert warning.id == "/S/Orders"
    assert "ca-west-1" in str(warning.entry.data) and "us-gov-west-1" in str(warning.entry.data)


@pytest.mark.parametrize(("region", "warned"), [("ca-west-1", True), ("eu-west-1", False)])
def test_a_stack_in_a_region_without_pipes_warns(region, warned):
    from constructs import Construct

    from cdk_serverless_patterns.building_blocks.stream_pipe import warn_pipes_region

    stack = cdk.Stack(cdk.App(), "R", env=cdk.Environment(region=region))
    warn_pipes_region(Construct(stack, "Pipe"))
    found = cdk.assertions.Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("does not exist in"))
    assert bool(found) is warned
    if warned:
        assert f"does not exist in {region}" in str(found[0].entry.data)
