# ruff: noqa: B007  (the loop programs below are read by symdiff as written)
"""Loops printed out of SSA form: tuple updates, swaps and rotations of
carried values (both modes), and nested loops that copy no adjoint per
iteration.

Tuple updates ``a, b = f(a, b), g(a, b)`` assign every carried value at once;
the printed code, which reuses one variable per carried value, must read no
variable after it has been overwritten (a lost copy) however the updates,
their inlined temporaries, the joins after an ``if`` and the initial values
of an inner loop are ordered.  Each program is checked against plain Python
(value), finite differences (gradient, both modes) and the other mode.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from symdiff import derivative_source, value_and_grad
from symdiff.codegen import function_source
from symdiff.ir import Assign, Carry, Const, Function, If, Loop, Op, Phi, Var
from symdiff.verify import finite_difference, float_argnums

# ---------------------------------------------------------------------------
# Hand-written tuple updates.


def euler_step(x, v, k, n: int):
    for i in range(n):
        a = -k * x
        x, v = x + 0.1 * v, v + 0.1 * a
    return x


def damped_oscillator(x, v, k, c, n: int):
    dt = 0.1
    for i in range(n):
        x, v = x + dt * v, v + dt * (-k * x - c * v)
    return x + 0.5 * v


def swap_then_scale(a, b, n: int):
    for i in range(n):
        a, b = b, a
        a = a * 1.1
    return a + 2.0 * b


def rotation(a, b, c, n: int):
    for i in range(n):
        a, b, c = b, c, a
        b = b * 0.9 + 0.1 * a
    return a + 2.0 * b + 3.0 * c


def fibonacci(a, b, n: int):
    for i in range(n):
        a, b = b, a + b
    return b + 0.5 * a


def three_way_products(a, b, c, n: int):
    for i in range(n):
        a, b, c = b * c, c + a, a - b * 0.5
    return a + b * c


def while_tuple_update(a, b, n: int):
    i = 0
    while i < n:
        i += 1
        a, b = b * 0.5 + a, a * 0.5 - b
    return a * b


def nested_tuple_updates(a, b, n: int):
    for i in range(n):
        for j in range(2):
            a, b = a * 0.9 + 0.2 * b, b * 0.8 - 0.1 * a
        a, b = b, a
    return a + 3.0 * b


def swap_in_branch(a, b, n: int):
    for i in range(n):
        if a < b:
            a, b = b, a
        a = a * 0.7 + 0.1 * b
    return a + 3.0 * b


def tuple_updates_in_both_branches(a, b, n: int):
    for i in range(n):
        if a > b:
            a, b = b * 1.1, a * 0.9
        else:
            b, a = a + b, a * 0.5
    return a + 3.0 * b


def tuple_update_reading_an_array(x, n: int):
    a = 0.3
    b = 0.7
    for i in range(n):
        a, b = b + x[i] * a, a - x[i] * b
    return a * b


def tuple_update_of_calls(a, b, n: int):
    for i in range(n):
        a, b = math.sin(b) + a, math.cos(a) * b
    return a + 2.0 * b


def swap_before_inner_loop(a, b, n: int):
    for i in range(n):
        a, b = b, a
        for j in range(2):
            a = a * 0.5 + b
    return a + 3.0 * b


def while_rotation_with_temporary(a, b, c, n: int):
    i = 0
    while i < n and a < 5.0:
        u = a * b - c
        a, b, c = b + 0.1 * u, c, a * 0.8
        i += 1
    return a + 2.0 * b + 3.0 * c


X = np.array([0.3, -0.5, 0.7, 1.1])

TUPLE_UPDATES = [
    (euler_step, (1.0, 1.0, 0.5, 3)),
    (damped_oscillator, (1.0, 0.3, 0.7, 0.2, 5)),
    (swap_then_scale, (1.0, 2.0, 3)),
    (rotation, (1.0, 2.0, 3.0, 4)),
    (fibonacci, (0.5, 1.5, 5)),
    (three_way_products, (0.3, 0.5, 0.7, 3)),
    (while_tuple_update, (0.3, 0.6, 3)),
    (nested_tuple_updates, (0.4, 0.9, 3)),
    (swap_in_branch, (0.4, 0.9, 4)),
    (tuple_updates_in_both_branches, (0.4, 0.9, 4)),
    (tuple_update_reading_an_array, (X, 3)),
    (tuple_update_of_calls, (0.3, 0.8, 4)),
    (swap_before_inner_loop, (0.4, 0.9, 3)),
    (while_rotation_with_temporary, (0.4, 0.9, 0.2, 4)),
]


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _fd(fn, args, index, element=()):
    """Finite differences at two step sizes, or None where they disagree (too
    curved for the step: the comparison would test the differences)."""
    x = args[index][element] if element else args[index]
    h = 1e-3 * max(1.0, abs(float(x)))
    coarse, fine = (
        finite_difference(fn, _copies(args), index, h=step, element=element) for step in (h, h / 4)
    )
    return fine if abs(coarse - fine) <= 1e-7 * (1.0 + abs(fine)) else None


def _fd_gradient(fn, args):
    out = []
    for i in float_argnums(args):
        if isinstance(args[i], np.ndarray):
            values = [_fd(fn, args, i, e) for e in np.ndindex(args[i].shape)]
            out.append(np.array(values, dtype=object).reshape(args[i].shape))
        else:
            out.append(_fd(fn, args, i))
    return out


def check_against_python(fn, args, jit=False, require_fd=True):
    """Value (both modes) equal to Python's, gradients (both modes) equal to
    each other and to finite differences (where those are accurate; the
    hand-written cases require them to be)."""
    expected_value = fn(*_copies(args))
    expected = _fd_gradient(fn, args)
    argnums = float_argnums(args)
    results = {}
    for mode in ("reverse", "forward"):
        value, grads = value_and_grad(fn, argnums, mode=mode, jit=jit)(*_copies(args))
        assert float(value) == pytest.approx(expected_value, rel=1e-12, abs=1e-14), mode
        for got, want in zip(grads, expected):
            for g, w in zip(np.ravel(got), np.ravel(want)):
                assert w is not None or not require_fd, "finite differences inaccurate"
                if w is not None:
                    assert g == pytest.approx(w, rel=1e-6, abs=1e-8), mode
        results[mode] = grads
    for rev, fwd in zip(results["reverse"], results["forward"]):
        np.testing.assert_allclose(rev, fwd, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("fn, args", TUPLE_UPDATES, ids=[fn.__name__ for fn, _ in TUPLE_UPDATES])
def test_tuple_updates(fn, args):
    check_against_python(fn, args)


COMPILED = [
    (euler_step, (1.0, 1.0, 0.5, 3)),
    (nested_tuple_updates, (0.4, 0.9, 3)),
    (swap_in_branch, (0.4, 0.9, 4)),
]


@pytest.mark.parametrize("fn, args", COMPILED, ids=[fn.__name__ for fn, _ in COMPILED])
def test_tuple_updates_compiled(fn, args):
    check_against_python(fn, args, jit=True)


def test_euler_step_value_is_pythons():
    value, _ = value_and_grad(euler_step, argnums=(0, 1, 2), jit=False)(1.0, 1.0, 0.5, 3)
    assert value == pytest.approx(1.2845, rel=1e-14)


# ---------------------------------------------------------------------------
# Generated tuple updates: every component an expression of several carried
# values (or one of them: a swap or rotation), with a temporary computed
# before the update, inside a for, a while, a nested loop or an if.

COMPONENTS = (
    "{p}",
    "{p} + 0.1 * {q}",
    "{p} * 0.9 - 0.2 * {q}",
    "{p} + {q}",
    "math.sin({p}) * {q}",
    "0.5 * {p} * math.tanh({q})",
    "{p} - 0.3 * {q} * {r}",
    "{p} + 0.1 * u",
    "{p} - 0.1 * ({q} * {r})",
)
NAMES = ("a", "b", "c")
_counter = itertools.count()


@st.composite
def tuple_update(draw, names, pad):
    """``u = ...`` then ``names = e1, e2, ...``; some components are first
    given a name of their own (``w1 = e1``), so that the new values are a mix
    of named values and temporaries printed inside their use."""
    pick = st.sampled_from(names)
    lines = [f"{pad}u = {draw(st.sampled_from(('', '-')))}{draw(pick)} * {draw(pick)} - 0.5"]
    components = []
    for k in range(len(names)):
        template = draw(st.sampled_from(COMPONENTS))
        p, q, r = (draw(pick) for _ in range(3))
        component = template.format(p=p, q=q, r=r)
        if draw(st.booleans()):
            lines.append(f"{pad}w{k} = {component}")
            component = f"w{k}"
        components.append(component)
    targets = list(names)
    if draw(st.booleans()):
        targets = draw(st.permutations(names))
    lines.append(f"{pad}{', '.join(targets)} = {', '.join(components)}")
    return lines


@st.composite
def tuple_programs(draw):
    names = NAMES[: draw(st.integers(2, 3))]
    shape = draw(st.sampled_from(("for", "while", "nested", "if")))
    lines = []
    if shape == "while":
        lines += ["    i = 0", "    while i < n:", "        i += 1"]
        lines += draw(tuple_update(names, " " * 8))
    elif shape == "nested":
        lines.append("    for i in range(n):")
        lines += ["        for j in range(2):"] + draw(tuple_update(names, " " * 12))
        lines += draw(tuple_update(names, " " * 8))
    elif shape == "if":
        lines += ["    for i in range(n):", f"        if {names[0]} < {names[1]} + 0.25:"]
        lines += draw(tuple_update(names, " " * 12))
        lines += draw(tuple_update(names, " " * 8))
    else:
        lines += ["    for i in range(n):"] + draw(tuple_update(names, " " * 8))
    result = " + ".join(f"{k + 1}.0 * math.tanh({name})" for k, name in enumerate(names))
    lines.append(f"    return {result}")
    name = f"tuple_program_{next(_counter)}"
    source = f"import math\n\n\ndef {name}({', '.join(names)}, n: int):\n"
    return name, source + "\n".join(lines) + "\n", len(names)


@pytest.fixture(scope="module")
def load(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tuple_programs")

    def load(name, source):
        path = directory / f"{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, name)

    return load


def _decisions(source, name, args):
    """The outcomes of every comparison the program makes at ``args``."""
    tree = ast.parse(source)
    trace: list = []

    class Record(ast.NodeTransformer):
        def visit_Compare(self, node):
            return ast.Call(ast.Name("_record", ast.Load()), [node], [])

    tree = ast.fix_missing_locations(Record().visit(tree))
    namespace = {"_record": lambda v: trace.append(bool(v)) or v}
    exec(compile(tree, "<traced>", "exec"), namespace)
    namespace[name](*args)
    return trace


def _smooth_at(source, name, args) -> bool:
    """Does the program take the same decisions throughout the stencil of
    the finite differences?"""
    centre = _decisions(source, name, args)
    for k, step in itertools.product(range(len(args) - 1), (1e-3, -1e-3)):
        moved = list(args)
        moved[k] += step
        if _decisions(source, name, moved) != centre:
            return False
    return True


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    tuple_programs(),
    st.lists(st.floats(-0.9, 0.9), min_size=3, max_size=3),
    st.integers(0, 4),
)
def test_generated_tuple_updates(load, program, start, n):
    name, source, size = program
    note(source)
    args = (*start[:size], n)
    if not _smooth_at(source, name, args):
        return
    check_against_python(load(name, source), args, require_fd=False)


# ---------------------------------------------------------------------------
# Joins after an `if` take effect at once, in whatever order the phis come.


def _swap_in_branch_ir(phis_reversed: bool) -> Function:
    """``for i in range(n): if a < b: a, b = b, a; a = a * 0.5`` then
    ``a + 3 b``, with the two phis of the swap in either order."""
    phis = [Phi("a_2", Var("b_1"), Var("a_1")), Phi("b_2", Var("a_1"), Var("b_1"))]
    if phis_reversed:
        phis.reverse()
    body = (
        Assign("$c", Op("lt", (Var("a_1"), Var("b_1")))),
        If(Var("$c"), (), (), tuple(phis)),
        Assign("a_3", Op("mul", (Var("a_2"), Const(0.5)))),
    )
    carried = (Carry("a_1", Var("a"), Var("a_3")), Carry("b_1", Var("b"), Var("b_2")))
    loop = Loop(carried, body, "i", Const(0), Var("n"), Const(1))
    result = (
        Assign("$t", Op("mul", (Const(3.0), Var("b_1")))),
        Assign("r", Op("add", (Var("a_1"), Var("$t")))),
    )
    return Function("f", ("a", "b", "n"), (loop, *result), Var("r"))


def _swap_in_branch_python(a, b, n):
    for _ in range(n):
        if a < b:
            a, b = b, a
        a = a * 0.5
    return a + 3.0 * b


@pytest.mark.parametrize("phis_reversed", [False, True])
def test_phis_of_a_swap_are_assigned_at_once(phis_reversed):
    namespace: dict = {}
    exec(function_source(_swap_in_branch_ir(phis_reversed)), namespace)
    for args in [(0.4, 0.9, 1), (0.4, 0.9, 4), (2.0, 1.0, 3)]:
        assert namespace["f"](*args) == _swap_in_branch_python(*args)


# ---------------------------------------------------------------------------
# Nested loops: an adjoint carried by the outer reverse loop and written in
# place by the inner one is not copied per outer iteration (that made the
# gradient of a double-loop matrix-vector product cost O(n^3)).


def matvec(A, x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += A[i, j] * x[j]
    return s


def matvec_into_array(A, x):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        for j in range(n):
            y[i] += A[i, j] * x[j]
    return np.sum(y * y)


def matmul_triple_loop(A, B):
    n = A.shape[0]
    C = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            for k in range(n):
                C[i, j] += A[i, k] * B[k, j]
    return np.sum(np.sin(C))


def nested_local_arrays(x):
    n = x.shape[0]
    out = np.zeros(n)
    acc = np.zeros(n)
    for i in range(n):
        for j in range(n):
            out[j] = out[j] * 0.5 + x[i] * x[j]
        acc[i] = np.sum(out)
    return np.sum(acc * acc) + np.sum(out)


def inner_while(A, x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        j = 0
        while j < n:
            s += A[i, j] * math.sin(x[j])
            j += 1
    return s


def two_inner_loops(A, x):
    n = x.shape[0]
    s = 0.0
    t = 0.0
    for i in range(n):
        for j in range(n):
            s += A[i, j] * x[j]
        for j in range(n):
            t += A[j, i] * s
    return s + t


_rng = np.random.default_rng(7)
_A, _B, _x = _rng.normal(size=(3, 3)), _rng.normal(size=(3, 3)), _rng.normal(size=3)

NESTED = [
    (matvec, (_A, _x)),
    (matvec_into_array, (_A, _x)),
    (matmul_triple_loop, (_A, _B)),
    (nested_local_arrays, (_x,)),
    (inner_while, (_A, _x)),
    (two_inner_loops, (_A, _x)),
]


def _copies_in_loops(source) -> list:
    """The ``.copy()`` / ``np.copy`` calls inside any loop of the source."""
    found = []
    for loop in ast.walk(ast.parse(source)):
        if isinstance(loop, (ast.For, ast.While)):
            for node in ast.walk(loop):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "copy"
                ):
                    found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("kind", ["grad", "value_and_grad"])
@pytest.mark.parametrize("fn, args", NESTED, ids=[fn.__name__ for fn, _ in NESTED])
def test_nested_loops_copy_nothing_per_iteration(fn, args, kind):
    argnums = tuple(range(len(args)))
    source = derivative_source(fn, *args, argnums=argnums, kind=kind)
    assert _copies_in_loops(source) == [], source


@pytest.mark.parametrize("fn, args", NESTED, ids=[fn.__name__ for fn, _ in NESTED])
def test_nested_loops_gradients(fn, args):
    check_against_python(fn, args)


def test_matvec_gradient_compiled():
    check_against_python(matvec, (_A, _x), jit=True)


def adjoint_read_twice(x):
    """The adjoint of h feeds both g (written by the inner loop) and h: the
    reverse loop still needs the old value after the inner loop, so it keeps
    its copy (and the gradient stays right)."""
    n = x.shape[0]
    h = x * 1.0
    for i in range(3):
        g = h * 0.5
        for j in range(n):
            g[j] = g[j] + math.sin(h[j])
        h = g + h
    return np.sum(h * h)


def copy_of_an_array_with_a_live_view(x):
    a = np.zeros((2, 3))
    a[0] = x
    r = a[0]
    b = a.copy()
    b[0, 1] = 5.0
    return np.sum(r * x) + np.sum(b)


def copy_of_a_view(x):
    a = np.zeros((2, 3))
    a[0] = x
    r = a[0]
    b = r.copy()
    b[1] = 5.0
    return np.sum(a * 2.0) + np.sum(b * x)


@pytest.mark.parametrize(
    "fn", [adjoint_read_twice, copy_of_an_array_with_a_live_view, copy_of_a_view]
)
def test_copies_still_made_where_the_original_is_read(fn):
    check_against_python(fn, (_x,))


# ---------------------------------------------------------------------------
# Loop indices print as the user's names: one version suffix at most
# (``j_2``, not ``j_1_1``), and a for variable used after its loop is the
# loop's own variable (``for j in range(3)``, not ``j = j_1`` in the body).


def shadowed_index(x, a):
    s = a
    t = 0.0
    for j in range(2):
        for j in range(3):
            s = s * x[j] + t
        t = t * x[j] + s
    return s + t


def index_after_loop(x):
    i = 0
    for i in range(len(x)):
        pass
    return x[i]


INDEX_NAMES = NESTED + [(shadowed_index, (_x, 0.3)), (index_after_loop, (_x,))]


def _loops(source):
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.For)]


@pytest.mark.parametrize("fn, args", INDEX_NAMES, ids=[fn.__name__ for fn, _ in INDEX_NAMES])
def test_loop_indices_have_one_version_suffix(fn, args):
    source = derivative_source(fn, *args, argnums=float_argnums(args), kind="value_and_grad")
    names = [loop.target.id for loop in _loops(source)]
    assert all(re.fullmatch(r"[a-z]+(_\d+)?", name) for name in names), names


@pytest.mark.parametrize("fn, args", INDEX_NAMES, ids=[fn.__name__ for fn, _ in INDEX_NAMES])
def test_no_loop_copies_its_index_into_another_variable(fn, args):
    source = derivative_source(fn, *args, argnums=float_argnums(args), kind="value_and_grad")
    for loop in _loops(source):
        copies = [
            ast.unparse(s)
            for s in loop.body
            if isinstance(s, ast.Assign)
            and isinstance(s.value, ast.Name)
            and s.value.id == loop.target.id
        ]
        assert copies == [], source


@pytest.mark.parametrize("fn, args", INDEX_NAMES[-2:], ids=["shadowed_index", "index_after_loop"])
def test_index_programs_gradients(fn, args):
    check_against_python(fn, args)
    check_against_python(fn, args, jit=True)


# ---------------------------------------------------------------------------
# An inner loop's carried value starts as the join of an `if` whose branch
# value the reverse sweep reads after the inner loop (the adjoint of tanh
# reads tanh's result): they are not printed as one variable.


def branch_value_then_inner_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * 0.5
        if i % 2 == 0:
            s = math.tanh(s)
        for j in range(3):
            s = math.sin(s)
    return s


def test_join_of_a_branch_value_read_after_an_inner_loop():
    check_against_python(branch_value_then_inner_loop, (np.array([0.3, -0.5, 0.7]),))


def branch_value_and_loop_in_the_other_branch(a, n: int):
    """Forward mode: the tangent of sin(s) reads s after sin(s) is computed;
    s must not share a variable with sin(s) through the loop of the other
    branch (whose carried value starts as s and joins with sin(s))."""
    s = 0.0
    for i in range(n):
        s = s + a
        if i % 2 == 0:
            s = math.sin(s)
        else:
            for j in range(3):
                s = s * 0.5 + a
    return s


def test_join_of_branch_values_that_would_overwrite_a_live_value():
    check_against_python(branch_value_and_loop_in_the_other_branch, (0.7, 4))
