"""Property test: random programs with their arguments packed into random pytrees.

Hypothesis draws a random scalar program of two or three parameters (the
generator of ``tests/test_properties.py``: branches, early returns, helpers,
an int or a bool last argument) and a random *packing* of its arguments:
nested tuples, lists and dicts holding the parameters at random places,
together with extra leaves the program never reads (ints, bools, None,
strings, functions, unused floats and float arrays).  A wrapper reads each
parameter back (``p[1]["k0"]``, or by unpacking ``(x, _u0), y = p``) and calls
the program; we check, in both modes, that

* the wrapper's value is the program's value;
* the gradient comes back in the packing's structure: the program's own
  gradient at each parameter's place, zeros at unused floats, int and bool
  leaves, None at static leaves;
* the arguments are left unchanged.

Plain Python only (``jit=False``), derandomized, a few dozen examples.
"""

from __future__ import annotations

import importlib.util
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from symdiff import ArgumentError, value_and_grad

from .test_properties import cases

_counter = itertools.count()

# Leaves the program never reads: (source of the value, its gradient).
EXTRAS = (
    ("3", "zero"),
    ("True", "zero"),
    ("None", "none"),
    ("'tag'", "none"),
    ("np.tanh", "none"),
    ("0.5", "zero"),
    ("np.array([0.25, -1.0])", "zero"),
)


@st.composite
def packing(draw, names, depth=2):
    """A tree (nested ``("tuple" | "list" | "dict", [children])``) whose leaves
    are ``names`` in order, as ``("param", name)``, and extra leaves
    ``("extra", index into EXTRAS)``."""
    if len(names) == 1 and (depth == 0 or draw(st.booleans())):
        return ("param", names[0])
    kind = draw(st.sampled_from(("tuple", "list", "dict")))
    if depth == 0:
        children = [("param", name) for name in names]
    else:
        inner = st.integers(1, len(names) - 1) if len(names) > 1 else st.nothing()
        cuts = sorted(draw(st.sets(inner, max_size=len(names) - 1)))
        groups = [names[a:b] for a, b in zip([0, *cuts], [*cuts, len(names)])]
        children = [draw(packing(group, depth - 1)) for group in groups]
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(children)))
        children.insert(position, ("extra", draw(st.integers(0, len(EXTRAS) - 1))))
    return (kind, children)


def _keys(kind, children):
    if kind == "dict":
        return [f"'k{i}'" for i in range(len(children))]
    return [str(i) for i in range(len(children))]


def spelled(tree, values) -> str:
    """The Python source of the packed value; ``values`` maps parameter names
    to the source of their values."""
    tag, body = tree
    if tag == "param":
        return values[body]
    if tag == "extra":
        return EXTRAS[body][0]
    items = [spelled(child, values) for child in body]
    if tag == "dict":
        return "{" + ", ".join(f"{k}: {v}" for k, v in zip(_keys(tag, body), items)) + "}"
    if tag == "list":
        return "[" + ", ".join(items) + "]"
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def reads(tree, path: str, out: list, unpack: bool, fresh) -> list:
    """Statements binding each parameter from the packed argument ``path``:
    subscripts, or (``unpack``) tuple unpacking of tuples and lists."""
    tag, body = tree
    if tag == "param":
        out.append(f"    {body} = {path}")
    elif tag in ("tuple", "list") and unpack:
        targets, later = [], []
        for child in body:
            if child[0] == "param":
                targets.append(child[1])
            else:
                targets.append(next(fresh))
                if child[0] != "extra":
                    later.append((child, targets[-1]))
        out.append(f"    {', '.join(targets)}{',' * (len(targets) == 1)} = {path}")
        for child, name in later:
            reads(child, name, out, unpack, fresh)
    elif tag in ("tuple", "list", "dict"):
        for key, child in zip(_keys(tag, body), body):
            if child[0] != "extra":
                reads(child, f"{path}[{key}]", out, unpack, fresh)
    return out


def expected(tree, grads: dict):
    """The gradient of the packed value: ``grads[name]`` at each parameter."""
    tag, body = tree
    if tag == "param":
        return grads[body]
    if tag == "extra":
        text, what = EXTRAS[body]
        if what == "none":
            return None
        return np.zeros(2) if text.startswith("np.array") else 0.0
    items = [expected(child, grads) for child in body]
    if tag == "dict":
        return {f"k{i}": v for i, v in enumerate(items)}
    return items if tag == "list" else tuple(items)


def assert_tree_close(got, want, scale):
    if isinstance(want, dict):
        assert type(got) is dict and sorted(got) == sorted(want), (got, want)
        for key in want:
            assert_tree_close(got[key], want[key], scale)
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            assert_tree_close(g, w, scale)
    elif want is None:
        assert got is None
    else:
        assert np.shape(got) == np.shape(want), (got, want)
        assert np.all(np.abs(np.asarray(got) - want) <= 1e-300 + 1e-12 * scale), (got, want)


