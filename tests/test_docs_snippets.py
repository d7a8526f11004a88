"""Every ```python block in README.md and docs/ runs, and what it synthesizes has zero findings.

All blocks run in one temporary directory holding the handler code they name
(every ``code="dir"`` gets the modules the ``handler=`` strings name, every
``"*.js"`` path a CloudFront function), with all checks enabled, and with the
names the docs' prose gives them already defined:

* ``app`` — a ``cdk.App`` with ``enable_checks(app)`` and ``set_default_alarm_topic(app, <ARN>)``,
  as a project's app would have (one, shared: synthesized once);
* ``stack`` / ``self`` — a stack of the block's own in it (account 111111111111, us-east-1);
* ``alarms_topic`` / ``topic`` — an ``EncryptedTopic``'s topic in that stack;
* ``orders_table`` — a table in that stack (docs/patterns/saga.md grants on it).

A block that makes its own ``cdk.App`` is synthesized on its own. Every finding
of any severity under the stacks a block built fails its test; a block that
defines ``test_*`` functions (docs/testing.md) also has them called.

With ``DOCS_SNIPPETS_ALL_PACKS=1`` (``scripts/check_wheel.sh`` sets it) every app,
the blocks' own included, also runs cdk-nag's compliance packs (NIST 800-53 R5,
HIPAA Security, PCI DSS 3.2.1): ``enable_checks`` is called with all of them.

Every block (handler code too) is also written to a file of its own and the files
go through one ``mypy --strict`` run; ``NOT_TYPE_CHECKED`` lists the fragments that
cannot stand alone, each with its reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

#: Blocks that build no stack, by (file, a line of the block): why they are not run.
SKIPPED = {
    ("docs/patterns/cqrs.md", "from cdk_serverless_patterns.runtime import event_store, projection"):
        "handler code: runs inside Lambda against the deployed event store and read model",
    ("docs/patterns/cqrs.md", "acknowledge_warning(PIPES_REGION_WARNING"):
        "fragment: where the Pipes Region warning is acknowledged (the Cqrs of the blocks above elided); "
        "examples/orders_cqrs does it on a full stack",
    ("docs/secrets-and-vpc.md", "from cdk_serverless_patterns.runtime.secrets import get_parameter, get_secret"):
        "handler code: reads the deployed secret and parameter (tests/test_runtime_secrets.py runs the getters)",
    ("docs/patterns/fan_out.md", "from cdk_serverless_patterns.runtime.jobs import start_job"):
        "handler code: runs inside Lambda (publisher)",
    ("docs/patterns/fan_out.md", "import JobMessage, run_part"):
        "handler code: runs inside Lambda (worker; examples/image_jobs runs one under LocalCloud)",
    ("docs/patterns/fan_out.md", "def store_once"):
        "handler code: runs inside Lambda (aggregator; examples/image_jobs runs one under LocalCloud)",
    ("docs/patterns/saga.md", "steps=[...]"):
        "fragment: the start_api option on the Saga of the block above (its steps elided)",
    ("docs/checks.md", "# ... your stacks ..."):
        "fragment: where enable_checks goes in an app (its stacks elided)",
    ("docs/local-cloud.md", "from my_app.stack import OrdersStack"):
        "a test in the reader's project: imports the reader's own stack module (my_app)",
    ("docs/local-cloud.md", 'tokens = cloud.sign_in(backend, "ada@example.com", groups=["admins"])'):
        "a test taking the reader's stack and backend; tests/local/test_sign_in.py runs the same flow on an ApiBackend",
    ("README.md", "cloud.fail(worker, times=5)"):
        "fragment: stack, backend, worker and fan_out are the reader's; docs/testing.md's full example runs in "
        "tests/local/test_docs_example.py",
    ("docs/testing.md", "# handlers/orders/app.py"):
        "handler code; tests/local/test_docs_example.py runs it with the LocalCloud test below",
    ("docs/testing.md", "from cdk_serverless_patterns.local import LocalCloud"):
        "needs the real handler of the block above, not a stub: tests/local/test_docs_example.py runs both",
    ("docs/patterns/saga.md", "workflow_type=WorkflowType.EXPRESS"):
        "fragment: reserve/release/charge are the specs of the usage block above",
    ("docs/patterns/saga.md", "saga.grant_start(api_function)"):
        "fragment: reserve/release/charge/ship are the specs of the usage block above and api_function is the "
        "reader's; tests/test_durable_saga.py builds a DurableSaga",
    ("docs/observability.md", "from cdk_serverless_patterns.runtime.metrics import emit"):
        "handler code: publishes a business metric from inside Lambda (tested in tests/test_runtime_metrics.py)",
    ("docs/patterns/saga.md", "from my_app.payments import find_payment"):
        "handler code: a compensation inside Lambda (examples/order_saga runs the same under LocalCloud)",
    ("docs/patterns/saga.md", "cloud.send_durable_callback("):
        "test fragment: cloud, stack and order are the test's; tests/local/test_order_saga_durable.py runs the same",
}

#: Blocks `mypy --strict` cannot check, by (file, a line of the block): why. Every other block,
#: handler code and skipped blocks included, is type-checked as a file of its own.
NOT_TYPE_CHECKED = {
    ("docs/patterns/cqrs.md", "from cdk_serverless_patterns.runtime import event_store, projection"):
        "fragment of two handlers: order_id, request_id, r and apply are the handler's own",
    ("docs/local-cloud.md", "from my_app.stack import OrdersStack"):
        "imports the reader's own stack module (my_app)",
    ("README.md", "cloud.fail(worker, times=5)"):
        "fragment: stack, backend, worker and fan_out are the reader's",
    ("docs/patterns/saga.md", "steps=[...]"):
        "fragment: the steps are elided and ORDER_SCHEMA/checkout_service_role are the reader's",
    ("docs/patterns/saga.md", "workflow_type=WorkflowType.EXPRESS"):
        "fragment: reserve/release/charge are the specs of the usage block above",
    ("docs/observability.md", "from cdk_serverless_patterns.runtime.metrics import emit"):
        "fragment of a handler: orders is the handler's own",
    ("docs/patterns/saga.md", "saga.grant_start(api_function)"):
        "fragment: reserve/release/charge/ship are the specs of the usage block above, api_function the reader's",
    ("docs/patterns/saga.md", "from my_app.payments import find_payment"):
        "imports the reader's own data-access module (my_app)",
    ("docs/patterns/saga.md", "cloud.send_durable_callback("):
        "test fragment: cloud (a LocalCloud), stack and order are the test's",
}

#: What the docs' prose says the blocks may use without defining it (the names `ran` defines).
PRELUDE = """import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb, aws_sns as sns
app = cdk.App()
stack = cdk.Stack(app, "Docs")
self = stack
alarms_topic: sns.ITopic
topic: sns.ITopic
orders_table: dynamodb.ITable
"""


@dataclass
class Block:
    doc: str
    line: int
    code: str
    skip: Optional[str] = None
    error: Optional[BaseException] = None
    stacks: list[str] = field(default_factory=list)
    own_apps: list[Any] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        rel = str(doc.relative_to(ROOT))
        for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
            code = match.group(1)
            skip = next((why for (d, marker), why in SKIPPED.items() if d == rel and marker in code), None)
            found.append(Block(rel, text.count("\n", 0, match.start()) + 1, code, skip))
    return found


BLOCKS = _blocks()


def _write_handlers(code: str, where: Path) -> str:
    """Handler files for ``code`` under ``where``; returns the code with CloudFront function paths absolute.

    (The library hands those paths to jsii, whose process keeps the working
    directory pytest started in.)
    """
    # (module, function) pairs: the library checks at synth that the handler function exists
    refs = set(re.findall(r"""handler\s*(?::\s*str\s*)?=\s*f?["']([A-Za-z_][\w.]*)\.([A-Za-z_{][\w}]*)["']""", code))
    refs |= set(re.findall(r"""\(\s*["']([A-Za-z_]\w*)\.([A-Za-z_]\w*)["']""", code))  # fn("module.function")
    # an f-string function name (f"orders.{name}"): the names it takes are the identifiers quoted in the block
    quoted = set(re.findall(r"""["']([a-z_][a-z0-9_]*)["']""", code))
    functions: dict[str, set[str]] = {}
    for module, function in refs:
        functions.setdefault(module, {"handler"}).update(quoted if "{" in function else {function})
    for directory in set(re.findall(r"""code\s*=\s*["']([\w./-]+)["']""", code)) | {"handler", "handlers"}:
        for module, names in functions.items():
            path = where / directory / (module.replace(".", "/") + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"def {name}(event, context):\n    return event\n\n\n" for name in sorted(names)))
    for js in set(re.findall(r"""["']([\w./-]+\.js)["']""", code)):
        (where / js).parent.mkdir(parents=True, exist_ok=True)
        (where / js).write_text("function handler(event) {\n  return event.response;\n}\n")
        code = code.replace(f'"{js}"', repr(str(where / js)))
    return code


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Block]:
    """Every block executed once; the shared app synthesized once."""
    import os

    import aws_cdk as cdk

    from cdk_serverless_patterns import EncryptedTopic, enable_checks, set_default_alarm_topic
    from tests.support import TEST_ALARM_TOPIC_ARN
    from cdk_serverless_patterns.building_blocks.tables import create_table

    import cdk_serverless_patterns
    from cdk_serverless_patterns.checks import COMPLIANCE_PACKS

    work = tmp_path_factory.mktemp("docs")
    cwd = os.getcwd()
    os.chdir(work)
    patch = pytest.MonkeyPatch()
    if os.environ.get("DOCS_SNIPPETS_ALL_PACKS") == "1":
        def enable_all_checks(app: cdk.App, **options: Any) -> None:
            enable_checks(app, **{**options, "compliance": tuple(COMPLIANCE_PACKS)})

        patch.setattr(cdk_serverless_patterns, "enable_checks", enable_all_checks)
    try:
        app = cdk.App(outdir=str(work / "cdk.out"))
        cdk_serverless_patterns.enable_checks(app)
        set_default_alarm_topic(app, TEST_ALARM_TOPIC_ARN)
        for index, block in enumerate(BLOCKS):
            if block.skip:
                continue
            code = _write_handlers(block.code, work)
            before = {c.node.id for c in app.node.children}
            stack = cdk.Stack(app, f"Docs{index}", env=cdk.Environment(account="111111111111", region="us-east-1"))
            topic = EncryptedTopic(stack, "Alarms").topic
            namespace: dict[str, Any] = {
                "__name__": "docs_snippet", "app": app, "stack": stack, "self": stack,
                "alarms_topic": topic, "topic": topic,
                "orders_table": create_table(stack, "OrdersTable", partition_key="pk"),
            }
            try:
                exec(compile(code, block.id, "exec"), namespace)
                for name, value in list(namespace.items()):
                    if name.startswith("test_") and callable(value):
                        value()
            except Exception as error:  # reported by the block's own test
                block.error = error
            block.own_apps = [v for v in namespace.values() if isinstance(v, cdk.App) and v is not app]
            block.stacks = [c.node.id for c in app.node.children if c.node.id not in before and isinstance(c, cdk.Stack)]
            if not block.own_apps and block.stacks == [stack.node.id] and len(stack.node.children) == 2:
                block.stacks = []  # the block used neither `stack` nor `app`
        try:
            app.synth()
        except Exception as error:
            if "Validation" not in str(error):
                for block in BLOCKS:
                    block.error = block.error or error
        BLOCKS_BY_ID = {b.id: b for b in BLOCKS}
        BLOCKS_BY_ID["__outdir__"] = Block("", 0, str(work / "cdk.out"))
        return BLOCKS_BY_ID
    finally:
        patch.undo()
        os.chdir(cwd)


