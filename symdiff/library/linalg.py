"""Linear algebra as users call it: ``np.linalg`` and ``scipy.linalg``
functions and ``scipy.stats.multivariate_normal``, over the primitives of
``symdiff.primitives.linalg`` (their rules and conventions are there).

Factorisations with several results are one primitive whose results are
read by index (``eigh``, ``qr``, ``slogdet``), so the factorisation is
computed once.  Conventions:

* ``inv``, ``solve``, ``det``, ``slogdet`` and ``cholesky`` also take stacks of
  matrices (``(..., n, n)``): a loop over the matrices (Numba has no batched
  linear algebra), each with the matrix rule; ``solve``'s ``b`` is then one
  vector for all, or a stack with the same batch axes (other broadcasts are
  refused).  The other functions take matrices only (rank 2).
* ``np.linalg.cholesky``, ``eigh`` and ``eigvalsh`` read only the lower triangle of
  their operand, as LAPACK does (``UPLO="L"``); ``scipy.linalg.cholesky``
  (``lower=False``, its default) and ``cho_factor`` the triangle they factor;
  their derivatives follow: zero on the triangle not read.
* ``solve_triangular`` and ``cho_solve`` read only the triangle they are told
  to, as SciPy does (``unit_diagonal=True`` is refused).
* ``cho_factor`` returns zeros in the triangle it does not use (SciPy leaves
  arbitrary values there; ``cho_solve`` never reads them).
* ``slogdet``'s sign has derivative 0; ``det`` and ``slogdet`` differentiate
  through the inverse (a singular matrix raises ``LinAlgError``).
* ``eigh``: distinct eigenvalues (equal ones give ``inf``/``nan``, as in JAX).
* ``qr``: reduced mode; a wide matrix (``m < n``) is ``Q [R1 | Q^T A2]``
  from the QR of its first ``m`` columns (as JAX), decided when the code runs.
* ``pinv``: matrices of full rank (where the rank changes ``pinv`` jumps).
* ``svd``: singular values (``compute_uv=False``), or ``U, s, Vt`` with
  ``full_matrices=False`` for distinct singular values; a wide matrix is the
  SVD of its transpose, transposed (decided when the code runs).
* ``multivariate_normal.logpdf``/``pdf`` (also of the frozen
  ``multivariate_normal(mean, cov)``, a named tuple of its parameters) take ``cov`` as a matrix (a scalar
  or vector ``cov`` is refused) and ``x`` with the components on its last axis
  (one point, or one per row; SciPy reads a 1-d ``x`` as points when ``d`` is
  1, symdiff as one point); the
  log determinant and the Mahalanobis distance come from a Cholesky factor.
"""

import math
from typing import NamedTuple

import numpy as np

from ..primitives.naming import OBJECT_PRIMITIVES
from .registry import define, refuse


def _primitive(name, compute):
    """A function standing for the primitive ``name`` in the definitions
    (``compute``: its value in plain Python)."""
    OBJECT_PRIMITIVES[id(compute)] = (compute, name)
    return compute


def _solve_lower_value(a, b):
    import scipy.linalg

    return scipy.linalg.solve_triangular(a, b, lower=True)


def _solve_upper_value(a, b):
    import scipy.linalg

    return scipy.linalg.solve_triangular(a, b, lower=False)


def _eigh_value(a):
    values, vectors = np.linalg.eigh(a)
    out = np.zeros((2, *vectors.shape))
    out[0], out[1, 0] = vectors, values
    return out


