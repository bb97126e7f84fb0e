"""Joining, splitting and convolution (``symdiff.primitives.joining``,
``symdiff.library.joining``): each function as users call it, both modes,
plain and compiled, against NumPy/SciPy and finite differences
(``numpy_table``); the generated code; the errors."""

import numpy as np
import pytest
import scipy.signal

import symdiff

from .numpy_table import Row, check, normal, params


def ints(rng, shape):
    """Small ints (data that is not differentiated)."""
    return rng.integers(-3, 4, shape) if shape != () else int(rng.integers(-3, 4))


def concatenate_list_variable(a, b):
    parts = [a, 2.0 * b, a]
    return np.concatenate(parts)


def concatenate_comprehension(a):
    return np.concatenate([a * i for i in range(1, 4)], axis=-1)


def split_unpacked(x):
    a, b, c = np.split(x, 3)
    return a * b + np.sin(c)


def array_split_uneven(x):
    a, b, c = np.array_split(x, 3, axis=-1)
    return np.sum(a) * b + np.sum(c * c)


def split_indices(x):
    parts = np.split(x, [1, 3], axis=1)
    return parts[0] * 2.0 + np.sum(parts[1]) - parts[2][:, :1]


def hsplit_vsplit(x):
    left, right = np.hsplit(x, 2)
    top, bottom = np.vsplit(x, [1])
    return np.sum(left * right) + np.sum(top) * bottom


CONCATENATE = [
    Row("concatenate", lambda a, b: np.concatenate([a, b]), [((3,), (4,)), ((1,), (2,)), ((2, 3), (1, 3))], jit=False),
    Row("concatenate-axis1", lambda a, b: np.concatenate((a, b), axis=1), [((3, 2), (3, 4)), ((2, 1, 3), (2, 2, 3)), ((1, 2), (1, 1))]),
    Row("concatenate-three-axis-1", lambda a, b, c: np.concatenate([a, b, c], -1), [((2, 3, 1), (2, 3, 2), (2, 3, 3))], jit=False),
    Row("concatenate-one", lambda a: np.concatenate([a]) * a, [((3,),)], jit=False),
    Row("concatenate-None", lambda a, b: np.concatenate([a, b], axis=None), [((2, 3), (4,)), ((2, 2, 2), ()), ((), ())]),
    Row("concatenate-list-variable", concatenate_list_variable, [((2,), (3,))], jit=False),
    Row("concatenate-comprehension", concatenate_comprehension, [((2, 2),)], jit=False),
    Row("concatenate-int-operand", lambda a, n: np.concatenate([a, n]) * 1.5, [((3,), (2,)), ((2, 2), (1, 2))], domain=(normal, ints)),
]  # fmt: skip

STACK = [
    Row("stack", lambda a, b: np.stack([a, b]), [((3,), (3,)), ((2, 3), (2, 3)), ((), ()), ((1, 3), (1, 3))], jit=False),
    Row("stack-axis1", lambda a, b: np.stack((a, b), axis=1), [((3,), (3,)), ((2, 3), (2, 3))]),
    Row("stack-axis-1", lambda a, b, c: np.stack([a, b, c], axis=-1), [((2, 3, 2), (2, 3, 2), (2, 3, 2))], jit=False),
    Row("stack-one", lambda a: np.stack([a], 0), [((3,),)], jit=False),
    Row("array-of-numbers", lambda x, y: np.array([x, y * x, 2.0]), [((), ())], jit=False),
    Row("array-nested-numbers", lambda x, y: np.array([[x, y], [x * y, 1.0]]), [((), ())]),
    Row("array-of-arrays", lambda a, b: np.array([a, b, a * b]), [((3,), (3,)), ((2, 2), (2, 2))], jit=False),
    Row("array-nested-arrays", lambda a, b: np.array([[a, b], [b, a]]), [((3,), (3,))], jit=False),
    Row("array-of-an-array", lambda a: np.array(a) * a, [((3,),), ((2, 3),)], jit=False),
    Row("asarray-tuple", lambda x, y: np.asarray((x, y)) * x, [((), ())], jit=False),
    Row("array-dtype-float", lambda x, n: np.array([x, n], dtype=float), [((), ())], domain=(normal, ints), jit=False),
    Row("hstack", lambda a, b: np.hstack([a, b]), [((3,), (2,)), ((2, 3), (2, 1)), ((), ())], jit=False),
    Row("vstack", lambda a, b: np.vstack((a, b)), [((3,), (3,)), ((2, 3), (1, 3)), ((), ())], jit=False),
    Row("dstack", lambda a, b: np.dstack((a, b)), [((3,), (3,)), ((2, 3), (2, 3))], jit=False),
    Row("column_stack", lambda a, b: np.column_stack((a, b)), [((3,), (3,)), ((3, 2), (3,))], jit=False),
    Row("append", lambda a, b: np.append(a, b), [((2, 3), (4,)), ((3,), ())], jit=False),
    Row("append-axis0", lambda a, b: np.append(a, b, axis=0), [((2, 3), (1, 3))], jit=False),
]  # fmt: skip

