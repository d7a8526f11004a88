"""Hardening for regulated workloads: ``enable_hardening(scope)``.

The defaults already pass cdk-nag's AwsSolutions and Serverless packs. The
NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs ask for more, and three
of their findings are worth fixing for data that is personal or financial.
``enable_hardening(app_or_stack)`` turns them into real fixes for everything the
library builds under that scope afterwards:

* **log groups** (function logs, API access logs, WAF logs, state machine and
  pipe logs) are encrypted with a customer managed KMS key: one per stack,
  rotation on, usable only by CloudWatch Logs for log groups of that account
  and Region (``kms:EncryptionContext:aws:logs:arn``);
* **DynamoDB tables** made by the library are encrypted with the stack's data
  key (customer managed, rotation on: its policy and CloudTrail govern and
  record every use; the library's grants add the key actions next to the table
  actions) and backed up by AWS Backup: one plan per stack, daily backups kept
  35 days, in a vault encrypted with the same key (on top of point-in-time
  recovery). ``enable_hardening(scope, table_key_reason="...")`` keeps the
  tables on the AWS managed key instead, with that reason as the
  acknowledgement of checkov's CKV_AWS_119;
* **Lambda environment variables** of the library's functions are encrypted
  with the stack's environment key (customer managed, rotation on, usable by
  the account only through Lambda; ``FunctionSpec(environment_encryption=False)``
  opts one function out, a key or ``True`` gives it its own);
* **data buckets** (``SecureBucket``) use SSE-KMS with the stack's data key
  (rotation on) and S3 Bucket Keys, which cut KMS requests by about 99%.
  Access-log buckets stay SSE-S3: S3 server access logging cannot deliver to
  SSE-KMS buckets.

Why a scope setting and not an option on every pattern or an Aspect: one call
covers every pattern (and the building blocks used directly) under an app or a
stack, as ``set_default_alarm_topic`` does for alarms; and the helpers decide at
construction time, so a hardened resource never also carries the
acknowledgement an unhardened one gets. Call it before building the
patterns: calling it on a scope that already holds log groups, tables or
buckets raises :class:`PatternConfigError`.

Monthly cost added per stack (us-east-1 list prices, 2026): three KMS keys,
USD 3 (USD 1 each, rotation included; the environment key only with functions); KMS requests, USD 0.03 per 10,000
(CloudWatch Logs caches data keys; Bucket Keys keep S3's share small);
AWS Backup warm storage for DynamoDB, USD 0.10 per GB-month of backups kept
(daily backups of a 1 GB table kept 35 days are incremental at the storage
level but billed per full backup size: up to ~USD 3.50 for 35 x 1 GB).
"""

from __future__ import annotations

from typing import Optional

import jsii
from aws_cdk import ArnFormat, Aws, IStableListProducer, Lazy, RemovalPolicy, Stack
from constructs import Construct, IConstruct

from cdk_serverless_patterns._cdk_modules import (
    aws_backup as backup,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_s3 as s3,
)
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.errors import PatternConfigError

from .scope_settings import find_on_scope, set_on_scope


_HARDENING = "hardening"
_TABLE_KEY_REASON = "hardening-table-key-reason"
#: Construct id of the per-stack hardening resources.
STACK_RESOURCES_ID = "ServerlessPatternsHardening"
#: What CloudWatch Logs needs on a log group key (AWS: "Encrypt log data in CloudWatch Logs").
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


def _stateful_types() -> tuple[type, ...]:
    return (logs.CfnLogGroup, dynamodb.CfnTable, dynamodb.CfnGlobalTable, s3.CfnBucket)


