"""What a deploy of a new template would do to the stateful resources of an old one.

``upgrade_problems(old, new)`` compares two templates of one stack and lists each
stateful resource (one that holds data or is referenced from outside by name/ARN:
tables, buckets, queues, streams, keys, user pools, log groups, buses, archives,
secrets, backup vaults) that the new template would

* **delete** or **orphan**: its logical id is gone (CloudFormation deletes it, or with
  ``DeletionPolicy: Retain`` leaves it outside the stack and creates an empty one);
* **replace**: its type changed, or a property CloudFormation can only set at create
  time changed (``createOnlyProperties`` and ``conditionalCreateOnlyProperties`` of the
  type's registry schema, as cfn-lint ships them);
* **fail to update**: a property the CloudFormation reference documents as not
  updatable although the registry schema does not mark it create-only (below).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

RELEASES_DIR = Path(__file__).parent / "releases"
#: The stored releases (``scripts/release_templates.py`` adds one), oldest first.
RELEASES = sorted((p.name for p in RELEASES_DIR.iterdir() if p.is_dir()), key=lambda v: tuple(map(int, v.split("."))))


def stored(release: str, name: str) -> Any:
    """A JSON file of a stored release: ``<stack>.json``, ``stacks.json`` or ``public_api.json``."""
    return json.loads((RELEASES_DIR / release / name).read_text(encoding="utf-8"))


def release_stacks(group: str) -> list[tuple[str, str]]:
    """``(release, stack)`` for every stack that example ``group`` (or ``"probe"``) made in a stored release."""
    return [(release, stack) for release in RELEASES for stack in stored(release, "stacks.json").get(group, [])]

STATEFUL_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::Kinesis::Stream",
        "AWS::KMS::Key",
        "AWS::Cognito::UserPool",
        "AWS::Logs::LogGroup",
        "AWS::Events::EventBus",
        "AWS::Events::Archive",
        "AWS::SecretsManager::Secret",
        "AWS::Backup::BackupVault",  # holds the recovery points of the tables it backs up
    }
)

#: Properties whose change CloudFormation cannot apply although the registry schema does
#: not list them as create-only: the update fails, and the only way is a new resource.
NOT_UPDATABLE: dict[str, tuple[str, ...]] = {
    # "If you change the value of the KeySpec, KeyUsage, or MultiRegion properties of an
    # existing KMS key, the update request fails" (CloudFormation reference, AWS::KMS::Key)
    "AWS::KMS::Key": ("/properties/KeySpec", "/properties/KeyUsage", "/properties/MultiRegion"),
    # Cognito developer guide, "Updating user pool and app client configuration": sign-in
    # options and user name case sensitivity "can't change ... create a new user pool"
    "AWS::Cognito::UserPool": (
        "/properties/AliasAttributes",
        "/properties/UsernameAttributes",
        "/properties/UsernameConfiguration",
    ),
}

_REGION = "us-east-1"


@lru_cache(maxsize=None)
def create_only_properties(resource_type: str) -> tuple[str, ...]:
    """JSON pointers (``/properties/TableName``) a change of which replaces the resource."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(_REGION, resource_type).schema
    return tuple(schema.get("createOnlyProperties", [])) + tuple(schema.get("conditionalCreateOnlyProperties", []))


_MISSING = object()


def _at(resource: dict[str, Any], pointer: str) -> Any:
    value: Any = {"properties": resource.get("Properties", {})}
    for part in pointer.strip("/").split("/"):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def upgrade_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per stateful resource of ``old`` that deploying ``new`` would lose or replace."""
    new_resources = new.get("Resources", {})
    problems = []
    for logical_id, resource in sorted(old.get("Resources", {}).items()):
        kind = resource["Type"]
        if kind not in STATEFUL_TYPES:
            continue
        after = new_resources.get(logical_id)
        if after is None:
            fate = "orphaned (DeletionPolicy Retain)" if resource.get("DeletionPolicy") == "Retain" else "deleted"
            problems.append(f"{kind} {logical_id}: logical id gone, so it would be {fate} and a new one created")
            continue
        if after["Type"] != kind:
            problems.append(f"{kind} {logical_id}: type changed to {after['Type']}, so it would be replaced")
            continue
        for pointer in create_only_properties(kind):
            if _at(resource, pointer) != _at(after, pointer):
                problems.append(f"{kind} {logical_id}: create-only {pointer} changed, so it would be replaced")
        for pointer in NOT_UPDATABLE.get(kind, ()):
            if _at(resource, pointer) != _at(after, pointer):
                problems.append(f"{kind} {logical_id}: {pointer} cannot be updated, so the deploy would fail")
    return problems


def assert_upgrade_safe(group: str, current: dict[str, str | Path]) -> None:
    """Every stack ``group`` made in a stored release is still made (``current``: stack name ->
    template path) and keeps its stateful resources; the message lists every problem."""
    from tests.support import normalize_template

    problems = []
    for release, stack in release_stacks(group):
        if stack not in current:
            problems.append(f"{release} {stack}: no longer made, so every resource of it would go")
            continue
        template = normalize_template(json.loads(Path(current[stack]).read_text()))
        problems += [f"{release} {stack}: {line}" for line in upgrade_problems(stored(release, f"{stack}.json"), template)]
    assert problems == [], "upgrading would lose data:\n" + "\n".join(problems)
