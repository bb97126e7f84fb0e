"""Products (``symdiff.primitives.products``, ``symdiff.library.products``):
``np.einsum``, ``np.tensordot``, ``np.inner``, ``np.kron``, ``np.vdot``,
``np.cross``, ``@``/``np.matmul`` on stacks and ``np.dot`` of rank > 2, as
users call them, both modes, plain and compiled, against NumPy and finite
differences (``numpy_table``); the generated code; the errors."""

import numpy as np
import pytest

import symdiff
from symdiff.primitives.products import explicit_subscripts, product_subscripts

from .numpy_table import Row, check, params


def _einsum_of_a_local_string(a, b):
    subscripts = "ij,jk->ik"
    return np.einsum(subscripts, a, b)


# Numba compiles one shape set of the rows that reach a spelling of their own
# (a matrix product, a broadcast product, blocks with and without a batch,
# loops, squeezed batch axes, 1-d stacks, np.dot, tensordot, kron, cross).
TABLE = [
    # np.einsum: explicit and implicit outputs
    Row("einsum-matmul", lambda a, b: np.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))], jit=False),
    Row("einsum-mlp", lambda x, w: np.einsum("bi,ij->bj", x, w), [((5, 3), (3, 2))]),
    Row("einsum-implicit", lambda a, b: np.einsum("ij,jk", a, b), [((3, 4), (4, 2))], jit=False),
    Row("einsum-implicit-transpose", lambda a: np.einsum("ba", a), [((3, 4),)], jit=False),
    Row("einsum-transposed-operands", lambda a, b: np.einsum("ji,kj->ik", a, b), [((4, 3), (2, 4))], jit=False),
    Row("einsum-output-transposed", lambda a, b: np.einsum("ij,jk->ki", a, b), [((3, 4), (4, 2))], jit=False),
    Row("einsum-dot", lambda a, b: np.einsum("i,i->", a, b), [((4,), (4,))], jit=False),
    Row("einsum-dot-implicit", lambda a, b: np.einsum("i,i", a, b), [((4,), (4,))], jit=False),
    Row("einsum-matvec", lambda a, b: np.einsum("ij,j->i", a, b), [((3, 4), (4,))], jit=False),
    Row("einsum-vecmat", lambda a, b: np.einsum("j,jk->k", a, b), [((4,), (4, 2))], jit=False),
    Row("einsum-outer", lambda a, b: np.einsum("i,j->ij", a, b), [((3,), (4,))], jit=False),
    Row("einsum-outer-implicit", lambda a, b: np.einsum("j,i", a, b), [((3,), (4,))], jit=False),
    Row("einsum-scale", lambda s, b: np.einsum(",ij->ij", s, b), [((), (2, 3))], jit=False),
    Row("einsum-hadamard", lambda a, b: np.einsum("ij,ij->ij", a, b), [((3, 4), (3, 4))]),
    Row("einsum-frobenius", lambda a, b: np.einsum("ij,ij", a, b), [((3, 4), (3, 4))], jit=False),
    Row("einsum-sum", lambda a: np.einsum("ij->", a), [((3, 4),)], jit=False),
    Row("einsum-sum-axis", lambda a: np.einsum("ijk->ik", a), [((2, 3, 4),)]),
    Row("einsum-permute", lambda a: np.einsum("ijk->kij", a), [((2, 3, 4),)]),
    Row("einsum-copy", lambda a: np.einsum("ij->ij", a), [((2, 3),)], jit=False),
    Row("einsum-optimize", lambda a, b: np.einsum("ij,jk->ik", a, b, optimize=True), [((3, 4), (4, 2))], jit=False),
    Row("einsum-subscripts-named", _einsum_of_a_local_string, [((3, 4), (4, 2))], jit=False),
    # repeated indices: traces and diagonals
    Row("einsum-trace", lambda a: np.einsum("ii", a), [((3, 3),)]),
    Row("einsum-diagonal", lambda a: np.einsum("ii->i", a), [((3, 3),)], jit=False),
    Row("einsum-trace-product", lambda a, b: np.einsum("ij,ji->", a, b), [((3, 4), (4, 3))], jit=False),
    Row("einsum-diag-times", lambda a, b: np.einsum("ii,i->i", a, b), [((3, 3), (3,))]),
    Row("einsum-batch-trace", lambda a: np.einsum("bii->b", a), [((2, 3, 3),)], jit=False),
    # sums over a letter only one operand has, batches, several operands
    Row("einsum-sum-alone", lambda a, b: np.einsum("ij,jk->i", a, b), [((3, 4), (4, 2))], jit=False),
    Row("einsum-batched", lambda a, b: np.einsum("bij,bjk->bik", a, b), [((2, 3, 4), (2, 4, 5))]),
    Row("einsum-attention", lambda q, k: np.einsum("bhqd,bhkd->bhqk", q, k), [((2, 2, 3, 4), (2, 2, 5, 4))], jit=False),
    Row("einsum-three", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 4), (4, 2))]),
    Row("einsum-bilinear", lambda x, a, y: np.einsum("i,ij,j", x, a, y), [((3,), (3, 4), (4,))], jit=False),
    Row("einsum-3d-contract", lambda a, b: np.einsum("ijk,jkl->il", a, b), [((2, 3, 4), (3, 4, 5))]),
    # broadcasting with ...
    Row("einsum-ellipsis-matmul", lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [((2, 3, 4), (2, 4, 5)), ((3, 4), (4, 5))], jit=False),
    Row("einsum-ellipsis-broadcast", lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [((2, 1, 3, 4), (5, 4, 2))], jit=False),
    Row("einsum-ellipsis-shared-weights", lambda a, b: np.einsum("...ij,jk->...ik", a, b), [((2, 3, 4), (4, 5))], jit=False),
    Row("einsum-ellipsis-implicit", lambda a, b: np.einsum("...i,...i", a, b), [((2, 3), (2, 3)), ((2, 3), (3,))], jit=False),
    Row("einsum-ellipsis-sum", lambda a: np.einsum("i...->...", a), [((3, 2, 4),)], jit=False),
    Row("einsum-size1-broadcast", lambda a, b: np.einsum("ij,ij->i", a, b), [((3, 1), (3, 4))]),
    # @ and np.matmul on stacks, np.dot of rank > 2
    Row("matmul-stack", lambda a, b: a @ b, [((2, 3, 4), (2, 4, 5)), ((2, 2, 3, 4), (2, 2, 4, 3))], jit=False),
    Row("matmul-stack-matrix", lambda a, b: np.matmul(a, b), [((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5))], jit=False),
    Row("matmul-broadcast-batch", lambda a, b: a @ b, [((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 2))]),
    Row("matmul-stack-vector", lambda a, b: a @ b, [((2, 3, 4), (4,)), ((4,), (2, 4, 5))]),
    Row("dot-rank3", lambda a, b: np.dot(a, b), [((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5)), ((2, 3), (2, 3, 2))]),
    # np.tensordot, np.inner, np.vdot, np.kron, np.cross
    Row("tensordot-2", lambda a, b: np.tensordot(a, b), [((2, 3, 4), (3, 4, 5))], jit=False),
    Row("tensordot-1", lambda a, b: np.tensordot(a, b, 1), [((2, 3), (3, 4)), ((3,), (3,))], jit=False),
    Row("tensordot-0", lambda a, b: np.tensordot(a, b, axes=0), [((2,), (3,))], jit=False),
    Row("tensordot-pairs", lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 1])), [((3, 4, 2), (4, 3, 5))]),
    Row("tensordot-keyword-lists", lambda a, b: np.tensordot(a=a, b=b, axes=[[0], [1]]), [((3, 4), (2, 3))], jit=False),
    Row("tensordot-ints", lambda a, b: np.tensordot(a, b, axes=(0, 1)), [((3, 4), (2, 3))], jit=False),
    Row("inner", lambda a, b: np.inner(a, b), [((4,), (4,)), ((2, 4), (3, 4)), ((2, 3, 4), (4,)), ((), (3,))], jit=False),
    Row("vdot", lambda a, b: np.vdot(a, b), [((2, 3), (2, 3)), ((6,), (2, 3))], jit=False),
    Row("kron", lambda a, b: np.kron(a, b), [((2, 3), (3, 2)), ((3,), (2,)), ((2, 1, 2), (1, 2, 3)), ((), (2, 2))]),
    Row("cross", lambda a, b: np.cross(a, b), [((3,), (3,)), ((4, 3), (4, 3)), ((4, 3), (3,)), ((2, 1, 3), (4, 3))]),
    Row("cross-axis", lambda a, b: np.cross(a, b, axis=-1), [((4, 3), (4, 3))], jit=False),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_product(row, shapes, jit):
    check(row, shapes, jit)


