"""Linear algebra: ``np.linalg`` factorisations and solves, with their
matrix-calculus rules.  Users reach them through the library's definitions
(``symdiff.library.linalg``: ``np.linalg.inv``, ``scipy.linalg.cho_solve``...),
which call private functions standing for the primitives
(``library.linalg._primitive``, registered in ``naming.OBJECT_PRIMITIVES``).

Every primitive takes matrices (rank 2; ``solve``'s right-hand side may be a
vector); stacks of matrices are refused (loop over them).  Rules, with ``A``
the operand, ``X`` the result and ``G`` its adjoint:

* ``inv``: ``dX = -X dA X``; ``A_bar = -X^T G X^T``.
* ``solve(A, B)``: ``dX = A^-1 (dB - dA X)``; ``B_bar = A^-T G``,
  ``A_bar = -B_bar X^T``.
* ``det``: ``d det = det * <A^-T, dA>``; ``A_bar = G det A^-T`` (the inverse:
  a singular ``A`` raises NumPy's ``LinAlgError`` in the derivative).
* ``slogdet``: one array ``[sign, log|det|]`` read by index; the sign has
  derivative 0, ``log|det|`` has ``A^-T``.
* ``cholesky`` (lower ``L``, ``A = L L^T``): with ``Phi(M)`` the lower triangle
  of ``M`` with its diagonal halved, ``dL = L Phi(L^-1 dA L^-T)``; ``A_bar =
  Phi(S + S^T)`` with ``S = L^-T Phi(L^T G) L^-1``.  LAPACK reads only the lower
  triangle of ``A``, so does the derivative: zero on the strict upper
  triangle, the two symmetric halves on the lower one (for an ``A`` built
  symmetric from parameters this is the usual symmetric gradient).
* ``solve_lower(L, B)`` / ``solve_upper(U, B)`` (``scipy.linalg.solve_triangular``):
  forward/back substitution reading only that triangle; ``B_bar = L^-T G``,
  ``L_bar = -tril(B_bar X^T)``.
* ``eigh``: one array of shape ``(2, n, n)``, eigenvectors ``V`` in ``[0]`` and
  eigenvalues ``w`` in ``[1, 0]``; with ``F_ij = 1 / (w_j - w_i)`` (0 on the
  diagonal), ``dw = diag(V^T dA V)``, ``dV = V (F * V^T dA V)``, and ``A_bar``
  is ``V (diag(w_bar) + F * V^T V_bar) V^T`` read on the lower triangle as for
  ``cholesky``.  It assumes distinct eigenvalues: equal ones give ``inf`` or
  ``nan`` (as in JAX).  Eigenvectors' signs are LAPACK's.  ``eigvalsh``: ``V
  diag(w_bar) V^T``.
* ``qr`` (reduced, ``m >= n``): one array of shape ``(2, m, n)``, ``Q`` in ``[0]``
  and ``R`` in the first ``n`` rows of ``[1]``; with ``M = R_bar R^T - Q^T Q_bar``
  copied from its upper triangle to its lower one (``N``), ``A_bar = (Q_bar + Q
  N) R^-T``.  Wide matrices (``m < n``) are refused when the code runs.
* ``pinv`` (``P``): ``dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P``,
  for matrices of constant rank (full rank): where the rank changes, ``pinv``
  is not continuous.
* ``svd`` (reduced, ``m >= n``): one array of shape ``(3, m, n)``, ``U`` in ``[0]``,
  ``V^T`` in the first ``n`` rows of ``[1]``, ``s`` in ``[2, 0]``; with ``F_ij = 1 /
  (s_j^2 - s_i^2)``, ``A_bar = U (F * (U^T U_bar - U_bar^T U) S + diag(s_bar) + S (F
  * (V^T V_bar - V_bar^T V))) V^T + (I - U U^T) U_bar S^-1 V^T``.  Distinct,
  nonzero singular values (else ``inf``/``nan``); singular vectors' signs are
  LAPACK's; wide matrices are refused when the code runs.
* ``svdvals`` (``np.linalg.svd(a, compute_uv=False)``): ``ds = diag(U^T dA V)``,
  ``A_bar = U diag(G) V^T``; at repeated singular values, where they are not
  differentiable, it is this formula for LAPACK's ``U`` and ``V`` (for
  ``np.sum(s)``, the nuclear norm, a subgradient).
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import FLOAT, Attrs, Const, Kind, Span, Take
from . import spelling, symbolic
from .expr import op, transpose
from .kinds import MATCHES, RankError, outer_kind, with_dtype
from .registry import register

SPECIAL = ("special",)
FIRST = Attrs(index=(Take(),))  # x[k]
FIRST_TWO = Attrs(index=(Take(), Take()))  # x[k, j]


# ---------------------------------------------------------------------------
# Kinds.


def _matrix(kind, what):
    if kind.rank != 2:
        stack = " (stacks of matrices are not supported: loop over them)" if kind.rank > 2 else ""
        raise RankError(f"{what} takes a matrix (rank 2), not a rank-{kind.rank} value{stack}")


def square_kind(what):
    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        return with_dtype(kinds[0], "float")

    return rule


def solve_kind(what):
    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        if kinds[1].rank not in (1, 2):
            raise RankError(
                f"{what} solves for a vector or a matrix, not a rank-{kinds[1].rank} value"
            )
        return with_dtype(kinds[1], "float")

    return rule


def transposed_kind(what):
    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        return Kind.of_sizes("float", kinds[0].sizes()[::-1])

    return rule


def scalar_kind(what):
    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        return FLOAT

    return rule


def vector_kind(what):
    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        return Kind.of_sizes("float", kinds[0].sizes()[1:])

    return rule


def packed_kind(what):
    """Two matrices of the operand's shape, read by index (``eigh``, ``qr``)."""

    def rule(kinds, atoms, attrs):
        _matrix(kinds[0], what)
        return Kind.of_sizes("float", [MATCHES, *kinds[0].sizes()])

    return rule