def enable_hardening(scope: IConstruct, *, table_key_reason: Optional[str] = None) -> None:
    """Harden everything the library builds under ``scope`` from now on (see module docs).

    :param table_key_reason: keep the library's tables on the AWS managed key
        (``aws/dynamodb``) instead of the stack's customer managed data key, for
        this reason (at least 20 characters; a reviewer signs it, e.g. "Table
        holds product ids only; the account's SCP denies dynamodb:* outside
        the VPC endpoint"). Default: None (tables use the data key).
    :raises PatternConfigError: ``scope`` already holds log groups, tables or
        buckets (they would stay unhardened): call this before building them;
        or ``table_key_reason`` is not a string of at least 20 characters.
    """
    if table_key_reason is not None and not (isinstance(table_key_reason, str) and len(table_key_reason.strip()) >= 20):
        raise PatternConfigError(
            scope.node.path or "<app>",
            [
                f"table_key_reason={table_key_reason!r} is invalid: allowed None (tables on the stack's customer "
                "managed key) or a reason of at least 20 characters why the AWS managed key is enough. Fix: leave "
                "it out, or say why, e.g. table_key_reason='Tables hold public catalogue data only'"
            ],
        )
    existing = [c.node.path for c in scope.node.find_all() if isinstance(c, _stateful_types())]
    if existing:
        shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
        raise PatternConfigError(
            scope.node.path or "<app>",
            [
                f"enable_hardening() after resources exist ({shown}) is invalid: allowed only on a scope "
                "without log groups, tables or buckets yet, because hardening is decided when each one is "
                "created. Fix: call enable_hardening(scope) right after creating the app or stack"
            ],
        )
    set_on_scope(scope, _HARDENING, True)
    if table_key_reason is not None:
        set_on_scope(scope, _TABLE_KEY_REASON, table_key_reason)


def is_hardened(scope: IConstruct) -> bool:
    """True when :func:`enable_hardening` was called on ``scope`` or an ancestor."""
    return bool(find_on_scope(scope, _HARDENING))


def table_key_for(scope: IConstruct) -> tuple[Optional[kms.IKey], Optional[str]]:
    """(the key a table under ``scope`` is encrypted with, the user's reason for none):
    the stack's data key when hardened without ``table_key_reason``; else None."""
    if not is_hardened(scope):
        return None, None
    reason = find_on_scope(scope, _TABLE_KEY_REASON)
    if isinstance(reason, str):
        return None, reason
    return StackHardening.of(scope).data_key, None


@jsii.implements(IStableListProducer)
class _Arns:
    """The resource ARNs of the backup selection, filled while tables are created."""

    def __init__(self) -> None:
        self.arns: list[str] = []

    def produce(self) -> Optional[list[str]]:
        return list(self.arns)


