"""The public API: the calls of the README, their conventions and options."""

import numpy as np
import pytest

import symdiff
from symdiff import check_grad, derivative_source, differentiate, grad, jvp, value_and_grad, vjp

from .headline import f

DFDX, DFDZ = 1208.3812151266097, 809.7074792185641  # SymPy, 30 digits, rounded


@differentiate(argnums=(0, 1))
def f_both(x, z):
    return f(x, z)


@differentiate
def f_first(x, z):
    return f(x, z)


def test_decorated_function_calls_the_original():
    assert f_both(2.0, 3.0) == f(2.0, 3.0)
    assert f_both.__name__ == "f_both"


def test_decorator_methods():
    gx, gz = f_both.grad(2.0, 3.0)
    assert gx == pytest.approx(DFDX, rel=1e-14) and gz == pytest.approx(DFDZ, rel=1e-14)
    value, (gx2, gz2) = f_both.value_and_grad(2.0, 3.0)
    assert value == pytest.approx(f(2.0, 3.0), rel=1e-15) and (gx2, gz2) == (gx, gz)
    assert "def f_both_grad(x, z):" in f_both.source(2.0, 3.0)
    report = f_both.check(2.0, 3.0)
    assert report.ok and "OK" in str(report)


def test_bare_decorator_means_argnums_zero():
    assert f_first.grad(2.0, 3.0) == pytest.approx(DFDX, rel=1e-14)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_grad_int_and_tuple_argnums(mode, jit):
    assert grad(f, argnums=1, mode=mode, jit=jit)(2.0, 3.0) == pytest.approx(DFDZ, rel=1e-14)
    one = grad(f, argnums=(1,), mode=mode, jit=jit)(2.0, 3.0)
    assert isinstance(one, tuple) and len(one) == 1
    both = grad(f, argnums=(1, 0), mode=mode, jit=jit)(2.0, 3.0)
    assert both == pytest.approx((DFDZ, DFDX), rel=1e-14)


def test_value_and_grad_defaults_to_first_argument():
    value, g = value_and_grad(f, jit=False)(2.0, 3.0)
    assert g == pytest.approx(DFDX, rel=1e-14)
    assert value == pytest.approx(f(2.0, 3.0), rel=1e-15)


def test_negative_argnums_count_from_the_end():
    assert grad(f, argnums=-1, jit=False)(2.0, 3.0) == pytest.approx(DFDZ, rel=1e-14)


def test_jvp_is_a_directional_derivative():
    value, tangent = jvp(f, (2.0, 3.0), (1.0, 0.0))
    assert tangent == pytest.approx(DFDX, rel=1e-14)
    value, tangent = jvp(f, (2.0, 3.0), (0.5, -2.0), jit=False)
    assert tangent == pytest.approx(0.5 * DFDX - 2.0 * DFDZ, rel=1e-13)
    value, tangent = jvp(f, (2.0, 3.0), (None, 1.0), jit=False)
    assert tangent == pytest.approx(DFDZ, rel=1e-14)


def test_vjp_pullback_scales_with_the_cotangent():
    value, pullback = vjp(f, 2.0, 3.0)
    assert value == pytest.approx(f(2.0, 3.0), rel=1e-15)
    assert pullback(1.0) == pytest.approx((DFDX, DFDZ), rel=1e-14)
    assert pullback(-2.0) == pytest.approx((-2 * DFDX, -2 * DFDZ), rel=1e-14)
    _, pull_x = vjp(f, 2.0, 3.0, argnums=0, jit=False)
    assert pull_x(1.0) == pytest.approx(DFDX, rel=1e-14)


def test_derivative_source_kinds():
    for kind, header in [
        ("grad", "def f_grad(x, z):"),
        ("value_and_grad", "def f_value_and_grad(x, z):"),
        ("jvp", "def f_jvp(x, z, dx, dz):"),
        ("vjp", "def f_vjp(x, z, f_bar):"),
    ]:
        assert header in derivative_source(f, 2.0, 3.0, argnums=(0, 1), kind=kind)


def test_check_grad_report():
    report = check_grad(f, 2.0, 3.0, jit=False)
    assert report.ok
    assert [row.name for row in report.rows] == ["x", "z"]
    assert report.rows[0].sympy == pytest.approx(DFDX, rel=1e-15)
    assert report.max_errors["reverse"] < 1e-13


def test_check_grad_detects_a_wrong_gradient(monkeypatch):
    """The checker can fail: corrupt one rule and it reports a mismatch."""
    import dataclasses

    from symdiff import api
    from symdiff.primitives import PRIMITIVES, sin

    wrong = dataclasses.replace(PRIMITIVES["cos"], partials=lambda x, ans: (sin(x),))
    monkeypatch.setitem(PRIMITIVES, "cos", wrong)
    monkeypatch.setattr(api, "_DERIVED", type(api._DERIVED)())

    from . import primitive_cases

    report = check_grad(primitive_cases.cos, 0.4, jit=False)
    assert not report.ok
    assert "MISMATCH" in str(report)


def test_repeated_calls_reuse_the_compiled_function():
    g = grad(f, argnums=(0, 1))
    first = g(2.0, 3.0)
    impl = g._impls[(float, float)]
    assert g(2.5, 3.0) != first
    assert g._impls[(float, float)] is impl
    assert np.float64(2.0) and g(np.float64(2.0), 3.0) == first


def test_public_names():
    for name in [
        "differentiate",
        "grad",
        "value_and_grad",
        "jvp",
        "vjp",
        "check_grad",
        "derivative_source",
        "SymDiffError",
    ]:
        assert hasattr(symdiff, name)


def test_entry_switches_between_signatures_and_checks_arguments():
    from symdiff import ArgumentError

    g = grad(f, argnums=(0, 1), jit=False)
    first = g(2.0, 3.0)
    assert g(np.float64(2.0), 3.0) == pytest.approx(first, rel=1e-15)  # a second signature
    assert g(2.0, 3.0) == first and g(z=3.0, x=2.0) == first
    with pytest.raises(ArgumentError):
        g()
    with pytest.raises(ArgumentError):
        g(2.0, 3.0, 4.0)


def test_jvp_needs_one_tangent_per_primal():
    def f(x, z):
        return x * z

    def g(params, z):
        return params[0] * z

    for fn, primals in ((f, (1.0, 2.0)), (g, ([1.0], 2.0))):
        with pytest.raises(symdiff.SymDiffError, match="jvp got 2 primals but 1 tangents"):
            symdiff.jvp(fn, primals, (1.0,), jit=False)
        with pytest.raises(symdiff.SymDiffError, match="every tangent is None"):
            symdiff.jvp(fn, primals, (None, None), jit=False)