def pair_kind(kinds, atoms, attrs):
    _matrix(kinds[0], "np.linalg.slogdet")
    return Kind.of_sizes("float", [MATCHES])


# ---------------------------------------------------------------------------
# Helpers for the rules.


def mm(a, b):
    return op("matmul", a, b)


def eye_like(a):
    """The identity of the size of ``a``'s first axis (one value per ``a``:
    unlike ``np.eye``, which makes a new array each time, it is shared)."""
    return op("identity_like", a)


def tril(x):
    return op("lower_triangle", x)


def triu(x):
    return op("upper_triangle", x)


def phi(x):
    """The lower triangle of ``x`` with its diagonal halved."""
    return op("phi", x)


def lower_read(t):
    """The symmetric matrix a LAPACK routine sees when it reads only the
    lower triangle of ``t``."""
    return phi(t) + transpose(phi(t))


def lower_adjoint(s):
    """The adjoint of ``t`` from ``s``, that of ``lower_read(t)``:
    ``phi(s + s^T)``, one primitive (one pass over ``s``)."""
    return op("phi_symmetric", s)


def diag_of(m):
    return op("sum", m * eye_like(m), attrs=Attrs(axis=0))


def times_x(g, x, rank):
    """``g x^T`` for the solution ``x`` of a solve (a vector or a matrix)."""
    return op("outer", g, x) if rank == 1 else mm(g, transpose(x))


def take(x, *indices):
    return op(
        "getitem", x, *(Const(i) for i in indices), attrs=FIRST if len(indices) == 1 else FIRST_TWO
    )


# ---------------------------------------------------------------------------
# Rules.


def _inv_jvp(tangents, a, ans, attrs):
    return -mm(mm(ans, tangents[0]), ans)


def _inv_vjp(g, a, ans, attrs, ranks):
    return (-mm(mm(transpose(ans), g), transpose(ans)),)


def _solve_jvp(tangents, a, b, ans, attrs):
    ta, tb = tangents
    rhs = tb if ta is None else (-mm(ta, ans) if tb is None else tb - mm(ta, ans))
    return op("solve", a, rhs)


def _solve_vjp(g, a, b, ans, attrs, ranks):
    b_bar = op("solve", transpose(a), g)
    return -times_x(b_bar, ans, ranks[1]), b_bar


def _det_jvp(tangents, a, ans, attrs):
    return ans * op("sum", transpose(op("inv", a)) * tangents[0])


def _det_vjp(g, a, ans, attrs, ranks):
    return ((g * ans) * transpose(op("inv", a)),)


def _slogdet_jvp(tangents, a, ans, attrs):
    return op("stack", 0.0, op("sum", transpose(op("inv", a)) * tangents[0]))


def _slogdet_vjp(g, a, ans, attrs, ranks):
    return (take(g, 1) * transpose(op("inv", a)),)


def _cholesky_jvp(tangents, a, ans, attrs):
    inner = op("solve_lower", ans, transpose(op("solve_lower", ans, lower_read(tangents[0]))))
    return mm(ans, phi(inner))


