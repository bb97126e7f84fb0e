"""Trust fixes in the API, the checker and the rule table: copies in forward
mode, exact derivatives at special points, array jvp/vjp, printed forward
source, SymPy budgets and paths as the user gave them."""

import numpy as np
import pytest

from symdiff import grad
from symdiff.verify import finite_difference

from . import trust_api_cases as c

X3 = np.array([0.3, 0.5, 0.7])


def numeric_grad(fn, args, argnums):
    """Finite-difference gradient, shaped like each argument."""
    out = []
    for i in argnums:
        shape = np.shape(args[i])
        g = np.zeros(shape)
        for element in np.ndindex(*shape):
            g[element] = finite_difference(fn, list(args), i, element=element)
        out.append(g if shape else float(g))
    return tuple(out)


def assert_close(got, want, rtol=1e-7, atol=1e-9):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, dtype=float), w, rtol=rtol, atol=atol)


COPY_CASES = [
    c.copy_after_loop,
    c.np_copy_after_loop,
    c.copy_no_loop,
    c.copy_in_loop,
    c.copy_of_argument,
    c.copy_then_loop_writes,
    c.copy_between_loops,
]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fn", COPY_CASES, ids=lambda f: f.__name__)
def test_a_copy_written_later_leaves_the_original_alone(fn, mode):
    args = (X3.copy(), 2.0)
    got = grad(fn, argnums=(0, 1), mode=mode, jit=False)(*args)
    assert_close(got, numeric_grad(fn, args, (0, 1)))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_copy_after_loop_compiled(mode):
    got = grad(c.copy_after_loop, argnums=(0, 1), mode=mode)(X3.copy(), 2.0)
    assert_close(got, (np.array([0.0, 1.0, 0.0]), 5.0))


def product_of_others(x):
    """d np.prod(x) / dx by brute force: each element's product of the others."""
    flat = x.ravel()
    return np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)]).reshape(x.shape)


ZERO_POINTS = [
    np.array([0.0, 2.0]),
    np.array([0.0, 0.0, 2.0]),
    np.array([3.0, -1.5, 0.0, 2.0]),
    np.array([1.5, -2.0, 0.5]),
    np.array([[0.0, 2.0], [3.0, 0.5]]),
]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("x", ZERO_POINTS, ids=lambda x: str(x.tolist()))
def test_prod_is_exact_at_zeros(x, mode, jit):
    got = grad(c.prod_all, mode=mode, jit=jit)(x)
    np.testing.assert_allclose(got, product_of_others(x), rtol=1e-15)
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_prod_at_zero_does_not_leak_nan_into_other_arguments(mode):
    x = np.array([0.0, 2.0, 3.0])
    gx, gs = grad(c.prod_times, argnums=(0, 1), mode=mode, jit=False)(x, 1.5)
    np.testing.assert_allclose(gx, 1.5 * product_of_others(x) + 1.5)
    assert gs == pytest.approx(0.0 + 5.0)


A_ZEROS = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.5], [0.0, 0.0, 2.0], [1.5, -1.0, 2.5]])