class StackHardening(Construct):
    """The hardening resources one stack shares; get them with :meth:`of`.

    Attributes (created on first use): ``logs_key``, ``data_key``,
    ``backup_plan``, ``backup_vault``, ``backup_role``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._logs_key: Optional[kms.Key] = None
        self._data_key: Optional[kms.Key] = None
        self._environment_key: Optional[kms.Key] = None
        self._backup_arns: Optional[_Arns] = None

    @classmethod
    def of(cls, scope: IConstruct) -> "StackHardening":
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(STACK_RESOURCES_ID)
        if isinstance(existing, StackHardening):
            return existing
        return cls(stack, STACK_RESOURCES_ID)

    @property
    def logs_key(self) -> kms.Key:
        """The stack's log group key: rotation on, usable by CloudWatch Logs for this account's log groups."""
        if self._logs_key is None:
            stack = Stack.of(self)
            key = kms.Key(
                self,
                "LogsKey",
                enable_key_rotation=True,
                description=f"Encrypts the CloudWatch Logs log groups of stack {stack.stack_name}",
                removal_policy=RemovalPolicy.RETAIN,  # retained logs stay readable
            )
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                    actions=list(LOGS_KEY_ACTIONS),
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                                service="logs",
                                resource="log-group",
                                resource_name="*",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                            )
                        }
                    },
                )
            )
            self._logs_key = key
        return self._logs_key

    @property
    def data_key(self) -> kms.Key:
        """The stack's key for data buckets, tables and the backup vault (rotation on)."""
        if self._data_key is None:
            self._data_key = kms.Key(
                self,
                "DataKey",
                enable_key_rotation=True,
                description=f"Encrypts the data buckets, tables and backups of stack {Stack.of(self).stack_name}",
                removal_policy=RemovalPolicy.RETAIN,  # retained data stays readable
            )
        return self._data_key

    @property
    def environment_key(self) -> kms.Key:
        """The stack's key for Lambda environment variables (rotation on; usable only through Lambda)."""
        if self._environment_key is None:
            self._environment_key = environment_key(
                self, "EnvironmentKey", f"Encrypts the Lambda environment variables of stack {Stack.of(self).stack_name}"
            )
        return self._environment_key

    def back_up(self, table: dynamodb.ITable) -> None:
        """Add ``table`` to the stack's backup plan (daily, kept 35 days)."""
        if self._backup_arns is None:
            self._create_backup_plan()
        assert self._backup_arns is not None
        self._backup_arns.arns.append(table.table_arn)

    def _create_backup_plan(self) -> None:
        self.backup_vault = backup.BackupVault(
            self, "BackupVault", encryption_key=self.data_key, removal_policy=RemovalPolicy.RETAIN
        )
        self.backup_plan = backup.BackupPlan(
            self,
            "BackupPlan",
            backup_vault=self.backup_vault,
            backup_plan_rules=[backup.BackupPlanRule.daily()],  # 5:00 UTC, kept 35 days
        )
        self.backup_role = iam.Role(
            self,
            "BackupRole",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description=f"AWS Backup role of stack {Stack.of(self).stack_name}'s backup plan",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSBackupServiceRolePolicyForBackup")
            ],
        )
        acknowledge(
            self.backup_role,
            AWS_SOLUTIONS + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
            "AWSBackupServiceRolePolicyForBackup is the policy AWS documents for the AWS Backup service role "
            "and keeps current as services add backup features; only backup.amazonaws.com can assume this "
            "role, and the backup selection limits it to this stack's tables.",
        )
        self._backup_arns = _Arns()
        backup.CfnBackupSelection(
            self,
            "BackupSelection",
            backup_plan_id=self.backup_plan.backup_plan_id,
            backup_selection=backup.CfnBackupSelection.BackupSelectionResourceTypeProperty(
                iam_role_arn=self.backup_role.role_arn,
                selection_name=f"{Stack.of(self).stack_name}-tables"[:50],
                resources=Lazy.list(self._backup_arns),
            ),
        )


def environment_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A customer managed key for Lambda environment variables: rotation on; the account may administer
    it, and use it for data only through Lambda in this Region."""
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,  # a retained function version still needs it
        policy=iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="AccountAdministersTheKey",
                    principals=[iam.AccountRootPrincipal()],
                    actions=[
                        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                        "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                        "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                        "kms:RotateKeyOnDemand",
                    ],
                    resources=["*"],  # in a key policy, "*" means this key
                ),
                iam.PolicyStatement(
                    sid="UseOnlyThroughLambda",
                    principals=[iam.AccountRootPrincipal()],
                    actions=["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"kms:ViaService": f"lambda.{Aws.REGION}.amazonaws.com"}},
                ),
            ]
        ),
    )
    return key


def logs_key_for(scope: IConstruct) -> Optional[kms.IKey]:
    """The key a log group under ``scope`` is encrypted with: the stack's logs key when hardened, else None."""
    return StackHardening.of(scope).logs_key if is_hardened(scope) else None


def data_key_for(scope: IConstruct) -> Optional[kms.IKey]:
    """The key a data bucket under ``scope`` is encrypted with: the stack's data key when hardened, else None."""
    return StackHardening.of(scope).data_key if is_hardened(scope) else None


__all__ = [
    "enable_hardening", "is_hardened", "StackHardening", "logs_key_for", "data_key_for", "table_key_for",
    "environment_key",
]
