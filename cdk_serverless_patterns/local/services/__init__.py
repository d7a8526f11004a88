"""The services of the local cloud, each registered by the CloudFormation resource types it runs.

``REGISTRY`` is the one table: resource type (or type prefix) -> service, in
the order the services provision, and the inert types (control plane,
monitoring, policies) that have nothing to run. A type in neither is named
once when the cloud opens.

Each service is a module here with one :class:`~..service.Service` subclass.
It owns its resources: it creates them in moto from the template
(``provision``) and delivers what they do. It never imports ``cloud.py`` nor
another service; everything it needs comes from its :class:`~..context.CloudContext`
(boto3 clients on moto, the template, the function runner ``ctx.functions``,
the event buses ``ctx.events``, ``ctx.enqueue`` / ``ctx.add_poller`` for
delivery work, ``ctx.send(arn, payload)`` for cross-service delivery,
``ctx.warn_once``).

How to add a service (e.g. Secrets Manager)::

    # services/secretsmanager.py
    class SecretsManager(Service):
        handles = ("AWS::SecretsManager::Secret",)       # the types it runs

        def __init__(self, ctx: CloudContext) -> None:
            super().__init__(ctx)
            ctx.register_sender("secretsmanager", ...)    # if it can be a target
            ctx.on_call("secretsmanager", "PutSecretValue", ...)  # if a call starts work

        def provision(self) -> None:                     # create its resources in moto
            for secret in self.ctx.template.of_type("AWS::SecretsManager::Secret"):
                self.ctx.client("secretsmanager").create_secret(Name=secret.name, ...)

then add the class to ``REGISTRY`` below (after the services whose resources
it refers to) and take its types out of ``INERT_TYPES`` if they were there.
A service another service must call (as Lambda is called through
``ctx.functions``) offers a small Protocol on the context; a public test API
method on ``LocalCloud`` looks the service up with ``services.get(Class)``.
"""

from __future__ import annotations

from ..service import ServiceRegistry
from .apigateway import RestApis
from .apigatewayv2 import HttpApis
from .cognito import Cognito
from .customresources import CustomResources
from .dynamodb import DynamoDb
from .durable import DurableFunctions
from .events import EventBridge
from .kinesis import Kinesis
from .lambda_ import Lambda
from .pipes import Pipes
from .s3 import S3
from .scheduler import Scheduler
from .secretsmanager import SecretsManager
from .sns import Sns
from .sqs import Sqs
from .ssm import Ssm
from .stepfunctions import StepFunctions

#: Resource types with no data-plane behaviour to simulate (control plane, monitoring, policies).
INERT_TYPES = (
    "AWS::CDK::Metadata",
    "AWS::CloudWatch::",
    "AWS::Logs::",
    "AWS::IAM::",
    "AWS::KMS::",
    "AWS::WAFv2::",
    "AWS::Cognito::",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Events::Archive",
    "AWS::Lambda::Version",
    "AWS::Scheduler::ScheduleGroup",
    "AWS::Backup::",
)

#: Every service, in the order it provisions: data stores first, then what reads or delivers to them.
REGISTRY = ServiceRegistry(
    [
        DynamoDb, Sqs, Sns, S3, Kinesis, SecretsManager, Ssm, EventBridge, Lambda, DurableFunctions, StepFunctions, Pipes, Scheduler,
        Cognito, RestApis, HttpApis,
        CustomResources,  # last: deploy-time handlers may call anything above
    ],
    INERT_TYPES,
)

__all__ = ["INERT_TYPES", "REGISTRY"]