def _cholesky_vjp(g, a, ans, attrs, ranks):
    left = op("solve_upper", transpose(ans), phi(mm(transpose(ans), g)))  # L^-T Phi(L^T G)
    s = transpose(op("solve_upper", transpose(ans), transpose(left)))  # ... L^-1
    return (lower_adjoint(s),)


def _triangular_rules(solve, other, part, part_of_outer):
    """Rules of ``solve(T, B)`` (``solve_lower``: ``part`` is ``tril``), reading
    only the triangle ``part`` of ``T``; ``part_of_outer`` is the primitive
    computing that triangle of an outer product (a vector ``B``) alone."""

    def jvp(tangents, t, b, ans, attrs):
        tt, tb = tangents
        rhs = tb if tt is None else (-mm(part(tt), ans) if tb is None else tb - mm(part(tt), ans))
        return op(solve, t, rhs)

    def vjp(g, t, b, ans, attrs, ranks):
        b_bar = op(other, transpose(t), g)
        if ranks[1] == 1:  # -part(outer(b_bar, x)), the sign on the vector (exact)
            return op(part_of_outer, -b_bar, ans), b_bar
        return -part(times_x(b_bar, ans, ranks[1])), b_bar

    return jvp, vjp


def _triangle_of_outer_jvp(name):
    """``d part(outer(a, b)) = part(outer(da, b)) + part(outer(a, db))``."""

    def jvp(tangents, a, b, ans, attrs):
        ta, tb = tangents
        terms = [op(name, ta, b)] if ta is not None else []
        if tb is not None:
            terms.append(op(name, a, tb))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    return jvp


def _triangle_of_outer_vjp(part):
    """``a_bar = part(G) b``, ``b_bar = part(G)^T a``."""

    def vjp(g, a, b, ans, attrs, ranks):
        kept = part(g)
        return mm(kept, b), mm(transpose(kept), a)

    return vjp


def _eigen_gaps(w):
    """``F_ij = 1 / (w_j - w_i)``, 0 on the diagonal (no division by 0)."""
    eye = eye_like(w)
    gaps = op("expand_dims", w, attrs=Attrs(axis=0)) - op("expand_dims", w, attrs=Attrs(axis=1))
    return 1.0 / (gaps + eye) - eye


def _eigh_jvp(tangents, a, ans, attrs):
    vectors, values = take(ans, 0), take(ans, 1, 0)
    inner = mm(mm(transpose(vectors), lower_read(tangents[0])), vectors)
    d_vectors = mm(vectors, _eigen_gaps(values) * inner)
    packed = op("setitem", d_vectors, op("zeros_like", ans), Const(0), attrs=FIRST)
    return op("setitem", diag_of(inner), packed, Const(1), Const(0), attrs=FIRST_TWO)


def _eigh_vjp(g, a, ans, attrs, ranks):
    vectors, values = take(ans, 0), take(ans, 1, 0)
    g_vectors, g_values = take(g, 0), take(g, 1, 0)
    eye = eye_like(vectors)
    middle = eye * g_values + _eigen_gaps(values) * mm(transpose(vectors), g_vectors)
    return (lower_adjoint(mm(mm(vectors, middle), transpose(vectors))),)


def _eigvalsh_jvp(tangents, a, ans, attrs):
    vectors = take(op("eigh", a), 0)
    return diag_of(mm(mm(transpose(vectors), lower_read(tangents[0])), vectors))


def _eigvalsh_vjp(g, a, ans, attrs, ranks):
    vectors = take(op("eigh", a), 0)
    return (lower_adjoint(mm(vectors * g, transpose(vectors))),)


def _qr_parts(packed, a):
    """``Q`` and ``R`` of a packed ``qr`` (or of its adjoint)."""
    n = op("shape", a, attrs=Attrs(axis=1))
    r = op("getitem", packed, Const(1), n, attrs=Attrs(index=(Take(), Span(stop=True))))
    return take(packed, 0), r


def _qr_jvp(tangents, a, ans, attrs):
    q, r = _qr_parts(ans, a)
    ta = tangents[0]
    right = transpose(op("solve_lower", transpose(r), transpose(ta)))  # dA R^-1
    c = mm(transpose(q), right)
    omega = phi(c) - transpose(phi(c))  # the antisymmetric Q^T dQ
    d_q = right - mm(q, c) + mm(q, omega)
    d_r = mm(c - omega, r)
    packed = op("setitem", d_q, op("zeros_like", ans), Const(0), attrs=FIRST)
    n = op("shape", a, attrs=Attrs(axis=1))
    return op("setitem", d_r, packed, Const(1), n, attrs=Attrs(index=(Take(), Span(stop=True))))


