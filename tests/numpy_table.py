"""The table-driven check of NumPy and SciPy functions (``tests/test_numpy_*.py``).

A ``Row`` is one function as a user calls it (``lambda x: np.var(x, axis=0)``)
with the shapes it is checked at.  ``check`` turns the function's result into
a scalar with random weights (``np.sum(w * fn(*args))``, so every element of
an array result is checked), then compares, for both modes:

* symdiff's value with the function run by NumPy/SciPy itself;
* symdiff's gradient with central finite differences of the function run by
  NumPy/SciPy itself (not of symdiff's code: the reference is independent).

Every shape set runs as plain Python (``jit=False``); the first shape set of
a row also runs compiled with Numba (``jit=True``) unless ``jit=False`` or the
row is in ``COMPILED_ELSEWHERE`` (what its code spells, other rows compile),
so every spelling the rows generate is compiled once.

``params(table)`` makes the pytest parameters: ``id`` names the row and
the shape set (``var-axis0-(3, 4)``), ``jit`` is part of the id.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import symdiff


def normal(rng, shape):
    return rng.standard_normal(shape) if shape != () else float(rng.standard_normal())


def positive(rng, shape):
    """In (0.5, 2.5): logs, square roots, gamma functions."""
    value = rng.uniform(0.5, 2.5, shape)
    return value if shape != () else float(value)


def unit(rng, shape):
    """In (-0.9, 0.9): arcsin, arctanh, erfinv, logit-of-(x+1)/2."""
    value = rng.uniform(-0.9, 0.9, shape)
    return value if shape != () else float(value)


def probability(rng, shape):
    """In (0.05, 0.95): logit, xlogy's second operand and the like."""
    value = rng.uniform(0.05, 0.95, shape)
    return value if shape != () else float(value)


