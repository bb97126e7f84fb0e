"""Real-program objectives (``real_programs``) against finite differences, in
both modes, with and without Numba; their generated source does not depend
on the hash seed."""

import copy
import math

import numpy as np
import pytest

import symdiff

from . import real_programs as rp
from .hash_seeds import run_under_hash_seed


def _leaves(tree, path=()):
    """(path, value) of every float leaf of a container argument."""
    if isinstance(tree, dict):
        for key in sorted(tree):
            yield from _leaves(tree[key], path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, item in enumerate(tree):
            yield from _leaves(item, path + (i,))
    elif isinstance(tree, rp.Affine):
        yield from _leaves(vars(tree), path)
    elif isinstance(tree, (float, np.ndarray)):
        yield path, tree


def _get(tree, path):
    for key in path:
        tree = vars(tree)[key] if isinstance(tree, rp.Affine) else tree[key]
    return tree


def _replaced(tree, path, value):
    """A copy of ``tree`` with the leaf at ``path`` replaced."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, rp.Affine):
        new = copy.copy(tree)
        setattr(new, key, _replaced(getattr(tree, key), rest, value))
        return new
    if isinstance(tree, dict):
        return {**tree, key: _replaced(tree[key], rest, value)}
    items = list(tree)
    items[key] = _replaced(items[key], rest, value)
    return type(tree)(items)


def _finite_difference_gradient(fn, args, h=1e-6):
    """Central differences of ``fn`` with respect to every float leaf of
    ``args[0]``, as a dict path -> gradient array (or float)."""
    out = {}
    for path, leaf in _leaves(args[0]):
        flat = np.array(leaf, dtype=float).ravel()
        grad = np.zeros_like(flat)
        for i in range(flat.size):
            values = []
            for step in (h, -h):
                moved = flat.copy()
                moved[i] += step
                new = moved.reshape(np.shape(leaf)) if isinstance(leaf, np.ndarray) else moved[0]
                values.append(fn(_replaced(args[0], path, new), *args[1:]))
            grad[i] = (values[0] - values[1]) / (2 * h)
        out[path] = grad.reshape(np.shape(leaf)) if isinstance(leaf, np.ndarray) else grad[0]
    return out


def _rng(seed=0):
    return np.random.default_rng(seed)


def _mlp_args():
    r = _rng(1)
    params = [(r.normal(size=(4, 5)), r.normal(size=5)), (r.normal(size=(5, 1)), r.normal(size=1))]
    return (params, rp.X_DATA, rp.Y_LABELS[:, None])


def _rnn_args():
    r = _rng(2)
    params = {
        "Wxh": r.normal(size=(2, 3)) * 0.5,
        "Whh": r.normal(size=(3, 3)) * 0.5,
        "bh": r.normal(size=3) * 0.1,
        "Why": r.normal(size=3),
    }
    return (params, r.normal(size=(6, 2)), r.normal(size=6))


CASES = {
    "mlp_list_of_layers": (rp.mlp_loss, _mlp_args),
    "logistic_regression_globals": (rp.logistic_regression, lambda: (_rng(3).normal(size=4),)),
    "model_object": (
        rp.model_loss,
        lambda: (
            rp.Affine(_rng(4).normal(size=(4, 1)), np.zeros(1)),
            rp.X_DATA,
            rp.Y_LABELS[:, None],
        ),
    ),
    "rnn_dict_nested_helper": (rp.rnn_loss, _rnn_args),
    "newton_early_exit": (rp.newton_sqrt_with_exit, lambda: (2.0,)),
}


def _check_against_fd(fn, args, grads, rtol=1e-5):
    expected = _finite_difference_gradient(fn, args)
    got = dict(_leaves(grads)) if not isinstance(grads, float) else {(): grads}
    assert set(got) == set(expected)
    for path, value in expected.items():
        np.testing.assert_allclose(got[path], value, rtol=rtol, atol=1e-7, err_msg=str(path))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_real_program_gradients(name, mode):
    fn, make = CASES[name]
    args = make()
    before = copy.deepcopy(args)
    value, grads = symdiff.value_and_grad(fn, mode=mode, jit=False)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    _check_against_fd(fn, args, grads)
    for a, b in zip(_leaves(args), _leaves(before)):  # arguments unchanged
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("name", ["mlp_list_of_layers", "rnn_dict_nested_helper"])
def test_real_program_gradients_compiled(name):
    fn, make = CASES[name]
    args = make()
    plain = symdiff.grad(fn, jit=False)(*args)
    compiled = symdiff.grad(fn)(*args)
    for (path, a), (_, b) in zip(_leaves(plain), _leaves(compiled)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=str(path))


def test_globals_are_read_when_called(monkeypatch):
    w = _rng(5).normal(size=4)
    g = symdiff.grad(rp.logistic_regression, jit=False)
    first = g(w)
    monkeypatch.setattr(rp, "X_DATA", rp.X_DATA * 2.0)
    second = g(w)
    expected = _finite_difference_gradient(rp.logistic_regression, (w,))[()]
    np.testing.assert_allclose(second, expected, rtol=1e-5)
    assert not np.allclose(first, second)


@pytest.mark.parametrize("jit", [False, True])
def test_draws_are_the_functions_own(jit):
    """One gradient call consumes the generator as one call of the function:
    finite differences with a fresh, identically seeded generator per
    evaluation agree with the gradient."""
    params = {"mu": np.array([0.3, -0.2]), "log_sigma": np.array([-0.5, 0.1])}
    value, grads = symdiff.value_and_grad(rp.black_box_vi, jit=jit)(
        params, np.random.RandomState(11)
    )
    assert value == pytest.approx(rp.black_box_vi(params, np.random.RandomState(11)))

    def with_seed(p):
        return rp.black_box_vi(p, np.random.RandomState(11))

    _check_against_fd(with_seed, (params,), grads)
    rs = np.random.RandomState(3)
    symdiff.grad(rp.black_box_vi, jit=jit)(params, rs)
    twin = np.random.RandomState(3)
    rp.black_box_vi(params, twin)
    assert rs.randn() == twin.randn()  # the same number of draws was consumed


def test_has_aux_returns_the_aux_as_computed():
    W, b = _rng(6).normal(size=(4,)), 0.5
    (loss, aux), grads = symdiff.value_and_grad(rp.loss_with_aux, has_aux=True, jit=False)(
        (W, b), rp.X_DATA, rp.Y_LABELS
    )
    expected_loss, expected_aux = rp.loss_with_aux((W, b), rp.X_DATA, rp.Y_LABELS)
    assert loss == pytest.approx(expected_loss)
    assert sorted(aux) == ["n", "pred", "scale"] and aux["n"] == 30
    np.testing.assert_allclose(aux["pred"], expected_aux["pred"])
    _check_against_fd(
        lambda p, X, y: rp.loss_with_aux(p, X, y)[0], ((W, b), rp.X_DATA, rp.Y_LABELS), grads
    )


def test_real_program_sources_do_not_depend_on_the_hash_seed():
    code = """
import numpy as np
import symdiff
from tests import real_programs as rp
from tests.test_real_programs import CASES
for name in sorted(CASES):
    fn, make = CASES[name]
    for mode in ("reverse", "forward"):
        print(symdiff.grad(fn, mode=mode, jit=False).source(*make()))
print(symdiff.grad(rp.black_box_vi, jit=False).source(
    {"mu": np.zeros(2), "log_sigma": np.zeros(2)}, np.random.RandomState(0)))
"""
    outputs = {run_under_hash_seed(code, seed) for seed in (0, 1, 12345)}
    assert len(outputs) == 1
    assert "def mlp_loss_grad(" in outputs.pop()


def _gp_args(points=12):
    rng = _rng(3)
    X = rng.uniform(-2.0, 2.0, size=(points, 3))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=points)
    return (math.log(1.2), math.log(0.8), math.log(0.05), X, y)


def _gp_finite_differences(args, h=1e-6):
    out = []
    for i in range(3):
        up, down = list(args), list(args)
        up[i], down[i] = args[i] + h, args[i] - h
        out.append((rp.gp_nlml(*up) - rp.gp_nlml(*down)) / (2.0 * h))
    return out


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gaussian_process_gradient_against_finite_differences(mode):
    args = _gp_args()
    got = symdiff.grad(rp.gp_nlml, argnums=(0, 1, 2), mode=mode, jit=False)(*args)
    np.testing.assert_allclose(got, _gp_finite_differences(args), rtol=1e-6)


def test_gaussian_process_gradient_compiled_is_the_plain_one():
    args = _gp_args()
    plain = symdiff.grad(rp.gp_nlml, argnums=(0, 1, 2), jit=False)(*args)
    np.testing.assert_allclose(
        symdiff.grad(rp.gp_nlml, argnums=(0, 1, 2))(*args), plain, rtol=1e-12
    )


def _gp_gradient_source():
    return symdiff.derivative_source(rp.gp_nlml, *_gp_args(), argnums=(0, 1, 2))


def test_gaussian_process_gradient_has_no_broadcast_checks():
    """eye(n) with n = X.shape[0], and sq.reshape(-1, 1) + sq.reshape(1, -1),
    have the shape of K: no run-time size-1 sums, no zeros to broadcast into."""
    source = _gp_gradient_source()
    assert "_if_one" not in source
    assert "zeros_like" not in source


def test_gaussian_process_gradient_takes_its_triangles_in_one_pass():
    """One identity for both np.eye(n); the triangular solves' adjoints take
    the triangle of an outer product alone, the Cholesky's Phi(S + S^T) in
    one helper; no np.tril/np.triu of whole products."""
    body = _gp_gradient_source().split("def gp_nlml_grad")[1]  # not the helpers
    assert body.count("np.eye(") == 1
    assert "_lower_outer(" in body and "_upper_outer(" in body
    assert "_phi_symmetric(" in body
    assert "np.tril(" not in body and "np.triu(" not in body and "np.outer(" not in body
