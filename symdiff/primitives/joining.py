"""Joining and correlation: ``np.concatenate``, ``np.stack`` (also
``np.array`` of numbers) and the two correlations the library's convolutions
are written with (``symdiff.library.joining``).

* ``concatenate(*xs, axis=k)`` joins arrays of one rank along an existing
  axis (``axis=None``: every operand flattened first, numbers included).
  Its tangent is the concatenation of the tangents; its adjoint is cut back
  into slices, ``x_bar = g[:n]``, ``y_bar = g[n:]``.
* ``stack(*xs, axis=k)`` joins numbers or arrays of one rank along a new
  axis; its adjoint is one index per operand, ``x_bar = g[:, 0]``.
* ``correlate_valid(x, k)`` is ``out[i] = sum_j x[i + j] k[j]`` over the
  positions where ``k`` fits inside ``x`` (rank 1 or 2, ``k`` no larger than
  ``x`` along any axis: checked when the code runs); ``correlate_full(x, k)``
  is the same correlation of ``x`` padded with ``len(k) - 1`` zeros on each
  side.  The two close under differentiation (the adjoint of a correlation
  is a correlation with the kernel flipped, the mode exchanged):

  - ``y = correlate_valid(x, k)``: ``x_bar = correlate_full(g, flip(k))``,
    ``k_bar = correlate_valid(x, g)``;
  - ``y = correlate_full(x, k)``: ``x_bar = correlate_valid(g, flip(k))``,
    ``k_bar = flip(correlate_valid(g, x))``.

  Both are spelled as Numba helpers that loop over the smaller of the kernel
  and the output, adding shifted slices, so the plain-Python run of the same
  source is vectorised too.
* ``same_shape(value, like)`` is ``value``, known to have the shape of
  ``like``: the slices of a concatenation's adjoint, the centred part of a
  ``"same"`` convolution, the adjoints of the correlations.  Slices may have
  size 1 as far as kinds know; with it, no size-1 sums are generated.

All are linear in each operand: derivatives exist everywhere.
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import WHOLE, Attrs, Const, Kind, Span, Take
from .expr import op
from .kinds import MATCHES, MAYBE_ONE, ONE, RankError, normalize_axis
from .registry import Option, named, register


# -- kinds ---------------------------------------------------------------------
def _dtype(kinds) -> str:
    """The dtype of values joined together: float if any is, bool if all are."""
    dtypes = {k.dtype for k in kinds}
    return "float" if "float" in dtypes else "bool" if dtypes == {"bool"} else "int"


def _met(sizes) -> object:
    """One axis that several operands share: full if any is, 1 if all are."""
    return MATCHES if MATCHES in sizes else ONE if all(s is ONE for s in sizes) else MAYBE_ONE


def _total(sizes) -> object:
    """The size of axes laid end to end: one operand's own, else more than 1."""
    return sizes[0] if len(sizes) == 1 else MATCHES


def _flattened(kind: Kind) -> object:
    sizes = kind.sizes()
    return _met(sizes) if sizes else ONE


def _same_rank(kinds, what) -> int:
    if not kinds:
        raise RankError(f"{what} needs at least one array")
    ranks = sorted({k.rank for k in kinds})
    if len(ranks) > 1:
        raise RankError(
            f"{what} joins arrays of one rank (here of ranks {', '.join(map(str, ranks))})"
        )
    return ranks[0]


def concatenate_kind(kinds, atoms, attrs):
    if attrs.axis is None:  # flattened, then laid end to end
        if not kinds:
            raise RankError("np.concatenate needs at least one array")
        return Kind.of_sizes(_dtype(kinds), [_total([_flattened(k) for k in kinds])])
    rank = _same_rank(kinds, "np.concatenate")
    if rank == 0:
        raise RankError("np.concatenate joins arrays, not numbers (use np.stack or np.array)")
    axis = normalize_axis(attrs.axis, rank)
    sizes = [_met([k.size(a) for k in kinds]) for a in range(rank)]
    sizes[axis] = _total([k.size(axis) for k in kinds])
    return Kind.of_sizes(_dtype(kinds), sizes)