SPLIT = [
    Row("split-unpacked", split_unpacked, [((6,),), ((6, 2),)], jit=False),
    Row("array_split-uneven", array_split_uneven, [((2, 7),), ((3, 2, 8),)], jit=False),
    Row("split-indices-axis1", split_indices, [((2, 5),), ((3, 4, 2),)], jit=False),
    Row("hsplit-vsplit", hsplit_vsplit, [((3, 4),)], jit=False),
]  # fmt: skip

CONVOLUTION = [
    Row("np.convolve", lambda a, v: np.convolve(a, v), [((6,), (3,)), ((3,), (5,)), ((4,), (1,))], jit=False),
    Row("np.convolve-same", lambda a, v: np.convolve(a, v, "same"), [((7,), (4,)), ((3,), (6,)), ((5,), (3,))]),
    Row("np.convolve-valid", lambda a, v: np.convolve(a, v, mode="valid"), [((7,), (3,)), ((4,), (4,))], jit=False),
    Row("convolve", lambda a, v: scipy.signal.convolve(a, v), [((6,), (3,)), ((4, 5), (2, 3))], jit=False),
    Row("convolve-same", lambda a, v: scipy.signal.convolve(a, v, mode="same"), [((7,), (4,)), ((3,), (6,)), ((5, 6), (2, 4)), ((3, 4), (5, 6))], jit=False),
    Row("convolve-valid", lambda a, v: scipy.signal.convolve(a, v, "valid", "direct"), [((7,), (3,)), ((5, 6), (2, 3))], jit=False),
    Row("correlate", lambda a, v: scipy.signal.correlate(a, v), [((6,), (3,)), ((4, 5), (2, 3))], jit=False),
    Row("correlate-same", lambda a, v: scipy.signal.correlate(a, v, mode="same"), [((7,), (4,)), ((3,), (6,)), ((5, 6), (2, 4))], jit=False),
    Row("correlate-valid", lambda a, v: scipy.signal.correlate(a, v, "valid"), [((7,), (3,)), ((5, 6), (3, 3))], jit=False),
    Row("convolve2d", lambda a, v: scipy.signal.convolve2d(a, v), [((4, 5), (2, 3)), ((2, 2), (3, 3))], jit=False),
    Row("convolve2d-same", lambda a, v: scipy.signal.convolve2d(a, v, mode="same"), [((5, 6), (2, 4)), ((5, 5), (3, 3)), ((3, 4), (5, 6))]),
    Row("convolve2d-valid", lambda a, v: scipy.signal.convolve2d(a, v, "valid", boundary="fill", fillvalue=0), [((5, 6), (3, 3)), ((6, 4), (1, 2))], jit=False),
    Row("correlate2d", lambda a, v: scipy.signal.correlate2d(a, v), [((4, 5), (2, 3))], jit=False),
    Row("correlate2d-same", lambda a, v: scipy.signal.correlate2d(a, v, "same"), [((5, 6), (2, 4)), ((5, 5), (3, 3)), ((3, 4), (5, 6))], jit=False),
    Row("correlate2d-valid", lambda a, v: scipy.signal.correlate2d(a, v, mode="valid"), [((5, 6), (3, 3)), ((4, 4), (4, 4))], jit=False),
    Row("convolve-kernel-only", lambda v, a: scipy.signal.convolve2d(a, v, "valid"), [((2, 2), (4, 5))], argnums=(0,), jit=False),
]  # fmt: skip

TABLE = CONCATENATE + STACK + SPLIT + CONVOLUTION


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_joining_function(row, shapes, jit):
    check(row, shapes, jit)


def joined_network(x, k, b):
    """Most spellings of this module in one function, compiled once (the
    table compiles only a few rows: Numba compiles take seconds, and tens of
    seconds for 4-d broadcasting, so no row compiles a 4-d result)."""
    top, bottom = np.vsplit(x, [2])
    image = np.column_stack([np.vstack([top, bottom]), b])
    features = scipy.signal.correlate2d(image, k, mode="valid")
    pieces = np.split(np.concatenate([np.hstack([features[i], b[:1]]) for i in range(2)]), 2)
    return np.stack(pieces) * np.append(b, 1.0)[0] + np.convolve(b, pieces[0])[1]


def test_many_joins_compiled():
    row = Row("joined-network", joined_network, [((4, 3), (2, 2), (4,))], modes=("reverse",))
    check(row, row.shapes[0], True)


