"""Random draws inside the objective: never differentiated, and one gradient
call consumes the generator exactly as one call of the function does (the
same draws, in the same order), with Numba too.  The draws run first, in a
plain-Python prologue that ``.source()`` shows."""

import numpy as np
import pytest

from symdiff import grad, value_and_grad, vjp
from symdiff.errors import SymDiffError

from . import random_cases as cases

MODES = ("reverse", "forward")
W = np.array([0.3, -0.7, 1.1])


def reseed_globals(seed):
    cases.RS.seed(seed)
    cases.RNG = np.random.default_rng(seed)
    np.random.seed(seed)


def next_draws(args):
    """What each generator involved draws next: equal when two generators
    were consumed alike."""
    generators = [a for a in args if isinstance(a, (np.random.RandomState, np.random.Generator))]
    generators += [cases.RS, cases.RNG]
    out = [
        g.random_sample() if isinstance(g, np.random.RandomState) else g.random()
        for g in generators
    ]
    return out + [np.random.random_sample()]


# (function, arguments but the generator, generator type or None (globals), argnums)
ROWS = [
    (cases.noisy, (W,), np.random.RandomState, 0),
    (cases.dropout, (W,), np.random.RandomState, 0),
    (cases.vae, (W, np.array([0.1, -0.2, 0.3])), np.random.default_rng, (0, 1)),
    (cases.uniform, (W,), np.random.default_rng, 0),
    (cases.global_generator, (W,), None, 0),
    (cases.global_new_generator, (W,), None, 0),
    (cases.numpy_module, (W,), None, 0),
]


def arguments(args, make, seed):
    reseed_globals(seed)
    return (*args, make(seed)) if make is not None else args


def fixed_draws_gradient(fn, args, make, seed, argnums, h=1e-6):
    """Central differences of ``fn`` with the draws of ``seed`` at each evaluation."""
    grads = []
    for i in (argnums,) if isinstance(argnums, int) else argnums:
        out = np.zeros_like(args[i])
        for index in np.ndindex(args[i].shape):
            values = []
            for step in (h, -h):
                moved = [a.copy() for a in args]
                moved[i][index] += step
                values.append(fn(*arguments(moved, make, seed)))
            out[index] = (values[0] - values[1]) / (2 * h)
        grads.append(out)
    return grads[0] if isinstance(argnums, int) else tuple(grads)


