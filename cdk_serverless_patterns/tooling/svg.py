"""An SVG drawing of resource graphs, in pure Python: no Graphviz, no browser.

A left-to-right layered layout, the way ``dot`` draws a pipeline:

* **columns** — longest-path layering over *trigger* edges (events flow left to
  right); cycles are broken by dropping DFS back edges. Data and failure edges
  do not constrain the layering, but a node that has no trigger edges at all
  (a table a function writes to, a dead-letter queue) goes one column right of
  the nodes that use it;
* **rows** — each pattern group is a horizontal band with a rounded, titled
  cluster rectangle, so clusters never overlap; inside a band, the nodes of a
  column are ordered by the barycentre of their neighbours (a few sweeps in
  both directions) to reduce crossings;
* **edges** — cubic curves with arrowheads, solid for triggers, dashed for
  data access, dotted for failures, labelled at their midpoint.

Text is measured with a fixed per-character width, so the output is the same
bytes for the same input on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence
from xml.sax.saxutils import escape

from .graph import Edge, Node, ResourceGraph

FONT = 12  #: px, node names; type labels are 10 px
CHAR = 0.62  #: assumed glyph width in em (generous for sans-serif)
BOX_H, PAD_X, MIN_W = 40, 10, 80
ROW_GAP, MIN_COL_GAP, BAND_TITLE, BAND_PAD = 22, 70, 20, 10
FRAME_PAD, FRAME_TITLE, MARGIN = 16, 26, 16
SWEEPS = 4
STYLE = {"trigger": ("#333", ""), "data": ("#1f6fb2", "6 4"), "failure": ("#c0392b", "2 3")}
FILL = {"Lambda": "#fdebd0", "SQS": "#fadbd8", "SNS": "#fadbd8", "Kinesis": "#e8daef", "DynamoDB": "#d6eaf8",
        "S3": "#d5f5e3", "REST API": "#ebdef0", "HTTP API": "#ebdef0", "Step Functions": "#fcf3cf"}


@dataclass(frozen=True)
class Box:
    """A placed rectangle (absolute SVG coordinates)."""

    x: float
    y: float
    w: float
    h: float


def text_width(text: str, size: float = FONT) -> float:
    """The width ``text`` is assumed to take at ``size`` px."""
    return len(text) * size * CHAR


def _esc(text: str) -> str:
    """``text`` escaped for XML text and attributes, minus characters XML 1.0 cannot carry."""
    text = "".join(c for c in text if c >= " " or c in "\t\n\r")
    return escape(text, {'"': "&quot;", "'": "&#39;"})


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def layers(graph: ResourceGraph) -> dict[str, int]:
    """Column of every node: longest path over acyclic flow edges (triggers, and a role's sends,
    which make traffic downstream), see the module docstring."""
    triggers = [
        e for e in graph.edges
        if e.carries_traffic and e.source in graph.nodes and e.target in graph.nodes
    ]
    succ: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for e in triggers:
        succ[e.source].append(e.target)
    order: list[str] = []  # DFS post-order; edges into the current path are back edges
    state: dict[str, int] = {}
    for root in graph.nodes:
        if root in state:
            continue
        state[root], stack = 1, [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif child not in state:  # a child on the path (state 1) is a back edge: skipped
                state[child] = 1
                stack.append((child, iter(succ[child])))
    rank = {n: i for i, n in enumerate(reversed(order))}
    layer = {n: 0 for n in graph.nodes}
    for node in reversed(order):
        for child in succ[node]:
            if rank[child] > rank[node]:
                layer[child] = max(layer[child], layer[node] + 1)
    wired = {n for e in triggers for n in (e.source, e.target)}
    for e in graph.edges:
        if e.target not in wired and e.source in layer and e.target in layer:
            layer[e.target] = max(layer[e.target], layer[e.source] + 1)
    return layer


def order_rows(graph: ResourceGraph, layer: Mapping[str, int]) -> dict[str, list[list[str]]]:
    """Per group (band, in first-appearance order, stack level first): the nodes of each column, ordered."""
    groups = sorted(dict.fromkeys(n.group for n in graph.nodes.values()), key=lambda g: g != "")
    width = max(layer.values(), default=-1) + 1
    bands: dict[str, list[list[str]]] = {g: [[] for _ in range(width)] for g in groups}
    for node_id, node in graph.nodes.items():
        bands[node.group][layer[node_id]].append(node_id)
    neighbours: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for e in graph.edges:
        if e.source in neighbours and e.target in neighbours and e.source != e.target:
            neighbours[e.source].append(e.target)
            neighbours[e.target].append(e.source)
    pos: dict[str, float] = {}  # row of each node, as laid out (columns centred in their band)
    spans: dict[str, tuple[int, int]] = {}  # band -> (top row, rows)
    top = 0
    for group, cells in bands.items():
        spans[group] = (top, max(len(c) for c in cells))
        top += spans[group][1]

    def settle(group: str, col: int) -> None:
        band_top, rows = spans[group]
        column = bands[group][col]
        pos.update((n, band_top + (rows - len(column)) / 2 + i) for i, n in enumerate(column))

    for group in bands:
        for col in range(width):
            settle(group, col)
    for sweep in range(SWEEPS):
        for col in range(width) if sweep % 2 == 0 else range(width - 1, -1, -1):
            for group, cells in bands.items():
                def key(n: str) -> float:
                    near = [pos[m] for m in neighbours[n] if (layer[m] < col if sweep % 2 == 0 else layer[m] > col)]
                    return sum(near) / len(near) if near else pos[n]
                cells[col].sort(key=key)
                settle(group, col)
    return bands


def _box_width(node: Node) -> float:
    return max(MIN_W, text_width(node.name) + 2 * PAD_X, text_width(node.title, 10) + 2 * PAD_X)


def place(graph: ResourceGraph, left: float, top: float) -> tuple[dict[str, Box], dict[str, Box], Box]:
    """Node boxes, cluster boxes (per non-empty group path) and the stack frame, from (left, top)."""
    layer = layers(graph)
    bands = order_rows(graph, layer)
    width = max(layer.values(), default=-1) + 1
    col_w = [max((_box_width(graph.nodes[n]) for c in bands.values() for n in c[i]), default=MIN_W) for i in range(width)]
    gaps = [float(MIN_COL_GAP)] * width
    for e in graph.edges:
        if e.source in layer and e.target in layer and layer[e.target] > layer[e.source]:
            gaps[layer[e.source]] = max(gaps[layer[e.source]], text_width(e.label, 10) + 24)
    xs = [left + FRAME_PAD + sum(col_w[:i]) + sum(gaps[:i]) for i in range(width)]
    boxes: dict[str, Box] = {}
    clusters: dict[str, Box] = {}
    y = top + FRAME_TITLE
    for group, cells in bands.items():
        rows = max(len(c) for c in cells)
        y += BAND_TITLE + BAND_PAD if group else 0
        for i, column in enumerate(cells):
            for r, node_id in enumerate(column):
                w = _box_width(graph.nodes[node_id])
                row = (rows - len(column)) / 2 + r
                boxes[node_id] = Box(xs[i] + (col_w[i] - w) / 2, y + row * (BOX_H + ROW_GAP), w, BOX_H)
        band_h = rows * (BOX_H + ROW_GAP) - ROW_GAP
        if group:
            inside = [boxes[n] for c in cells for n in c]
            x0 = min(b.x for b in inside) - BAND_PAD
            x1 = max(max(b.x + b.w for b in inside), x0 + text_width(group, 11) + BAND_PAD) + BAND_PAD
            clusters[group] = Box(x0, y - BAND_TITLE - BAND_PAD, x1 - x0, band_h + BAND_TITLE + 2 * BAND_PAD)
        y += band_h + ROW_GAP + (BAND_PAD if group else 0)
    right = max([b.x + b.w for b in [*boxes.values(), *clusters.values()]] + [left + text_width(graph.stack, 13) + 20])
    frame = Box(left, top, right + FRAME_PAD - left, max(y, top + FRAME_TITLE + BOX_H) - top + FRAME_PAD - ROW_GAP)
    return boxes, clusters, frame


def _curve(a: Box, b: Box, offset: float) -> tuple[str, tuple[float, float]]:
    """Path data from box ``a`` to box ``b`` and the curve's midpoint."""
    x1, y1 = a.x + a.w, a.y + a.h / 2 + offset
    if b.x > x1:
        x2, y2 = b.x, b.y + b.h / 2 + offset
        c1, c2 = (x1 + (x2 - x1) / 2, y1), (x2 - (x2 - x1) / 2, y2)
    else:  # backwards or within a column: loop out to the right and come back in from the right
        x2, y2 = b.x + b.w, b.y + b.h / 2 + offset
        reach = max(x1, x2) + 40 + abs(y2 - y1) / 4
        c1, c2 = (reach, y1), (reach, y2)
    mid = ((x1 + 3 * c1[0] + 3 * c2[0] + x2) / 8, (y1 + 3 * c1[1] + 3 * c2[1] + y2) / 8)
    d = f"M{_num(x1)},{_num(y1)} C{_num(c1[0])},{_num(c1[1])} {_num(c2[0])},{_num(c2[1])} {_num(x2)},{_num(y2)}"
    return d, mid