def _qr_vjp(g, a, ans, attrs, ranks):
    q, r = _qr_parts(ans, a)
    g_q, g_r = _qr_parts(g, a)
    m = mm(g_r, transpose(r)) - mm(transpose(q), g_q)
    n_matrix = transpose(phi(transpose(m))) + phi(transpose(m))  # the upper triangle copied down
    total = g_q + mm(q, n_matrix)
    return (transpose(op("solve_upper", r, transpose(total))),)  # ... R^-T


def _pinv_jvp(tangents, a, ans, attrs):
    t = tangents[0]
    rows, columns = eye_like(a), eye_like(ans)
    return (
        -mm(mm(ans, t), ans)
        + mm(mm(mm(ans, transpose(ans)), transpose(t)), rows - mm(a, ans))
        + mm(mm(columns - mm(ans, a), transpose(t)), mm(transpose(ans), ans))
    )


def _pinv_vjp(g, a, ans, attrs, ranks):
    rows, columns = eye_like(a), eye_like(ans)
    g_t = transpose(g)
    return (
        -mm(mm(transpose(ans), g), transpose(ans))
        + mm(mm(rows - mm(a, ans), g_t), mm(ans, transpose(ans)))
        + mm(mm(mm(transpose(ans), ans), g_t), columns - mm(ans, a)),
    )


def _svd_parts(packed, a):
    """``U``, ``s`` and ``V`` (not ``V^T``) of a packed ``svd`` (or of its adjoint)."""
    n = op("shape", a, attrs=Attrs(axis=1))
    vt = op("getitem", packed, Const(1), n, attrs=Attrs(index=(Take(), Span(stop=True))))
    return take(packed, 0), take(packed, 2, 0), transpose(vt)


def _square_gaps(s):
    """``F_ij = 1 / (s_j^2 - s_i^2)``, 0 on the diagonal."""
    return _eigen_gaps(s * s)


def _svd_jvp(tangents, a, ans, attrs):
    u, s, v = _svd_parts(ans, a)
    ta = tangents[0]
    gaps, eye = _square_gaps(s), eye_like(v)
    inner = mm(mm(transpose(u), ta), v)  # U^T dA V
    sigma = eye * s
    d_u = mm(u, gaps * (mm(inner, sigma) + mm(sigma, transpose(inner))))
    d_u = d_u + (mm(ta, v) - mm(u, inner)) / s  # (I - U U^T) dA V S^-1
    d_v = mm(v, gaps * (mm(sigma, inner) + mm(transpose(inner), sigma)))
    return _svd_packed(d_u, diag_of(inner), d_v, a, ans)


def _svd_packed(u, s, v, a, like):
    """``U``, ``s`` and ``V`` packed as ``svd`` packs them (into zeros like ``like``)."""
    n = op("shape", a, attrs=Attrs(axis=1))
    packed = op("setitem", u, op("zeros_like", like), Const(0), attrs=FIRST)
    rows = Attrs(index=(Take(), Span(stop=True)))
    packed = op("setitem", transpose(v), packed, Const(1), n, attrs=rows)
    return op("setitem", s, packed, Const(2), Const(0), attrs=FIRST_TWO)


def _svd_vjp(g, a, ans, attrs, ranks):
    u, s, v = _svd_parts(ans, a)
    g_u, g_s, g_v = _svd_parts(g, a)
    gaps, eye = _square_gaps(s), eye_like(v)
    sigma = eye * s
    left = gaps * (mm(transpose(u), g_u) - mm(transpose(g_u), u))
    right = gaps * (mm(transpose(v), g_v) - mm(transpose(g_v), v))
    middle = mm(left, sigma) + eye * g_s + mm(sigma, right)
    outside = (g_u - mm(u, mm(transpose(u), g_u))) / s  # (I - U U^T) U_bar S^-1
    return (mm(mm(u, middle) + outside, transpose(v)),)