def snapshot(value):
    """A comparable copy of a packed value."""
    if isinstance(value, dict):
        return ("dict", tuple((k, snapshot(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(snapshot(v) for v in value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    return (type(value).__name__, value if not callable(value) else id(value))


@st.composite
def packed_cases(draw):
    case = draw(cases(max_statements=4))
    names = ["x", "y", "z"][: case.program.n_params]
    n_arguments = draw(st.integers(1, len(names)))
    inner = st.integers(1, len(names) - 1)
    cuts = sorted(draw(st.sets(inner, min_size=n_arguments - 1, max_size=n_arguments - 1)))
    groups = [names[a:b] for a, b in zip([0, *cuts], [*cuts, len(names)])]
    trees = [draw(packing(group)) for group in groups]
    return case, trees, draw(st.booleans())


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("packed")


def load(directory, source: str, name: str):
    module_name = f"symdiff_packed_{name}"
    path = directory / f"{module_name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flat_gradient(fn, args, wrt, mode):
    """The program's own value and gradient, or skip the example where
    Python fails or the program returns an int or a bool."""
    try:
        value = float(fn(*args))
    except (ArithmeticError, ValueError):
        assume(False)
    assume(math.isfinite(value) and abs(value) < 1e8)
    try:
        flat_value, grads = value_and_grad(fn, argnums=wrt, mode=mode, jit=False)(*args)
    except ArgumentError as exc:
        assert "returns an int" in str(exc) or "returns a bool" in str(exc), exc
        assume(False)
    grads = [float(g) for g in grads]
    assume(all(map(math.isfinite, grads)))
    return flat_value, grads


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(packed_cases(), st.sampled_from(("reverse", "forward")))
def test_packed_arguments_give_the_flat_gradient_in_their_structure(directory, drawn, mode):
    case, trees, unpack = drawn
    program, args = case.program, case.args
    names = ["x", "y", "z"][: program.n_params]
    number = next(_counter)
    wrapper = f"g{number}"
    params = [f"a{i}" for i in range(len(trees))]
    fresh = (f"_u{i}" for i in itertools.count())
    body = []
    for tree, param in zip(trees, params):
        reads(tree, param, body, unpack, fresh)
    source = (
        program.source
        + f"\n\ndef {wrapper}({', '.join(params)}):\n"
        + "\n".join(body)
        + f"\n    return {program.name}({', '.join(names)})\n"
    )
    note(source)
    module = load(directory, source, wrapper)
    values = {name: repr(arg) for name, arg in zip(names, args)}
    packed = [eval(spelled(tree, values), {"np": np}) for tree in trees]
    note(f"packed arguments: {packed!r}")
    before = snapshot(packed)

    fn = getattr(module, program.name)
    flat_value, flat = flat_gradient(fn, args, case.wrt, mode)
    grads = {name: 0.0 for name in names}  # an int or bool parameter: zeros
    grads.update({names[i]: g for i, g in zip(case.wrt, flat)})
    argnums = tuple(i for i, tree in enumerate(trees) if _has_float(tree, args, names))
    assume(argnums)
    value, got = value_and_grad(getattr(module, wrapper), argnums=argnums, mode=mode, jit=False)(
        *packed
    )
    scale = 1.0 + abs(flat_value) + sum(map(abs, flat))
    assert abs(value - flat_value) <= 1e-12 * scale
    for i, g in zip(argnums, got):
        assert_tree_close(g, expected(trees[i], grads), scale)
    assert snapshot(packed) == before


def _has_float(tree, args, names) -> bool:
    tag, body = tree
    if tag == "param":
        return isinstance(args[names.index(body)], float)
    if tag == "extra":
        return EXTRAS[body][0] in ("0.5", "np.array([0.25, -1.0])")
    return any(_has_float(child, args, names) for child in body)


def test_the_packing_reads_every_parameter():
    """The reading code binds each parameter once, by subscripts or unpacking."""
    tree = ("list", [("tuple", [("param", "x"), ("extra", 0)]), ("dict", [("param", "y")])])
    by_index = reads(tree, "p", [], False, iter(["_u0"]))
    assert by_index == ["    x = p[0][0]", "    y = p[1]['k0']"]
    unpacked = reads(tree, "p", [], True, iter(["_u0", "_u1", "_u2"]))
    assert unpacked == ["    _u0, _u1 = p", "    x, _u2 = _u0", "    y = _u1['k0']"]
    assert spelled(tree, {"x": "1.5", "y": "2.0"}) == "[(1.5, 3), {'k0': 2.0}]"
    assert expected(tree, {"x": 7.0, "y": 8.0}) == [(7.0, 0.0), {"k0": 8.0}]