def _edges_svg(graph: ResourceGraph, boxes: Mapping[str, Box]) -> list[str]:
    """One ``<g class="edge KIND">`` (path and label) per edge; parallel edges are spread apart."""
    out: list[str] = []
    pairs: dict[tuple[str, str], list[Edge]] = {}
    for e in graph.edges:
        if e.source in boxes and e.target in boxes:
            pairs.setdefault((e.source, e.target), []).append(e)
    for (source, target), edges in pairs.items():
        for i, e in enumerate(edges):
            spread = i - (len(edges) - 1) / 2
            d, (mx, my) = _curve(boxes[source], boxes[target], spread * 6)
            my += spread * 6  # labels 12 px apart
            kind = e.kind if e.kind in STYLE else "trigger"
            out.append(f'<g class="edge {kind}" data-source="{_esc(source)}" data-target="{_esc(target)}">'
                       f'<path d="{d}" marker-end="url(#arrow-{kind})"/>')
            if e.label:
                out.append(f'<text class="edge-label" x="{_num(mx)}" y="{_num(my - 3)}">{_esc(e.label)}</text>')
            out.append("</g>")
    return out


def _nodes_svg(graph: ResourceGraph, boxes: Mapping[str, Box]) -> list[str]:
    """A rounded box per node: type label on line 1, name on line 2, kind and id as tooltip."""
    out: list[str] = []
    for node_id, b in boxes.items():
        node = graph.nodes[node_id]
        cx = _num(b.x + b.w / 2)
        out.append(f'<g class="node" data-id="{_esc(node_id)}"><title>{_esc(node_id)}</title>'
                   f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}" rx="5"'
                   f' fill="{FILL.get(node.label, "#f2f3f4")}"/>'
                   f'<text class="type" x="{cx}" y="{_num(b.y + 15)}">{_esc(node.title)}</text>'
                   f'<text class="name" x="{cx}" y="{_num(b.y + 31)}">{_esc(node.name)}</text></g>')
    return out