def _error(f, *args):
    """The SymDiffError of differentiating ``f`` at ``args``: it must name
    the user's line (the line of ``f``'s return), never symdiff's own files."""
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f, jit=False)(*args)
    error = info.value
    assert error.loc is not None and error.loc.filename == __file__, str(error)
    assert "symdiff/" not in str(error.loc.filename)
    return error


A, B, V = np.ones((2, 3)), np.ones((3, 4)), np.ones(3)


@pytest.mark.parametrize(
    "f, args, message",
    [
        (lambda a, b: np.sum(np.einsum("ij,jk,kl->il", a, b)), (A, B), "3 term(s) for 2 operand(s)"),
        (lambda a, b: np.sum(np.einsum("ijk,jk->i", a, b)), (A, B), "operand 0 has rank 2"),
        (lambda a, b: np.sum(np.einsum("ij,jk->iz", a, b)), (A, B), "each output letter"),
        (lambda a, b: np.sum(np.einsum("ij,jk->ii", a, b)), (A, B), "each output letter"),
        (lambda a: np.sum(np.einsum("...j->j", a)), (A,), "the output has no '...'"),
        (lambda a: np.sum(np.einsum("i-j", a)), (A,), "is not letters"),
        (lambda a, b: np.sum(np.einsum(a, [0, 60], b, [60, 2])), (A, B), "not a list of axis numbers"),
        (lambda a, b: np.sum(np.einsum("ij,jk", a, b, out=a)), (A, B), "out="),
        (lambda a, b: np.sum(np.tensordot(a, b, 3)), (A, B), "tensordot axes=3 does not fit"),
        (lambda a, b: np.sum(np.tensordot(a, b, ([0, 1], [0]))), (A, B), "unequal numbers"),
        (lambda a, b: np.sum(np.tensordot(a, b, ([5], [0]))), (A, B), "out of range"),
        (lambda a, b: np.sum(np.kron(a, b)), (A, V), "different ranks"),
        (lambda a, b: np.sum(np.cross(a, b, axisa=2)), (A, A), "out of range"),
        (lambda a, b: np.sum(np.cross(a, b)), (1.0, V), "not numbers"),
        (lambda a, b: np.sum(np.cross(a, b)), (np.ones((2, 1)), np.ones((2, 1))), "3-vectors"),
        (lambda a, b: np.sum(a @ b), (A, 2.0), "not scalars"),
    ],
    ids=[
        "terms", "rank", "unknown-letter", "repeated-output", "ellipsis-output", "characters",
        "sublists", "out", "tensordot-int", "tensordot-pairs", "tensordot-range", "kron-ranks",
        "cross-axis", "cross-scalar", "cross-size1", "matmul-scalar",
    ],
)  # fmt: skip
def test_bad_input_is_a_user_error(f, args, message):
    assert message in str(_error(f, *args))