def _svd_outer_jvp(tangents, a, g, ans, attrs):
    """``svd_outer(a, g) = U diag(g) V^T``: along ``a`` through ``svd``'s own
    tangents of ``U`` and ``V``, and linear in ``g``."""
    ta, tg = tangents
    terms = [op("svd_outer", a, tg)] if tg is not None else []
    if ta is not None:
        packed = op("svd", a)
        u, _, v = _svd_parts(packed, a)
        d_u, _, d_v = _svd_parts(_svd_jvp((ta,), a, packed, attrs), a)
        terms.append(mm(d_u * g, transpose(v)) + mm(u * g, transpose(d_v)))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _svd_outer_vjp(h, a, g, ans, attrs, ranks):
    """The adjoint of ``g`` is ``diag(U^T h V)``; that of ``a`` is ``svd``'s
    adjoint of ``U_bar = h V diag(g)``, ``V_bar = h^T U diag(g)``."""
    packed = op("svd", a)
    u, s, v = _svd_parts(packed, a)
    g_packed = _svd_packed(mm(h, v) * g, s * 0.0, mm(transpose(h), u) * g, a, packed)
    return (_svd_vjp(g_packed, a, packed, attrs, ranks)[0], op("svd_inner", a, h))


def _svd_inner_jvp(tangents, a, t, ans, attrs):
    """``svd_inner(a, t) = diag(U^T t V)``: along ``a`` through ``svd``'s
    tangents of ``U`` and ``V``, and linear in ``t``."""
    ta, tt = tangents
    terms = [op("svd_inner", a, tt)] if tt is not None else []
    if ta is not None:
        packed = op("svd", a)
        u, _, v = _svd_parts(packed, a)
        d_u, _, d_v = _svd_parts(_svd_jvp((ta,), a, packed, attrs), a)
        terms.append(diag_of(mm(mm(transpose(d_u), t), v) + mm(mm(transpose(u), t), d_v)))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _svd_inner_vjp(h, a, t, ans, attrs, ranks):
    """The adjoint of ``t`` is ``U diag(h) V^T``; that of ``a`` is ``svd``'s
    adjoint of ``U_bar = t V diag(h)``, ``V_bar = t^T U diag(h)``."""
    packed = op("svd", a)
    u, s, v = _svd_parts(packed, a)
    g_packed = _svd_packed(mm(t, v) * h, s * 0.0, mm(transpose(t), u) * h, a, packed)
    return (_svd_vjp(g_packed, a, packed, attrs, ranks)[0], op("svd_outer", a, h))


def _svdvals_jvp(tangents, a, ans, attrs):
    return op("svd_inner", a, tangents[0])


def _svdvals_vjp(g, a, ans, attrs, ranks):
    return (op("svd_outer", a, g),)


# ---------------------------------------------------------------------------
# Spellings and their Numba helpers.


def linalg(name):
    """``np.linalg.<name>(*args)``, which Numba compiles as it is."""

    def spell(printer, op, args):
        printer.modules.add("np")
        func = ast.Attribute(ast.Attribute(ast.Name("np"), "linalg"), name)
        return ast.Call(func, list(args), [])

    return spell


def helper(name, source):
    """A call of the module-level helper ``name`` (``source``: its definition,
    formatted with the float dtype of the code as ``{float}``)."""

    def spell(printer, op, args):
        dtype = "np.float32" if printer.float32 else "np.float64"
        printer.helper(name, source.format(name=name, float=dtype))
        printer.modules.add("np")
        return ast.Call(ast.Name(name), list(args), [])

    return spell


def identity_like(printer, op, args):
    shape = ast.Subscript(ast.Attribute(args[0], "shape"), ast.Constant(0))
    return printer.call("np.eye", [shape], [("dtype", dtype) for dtype in printer.float_dtype()])


def _identity_kind(kinds, atoms, attrs):
    size = kinds[0].size(0)
    return Kind.of_sizes("float", [size, size])


_SOLVE_LOWER = """\
def {name}(a, b):
    \"\"\"x with a x = b, reading only the lower triangle of a: forward
    substitution, by blocks of 32 rows (the rows above a block are taken out
    of its right-hand side by one matrix product).\"\"\"
    a = np.ascontiguousarray(a)
    n = a.shape[0]
    x = np.empty(b.shape, {float})
    for start in range(0, n, 32):
        end = min(start + 32, n)
        rhs = b[start:end].copy()
        if start > 0:
            rhs -= np.dot(np.ascontiguousarray(a[start:end, :start]), x[:start])
        for row in range(start, end):
            value = rhs[row - start]
            if row > start:
                value = value - np.dot(a[row, start:row], x[start:row])
            x[row] = value / a[row, row]
    return x"""

_SOLVE_UPPER = """\
def {name}(a, b):
    \"\"\"x with a x = b, reading only the upper triangle of a: back
    substitution, by blocks of 32 rows from the last.\"\"\"
    a = np.ascontiguousarray(a)
    n = a.shape[0]
    x = np.empty(b.shape, {float})
    for end in range(n, 0, -32):
        start = max(end - 32, 0)
        rhs = b[start:end].copy()
        if end < n:
            rhs -= np.dot(np.ascontiguousarray(a[start:end, end:]), x[end:])
        for row in range(end - 1, start - 1, -1):
            value = rhs[row - start]
            if row < end - 1:
                value = value - np.dot(a[row, row + 1 : end], x[row + 1 : end])
            x[row] = value / a[row, row]
    return x"""