def _loss_of(fn):
    return lambda *args: np.sum(fn(*args))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_stack_of_numbers_with_a_constant_and_an_int(mode):
    """Operands that are not differentiated get zero tangents of their own
    shape (0.0 for a number): compiled too."""

    def f(x, n):
        return np.sum(np.array([[x, 1.0], [n, x * x]]) * np.array([1.0, 2.0]))

    assert symdiff.grad(f, mode=mode)(1.5, 3) == pytest.approx(1.0 + 2.0 * 2 * 1.5)


def test_the_concatenate_gradient_is_a_slice_per_operand():
    def f(a, b):
        return np.sum(np.concatenate([a, b], axis=1) ** 2)

    source = symdiff.derivative_source(f, np.ones((2, 3)), np.ones((2, 4)), argnums=(0, 1))
    body = source.split("# line")[1].splitlines()[1:]
    assert body == [
        "    t0 = 2 * np.concatenate((a, b), axis=1)",
        "    t1 = a.shape[1]",
        "    a_bar = t0[:, :t1]",
        "    b_bar = t0[:, t1:]",
        "    return (a_bar, b_bar)",
    ]


def test_the_convolution_gradient_is_a_correlation():
    """The adjoint of a full correlation with the flipped kernel (the
    convolution, before the centred slice of "same"): valid correlations,
    with the kernel for the image and with the image for the kernel."""

    def f(x, k):
        return np.sum(scipy.signal.convolve2d(x, k, mode="same") ** 2)

    source = symdiff.derivative_source(f, np.ones((5, 5)), np.ones((3, 3)), argnums=(0, 1))
    body = source.split("def f_grad")[1]
    assert "full = _correlate_full_2d(x, t0)" in body  # t0: the flipped kernel
    assert "full_bar[t1:t3, t2:t4] += 2 * full[t1:t3, t2:t4]" in body
    assert "x_bar = _correlate_valid_2d(full_bar, k)" in body
    assert "return (x_bar, _correlate_valid_2d(full_bar, x))" in body


@pytest.mark.parametrize("jit", [False, True])
def test_a_valid_correlation_with_a_larger_kernel_raises(jit):
    def f(a, v):
        return np.sum(np.convolve(a, v, mode="valid"))

    with pytest.raises(ValueError, match="no larger than its first"):
        symdiff.grad(f, jit=jit)(np.ones(3), np.ones(5))


def test_check_grad_agrees_with_sympy():
    def f(a, b, k):
        joined = np.concatenate([a, np.stack([b, b * a[0]])])
        return np.sum(scipy.signal.correlate(joined, k, mode="same") ** 2)

    report = symdiff.check_grad(f, np.array([0.3, -1.2]), 0.7, np.array([0.5, 2.0]), jit=False)
    assert report.ok, report


def _conv(x):
    return scipy.signal.convolve2d(x, np.ones((2, 2)), boundary="wrap")


ERRORS = [
    ("concatenate-numbers", lambda x: np.concatenate([x, x]), (1.5,), "joins arrays, not numbers"),
    ("concatenate-ranks", lambda x: np.concatenate([x, np.ones((2, 2))]), (np.ones(2),), "of ranks 1, 2"),
    ("concatenate-out", lambda x: np.concatenate([x, x], out=x), (np.ones(2),), "keyword `out`"),
    ("concatenate-empty", lambda x: np.concatenate([]) * x, (np.ones(2),), "empty list"),
    ("stack-ranks", lambda x: np.stack([x, 1.0]), (np.ones(2),), "of ranks 0, 1"),
    ("array-dtype", lambda x: np.array([x, x], dtype=int), (1.5,), "for float only"),
    ("convolve-2d", lambda x: np.convolve(x, x), (np.ones((2, 2)),), "two 1-d arrays"),
    ("convolve-mode", lambda x: np.convolve(x, x, mode="circular"), (np.ones(3),), "'full', 'valid' or 'same'"),
    ("convolve2d-boundary", _conv, (np.ones((3, 3)),), "boundary='fill'"),
    ("correlate2d-fillvalue", lambda x: scipy.signal.correlate2d(x, x, fillvalue=1.0), (np.ones((2, 2)),), "fillvalue=0"),
    ("correlate-ranks", lambda x: scipy.signal.correlate(x, np.ones((2, 2))), (np.ones(3),), "of one rank"),
    ("split-number", lambda x: np.split(x, 2), (1.5,), "needs an array"),
    ("split-axis", lambda x: np.split(x, 2, axis=1), (np.ones(4),), "out of range"),
    ("split-count-at-run-time", lambda x, n: np.split(x, n)[0], (np.ones(4), 2), "known only when the code runs"),
    ("split-no-sections", lambda x: np.split(x, 0)[0], (np.ones(4),), "at least one section"),
]  # fmt: skip


@pytest.mark.parametrize("fn, args, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_users_line(fn, args, message):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(_loss_of(fn), jit=False)(*args)
    text = str(info.value)
    assert message in text, text
    assert "test_numpy_joining.py" in text and "symdiff/library" not in text, text
