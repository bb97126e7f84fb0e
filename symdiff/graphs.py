"""Drawing an explained derivative's computation graph (``Trace.graph``).

The layout is networkx's (layers of a directed acyclic graph: each node one
column right of the furthest of its operands, inputs in the first); the
drawing is matplotlib's.  Both come with the ``graph`` extra
(``pip install 'symdiff[graph]'``).
"""

from __future__ import annotations

from .errors import SymDiffError


def draw(trace, path=None):
    """The figure of ``trace``'s graph; written to ``path`` when given."""
    try:
        import networkx as nx
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise SymDiffError(
            f"drawing the graph needs networkx and matplotlib ({exc.name} is not installed)",
            None,
            "pip install 'symdiff[graph]'",
        ) from None
    graph = nx.DiGraph()
    for node in trace.nodes:
        graph.add_node(node.name)
        for operand in node.operands:
            graph.add_edge(operand, node.name)
    columns = _columns(graph, nx)
    rows = _rows(graph, columns)
    labels = {node.name: _label(trace, node) for node in trace.nodes}
    width = max(len(line) for label in labels.values() for line in label.splitlines())
    count = 1 + max(columns.values())
    height = 1 + max(rows.values())
    column_inches = 0.075 * width + 0.7
    figure = Figure(figsize=(column_inches * count + 0.4, 0.85 * height + 0.9))
    axes = figure.add_axes((0, 0, 1, 0.92))
    axes.set_xlim(-0.5, count - 0.5)
    axes.set_ylim(height - 0.5, -0.95)  # room above for the arcs of long edges
    axes.set_axis_off()
    boxes = {}
    for node in trace.nodes:
        color = "#dbe9f6" if node.expression == "input" else "#fdf2d0"
        if node.name == trace.output:
            color = "#d8f0d2"
        boxes[node.name] = axes.text(
            columns[node.name], rows[node.name], labels[node.name], ha="center", va="center",
            fontsize=8.5, family="monospace", zorder=3,
            bbox={"boxstyle": "round,pad=0.45", "facecolor": color, "edgecolor": "#333333"},
        )  # fmt: skip
    for source, target in sorted(graph.edges):
        span = columns[target] - columns[source]
        bend = 0.0 if span <= 1 else -0.25  # past the columns between: an arc above them
        axes.annotate(
            "", xy=(0, 0.5), xycoords=boxes[target], xytext=(1, 0.5), textcoords=boxes[source],
            zorder=1, arrowprops={
                "arrowstyle": "-|>", "color": "#555555", "shrinkA": 4, "shrinkB": 4,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )  # fmt: skip
    how = "adjoints" if trace.mode == "reverse" else "tangents"
    point = ", ".join(f"{k}={_brief(v)}" for k, v in trace.point.items())
    figure.suptitle(f"{trace.function}({point}): values and {how}", fontsize=10, y=0.98)
    if path is not None:
        import matplotlib

        # SVG text stays text (searchable, small); no date: the same graph, the same file
        stable = {"Date": None} if str(path).endswith((".svg", ".pdf")) else None
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "symdiff"}):
            figure.savefig(path, metadata=stable)
    return figure


def _columns(graph, nx) -> dict:
    """Each node's column: one right of its furthest operand; an input just
    left of its first use (so that it sits beside what reads it)."""
    column = {}
    for name in nx.topological_sort(graph):
        operands = list(graph.predecessors(name))
        column[name] = 1 + max((column[o] for o in operands), default=-1)
    for name in graph.nodes:
        uses = [column[u] for u in graph.successors(name)]
        if not list(graph.predecessors(name)) and uses:
            column[name] = min(uses) - 1
    low = min(column.values())
    return {name: c - low for name, c in column.items()}


def _rows(graph, columns: dict) -> dict:
    """Each node's row within its column: in the order of the mean row of
    its operands (one pass, left to right), which keeps arrows short."""
    row: dict = {}
    for c in range(1 + max(columns.values())):
        here = [n for n in graph.nodes if columns[n] == c]

        def mean_operand_row(name):
            placed = [row[o] for o in graph.predecessors(name) if o in row]
            return sum(placed) / len(placed) if placed else 0.0

        for i, name in enumerate(sorted(here, key=mean_operand_row)):
            row[name] = i
    return row


def _label(trace, node) -> str:
    head = node.name if node.expression == "input" else f"{node.name} = {node.expression}"
    lines = [_clipped(head), f"value {_brief(node.value)}"]
    if node.derivative is not None:
        if trace.mode == "reverse":
            lines.append(f"∂{trace.function}/∂{node.name} = {_brief(node.derivative)}")
        else:
            lines.append(f"d{node.name} = {_brief(node.derivative)}")
    return "\n".join(lines)


def _brief(value) -> str:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if np.ndim(value) == 0:
        return f"{float(value) + 0.0:.4g}"
    array = np.asarray(value)
    norm = float(np.sqrt(np.sum(np.square(array, dtype=float))))
    return f"{list(array.shape)} |.|={norm:.3g}"


def _clipped(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
