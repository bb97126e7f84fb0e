"""Derivatives of derivatives (issue 13): grad of grad to third order against
SymPy, Hessians against finite differences of the gradient, Jacobians both
ways, Hessian-vector products against H @ v, per-example gradients with
vmap against a Python loop; their generated programs and their errors."""

import types

import numpy as np
import pytest
import sympy as sp

from symdiff import (
    ArgumentError,
    SymDiffError,
    check_grad,
    custom_vjp,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    vjp,
    vmap,
)
from symdiff.transform import jacobian as jacobian_transform

from . import higher_order_cases as cases
from .hash_seeds import run_under_hash_seed

RNG = np.random.default_rng(13)


def fd_jacobian(f, x, h=1e-6):
    """Central differences of ``f`` at the array ``x``: shaped f(x).shape + x.shape."""
    x = np.asarray(x, dtype=float)
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


# -- grad of grad, to third order, against SymPy ------------------------------

X, Y = sp.symbols("x y")
SYMBOLIC = {
    "exp_sin": (cases.exp_sin, sp.exp(2 * X) * sp.sin(X), (X,), (0.3,)),
    "poly_trig": (
        cases.poly_trig,
        X**3 * Y + X * sp.sin(Y) + sp.log(1 + X * X),
        (X, Y),
        (0.7, -1.2),
    ),
    "tanh_chain": (cases.tanh_chain, sp.tanh(sp.tanh(X) * 3) / (1 + X * X), (X,), (0.4,)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
@pytest.mark.parametrize(
    "modes", [("reverse",) * 3, ("forward",) * 3, ("reverse", "forward", "reverse")]
)
def test_grad_of_grad_to_third_order_matches_sympy(name, modes):
    fn, expr, symbols, point = SYMBOLIC[name]
    at = dict(zip(symbols, point))
    d = fn
    for order, mode in enumerate(modes, start=1):
        d = grad(d, mode=mode, jit=False)
        want = float(sp.diff(expr, X, order).subs(at))
        assert d(*point) == pytest.approx(want, rel=1e-11, abs=1e-11), order


def test_mixed_second_derivative_by_argnums():
    fn, expr, _, point = SYMBOLIC["poly_trig"]
    mixed = grad(grad(fn, argnums=0, jit=False), argnums=1, jit=False)
    want = float(sp.diff(expr, X, Y).subs({X: point[0], Y: point[1]}))
    assert mixed(*point) == pytest.approx(want, rel=1e-12)


def test_second_derivative_through_a_loop_keeps_the_loop():
    g = grad(cases.loop_scalar, jit=False)
    want = (g(0.8 + 1e-5, 5) - g(0.8 - 1e-5, 5)) / 2e-5
    for mode in ("reverse", "forward"):
        g2 = grad(grad(cases.loop_scalar), mode=mode, jit=False)
        assert g2(0.8, 5) == pytest.approx(want, rel=1e-7)
        source = g2.source(0.8, 5)
        # forward over reverse: the recording loop and the reversed one, with tangents;
        # reverse over reverse reverses both again
        assert source.count("for i in range") == (2 if mode == "forward" else 4)
    assert grad(grad(cases.loop_scalar), mode="forward")(0.8, 5) == pytest.approx(want, rel=1e-7)


def test_grad_of_grad_with_respect_to_a_scalar_beside_arrays():
    W = RNG.normal(size=(3, 2))
    g = grad(cases.scalar_and_array, jit=False)
    want = (g(0.6 + 1e-5, W) - g(0.6 - 1e-5, W)) / 2e-5
    assert grad(grad(cases.scalar_and_array), jit=False)(0.6, W) == pytest.approx(want, rel=1e-7)


# -- Hessians against finite differences of the gradient ----------------------


@pytest.mark.parametrize("fn", [cases.rosenbrock, cases.rosenbrock_loop], ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [2, 7])
def test_hessian_of_rosenbrock(fn, n):
    x = RNG.normal(size=n)
    g = grad(fn, jit=False)
    H = hessian(fn, jit=False)(x)
    assert H.shape == (n, n)
    np.testing.assert_allclose(H, fd_jacobian(g, x), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_rosenbrock_compiled_matches_plain():
    x = RNG.normal(size=6)
    for fn in (cases.rosenbrock, cases.rosenbrock_loop):
        np.testing.assert_allclose(hessian(fn)(x), hessian(fn, jit=False)(x), rtol=1e-13)


def test_hessian_of_the_mlp_loss_has_jax_blocks():
    W, b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    H = hessian(cases.mlp_loss, argnums=(0, 1), jit=False)(W, b, X, y)
    gW = grad(cases.mlp_loss, argnums=0, jit=False)
    gb = grad(cases.mlp_loss, argnums=1, jit=False)
    blocks = {
        (0, 0): fd_jacobian(lambda w: gW(w, b, X, y), W),
        (0, 1): fd_jacobian(lambda c: gW(W, c, X, y), b),
        (1, 0): fd_jacobian(lambda w: gb(w, b, X, y), W),
        (1, 1): fd_jacobian(lambda c: gb(W, c, X, y), b),
    }
    for (i, j), want in blocks.items():
        assert H[i][j].shape == want.shape
        np.testing.assert_allclose(H[i][j], want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H[0][1], np.moveaxis(H[1][0], 0, -1), rtol=1e-12, atol=1e-14)


def test_hessian_of_softmax_regression():
    W, X = RNG.normal(size=(3, 4)) * 0.5, RNG.normal(size=(6, 3))
    labels = RNG.integers(0, 4, size=6)
    g = grad(cases.softmax_regression, jit=False)
    H = hessian(cases.softmax_regression, jit=False)(W, X, labels)
    assert H.shape == (3, 4, 3, 4)
    np.testing.assert_allclose(H, fd_jacobian(lambda w: g(w, X, labels), W), rtol=1e-6, atol=1e-8)


def test_hessian_of_layers_in_a_list_has_the_parameters_structure_twice():
    params = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)), (RNG.normal(size=4), 0.3)]
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    H = hessian(cases.layers_loss, jit=False)(params, X, y)
    assert isinstance(H, list) and isinstance(H[0], tuple) and isinstance(H[0][1], list)
    assert H[0][1][1][0].shape == (4, 4)  # d/d b1 of the gradient's W2 entry... (b1: 4) x (W2: 4)
    g = grad(cases.layers_loss, jit=False)

    def grad_b1(b1):
        return g([(params[0][0], b1), params[1]], X, y)[1][0]  # the W2 entry of the gradient

    np.testing.assert_allclose(
        H[1][0][0][1], fd_jacobian(grad_b1, params[0][1]), rtol=1e-6, atol=1e-8
    )


