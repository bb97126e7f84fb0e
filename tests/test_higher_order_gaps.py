"""Second derivatives that issue 13 left out: reverse over reverse of loops
whose reverse sweep reads a branch's values after the branch, and Hessians
through the helpers of NumPy functions' derivative code (np.prod's), each
by forward over reverse and reverse over reverse against finite differences
of the gradient."""

import numpy as np
import pytest

import symdiff
from symdiff import SymDiffError, grad, hessian, jacrev

from . import higher_order_gap_cases as cases

RNG = np.random.default_rng(1313)


def _difference_of_gradient(gradient, x, h=1e-5):
    """Central differences of ``gradient`` along each element of ``x``."""
    columns = []
    for element in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[element] = h
        columns.append((gradient(x + step) - gradient(x - step)) / (2 * h))
    return np.stack(columns, axis=-1).reshape(np.shape(gradient(x)) + x.shape)


def _both_hessians(fn, x, argnums=0, args=()):
    """Forward over reverse and reverse over reverse, with respect to ``x``."""
    full = (x, *args) if argnums == 0 else (*args, x)
    forward = hessian(fn, argnums, jit=False)(*full)
    inner = grad(fn, argnums, jit=False)
    backward = jacrev(inner, argnums, jit=False)(*full)
    return forward, backward


X = np.array([0.3, -0.2, 0.5, 0.7, 0.9, -0.4])


@pytest.mark.parametrize("fn", [cases.branch_value_read_later, cases.branch_tape_read_later])
@pytest.mark.parametrize("argnums", [0, 1])
def test_reverse_over_reverse_of_a_branch_value_read_after_the_branch(fn, argnums):
    # was an internal "adjoints of [...] left over" (then an UnboundLocalError
    # in the generated code, for the tape): the value now goes through a phi
    forward, backward = _both_hessians(
        fn, X if argnums == 0 else 0.4, argnums, (0.4,) if argnums == 0 else (X,)
    )
    np.testing.assert_allclose(backward, forward, rtol=1e-10, atol=1e-12)
    if argnums == 1:
        gradient = grad(fn, 1, jit=False)
        h = 1e-5
        want = (gradient(X, 0.4 + h) - gradient(X, 0.4 - h)) / (2 * h)
        np.testing.assert_allclose(forward, want, rtol=1e-6, atol=1e-8)


PRODUCTS = [
    (cases.prod_all, RNG.uniform(0.5, 1.5, 5)),
    (cases.prod_all, np.array([0.0, 2.0, 0.0, 3.0])),  # two zeros: exact, no division
    (cases.prod_rows_squared, RNG.uniform(0.5, 1.5, (3, 4))),
    (cases.prod_over_two_axes, RNG.uniform(0.5, 1.5, (2, 3, 2))),
    (cases.prod_columns_weighted, np.array([[0.0, 1.2, 0.7], [0.5, 0.0, 0.0], [1.5, 0.3, 0.0]])),
    (cases.cumprod_weighted, RNG.uniform(0.5, 1.5, 5)),
    (cases.cumprod_weighted, np.array([0.7, 0.0, 1.3, 0.0])),
    (cases.cumprod_along_rows, np.array([[0.0, 1.2, 0.7], [0.5, 0.0, 0.9]])),
    (cases.cumprod_flattened, RNG.uniform(0.5, 1.5, (2, 3))),
    (cases.singular_values_cubed, RNG.normal(size=(4, 3))),
    (cases.singular_values_weighted, RNG.normal(size=(3, 3))),
]