def _svd_value(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    out = np.zeros((3, *a.shape))
    out[0], out[1, : a.shape[1]], out[2, 0] = u, vt, s
    return out


def _qr_value(a):
    q, r = np.linalg.qr(a)
    out = np.zeros((2, *a.shape))
    out[0], out[1, : a.shape[1]] = q, r
    return out


_inv = _primitive("inv", lambda a: np.linalg.inv(a))
_solve = _primitive("solve", lambda a, b: np.linalg.solve(a, b))
_det = _primitive("det", lambda a: np.linalg.det(a))
_slogdet = _primitive("slogdet", lambda a: np.array(np.linalg.slogdet(a)))
_cholesky = _primitive("cholesky", lambda a: np.linalg.cholesky(a))
_solve_lower = _primitive("solve_lower", _solve_lower_value)
_solve_upper = _primitive("solve_upper", _solve_upper_value)
_eigh = _primitive("eigh", _eigh_value)
_eigvalsh = _primitive("eigvalsh", lambda a: np.linalg.eigvalsh(a))
_qr = _primitive("qr", _qr_value)
_pinv = _primitive("pinv", lambda a: np.linalg.pinv(a))
_svd = _primitive("svd", _svd_value)
_svdvals = _primitive("svdvals", lambda a: np.linalg.svd(a, compute_uv=False))


def _lower_uplo(UPLO):
    if UPLO != "L":
        refuse(
            'UPLO="U" is not supported',
            "leave UPLO out (the lower triangle is read), or pass a.T",
        )


# -- stacks of matrices (..., n, n): a loop over the matrices ---------------------
def _stack(a):
    """The matrices of ``a`` (rank 3 or more) as one stack of rank 3."""
    if np.ndim(a) == 3:
        return a
    return np.reshape(a, (-1, a.shape[-2], a.shape[-1]))


def _unstack(out, a):
    """``out``, computed on ``_stack(a)``, with ``a``'s batch axes again."""
    if np.ndim(a) == 3:
        return out
    return np.reshape(out, a.shape[:-2] + out.shape[1:])


def _each_matrix(function, a):
    """``function`` (matrix -> matrix of its shape) of every matrix of ``a``."""
    stack = _stack(a)
    out = np.zeros_like(stack)
    for k in range(stack.shape[0]):
        out[k] = function(stack[k])
    return _unstack(out, a)


def _each_number(function, a):
    """``function`` (matrix -> number) of every matrix of ``a``."""
    stack = _stack(a)
    out = np.zeros(stack.shape[0])
    for k in range(stack.shape[0]):
        out[k] = function(stack[k])
    return _unstack(out, a)


def _solve_each(a, b):
    """``np.linalg.solve`` of stacks: ``b`` one vector for every matrix, or a
    stack of right-hand sides with ``a``'s batch axes."""
    stack = _stack(a)
    if np.ndim(b) == 1:
        out = np.zeros(stack.shape[:2])
        for k in range(stack.shape[0]):
            out[k] = _solve(stack[k], b)
        return _unstack(out, a)
    if np.ndim(b) != np.ndim(a):
        refuse(
            "np.linalg.solve of a stack of matrices takes one vector b, or a stack of "
            "right-hand sides with the matrices' batch axes",
            "broadcast b to a.shape[:-1] + (k,) first (np.broadcast_to)",
        )
    rhs = _stack(b)
    out = np.zeros_like(rhs)
    for k in range(stack.shape[0]):
        out[k] = _solve(stack[k], rhs[k])
    return _unstack(out, b)


def _slogdet_each(a):
    stack = _stack(a)
    out = np.zeros((stack.shape[0], 2))
    for k in range(stack.shape[0]):
        out[k] = _slogdet(stack[k])
    return _unstack(out[:, 0], a), _unstack(out[:, 1], a)


@define("numpy.linalg.inv")
def inv(a):
    if np.ndim(a) > 2:
        return _each_matrix(_inv, a)
    return _inv(a)


@define("numpy.linalg.solve")
def solve(a, b):
    if np.ndim(a) > 2:
        return _solve_each(a, b)
    return _solve(a, b)


@define("numpy.linalg.det")
def det(a):
    if np.ndim(a) > 2:
        return _each_number(_det, a)
    return _det(a)


@define("numpy.linalg.slogdet")
def slogdet(a):
    if np.ndim(a) > 2:
        return _slogdet_each(a)
    packed = _slogdet(a)
    return packed[0], packed[1]


@define("numpy.linalg.cholesky")
def cholesky(a, upper=False):
    if np.ndim(a) > 2:
        if upper:
            return np.swapaxes(_each_matrix(_cholesky, np.swapaxes(a, -1, -2)), -1, -2)
        return _each_matrix(_cholesky, a)
    if upper:  # LAPACK reads the upper triangle
        return _cholesky(a.T).T
    return _cholesky(a)


@define("numpy.linalg.eigh")
def eigh(a, UPLO="L"):
    _lower_uplo(UPLO)
    packed = _eigh(a)
    return packed[1, 0], packed[0]


@define("numpy.linalg.eigvalsh")
def eigvalsh(a, UPLO="L"):
    _lower_uplo(UPLO)
    return _eigvalsh(a)


@define("numpy.linalg.qr")
def qr(a, mode="reduced"):
    if mode != "reduced":
        refuse('np.linalg.qr() supports only mode="reduced"', "leave mode out")
    rows = a.shape[0]
    if rows < a.shape[1]:  # wide: A = Q [R1 | Q^T A2] from the QR of its first columns
        packed = _qr(a[:, :rows])
        q = packed[0]
        return q, np.concatenate([packed[1], q.T @ a[:, rows:]], axis=1)
    packed = _qr(a)
    return packed[0], packed[1, : a.shape[1]]


@define("numpy.linalg.pinv")
def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    if rcond is not None or rtol is not None or hermitian:
        refuse(
            "np.linalg.pinv() with rcond=, rtol= or hermitian= is not supported",
            "leave them out (the derivative assumes a matrix of full rank)",
        )
    return _pinv(a)


@define("numpy.linalg.svd")
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        refuse("np.linalg.svd(..., hermitian=True) is not supported", "leave hermitian out")
    if not compute_uv:
        return _svdvals(a)
    if full_matrices:
        refuse(
            "np.linalg.svd() with full_matrices=True (the default) is not supported",
            "write np.linalg.svd(a, full_matrices=False) (the same for square matrices)",
        )
    rows = a.shape[0]
    if rows < a.shape[1]:  # wide: the SVD of A^T, transposed (A = V S U^T)
        packed = _svd(a.T)
        return packed[1, :rows].T, packed[2, 0], packed[0].T
    packed = _svd(a)
    return packed[0], packed[2, 0], packed[1, : a.shape[1]]


@define("scipy.linalg.cholesky")
def scipy_cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    if lower:
        return _cholesky(a)
    return _cholesky(a.T).T


@define("scipy.linalg.solve_triangular")
def solve_triangular(
    a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True
):
    if unit_diagonal:
        refuse("solve_triangular(..., unit_diagonal=True) is not supported", "leave it out")
    if trans in (0, "N"):
        return _solve_lower(a, b) if lower else _solve_upper(a, b)
    if trans in (1, 2, "T", "C"):
        return _solve_upper(a.T, b) if lower else _solve_lower(a.T, b)
    refuse("solve_triangular() supports trans=0, 1 or 2", "write trans=0 or trans=1")


@define("scipy.linalg.cho_factor")
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    return scipy_cholesky(a, lower=lower), lower


@define("scipy.linalg.cho_solve")
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = c_and_lower
    if lower:
        return _solve_upper(c.T, _solve_lower(c, b))
    return _solve_upper(c, _solve_lower(c.T, b))


def _log_density(x, mean, cov):
    """The log density of the normal distribution ``N(mean, cov)`` at the
    points ``x`` (components on the last axis: one point, or one per row).
    ``deviation.T`` has the components first either way, so one triangular
    solve gives every point's whitened deviation."""
    factor = _cholesky(cov)  # cov must be a matrix (the kind rule says so at the call)
    deviation = x if mean is None else x - mean
    d = cov.shape[0]
    log_det = 2.0 * np.sum(np.log(np.sum(factor * np.eye(d), axis=0)))
    z = _solve_lower(factor, deviation.T)
    return -0.5 * (d * math.log(2.0 * math.pi) + log_det + np.sum(z * z, axis=0))


@define("scipy.stats.multivariate_normal.logpdf")
def multivariate_normal_logpdf(x, mean=None, cov=1, allow_singular=False):
    if allow_singular:
        refuse("multivariate_normal(..., allow_singular=True) is not supported", "leave it out")
    return _log_density(x, mean, cov)


@define("scipy.stats.multivariate_normal.pdf")
def multivariate_normal_pdf(x, mean=None, cov=1, allow_singular=False):
    if allow_singular:
        refuse("multivariate_normal(..., allow_singular=True) is not supported", "leave it out")
    return np.exp(_log_density(x, mean, cov))


class FrozenMultivariateNormal(NamedTuple):
    """``scipy.stats.multivariate_normal(mean, cov)``: its methods are the
    functions' with these parameters."""

    mean: object
    cov: object

    def logpdf(self, x):
        return multivariate_normal_logpdf(x, self.mean, self.cov)

    def pdf(self, x):
        return multivariate_normal_pdf(x, self.mean, self.cov)


@define("scipy.stats.multivariate_normal")
def multivariate_normal(mean=None, cov=1, allow_singular=False, seed=None):
    if allow_singular:
        refuse("multivariate_normal(..., allow_singular=True) is not supported", "leave it out")
    return FrozenMultivariateNormal(mean, cov)