def test_hessian_by_reverse_over_reverse_agrees():
    W, b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    H = hessian(cases.mlp_loss, jit=False)(W, b, X, y)
    Hr = jacrev(grad(cases.mlp_loss, jit=False), jit=False)(W, b, X, y)
    np.testing.assert_allclose(Hr, H, rtol=1e-12, atol=1e-14)


def test_hessian_source_is_one_function_with_the_primal_outside_the_loop():
    x = RNG.normal(size=5)
    source = hessian(cases.rosenbrock, jit=False).source(x)
    functions = [line for line in source.splitlines() if line.startswith("def ")]
    assert functions[-1].startswith("def rosenbrock_grad_jacobian(x):")
    assert not any("jacobian" in f or "grad" in f for f in functions[:-1])  # helpers only
    loop = source[source.index("for col in range") :]
    assert "x[:-1] ** 2" not in loop and "t1 ** 2" not in loop.split("\n")[1]
    loop_source = hessian(cases.rosenbrock_loop, jit=False).source(x)
    assert "for col in range" in loop_source and "for i" in loop_source


# -- Jacobians ------------------------------------------------------------------


@pytest.mark.parametrize("make", [jacfwd, jacrev, jacobian], ids=["jacfwd", "jacrev", "jacobian"])
def test_jacobians_of_a_vector_function(make):
    x, A = RNG.normal(size=3), RNG.normal(size=(4, 3))
    Jx, JA = make(cases.vector_field, argnums=(0, 1), jit=False)(x, A)
    np.testing.assert_allclose(
        Jx, fd_jacobian(lambda z: cases.vector_field(z, A), x), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        JA, fd_jacobian(lambda a: cases.vector_field(x, a), A), rtol=1e-6, atol=1e-9
    )
    assert JA.shape == (4, 4, 3)


