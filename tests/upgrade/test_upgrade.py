"""Upgrading from any stored release loses no data and breaks no import.

``releases/<version>/`` holds what ``scripts/release_templates.py`` stored when the
release was cut: every example stack's template, the probe app's
(``probe_app.py``: the non-default options of every stateful pattern) and the
release's public modules and names. Today's code must keep every stateful resource of
those templates (same logical id, same type, same create-only properties) and every
import. The examples are checked in tests/test_examples.py, where they are already
synthesized; the probe here. See docs/upgrading.md.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import warnings
from typing import Any

import pytest

from tests.upgrade.stateful import (
    RELEASES,
    STATEFUL_TYPES,
    assert_upgrade_safe,
    create_only_properties,
    release_stacks,
    stored,
    upgrade_problems,
)


def test_0_1_0_is_stored_with_its_examples_and_the_probe():
    assert "0.1.0" in RELEASES
    groups = stored("0.1.0", "stacks.json")
    assert "probe" in groups and len(groups) == 10, groups


def test_the_probe_keeps_its_stateful_resources(tmp_path):
    import aws_cdk as cdk

    from tests.upgrade import probe_app

    app = cdk.App(outdir=str(tmp_path))
    stacks = probe_app.build_all(app)
    app.synth()
    assert [s.artifact_id for s in stacks] == [probe_app.STACK_NAME, probe_app.STACK_NAME_0_2_0]
    # the 0.2.0 probe is compared once 0.2.0's templates are stored; today it must build
    assert_upgrade_safe("probe", {s.artifact_id: tmp_path / f"{s.artifact_id}.template.json" for s in stacks})
    made = json.loads((tmp_path / f"{probe_app.STACK_NAME_0_2_0}.template.json").read_text())["Resources"].values()
    assert {"AWS::Backup::BackupVault", "AWS::KMS::Key", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup"} <= {
        r["Type"] for r in made
    }
    assert any(r["Type"] == "AWS::SQS::Queue" and r["Properties"].get("FifoQueue") for r in made)


def test_the_stored_templates_hold_the_stateful_types_the_check_knows():
    """Each type is exercised by a stored template, not only declared; none of 0.1.0's
    patterns made a secret or a backup vault (backup plans came in 0.2.0)."""
    made = {
        resource["Type"]
        for release in RELEASES
        for group in stored(release, "stacks.json")
        for _, stack in release_stacks(group)
        for resource in stored(release, f"{stack}.json")["Resources"].values()
    }
    assert STATEFUL_TYPES - made <= {"AWS::SecretsManager::Secret", "AWS::Backup::BackupVault"}
    assert {"AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::Cognito::UserPool", "AWS::Events::Archive"} <= made


# The check itself, on a small template and variants of it that lose data.
_OLD: dict[str, Any] = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "Properties": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"},
        },
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "SYMMETRIC_DEFAULT"}},
        "Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete"},
    }
}


def _changed(*path_and_value: Any) -> dict[str, Any]:
    *path, value = path_and_value
    template = copy.deepcopy(_OLD)
    target = template["Resources"]
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return template


def test_the_registry_schemas_are_read():
    assert "/properties/TableName" in create_only_properties("AWS::DynamoDB::Table")
    assert "/properties/FifoQueue" in create_only_properties("AWS::SQS::Queue")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (_changed("Table", None), "Table: logical id gone, so it would be orphaned"),
        (_changed("Queue", None), "Queue: logical id gone, so it would be deleted"),
        (_changed("Table", "Properties", "TableName", "orders"), "create-only /properties/TableName changed"),
        (_changed("Table", "Properties", "KeySchema", []), "create-only /properties/KeySchema changed"),
        (_changed("Queue", "Properties", {"FifoQueue": True}), "create-only /properties/FifoQueue changed"),
        (_changed("Table", "Type", "AWS::DynamoDB::GlobalTable"), "type changed"),
        (_changed("Key", "Properties", "KeySpec", "RSA_2048"), "KeySpec cannot be updated"),
    ],
    ids=["orphaned", "deleted", "create-only", "conditional create-only", "create-only added", "type", "not updatable"],
)
def test_the_check_names_each_kind_of_loss(new, expected):
    problems = upgrade_problems(_OLD, new)
    assert len(problems) == 1 and expected in problems[0], problems


def test_the_check_passes_updates_in_place():
    assert upgrade_problems(_OLD, _changed("Table", "Properties", "BillingMode", "PROVISIONED")) == []
    assert upgrade_problems(_OLD, _changed("Key", "Properties", "EnableKeyRotation", True)) == []


# Imports: every module and public name of every stored release still imports.
MODULES = [(release, module, names) for release in RELEASES for module, names in stored(release, "public_api.json").items()]


@pytest.mark.parametrize(("release", "module", "names"), MODULES, ids=[f"{r}:{m}" for r, m, _ in MODULES])
def test_every_public_import_of_a_release_still_works(release, module, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # moved paths warn: tested below
        imported = importlib.import_module(module)
        missing = [name for name in names if not hasattr(imported, name)]
    assert missing == [], f"from {module} import ... (public in {release}) fails today for {missing}"


def test_moved_modules_warn_at_the_import_and_name_the_new_path():
    from cdk_serverless_patterns._moved import MOVED_MODULES

    assert set(MOVED_MODULES) <= {module for _, module, _ in MODULES}, "a shim for a path no release had"
    for old, new in MOVED_MODULES.items():
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match=rf"^{old} is deprecated .* import from {new} instead") as caught:
            exec(compile(f"import {old}", __file__, "exec"), {})  # an import statement in this file
        assert [w.filename for w in caught if w.category is DeprecationWarning] == [__file__], old


def test_the_removed_prefix_constant_warns():
    from cdk_serverless_patterns import defaults

    with pytest.warns(DeprecationWarning, match="RESERVED_ENV_KEYS"):
        assert defaults.RESERVED_ENV_PREFIXES == ("AWS_LAMBDA_",)
    with pytest.raises(AttributeError):
        defaults.NO_SUCH_DEFAULT  # noqa: B018


def test_the_two_reported_imports_give_the_same_objects():
    """Issue 31 found these two raising ModuleNotFoundError."""
    from cdk_serverless_patterns.building_blocks.tables import create_table
    from cdk_serverless_patterns.building_blocks.topics import EncryptedTopic

    with pytest.warns(DeprecationWarning):
        sys.modules.pop("cdk_serverless_patterns.tables", None)
        from cdk_serverless_patterns.tables import create_table as old_create_table
    with pytest.warns(DeprecationWarning):
        sys.modules.pop("cdk_serverless_patterns.topics", None)
        from cdk_serverless_patterns.topics import EncryptedTopic as OldEncryptedTopic
    assert (old_create_table, OldEncryptedTopic) == (create_table, EncryptedTopic)