def spd(rng, shape):
    """A symmetric positive definite matrix (or stack of them), well conditioned."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)


def distinct(rng, shape):
    """Values at least 0.1 apart (no ties: sort, max, eigenvalues...)."""
    size = int(np.prod(shape)) if shape else 1
    values = rng.permutation(size) * 0.37 + rng.uniform(0, 0.1, size) - size * 0.18
    return values.reshape(shape) if shape != () else float(values[0])


@dataclass(frozen=True)
class Row:
    """One function checked at several shape sets.

    ``shapes``: a list of shape sets, one shape per argument (``[((3,),),
    ((2, 3),)]``); ``domain``: a sampler per argument (or one for all),
    ``(rng, shape) -> value``; ``argnums``: the arguments differentiated
    (default: every argument whose sample is a float); ``jit``: compile the
    first shape set with Numba too; ``rtol``: against finite differences.
    """

    id: str
    fn: Callable  # a Python function (a lambda): tests/test_primitives.py parses it
    shapes: list
    domain: Callable | tuple = normal
    argnums: tuple | None = None
    jit: bool = True
    rtol: float = 1e-6
    modes: tuple = ("reverse", "forward")

    def sample(self, shapes, seed):
        rng = np.random.default_rng(seed)
        domains = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(shapes)
        return tuple(domain(rng, shape) for domain, shape in zip(domains, shapes))


# Rows compiled only through other rows.  Every Numba compile costs 1-2 s, and
# most of the suite's time was these tables' ``jit=True`` rows; a row listed
# here runs as plain Python only, because what its compiled code would spell
# is spelled by rows that are compiled: every helper the printer emits (a
# top-level ``def _...``), every ``np.``/``math.`` call (with its number of
# positional arguments and its keywords) and every method, of both modes at
# the first shape set.  The rows kept compiled are a greedy cover of those
# spellings, plus one row per kind of user rule (custom_vjp, its ``@njit``
# kernel, custom_jvp, elementwise, nondiff), whose users' functions Numba
# compiles too.  ``tests/test_numpy_table.py`` checks the cover: a row whose
# code comes to spell something new fails there until it is compiled again
# (taken out of this set).  A new row is compiled unless it is named here.
COMPILED_ELSEWHERE = frozenset({
    # custom_rules
    "custom_jvp-numbers", "custom_vjp-broadcast", "custom_vjp-default", "custom_vjp-numbers",
    "custom_vjp-rank0", "elementwise-none-partial", "elementwise-radius", "nondiff-jvp",
    "nondiff-jvp-number", "nondiff-vjp", "nondiff-vjp-number",
    # library
    "logaddexp", "logsumexp", "logsumexp-axis1", "logsumexp-b", "logsumexp-rank3-keepdims",
    "softmax", "softmax-all", "std", "var", "var-axis-1-keepdims", "var-axis0-ddof1",
    # numpy_elementwise
    "clip-keywords", "exp2", "full_like", "linspace", "meshgrid", "mod", "nan_to_num",
    # numpy_indexing
    "array-apart-from-int", "array-then-int", "by-argsort", "columns", "int-then-array", "mask",
    "pairs", "rows", "slice-then-array", "sort-None", "take", "take-axis0-positional",
    "take-axis1", "take-method", "take_along-axis0", "take_along-broadcast",
    "take_along-permutation",
    # numpy_joining
    "concatenate-int-operand",
    # numpy_products
    "einsum-hadamard", "einsum-mlp", "einsum-permute", "einsum-size1-broadcast", "einsum-sum-axis",
    # numpy_reductions
    "average-weights-axis", "cumprod", "max-axes-keepdims", "mean-axes", "norm", "norm-axis1",
    "norm-matrix-ord1", "norm-ord3", "size-axis", "sum-axes-negative-keepdims", "sum-axes02",
    "var-axes",
    # numpy_shapes
    "broadcast_to", "diag-vector-k", "expand_dims", "flip-tuple", "index-ellipsis", "index-none",
    "roll-tuple", "squeeze-axis", "swapaxes", "tile", "transpose-axes",
    # numpy_special
    "betaln", "gamma", "gammaln", "lgamma", "log_ndtr", "logit", "ndtr", "norm.cdf", "norm.logcdf",
    "norm.logpdf", "norm.pdf", "polygamma1", "xlog1py",
})  # fmt: skip


def params(table: list[Row]) -> list:
    """pytest parameters: every row at every shape set, plain; the first
    compiled too, unless the row is compiled elsewhere (``COMPILED_ELSEWHERE``)."""
    out = []
    for row in table:
        for k, shapes in enumerate(row.shapes):
            label = ",".join(str(s) for s in shapes).replace(" ", "")
            out.append(pytest.param(row, shapes, False, id=f"{row.id}-{label}"))
            if k == 0 and row.jit and row.id not in COMPILED_ELSEWHERE:
                out.append(pytest.param(row, shapes, True, id=f"{row.id}-{label}-jit"))
    return out


def _weighted(fn, weights):
    def loss(*args):
        return np.sum(fn(*args) * weights)

    return loss


def _float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def finite_differences(f, args, index):
    """d f / d args[index], element by element, by a fourth-order central difference."""
    base = args[index]
    flat = np.array(base, dtype=float).reshape(-1)
    out = np.empty_like(flat)
    for k in range(flat.size):
        h = 1e-3 * max(1.0, abs(flat[k]))

        def at(step, k=k):
            moved = flat.copy()
            moved[k] += step
            shifted = list(args)
            shifted[index] = moved.reshape(np.shape(base)) if np.ndim(base) else float(moved[0])
            return float(f(*shifted))

        out[k] = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
    return out.reshape(np.shape(base)) if np.ndim(base) else float(out[0])


def check(row: Row, shapes, jit: bool) -> None:
    """Both modes of ``row.fn`` at ``shapes`` against NumPy and finite differences."""
    seed = zlib.crc32(f"{row.id}{shapes}".encode())
    args = row.sample(shapes, seed)
    result = row.fn(*args)
    weights = np.random.default_rng(seed + 1).standard_normal(np.shape(result))
    loss = _weighted(row.fn, weights if np.ndim(result) else float(weights))
    argnums = row.argnums
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(args) if _float(a))
    expected_value = loss(*args)
    references = [finite_differences(loss, args, i) for i in argnums]
    for mode in row.modes:
        wrt = argnums if len(argnums) > 1 else argnums[0]
        value, grads = symdiff.value_and_grad(loss, wrt, mode=mode, jit=jit)(*args)
        grads = grads if len(argnums) > 1 else (grads,)
        np.testing.assert_allclose(value, expected_value, rtol=1e-9, atol=1e-12)
        for i, grad, reference in zip(argnums, grads, references):
            assert np.shape(grad) == np.shape(args[i]), (mode, i)
            scale = max(1.0, float(np.max(np.abs(reference))))
            np.testing.assert_allclose(
                grad, reference, rtol=row.rtol, atol=row.rtol * scale, err_msg=f"{mode} d/d{i}"
            )
