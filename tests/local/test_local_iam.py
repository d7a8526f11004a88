"""IAM in a running LocalCloud: resource policies on deliveries, KMS key policies, the unused-grant report.

One plain-CDK stack (synthesized once): a topic with two queue subscriptions —
one as CDK writes it (the queue policy lets the topic send), one whose queue
policy an L1 override points at another topic — and two functions reading a table, one
granted exactly what it calls, one granted read-write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs

from cdk_serverless_patterns import FunctionSpec, ServerlessFunction
from cdk_serverless_patterns.building_blocks.tables import create_table
from cdk_serverless_patterns.local import LocalCloud, LocalInvocationError
from cdk_serverless_patterns.local.iam import statements_of

HANDLERS = Path(__file__).parent.parent / "fixtures" / "local_handlers"


class IamStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Events")
        self.subscribed = sqs.Queue(self, "Subscribed")
        self.unpolicied = sqs.Queue(self, "Unpolicied")
        self.topic.add_subscription(subscriptions.SqsSubscription(self.subscribed))
        self.topic.add_subscription(subscriptions.SqsSubscription(self.unpolicied))
        # An L1 edit of the queue policy the subscription added: its one statement now names another topic,
        # so the queue policy has no statement for this one (the template stays deployable).
        policy = self.unpolicied.node.find_child("Policy").node.default_child
        policy.add_property_override(  # type: ignore[union-attr]
            "PolicyDocument.Statement.0.Condition.ArnEquals.aws:SourceArn",
            f"arn:aws:sns:{self.region}:{self.account}:another-topic",
        )

        self.table = create_table(self, "Items", removal_policy=cdk.RemovalPolicy.DESTROY)
        spec = FunctionSpec(code=HANDLERS, handler="reader.handler")
        environment = {"TABLE_NAME": self.table.table_name}
        self.exact = ServerlessFunction(self, "Exact", spec, environment=environment)
        self.exact.role.add_to_principal_policy(iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[self.table.table_arn]))
        self.broad = ServerlessFunction(self, "Broad", spec, environment=environment)
        self.table.grant_read_write_data(self.broad.role)

        # A key whose policy names only the account root, and one whose policy allows nobody.
        self.key_queue = sqs.Queue(self, "KeyQueue", encryption_master_key=kms.Key(self, "OpenKey", enable_key_rotation=True))
        closed = kms.Key(self, "ClosedKey", enable_key_rotation=True)
        closed.node.default_child.add_property_override("KeyPolicy.Statement", [{  # type: ignore[union-attr]
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:*", "Resource": "*",
        }])
        self.closed_queue = sqs.Queue(self, "ClosedQueue", encryption_master_key=closed)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> IamStack:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("local-iam")))
    return IamStack(app, "LocalIam")


def test_a_subscription_whose_queue_policy_is_missing_is_not_delivered(stack: IamStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.publish(stack.topic, {"id": 1})
        assert len(cloud.messages(stack.subscribed)) == 1
        assert cloud.messages(stack.unpolicied) == []
        [(where, why)] = cloud.delivery_failures
        assert "Unpolicied" in where
        assert "sns.amazonaws.com is not authorized to perform: sqs:SendMessage" in why


def test_a_key_policy_that_does_not_allow_fails_the_send_though_the_role_does(stack: IamStack) -> None:
    with LocalCloud(stack) as cloud:
        template = cloud.template
        role = next(r for r in template.of_type("AWS::IAM::Role") if "Broad" in r.logical_id)
        iam_ = cloud._ctx.iam  # noqa: SLF001 - white-box: the check a handler's send_message goes through
        open_queue = cloud._queue(stack.key_queue)  # noqa: SLF001
        closed_queue = cloud._queue(stack.closed_queue)  # noqa: SLF001
        grant = {"Effect": "Allow", "Action": ["sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
        policies = iam_.role(role.logical_id)
        policies.statements.extend(statements_of({"Statement": [grant]}))
        assert iam_.check_call(policies, "fn", "sqs", "SendMessage", {"QueueUrl": open_queue.ref}) is None
        denial = iam_.check_call(policies, "fn", "sqs", "SendMessage", {"QueueUrl": closed_queue.ref})
        assert denial is not None and "kms:GenerateDataKey" in denial and "key policy does not allow" in denial


def test_the_unused_grant_report_names_what_no_call_used(stack: IamStack) -> None:
    with LocalCloud(stack) as cloud:
        cloud.table(stack.table).put_item(Item={"pk": "a"})
        assert cloud.invoke(stack.exact, {"pk": "a"}) == {"found": True}
        assert cloud.invoke(stack.broad, {"pk": "a"}) == {"found": True}
        assert cloud.unused_grants(stack.exact) == {}
        report = cloud.unused_grants(stack.broad)
        [(path, unused)] = report.items()
        assert path.endswith("/Broad/Function")
        table = cloud._table(stack.table)  # noqa: SLF001
        assert f"dynamodb:PutItem {table.arn}" in unused
        assert not any(p.startswith("dynamodb:GetItem ") for p in unused)  # used by the call
        assert set(cloud.unused_grants()) >= set(report)


def test_a_call_denied_by_an_explicit_deny_names_it(stack: IamStack) -> None:
    with LocalCloud(stack) as cloud:
        role = next(r for r in cloud.template.of_type("AWS::IAM::Role") if "Exact" in r.logical_id)
        policies = cloud._ctx.iam.role(role.logical_id)  # noqa: SLF001 - white-box: add a Deny as a boundary would
        policies.statements.extend(statements_of({"Statement": [{"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}]}))
        with pytest.raises(LocalInvocationError, match="explicit deny in an identity-based policy"):
            cloud.invoke(stack.exact, {"pk": "a"})