def test_the_docs_have_blocks_and_every_skip_is_used():
    assert len(BLOCKS) >= 15
    used = {(b.doc, marker) for b in BLOCKS for (d, marker) in SKIPPED if d == b.doc and marker in b.code}
    assert used == set(SKIPPED), "a skipped block no longer exists: drop its entry"


@pytest.mark.parametrize("block_id", [b.id for b in BLOCKS])
def test_block_synthesizes_with_zero_findings(ran, block_id):
    from cdk_serverless_patterns.testing import findings

    block = ran[block_id]
    if block.skip:
        pytest.skip(block.skip)
    if block.error is not None:
        raise block.error
    open_findings = [
        f for f in findings(ran["__outdir__"].code)
        if any(f.path == s or f.path.startswith(f"{s}/") for s in block.stacks)
    ]
    for own in block.own_apps:
        open_findings += findings(own)
    assert open_findings == [], "\n".join(str(f) for f in open_findings)
    assert block.stacks or any(own.node.children for own in block.own_apps), (
        "the block built no stack: list it in SKIPPED with a reason, or make it build one"
    )


def test_every_block_passes_mypy_strict(tmp_path):
    """One `mypy --strict` run (this repository's config: boto3 ships no types) over every block
    as a file of its own, so a pasted block type-checks in the reader's project too."""
    import subprocess
    import sys

    from tests.test_typing import mypy_cache_dir

    files = {}
    for index, block in enumerate(BLOCKS):
        if any(d == block.doc and marker in block.code for d, marker in NOT_TYPE_CHECKED):
            continue
        path = tmp_path / f"docs_block_{index}.py"  # a file per block: no two share a module name
        path.write_text(PRELUDE + block.code, encoding="utf-8")
        files[path.name] = block
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(mypy_cache_dir()), "--no-error-summary", *sorted(str(tmp_path / f) for f in files)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode in (0, 1), proc.stderr or proc.stdout  # 2 = mypy itself failed
    prelude_lines = PRELUDE.count("\n")
    errors = []
    for line in proc.stdout.splitlines():
        match = re.match(r"(?:.*/)?(docs_block_\d+\.py):(\d+): (error: .*)", line)
        if match:
            block = files[match[1]]
            errors.append(f"{block.doc}:{block.line + int(match[2]) - prelude_lines}: {match[3]}")
    assert errors == [], "\n".join(errors)


