"""symdiff.explain: the evaluation trace (values, adjoints, tangents) and its picture."""

import numpy as np
import pytest

import symdiff
from symdiff import SymDiffError, explain

from . import explain_cases as cases
from .test_cli import symdiff_cli


def test_the_lecture_example():
    # L(a, b, c) = b (a + 2b + a c^2) at (3, 1, -2): every node's value and adjoint
    trace = explain(cases.lecture, 3.0, 1.0, -2.0)
    values = {n.name: n.value for n in trace.nodes}
    adjoints = {n.name: n.derivative for n in trace.nodes}
    assert values == {
        "a": 3.0, "b": 1.0, "c": -2.0, "d": 4.0, "e": 12.0, "f": 2.0, "g": 5.0, "h": 17.0,
        "i": 17.0,
    }  # fmt: skip
    # dL/di = 1; h = g + e passes it on; i = b h: dL/dh = b = 1, dL/db = h + 2 dL/df = 17 + 2
    assert adjoints == {
        "i": 1.0, "h": 1.0, "g": 1.0, "e": 1.0, "f": 1.0, "d": 3.0, "c": -12.0, "b": 19.0,
        "a": 5.0,
    }  # fmt: skip
    assert trace.value == 17.0 and trace.output == "i"
    assert [n.line for n in trace.nodes][3:] == [7, 8, 9, 10, 11, 12]
    assert trace.node("e").expression == "a * d" and trace.node("e").operands == ("a", "d")
    text = str(trace)
    assert text.startswith("explain lecture(a=3.0, b=1.0, c=-2.0) = 17.0\nforward pass\n")
    assert "     8  e     =  a * d       12" in text
    backward = text[text.index("backward pass") :]
    assert "from dlecture/di = 1" in backward
    # the backward pass lists the nodes in reverse order
    assert [line.split()[-2] for line in backward.splitlines()[2:]] == list("ihgfedcba")


def test_temporaries_of_nested_expressions_are_named_and_tied_to_their_line():
    trace = explain(cases.nested, 3.0, 1.0, -2.0)
    shown = [(n.name, n.expression, n.line) for n in trace.nodes[3:]]
    assert shown == [
        ("t1", "2 * b", 17), ("t2", "a + t1", 17), ("t3", "c ** 2", 17), ("t4", "a * t3", 17),
        ("t5", "t2 + t4", 17), ("nested", "b * t5", 17),
    ]  # fmt: skip
    assert [trace.adjoint(n) for n in ("a", "b", "c", "t3", "t5")] == [5.0, 19.0, -12.0, 3.0, 1.0]


def test_forward_mode_gives_each_nodes_tangent():
    trace = explain(cases.nested, 3.0, 1.0, -2.0, mode="forward", wrt=2)  # d/dc
    assert trace.direction == {"a": 0.0, "b": 0.0, "c": 1.0}
    assert [trace.adjoint(n) for n in ("t1", "t3", "t4", "nested")] == [0.0, -4.0, -12.0, -12.0]
    default = explain(cases.nested, 3.0, 1.0, -2.0, mode="forward")  # the first float argument
    assert default.adjoint("nested") == 5.0 and default.adjoint("t2") == 1.0
    mixed = explain(cases.nested, 3.0, 1.0, -2.0, mode="forward", tangents=(1.0, 1.0, None))
    assert mixed.adjoint("nested") == 5.0 + 19.0
    assert "tangents in the direction da=1.0, db=1.0, dc=0.0" in str(mixed)


def _network():
    rng = np.random.default_rng(3)
    shapes = [(3, 4), (4,), (4, 1), (1,), (6, 3), (6, 1)]
    return [rng.normal(size=s) for s in shapes]