def stack_kind(kinds, atoms, attrs):
    rank = _same_rank(kinds, "np.stack")
    axis = normalize_axis(attrs.axis or 0, rank + 1)
    sizes = [_met([k.size(a) for k in kinds]) for a in range(rank)]
    sizes.insert(axis, ONE if len(kinds) == 1 else MATCHES)
    return Kind.of_sizes(_dtype(kinds), sizes)


def correlate_kind(full):
    def rule(kinds, atoms, attrs):
        x, k = kinds
        if x.rank != k.rank or x.rank not in (1, 2):
            raise RankError(
                "convolution and correlation take two 1-d or two 2-d arrays "
                f"(here of ranks {x.rank} and {k.rank})"
            )
        if full:  # n + m - 1
            sizes = [_met([x.size(a), k.size(a)]) for a in range(x.rank)]
        else:  # n - m + 1
            sizes = [x.size(a) if k.size(a) is ONE else MAYBE_ONE for a in range(x.rank)]
        return Kind.of_sizes("float", sizes)

    return rule


# -- derivatives ---------------------------------------------------------------
def _zeros_for_missing(tangents, args):
    """The tangents, zeros of its operand's shape (0.0 for a number, by
    ``algebra``) where an operand is not differentiated."""
    return [t if t is not None else op("zeros_like", x) for t, x in zip(tangents, args)]


def _concatenate_jvp(tangents, *rest):
    args, attrs = rest[:-2], rest[-1]
    return op("concatenate", *_zeros_for_missing(tangents, args), attrs=attrs)


def _concatenate_vjp(g, *rest):
    """The slices of ``g`` each operand was laid at (of the operand's own
    shape: ``same_shape``; reshaped back for ``axis=None``)."""
    xs, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    axis = 0 if attrs.axis is None else normalize_axis(attrs.axis, ranks[0])
    adjoints, start = [], None
    for i, x in enumerate(xs):
        length = op("size", x) if attrs.axis is None else op("shape", x, attrs=Attrs(axis=axis))
        stop = None if i == len(xs) - 1 else length if start is None else start + length
        bounds = [b for b in (start, stop) if b is not None]
        span = Span(start=start is not None, stop=stop is not None)
        part = op("getitem", g, *bounds, attrs=Attrs(index=(WHOLE,) * axis + (span,)))
        if attrs.axis is None:
            adjoints.append(part if ranks[i] == 1 else op("reshape_like", part, x))
        else:
            adjoints.append(op("same_shape", part, x))
        start = stop
    return tuple(adjoints)


def same_shape_kind(kinds, atoms, attrs):
    """``value``, known to have the shape of ``like`` (a slice cut to it)."""
    value, like = kinds
    if value.rank != like.rank:
        raise RankError(f"a rank-{value.rank} value cannot have the shape of rank {like.rank}")
    return Kind.of_sizes(value.dtype, like.sizes())


def _same_shape_jvp(tangents, value, like, ans, attrs):
    if tangents[0] is None:
        return op("zeros_like", like)
    return op("same_shape", tangents[0], like)


def _stack_jvp(tangents, *rest):
    args, attrs = rest[:-2], rest[-1]
    return op("stack", *_zeros_for_missing(tangents, args), attrs=attrs)


def _stack_vjp(g, *rest):
    xs, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    axis = normalize_axis(attrs.axis or 0, ranks[0] + 1)
    index = Attrs(index=(WHOLE,) * axis + (Take(),))
    return tuple(op("getitem", g, Const(i), attrs=index) for i in range(len(xs)))


def _bilinear_jvp(name):
    def jvp(tangents, x, k, ans, attrs):
        terms = []
        if tangents[0] is not None:
            terms.append(op(name, tangents[0], k))
        if tangents[1] is not None:
            terms.append(op(name, x, tangents[1]))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    return jvp


def _flip(a):
    return op("flip", a)


def _correlate_valid_vjp(g, x, k, ans, attrs, ranks):
    x_bar = op("correlate_full", g, _flip(k))
    return op("same_shape", x_bar, x), op("same_shape", op("correlate_valid", x, g), k)