def _legend(left: float, top: float) -> tuple[list[str], float]:
    """The line styles explained, and the legend's height."""
    out = [f'<g class="legend"><text class="legend-title" x="{_num(left)}" y="{_num(top + 12)}">Edges</text>']
    for i, (kind, meaning) in enumerate([("trigger", "trigger: events flow"), ("data", "data: IAM-granted access"),
                                         ("failure", "failure: DLQ / on-failure destination")]):
        x, y = left + i * 230, top + 30
        out.append(f'<path class="edge {kind}" d="M{_num(x)},{_num(y)} H{_num(x + 40)}" marker-end="url(#arrow-{kind})"/>'
                   f'<text class="legend-text" x="{_num(x + 50)}" y="{_num(y + 4)}">{meaning}</text>')
    out.append("</g>")
    return out, 40


def render_svg(graphs: Sequence[ResourceGraph]) -> str:
    """One SVG document: a titled frame per stack (stacked vertically) and a legend below."""
    body: list[str] = []
    top, right = float(MARGIN), 3 * 230.0 + MARGIN
    for graph in graphs:
        boxes, clusters, frame = place(graph, MARGIN, top)
        body.append(f'<g class="stack" data-stack="{_esc(graph.stack)}"><rect class="frame" x="{_num(frame.x)}"'
                    f' y="{_num(frame.y)}" width="{_num(frame.w)}" height="{_num(frame.h)}" rx="8"/>'
                    f'<text class="stack-title" x="{_num(frame.x + 10)}" y="{_num(frame.y + 18)}">{_esc(graph.stack)}</text>')
        for group, c in clusters.items():
            body.append(f'<g class="cluster"><rect x="{_num(c.x)}" y="{_num(c.y)}" width="{_num(c.w)}"'
                        f' height="{_num(c.h)}" rx="8"/><text class="cluster-title" x="{_num(c.x + 8)}"'
                        f' y="{_num(c.y + 15)}">{_esc(group)}</text></g>')
        body += _edges_svg(graph, boxes) + _nodes_svg(graph, boxes)
        unknown = graph.not_drawn()
        if unknown:
            listed = ", ".join(f"{kind} x{len(ids)}" for kind, ids in sorted(unknown.items()))
            body.append(f'<text class="not-drawn" x="{_num(frame.x + 10)}" y="{_num(frame.y + frame.h - 8)}">'
                        f'not drawn: {_esc(listed)}</text>')
        body.append("</g>")
        top, right = frame.y + frame.h + MARGIN, max(right, frame.x + frame.w + 60)
    legend, legend_h = _legend(MARGIN, top)
    width, height = _num(right + MARGIN), _num(top + legend_h + MARGIN)
    markers = "".join(f'<marker id="arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
                      f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
                      for k, (color, _) in STYLE.items())
    css = " ".join(f".edge.{k} {{stroke: {color}; stroke-dasharray: {dash or 'none'}}}" for k, (color, dash) in STYLE.items())
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="Helvetica, Arial, sans-serif">',
        f"<defs>{markers}</defs>",
        f"<style>.edge {{fill: none; stroke-width: 1.4}} {css} text {{text-anchor: middle; fill: #222}}"
        f" .type {{font-size: 10px; fill: #555}} .name {{font-size: {FONT}px; font-weight: bold}}"
        " .edge-label {font-size: 10px; stroke: #fff; stroke-width: 3px; paint-order: stroke; fill: #333}"
        " .frame {fill: #fff; stroke: #888} .stack-title {font-size: 13px; font-weight: bold; text-anchor: start}"
        " .cluster rect {fill: #f7f9fb; stroke: #aab7c4; stroke-dasharray: 3 2}"
        " .cluster-title {font-size: 11px; text-anchor: start; fill: #456} .node rect {stroke: #666}"
        " .legend-title {font-size: 11px; font-weight: bold; text-anchor: start}"
        " .legend-text {font-size: 10px; text-anchor: start}"
        " .not-drawn {font-size: 10px; text-anchor: start; fill: #a04000}</style>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        *body, *legend, "</svg>", ""])