@pytest.mark.parametrize("make", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_a_matrix_output_and_a_scalar_output(make):
    M, v = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    J = make(cases.matrix_field, jit=False)(M, v)
    np.testing.assert_allclose(
        J, fd_jacobian(lambda m: cases.matrix_field(m, v), M), rtol=1e-6, atol=1e-9
    )
    assert J.shape == (3, 2, 3, 2)
    x = RNG.normal(size=4)
    np.testing.assert_allclose(make(cases.two_outputs_sum, jit=False)(x), 3 * x**2, rtol=1e-13)


def test_jacobians_compiled():
    x, A = RNG.normal(size=3), RNG.normal(size=(4, 3))
    want = jacfwd(cases.vector_field, jit=False)(x, A)
    np.testing.assert_allclose(jacfwd(cases.vector_field)(x, A), want, rtol=1e-13)
    np.testing.assert_allclose(jacrev(cases.vector_field)(x, A), want, rtol=1e-13)


# -- Hessian-vector products ----------------------------------------------------


def test_hvp_matches_the_hessian_times_v():
    for fn in (cases.rosenbrock, cases.rosenbrock_loop):
        x, v = RNG.normal(size=6), RNG.normal(size=6)
        H = hessian(fn, jit=False)(x)
        np.testing.assert_allclose(hvp(fn, jit=False)(x, v), H @ v, rtol=1e-12, atol=1e-12)
    W, b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    V = RNG.normal(size=W.shape)
    H = hessian(cases.mlp_loss, jit=False)(W, b, X, y)
    want = np.tensordot(H, V, 2)
    np.testing.assert_allclose(hvp(cases.mlp_loss)(W, b, X, y, V), want, rtol=1e-12, atol=1e-14)


def test_hvp_source_has_no_loop_over_directions():
    x, v = RNG.normal(size=6), RNG.normal(size=6)
    source = jvp(grad(cases.rosenbrock), (x,), (v,), jit=False)  # the same program hvp runs
    assert source[0].shape == (6,)
    spec = hvp(cases.rosenbrock, jit=False)
    np.testing.assert_allclose(spec(x, v), source[1], rtol=1e-14)


def test_hvp_with_several_arguments_takes_a_tuple():
    W, b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    V, u = RNG.normal(size=W.shape), RNG.normal(size=2)
    H = hessian(cases.mlp_loss, argnums=(0, 1), jit=False)(W, b, X, y)
    hv = hvp(cases.mlp_loss, argnums=(0, 1), jit=False)(W, b, X, y, (V, u))
    np.testing.assert_allclose(hv[0], np.tensordot(H[0][0], V, 2) + H[0][1] @ u, rtol=1e-12)
    np.testing.assert_allclose(hv[1], np.tensordot(H[1][0], V, 2) + H[1][1] @ u, rtol=1e-12)
    with pytest.raises(ArgumentError, match="one vector per argument"):
        hvp(cases.mlp_loss, argnums=(0, 1), jit=False)(W, b, X, y, V)


def test_vjp_of_a_gradient():
    W, b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    X, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    V = RNG.normal(size=W.shape)
    H = hessian(cases.mlp_loss, jit=False)(W, b, X, y)
    _, pullback = vjp(grad(cases.mlp_loss), W, b, X, y, argnums=0, jit=False)
    np.testing.assert_allclose(pullback(V), np.tensordot(V, H, 2), rtol=1e-12, atol=1e-14)


# -- vmap: per-example gradients --------------------------------------------------


def _example_params():
    return (RNG.normal(size=(4, 3)), RNG.normal(size=4), RNG.normal(size=4))


@pytest.mark.parametrize("parallel", [False, True])
def test_per_example_gradients_match_a_python_loop(parallel):
    params = _example_params()
    X, y = RNG.normal(size=(7, 3)), RNG.normal(size=7)
    per_example = vmap(
        grad(cases.example_loss), in_axes=(None, 0, 0), parallel=parallel, jit=parallel
    )
    got = per_example(params, X, y)
    g = grad(cases.example_loss, jit=False)
    loop = [g(params, X[i], y[i]) for i in range(7)]
    assert isinstance(got, tuple) and len(got) == 3
    for k in range(3):
        np.testing.assert_allclose(
            got[k], np.stack([row[k] for row in loop]), rtol=1e-12, atol=1e-14
        )
    source = per_example.source(params, X, y)
    assert ("for i in prange(" in source) == parallel


def test_vmap_of_a_function_over_another_axis_and_with_scalar_outputs():
    w, X = RNG.normal(size=3), RNG.normal(size=(3, 5))

    def f(w, x):
        return np.sum(w * x) ** 2

    got = vmap(f, in_axes=(None, 1), jit=False)(w, X)
    np.testing.assert_allclose(got, [f(w, X[:, i]) for i in range(5)], rtol=1e-13)
    gx = vmap(grad(f, argnums=1), in_axes=(None, 1), jit=False)(w, X)
    np.testing.assert_allclose(gx, [2 * np.sum(w * X[:, i]) * w for i in range(5)], rtol=1e-13)


def test_vmap_checks_its_axes():
    params = _example_params()
    X, y = RNG.normal(size=(7, 3)), RNG.normal(size=7)
    per_example = vmap(grad(cases.example_loss), in_axes=(None, 0, 0), jit=False)
    with pytest.raises(ArgumentError, match="different sizes: x has 7 along axis 0, y has 6"):
        per_example(params, X, y[:6])
    with pytest.raises(ArgumentError, match="maps y over axis 1, but y has rank 1"):
        vmap(cases.example_loss, in_axes=(None, 0, 1), jit=False)(params, X, y)
    with pytest.raises(ArgumentError, match="maps no argument"):
        vmap(cases.example_loss, in_axes=(None, None, None), jit=False)(params, X, y)
    with pytest.raises(ArgumentError, match="one axis"):
        vmap(cases.example_loss, in_axes=(None, 0), jit=False)(params, X, y)
    with pytest.raises(ArgumentError, match="not an int, None, or a tuple"):
        vmap(cases.example_loss, out_axes="last")  # other out_axes: test_higher_order_gaps


# -- errors ---------------------------------------------------------------------


def test_grad_of_an_array_gradient_says_to_use_hessian():
    with pytest.raises(ArgumentError, match="returns an array") as info:
        grad(grad(cases.rosenbrock), jit=False)(np.ones(3))
    assert "hessian(f)" in info.value.hint and info.value.loc.lineno > 0


def test_inner_derivatives_that_cannot_be_differentiated_again():
    with pytest.raises(ArgumentError, match="has_aux"):
        grad(grad(cases.exp_sin, has_aux=True))
    with pytest.raises(SymDiffError, match="forward-mode gradient of rosenbrock") as info:
        hessian_fwd = jacfwd(grad(cases.rosenbrock, mode="forward"), jit=False)
        hessian_fwd(np.ones(3))
    assert "mode='reverse'" in info.value.hint


@custom_vjp
def cube(x):
    return x**3


cube.defvjp(lambda x: (x**3, x), lambda x, g: (3 * x**2 * g,))


def test_a_rule_with_only_a_vjp_asked_for_a_hessian():
    def f(x):
        return np.sum(cube(x))

    with pytest.raises(
        SymDiffError, match="custom_vjp rule, which forward mode cannot use"
    ) as info:
        hessian(f, jit=False)(np.ones(3))
    assert info.value.loc is not None and info.value.loc.lineno == f.__code__.co_firstlineno + 1


def test_hessian_and_vmap_sources_do_not_depend_on_the_hash_seed():
    code = (
        "import numpy as np\n"
        "from symdiff import hessian, vmap, grad\n"
        "from tests import higher_order_cases as c\n"
        "x = np.linspace(0.1, 0.9, 5)\n"
        "print(hessian(c.rosenbrock_loop, jit=False).source(x))\n"
        "p = (np.ones((4, 3)), np.ones(4), np.ones(4))\n"
        "print(vmap(grad(c.example_loss), in_axes=(None, 0, 0), jit=False).source(p, np.ones((6, 3)), np.ones(6)))\n"
    )
    outputs = {run_under_hash_seed(code, seed) for seed in (0, 1, 12345)}
    assert len(outputs) == 1


# -- check_grad(order=2) ------------------------------------------------------------


def test_check_grad_order_two_compares_four_hessians():
    report = check_grad(cases.exp_over, 1.2, 0.7, jit=False, order=2)
    assert report.ok, str(report)
    assert [row.name for row in report.rows] == ["x x", "x z", "z x", "z z"]
    want = float(sp.diff(sp.exp(X * Y) / X, X, Y).subs({X: 1.2, Y: 0.7}))
    assert report.rows[1].sympy == pytest.approx(want, rel=1e-14)
    assert report.rows[1].forward == pytest.approx(want, rel=1e-12)
    assert "d2/d" in str(report) and "f.d. of gradient" in str(report)
    x = np.array([0.5, -0.3, 1.2])
    report = check_grad(cases.rosenbrock, x, jit=False, order=2)
    assert report.ok and len(report.rows) == 9
    assert report.rows[0].reverse == pytest.approx(1200 * 0.5**2 - 400 * -0.3 + 2)


def test_check_grad_order_two_reports_a_kink():
    # at 0 the second derivative jumps from 0 to 2: differences of the gradient see 1
    report = check_grad(cases.relu_squared, 0.0, jit=False, order=2)
    assert not report.ok
    assert report.rows[0].finite_diff == pytest.approx(1.0)


def test_check_grad_order_two_refuses_containers_and_other_orders():
    params = _example_params()
    with pytest.raises(ArgumentError, match="numbers and arrays"):
        check_grad(cases.example_loss, params, np.ones(3), 0.5, argnums=0, jit=False, order=2)
    with pytest.raises(ArgumentError, match="order 1 or 2"):
        check_grad(cases.exp_over, 1.0, 2.0, jit=False, order=3)


def test_hessian_with_a_size_one_axis_keeps_its_kind():
    # the basis directions had lost A's size-1 axis: the gradient's squeeze was refused
    A = np.array([[0.3], [0.5], [-0.2]])
    g = grad(cases.max_of_rows, jit=False)
    want = fd_jacobian(lambda a: g(a, 0.1), A)
    for H in (hessian(cases.max_of_rows, jit=False), jacrev(grad(cases.max_of_rows), jit=False)):
        got = H(A, 0.1)
        assert got.shape == (3, 1, 3, 1)
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_second_derivative_through_a_while_loop_tape(mode):
    # the tangent of a grown tape was zeros at each growth: a wrong second derivative
    x, a = np.full(3, 0.0123457), 0.0123457
    g = grad(cases.while_in_for, 1, jit=False)
    want = (g(x, a + 1e-5, 0) - g(x, a - 1e-5, 0)) / 2e-5
    got = grad(grad(cases.while_in_for, 1), 1, mode=mode, jit=False)(x, a, 0)
    assert got == pytest.approx(want, rel=1e-7)


POINT6 = np.array([1.2617617, 0.0346987, 0.0124747, -0.0310178, 0.4055602, 0.0131497])


@pytest.mark.parametrize("jit", [False, True])
def test_jvp_of_two_copies_written_in_one_loop(jit):
    # both copies' tangents were one array (a copy's tangent is the tangent
    # copied): writes into one showed in the other, a wrong first derivative
    v = np.arange(1.0, 7.0) / 7
    f = cases.two_copies_written_in_a_loop
    want = (f(POINT6 + 1e-6 * v) - f(POINT6 - 1e-6 * v)) / 2e-6
    assert jvp(f, (POINT6,), (v,), jit=jit)[1] == pytest.approx(want, rel=1e-8)


def test_hessian_of_a_loop_that_writes_two_arrays():
    g = grad(cases.scattered_twice, jit=False)
    want = fd_jacobian(g, POINT6, h=1e-5)
    np.testing.assert_allclose(
        hessian(cases.scattered_twice, jit=False)(POINT6), want, rtol=1e-6, atol=1e-8
    )


# -- vector forward mode: the JVP for a block of directions --------------------


def _fresh(fn):
    """A new function object of ``fn``'s code: derived afresh, not from the cache."""
    return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__)


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [np.asarray(tree)]


