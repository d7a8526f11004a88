"""Reading a state machine's definition from a template: its ASL and its happy path."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_SUB = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def definition(props: Mapping[str, Any]) -> dict[str, Any]:
    """The ASL of a state machine's properties (``DefinitionString`` or ``Definition``), every
    reference replaced by ``${LogicalId}``; ``{}`` when the template does not hold it (a definition
    in S3, or one built by functions CloudFormation resolves at deploy time)."""
    if isinstance(props.get("Definition"), Mapping):
        text = json.dumps(_replace_intrinsics(props["Definition"]))
    else:
        text = _flatten(props.get("DefinitionString"))
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _replace_intrinsics(value: Any) -> Any:
    """A ``Definition`` object with each Ref/GetAtt turned into ``${LogicalId}``."""
    if isinstance(value, Mapping):
        if len(value) == 1 and ("Ref" in value or "Fn::GetAtt" in value or "Fn::Join" in value):
            return _flatten(value)
        return {k: _replace_intrinsics(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_intrinsics(v) for v in value]
    return value


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return str(sep).join(_flatten(p) for p in parts)
        if "Ref" in value:
            return "${" + str(value["Ref"]) + "}"
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return "${" + str(target[0] if isinstance(target, list) else str(target).split(".")[0]) + "}"
        return "${?}"
    return str(value)


def task_reference(state: Mapping[str, Any]) -> str:
    """The logical id a Task state calls (its Resource, or FunctionName in its Parameters), or ``""``."""
    found = _SUB.findall(json.dumps(state.get("Resource", "")) + json.dumps(state.get("Parameters", {})))
    return found[0] if found else ""


def _nested(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The state machines inside a state: a Parallel state's branches, a Map state's processor."""
    processor = state.get("ItemProcessor") or state.get("Iterator")
    return [*(state.get("Branches") or []), *([processor] if processor else [])]


def all_states(asl: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every state, branches and item processors included."""
    out: list[Mapping[str, Any]] = []
    for state in (asl.get("States") or {}).values():
        out.append(state)
        for inner in _nested(state):
            out.extend(all_states(inner))
    return out


def happy_path(asl: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The states one successful execution enters, in order (Choice: its Default, or its first rule;
    Parallel/Map: their branches' paths once; Catch branches, e.g. saga compensations, not taken)."""
    states = asl.get("States") or {}
    out: list[Mapping[str, Any]] = []
    current, seen = asl.get("StartAt"), set()
    while isinstance(current, str) and current in states and current not in seen:
        seen.add(current)
        state = states[current]
        out.append(state)
        for inner in _nested(state):
            out.extend(happy_path(inner))
        if state.get("Type") == "Choice":
            choices = state.get("Choices") or [{}]
            current = state.get("Default") or choices[0].get("Next")
        elif state.get("End") or state.get("Type") in ("Succeed", "Fail"):
            break
        else:
            current = state.get("Next")
    return out