def test_einsum_mlp_code_is_the_matmul_code():
    """An MLP with np.einsum prints as with @: a matrix product and its adjoints."""

    def with_einsum(x, w):
        return np.sum(np.tanh(np.einsum("bi,ij->bj", x, w)))

    def with_matmul(x, w):
        return np.sum(np.tanh(x @ w))

    def body(f):
        x, w = np.ones((4, 3)), np.ones((3, 2))
        code = symdiff.derivative_source(f, x, w, argnums=(0, 1)).split('"""')[2]
        return [line for line in code.splitlines() if "# line" not in line]

    assert body(with_einsum) == body(with_matmul)
    body = "\n".join(body(with_einsum))
    assert "x_bar = t0 @ w.T" in body and "w_bar = x.T @ t0" in body


@pytest.mark.parametrize(
    "subscripts, shapes, spelled",
    [
        ("ij,jk->ik", [(3, 4), (4, 2)], "a @ b"),
        ("ji,jk->ik", [(4, 3), (4, 2)], "a.T @ b"),
        ("ij,kj->ik", [(3, 4), (2, 4)], "a @ b.T"),
        ("ij,jk->ki", [(3, 4), (4, 2)], "b.T @ a.T"),
        ("i,i->", [(4,), (4,)], "np.dot(a, b)"),
        ("ij,j->i", [(3, 4), (4,)], "a @ b"),
        ("i,j->ij", [(3,), (4,)], "np.outer(a, b)"),
        ("ij,ij->i", [(3, 4), (3, 4)], "np.sum(a * b, axis=1)"),
        ("ij,ij", [(3, 4), (3, 4)], "np.sum(a * b)"),
        ("i,ij->ij", [(3,), (3, 4)], "np.expand_dims(a, 1) * b"),
        ("ijk->ik", [(2, 3, 4)], "np.sum(a, axis=1)"),
    ],
)
def test_einsum_prints_as_numpy(subscripts, shapes, spelled):
    def f(a, *rest):
        return np.sum(np.sin(np.einsum(subscripts, a, *rest)))

    args = [np.ones(s) for s in shapes]

    def g(a, b=None):
        return f(a) if b is None else f(a, b)

    source = symdiff.derivative_source(g, *args)
    assert f"sin({spelled})" in source or f"cos({spelled})" in source, source