W3, B3, X3, Y3 = (
    RNG.normal(size=(3, 4)),
    RNG.normal(size=4),
    RNG.normal(size=(5, 3)),
    RNG.normal(size=5),
)
LAYERS = [(W3, B3), (RNG.normal(size=(4, 2)), RNG.normal(size=2))]
# (name, derivative, function, arguments, by blocks: False where the JVP has
# a statement without a block form: a gather, a growing tape)
BLOCK_ROWS = [
    ("rosenbrock", hessian, cases.rosenbrock, (RNG.normal(size=7),), True),
    ("rosenbrock_loop", hessian, cases.rosenbrock_loop, (RNG.normal(size=5),), True),
    # the reverse sweep reads a tangent made under the same condition in an
    # earlier branch: the branch's blocks were lost (a KeyError)
    ("while_with_branch", hessian, cases.while_with_branch,
     (np.array([-1.2, 0.4, -0.7, 0.3]), 0.3, 2), True),
    ("gathered_cubes", hessian, cases.gathered_cubes, (RNG.normal(size=4),), False),
    ("mlp_W_b", lambda f, **k: hessian(f, argnums=(0, 1), **k), cases.mlp_loss, (W3, B3, X3, Y3), True),
    ("softmax", hessian, cases.softmax_regression, (W3, X3, np.array([0, 1, 2, 3, 1])), True),
    ("layers", hessian, cases.layers_loss, (LAYERS, X3, RNG.normal(size=(5, 2))), True),
    ("vector_field", lambda f, **k: jacfwd(f, argnums=(0, 1), **k), cases.vector_field,
     (RNG.normal(size=3), RNG.normal(size=(4, 3))), True),
    ("matrix_field", lambda f, **k: jacfwd(f, argnums=(0, 1), **k), cases.matrix_field,
     (RNG.normal(size=(3, 3)), RNG.normal(size=3)), True),
    ("max_of_rows", hessian, cases.max_of_rows, (np.array([[0.3], [0.5], [-0.2]]), 0.1), True),
    ("scalar_and_array", lambda f, **k: hessian(f, argnums=(0, 1), **k), cases.scalar_and_array,
     (0.5, RNG.normal(size=(2, 3))), True),
    ("scattered_twice", hessian, cases.scattered_twice, (POINT6,), True),
    ("while_in_for", lambda f, **k: jacfwd(grad(f, 1), 0, **k), cases.while_in_for,
     (np.full(3, 0.0123457), 0.0123457, 0), False),
]  # fmt: skip


