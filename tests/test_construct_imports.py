"""Importing a pattern loads only the library's own modules: aws-cdk-lib sub-modules load when used.

``from cdk_serverless_patterns import ApiBackend`` used to execute 27 aws-cdk-lib
sub-modules (Lambda, EC2, DynamoDB, WAF, API Gateway...) before the user built
anything. They are now imported from ``_cdk_modules`` (stand-ins under the same
names) and load on first use; ``aws_iam`` alone loads with the package, because ``ServerlessFunction``
implements ``iam.IGrantable``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
import aws_cdk
before = set(sys.modules)
import cdk_serverless_patterns as package
for name in {names!r}:
    getattr(package, name)
loaded = sorted(
    m for m in set(sys.modules) - before
    if m.startswith("aws_cdk.aws_") and not m.endswith("._private")
)
print(json.dumps(loaded))
"""

#: What importing every public construct may load of aws-cdk-lib's sub-modules (and their own imports).
ALLOWED = {"aws_cdk.aws_iam"}


def _loaded(names: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(names=names)], capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_every_construct_loads_no_cdk_sub_module_but_iam():
    import cdk_serverless_patterns as package

    constructs = [n for n in package.__all__ if n[0].isupper() and not n.startswith("Local")]
    assert "ApiBackend" in constructs and "Saga" in constructs
    assert set(_loaded(constructs)) <= ALLOWED


@pytest.mark.parametrize("module", ["alarms", "checks", "removal"])
def test_names_built_on_first_use_are_still_there(module):
    # Public constants whose values are aws-cdk-lib objects are built when first read.
    from cdk_serverless_patterns import checks
    from cdk_serverless_patterns.building_blocks import alarms, removal
    from cdk_serverless_patterns.patterns.edge import functions

    if module == "alarms":
        import aws_cdk.aws_cloudwatch as cloudwatch

        assert alarms.GTE is cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        assert alarms.LTE is cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD
        assert set(functions.LAMBDA_EDGE_EVENTS) == {"viewer-request", "viewer-response", "origin-request", "origin-response"}
    elif module == "checks":
        assert checks.PLUGIN_NAME and checks.RULES_BY_ID and checks.ServerlessPatternsChecks
        with pytest.raises(AttributeError):
            checks.NotAName  # noqa: B018
    else:
        import aws_cdk

        assert removal.PRIORITY == aws_cdk.AspectPriority.READONLY - 100


def test_a_lazy_module_stands_in_for_the_real_one():
    from cdk_serverless_patterns._cdk_modules import aws_sqs as sqs
    from cdk_serverless_patterns._cdk_modules import cdk_module

    import aws_cdk.aws_sqs as real

    assert sqs.Queue is real.Queue
    assert "loaded" in repr(sqs)
    assert cdk_module("aws_sns").Topic.__name__ == "Topic"
    with pytest.raises(ImportError):
        from cdk_serverless_patterns._cdk_modules import not_a_cdk_module  # noqa: F401


def test_no_module_imports_a_cdk_sub_module_at_its_top():
    # The convention that keeps the test above true for modules added later:
    # aws-cdk-lib sub-modules are imported from cdk_serverless_patterns._cdk_modules.
    import re
    from pathlib import Path

    import cdk_serverless_patterns

    top_level = re.compile(r"^(from aws_cdk(\.aws_\w+)? import aws_\w+|from aws_cdk\.aws_\w+ import|import aws_cdk\.aws_\w+)", re.M)
    offenders = [
        str(path.relative_to(Path(cdk_serverless_patterns.__file__).parent))
        for path in Path(cdk_serverless_patterns.__file__).parent.rglob("*.py")
        if top_level.search(path.read_text())
    ]
    assert offenders == []