PROD_AXIS_CASES = [
    (c.prod_axis0, False),
    (c.prod_axis1, False),
    (c.prod_keepdims, False),
    (c.prod_keepdims_all, False),
    (c.prod_keepdims, True),
]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("fn, jit", PROD_AXIS_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_prod_along_an_axis_is_exact_at_zeros(fn, jit, mode):
    got = grad(fn, mode=mode, jit=jit)(A_ZEROS)
    assert np.all(np.isfinite(got))
    assert_close((got,), numeric_grad(fn, (A_ZEROS,), (0,)), rtol=1e-6, atol=1e-8)


# (function, point, hand-derived gradient with respect to every argument)
SPECIAL_POINTS = [
    (c.int_power0, (0.0,), (0.0,)),  # x ** 0 is 1: derivative 0, also at 0
    (c.int_power1, (0.0,), (1.0,)),
    (c.int_power2, (0.0,), (0.0,)),
    (c.np_power0, (np.array([0.0, 2.0]),), (np.array([0.0, 0.0]),)),
    (c.power, (0.0, 2.0), (0.0, 0.0)),  # d/dy 0 ** y is 0 for y > 0 (as JAX)
    (c.power, (0.0, 1.0), (1.0, 0.0)),
    (c.power, (0.0, 0.0), (0.0, 0.0)),
    (c.power, (2.0, 0.0), (0.0, np.log(2.0))),
    (c.power, (0.0, 0.5), (np.inf, 0.0)),  # d/dx sqrt at 0 is inf
    (c.zero_base, (2.0,), (0.0,)),
    (c.math_pow, (0.0, 3.0), (0.0, 0.0)),
    (c.array_power, (np.array([0.0, 2.0]), 2.0), (np.array([0.0, 4.0]), 4.0 * np.log(2.0))),
    (c.array_power, (np.array([0.0, 2.0]), 0.0), (np.array([0.0, 0.0]), np.log(2.0))),
    (c.hypot, (0.0, 0.0), (0.0, 0.0)),  # as abs at 0
    (c.hypot, (3.0, 0.0), (1.0, 0.0)),
    (
        c.array_hypot,
        (np.array([0.0, 3.0]), np.array([0.0, 4.0])),
        (np.array([0.0, 0.6]), np.array([0.0, 0.8])),
    ),
    (c.atan2, (0.0, 0.0), (0.0, 0.0)),
    (c.atan2, (0.0, 2.0), (0.5, 0.0)),
    (c.sqrt, (0.0,), (np.inf,)),  # the documented convention
]
COMPILED = {c.power, c.array_power, c.array_hypot}


def special_point_cases():
    for fn, point, want in SPECIAL_POINTS:
        for jit in (False, True) if fn in COMPILED else (False,):
            for mode in ("forward", "reverse"):
                label = f"{fn.__name__}{point}-{mode}-{'jit' if jit else 'py'}"
                yield pytest.param(fn, point, want, mode, jit, id=label)


@pytest.mark.parametrize("fn, point, want, mode, jit", list(special_point_cases()))
def test_derivatives_at_special_points(fn, point, want, mode, jit):
    argnums = tuple(range(len(point)))
    with np.errstate(all="ignore"):
        got = grad(fn, argnums=argnums, mode=mode, jit=jit)(*point)
    assert_close(got, want, rtol=1e-14, atol=0.0)


W33 = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.6], [-0.4, 0.2, 0.9]])
FORWARD_CASES = [
    (c.weighted, (X3, W33, 1.5), (0, 1, 2), "grad"),
    (c.weighted, (X3, W33, 1.5), (1,), "value_and_grad"),
    (c.weighted, (X3, W33, 1.5), 0, "grad"),
    (c.weighted, (X3, W33, 1.5), (2, 0), "value_and_grad"),
    (c.prod_axis1, (A_ZEROS,), 0, "grad"),
    (c.copy_after_loop, (X3, 2.0), (0, 1), "value_and_grad"),
]


def run_printed(source, name, args):
    namespace = {}
    exec(compile(source, "<printed>", "exec"), namespace)
    return namespace[name](*args)


def flat(value):
    """Numbers of a (nested) result, for comparing."""
    if isinstance(value, tuple):
        return [n for item in value for n in flat(item)]
    return list(np.ravel(value))


@pytest.mark.parametrize("fn, args, argnums, kind", FORWARD_CASES)
def test_forward_source_over_arrays_is_what_runs(fn, args, argnums, kind):
    from symdiff import value_and_grad

    make = grad if kind == "grad" else value_and_grad
    g = make(fn, argnums=argnums, mode="forward", jit=False)
    source = g.source(*args)
    printed = run_printed(source, f"{fn.__name__}_{kind}", args)
    ran = g(*args)
    assert flat(printed) == flat(ran)
    single = not isinstance(argnums, tuple)
    grads = ran[1] if kind == "value_and_grad" else ran
    grads = (grads,) if single else grads
    nums = (argnums,) if single else argnums
    assert_close(grads, numeric_grad(fn, args, nums), rtol=1e-6, atol=1e-9)
    reverse = make(fn, argnums=argnums, jit=False)(*args)
    np.testing.assert_allclose(flat(ran), flat(reverse), rtol=1e-12, atol=1e-14)