_PHI = """\
def {name}(x):
    \"\"\"The lower triangle of x with its diagonal halved, row by row (one pass).\"\"\"
    n = x.shape[0]
    out = np.empty((n, n), {float})
    for i in range(n):
        out[i, :i] = x[i, :i]
        out[i, i] = 0.5 * x[i, i]
        out[i, i + 1 :] = 0.0
    return out"""

_PHI_SYMMETRIC = """\
def {name}(s):
    \"\"\"phi(s + s.T), row by row (one pass): the lower triangle of s + s.T,
    its diagonal halved (that is, s's own diagonal).\"\"\"
    n = s.shape[0]
    out = np.empty((n, n), {float})
    for i in range(n):
        out[i, :i] = s[i, :i] + s[:i, i]
        out[i, i] = s[i, i]
        out[i, i + 1 :] = 0.0
    return out"""

_LOWER_OUTER = """\
def {name}(a, b):
    \"\"\"np.tril(np.outer(a, b)), row by row: only the lower triangle is multiplied.\"\"\"
    n = a.shape[0]
    out = np.empty((n, n), {float})
    for i in range(n):
        out[i, : i + 1] = a[i] * b[: i + 1]
        out[i, i + 1 :] = 0.0
    return out"""

_UPPER_OUTER = """\
def {name}(a, b):
    \"\"\"np.triu(np.outer(a, b)), row by row: only the upper triangle is multiplied.\"\"\"
    n = a.shape[0]
    out = np.empty((n, n), {float})
    for i in range(n):
        out[i, :i] = 0.0
        out[i, i:] = a[i] * b[i:]
    return out"""

_SLOGDET = """\
def {name}(a):
    \"\"\"np.linalg.slogdet(a) as one array: [sign, log(abs(det(a)))].\"\"\"
    sign, logabsdet = np.linalg.slogdet(a)
    return np.array([sign, logabsdet])"""

_EIGH = """\
def {name}(a):
    \"\"\"np.linalg.eigh(a) as one array: eigenvectors in [0], eigenvalues in [1, 0].\"\"\"
    values, vectors = np.linalg.eigh(a)
    out = np.zeros((2,) + vectors.shape, vectors.dtype)
    out[0] = vectors
    out[1, 0] = values
    return out"""

_QR = """\
def {name}(a):
    \"\"\"np.linalg.qr(a) (reduced) as one array: Q in [0], R in the first rows of [1].\"\"\"
    m, n = a.shape
    if m < n:
        raise ValueError("symdiff differentiates np.linalg.qr of square and tall matrices only")
    q, r = np.linalg.qr(a)
    out = np.zeros((2, m, n), q.dtype)
    out[0] = q
    out[1, :n] = r
    return out"""

_SVD = """\
def {name}(a):
    \"\"\"np.linalg.svd(a, full_matrices=False) as one array: U in [0], V^T in
    the first rows of [1], the singular values in [2, 0].\"\"\"
    m, n = a.shape
    if m < n:
        raise ValueError("symdiff differentiates np.linalg.svd of square and tall matrices only")
    u, s, vt = np.linalg.svd(a, False)
    out = np.zeros((3, m, n), u.dtype)
    out[0] = u
    out[1, :n] = vt
    out[2, 0] = s
    return out"""

_SVDVALS = """\
def {name}(a):
    \"\"\"The singular values of a (np.linalg.svd(a, compute_uv=False)).\"\"\"
    return np.linalg.svd(a, False)[1]"""

_SVD_INNER = """\
def {name}(a, t):
    \"\"\"diag(U^T t V) for the singular vectors U, V of a: the tangent of its singular values.\"\"\"
    u, s, vt = np.linalg.svd(a, False)
    return np.sum(u * np.dot(t, vt.T), axis=0)"""

_SVD_OUTER = """\
def {name}(a, g):
    \"\"\"U diag(g) V^T for the singular vectors U, V of a: the adjoint of a from its singular values'.\"\"\"
    u, s, vt = np.linalg.svd(a, False)
    return np.dot(u * g, vt)"""


# ---------------------------------------------------------------------------
# SymPy counterparts (small ones).


