"""Deploy time at open: CDK's custom resources, a user's (inline Python and Node.js, Provider framework),
Secrets Manager and SSM with the IAM check, inline code, and the functions LocalCloud does not run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_s3_notifications as notifications
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr

from cdk_serverless_patterns.local import LocalCloud, LocalCloudWarning, LocalInvocationError
from cdk_serverless_patterns.local.services.customresources import DeployTimeError

FIXTURES = Path(__file__).parent.parent / "fixtures"
PY = lambda_.Runtime.PYTHON_3_12

GREETER = """
import cfnresponse
def handler(event, context):
    name = event["ResourceProperties"]["Name"]
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Greeting": "hello " + name}, "greeting-" + name)
"""
NODE_GREETER = """
const response = require("cfn-response");
exports.handler = function (event, context) {
  response.send(event, context, response.SUCCESS, { Answer: String(Number(event.ResourceProperties.Value) * 2) }, "node-1");
};
"""
ON_EVENT = """
def handler(event, context):
    return {"PhysicalResourceId": "provided-1", "Data": {"Started": event["RequestType"]}}
"""
IS_COMPLETE = """
calls = []
def handler(event, context):
    calls.append(1)
    return {"IsComplete": len(calls) >= 2, "Data": {"Ready": "after %d checks" % len(calls)}}
"""
FAILING = """
import cfnresponse
def handler(event, context):
    cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="quota exceeded")