def test_forward_over_arrays_compiled_matches_printed():
    args = (X3, W33, 1.5)
    g = grad(c.weighted, argnums=(0, 1, 2), mode="forward")
    printed = run_printed(g.source(*args), "weighted_grad", args)
    assert flat(g(*args)) == pytest.approx(flat(printed), rel=1e-14)


def test_derivative_source_forward_over_arrays_runs():
    from symdiff import derivative_source

    source = derivative_source(c.prod_all, X3, mode="forward")
    printed = run_printed(source, "prod_all_grad", (X3,))
    np.testing.assert_allclose(printed, product_of_others(X3), rtol=1e-15)


def run_cli(*args, cwd=None):
    """The installed ``symdiff`` command (``python -m symdiff`` would import a
    folder named ``symdiff`` in ``cwd`` instead of the package)."""
    import os
    import shutil
    import subprocess
    import sys

    script = shutil.which("symdiff", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "symdiff"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_forward_mode_over_arrays_prints_what_runs():
    from pathlib import Path

    cases = Path(c.__file__)
    out = run_cli(f"{cases}:weighted", "--mode", "forward", "--rank", "x=1", "--rank", "W=2")
    assert out.returncode == 0, out.stderr
    args = (np.full(3, 1.0), np.full((3, 3), 1.0), 1.0)
    printed = run_printed(out.stdout, "weighted_grad", args)
    want = grad(c.weighted, argnums=(0, 1, 2), jit=False)(*args)
    np.testing.assert_allclose(flat(printed), flat(want), rtol=1e-12)


# (function, primals, argnums differentiated)
ARRAY_VJP_CASES = [
    (c.vec_out, (X3,), (0,)),
    (c.mat_out, (W33, X3, 1.5), (0, 1, 2)),
    (c.mat_out, (W33, X3, 1.5), (1,)),
    (c.scalar_in_vec_out, (0.7, -1.2), (0, 1)),
    (c.weighted, (X3, W33, 1.5), (0, 1, 2)),
]
# Every case as plain Python; two compiled with Numba.
ARRAY_VJP_RUNS = [(*case, False) for case in ARRAY_VJP_CASES] + [
    (*ARRAY_VJP_CASES[1], True),
    (*ARRAY_VJP_CASES[3], True),
]
RNG = np.random.default_rng(7)


def like(value):
    """A random array (or float) shaped like ``value``."""
    return float(RNG.normal()) if np.ndim(value) == 0 else RNG.normal(size=np.shape(value))


def directional_fd(fn, primals, argnums, tangents):
    """d/dh fn(primals + h * tangents) at 0, by Richardson-extrapolated differences."""

    def along(h):
        moved = list(primals)
        for i, t in zip(argnums, tangents):
            moved[i] = primals[i] + h * t
        return np.asarray(fn(*moved), dtype=float)

    def central(h):
        return (along(h) - along(-h)) / (2 * h)

    return (4 * central(5e-4) - central(1e-3)) / 3


@pytest.mark.parametrize(
    "fn, primals, argnums, jit", ARRAY_VJP_RUNS, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_jvp_takes_and_returns_arrays(fn, primals, argnums, jit):
    from symdiff import jvp

    tangents = [like(primals[i]) if i in argnums else None for i in range(len(primals))]
    value, tangent_out = jvp(fn, primals, tuple(tangents), jit=jit)
    np.testing.assert_allclose(value, fn(*primals), rtol=1e-14)
    assert np.shape(tangent_out) == np.shape(value)
    want = directional_fd(fn, primals, argnums, [tangents[i] for i in argnums])
    np.testing.assert_allclose(tangent_out, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "fn, primals, argnums, jit", ARRAY_VJP_RUNS, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_vjp_pullback_takes_a_cotangent_shaped_like_the_output(fn, primals, argnums, jit):
    from symdiff import vjp

    value, pullback = vjp(fn, *primals, argnums=argnums, jit=jit)
    np.testing.assert_allclose(value, fn(*primals), rtol=1e-14)
    cotangent = like(value)
    got = pullback(cotangent)
    assert [np.shape(g) for g in got] == [np.shape(primals[i]) for i in argnums]

    def weighted_output(*args):
        return float(np.sum(cotangent * fn(*args)))

    assert_close(got, numeric_grad(weighted_output, primals, argnums), rtol=1e-6, atol=1e-9)
    twice = pullback(2.0 * cotangent)  # linear in the cotangent
    assert_close(twice, [2.0 * np.asarray(g) for g in got], rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
@pytest.mark.parametrize(
    "fn, primals, argnums", ARRAY_VJP_CASES, ids=lambda v: getattr(v, "__name__", None)
)
def test_derivative_source_of_array_jvp_and_vjp_runs(fn, primals, argnums, kind):
    from symdiff import derivative_source, jvp, vjp

    source = derivative_source(fn, *primals, argnums=argnums, kind=kind)
    if kind == "jvp":
        seeds = [like(primals[i]) for i in argnums]
        tangents = [None] * len(primals)
        for i, t in zip(argnums, seeds):
            tangents[i] = t
        printed = run_printed(source, f"{fn.__name__}_jvp", (*primals, *seeds))
        want = jvp(fn, primals, tuple(tangents), jit=False)
    else:
        value, pullback = vjp(fn, *primals, argnums=argnums, jit=False)
        cotangent = like(value)
        printed = run_printed(source, f"{fn.__name__}_vjp", (*primals, cotangent))
        want = (value, pullback(cotangent))
    np.testing.assert_allclose(flat(printed), flat(want), rtol=1e-13, atol=1e-15)


def test_array_jvp_and_vjp_check_shapes():
    from symdiff import ArgumentError, jvp, vjp

    with pytest.raises(ArgumentError, match=r"shape \(2,\), not the shape \(3,\)"):
        jvp(c.vec_out, (X3,), (np.ones(2),), jit=False)
    with pytest.raises(ArgumentError, match="scalar"):
        jvp(c.scalar_in_vec_out, (0.7, 1.0), (np.ones(2), None), jit=False)
    _, pullback = vjp(c.vec_out, X3, jit=False)
    with pytest.raises(ArgumentError, match=r"shape \(\), not the shape \(3,\)"):
        pullback(1.0)
    _, pullback = vjp(c.weighted, X3, W33, 1.5, jit=False)
    with pytest.raises(ArgumentError, match=r"an array of shape \(3,\) for a scalar"):
        pullback(np.ones(3))
    with pytest.raises(ArgumentError, match="must be a number or a NumPy array, not list"):
        pullback([1.0, 2.0, 3.0])


def rnn_point(steps):
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=steps), rng.normal(size=3)


@pytest.mark.parametrize(
    "fn, steps, budget, skipped",
    [
        (c.rnn, 4, {}, False),  # within the default budget (minutes before: evalf(subs=))
        (c.rnn, 4, {"sympy_max_nodes": 1000}, True),
        (c.rnn_long, 12, {}, True),  # beyond the default budget
    ],
)
def test_check_grad_gives_sympy_a_budget(fn, steps, budget, skipped):
    from symdiff import check_grad

    report = check_grad(fn, *rnn_point(steps), jit=False, **budget)
    text = str(report)
    assert ("SymPy: skipped (too large" in text) == skipped
    assert all((row.sympy is None) == skipped for row in report.rows)
    assert len(report.rows) == 9 + 3 + steps + 3
    assert all(row.finite_diff is not None for row in report.rows)
    assert report.ok and text.rstrip().endswith("finite differences 1e-06)")


def test_check_grad_budget_catches_a_wrong_gradient_without_sympy(monkeypatch):
    """With SymPy skipped, finite differences still catch a wrong rule."""
    import dataclasses

    from symdiff import api, check_grad
    from symdiff.primitives import PRIMITIVES

    wrong = dataclasses.replace(PRIMITIVES["tanh"], partials=lambda x, ans: (1.0 + ans**2,))
    monkeypatch.setitem(PRIMITIVES, "tanh", wrong)
    monkeypatch.setattr(api, "_DERIVED", type(api._DERIVED)())
    report = check_grad(c.rnn, *rnn_point(4), jit=False, sympy_max_nodes=1000)
    assert "SymPy: skipped" in str(report) and not report.ok


@pytest.mark.parametrize("mode_spelled_wrong", ["scalar", "none"])
def test_check_grad_compares_the_value_with_the_function(monkeypatch, mode_spelled_wrong):
    """symdiff's value is compared with fn(*args): a wrong spelling of sin
    (printed as cos) keeps the derivative right but the value wrong."""
    import dataclasses

    from symdiff import api, check_grad
    from symdiff.primitives import PRIMITIVES

    if mode_spelled_wrong == "scalar":
        wrong = dataclasses.replace(PRIMITIVES["sin"], spelling=("call", "math.cos"))
        monkeypatch.setitem(PRIMITIVES, "sin", wrong)
        monkeypatch.setattr(api, "_DERIVED", type(api._DERIVED)())
    report = check_grad(c.sine, 0.4, 2.0, jit=False)
    text = str(report)
    assert report.python_value == c.sine(0.4, 2.0)
    lines = text.splitlines()
    header, values = lines[1].split(), lines[2].split()
    assert header == ["symdiff", "reverse", "symdiff", "forward", "SymPy", "Python"]
    assert values[0] == "value" and float(values[-1]) == c.sine(0.4, 2.0)
    if mode_spelled_wrong == "scalar":
        assert not report.ok and not report.value_ok
        assert "VALUE MISMATCH: symdiff's value (reverse mode) differs from sine(...)" in text
        assert "MISMATCH" in lines[-1]
    else:
        assert report.ok and "VALUE MISMATCH" not in text


def test_cli_shows_paths_as_given_in_a_folder_named_symdiff(tmp_path):
    """In a clone (or any folder) named symdiff, the header and errors show the
    path as given on the command line, and the exported module mentions
    symdiff only in its first comment line."""
    import shutil
    from pathlib import Path

    folder = tmp_path / "symdiff"
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / "examples" / "quickstart.py", folder / "quickstart.py")
    (folder / "bad.py").write_text("import math\n\n\ndef f(x):\n    return math.ulp(x) * x\n")
    (folder / "broken.py").write_text("def f(x):\n    return x +\n")
    shown = run_cli("quickstart.py:f", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].endswith("from f (quickstart.py:13)")
    target = folder / "grad_f.py"
    out = run_cli("export", "quickstart.py:f", "-o", str(target), cwd=folder)
    assert out.returncode == 0, out.stderr
    lines = target.read_text().splitlines()
    assert lines[0].startswith("# Generated by symdiff")
    assert not any("symdiff" in line for line in lines[1:])
    for given in ("bad.py", "./bad.py", "symdiff/bad.py"):
        cwd = tmp_path if given.startswith("symdiff") else folder
        bad = run_cli(f"{given}:f", cwd=cwd)
        assert bad.returncode == 1
        assert bad.stderr.startswith(f"{given}:5:12: no derivative rule for math.ulp()")
        assert "return math.ulp(x) * x" in bad.stderr  # the source line is found
    broken = run_cli("broken.py:f", cwd=folder)
    assert broken.returncode == 1 and broken.stderr.startswith("broken.py:2:")
    absolute = run_cli(f"{folder / 'bad.py'}:f", cwd=tmp_path)
    assert absolute.stderr.startswith(f"{folder / 'bad.py'}:5:12:")


@pytest.mark.parametrize("jit", [False, True])
def test_forward_mode_over_a_non_contiguous_array(jit):
    from symdiff import value_and_grad

    A = np.arange(12.0).reshape(3, 4).T / 10  # Fortran order: reshape(-1) would copy
    value, (gA, gs) = value_and_grad(c.rows_and_tanh, argnums=(0, 1), mode="forward", jit=jit)(
        A, 1.5
    )
    assert value == pytest.approx(c.rows_and_tanh(A, 1.5), rel=1e-14)
    assert_close((gA, gs), numeric_grad(c.rows_and_tanh, (A, 1.5), (0, 1)), rtol=1e-7)


def test_check_grad_reports_a_function_that_raises_in_python():
    from symdiff import check_grad

    report = check_grad(c.log_of, -1.0, jit=False)  # symdiff: IEEE nan; Python: ValueError
    assert report.python_value is None
    assert "log_of(...) raised ValueError in Python" in str(report)