def test_every_type_check_exception_is_used():
    used = {(b.doc, marker) for b in BLOCKS for (d, marker) in NOT_TYPE_CHECKED if d == b.doc and marker in b.code}
    assert used == set(NOT_TYPE_CHECKED), "a block no longer exists: drop its entry"


def test_ten_lines_are_ten_lines():
    code = re.search(r"## Ten lines\n\n```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 10


def test_every_pattern_block_builds_every_pattern(ran):
    [block] = [b for b in BLOCKS if b.doc == "README.md" and "Every pattern" not in b.code and "EdgeSite(stack" in b.code]
    [own] = block.own_apps  # the block is a whole app, alarm topic included
    template = json.loads((Path(own.outdir) / "Everything.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    for expected in ("AWS::ApiGateway::RestApi", "AWS::Events::Rule", "AWS::Kinesis::Stream", "AWS::SNS::Topic",
                     "AWS::StepFunctions::StateMachine", "AWS::Pipes::Pipe", "AWS::Scheduler::Schedule",
                     "AWS::CloudFront::Distribution"):
        assert expected in types, expected


def test_escape_hatch_example_reaches_the_l1(ran):
    [block] = [b for b in BLOCKS if b.doc == "docs/escape-hatches.md" and '"Tuned"' in b.code]
    [own] = block.own_apps
    template = json.loads((Path(own.outdir) / "Tuned.template.json").read_text())
    resources = template["Resources"].values()
    [items] = [r for r in resources if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("EphemeralStorage")]
    assert items["Properties"]["EphemeralStorage"] == {"Size": 1024}
    assert items["Properties"]["Environment"]["Variables"]["FEATURE_FLAGS"] == "beta"
    [stage] = [r for r in resources if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["Description"] == "public items API"
