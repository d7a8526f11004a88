"""Every rule a :class:`FunctionSpec` and the function constructs check, before anything exists.

Rules that look at one field are data (:class:`SpecRule` tables); the few that
need several steps (timeout, handler file, environment, idempotency) are
functions. All of them add to one :class:`~cdk_serverless_patterns.errors.Problems`,
so a user sees every problem in one :class:`PatternConfigError`; values known
only at deploy time (tokens) are skipped, not guessed.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

from aws_cdk import Duration, Stack, Token
from constructs import Construct

from cdk_serverless_patterns._cdk_modules import aws_lambda as lambda_
from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.errors import Problems, is_number, is_token

from ..runtime_family import runtime_family
from ..delivery_rules import duration_seconds
from ..idempotency import Idempotency
from ..lambda_layers import Tracing, validate_observability
from .access import edge_access_problems, reference_environment, validate_access
from .compute import validate_compute_options
from .spec import FunctionSpec, Invocation


_HANDLER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
#: Lambda: keys start with a letter, then letters, digits or underscores.
_ENV_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
_MODULE_SUFFIXES = {"python": (".py",), "nodejs": (".js", ".mjs", ".cjs")}

_Text = Union[str, Callable[[FunctionSpec], str]]


def _always(spec: FunctionSpec) -> bool:
    return True


@dataclass(frozen=True)
class SpecRule:
    """One rule over a spec: where ``applies``, ``ok`` must hold.

    A failure reports ``<prefix>.<field>`` = ``value``, what is ``allowed`` and the ``fix``;
    ``field`` and ``allowed`` may depend on the spec.
    """

    field: _Text
    ok: Callable[[FunctionSpec], bool]
    value: Callable[[FunctionSpec], object]
    allowed: _Text
    fix: str
    applies: Callable[[FunctionSpec], bool] = _always


def check_rules(problems: Problems, spec: FunctionSpec, prefix: str, rules: Sequence[SpecRule]) -> None:
    """Add a problem for every rule in ``rules`` that applies to ``spec`` and fails."""
    for rule in rules:
        if not rule.applies(spec):
            continue
        name = rule.field if isinstance(rule.field, str) else rule.field(spec)
        allowed = rule.allowed if isinstance(rule.allowed, str) else rule.allowed(spec)
        problems.check(rule.ok(spec), f"{prefix}.{name}", rule.value(spec), allowed, rule.fix)


def _is_member(value: object, cls: type, *names: str) -> bool:
    return isinstance(value, cls) and getattr(value, "name", None) in names


def _architecture_shown(spec: FunctionSpec) -> object:
    return spec.architecture.name if isinstance(spec.architecture, lambda_.Architecture) else spec.architecture


#: The fields whose wrong *type* would otherwise fail deep inside jsii.
TYPE_RULES: tuple[SpecRule, ...] = (
    SpecRule(
        "runtime",
        lambda s: isinstance(s.runtime, lambda_.Runtime),
        lambda s: s.runtime,
        "an aws_lambda.Runtime, or None for the newest Python runtime",
        "pass runtime=aws_lambda.Runtime.PYTHON_3_13 (the member, not its name), or leave it out",
        applies=lambda s: s.runtime is not None,
    ),
    SpecRule(
        "runtime",
        lambda s: _runtime_family(s) in _MODULE_SUFFIXES,
        lambda s: getattr(s.runtime, "name", s.runtime),
        "a Python or Node.js runtime (the families the library builds, checks and runs handlers for)",
        "pass runtime=aws_lambda.Runtime.PYTHON_3_13 or NODEJS_22_X, or leave it out for the newest Python",
        applies=lambda s: isinstance(s.runtime, lambda_.Runtime),
    ),
    SpecRule(
        "architecture",
        lambda s: _is_member(
            s.architecture, lambda_.Architecture, lambda_.Architecture.ARM_64.name, lambda_.Architecture.X86_64.name
        ),
        _architecture_shown,
        "aws_lambda.Architecture.ARM_64 or X86_64, or None (the pattern chooses: arm64; x86_64 for Lambda@Edge)",
        "leave architecture out, or pass aws_lambda.Architecture.ARM_64 (the member, not its name)",
        applies=lambda s: s.architecture is not None,
    ),
    SpecRule(
        "snap_start",
        lambda s: isinstance(s.snap_start, bool),
        lambda s: s.snap_start,
        "True or False",
        "pass snap_start=True or leave it out",
    ),
    SpecRule(
        "description",
        lambda s: isinstance(s.description, str),
        lambda s: s.description,
        "a string or None",
        "pass description='...'",
        applies=lambda s: s.description is not None,
    ),
    SpecRule(
        "description",
        lambda s: len(str(s.description)) <= defaults.DESCRIPTION_MAX_CHARS,
        lambda s: s.description,
        lambda s: f"at most {defaults.DESCRIPTION_MAX_CHARS} characters (Lambda), got {len(str(s.description))}",
        "shorten the description; put longer documentation in the code or a README",
        applies=lambda s: isinstance(s.description, str) and not is_token(s.description),
    ),
    SpecRule(
        "layers",
        lambda s: isinstance(s.layers, (list, tuple)) and all(hasattr(layer, "layer_version_arn") for layer in s.layers),
        lambda s: s.layers,
        "a list of aws_lambda.ILayerVersion",
        "pass layers=[aws_lambda.LayerVersion.from_layer_version_arn(scope, 'Deps', arn)]",
    ),
    SpecRule(
        "layers",
        lambda s: len(s.layers) + len(library_layers(s)) <= defaults.LAYERS_MAX,
        lambda s: f"{len(s.layers)} layer(s)",
        lambda s: f"at most {defaults.LAYERS_MAX - len(library_layers(s))} (Lambda allows {defaults.LAYERS_MAX} "
        f"layers per function and the library adds {len(library_layers(s))}: {', '.join(library_layers(s)) or 'none'})",
        "merge your layers into one, or bundle dependencies into the code directory",
        applies=lambda s: isinstance(s.layers, (list, tuple)) and isinstance(s.resolved_runtime, lambda_.Runtime),
    ),
)


def _runtime_family(spec: FunctionSpec) -> str:
    return runtime_family(spec.resolved_runtime) or ""


def library_layers(spec: FunctionSpec) -> list[str]:
    """The layers the library itself adds to ``spec``'s function (they count toward Lambda's 5)."""
    names = []
    if _runtime_family(spec) == "python":
        names.append("the runtime layer")
    if spec.powertools is not False:
        names.append("Powertools")
    if spec.tracing is Tracing.OPENTELEMETRY:
        names.append("ADOT")
    return names

#: Reserved and provisioned concurrency, alone and together.
CONCURRENCY_RULES: tuple[SpecRule, ...] = (
    SpecRule(
        "reserved_concurrency",
        lambda s: is_number(s.reserved_concurrency) and s.reserved_concurrency >= 0,
        lambda s: s.reserved_concurrency,
        "an integer >= 0, not a bool (0 stops all invocations)",
        "pass a non-negative integer or None to share the account pool",
        applies=lambda s: s.reserved_concurrency is not None,
    ),
    SpecRule(
        "provisioned_concurrency",
        lambda s: is_number(s.provisioned_concurrency) and s.provisioned_concurrency >= 1,
        lambda s: s.provisioned_concurrency,
        "an integer >= 1, not a bool",
        "pass at least 1, or None for on-demand only",
        applies=lambda s: s.provisioned_concurrency is not None,
    ),
    SpecRule(
        "provisioned_concurrency",
        lambda s: int(s.provisioned_concurrency or 0) <= int(s.reserved_concurrency or 0),
        lambda s: s.provisioned_concurrency,
        lambda s: f"<= reserved_concurrency ({s.reserved_concurrency})",
        "raise reserved_concurrency or lower provisioned_concurrency",
        applies=lambda s: is_number(s.reserved_concurrency) and is_number(s.provisioned_concurrency),
    ),
    SpecRule(
        "snap_start",
        lambda s: False,
        lambda s: True,
        "SnapStart without provisioned concurrency (Lambda's SnapStart supports no provisioned concurrency: "
        "https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html)",
        "drop snap_start or provisioned_concurrency",
        applies=lambda s: bool(s.snap_start) and s.provisioned_concurrency is not None,
    ),
)


def _edge_runtime_family(spec: FunctionSpec) -> str:
    runtime = spec.resolved_runtime
    return runtime_family(runtime) or str(runtime.name)


#: What Lambda@Edge cannot do (event-specific quotas are the caller's to check):
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html
#: ``environment`` here holds every variable the function would get.
EDGE_RULES: tuple[SpecRule, ...] = (
    SpecRule(
        "architecture",
        lambda s: _is_member(s.architecture, lambda_.Architecture, lambda_.Architecture.X86_64.name),
        _architecture_shown,
        "X86_64 or unset (Lambda@Edge does not run arm64 functions; unset, the edge function gets X86_64)",
        "leave architecture out of the edge function's spec",
        applies=lambda s: isinstance(s.architecture, lambda_.Architecture),
    ),
    SpecRule(
        "environment",
        lambda s: not s.environment,
        lambda s: sorted(s.environment),
        "no environment variables (Lambda@Edge rejects them)",
        "put configuration in the code package (a constants module or bundled JSON file)",
    ),
    SpecRule(
        "layers",
        lambda s: not s.layers,
        lambda s: f"{len(s.layers)} layer(s)" if isinstance(s.layers, (list, tuple)) else s.layers,
        "no layers (Lambda@Edge rejects them)",
        "bundle dependencies into the code directory",
    ),
    SpecRule(
        "provisioned_concurrency",
        lambda s: s.provisioned_concurrency is None,
        lambda s: s.provisioned_concurrency,
        "None (Lambda@Edge does not support provisioned concurrency)",
        "drop provisioned_concurrency",
    ),
    SpecRule(
        "reserved_concurrency",
        lambda s: s.reserved_concurrency is None,
        lambda s: s.reserved_concurrency,
        "None (replicas run on each Region's shared concurrency; a reservation on the us-east-1 "
        "function does not cap or protect them)",
        "drop reserved_concurrency; ask for a higher Regional concurrency quota instead",
    ),
    SpecRule(
        lambda s: "powertools" if s.powertools is not False else "tracing",
        lambda s: s.powertools is False and s.tracing is Tracing.XRAY,
        lambda s: s.powertools if s.powertools is not False else s.tracing,
        "no Powertools layer and no OpenTelemetry (Lambda@Edge rejects layers)",
        "bundle what the edge function needs into its code directory",
    ),
    SpecRule(
        "snap_start",
        lambda s: not s.snap_start,
        lambda s: s.snap_start,
        "False (SnapStart is not among the Lambda features Lambda@Edge supports)",
        "drop snap_start; keep edge handlers small so cold starts stay short",
    ),
    SpecRule(
        "managed_instances",
        lambda s: s.managed_instances is None,
        lambda s: s.managed_instances,
        "None (Lambda@Edge runs in CloudFront's Regions, not on a capacity provider's instances)",
        "drop managed_instances from the edge function's spec",
    ),
    SpecRule(
        "runtime",
        lambda s: _edge_runtime_family(s) in defaults.EDGE_RUNTIME_FAMILIES,
        lambda s: s.resolved_runtime.name,
        "a Node.js or Python runtime (the runtimes Lambda@Edge supports)",
        "pass runtime=aws_lambda.Runtime.PYTHON_3_x or NODEJS_x_X, or leave the default",
        applies=lambda s: isinstance(s.resolved_runtime, lambda_.Runtime),  # else validate_spec reports it
    ),
)


def validate_spec(
    problems: Problems,
    spec: object,
    *,
    field_prefix: str = "spec",
    max_timeout_s: Optional[float] = None,
    max_timeout_reason: str = "",
    extra_environment: Optional[Mapping[str, str]] = None,
    passes_tenant_id: bool = False,
    invocation: Optional[Invocation] = None,
) -> None:
    """Add every problem with ``spec`` to ``problems``.

    Patterns call this for each spec before creating anything, and may pass a
    tighter ``max_timeout_s`` (API Gateway's 29 s, for example).
    ``passes_tenant_id``: the caller sends a tenant id with every invoke (only
    ``ApiBackend``'s REST routes do); otherwise a spec with ``tenant_isolation``
    is a problem, explained for ``invocation`` when it is known.
    """
    p = field_prefix
    if not isinstance(spec, FunctionSpec):
        problems.add(p, spec, "a FunctionSpec", "pass FunctionSpec(code=..., handler=...)")
        return
    problems.check_int(
        f"{p}.memory_size",
        spec.memory_size,
        low=defaults.MEMORY_MIN_MB,
        high=defaults.MEMORY_MAX_MB,
        allowed=f"{defaults.MEMORY_MIN_MB}-{defaults.MEMORY_MAX_MB} MB, an integer (Lambda quota)",
        fix="pass memory_size within that range, e.g. 256",
    )
    _validate_timeout(problems, spec, p, max_timeout_s, max_timeout_reason)
    _validate_handler_and_code(problems, spec, p)
    check_rules(problems, spec, p, CONCURRENCY_RULES)
    validate_observability(
        problems, powertools=spec.powertools, tracing=spec.tracing, runtime=spec.resolved_runtime, field_prefix=p
    )
    check_rules(problems, spec, p, TYPE_RULES)
    validate_compute_options(problems, spec, p)
    if spec.tenant_isolation is not None and not passes_tenant_id:
        problems.add(
            f"{p}.tenant_isolation",
            spec.tenant_isolation,
            "only on functions of ApiBackend REST routes, which map the tenant id into every invoke (Lambda "
            f"rejects a tenant-isolated invoke without one; {_NO_TENANT_ID.get(invocation, _NO_TENANT_ID[None])})",
            "serve the function from an ApiBackend route (api_type=ApiType.REST), or drop tenant_isolation",
        )
    _validate_idempotency(problems, spec.idempotency, f"{p}.idempotency")
    validate_access(problems, spec, p)
    if not isinstance(spec.environment, Mapping):
        problems.add(
            f"{p}.environment",
            spec.environment,
            "a mapping of variable names to string values",
            "pass environment={'NAME': 'value'}",
        )
    else:
        env = {**spec.environment, **reference_environment(spec), **(extra_environment or {})}
        _validate_environment(problems, env, f"{p}.environment")


#: Why a caller cannot pass a tenant id, by how it invokes (None: not known).
_NO_TENANT_ID: dict[Optional[Invocation], str] = {
    Invocation.EVENT_SOURCE: "queue and stream triggers (event source mappings) pass no tenant id",
    Invocation.ASYNC: "asynchronous triggers (EventBridge, S3, SNS, Scheduler) pass no tenant id",
    Invocation.SYNC: "this caller passes none: function URLs, Step Functions, authorizers and HTTP APIs cannot",
    None: "queue and stream triggers (event source mappings), asynchronous triggers, function URLs, Step "
    "Functions, authorizers and HTTP APIs pass none",
}


def _validate_idempotency(problems: Problems, value: object, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, Idempotency):
        problems.add(
            field_name,
            value,
            "an Idempotency (Idempotency.natural(reason) or Idempotency.conditional_write(key)), or None",
            "pass idempotency=Idempotency.natural('why a repeated event is harmless')",
        )
        return
    problems.check(
        isinstance(value.how, str) and bool(value.how.strip()),
        f"{field_name}.how",
        value.how,
        "a non-empty sentence saying how a repeat is harmless (a reviewer checks it against the code)",
        "pass Idempotency.natural('overwrites report/<date>.csv') or similar",
    )
    if value.kind.name == "CONDITIONAL_WRITE":
        problems.check(
            isinstance(value.key, str) and bool(value.key.strip()),
            f"{field_name}.key",
            value.key,
            "the non-empty name of what the conditional write is keyed by",
            "pass Idempotency.conditional_write('event id')",
        )


def _validate_timeout(
    problems: Problems, spec: FunctionSpec, p: str, max_timeout_s: Optional[float], reason: str
) -> None:
    if not isinstance(spec.timeout, Duration):
        problems.add(f"{p}.timeout", spec.timeout, "an aws_cdk.Duration", "pass timeout=Duration.seconds(10)")
        return
    seconds = spec.timeout.to_milliseconds() / 1000
    if is_token(seconds):
        return
    problems.check(
        defaults.TIMEOUT_MIN_S <= seconds <= defaults.TIMEOUT_MAX_S,
        f"{p}.timeout",
        f"{seconds:g} s",
        f"{defaults.TIMEOUT_MIN_S}-{defaults.TIMEOUT_MAX_S} s (Lambda's 15 minute maximum)",
        "pass a Duration within that range; move longer work to Step Functions or ECS",
    )
    problems.check(
        seconds == int(seconds),
        f"{p}.timeout",
        f"{seconds:g} s",
        "whole seconds (Lambda's Timeout is an integer number of seconds)",
        f"pass timeout=Duration.seconds({max(int(seconds), 1)})",
    )
    if max_timeout_s is not None and seconds <= defaults.TIMEOUT_MAX_S:
        problems.check(
            seconds <= max_timeout_s,
            f"{p}.timeout",
            f"{seconds:g} s",
            f"at most {max_timeout_s:g} s ({reason})",
            f"pass timeout=Duration.seconds({int(max_timeout_s)}) or less, or make the work asynchronous",
        )


def _validate_handler_and_code(problems: Problems, spec: FunctionSpec, p: str) -> None:
    handler_ok = (
        isinstance(spec.handler, str)
        and bool(_HANDLER_RE.fullmatch(spec.handler))
        and len(spec.handler) <= defaults.HANDLER_MAX_CHARS
    )
    problems.check(
        handler_ok,
        f"{p}.handler",
        spec.handler,
        f"'module.function' (dotted packages allowed, e.g. 'orders.api.handler'), at most "
        f"{defaults.HANDLER_MAX_CHARS} characters (Lambda), no whitespace",
        "name the module file without its extension, then the function: handler='app.handler'",
    )
    if isinstance(spec.code, lambda_.Code):
        return  # an asset or bucket the user built; nothing to look at here
    if not isinstance(spec.code, (str, os.PathLike)):
        problems.add(f"{p}.code", spec.code, "a directory path or an aws_lambda.Code", "pass code='path/to/dir'")
        return
    if "\0" in os.fspath(spec.code):
        problems.add(f"{p}.code", spec.code, "a path without NUL bytes", "fix the path string")
        return
    directory = Path(spec.code)
    if not directory.is_dir():
        problems.add(
            f"{p}.code",
            str(spec.code),
            "an existing directory with the handler code",
            f"create the directory or fix the path (resolved to {directory.resolve()})",
        )
        return
    if not handler_ok or not isinstance(spec.resolved_runtime, lambda_.Runtime):
        return  # the runtime's own problem is reported by TYPE_RULES
    family = runtime_family(spec.resolved_runtime)
    suffixes = next(
        (sfx for name, sfx in _MODULE_SUFFIXES.items() if family == name),
        None,
    )
    if suffixes is None:
        return
    module = spec.handler.rsplit(".", 1)[0].replace(".", "/")
    candidates = [directory / f"{module}{s}" for s in suffixes] + [directory / module / "__init__.py"]
    found = next((c for c in candidates if c.is_file()), None)
    problems.check(
        found is not None,
        f"{p}.handler",
        spec.handler,
        f"a module file that exists in {directory} (looked for {', '.join(str(c.name) for c in candidates[:len(suffixes)])})",
        f"add {module}{suffixes[0]} to the code directory or fix the handler's module name",
    )
    if found is not None and found.suffix == ".py":
        _validate_python_function(problems, found, spec.handler.rsplit(".", 1)[1], f"{p}.handler", spec.handler)


def _validate_python_function(problems: Problems, module: Path, name: str, field_name: str, handler: str) -> None:
    """The module defines ``name`` at top level (def, async def, assignment or import), read with
    :mod:`ast` — the user's code is parsed, never imported. A file that does not parse is
    reported too (Lambda would fail to import it)."""
    try:
        tree = ast.parse(module.read_bytes(), filename=str(module))
    except (SyntaxError, ValueError) as error:
        problems.add(
            field_name, handler, f"a handler module Python can parse ({module}: {error})", "fix the module's syntax"
        )
        return
    defined = _top_level_names(tree.body)
    if "*" in defined or name in defined:
        return  # a star import may bring it in: give the benefit of the doubt
    functions = sorted(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    close = difflib.get_close_matches(name, functions, n=1)
    problems.add(
        field_name,
        handler,
        f"a function {name!r} defined at the top level of {module} (functions found: {', '.join(functions) or 'none'})",
        f"use handler='{handler.rsplit('.', 1)[0]}.{close[0]}'" if close else f"define def {name}(event, context) in {module.name}",
    )


def _top_level_names(body: Sequence[ast.stmt]) -> set[str]:
    """Names bound at a module's top level, including inside top-level if/try blocks."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            names |= _top_level_names(node.body)
            for extra in (getattr(node, "orelse", []), getattr(node, "finalbody", [])):
                names |= _top_level_names(extra)
            for handler in getattr(node, "handlers", []):
                names |= _top_level_names(handler.body)
    return names


def _validate_environment(problems: Problems, env: Mapping[str, str], p: str) -> None:
    size = 0
    for key, value in env.items():
        if not isinstance(key, str):
            problems.add(f"{p} key", key, "a string name", f"pass the name as a string, e.g. {str(key)!r}")
            continue
        problems.check(
            bool(_ENV_KEY_RE.match(key)) and key not in defaults.RESERVED_ENV_KEYS,
            f"{p}[{key!r}]",
            key,
            "a name of letters, digits and '_' starting with a letter, at least 2 characters, "
            "and not reserved by Lambda (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, _HANDLER, ...; the ones AWS "
            "documents as settable, such as AWS_LAMBDA_EXEC_WRAPPER, are fine)",
            "rename the variable, e.g. with your application's prefix",
        )
        if not isinstance(value, str):
            problems.add(f"{p}[{key!r}]", value, "a string value", f"pass str({value!r})")
            continue
        size += len(key.encode()) + (0 if is_token(value) else len(value.encode()))
    problems.check(
        size <= defaults.ENV_MAX_BYTES,
        p,
        f"{size} bytes",
        f"at most {defaults.ENV_MAX_BYTES} bytes in total (Lambda quota)",
        "move large values to SSM Parameter Store or Secrets Manager and pass their names",
    )


def validate_regional_options(
    problems: Problems, spec: object, *, region: str, async_retry_attempts: object, async_max_event_age: object
) -> None:
    """What depends on the Region (published layers) and the asynchronous invocation settings."""
    if isinstance(spec, FunctionSpec):
        region_problems = Problems(problems.path)
        validate_observability(
            region_problems,
            powertools=spec.powertools,
            tracing=spec.tracing,
            runtime=spec.resolved_runtime,
            field_prefix="spec",
            region=region,
        )
        problems.items.extend(i for i in region_problems.items if i not in problems.items)
    problems.check_int(
        "async_retry_attempts",
        async_retry_attempts,
        low=0,
        high=2,
        allowed="an integer 0-2 (Lambda asynchronous invocation)",
        fix="pass 0, 1 or 2",
    )
    duration_seconds(
        problems,
        "async_max_event_age",
        async_max_event_age,
        low_s=60,
        high_s=21600,
        allowed="60 s-6 h (Lambda asynchronous invocation)",
        fix="pass e.g. Duration.hours(1)",
    )


def validate_lambda_edge_spec(
    problems: Problems,
    spec: FunctionSpec,
    *,
    field_prefix: str = "spec",
    extra_environment: Optional[Mapping[str, str]] = None,
) -> None:
    """Add every way ``spec`` breaks Lambda@Edge's restrictions (:data:`EDGE_RULES`) to ``problems``.

    Event-specific quotas (viewer events: 128 MB, 5 s) are the caller's to check.
    """
    if not isinstance(spec, FunctionSpec):
        return  # validate_spec reports it
    env = {**spec.environment, **(extra_environment or {})} if isinstance(spec.environment, Mapping) else {}
    check_rules(problems, spec.replace(environment=env), field_prefix, EDGE_RULES)
    edge_access_problems(problems, spec, field_prefix)


def validate_edge_function(
    problems: Problems,
    scope: Construct,
    spec: object,
    *,
    extra_environment: Optional[Mapping[str, str]] = None,
    max_timeout: Optional[tuple[float, str]] = None,
    invocation: Invocation = Invocation.SYNC,
) -> None:
    """Everything an edge function checks: the spec, Lambda@Edge's restrictions, how it is invoked and where."""
    validate_spec(
        problems,
        spec,
        max_timeout_s=max_timeout[0] if max_timeout else None,
        max_timeout_reason=max_timeout[1] if max_timeout else "",
        extra_environment=extra_environment,
    )
    if isinstance(spec, FunctionSpec):
        validate_lambda_edge_spec(problems, spec, extra_environment=extra_environment)
    problems.check(
        invocation is Invocation.SYNC,
        "invocation",
        invocation.name,
        "SYNC (CloudFront invokes Lambda@Edge synchronously; it has no asynchronous DLQ)",
        "leave invocation at its default",
    )
    region = Stack.of(scope).region
    problems.check(
        not Token.is_unresolved(region),
        "stack region",
        region,
        "a concrete Region (Lambda@Edge lives in us-east-1; from another Region CDK deploys it "
        "through a companion stack and must know where the parent stack is)",
        "give the stack env=Environment(account=..., region=...) — ideally region='us-east-1'",
    )