"""
ON_S3 = "def handler(event, context):\n    return [r['s3']['object']['key'] for r in event['Records']]\n"


class DeployStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self, "DbSecret", generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": "app"}), generate_string_key="password",
                exclude_characters="/@\"'\\", password_length=20,
            ),
        )
        self.parameter = ssm.StringParameter(self, "Colour", string_value="teal")
        self.list_parameter = ssm.StringListParameter(self, "Regions", string_list_value=["eu-west-1", "us-east-1"])
        greeting = cdk.CustomResource(self, "Greeting", service_token=self._inline("Greeter", GREETER, PY).function_arn,
                                      properties={"Name": "local"})
        node = cdk.CustomResource(self, "Doubled", service_token=self._inline("NodeGreeter", NODE_GREETER, lambda_.Runtime.NODEJS_20_X).function_arn,
                                  properties={"Value": 21})
        provider = cr.Provider(self, "Provider", on_event_handler=self._inline("OnEvent", ON_EVENT, PY),
                               is_complete_handler=self._inline("IsComplete", IS_COMPLETE, PY))
        provided = cdk.CustomResource(self, "Provided", service_token=provider.service_token)
        put = cr.AwsCustomResource(
            self, "PutFlag", on_create=cr.AwsSdkCall(service="SSM", action="putParameter",
                                                     parameters={"Name": "/flags/new-ui", "Value": "on", "Type": "String"},
                                                     physical_resource_id=cr.PhysicalResourceId.of("flag")),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
        )
        read = cr.AwsCustomResource(
            self, "ReadFlag", on_create=cr.AwsSdkCall(service="@aws-sdk/client-ssm", action="GetParameterCommand",
                                                      parameters={"Name": "/flags/new-ui"},
                                                      physical_resource_id=cr.PhysicalResourceId.from_response("Parameter.Name")),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
        )
        read.node.add_dependency(put)
        self.reader = lambda_.Function(
            self, "Reader", runtime=PY, handler="reader.handler", code=lambda_.Code.from_asset(str(FIXTURES / "local_deploy")),
            log_retention=logs.RetentionDays.ONE_WEEK, timeout=cdk.Duration.seconds(30),  # boto3 start-up on a busy machine
            environment={
                "GREETING": greeting.get_att_string("Greeting"), "PROVIDED": provided.get_att_string("Ready"),
                "NODE_ANSWER": node.get_att_string("Answer"), "FROM_SDK_CALL": read.get_response_field("Parameter.Value"),
                "PASSWORD": self.secret.secret_value_from_json("password").unsafe_unwrap(),
                "SECRET_ARN": self.secret.secret_arn, "PARAMETER_NAME": self.parameter.parameter_name,
            },
        )
        self.denied = lambda_.Function(  # the same code, no grants
            self, "Denied", runtime=PY, handler="reader.handler", code=lambda_.Code.from_asset(str(FIXTURES / "local_deploy")),
            timeout=cdk.Duration.seconds(30),
            environment={"SECRET_ARN": self.secret.secret_arn, "PARAMETER_NAME": self.parameter.parameter_name},
        )
        self.secret.grant_read(self.reader)
        self.parameter.grant_read(self.reader)
        self.bucket = s3.Bucket(self, "Uploads", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
        self.on_upload = self._inline("OnUpload", ON_S3, PY)
        self.removed = sqs.Queue(self, "Removed")
        self.bucket.add_event_notification(s3.EventType.OBJECT_CREATED, notifications.LambdaDestination(self.on_upload),
                                           s3.NotificationKeyFilter(prefix="in/", suffix=".csv"))
        self.bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, notifications.SqsDestination(self.removed))
        s3_deployment.BucketDeployment(
            self, "Site", destination_bucket=self.bucket, destination_key_prefix="site/",
            sources=[s3_deployment.Source.asset(str(FIXTURES / "local_deploy")),
                     s3_deployment.Source.json_data("config.json", {"colour": self.parameter.string_value})],
        )
        self.java = lambda_.Function(self, "Billing", runtime=lambda_.Runtime.JAVA_21, handler="billing.Handler::handle",
                                     code=lambda_.Code.from_asset(str(FIXTURES / "local_deploy")))
        repo = ecr.Repository.from_repository_name(self, "Repo", "thumbnails")
        self.image = lambda_.DockerImageFunction(self, "Thumbnails", code=lambda_.DockerImageCode.from_ecr(repo))

    def _inline(self, name: str, code: str, runtime: lambda_.Runtime) -> lambda_.Function:
        return lambda_.Function(self, name, runtime=runtime, handler="index.handler", code=lambda_.Code.from_inline(code))


class FailingStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        handler = lambda_.Function(self, "Quota", runtime=PY, handler="index.handler", code=lambda_.Code.from_inline(FAILING))
        cdk.CustomResource(self, "Reserve", service_token=handler.function_arn)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    # CDK's built-in template validation is the slow part of synth, and beside the point here
    app = cdk.App(builtin_cloud_formation_validation=False)
    DeployStack(app, "Deploy")
    FailingStack(app, "Failing")
    return app


# first: the module's cloud below stays open for the other tests (one cloud at a time)
def test_a_failed_custom_resource_fails_the_open_with_its_reason(app: cdk.App) -> None:
    with pytest.raises(DeployTimeError, match="custom resource Reserve .* failed: quota exceeded"):
        with LocalCloud(app.node.find_child("Failing")):
            pass


@pytest.fixture(scope="module")
def opened(app: cdk.App) -> Any:
    stack = app.node.find_child("Deploy")
    with pytest.warns(LocalCloudWarning) as caught, LocalCloud(stack) as cloud:
        yield stack, cloud, [str(w.message) for w in caught]


def test_custom_resources_ran_at_open_and_their_data_is_in_function_environments(opened: Any) -> None:
    stack, cloud, _ = opened
    assert cloud.invoke(stack.reader, {}) == {
        "GREETING": "hello local",  # inline Python, cfnresponse to the local ResponseURL
        "NODE_ANSWER": "42",  # inline Node.js, cfn-response
        "PROVIDED": "after 2 checks",  # Provider framework: onEvent, then isComplete until complete
        "FROM_SDK_CALL": "on",  # AwsCustomResource: putParameter, then getParameter (v3 names)
        "PASSWORD": cloud.invoke(stack.reader, {"read": "secret"})["secret"]["password"],
    }
    assert cloud.template.resources["Greeting"].ref == "greeting-local"


def test_a_generated_secret_and_parameters_exist_and_reads_are_checked(opened: Any) -> None:
    stack, cloud, _ = opened
    read = cloud.invoke(stack.reader, {"read": "secret"})["secret"]
    assert read["username"] == "app" and len(read["password"]) == 20
    assert not set(read["password"]) & set("/@\"'\\")
    assert cloud.invoke(stack.reader, {"read": "parameter"})["parameter"] == "teal"
    for what, action in (("secret", "secretsmanager:GetSecretValue"), ("parameter", "ssm:GetParameter")):
        with pytest.raises(LocalInvocationError, match=action) as caught:
            cloud.invoke(stack.denied, {"read": what})
        assert "AccessDeniedException" in caught.value.error_message
    regions = cloud._ctx.client("ssm").get_parameter(Name=cloud.template.resources[stack.get_logical_id(stack.list_parameter.node.default_child)].name)  # noqa: SLF001
    assert regions["Parameter"] == {**regions["Parameter"], "Type": "StringList", "Value": "eu-west-1,us-east-1"}


def test_bucket_notifications_and_log_retention_took_effect(opened: Any) -> None:
    stack, cloud, _ = opened
    cloud.put_object(stack.bucket, "in/a.csv", b"x")
    cloud.put_object(stack.bucket, "in/b.txt", b"x")  # suffix filter: no notification
    assert [result for _, result in cloud.invocations(stack.on_upload)] == [["in/a.csv"]]
    bucket = cloud.template.resources[stack.get_logical_id(stack.bucket.node.default_child)].name
    cloud._ctx.client("s3").delete_object(Bucket=bucket, Key="in/b.txt")  # noqa: SLF001 - a plain delete
    cloud.drain()
    assert [m.json()["Records"][0]["eventName"] for m in cloud.messages(stack.removed)] == ["ObjectRemoved:Delete"]
    group = cloud._ctx.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/Deploy-Reader")["logGroups"]  # noqa: SLF001
    assert [g.get("retentionInDays") for g in group] == [7]


def test_a_bucket_deployment_put_its_sources_in_the_bucket(opened: Any) -> None:
    stack, cloud, _ = opened
    s3_client = cloud._ctx.client("s3")  # noqa: SLF001
    bucket = cloud.template.resources[stack.get_logical_id(stack.bucket.node.default_child)].name
    keys = sorted(o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket, Prefix="site/")["Contents"])
    assert keys == ["site/config.json", "site/reader.py"]
    config = s3_client.get_object(Bucket=bucket, Key="site/config.json")["Body"].read()
    assert json.loads(config) == {"colour": "teal"}  # the deploy-time value, filled in


def test_functions_not_run_are_named_once_and_fail_clearly(opened: Any) -> None:
    stack, cloud, warned = opened
    listed = [w for w in warned if "does not run these functions" in w]
    assert len(listed) == 1
    assert "Billing" in listed[0] and "runtime java21" in listed[0]
    assert "Thumbnails" in listed[0] and "container image" in listed[0]
    with pytest.raises(LocalInvocationError) as caught:
        cloud.invoke(stack.java, {})
    assert caught.value.error_type == "Runtime.NotRunLocally"
