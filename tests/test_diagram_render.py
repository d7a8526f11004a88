"""The diagrams as renderers see them: Mermaid's own parser on the flowcharts, and the SVG drawing.

Mermaid runs in one Node process per call (about a second to start), so each
test validates all its diagrams at once; see tests/mermaid.py.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from cdk_serverless_patterns.tooling.assembly import stacks
from cdk_serverless_patterns.tooling.diagram import mermaid
from cdk_serverless_patterns.tooling.graph import Edge, Node, ResourceGraph, build_graph
from cdk_serverless_patterns.tooling.svg import layers, render_svg
from tests.mermaid import ROOT, SCRIPT, _node, markdown_errors, mermaid_errors, validate_mermaid

SVG = "{http://www.w3.org/2000/svg}"

INVALID = {
    "unbalanced bracket": ('flowchart LR\n  a["Lambda" --> b', "Parse error"),
    "bad arrow": ("flowchart LR\n  a ->> b", "Parse error"),
    "parentheses in an unquoted [label]": ("flowchart LR\n  a[Lambda (x)] --> b", "got 'PS'"),
    "subgraph without end": ("flowchart LR\n  subgraph s\n    a --> b", "Parse error"),
    "unquoted {id} in an edge label": ("flowchart LR\n  a -->|GET /orders/{id}| b", "DIAMOND_START"),
    "misspelt diagram type": ("flowchat LR\n  a --> b", "No diagram type detected"),
}


def graphs(outdir: Path) -> list[ResourceGraph]:
    return [build_graph(s.path, s.template()) for s in stacks(outdir)]


# --- Mermaid ---------------------------------------------------------------------------------


def test_the_validator_rejects_syntax_errors_with_the_parsers_message():
    valid = 'flowchart LR\n  a["Lambda (x)<br/>name"] -->|"GET /orders/{id}"| b[("DynamoDB")]'
    errors = mermaid_errors([valid, *(text for text, _ in INVALID.values())])
    assert errors[0] is None
    for (case, (_, expected)), error in zip(INVALID.items(), errors[1:]):
        assert error is not None and expected in error, (case, error)
    with pytest.raises(AssertionError, match=r"invalid Mermaid: Parse error on line \d+:[\s\S]*got 'PS'"):
        validate_mermaid(INVALID["parentheses in an unquoted [label]"][0])


def test_the_script_reads_markdown_files_and_stdin(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```mermaid\nflowchart LR\n  a --> b\n```\n\n```python\nx = (\n```\n\n"
                    "```mermaid\nflowchart LR\n  a ->> b\n```\n")
    good = tmp_path / "good.mmd"
    good.write_text("flowchart LR\n  a --> b\n")
    proc = subprocess.run([_node(), str(SCRIPT), str(page), str(good)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{page}:12: Parse error on line 2:"), proc.stdout  # the second block's fence
    assert proc.stdout.rstrip().endswith(f"ok {good}")
    proc = subprocess.run([_node(), str(SCRIPT)], input="flowchart LR\n  a --> b\n", capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, "ok <stdin>\n")


def test_the_diagram_of_synthesized_examples_parses(synthesized_example):
    texts = [mermaid(graphs(synthesized_example(name).outdir)) for name in ("image_jobs", "orders_api", "static_site")]
    validate_mermaid(*texts)


@pytest.fixture(scope="module")
def markdown_results() -> dict[Path, list[str]]:
    """Every ```mermaid block of the repository's Markdown, validated in one Node run."""
    pages = sorted(ROOT.glob("*.md")) + sorted((ROOT / "docs").rglob("*.md"))
    return markdown_errors([p.relative_to(ROOT) for p in pages])


@pytest.mark.parametrize("page", sorted(p.relative_to(ROOT) for p in (ROOT / "docs" / "examples").glob("*.md")), ids=str)
def test_example_pages_diagrams_parse(markdown_results, page):
    # the pages are what `diagram` prints for each example (tests/test_examples.py keeps them current)
    assert markdown_results[page] == []


def test_other_markdown_diagrams_parse(markdown_results):
    assert [e for page, errors in markdown_results.items() if page.parent.name != "examples" for e in errors] == []


# --- SVG -------------------------------------------------------------------------------------


def _graph(stack: str, nodes: list[tuple[str, str, str, str]], edges: list[tuple[str, str, str, str]]) -> ResourceGraph:
    """A graph by hand: nodes (id, label, name, group), edges (source, target, label, kind)."""
    return ResourceGraph(
        stack=stack, resources={},
        nodes={i: Node(i, f"AWS::{label}", label, name, group) for i, label, name, group in nodes},
        edges=[Edge(*e) for e in edges],
    )


def sample() -> list[ResourceGraph]:
    jobs = _graph("Jobs/Stage", [
        ("Api", "REST API", "Api", "Orders"), ("Fn", "Lambda", "Orders/Handler", "Orders"),
        ("Table", "DynamoDB", "Table", ""), ("Topic", "SNS", "Events", "Fan"),
        ("Q1", "SQS", "Workers/a/Queue", "Fan"), ("Q2", "SQS", "Workers/b <&> \"q\"", "Fan"),
        ("W1", "Lambda", "Workers/a", "Fan"), ("W2", "Lambda", "Workers/b", "Fan"), ("Dlq", "SQS", "Dead", "Fan"),
        ("Lonely", "S3", "Bucket", "Other & <Stuff>"),
    ], [
        ("Api", "Fn", "GET /orders/{id}", "trigger"), ("Api", "Fn", "POST /orders", "trigger"),
        ("Fn", "Table", "reads/writes", "data"), ("Fn", "Topic", "publishes", "data"),
        ("Topic", "Q1", "subscription", "trigger"), ("Topic", "Q2", "subscription", "trigger"),
        ("Q1", "W1", "polls", "trigger"), ("Q2", "W2", "polls", "trigger"), ("W1", "Topic", "loops", "trigger"),
        ("W2", "Table", "writes", "data"), ("Q2", "Dlq", "redrive", "failure"),
    ])
    return [jobs, _graph("Empty", [], [])]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            r = g.find(f"{SVG}rect")
            assert r is not None
            out[g.get("data-id", "")] = tuple(float(r.get(k, "0")) for k in ("x", "y", "width", "height"))
    return out


def check_svg(svg: str, graphs: list[ResourceGraph]) -> ET.Element:
    """The drawing's invariants: parses; each node once, named, not overlapping; a path per edge."""
    root = _parse(svg)
    names = Counter(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "name")
    assert names == Counter(n.name for g in graphs for n in g.nodes.values())
    boxes = list(_boxes(root).values())
    assert len(boxes) == sum(len(g.nodes) for g in graphs)
    for (ax, ay, aw, ah), (bx, by, bw, bh) in combinations(boxes, 2):
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, "overlapping node boxes"
    drawn = Counter((g.get("data-source"), g.get("data-target"), g.get("class"))
                    for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("edge ")
                    and g.find(f"{SVG}path") is not None)
    assert drawn == Counter((e.source, e.target, f"edge {e.kind}") for g in graphs for e in g.edges)
    return root


def test_svg_parses_and_draws_every_node_and_edge_once():
    root = check_svg(render_svg(sample()), sample())
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("class") in ("stack-title", "cluster-title")]
    assert titles == ["Jobs/Stage", "Orders", "Fan", "Other & <Stuff>", "Empty"]
    styles = {g.get("class"): g.find(f"{SVG}path").get("marker-end") for g in root.iter(f"{SVG}g")
              if (g.get("class") or "").startswith("edge ")}
    assert styles == {f"edge {k}": f"url(#arrow-{k})" for k in ("trigger", "data", "failure")}


def test_svg_escapes_xml_special_characters():
    svg = render_svg(sample())
    assert 'Workers/b &lt;&amp;&gt; &quot;q&quot;' in svg and "Other &amp; &lt;Stuff&gt;" in svg
    assert "<&>" not in svg


def test_svg_output_is_deterministic():
    assert render_svg(sample()) == render_svg(sample())
    assert render_svg([]) == render_svg([]) and _parse(render_svg([])) is not None


def test_layers_follow_triggers_and_ignore_data_edges_and_cycles():
    jobs = sample()[0]
    layer = layers(jobs)
    assert layer["Api"] == 0 and layer["Fn"] == 1  # two routes, one step
    assert layer["Topic"] == 0 and layer["Q1"] == layer["Q2"] == 1 and layer["W1"] == layer["W2"] == 2  # W1 -> Topic dropped
    assert layer["Table"] == max(layer["Fn"], layer["W2"]) + 1  # only data edges: right of its users
    assert layer["Dlq"] == layer["Q2"] + 1 and layer["Lonely"] == 0
    x = {k: v[0] for k, v in _boxes(_parse(render_svg([jobs]))).items()}
    assert x["Api"] < x["Fn"] and x["Topic"] < x["Q1"] < x["W1"]


def test_svg_of_a_synthesized_example(synthesized_example):
    found = graphs(synthesized_example("image_jobs").outdir)
    svg = render_svg(found)
    root = check_svg(svg, found)
    assert any(t.text == "ImageJobs" for t in root.iter(f"{SVG}text") if t.get("class") == "cluster-title")
    assert svg == render_svg(graphs(synthesized_example("image_jobs").outdir))