@pytest.mark.parametrize("fn, x", PRODUCTS, ids=lambda v: getattr(v, "__name__", ""))
def test_hessian_through_helpers_of_derivative_code(fn, x):
    # np.prod's prod_others, np.cumprod's cumprod_adjoint and the singular
    # values' svd_outer had no rules of their own: refused before
    forward, backward = _both_hessians(fn, x)
    want = _difference_of_gradient(grad(fn, jit=False), x)
    np.testing.assert_allclose(forward, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(backward, forward, rtol=1e-12, atol=1e-12)


def test_hessian_of_np_prod_at_zeros_is_exact():
    H = hessian(cases.prod_all, jit=False)(np.array([0.0, 2.0, 0.0, 3.0]))
    want = np.zeros((4, 4))
    want[0, 2] = want[2, 0] = 6.0  # d2/dx0 dx2 of x0 x1 x2 x3 = x1 x3
    np.testing.assert_array_equal(H, want)


def test_hessian_through_np_prod_compiled():
    x = RNG.uniform(0.5, 1.5, (3, 4))
    np.testing.assert_allclose(
        hessian(cases.prod_rows_squared)(x), hessian(cases.prod_rows_squared, jit=False)(x)
    )


def test_second_derivative_of_np_prod_of_a_number():
    second = grad(grad(cases.prod_of_powers, jit=False), jit=False)
    assert second(0.7) == pytest.approx(2.0 * 6 * 0.7)  # (2 a^3)'' = 12 a


def test_third_derivative_through_singular_values():
    # svd_outer's adjoint is svd_inner, which has rules too (through svd's)
    second = grad(grad(cases.singular_values_of_a_number, jit=False), jit=False)
    third = grad(second, jit=False)
    h = 1e-5
    assert third(0.8) == pytest.approx((second(0.8 + h) - second(0.8 - h)) / (2 * h), rel=1e-6)


def test_third_derivative_through_np_prod_is_refused_at_the_line():
    third = grad(grad(grad(cases.prod_of_powers, jit=False), jit=False), jit=False)
    with pytest.raises(SymDiffError, match="prod_others_tangent") as info:
        third(0.7)
    assert info.value.loc.lineno == cases.prod_of_powers.__code__.co_firstlineno + 1


def test_a_reversed_loops_recording_keeps_its_loop(monkeypatch):
    # recordings were keyed by id(loop) alone: a renamed inner loop freed after
    # its outer loop was reversed left its id to a later loop, which was then
    # replaced by the wrong recording (an internal KeyError in reverse over
    # reverse of nested loops, depending on memory reuse: on names' lengths)
    from symdiff.transform.reverse import ReverseState

    states = []
    record = ReverseState.record

    def recording(self, body):
        states.append(self)
        return record(self, body)

    monkeypatch.setattr(ReverseState, "record", recording)
    fn = cases.nested_loops_with_a_counter
    second = jacrev(grad(fn, jit=False), jit=False)(X, 0.4)
    assert any(state.recordings for state in states)
    for state in states:
        for key, (loop, _) in state.recordings.items():
            assert id(loop) == key
    np.testing.assert_allclose(second, hessian(fn, jit=False)(X, 0.4), rtol=1e-10, atol=1e-12)


# -- forward mode: broadcasts the extents show to change nothing -----------------


def test_forward_mode_drops_broadcasts_of_tangents_of_the_values_shape():
    # np.zeros_like(a) + np.diff(dx): axes that may be of size 1 (x[1:],
    # np.diff(x)) are equal by their extents, and dx is shaped like x
    source = symdiff.derivative_source(cases.differences_times_tail, X, kind="jvp")
    line = cases.differences_times_tail.__code__.co_firstlineno
    assert source[source.index("# line") :].split("\n") == [
        f"# line {line + 1}",
        "    a = np.diff(x)",
        "    da = np.diff(dx)",
        f"    # line {line + 2}",
        "    t0 = x[1:]",
        "    differences_times_tail = np.sum(a * t0)",
        "    ddifferences_times_tail = np.sum(t0 * da + a * dx[1:])",
        "    return (differences_times_tail, ddifferences_times_tail)",
        "",
    ]
    value, tangent = symdiff.jvp(cases.differences_times_tail, (X,), (X[::-1].copy(),), jit=False)
    h = 1e-6
    f = cases.differences_times_tail
    assert tangent == pytest.approx((f(X + h * X[::-1]) - f(X - h * X[::-1])) / (2 * h), rel=1e-6)


def test_a_slice_by_a_run_time_bound_has_the_extent_of_its_twin():
    # x[:n - 1] and dx[:n - 1]: one size, whatever n is; w[1:] may differ
    source = symdiff.derivative_source(cases.head_times_shifted, X, X, kind="jvp")
    assert "np.zeros_like(t1)" not in source and "dx[:t0]" in source
    assert "dy = np.zeros_like(y) + " in source  # y's length is x's or w's: unknown


# -- vmap: out_axes, empty batches, Hessians per example -------------------------

W = np.array([0.5, -0.3, 0.2])
XS = np.arange(12.0).reshape(4, 3) / 10
YS = np.linspace(0.0, 1.0, 4)


@pytest.mark.parametrize("out_axes", [(1, None), (-1, None), (0, 0), -1])
def test_vmap_out_axes(out_axes):
    mapped = symdiff.vmap(cases.scaled_and_total, in_axes=(None, 0), out_axes=out_axes, jit=False)
    scaled, total = mapped(W, XS)
    first, second = out_axes if isinstance(out_axes, tuple) else (out_axes, out_axes)
    np.testing.assert_array_equal(scaled, np.moveaxis(W * XS, 0, first))
    if second is None:
        assert total == pytest.approx(np.sum(W))
    else:
        np.testing.assert_allclose(total, np.full(4, np.sum(W)))


def test_vmap_out_axes_none_is_computed_once_before_the_loop():
    mapped = symdiff.vmap(cases.scaled_and_total, in_axes=(None, 0), out_axes=(1, None))
    source = mapped.source(W, XS)
    assert "    return (scaled_and_total_batch, np.sum(w))" in source
    assert "scaled_and_total_batch = np.zeros((w.shape[0], t0))" in source
    assert "scaled_and_total_batch[:, i] = w * x_2" in source
    scaled, total = mapped(W, XS)  # compiled
    np.testing.assert_allclose(scaled, (W * XS).T)


def test_vmap_refuses_out_axes_that_do_not_fit():
    with pytest.raises(symdiff.ArgumentError, match="depends on the mapped arguments") as info:
        symdiff.vmap(cases.scaled_and_total, in_axes=(None, 0), out_axes=None, jit=False)(W, XS)
    assert info.value.loc.lineno == cases.scaled_and_total.__code__.co_firstlineno + 1
    with pytest.raises(symdiff.ArgumentError, match="out of range"):
        symdiff.vmap(cases.scaled_and_total, in_axes=(None, 0), out_axes=(2, 0), jit=False)(W, XS)
    with pytest.raises(symdiff.ArgumentError, match="has 3 entries"):
        symdiff.vmap(cases.scaled_and_total, (None, 0), out_axes=(0, 0, 0), jit=False)(W, XS)
    with pytest.raises(symdiff.ArgumentError, match="not an int, None, or a tuple"):
        symdiff.vmap(cases.scaled_and_total, in_axes=(None, 0), out_axes={"a": 0})


def test_vmap_over_an_empty_batch():
    scaled, total = symdiff.vmap(cases.scaled_and_total, (None, 0), out_axes=(-1, None), jit=False)(
        W, XS[:0]
    )
    assert scaled.shape == (3, 0) and total == pytest.approx(np.sum(W))
    gradients = symdiff.vmap(grad(cases.example_loss), in_axes=(None, 0, 0), jit=False)
    assert gradients(W, XS[:0], YS[:0]).shape == (0, 3)


def test_vmap_over_an_empty_batch_that_needs_an_example_says_so():
    mapped = symdiff.vmap(cases.example_half, jit=False)
    assert mapped(XS).shape == (4, 1)
    with pytest.raises(symdiff.ArgumentError, match="empty batch"):
        mapped(XS[:0])


def test_vmap_of_a_hessian():
    per_example = symdiff.vmap(hessian(cases.example_loss), in_axes=(None, 0, 0), jit=False)
    H = per_example(W, XS, YS)
    assert H.shape == (4, 3, 3)
    for k in range(4):
        np.testing.assert_allclose(H[k], hessian(cases.example_loss, jit=False)(W, XS[k], YS[k]))


def test_third_derivatives_by_jacfwd_and_jacrev_of_a_hessian():
    x = np.array([0.3, -0.5, 0.8])
    third = symdiff.jacfwd(hessian(cases.cubic_terms, jit=False), jit=False)(x)
    backward = jacrev(hessian(cases.cubic_terms, jit=False), jit=False)(x)
    want = _difference_of_gradient(hessian(cases.cubic_terms, jit=False), x)
    np.testing.assert_allclose(third, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(backward, third, rtol=1e-12, atol=1e-12)
