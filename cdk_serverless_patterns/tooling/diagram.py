"""A Mermaid flowchart of synthesized templates (the graph is :mod:`.graph`'s).

One subgraph per stack, and inside it one per pattern construct. Solid arrows
are triggers (events flow), dotted arrows data access through the function's
role (``reads``, ``writes``, ``publishes``...), red dotted arrows dead-letter
and on-failure paths. Everything is read from the template, so the diagram
shows what ``cdk deploy`` would create.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .graph import Node, ResourceGraph

#: CloudFormation type -> Mermaid node shape (open, close).
SHAPES: dict[str, tuple[str, str]] = {
    "AWS::ApiGateway::RestApi": ("([", "])"),
    "AWS::ApiGatewayV2::Api": ("([", "])"),
    "AWS::CloudFront::Distribution": ("([", "])"),
    "AWS::Lambda::Url": ("([", "])"),
    "AWS::SQS::Queue": ("[/", "/]"),
    "AWS::Kinesis::Stream": ("[/", "/]"),
    "AWS::SNS::Topic": ("{{", "}}"),
    "AWS::Events::Rule": ("{{", "}}"),
    "AWS::Events::EventBus": ("{{", "}}"),
    "AWS::Scheduler::Schedule": ("{{", "}}"),
    "AWS::Pipes::Pipe": ("{{", "}}"),
    "AWS::DynamoDB::Table": ("[(", ")]"),
    "AWS::DynamoDB::GlobalTable": ("[(", ")]"),
    "AWS::S3::Bucket": ("[(", ")]"),
    "AWS::StepFunctions::StateMachine": ("[[", "]]"),
}
_ARROWS = {"trigger": "-->", "data": "-.->", "failure": "-.->"}
FAILURE_STYLE = "stroke:#c0392b,color:#c0392b"


def _id(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _text(value: str) -> str:
    """Mermaid-safe label text (inside double quotes)."""
    return value.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _node_line(stack: str, node: Node) -> str:
    open_, close = SHAPES.get(node.kind, ("[", "]"))
    return f'{_id(stack, node.id)}{open_}"{_text(node.title)}<br/>{_text(node.name)}"{close}'


def mermaid(graphs: Sequence[ResourceGraph]) -> str:
    """One ``flowchart LR``: a subgraph per stack, nested subgraphs per pattern construct."""
    lines = ["flowchart LR"]
    failures: list[int] = []
    edge_count = 0
    for g in graphs:
        key = _id("stack", g.stack)
        lines.append(f'  subgraph {key}["{_text(g.stack)}"]')
        for group, nodes in g.groups().items():
            indent = "    "
            if group:
                lines.append(f'    subgraph {_id(key, group)}["{_text(group)}"]')
                indent = "      "
            lines.extend(indent + _node_line(g.stack, node) for node in nodes)
            if group:
                lines.append("    end")
        lines.append("  end")
        unknown = g.not_drawn()
        if unknown:
            listed = ", ".join(f"{kind} x{len(ids)}" for kind, ids in sorted(unknown.items()))
            note = _id(key, "not_drawn")
            lines.insert(-1, f'    {note}["not drawn: {_text(listed)}"]')
            lines.append(f"  style {note} stroke-dasharray: 4 4,fill:#fff")
        for edge in g.edges:
            label = f"|\"{_text(edge.label)}\"|" if edge.label else ""
            lines.append(f"  {_id(g.stack, edge.source)} {_ARROWS[edge.kind]}{label} {_id(g.stack, edge.target)}")
            if edge.kind == "failure":
                failures.append(edge_count)
            edge_count += 1
    if failures:
        lines.append(f"  linkStyle {','.join(map(str, failures))} {FAILURE_STYLE}")
    return "\n".join(lines)