def test_stacked_matmul_is_blocks_of_np_dot():
    """A batch of matrix products: a helper looping np.dot over the batch, compiled by Numba."""

    def f(a, b):
        return np.sum(np.sin(a @ b))

    a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    source = symdiff.derivative_source(f, a, b, argnums=(0, 1))
    assert "def _einsum_Aij_Ajk_to_Aik(a, b):" in source
    assert "out[t] = np.dot(a_blocks[t], b_blocks[t])" in source


def test_subscripts_are_made_explicit():
    assert explicit_subscripts("ij,jk", (2, 2)) == "ij,jk->ik"
    assert explicit_subscripts("...ij,...jk->...ik", (4, 2)) == "ABij,jk->ABik"
    assert explicit_subscripts("i...,i...", (3, 1)) == "iAB,i->AB"
    assert explicit_subscripts("bA", (2,)) == "bA->Ab"  # NumPy sorts as ASCII does
    assert product_subscripts("matmul", 1, 3) == "j,Ajk->Ak"
    assert product_subscripts("dot", 2, 3) == "az,bzc->abc"


@pytest.mark.parametrize("jit", [False, True])
def test_einsum_of_an_int_array(jit):
    """An int operand (a one-hot matrix) meets a float one: the loops helper."""

    def f(w, onehot):
        return np.sum(np.einsum("ij,ij->i", w, onehot) ** 2)

    w = np.arange(6.0).reshape(2, 3)
    onehot = np.array([[0, 1, 0], [1, 0, 0]])
    grad = symdiff.grad(f, jit=jit)(w, onehot)
    assert np.allclose(grad, 2 * np.sum(w * onehot, axis=1, keepdims=True) * onehot)


def test_check_grad_of_einsum_agrees_with_sympy():
    def f(a, b):
        return np.sum(np.einsum("ij,jk->ik", a, b) ** 2) + np.einsum("ii", a @ b @ b.T @ a.T)

    report = symdiff.check_grad(
        f, np.ones((2, 3)) * 0.5, np.arange(12.0).reshape(3, 4) / 10, jit=False
    )
    assert report.ok, report


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cross_of_2_vectors_is_refused_when_it_runs():
    """NumPy's cross of 2-vectors is a number per pair: not a 3-vector rule."""

    def f(a, b):
        return np.sum(np.cross(a, b))

    with pytest.raises(Exception, match="3-vectors"):
        symdiff.grad(f, jit=False)(np.ones(2), np.ones(2))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_int_matrix_times_a_float_one_compiles(mode, jit):
    """Regression: ``onehot @ W`` with an int ``onehot`` did not compile with
    Numba (its np.dot takes one float type): the int operand is cast."""

    def f(w, onehot):
        return np.sum((onehot @ w) ** 2) + np.sum(np.einsum("ij,jk->ik", onehot, w))

    w = np.arange(6.0).reshape(3, 2)
    onehot = np.array([[0, 1, 0], [1, 0, 0]])
    expected = 2 * onehot.T @ (onehot @ w) + onehot.sum(axis=0)[:, None]
    assert np.allclose(symdiff.grad(f, mode=mode, jit=jit)(w, onehot), expected)