def _sympy_matrix(func):
    """A counterpart on SymPy matrices (a vector is a column, as NumPy solves it)."""

    def counterpart(args, attrs, number, truth):
        sp = symbolic.sympy_module()
        value = func(*(sp.Matrix(a) for a in args))
        if not isinstance(value, sp.MatrixBase):
            return value
        out = np.array(value.tolist(), dtype=object)
        return out.ravel() if np.ndim(args[-1]) == 1 else out

    return counterpart


def _sympy_phi(m):
    """Phi of an object array: its lower triangle, the diagonal halved."""
    return np.tril(m) - np.diag(np.diag(m)) / 2


def _sympy_triangle_of_outer(part):
    def counterpart(args, attrs, number, truth):
        a, b = (np.asarray(v, dtype=object) for v in args)
        return part(np.outer(a, b))

    return counterpart


# fmt: off
NOT_ELEMENTWISE = {"elementwise": False}
register("inv", 1, SPECIAL, "special", None, None, jvp=_inv_jvp, vjp=_inv_vjp, result_kind=square_kind("np.linalg.inv"),
         spell=linalg("inv"), sympy_arrays=_sympy_matrix(lambda a: a.inv()), contiguous=True, **NOT_ELEMENTWISE)
register("solve", 2, SPECIAL, "special", None, None, jvp=_solve_jvp, vjp=_solve_vjp, result_kind=solve_kind("np.linalg.solve"),
         spell=linalg("solve"), sympy_arrays=_sympy_matrix(lambda a, b: a.LUsolve(b)), contiguous=True, **NOT_ELEMENTWISE)
register("det", 1, SPECIAL, "special", None, None, jvp=_det_jvp, vjp=_det_vjp, result_kind=scalar_kind("np.linalg.det"),
         spell=linalg("det"), sympy_arrays=_sympy_matrix(lambda a: a.det()), **NOT_ELEMENTWISE)
register("slogdet", 1, SPECIAL, "special", None, None, jvp=_slogdet_jvp, vjp=_slogdet_vjp, result_kind=pair_kind,
         spell=helper("_slogdet", _SLOGDET), contiguous=True, **NOT_ELEMENTWISE)
register("cholesky", 1, SPECIAL, "special", None, None, jvp=_cholesky_jvp, vjp=_cholesky_vjp, result_kind=square_kind("np.linalg.cholesky"),
         spell=linalg("cholesky"), sympy_arrays=_sympy_matrix(lambda a: (a.lower_triangular() + a.lower_triangular(-1).T).cholesky(hermitian=False)), contiguous=True, **NOT_ELEMENTWISE)
register("solve_lower", 2, SPECIAL, "special", None, None, **dict(zip(("jvp", "vjp"), _triangular_rules("solve_lower", "solve_upper", tril, "lower_outer"))),
         result_kind=solve_kind("scipy.linalg.solve_triangular"), spell=helper("_solve_lower", _SOLVE_LOWER),
         sympy_arrays=_sympy_matrix(lambda a, b: a.lower_triangular().lower_triangular_solve(b)), contiguous=True, **NOT_ELEMENTWISE)
register("solve_upper", 2, SPECIAL, "special", None, None, **dict(zip(("jvp", "vjp"), _triangular_rules("solve_upper", "solve_lower", triu, "upper_outer"))),
         result_kind=solve_kind("scipy.linalg.solve_triangular"), spell=helper("_solve_upper", _SOLVE_UPPER),
         sympy_arrays=_sympy_matrix(lambda a, b: a.upper_triangular().upper_triangular_solve(b)), contiguous=True, **NOT_ELEMENTWISE)
register("pinv", 1, SPECIAL, "special", None, None, jvp=_pinv_jvp, vjp=_pinv_vjp, result_kind=transposed_kind("np.linalg.pinv"),
         spell=linalg("pinv"), contiguous=True, **NOT_ELEMENTWISE)
register("eigh", 1, SPECIAL, "special", None, None, jvp=_eigh_jvp, vjp=_eigh_vjp, result_kind=packed_kind("np.linalg.eigh"),
         spell=helper("_eigh", _EIGH), contiguous=True, **NOT_ELEMENTWISE)
register("eigvalsh", 1, SPECIAL, "special", None, None, jvp=_eigvalsh_jvp, vjp=_eigvalsh_vjp, result_kind=vector_kind("np.linalg.eigvalsh"),
         spell=linalg("eigvalsh"), contiguous=True, **NOT_ELEMENTWISE)
register("qr", 1, SPECIAL, "special", None, None, jvp=_qr_jvp, vjp=_qr_vjp, result_kind=packed_kind("np.linalg.qr"),
         spell=helper("_qr", _QR), contiguous=True, **NOT_ELEMENTWISE)
