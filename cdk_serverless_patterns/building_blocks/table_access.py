"""Table access by intent: what a function does with a DynamoDB table, and the grant that follows.

A route (or any function the library wires to a table) declares its intent with
a :class:`TableAccess`; :func:`grant_table_access` turns it into exactly those
item-level actions on the table and its indexes, plus the key actions a
customer managed table key needs. Nothing else: no ``Scan``, ``DeleteItem`` or
``BatchWriteItem`` unless declared, and never the stream actions
(``dynamodb:GetRecords``/``GetShardIterator`` apply to stream ARNs only; CDK's
``grant_read_data`` puts them on the table ARN, where they grant nothing but
show up in every review).

=========================  ====================================================
declaration                actions (``dynamodb:``)
=========================  ====================================================
``TableAccess.read()``     GetItem, BatchGetItem, Query (``TransactGetItems``
                           is authorized as GetItem)
``TableAccess.write()``    PutItem, UpdateItem, ConditionCheckItem (conditional
                           writes and ``TransactWriteItems`` with Put/Update)
``TableAccess.read_write()``  both of the above
``TableAccess.of(...)``    exactly the actions named, among
                           :data:`TABLE_ITEM_ACTIONS` (e.g. ``"Scan"``,
                           ``"DeleteItem"``, ``"BatchWriteItem"``)
``TableAccess.none()``     nothing (the function does not touch the table)
=========================  ====================================================

These defaults cover what the examples' handlers call (``get_item``,
``query``, ``put_item``, ``update_item``, conditional writes); a handler
that scans, deletes or batch-writes says so.

Indexes added later (``api.table.add_global_secondary_index(...)``, the escape
hatch of docs/escape-hatches.md) are covered: CDK's table grant reaches
``<table ARN>/index/*`` once the table has an index, and at synth the library
acknowledges cdk-nag's ``AwsSolutions-IAM5`` finding for exactly that resource
on the grantee's own policy (:class:`AcknowledgeIndexGrant`), under the table's
final logical id (or its export, from another stack), so no user has to compute one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

import jsii
from aws_cdk import Stack
from constructs import IConstruct, IValidation

from cdk_serverless_patterns._cdk_modules import aws_dynamodb as dynamodb, aws_iam as iam
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge
from cdk_serverless_patterns.checks.nag_ids import flatten_reference, resource_finding
from cdk_serverless_patterns.errors import Problems, shown

from .grants import default_policy


#: Item-level DynamoDB actions a declaration may name (without the ``dynamodb:`` prefix).
TABLE_ITEM_ACTIONS = (
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "ConditionCheckItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "DescribeTable",
)
READ_ACTIONS = ("GetItem", "BatchGetItem", "Query")
WRITE_ACTIONS = ("PutItem", "UpdateItem", "ConditionCheckItem")
#: Actions that change items (a CMK table's writers also need kms:Encrypt/GenerateDataKey).
_CHANGING = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
#: What a reader of a table on a customer managed key needs on the key (as CDK's grant_read_data).
KEY_READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
#: What a writer needs on it (as CDK's grant_write_data, without the wildcard actions).
KEY_WRITE_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class TableAccess:
    """What a function does with its table. Build one with :meth:`read`,
    :meth:`write`, :meth:`read_write`, :meth:`of` or :meth:`none`.

    ``actions`` are DynamoDB action names without the prefix; ``label`` is how
    messages and docs name the declaration.
    """

    actions: tuple[str, ...]
    label: str

    @classmethod
    def read(cls) -> "TableAccess":
        """GetItem, BatchGetItem, Query: the default of GET/HEAD/OPTIONS routes."""
        return cls(READ_ACTIONS, "TableAccess.read()")

    @classmethod
    def write(cls) -> "TableAccess":
        """PutItem, UpdateItem, ConditionCheckItem (no reads, no deletes, no batch writes)."""
        return cls(WRITE_ACTIONS, "TableAccess.write()")

    @classmethod
    def read_write(cls) -> "TableAccess":
        """read() and write(): the default of every other method."""
        return cls(READ_ACTIONS + WRITE_ACTIONS, "TableAccess.read_write()")

    @classmethod
    def none(cls) -> "TableAccess":
        """No access: the function does not use the table."""
        return cls((), "TableAccess.none()")

    @classmethod
    def of(cls, *actions: str) -> "TableAccess":
        """Exactly ``actions`` (``"Scan"`` or ``"dynamodb:Scan"``), e.g.
        ``TableAccess.of("Query", "DeleteItem")``. Names are checked when a
        construct uses the declaration (allowed: :data:`TABLE_ITEM_ACTIONS`)."""
        names = tuple(a[len("dynamodb:") :] if isinstance(a, str) and a.startswith("dynamodb:") else a for a in actions)
        return cls(names, f"TableAccess.of({', '.join(repr(a) for a in actions)})")

    def __or__(self, other: "TableAccess") -> "TableAccess":
        """The union of two declarations (a function shared by several routes)."""
        merged = tuple(dict.fromkeys((*self.actions, *other.actions)))
        return TableAccess(merged, f"{self.label} | {other.label}")

    @property
    def iam_actions(self) -> tuple[str, ...]:
        """The actions with their ``dynamodb:`` prefix."""
        return tuple(f"dynamodb:{a}" for a in self.actions)

    @property
    def changes_items(self) -> bool:
        return any(a in _CHANGING for a in self.actions)


def default_access(read_only: bool) -> TableAccess:
    """The access a route gets when it declares none: read for GET/HEAD/OPTIONS, else read-write."""
    return TableAccess.read() if read_only else TableAccess.read_write()


def validate_table_access(problems: Problems, field_name: str, value: Any) -> None:
    """``value`` is a :class:`TableAccess` whose actions are all in :data:`TABLE_ITEM_ACTIONS`."""
    if not isinstance(value, TableAccess):
        problems.add(
            field_name,
            value,
            "a TableAccess: TableAccess.read(), .write(), .read_write(), .none() or .of('Query', ...)",
            "declare what the handler does with the table, e.g. TableAccess.read()",
        )
        return
    unknown = [a for a in value.actions if not isinstance(a, str) or a not in TABLE_ITEM_ACTIONS]
    if unknown:
        problems.add(
            field_name,
            value.label,
            f"item-level DynamoDB actions among {', '.join(TABLE_ITEM_ACTIONS)} "
            f"(got {', '.join(shown(a) for a in unknown)})",
            "name the DynamoDB API calls the handler makes, e.g. TableAccess.of('Query', 'DeleteItem'); stream "
            "actions belong to a stream consumer, table administration to a deployment role",
        )


def grant_table_access(
    table: dynamodb.ITable, grantee: iam.IGrantable, access: TableAccess
) -> Optional[iam.Grant]:
    """Grant ``access`` on ``table`` (and its indexes) to ``grantee``; with a
    customer managed table key, also :data:`KEY_READ_ACTIONS` (readers) or
    :data:`KEY_WRITE_ACTIONS` (writers) on that key. Returns None for ``none()``."""
    if not access.actions:
        return None
    grant = table.grant(grantee, *access.iam_actions)
    if table.encryption_key is not None:
        table.encryption_key.grant(grantee, *(KEY_WRITE_ACTIONS if access.changes_items else KEY_READ_ACTIONS))
    policy = default_policy(grantee)
    if policy is not None:
        policy.node.add_validation(AcknowledgeIndexGrant(table, policy))
    return grant


#: Why the grant on a table's indexes ends in a wildcard (docs/checks.md).
INDEX_GRANT_REASON = (
    "The same item actions this function has on the table, on that table's own indexes "
    "('<table ARN>/index/*', which CDK's table grant adds once the table has an index): an index ARN "
    "starts with its table's ARN, so the wildcard reaches no other table; indexes can be added after "
    "the grant (add_global_secondary_index on the pattern's table), so they are not listed by name."
)


@jsii.implements(IValidation)
class AcknowledgeIndexGrant:
    """At synth, acknowledges ``AwsSolutions-IAM5[Resource::<table ARN>/index/*]`` on
    ``policy`` when (and only when) the policy grants on ``table``'s indexes.

    It runs as a validation of the policy: CDK validates the tree after aspects and
    after cross-stack references are resolved, so the finding id is built from the
    table's final reference (its logical id after every override, or the export of
    another stack) and the acknowledgement is recorded before the checks run.
    """

    def __init__(self, table: dynamodb.ITable, policy: IConstruct) -> None:
        self._table = table
        self._policy = policy

    def validate(self) -> list[str]:
        policy = self._policy
        finding = resource_finding(policy, f"{self._table.table_arn}/index/*")
        document = getattr(policy, "document", None)
        statements = Stack.of(policy).resolve(document).get("Statement", []) if document is not None else []
        granted = {
            f"Resource::{flatten_reference(resource)}"
            for statement in statements
            for resource in (statement.get("Resource") if isinstance(statement.get("Resource"), list)
                             else [statement.get("Resource")])
        }
        if finding in granted:
            acknowledge(policy, f"{AWS_SOLUTIONS}IAM5[{finding}]", INDEX_GRANT_REASON)
        return []


def grant_table_actions(table: dynamodb.ITable, grantee: iam.IGrantable, actions: Iterable[str]) -> Optional[iam.Grant]:
    """:func:`grant_table_access` for a pattern's own fixed list (``"dynamodb:GetItem"``, ...)."""
    return grant_table_access(table, grantee, TableAccess.of(*actions))


__all__ = [
    "AcknowledgeIndexGrant",
    "INDEX_GRANT_REASON",
    "TableAccess",
    "TABLE_ITEM_ACTIONS",
    "KEY_READ_ACTIONS",
    "KEY_WRITE_ACTIONS",
    "default_access",
    "grant_table_access",
    "grant_table_actions",
    "validate_table_access",
]
