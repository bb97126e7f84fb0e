"""Every primitive, both modes, against SymPy and finite differences.

The reference derivatives are SymPy's, written independently of symdiff's
rule table.  Most rows run as plain Python (``jit=False``, the same
generated source); a representative subset is compiled with Numba.
"""

import math

import numpy as np
import pytest
import sympy as sp

import symdiff
from symdiff.verify import finite_difference

from . import primitive_cases as c

X, Y = sp.symbols("x y", real=True)

# (function, SymPy expression of x (and y), points)
TABLE = [
    (c.add, X + Y, [(1.3, -0.4)]),
    (c.sub, X - Y, [(1.3, -0.4)]),
    (c.mul, X * Y, [(1.3, -0.4)]),
    (c.div, X / Y, [(1.3, -0.4), (-2.0, 3.0)]),
    (c.power, X**Y, [(1.3, 2.5), (0.7, -1.2)]),
    (c.power_const, X**3 + Y ** sp.Rational(1, 2) + X**-2, [(1.3, 2.5), (-0.7, 0.2)]),
    # x // y is locally constant: 2 near (5.3, 2.0); x % y is x - y * (x // y).
    (c.floordiv, 2 + X * Y, [(5.3, 2.0)]),
    (c.mod, X - 2 * Y, [(5.3, 2.0)]),
    (c.mod, X + 3 * Y, [(-5.3, 2.0)]),
    (c.neg, -X, [(0.4,)]),
    (c.sin, sp.sin(X), [(0.4,), (-2.1,)]),
    (c.cos, sp.cos(X), [(0.4,), (-2.1,)]),
    (c.tan, sp.tan(X), [(0.4,), (-1.1,)]),
    (c.asin, sp.asin(X), [(0.4,), (-0.9,)]),
    (c.acos, sp.acos(X), [(0.4,), (-0.9,)]),
    (c.atan, sp.atan(X), [(0.4,), (-7.0,)]),
    (c.atan2, sp.atan2(X, Y), [(0.4, 1.5), (0.4, -1.5), (-2.0, -0.3)]),
    (c.sinh, sp.sinh(X), [(0.4,), (-2.1,)]),
    (c.cosh, sp.cosh(X), [(0.4,), (-2.1,)]),
    (c.tanh, sp.tanh(X), [(0.4,), (-2.1,)]),
    (c.asinh, sp.asinh(X), [(0.4,), (-2.1,)]),
    (c.acosh, sp.acosh(X), [(1.4,), (5.1,)]),
    (c.atanh, sp.atanh(X), [(0.4,), (-0.8,)]),
    (c.exp_, sp.exp(X), [(0.4,), (-2.1,)]),
    (c.expm1, sp.exp(X) - 1, [(1e-3,), (-2.1,)]),
    (c.log, sp.log(X), [(0.4,), (20.0,)]),
    (c.log_base, sp.log(X) / sp.log(Y), [(3.4, 2.0), (0.5, 10.0)]),
    (c.log1p, sp.log(1 + X), [(1e-3,), (3.0,)]),
    (c.log2, sp.log(X, 2), [(0.4,), (20.0,)]),
    (c.log10, sp.log(X, 10), [(0.4,), (20.0,)]),
    (c.sqrt, sp.sqrt(X), [(0.4,), (20.0,)]),
    (c.pow_fn, X**Y, [(1.3, 2.5)]),
    (c.builtin_pow, X**Y, [(1.3, -2.5)]),
    (c.hypot, sp.sqrt(X**2 + Y**2), [(0.4, -1.5)]),
    (c.fabs, sp.Abs(X), [(0.4,), (-2.1,)]),
    (c.abs_, sp.Abs(X), [(0.4,), (-2.1,)]),
    (c.max_, sp.Max(X, Y), [(0.4, 1.5), (2.0, -1.0)]),
    (c.min_, sp.Min(X, Y), [(0.4, 1.5), (2.0, -1.0)]),
    (c.max3, sp.Max(X, Y, (X + Y) / 2 + sp.Rational(1, 10)), [(0.4, 1.5), (1.0, 1.05)]),
    (c.copysign, sp.Abs(X) * sp.sign(Y), [(0.4, -1.5), (-2.0, 3.0)]),
    (c.erf, sp.erf(X), [(0.4,), (-1.1,)]),
    (c.erfc, sp.erfc(X), [(0.4,), (-1.1,)]),
    (c.cbrt, sp.real_root(X, 3), [(0.4,), (-2.1,)]),
    (c.expit, 1 / (1 + sp.exp(-X)), [(0.4,), (-2.1,)]),
    (c.np_sin, sp.sin(X), [(0.4,)]),
    (c.np_arctan2, sp.atan2(X, Y), [(0.4, -1.5)]),
    (c.np_maximum, sp.Max(X, Y), [(0.4, 1.5)]),
    (c.np_sign_times, sp.sign(X) * X, [(-0.4,)]),
    (c.np_power, X**Y, [(1.3, 2.5)]),
    (c.np_arccosh, sp.acosh(X), [(1.4,)]),
]

