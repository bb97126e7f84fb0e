"""Random programs differentiated twice: for the array programs of
``test_trust_properties`` and the loop programs of ``test_loop_properties``,
the Hessian by forward over reverse (``hessian``, by blocks of directions
where the JVP has a block form) equals the one taken one direction at a time
and reverse over reverse (``jacrev(grad)``), both equal central differences of the gradient where
those are stable, and a Hessian-vector product equals the Hessian times the
vector."""

import math
import os
import types
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings

from symdiff import SymDiffError, grad, hessian, hvp, jacrev
from symdiff.transform import jacobian as jacobian_transform

from . import test_loop_properties as loops
from . import test_trust_properties as arrays

# SYMDIFF_EXAMPLES=500 for a long hunt outside the suite
SCALE = int(os.environ.get("SYMDIFF_EXAMPLES", "0")) or None
SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def load(tmp_path_factory):
    loader = loops.Loader(tmp_path_factory.mktemp("higher_order_generated"))

    def load_function(source: str, name: str):
        return loader(loops.Program(arrays.HEADER + source, name)).fn

    load_function.loader = loader
    return load_function


def _difference_of_gradient(gradient, args, index, h):
    """Central differences of ``gradient`` along each element of ``args[index]``:
    shaped gradient.shape + args[index].shape."""
    base = np.asarray(args[index], dtype=float)
    columns = []
    for element in np.ndindex(base.shape):
        step = np.zeros(base.shape)
        step[element] = h
        plus, minus = list(args), list(args)
        plus[index] = base + step if base.ndim else float(base + step)
        minus[index] = base - step if base.ndim else float(base - step)
        columns.append((np.asarray(gradient(*plus)) - np.asarray(gradient(*minus))) / (2 * h))
    return np.stack(columns, axis=-1).reshape(np.shape(gradient(*args)) + base.shape)


def check_second_derivatives(fn, args, index, reverse_over_reverse=True):
    """The four ways to the Hessian with respect to ``args[index]`` agree."""
    try:
        gradient = grad(fn, index, jit=False)
        g = gradient(*args)
    except SymDiffError:  # the first derivative's own refusals (tested elsewhere)
        assume(False)
    assume(np.all(np.isfinite(g)) and np.max(np.abs(g), initial=0.0) < 1e5)
    try:
        H = hessian(fn, index, jit=False)(*args)
    except SymDiffError as exc:  # derivative code without rules of its own (np.prod's)
        assert "no forward-mode rule for" in str(exc), exc
        with pytest.raises(SymDiffError, match="no reverse-mode rule for"):
            jacrev(grad(fn, index, jit=False), index, jit=False)(*args)
        return
    shape = np.shape(g) + np.shape(args[index])
    assert np.shape(H) == shape
    scale = 1.0 + np.max(np.abs(H), initial=0.0)
    with mock.patch.object(jacobian_transform, "_block_columns", lambda *rest: False):
        copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__)
        one_at_a_time = hessian(copy, index, jit=False)(*args)  # not by blocks of directions
    np.testing.assert_allclose(H, one_at_a_time, rtol=1e-11, atol=1e-13 * scale, err_msg="blocks")
    if reverse_over_reverse:
        try:
            Hr = jacrev(grad(fn, index, jit=False), index, jit=False)(*args)
        except SymDiffError as exc:  # a gradient's loop that writes what it reads, reversed
            assert "reverse mode cannot differentiate this loop" in str(exc), exc
        else:
            err = "rev over rev"
            np.testing.assert_allclose(Hr, H, rtol=1e-9, atol=1e-11 * scale, err_msg=err)
    coarse = _difference_of_gradient(gradient, args, index, 1e-4)
    fine = _difference_of_gradient(gradient, args, index, 2.5e-5)
    stable = np.abs(coarse - fine) <= 1e-4 * (scale + np.abs(fine))  # not at a kink
    np.testing.assert_allclose(
        np.where(stable, H, 0.0), np.where(stable, fine, 0.0), rtol=1e-4, atol=1e-5 * scale
    )
    if np.ndim(args[index]):
        v = np.linspace(-1.0, 1.0, np.size(args[index])).reshape(np.shape(args[index]))
        product = hvp(fn, index, jit=False)(*args, v)
        want = np.tensordot(H, v, np.ndim(v))
        np.testing.assert_allclose(product, want, rtol=1e-9, atol=1e-11 * scale * np.size(v))


@settings(max_examples=SCALE or 12, **SETTINGS)
@given(arrays.array_cases())
def test_array_programs_twice(load, case):
    program, seed = case
    note(program.source)
    assume(not program.features)  # writes into arrays: refused or not, tested once elsewhere
    fn = load(program.source, program.name)
    args = arrays.array_args(program, seed)
    value = arrays._value(fn, args)
    assume(value is not None)
    for index in (0, 3):  # the array A, the number s
        check_second_derivatives(fn, args, index)


@settings(max_examples=SCALE or 8, **SETTINGS)
@given(loops.cases())
def test_loop_programs_twice(load, case):
    note(case.program.source)
    fn = load.loader(case.program).fn
    x, a, n = np.array(case.x), case.a, case.n
    try:
        value = float(fn(x, a, n))
    except (ArithmeticError, ValueError):
        assume(False)
    assume(math.isfinite(value) and abs(value) < 1e6)
    for index in (0, 1):
        # reverse over reverse too: nested loops with int counters changed in
        # inner loops (kind 9 of the generator inside kinds 13-15) once crashed
        # on a stale recording of a freed loop (reverse.ReverseState.record), and
        # branches' values read after the branch on a missing phi (transform.scope)
        check_second_derivatives(fn, (x, a, n), index)