@pytest.mark.parametrize("row", BLOCK_ROWS, ids=[row[0] for row in BLOCK_ROWS])
def test_block_forward_mode_equals_one_direction_at_a_time(row, monkeypatch):
    name, make, fn, args, by_blocks = row
    derivative = make(_fresh(fn), jit=False)
    assert ("np.eye(" in derivative.source(*args)) == by_blocks  # the directions: rows of eye
    got = derivative(*args)
    monkeypatch.setattr(jacobian_transform, "_block_columns", lambda *rest: False)
    want = make(_fresh(fn), jit=False)(*args)
    for block, one in zip(_leaves(got), _leaves(want), strict=True):
        assert block.shape == one.shape
        np.testing.assert_allclose(block, one, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("budget", [12, 5, 1])
def test_block_forward_mode_in_chunks_of_directions(budget, monkeypatch):
    # 5 directions at 12 // 5 = 2, 1 and 1 a chunk: the last chunk is shorter
    monkeypatch.setattr(jacobian_transform, "BUDGET", budget)
    x = RNG.normal(size=5)
    g = grad(cases.rosenbrock, jit=False)
    np.testing.assert_allclose(
        hessian(_fresh(cases.rosenbrock), jit=False)(x), fd_jacobian(g, x), rtol=1e-6, atol=1e-6
    )
    A = RNG.normal(size=(2, 5))
    Jx, JA = jacfwd(_fresh(cases.vector_field), argnums=(0, 1), jit=False)(x, A)
    np.testing.assert_allclose(Jx, fd_jacobian(lambda z: cases.vector_field(z, A), x), atol=1e-8)
    np.testing.assert_allclose(JA, fd_jacobian(lambda a: cases.vector_field(x, a), A), atol=1e-8)


def test_block_forward_mode_compiled_matches_plain():
    # blocks of matrices (3-d transposes and reshapes), a bias's sum_to, in Numba
    plain = hessian(cases.mlp_loss, argnums=(0, 1), jit=False)(W3, B3, X3, Y3)
    compiled = hessian(cases.mlp_loss, argnums=(0, 1))(W3, B3, X3, Y3)
    for want, got in zip(_leaves(plain), _leaves(compiled), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_block_forward_mode_source():
    # one sweep per chunk of directions; the tangent dx holds a chunk of them
    source = jacfwd(cases.array_out, jit=False).source(np.ones(3))
    body = source[source.index("    t0 = x.size") :]
    assert body == (
        "    t0 = x.size\n"
        "    chunk = max(1, 32768 // max(1, t0))\n"
        "    darray_out_dx = np.zeros((t0, t0))\n"
        "    for col in range(0, t0, chunk):\n"
        "        dx = np.eye(min(chunk, t0 - col), t0, col)\n"
        "        # line 81\n"
        "        t1 = x * dx\n"
        "        darray_out = t1 + t1\n"
        "        darray_out_dx[:, col:col + chunk] = darray_out.T\n"
        "    return darray_out_dx\n"
    )


def test_block_forward_mode_of_an_empty_parameter():
    # the chunk's width divided by the parameter's size: by zero for an empty one
    assert hessian(cases.two_outputs_sum, jit=False)(np.zeros(0)).shape == (0, 0)
    assert jacfwd(cases.vector_field, jit=False)(np.zeros(0), np.zeros((2, 0))).shape == (2, 0)