def _correlate_full_vjp(g, x, k, ans, attrs, ranks):
    x_bar = op("correlate_valid", g, _flip(k))
    k_bar = _flip(op("same_shape", op("correlate_valid", g, x), k))
    return op("same_shape", x_bar, x), k_bar


# -- spellings -----------------------------------------------------------------
def _axis_keyword(axis):
    return [] if axis == 0 else [("axis", ast.Constant(axis))]


def _flat(printer, atom, printed):
    rank = printer.kind(atom).rank
    if rank == 0:
        return printer.call("np.full", [ast.Constant(1), printed])
    if rank == 1:
        return printed
    return ast.Call(ast.Attribute(printed, "ravel"), [], [])


def spell_concatenate(printer, op_, args):
    """``np.concatenate((x, y), axis=k)``; ``axis=None``: of ``x.ravel()``..."""
    axis = op_.attrs.axis
    if axis is None:
        parts = [_flat(printer, a, p) for a, p in zip(op_.args, args)]
        return printer.call("np.concatenate", [ast.Tuple(parts)])
    axis = normalize_axis(axis, printer.kind(op_.args[0]).rank)
    return printer.call("np.concatenate", [ast.Tuple(list(args))], _axis_keyword(axis))


def _list_display(node):
    """The list of ``np.array([...])`` (a stack of numbers), or None."""
    if (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "np.array"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List)
    ):
        return node.args[0]
    return None


def spell_stack(printer, op_, args):
    """``np.array([a, b])`` of numbers (nested lists for stacks of those),
    else ``np.stack((x, y), axis=k)``."""
    rank = printer.kind(op_.args[0]).rank
    if rank == 0:
        return printer.call("np.array", [ast.List(list(args))])
    axis = normalize_axis(op_.attrs.axis or 0, rank + 1)
    rows = [_list_display(a) for a in args]
    if axis == 0 and all(row is not None for row in rows):
        return printer.call("np.array", [ast.List(rows)])
    return printer.call("np.stack", [ast.Tuple(list(args))], _axis_keyword(axis))


_TOO_LARGE = (
    "a valid convolution or correlation needs its second operand no larger than its "
    "first along any axis (swap them, or use mode='same' or 'full')"
)

_VALID_1D = '''\
def _correlate_valid_1d(x, k):
    """out[i] = sum_j x[i + j] * k[j] where k fits inside x: shifted slices of x
    added up (or, for a kernel longer than the output, one sum per output)."""
    n, m = x.shape[0], k.shape[0]
    if m > n:
        raise ValueError("{message}")
    size = n - m + 1
    out = np.zeros(size{dtype})
    if m <= size:
        for j in range(m):
            out += k[j] * x[j : j + size]
    else:
        for i in range(size):
            out[i] = np.sum(x[i : i + m] * k)
    return out'''

_VALID_2D = '''\
def _correlate_valid_2d(x, k):
    """out[i, j] = sum_pq x[i + p, j + q] * k[p, q] where k fits inside x:
    shifted blocks of x added up (or one sum per output for large kernels)."""
    m0, m1 = k.shape
    if m0 > x.shape[0] or m1 > x.shape[1]:
        raise ValueError("{message}")
    s0, s1 = x.shape[0] - m0 + 1, x.shape[1] - m1 + 1
    out = np.zeros((s0, s1){dtype})
    if m0 * m1 <= s0 * s1:
        for p in range(m0):
            for q in range(m1):
                out += k[p, q] * x[p : p + s0, q : q + s1]
    else:
        for i in range(s0):
            for j in range(s1):
                out[i, j] = np.sum(x[i : i + m0, j : j + m1] * k)
    return out'''

_FULL_1D = '''\
def _correlate_full_1d(x, k):
    """The correlation of x padded with len(k) - 1 zeros on each side."""
    m = k.shape[0] - 1
    padded = np.zeros(x.shape[0] + 2 * m{dtype})
    padded[m : m + x.shape[0]] = x
    return _correlate_valid_1d(padded, k)'''

