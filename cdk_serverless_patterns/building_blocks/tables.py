"""The table helper: the one place the library makes DynamoDB tables.

Stateful defaults from the design: on-demand billing, encryption at rest,
point-in-time recovery, deletion protection and ``RemovalPolicy.RETAIN``. A
sandbox opts out explicitly with ``removal_policy=RemovalPolicy.DESTROY``,
which also lifts deletion protection (otherwise the stack could never delete it);
so does a DESTROY applied later (``RemovalPolicies.of(stack).destroy()``), see
:mod:`.removal`.

Under :func:`~.hardening.enable_hardening` each table is encrypted with the
stack's customer managed data key (unless the user gave ``table_key_reason``)
and joins the stack's AWS Backup plan (daily, 35 days); otherwise
point-in-time recovery is the backup, and the compliance packs'
``DynamoDBInBackupPlan`` finding is acknowledged with that as the reason.
Grant access with :func:`~.table_access.grant_table_access`, which adds the
key actions a customer managed key needs.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_dynamodb as dynamodb
from cdk_serverless_patterns.checks.acknowledge import COMPLIANCE, acknowledge, acknowledge_checkov

from .hardening import StackHardening, is_hardened, table_key_for
from .removal import follow_removal_policy


def create_table(
    scope: Construct,
    construct_id: str,
    *,
    partition_key: str = "pk",
    sort_key: Optional[str] = None,
    sort_key_type: Optional[dynamodb.AttributeType] = None,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    stream: Optional[dynamodb.StreamViewType] = None,
    time_to_live_attribute: Optional[str] = None,
) -> dynamodb.Table:
    """An on-demand, encrypted table with PITR and deletion protection.

    :param partition_key: string partition key name. Default ``"pk"``.
    :param sort_key: optional sort key name (type ``sort_key_type``, default string).
    :param removal_policy: default RETAIN (data outlives the stack). DESTROY also turns
        deletion protection off, as does any later change of the table's DeletionPolicy
        to Delete (e.g. ``RemovalPolicies.of(stack).destroy()``).
    :param stream: stream view type. Default: no stream.
    :param time_to_live_attribute: TTL attribute name. Default: none.
    """
    key, aws_managed_reason = table_key_for(scope)
    table = dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=sort_key, type=sort_key_type or dynamodb.AttributeType.STRING) if sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED if key else dynamodb.TableEncryption.AWS_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=removal_policy == RemovalPolicy.RETAIN,
        removal_policy=removal_policy,
        stream=stream,
        time_to_live_attribute=time_to_live_attribute,
    )
    follow_removal_policy(table)
    if is_hardened(scope):
        StackHardening.of(scope).back_up(table)
    else:
        acknowledge(
            table,
            COMPLIANCE + "DynamoDBInBackupPlan",
            "Point-in-time recovery is on (continuous backups, restore to any second of the last 35 days) and "
            "the table is retained with deletion protection. An AWS Backup plan adds backups kept beyond 35 "
            "days, in a separate vault; regulated workloads turn it on with enable_hardening(scope).",
        )
    if key is not None:
        return table
    acknowledge_checkov(
        table,
        ("CKV_AWS_119",),
        f"Kept on the AWS managed key by enable_hardening(table_key_reason=...): {aws_managed_reason}"
        if aws_managed_reason
        else "Not a hardened stack: encrypted at rest with the AWS managed key aws/dynamodb (AES-256), whose use "
        "CloudTrail records but whose policy cannot be changed; access is limited by the IAM grants the library "
        "computes per action and table. enable_hardening(scope) puts the library's tables on the stack's "
        "customer managed key (rotation on, key policy under your control).",
    )
    return table