def check_row(fn, args, make, argnums, mode, jit):
    df = value_and_grad(fn, argnums=argnums, mode=mode, jit=jit)
    df(*arguments(args, make, 3))  # compiles (and draws: other seeds, other draws)
    full = arguments(args, make, 7)
    value, gradient = df(*full)
    after_grad = next_draws(full[len(args) :])
    full = arguments(args, make, 7)
    expected = fn(*full)
    after_call = next_draws(full[len(args) :])
    assert value == pytest.approx(expected, rel=1e-13)
    assert after_grad == after_call  # the generators were consumed as by one call of fn
    reference = fixed_draws_gradient(fn, args, make, 7, argnums)
    for got, want in zip(
        (gradient,) if isinstance(argnums, int) else gradient,
        (reference,) if isinstance(argnums, int) else reference,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, args, make, argnums", ROWS, ids=lambda v: getattr(v, "__name__", ""))
def test_draws_are_those_of_one_call(fn, args, make, argnums, mode):
    check_row(fn, args, make, argnums, mode, jit=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", [ROWS[1], ROWS[2], ROWS[6]], ids=lambda r: r[0].__name__)
def test_draws_with_numba(row, mode):
    check_row(*row, mode, jit=True)


@pytest.mark.parametrize("mode", MODES)
def test_a_generator_in_a_closure(mode):
    fn = cases.closure(np.random.RandomState(3))
    df = grad(fn, mode=mode, jit=False)
    got = df(W)
    expected = 2 * W * np.random.RandomState(3).standard_normal((3,))
    np.testing.assert_allclose(got, expected)
    expected = 2 * W * np.random.RandomState(3).standard_normal((6,))[3:]  # the next draws
    np.testing.assert_allclose(df(W), expected)


def test_a_scalar_draw():
    df = grad(cases.scalar_draw, jit=False)
    noise = np.random.RandomState(1).normal()
    assert df(2.0, np.random.RandomState(1)) == pytest.approx(noise + 4.0, rel=1e-15)


def test_a_new_generator_each_call_needs_no_new_specialisation():
    df = grad(cases.noisy, jit=False)
    for seed in range(3):
        expected = 2 * (W + np.random.RandomState(seed).randn(3))
        np.testing.assert_allclose(df(W, np.random.RandomState(seed)), expected)
    assert len(df._impls) == 1
    with_generator = grad(cases.vae, jit=False)
    with_generator(W, W, np.random.default_rng(0))
    with_generator(W, W, np.random.default_rng(1))
    assert len(with_generator._impls) == 1


def test_the_source_shows_the_prologue_and_the_gradient():
    source = grad(cases.dropout, jit=False).source(W, np.random.RandomState(0))
    assert "def dropout_grad(w, mask, noise):" in source
    assert "def dropout_draws(w, rs):" in source
    assert "t0 = w.shape[0]" in source
    assert "mask = rs.binomial(1, 0.5, size=(t0,))" in source
    assert "noise = rs.normal(0.0, 0.1, size=(t0,))" in source
    assert "# random draws: dropout_draws (below) runs first" in source
    assert "0x" not in source  # no object ids: the same text for every generator


ERRORS = [
    (cases.active_parameters, "reparameterisation trick", "rs.normal(mu, 1.0, size=(2,))"),
    (cases.no_size_keyword, "keyword `dtype`", "float"),
]


@pytest.mark.parametrize("fn, message, where", ERRORS, ids=lambda v: getattr(v, "__name__", ""))
def test_draws_symdiff_cannot_make_are_clear_errors(fn, message, where):
    with pytest.raises(SymDiffError, match=message) as info:
        grad(fn, jit=False)(W.copy(), np.random.RandomState(0))
    text = str(info.value)
    assert "random_cases.py:" in text and where in text


def test_vjp_of_a_function_that_draws_is_refused():
    with pytest.raises(SymDiffError, match="its pullback would draw again"):
        vjp(cases.noisy, W, np.random.RandomState(0), argnums=0, jit=False)


@pytest.mark.parametrize("mode", MODES)
def test_a_generator_inside_a_container_argument(mode):
    df = grad(cases.in_a_dict, mode=mode, jit=False)
    got = df(W, {"rng": np.random.default_rng(2), "scale": 0.5})
    expected = 2 * W * np.random.default_rng(2).normal(0.0, 0.5, size=(3,))
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("mode", MODES)
def test_permutation_and_choice(mode):
    matrix = np.arange(12.0).reshape(4, 3) / 10
    got = grad(cases.batches, mode=mode, jit=False)(matrix, np.random.RandomState(4))
    rs = np.random.RandomState(4)
    order, picked = rs.permutation(4), rs.choice(4, size=(2,))
    expected = np.zeros_like(matrix)
    expected[order[0]] += 2 * matrix[order[0]]
    expected[picked[1]] += 3 * matrix[picked[1]] ** 2
    np.testing.assert_allclose(got, expected)


def test_a_generator_argument_is_parsed_once():
    from symdiff import pipeline

    df = grad(cases.noisy, jit=False)
    for seed in range(3):
        df.derivative(W, np.random.RandomState(seed))
    assert len(pipeline._variants(cases.noisy, df._spec.layout((W, cases.RS)).trees)) == 1


def test_a_draw_without_size_is_shaped_like_its_parameters():
    centres = np.array([1.0, 2.0, 3.0])
    got = grad(cases.shaped_by_parameters, jit=True)(W, centres, np.random.RandomState(5))
    np.testing.assert_allclose(got, np.random.RandomState(5).normal(centres, 0.5))


@pytest.mark.parametrize("mode", MODES)
def test_randint_and_random_sample(mode):
    got = grad(cases.legacy_names, mode=mode, jit=False)(W, np.random.RandomState(6))
    rs = np.random.RandomState(6)
    k, u = rs.randint(3, size=(3,)), rs.random_sample((3,))
    np.testing.assert_allclose(got, 2 * k * u * W)


def drawn_primitives() -> set:
    """The draw primitives the functions of this file make (for
    ``test_primitives.test_every_primitive_has_a_row``)."""
    from symdiff import ir, pipeline, pytree

    calls = [(fn, (*args, make(0)) if make else args) for fn, args, make, _ in ROWS]
    rs = np.random.RandomState(0)
    calls += [(cases.batches, (np.ones((4, 3)), rs)), (cases.legacy_names, (W, rs))]
    calls += [(cases.scalar_draw, (1.0, rs)), (cases.dropout, (W, rs))]
    found = set()
    for fn, args in calls:
        primal = pipeline.parsed(fn, tuple(pytree.describe(a) for a in args))
        ops = [
            s.value for s in ir.walk(primal.body) if isinstance(getattr(s, "value", None), ir.Op)
        ]
        found |= {op.prim for op in ops if op.prim.startswith("draw_")}
    return found


@pytest.mark.parametrize("mode", MODES)
def test_the_prologue_reads_shapes_from_the_arguments(mode):
    params = [(np.full((4, 5), 0.1), np.zeros(5)), (np.full((5, 2), -0.2), np.zeros(2))]
    X = np.arange(12.0).reshape(3, 4) / 10
    df = value_and_grad(cases.dropout_mlp, mode=mode, jit=False)
    source = df.source(params, X, np.random.RandomState(0))
    prologue = source.split("def dropout_mlp_draws")[1]
    assert "tanh" not in prologue and "@" not in prologue  # no forward pass to draw
    value, _ = df(params, X, np.random.RandomState(8))
    assert value == pytest.approx(cases.dropout_mlp(params, X, np.random.RandomState(8)))


@pytest.mark.parametrize("mode", MODES)
def test_sizes_given_as_whole_shapes(mode):
    X = np.arange(6.0).reshape(3, 2) / 4
    w = np.array([0.3, -0.2])
    got = grad(cases.whole_shapes, mode=mode, jit=False)(w, X, np.random.RandomState(9))
    rs = np.random.RandomState(9)
    mask, e = rs.binomial(1, 0.5, size=(3,)), rs.randn(3, 2)
    h = np.tanh(X @ w)
    expected = X.T @ ((1 - h**2) * mask) + np.sum(e * X)
    np.testing.assert_allclose(got, expected)
