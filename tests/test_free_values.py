"""Free values: globals, closure variables and attributes are read at each
call (implicit inputs of the generated code), as Python reads them; static
uses (``axis=AXIS``, ``params[K]``, a flag) are read when the code is
generated and guarded by value."""

import math

import numpy as np
import pytest

import symdiff
from symdiff import grad, jvp, value_and_grad, vjp
from symdiff.errors import SymDiffError

from . import free_value_cases as cases
from . import free_value_config as config
from . import free_value_helpers as helpers

MODES = ("reverse", "forward")
X3 = np.array([0.3, -0.7, 1.1])
X23 = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])


def numeric_gradient(fn, x, h=1e-6):
    """Central differences of ``fn`` at the array ``x``."""
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        out[index] = (fn(up) - fn(down)) / (2 * h)
    return out


# (function, argument, (module, name, new value): a rebinding that changes the result)
ROWS = [
    (cases.least_squares, X3, (cases, "X_train", cases.X_train * 2.0)),
    (cases.least_squares, X3, (cases, "y_train", np.array([3.0, 1.0]))),
    (cases.scaled, X3, (cases, "C", -0.5)),
    (cases.masked, X3, (cases, "MASK", np.array([0.0, 1.0, 1.0]))),
    (
        cases.network,
        np.array([0.2, -0.1, 0.4]),
        (cases, "LAYERS", [(cases.LAYERS[0][0] * 3, cases.LAYERS[0][1])]),
    ),
    (cases.weighted, X3, (cases, "WEIGHTS", {"a": np.ones(3), "b": -2.0})),
    (cases.from_config, X3, (config, "lr", 0.125)),
    (cases.from_config, X3, (config, "scale", np.array([3.0, 0.0, 1.0]))),
    (cases.class_attribute, X3, (cases.SlabIndices, "DEPTH", 4.0)),
    (cases.object_attributes, X3, (cases.model, "W", np.array([1.0, 1.0, 1.0]))),
    (cases.method_of_a_global, X3, (cases.model, "W", np.array([1.0, -1.0, 0.5]))),
    (cases.method_of_a_global, X3, (cases.model, "bias", -0.3)),
    (cases.chained_attribute, X3, (cases.model.inner, "gain", -3.0)),
    (cases.other_module, X3, (helpers, "OFFSET", np.array([2.0, 2.0, 2.0]))),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, x, rebinding", ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_free_values_are_read_at_each_call(fn, x, rebinding, mode, monkeypatch):
    df = grad(fn, mode=mode, jit=False)
    before = df(x)
    np.testing.assert_allclose(before, numeric_gradient(fn, x), rtol=1e-6, atol=1e-8)
    owner, name, value = rebinding
    monkeypatch.setattr(owner, name, value)
    after = df(x)
    assert not np.allclose(after, before)  # the new value is used: not frozen
    np.testing.assert_allclose(after, numeric_gradient(fn, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
def test_closure_variables_are_read_at_each_call(mode):
    value, scale = np.array([1.0, 2.0, 3.0]), 0.5
    fn = cases.closure(value, scale)
    df = grad(fn, mode=mode, jit=False)
    np.testing.assert_allclose(df(X3), 2 * 0.5 * (X3 - value))
    # the cells of `inner` are read: rebinding them through a closure over the same cells
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__))
    cells["scale"].cell_contents = 3.0
    cells["value"].cell_contents = np.zeros(3)
    np.testing.assert_allclose(df(X3), 2 * 3.0 * X3)


def test_the_generated_code_names_its_implicit_inputs():
    source = grad(cases.least_squares, jit=False).source(X3)
    assert "def least_squares_grad(w, X_train, y_train):" in source
    assert "# read at each call, not differentiated: X_train, y_train" in source
    source = grad(cases.from_config, jit=False).source(X3)
    assert "def from_config_grad(x, config_lr, config_scale):" in source
    assert "config_lr = config.lr" in source
    source = grad(cases.object_attributes, jit=False).source(X3)
    assert "def object_attributes_grad(x, model_W, model_bias):" in source


def test_a_helper_reads_its_own_modules_global_of_the_same_name(monkeypatch):
    df = grad(cases.two_scales, jit=False)
    np.testing.assert_allclose(df(X3), np.full(3, 3.0 * 0.5))
    assert "def two_scales_grad(x, SCALE_1, SCALE):" in df.source(X3)  # the helper's first
    monkeypatch.setattr(helpers, "SCALE", 4.0)
    np.testing.assert_allclose(df(X3), np.full(3, 4.0 * 0.5))


def test_library_constants_stay_constants():
    source = grad(cases.library_constants, jit=False).source(0.5)
    assert "def library_constants_grad(x):" in source  # math.pi, math.e, np.inf: no parameters
    assert str(math.pi) in source
    assert grad(cases.library_constants, jit=False)(0.5) == pytest.approx(
        math.pi + math.cos(0.5 / math.e) / math.e, rel=1e-14
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_global_of_another_rank_gets_a_new_specialisation(mode, monkeypatch):
    df = grad(cases.masked, mode=mode, jit=False)
    np.testing.assert_allclose(df(X3), 2 * X3 * cases.MASK**2)
    monkeypatch.setattr(cases, "MASK", 2.0)  # an array becomes a float
    np.testing.assert_allclose(df(X3), 2 * X3 * 4.0)
    monkeypatch.setattr(cases, "MASK", np.array([[1.0], [0.0]]))  # 2-d, with a size-1 axis
    assert "MASK: float[:,1]" in df.source(X3)
    np.testing.assert_allclose(df(X3), [2 * X3[0], 2 * X3[1], 2 * X3[2]])  # one row of 1s
    assert "MASK: float[1,:]" not in df.source(X3)
    assert "def masked_grad(x, MASK):" in df.source(X3)


@pytest.mark.parametrize("mode", MODES)
def test_static_uses_are_guarded_by_value(mode, monkeypatch):
    df = grad(cases.reduce_axis, mode=mode, jit=False)
    np.testing.assert_allclose(df(X23), numeric_gradient(cases.reduce_axis, X23), rtol=1e-6)
    assert "axis=0" in df.source(X23) and "AXIS" not in df.source(X23).split("\n", 3)[3]
    monkeypatch.setattr(cases, "AXIS", 1)
    np.testing.assert_allclose(df(X23), numeric_gradient(cases.reduce_axis, X23), rtol=1e-6)
    assert "axis=1" in df.source(X23)

    pick = grad(cases.pick, mode=mode, jit=False)
    params = (np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert [list(g) for g in pick(params)] == [[0.0, 0.0], [6.0, 8.0]]
    monkeypatch.setattr(cases, "K", 0)
    assert [list(g) for g in pick(params)] == [[2.0, 4.0], [0.0, 0.0]]

    flagged = grad(cases.flagged, mode=mode, jit=False)
    np.testing.assert_allclose(flagged(X3), 2 * X3)
    monkeypatch.setattr(cases, "USE_BIAS", False)
    np.testing.assert_allclose(flagged(X3), 3 * X3**2)


@pytest.mark.parametrize("mode", MODES)
def test_an_int_global_as_a_loop_bound_is_read_at_each_call(mode, monkeypatch):
    df = grad(cases.loop_bound, mode=mode, jit=False)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(df(x), [2.0, 4.0, 6.0, 0.0])
    monkeypatch.setattr(cases, "N", 2)
    np.testing.assert_allclose(df(x), [2.0, 4.0, 0.0, 0.0])


@pytest.mark.parametrize("mode", MODES)
def test_jit_reads_globals_at_each_call(mode, monkeypatch):
    df = value_and_grad(cases.least_squares, mode=mode, jit=True)
    value, gradient = df(X3)
    assert value == pytest.approx(cases.least_squares(X3), rel=1e-14)
    np.testing.assert_allclose(gradient, numeric_gradient(cases.least_squares, X3), rtol=1e-6)
    monkeypatch.setattr(cases, "X_train", cases.X_train[:, ::-1].copy())
    value, gradient = df(X3)
    assert value == pytest.approx(cases.least_squares(X3), rel=1e-14)
    np.testing.assert_allclose(gradient, numeric_gradient(cases.least_squares, X3), rtol=1e-6)


@pytest.mark.parametrize("jit", (False, True))
def test_the_fast_scalar_entry_reads_globals(jit, monkeypatch):
    df = grad(cases.scalar_global, argnums=(0, 1), jit=jit)
    assert df(2.0, 3.0) == (6.0, 4.0)
    monkeypatch.setattr(cases, "C", 10.0)
    assert df(2.0, 3.0) == (30.0, 20.0)  # the inline cache of the entry does not freeze C


def test_jvp_and_vjp_read_globals(monkeypatch):
    value, tangent = jvp(cases.scaled, (X3,), (np.ones(3),), jit=False)
    assert value == pytest.approx(cases.scaled(X3)) and tangent == pytest.approx(np.sum(4 * X3))
    monkeypatch.setattr(cases, "C", 1.0)
    value, pullback = vjp(cases.scaled, X3, jit=False)
    assert value == pytest.approx(np.sum(X3**2))
    np.testing.assert_allclose(pullback(1.0)[0], 2 * X3)


def test_a_global_that_disappears_is_a_clear_error(monkeypatch):
    df = grad(cases.scaled, jit=False)
    df(X3)
    monkeypatch.delattr(cases, "C")
    with pytest.raises(SymDiffError, match="name 'C' is not defined") as info:
        df(X3)
    assert "free_value_cases.py" in str(info.value)


def test_an_object_array_global_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(cases, "MASK", np.array(["a", "b", "c"]))
    with pytest.raises(SymDiffError, match="'MASK' is an array of dtype <U1") as info:
        grad(cases.masked, jit=False)(X3)
    assert "free_value_cases.py" in str(info.value)


def test_symdiff_verify_sees_the_same_values():
    report = symdiff.check_grad(cases.least_squares, X3)
    assert report.ok


@pytest.mark.parametrize("jit", (False, True))
def test_a_guarded_value_flipping_back_compiles_once(jit, monkeypatch):
    df = grad(cases.reduce_axis, jit=jit)
    first = df(X23)
    monkeypatch.setattr(cases, "AXIS", 1)
    second = df(X23)
    monkeypatch.setattr(cases, "AXIS", 0)
    np.testing.assert_allclose(df(X23), first)
    monkeypatch.setattr(cases, "AXIS", 1)
    np.testing.assert_allclose(df(X23), second)
    assert len(df._spec._variants) == 2


def test_a_value_that_changes_at_each_read_is_a_clear_error():
    with pytest.raises(SymDiffError, match="change between two reads") as info:
        grad(cases.uses_flaky, jit=False)(X3)
    assert "free_value_cases.py" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_rebinding_a_helper_calls_the_new_helper(mode, monkeypatch):
    df = grad(cases.activated, mode=mode, jit=False)
    np.testing.assert_allclose(df(X3), [1.0, 0.0, 1.0])
    monkeypatch.setattr(cases, "activation", cases.square)
    np.testing.assert_allclose(df(X3), 2 * X3)


def test_strings_in_a_container_global_are_guarded_by_value(monkeypatch):
    df = grad(cases.with_settings, jit=False)
    assert df(1.0) == 2.0
    monkeypatch.setitem(cases.SETTINGS, "w", 3.0)  # a number: read at each call
    assert df(1.0) == 3.0 and len(df._spec._variants) == 1
    monkeypatch.setitem(cases.SETTINGS, "mode", "eval")  # a string: may decide the code
    assert df(1.0) == 3.0 and len(df._spec._variants) == 2


@pytest.mark.parametrize("mode", MODES)
def test_an_int_global_bounding_an_unrolled_loop_is_guarded(mode, monkeypatch):
    params = (np.array([0.5, 1.0, -0.5]), np.array([2.0, 0.3, 1.0]), np.array([1.0, 1.0, 1.0]))
    df = grad(cases.layers_by_index, argnums=1, mode=mode, jit=False)

    def flat(*leaves):
        return cases.layers_by_index(X3, leaves)

    for count in (2, 3):
        monkeypatch.setattr(cases, "NLAYERS", count)
        got = df(X3, params)
        for i in range(3):
            expected = numeric_gradient(
                lambda p, i=i: flat(*(p if j == i else params[j] for j in range(3))), params[i]
            )
            np.testing.assert_allclose(got[i], expected, rtol=1e-6, atol=1e-8)


def test_float32_code_only_when_the_globals_are_float32_too(monkeypatch):
    w = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    df = grad(cases.mixed_precision, jit=False)
    assert "float32" not in df.source(w).split("\n")[1]  # X_train is float64: float64 code
    np.testing.assert_allclose(df(w), 2 * cases.X_train.T @ (cases.X_train @ w), rtol=1e-6)
    monkeypatch.setattr(cases, "X_train", cases.X_train.astype(np.float32))
    assert "w: float32[:]" in df.source(w).split("\n")[1]
    gradient = df(w)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, 2 * cases.X_train.T @ (cases.X_train @ w), rtol=1e-5)


def test_a_global_rebound_to_an_object_is_a_clear_error(monkeypatch):
    df = grad(cases.shift_or_object, jit=False)
    assert df(1.0) == 1.0
    monkeypatch.setattr(cases, "SHIFT", cases.Inner())
    with pytest.raises(SymDiffError, match="Inner") as info:
        df(1.0)
    assert "free_value_cases.py" in str(info.value)
