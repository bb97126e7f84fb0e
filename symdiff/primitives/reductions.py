"""Reductions along an axis with rules of their own: ``np.cumprod`` and ``np.diff``.

(``np.sum``, ``np.max``, ``np.min``, ``np.prod`` and ``np.cumsum`` are rows of
``structural``; the statistics built on them are ``symdiff.library``'s.)

* ``cumprod(x, axis=None|k)``: running products (flattened for ``axis=None``).
  Its derivatives are running sums and products written without dividing by
  ``x``, so they are exact where elements are 0 (as ``np.prod``'s):
  forward, ``dy[j] = x[j] * dy[j-1] + dx[j] * prod(x[:j])``; reverse,
  ``x_bar[k] = prod(x[:k]) * r[k]`` with ``r[k] = g[k] + x[k+1] * r[k+1]``.
  Both are helpers (``_cumprod_tangent``, ``_cumprod_adjoint``) applied to
  each row of the array with the axis moved last, as is ``np.cumprod`` along
  an axis (Numba has it over the flattened array only).
* ``diff(x, axis=k)``: one difference ``x[1:] - x[:-1]`` along ``axis``
  (``np.diff``'s ``n`` is the library's loop); its adjoint ``diff_adjoint(g,
  x)`` adds each ``g`` to the later element and subtracts it from the earlier
  one (``x`` is read for its shape), and the two are each other's transposes.
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import Kind
from .expr import op
from .kinds import MAYBE_ONE, RankError, cumsum_kind, float_like, normalize_axis, with_dtype
from .registry import Option, named, register

AXIS = Option("axis", (int,), None)


def _moved(rank: int, axis: int) -> tuple:
    """The order of axes that moves ``axis`` last."""
    return tuple(a for a in range(rank) if a != axis) + (axis,)


def _along_rows(name, doc, params, row_call, rank, axis):
    """Source of a helper applying ``row_call`` (a function of 1-d rows, one per
    parameter) to every row of its arguments along ``axis``, and moving the
    results back; its arguments have one shape."""
    order = _moved(rank, axis)
    lines = [f"def {name}({', '.join(params)}):", f'    """{doc}"""']
    for p in params:
        moved = p if order == tuple(range(rank)) else f"{p}.transpose({order})"
        lines.append(
            f"    {p}_rows = np.ascontiguousarray({moved}).reshape((-1, {p}.shape[{axis}]))"
        )
    first = f"{params[-1]}_rows"
    rows = ", ".join(f"{p}_rows[i]" for p in params)
    lines += [
        f"    out = np.empty({first}.shape, {params[-1]}.dtype)",
        f"    for i in range({first}.shape[0]):",
        f"        out[i] = {row_call}({rows})",
    ]
    if order == tuple(range(rank)):
        lines.append(f"    return out.reshape({params[-1]}.shape)")
    else:
        shape = ", ".join(f"{params[-1]}.shape[{a}]" for a in order)
        inverse = tuple(order.index(a) for a in range(rank))
        lines.append(f"    return out.reshape(({shape})).transpose({inverse})")
    return "\n".join(lines)


_TANGENT_ROW = """\
def _cumprod_tangent(x, t):
    \"\"\"The tangent of np.cumprod(x) (1-d) for the tangent t of x, without
    dividing by x (exact at zeros): dy[j] = x[j] * dy[j-1] + t[j] * prod(x[:j]).\"\"\"
    out = np.empty(t.shape, t.dtype)
    before = {one}
    running = {zero}
    for j in range(x.size):
        running = x[j] * running + t[j] * before
        out[j] = running
        before *= x[j]
    return out"""

_ADJOINT_ROW = """\
def _cumprod_adjoint(x, g):
    \"\"\"The adjoint of x in y = np.cumprod(x) (1-d) for the adjoint g of y,
    without dividing by x (exact at zeros): prod(x[:k]) * r[k], where
    r[k] = g[k] + x[k+1] * r[k+1] sums g[j] * prod(x[k+1:j+1]) over j >= k.\"\"\"
    out = np.empty(g.shape, g.dtype)
    after = {zero}
    following = {zero}
    for k in range(x.size - 1, -1, -1):
        after = g[k] + following * after
        out[k] = after
        following = x[k]
    before = {one}
    for k in range(x.size):
        out[k] *= before
        before *= x[k]
    return out"""


_ADJOINT_TANGENT_ROW = """\
def _cumprod_adjoint_tangent(x, g, s):
    \"\"\"The derivative along s (a tangent of x) of _cumprod_adjoint(x, g) (1-d):
    its two sweeps on dual numbers (x + s dx), so exact where elements are 0.\"\"\"
    out = np.empty(s.shape, s.dtype)
    afters = np.empty(s.shape, s.dtype)
    after = {zero}
    d_after = {zero}
    following = {zero}
    d_following = {zero}
    for k in range(x.size - 1, -1, -1):
        d_after = following * d_after + d_following * after
        after = g[k] + following * after
        afters[k] = after
        out[k] = d_after
        following = x[k]
        d_following = s[k]
    before = {one}
    d_before = {zero}
    for k in range(x.size):
        out[k] = out[k] * before + afters[k] * d_before
        d_before = d_before * x[k] + before * s[k]
        before *= x[k]
    return out"""


def _constants(printer) -> dict:
    if printer.float32:  # float32 code stays float32
        return {"one": "np.float32(1.0)", "zero": "np.float32(0.0)"}
    return {"one": "1.0", "zero": "0.0"}


def _along(printer, row, args, op_, what, params):
    """``row`` (a function of 1-d rows) applied along the op's axis of its
    operands (of one shape; 1-d when the axis is None)."""
    kind = printer.kind(op_.args[0])
    axis = op_.attrs.axis
    if kind.rank == 1 or axis is None:
        flat = (
            args if kind.rank == 1 else [ast.Call(ast.Attribute(a, "ravel"), [], []) for a in args]
        )
        value = printer.call(row, flat) if "." in row else ast.Call(ast.Name(row), flat, [])
        if kind.rank > 1 and row.startswith("_cumprod_adjoint"):  # shaped like x
            return ast.Call(ast.Attribute(value, "reshape"), [ast.Attribute(args[0], "shape")], [])
        return value
    axis = normalize_axis(axis, kind.rank)
    name = f"_{row.replace('np.', '')}_axis{axis}_{kind.rank}d".replace("__", "_")
    doc = f"{row} of each row along axis {axis} of rank-{kind.rank} {what}."
    printer.modules.add("np")
    printer.helper(name, _along_rows(name, doc, params, row, kind.rank, axis))
    return ast.Call(ast.Name(name), args, [])


def _spell_cumprod(printer, op_, args):
    return _along(printer, "np.cumprod", args, op_, "arrays, for Numba", ("x",))


def _spell_tangent(printer, op_, args):
    printer.modules.add("np")
    printer.helper("_cumprod_tangent", _TANGENT_ROW.format(**_constants(printer)))
    return _along(printer, "_cumprod_tangent", args, op_, "arrays and tangents", ("x", "t"))


def _spell_adjoint(printer, op_, args):
    printer.modules.add("np")
    printer.helper("_cumprod_adjoint", _ADJOINT_ROW.format(**_constants(printer)))
    return _along(printer, "_cumprod_adjoint", args, op_, "arrays and adjoints", ("x", "g"))


def _spell_adjoint_tangent(printer, op_, args):
    printer.modules.add("np")
    printer.helper("_cumprod_adjoint_tangent", _ADJOINT_TANGENT_ROW.format(**_constants(printer)))
    what = "arrays, adjoints and tangents"
    return _along(printer, "_cumprod_adjoint_tangent", args, op_, what, ("x", "g", "s"))


def _adjoint_jvp(tangents, x, g, ans, attrs):
    """``cumprod_adjoint(x, g)`` is linear in ``g``; along ``x`` it changes by
    ``cumprod_adjoint_tangent``."""
    tx, tg = tangents
    terms = [op("cumprod_adjoint", x, tg, attrs=attrs)] if tg is not None else []
    if tx is not None:
        terms.append(op("cumprod_adjoint_tangent", x, g, tx, attrs=attrs))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _adjoint_vjp(h, x, g, ans, attrs, ranks):
    """The transposes: of ``g -> cumprod_adjoint(x, g)`` (cumprod's Jacobian
    transposed), ``cumprod_tangent``; of the ``x`` part, itself along ``h``
    (the second derivatives of ``cumprod`` are symmetric in their two axes)."""
    return (
        op("cumprod_adjoint_tangent", x, g, h, attrs=attrs),
        op("cumprod_tangent", x, h, attrs=attrs),
    )


def _cumprod_jvp(tangents, x, ans, attrs):
    return op("cumprod_tangent", x, tangents[0], attrs=attrs)


def _cumprod_vjp(g, x, ans, attrs, ranks):
    return (op("cumprod_adjoint", x, g, attrs=attrs),)


def _tangent_kind(kinds, atoms, attrs):
    """The tangent of ``cumprod(x)``: of its kind (flattened for axis None)."""
    return with_dtype(cumsum_kind(kinds[:1], atoms[:1], attrs), "float")


def _cumprod_kind(kinds, atoms, attrs):
    if kinds[0].rank == 0:
        raise RankError("np.cumprod needs an array")
    return cumsum_kind(kinds, atoms, attrs)


def _cumprod_sympy(args, attrs, number, truth):
    return np.cumprod(np.asarray(args[0], dtype=object), axis=attrs.axis)


def _diff_kind(kinds, atoms, attrs):
    """One difference along ``axis``: one element fewer there (maybe 1, or 0)."""
    k = kinds[0]
    if k.rank == 0:
        raise RankError("np.diff needs an array of rank 1 or more")
    sizes = k.sizes()
    sizes[normalize_axis(attrs.axis, k.rank)] = MAYBE_ONE
    return Kind.of_sizes("float" if k.dtype == "float" else "int", sizes)


def _slices(rank, axis, part):
    """``x[:, 1:]``-style index items: ``part`` along ``axis``, whole elsewhere."""
    return ", ".join([":"] * axis + [part] + [":"] * (rank - axis - 1))


_DIFF_HELPER = """\
def {name}(x):
    \"\"\"np.diff(x, axis={axis}) of a rank-{rank} array (Numba differences the last axis only).\"\"\"
    return x[{later}] - x[{earlier}]"""

_DIFF_ADJOINT_HELPER = """\
def {name}(g, x):
    \"\"\"The adjoint of x in np.diff(x, axis={axis}) (rank {rank}) for the adjoint g of
    the differences: each g added to the later element, subtracted from the earlier.\"\"\"
    out = np.zeros(x.shape, g.dtype)
    out[{later}] += g
    out[{earlier}] -= g
    return out"""


def _diff_names(printer, op_, template, stem):
    rank = printer.kind(op_.args[-1]).rank
    axis = normalize_axis(op_.attrs.axis, rank)
    name = f"{stem}_axis{axis}_{rank}d"
    later, earlier = _slices(rank, axis, "1:"), _slices(rank, axis, ":-1")
    printer.modules.add("np")
    source = template.format(name=name, axis=axis, rank=rank, later=later, earlier=earlier)
    return printer.helper(name, source), rank, axis


def _spell_diff(printer, op_, args):
    rank = printer.kind(op_.args[0]).rank
    if normalize_axis(op_.attrs.axis, rank) == rank - 1:
        return printer.call("np.diff", args)
    name, _, _ = _diff_names(printer, op_, _DIFF_HELPER, "_diff")
    return ast.Call(ast.Name(name), args, [])


def _spell_diff_adjoint(printer, op_, args):
    name, _, _ = _diff_names(printer, op_, _DIFF_ADJOINT_HELPER, "_diff_adjoint")
    return ast.Call(ast.Name(name), args, [])


def _diff_sympy(args, attrs, number, truth):
    return np.diff(np.asarray(args[0], dtype=object), axis=attrs.axis)


NOT_ELEMENTWISE = {"elementwise": False}

# fmt: off
register("cumprod", 1, ("special",), "special", None, None, jvp=_cumprod_jvp, vjp=_cumprod_vjp, result_kind=_cumprod_kind, names=named(numpy="cumprod", methods="cumprod", options=(AXIS,)),
         spell=_spell_cumprod, sympy_arrays=_cumprod_sympy, contiguous=True, **NOT_ELEMENTWISE)
register("cumprod_tangent", 2, ("special",), "special", None, None, result_kind=_tangent_kind, spell=_spell_tangent, **NOT_ELEMENTWISE)  # (x, dx) -> d cumprod(x)
register("cumprod_adjoint", 2, ("special",), "special", None, None, jvp=_adjoint_jvp, vjp=_adjoint_vjp, result_kind=float_like(0), spell=_spell_adjoint, shaped_like=0, **NOT_ELEMENTWISE)  # (x, g) -> x_bar
register("cumprod_adjoint_tangent", 3, ("special",), "special", None, None, result_kind=float_like(0), spell=_spell_adjoint_tangent, shaped_like=0, **NOT_ELEMENTWISE)  # (x, g, s) -> d x_bar along s
register("diff", 1, ("special",), "special", None, None, result_kind=_diff_kind,  spell=_spell_diff, sympy_arrays=_diff_sympy,
         jvp=lambda tangents, x, ans, attrs: op("diff", tangents[0], attrs=attrs),
         vjp=lambda g, x, ans, attrs, ranks: (op("diff_adjoint", g, x, attrs=attrs),), **NOT_ELEMENTWISE)
register("diff_adjoint", 2, ("special",), "special", None, None, result_kind=float_like(1), spell=_spell_diff_adjoint,
         jvp=lambda tangents, g, x, ans, attrs: None if tangents[0] is None else op("diff_adjoint", tangents[0], x, attrs=attrs),
         vjp=lambda g, u, x, ans, attrs, ranks: (op("diff", g, attrs=attrs), None),
         shaped_like=1, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)
# fmt: on