CASES = [
    pytest.param(fn, expr, point, id=f"{fn.__name__}-{i}")
    for fn, expr, points in TABLE
    for i, point in enumerate(points)
]

JIT_SUBSET = {
    "div",
    "power",
    "atan2",
    "log",
    "sqrt",
    "abs_",
    "max_",
    "erf",
    "copysign",
    "mod",
    "cbrt",
}
JIT_SUBSET |= {"expit"}


def sympy_gradient(expr, point):
    symbols = [X, Y][: len(point)]
    subs = {s: sp.Float(v, 30) for s, v in zip(symbols, point)}
    return [float(sp.diff(expr, s).evalf(30, subs=subs)) for s in symbols]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, expr, point", CASES)
def test_primitive_gradient(fn, expr, point, mode):
    argnums = tuple(range(len(point)))
    jit = fn.__name__ in JIT_SUBSET
    value, grads = symdiff.value_and_grad(fn, argnums, mode=mode, jit=jit)(*point)
    subs = {s: sp.Float(v, 30) for s, v in zip([X, Y], point)}
    assert value == pytest.approx(float(expr.evalf(30, subs=subs)), rel=1e-14, abs=1e-15)
    expected = sympy_gradient(expr, point)
    assert np.allclose(grads, expected, rtol=1e-12, atol=1e-14), (grads, expected)
    for i, g in enumerate(grads):
        fd = finite_difference(fn, point, i)
        assert g == pytest.approx(fd, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("fn, expr, point", CASES[::3])
def test_jvp_and_vjp_agree_with_gradient(fn, expr, point):
    argnums = tuple(range(len(point)))
    expected = sympy_gradient(expr, point)
    tangents = tuple(0.5 + i for i in range(len(point)))
    value, tangent_out = symdiff.jvp(fn, point, tangents, jit=False)
    assert tangent_out == pytest.approx(float(np.dot(expected, tangents)), rel=1e-12, abs=1e-14)
    value2, pullback = symdiff.vjp(fn, *point, argnums=argnums, jit=False)
    assert value2 == pytest.approx(value, rel=1e-15)
    assert np.allclose(pullback(-2.0), -2.0 * np.array(expected), rtol=1e-12, atol=1e-14)


def numpy_tables() -> list:
    """The rows of every NumPy/SciPy table (``tests/test_library.py``,
    ``tests/test_numpy_*.py``: ``numpy_table.Row``s)."""
    import importlib
    import pathlib

    here = pathlib.Path(__file__).parent
    names = ["test_library"] + sorted(p.stem for p in here.glob("test_numpy_*.py"))
    rows = []
    for name in names:
        rows += getattr(importlib.import_module(f"{__package__}.{name}"), "TABLE", [])
    return rows


def test_every_primitive_has_a_row():
    """Adding a primitive means adding a row here, in test_arrays.py or in a
    NumPy table (``numpy_tables``)."""
    from symdiff.primitives import PRIMITIVES

    from . import test_arrays, test_loops, test_random

    functions = [(fn, ()) for fn, *_ in TABLE]
    for fn, args, *_ in test_arrays.CASES + test_loops.CASES:  # definitions may read ranks
        functions.append((fn, tuple(symdiff.pytree.describe(a) for a in args)))
    for row in numpy_tables():  # parsed for their arguments: definitions may read ranks
        args = row.sample(row.shapes[0], 0)
        functions.append((row.fn, tuple(symdiff.pytree.describe(a) for a in args)))
    covered = set()
    for fn, trees in functions:
        ir_fn = symdiff.pipeline.parsed(fn, trees)
        for stmt in symdiff.ir.walk(ir_fn.body):
            if hasattr(stmt, "value") and hasattr(stmt.value, "prim"):
                covered.add(stmt.value.prim)
    covered |= test_random.drawn_primitives()
    internal = {"lt", "le", "gt", "ge", "eq", "ne", "not", "sign", "zeros_like"}
    made_by_transformations = {"sum_to", "expand_dims", "broadcast_like", "reshape_like", "scatter"}
    made_by_transformations |= {"prod_others", "prod_others_tangent"}  # np.prod's derivatives
    made_by_transformations |= {"scatter_add", "scatter_along"}  # adjoints of gathers
    made_by_transformations |= {
        "phi",
        "phi_symmetric",
        "lower_outer",
        "upper_outer",
        "lower_triangle",
        "upper_triangle",
        "identity_like",
    }  # linalg rules
    made_by_transformations |= {
        "svd_inner",
        "svd_outer",
    }  # the derivatives of svd(a, compute_uv=False)
    made_by_transformations |= {"onto_diagonal"}  # the derivative of np.diagonal
    made_by_transformations |= {
        "cumprod_tangent",
        "cumprod_adjoint",
        "cumprod_adjoint_tangent",
        "diff_adjoint",
    }  # np.cumprod's, np.diff's
    made_by_transformations |= {"tape", "tape_grow", "range_len", "stale"}  # reversing loops
    users = {name for name, p in PRIMITIVES.items() if p.custom}  # tests/test_custom_rules.py
    missing = set(PRIMITIVES) - covered - internal - made_by_transformations - users
    assert not missing, f"primitives without a test row: {sorted(missing)}"


# Conventions at non-differentiable points (documented in primitives.py).
CONVENTIONS = [
    (c.abs_, (0.0,), (0.0,)),
    (c.fabs, (0.0,), (0.0,)),
    (c.max_, (1.5, 1.5), (0.5, 0.5)),
    (c.min_, (1.5, 1.5), (0.5, 0.5)),
    (c.sqrt, (0.0,), (math.inf,)),
    (c.cbrt, (0.0,), (math.inf,)),
    (c.copysign, (0.0, -1.0), (0.0, 0.0)),
    (c.floordiv, (5.0, 2.0), (2.0, 5.0)),
]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(
    "fn, point, expected", CONVENTIONS, ids=lambda v: getattr(v, "__name__", None)
)
def test_conventions_at_nondifferentiable_points(fn, point, expected, mode, jit):
    if jit and fn not in (c.abs_, c.max_, c.sqrt, c.cbrt):
        pytest.skip("compiled on a representative subset")
    grads = symdiff.grad(fn, tuple(range(len(point))), mode=mode, jit=jit)(*point)
    assert tuple(map(float, grads)) == expected


def test_max_of_a_value_with_itself_has_derivative_one():
    assert symdiff.grad(c.max_, (0, 1), jit=False)(2.0, 2.0) == (0.5, 0.5)
    from . import language_cases as lc

    assert symdiff.grad(lc.max_self, jit=False)(2.0) == 1.0


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_expit_is_exact_far_from_zero(mode, jit):
    """1 / (1 + exp(-x)) overflows to 1 / inf = 0, not to an error or nan."""
    for x, value in ((-800.0, 0.0), (800.0, 1.0)):
        got, slope = symdiff.value_and_grad(c.expit, mode=mode, jit=jit)(x)
        assert (float(got), float(slope)) == (value, 0.0)


def test_new_primitives_are_one_entry_each():
    """cbrt and expit are named by their entries alone (np.cbrt, scipy.special.expit)."""
    import scipy.special

    from symdiff.primitives import PRIMITIVES, primitive_for

    assert primitive_for(np.cbrt) == "cbrt" and primitive_for(scipy.special.expit) == "expit"
    assert PRIMITIVES["cbrt"].names.numpy == ("cbrt",)
    assert PRIMITIVES["expit"].names.scipy == ("expit",)
    source = symdiff.derivative_source(c.expit, 0.3)
    assert "1.0 / (1.0 + math.exp(-x))" in source


def test_cumsum_method_and_options():
    """x.cumsum(axis=1) and x.cumsum() are read from the entry's names and options."""
    x = np.arange(1.0, 7.0).reshape(2, 3) / 7
    expected = np.cumsum(x, axis=1) * np.cumsum(x)[:6].reshape(2, 3)
    for mode in ("reverse", "forward"):
        value, gradient = symdiff.value_and_grad(c.cumsum_method, mode=mode, jit=False)(x)
        assert value == pytest.approx(np.sum(expected), rel=1e-14)
        for index in np.ndindex(x.shape):
            fd = finite_difference(lambda a: c.cumsum_method(a), (x,), 0, element=index)
            assert gradient[index] == pytest.approx(fd, rel=1e-8)


def _marked_line(name):
    import linecache

    for lineno in range(1, 400):
        if f"# ERR: {name}" in linecache.getline(c.__file__, lineno):
            return lineno
    raise AssertionError(name)


@pytest.mark.parametrize(
    "fn, args, words",
    [
        (c.cumsum_dtype, (np.ones(3),), ["dtype", "axis="]),
        (c.cumsum_too_many, (np.ones(3),), ["np.cumsum", "axis="]),
        (c.cumsum_axis_not_an_int, (np.ones(3),), ["axis", "constant int"]),
        (c.cumsum_of_a_number, (0.5,), ["cumsum", "array"]),
        (c.sum_keepdims_by_position, (np.ones((2, 2)),), ["np.sum", "keepdims="]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_bad_options_name_the_line(fn, args, words):
    with pytest.raises(symdiff.errors.SymDiffError) as info:
        symdiff.grad(fn, jit=False)(*args)
    err = info.value
    assert err.lineno == _marked_line(fn.__name__), str(err)
    assert all(word in str(err) for word in words), str(err)


def test_flags_replace_the_side_tables():
    """What passes read about primitives are flags of their entries."""
    from symdiff.primitives import PRIMITIVES

    def having(flag):
        return {name for name, p in PRIMITIVES.items() if getattr(p, flag)}

    assert having("view") == {
        "getitem",
        "reshape",
        "transpose",
        "flip",
        "reshape_like",
        "expand_dims",
        "squeeze",
        "broadcast_to",
        "diagonal",
        "same_shape",  # a slice known to have another value's shape: the slice itself
    }
    assert having("indexed") == {"setitem", "additem", "scatter"}
    assert having("full_tangent") == {"setitem", "additem", "zeros_like", "broadcast_like"}
    assert {"zeros", "copy", "tape", "stack"} <= having("fresh") and "dot" not in having("fresh")
    assert PRIMITIVES["sum_to"].shape_reads == {1} and not PRIMITIVES["sum"].shape_reads


@pytest.mark.parametrize("jit", [False, True])
def test_new_primitives_in_a_reverse_loop(jit):
    """cumsum, expit, cbrt and flip in a loop reversed with tapes, against
    SymPy and finite differences (and compiled)."""
    x = np.array([0.3, -0.7, 0.1, 0.9])
    report = symdiff.check_grad(c.new_primitives_in_a_loop, x, 3, jit=jit)
    assert report.ok and report.sympy_value is not None, str(report)


def test_new_primitives_live_in_the_registry_only():
    """np.cbrt, scipy.special.expit, np.cumsum and np.flip are named nowhere
    in the compiler outside symdiff/primitives/ (no string, no attribute)."""
    import ast
    from pathlib import Path

    package = Path(symdiff.__file__).parent
    new = {"cbrt", "expit", "cumsum", "flip"}
    for path in package.rglob("*.py"):
        if "primitives" in path.parts or "library" in path.parts:  # the library is user code
            continue
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
            if isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docstrings:
                assert not (isinstance(node.value, str) and node.value in new), (path, node.value)
            if isinstance(node, ast.Attribute):
                assert node.attr not in new, (path, node.attr)


def test_cumsum_gradient_reads_like_the_textbook():
    """The VJP of a running sum is the running sum from the end: flip, cumsum, flip."""
    from . import array_cases as ac

    source = symdiff.derivative_source(ac.a_cumsum, np.ones(4))
    assert "x_bar = np.cumsum(x) * np.cos(x) + np.cumsum(np.sin(x)[::-1])[::-1]" in source
    source = symdiff.derivative_source(ac.a_cumsum_flat, np.ones((2, 3)))
    assert "np.cumsum((2 * np.cumsum(X))[::-1])[::-1]" in source and ".reshape(X.shape)" in source
    forward = symdiff.derivative_source(ac.a_cumsum_axis, np.ones((2, 3)), mode="forward")
    assert "np.cumsum(dX, axis=0)" in forward and "np.cumsum(dX, axis=1)" in forward