def test_a_two_layer_relu_network():
    W1, b1, W2, b2, X, y = args = _network()
    trace = explain(cases.two_layer, *args)
    grads = symdiff.grad(cases.two_layer, argnums=(0, 1, 2, 3), jit=False)(*args)
    for name, g in zip(["W1", "b1", "W2", "b2"], grads):
        np.testing.assert_allclose(trace.adjoint(name), g, rtol=1e-12)
    # the textbook backward pass, by hand
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2 + b2
    dz2 = 2 * (z2 - y) / y.size
    np.testing.assert_allclose(trace.node("z2").value, z2)
    np.testing.assert_allclose(trace.adjoint("z2"), dz2, rtol=1e-12)
    np.testing.assert_allclose(trace.adjoint("h1"), dz2 @ W2.T, rtol=1e-12)
    np.testing.assert_allclose(trace.adjoint("z1"), (dz2 @ W2.T) * (z1 > 0), rtol=1e-12)
    assert trace.node("h1").expression == "np.maximum(z1, 0.0)"
    text = str(trace)
    assert "float64[6, 4] [" in text and "|.|=" in text  # arrays: shape, first values, norm


def test_branches_and_loops_show_their_values_at_the_join_and_at_exit():
    trace = explain(cases.branch_and_loop, 1.5, 2.0)
    # w_2 = w y^3 (the loop), the result w_2 + 1
    assert trace.node("w_2").expression == "the loop's value at exit"
    assert trace.node("z").expression == "the branch taken on t1"
    assert trace.adjoint("w_2") == 1.0 and trace.adjoint("w") == 8.0 and trace.adjoint("z") == 16.0
    assert trace.adjoint("t1") is None  # a condition: no adjoint
    assert trace.adjoint("x") == 32.0 and trace.adjoint("y") == pytest.approx(96.0)
    assert explain(cases.branch_and_loop, -1.5, 2.0).adjoint("x") == -16.0


def test_what_explain_does_not_trace():
    with pytest.raises(SymDiffError, match="explain does not trace random draws"):
        explain(cases.draws, 1.0, np.random.default_rng(0))
    with pytest.raises(SymDiffError, match="explain traces functions returning one value"):
        explain(cases.pair, 1.0)
    with pytest.raises(SymDiffError, match="mode must be 'reverse' or 'forward'"):
        explain(cases.lecture, 3.0, 1.0, -2.0, mode="sideways")


def test_the_graph_is_drawn(tmp_path):
    pytest.importorskip("networkx")
    trace = explain(cases.lecture, 3.0, 1.0, -2.0)
    svg = tmp_path / "lecture.svg"
    figure = trace.graph(svg)
    text = svg.read_text()
    for label in [
        "e = a * d",
        "value 12",
        "∂lecture/∂a = 5",
        "∂lecture/∂c = -12",
        "∂lecture/∂b = 19",
    ]:
        assert label in text, label
    from matplotlib.text import Annotation

    arrows = [t for t in figure.axes[0].texts if isinstance(t, Annotation)]
    assert len(arrows) == 10  # one per operand: c->d, a->e, d->e, b->f, a->g, ... h->i, b->i
    png = tmp_path / "network.png"
    explain(cases.two_layer, *_network()).graph(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_explain_command(capsys, tmp_path):
    pytest.importorskip("networkx")
    target = f"{cases.__file__}:lecture"
    picture = tmp_path / "graph.svg"
    status, out, err = symdiff_cli(
        capsys, "explain", target, "--at", "a=3", "--at", "b=1", "--at", "c=-2", "--graph",
        str(picture),
    )  # fmt: skip
    assert status == 0, err
    assert out == str(explain(cases.lecture, 3.0, 1.0, -2.0)) + "\n"
    assert picture.stat().st_size > 0 and err == f"wrote {picture}\n"
    status, out, err = symdiff_cli(
        capsys, "explain", target, "--at", "a=3", "--at", "b=1", "--at", "c=-2", "--mode",
        "forward", "--wrt", "c",
    )  # fmt: skip
    assert status == 0 and "tangents in the direction da=0.0, db=0.0, dc=1.0" in out
    status, _, err = symdiff_cli(
        capsys, "explain", target, "--at", "a=3", "--at", "b=1", "--at", "c=-2", "--graph",
        str(tmp_path / "graph.txt"),
    )  # fmt: skip
    assert status == 2 and "write a .svg, .png or .pdf file" in err
