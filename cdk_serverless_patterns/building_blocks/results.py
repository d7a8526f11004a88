"""The optional result store of the processing patterns (EventProcessing, StreamProcessing).

``result_table`` is ``None``/``False`` (no table), ``True`` (create one with
:func:`tables.create_table`) or an existing ``dynamodb.ITable``. The processor
gets exactly the item-level actions a result writer needs, and the table name
in :data:`runtime.env.RESULT_TABLE`.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from aws_cdk import RemovalPolicy
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_dynamodb as dynamodb, aws_iam as iam
from cdk_serverless_patterns.errors import Problems

from .table_access import grant_table_actions
from .tables import create_table


ResultTable = Union[bool, "dynamodb.ITable", None]

#: What a processor does with its results: write them (conditionally, for
#: idempotency markers), update counters, and read a marker back.
RESULT_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
)


def looks_like(value: Any, *attributes: str) -> bool:
    """Duck-typed interface check (jsii interfaces are not runtime-checkable)."""
    return value is not None and not isinstance(value, (bool, str, int, float)) and all(
        hasattr(value, a) for a in attributes
    )


def validate_result_table(problems: Problems, value: ResultTable, field: str = "result_table") -> None:
    problems.check(
        value is None or isinstance(value, bool) or looks_like(value, "table_name", "table_arn", "grant"),
        field,
        value,
        "True (create a table), False/None (no table) or an existing dynamodb.ITable",
        "pass result_table=True or dynamodb.Table.from_table_name(self, 'Results', 'name')",
    )


def resolve_result_table(
    scope: Construct, construct_id: str, value: ResultTable, removal_policy: RemovalPolicy
) -> Optional[dynamodb.ITable]:
    """The table to use: a new one (``pk``/``sk`` strings), the given one, or None."""
    if value is True:
        return create_table(scope, construct_id, partition_key="pk", sort_key="sk", removal_policy=removal_policy)
    if value is None or value is False:
        return None
    return value


def grant_result_writes(table: dynamodb.ITable, grantee: iam.IGrantable) -> None:
    """Item-level read/write on ``table`` (and its key, if customer-managed)."""
    grant_table_actions(table, grantee, RESULT_TABLE_ACTIONS)