_FULL_2D = '''\
def _correlate_full_2d(x, k):
    """The correlation of x padded with k.shape - 1 zeros on each side."""
    m0, m1 = k.shape[0] - 1, k.shape[1] - 1
    padded = np.zeros((x.shape[0] + 2 * m0, x.shape[1] + 2 * m1){dtype})
    padded[m0 : m0 + x.shape[0], m1 : m1 + x.shape[1]] = x
    return _correlate_valid_2d(padded, k)'''


def correlating(full):
    def spell(printer, op_, args):
        rank = printer.kind(op_.args[0]).rank
        dtype = ", np.float32" if printer.float32 else ""
        valid = printer.helper(
            f"_correlate_valid_{rank}d",
            (_VALID_1D if rank == 1 else _VALID_2D).format(message=_TOO_LARGE, dtype=dtype),
        )
        name = valid
        if full:
            name = printer.helper(
                f"_correlate_full_{rank}d",
                (_FULL_1D if rank == 1 else _FULL_2D).format(dtype=dtype),
            )
        printer.modules.add("np")
        return ast.Call(ast.Name(name), list(args), [])

    return spell


# -- SymPy counterparts (arrays of SymPy expressions) -----------------------------
def _objects(a):
    return np.asarray(a, dtype=object)


def _concatenate_sympy(args, attrs, number, truth):
    if attrs.axis is None:
        return np.concatenate([_objects(a).reshape(-1) for a in args])
    return np.concatenate([_objects(a) for a in args], axis=attrs.axis)


def _stack_sympy(args, attrs, number, truth):
    return np.stack([_objects(a) for a in args], axis=attrs.axis or 0)


def _correlate_sympy(full):
    def correlate(args, attrs, number, truth):
        x, k = (np.atleast_1d(_objects(a)) for a in args)
        if full:
            pads = [(m - 1, m - 1) for m in k.shape]
            x = np.pad(x, pads, constant_values=0)
        sizes = tuple(n - m + 1 for n, m in zip(x.shape, k.shape))
        out = np.empty(sizes, dtype=object)
        for i in np.ndindex(*sizes):
            block = x[tuple(slice(a, a + m) for a, m in zip(i, k.shape))]
            out[i] = np.sum(block * k)
        return out

    return correlate


AXIS_0 = Option("axis", (int,), 0)
ARRAYS = {"elementwise": False, "fresh": True, "contiguous": True}
SPECIAL = ("special",)

# fmt: off
register("concatenate", -1, SPECIAL, "special", None, None, jvp=_concatenate_jvp, vjp=_concatenate_vjp, result_kind=concatenate_kind,
         names=named(numpy="concatenate", options=(AXIS_0,), sequence=True), spell=spell_concatenate, sympy_arrays=_concatenate_sympy, **ARRAYS)
register("stack", -1, SPECIAL, "special", None, None, jvp=_stack_jvp, vjp=_stack_vjp, result_kind=stack_kind,  # np.array([a, b, c]) too
         names=named(numpy="stack", options=(AXIS_0,), sequence=True), spell=spell_stack, sympy_arrays=_stack_sympy, **ARRAYS)
register("same_shape", 2, SPECIAL, "special", None, None, jvp=_same_shape_jvp, vjp=lambda g, value, like, ans, attrs, ranks: (g, None),  # value: of like's shape
         result_kind=same_shape_kind, spell=lambda printer, op_, args: args[0], sympy_arrays=lambda args, attrs, number, truth: args[0], view=True, shaped_like=1, shape_reads=frozenset({1}), elementwise=False)
register("correlate_valid", 2, SPECIAL, "special", None, None, jvp=_bilinear_jvp("correlate_valid"), vjp=_correlate_valid_vjp,
         result_kind=correlate_kind(full=False), spell=correlating(full=False), sympy_arrays=_correlate_sympy(full=False), **ARRAYS)
register("correlate_full", 2, SPECIAL, "special", None, None, jvp=_bilinear_jvp("correlate_full"), vjp=_correlate_full_vjp,
         result_kind=correlate_kind(full=True), spell=correlating(full=True), sympy_arrays=_correlate_sympy(full=True), **ARRAYS)
# fmt: on