register("svd", 1, SPECIAL, "special", None, None, jvp=_svd_jvp, vjp=_svd_vjp, result_kind=packed_kind("np.linalg.svd"),
         spell=helper("_svd", _SVD), contiguous=True, **NOT_ELEMENTWISE)
register("svdvals", 1, SPECIAL, "special", None, None, jvp=_svdvals_jvp, vjp=_svdvals_vjp, result_kind=vector_kind("np.linalg.svd"),
         spell=helper("_svdvals", _SVDVALS), contiguous=True, **NOT_ELEMENTWISE)
# Derivative plumbing (differentiated again through svd's rules).
register("svd_inner", 2, SPECIAL, "special", None, None, jvp=_svd_inner_jvp, vjp=_svd_inner_vjp, result_kind=vector_kind("np.linalg.svd"), spell=helper("_svd_inner", _SVD_INNER),
         contiguous=True, fresh=True, **NOT_ELEMENTWISE)
register("svd_outer", 2, SPECIAL, "special", None, None, jvp=_svd_outer_jvp, vjp=_svd_outer_vjp, result_kind=square_kind("np.linalg.svd"), spell=helper("_svd_outer", _SVD_OUTER),
         contiguous=True, fresh=True, **NOT_ELEMENTWISE)
register("phi", 1, SPECIAL, "special", None, None, jvp=lambda tangents, x, ans, attrs: phi(tangents[0]),
         vjp=lambda g, x, ans, attrs, ranks: (phi(g),), result_kind=square_kind("phi"), spell=helper("_phi", _PHI),
         sympy_arrays=lambda args, attrs, number, truth: _sympy_phi(np.asarray(args[0], dtype=object)),
         shaped_like=0, contiguous=True, **NOT_ELEMENTWISE)
register("phi_symmetric", 1, SPECIAL, "special", None, None, jvp=lambda tangents, s, ans, attrs: lower_adjoint(tangents[0]),
         vjp=lambda g, s, ans, attrs, ranks: (lower_read(g),), result_kind=square_kind("phi"), spell=helper("_phi_symmetric", _PHI_SYMMETRIC),
         sympy_arrays=lambda args, attrs, number, truth: _sympy_phi(np.asarray(args[0], dtype=object) + np.asarray(args[0], dtype=object).T),
         shaped_like=0, contiguous=True, **NOT_ELEMENTWISE)
register("lower_outer", 2, SPECIAL, "special", None, None, jvp=_triangle_of_outer_jvp("lower_outer"), vjp=_triangle_of_outer_vjp(tril),
         result_kind=outer_kind, spell=helper("_lower_outer", _LOWER_OUTER), sympy_arrays=_sympy_triangle_of_outer(np.tril), contiguous=True, **NOT_ELEMENTWISE)
register("upper_outer", 2, SPECIAL, "special", None, None, jvp=_triangle_of_outer_jvp("upper_outer"), vjp=_triangle_of_outer_vjp(triu),
         result_kind=outer_kind, spell=helper("_upper_outer", _UPPER_OUTER), sympy_arrays=_sympy_triangle_of_outer(np.triu), contiguous=True, **NOT_ELEMENTWISE)
register("identity_like", 1, SPECIAL, "special", None, None, result_kind=_identity_kind, spell=identity_like,
         sympy_arrays=lambda args, attrs, number, truth: np.eye(np.shape(args[0])[0]), contiguous=True,
         shape_reads=frozenset({0}), differentiable=False, elementwise=False)
register("lower_triangle", 1, SPECIAL, "special", None, None, jvp=lambda tangents, x, ans, attrs: tril(tangents[0]),
         vjp=lambda g, x, ans, attrs, ranks: (tril(g),), result_kind=square_kind("np.tril"), spell=spelling.triangle("tril"),
         sympy_arrays=lambda args, attrs, number, truth: np.tril(np.asarray(args[0], dtype=object)), shaped_like=0, **NOT_ELEMENTWISE)
register("upper_triangle", 1, SPECIAL, "special", None, None, jvp=lambda tangents, x, ans, attrs: triu(tangents[0]),
         vjp=lambda g, x, ans, attrs, ranks: (triu(g),), result_kind=square_kind("np.triu"), spell=spelling.triangle("triu"),
         sympy_arrays=lambda args, attrs, number, truth: np.triu(np.asarray(args[0], dtype=object)), shaped_like=0, **NOT_ELEMENTWISE)
# fmt: on
