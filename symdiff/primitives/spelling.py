"""Spellings: how code generation prints primitives on arrays (and the few
scalars whose spelling is ``("special",)``: ``clip``, ``expit``).

Each function here is the ``spell`` of one or more registry entries:
``spell(printer, op, args)`` receives code generation's printer (``kind``,
``call``, ``attribute``, ``helper``, ``float32``...), the ``Op`` and its
printed operands, and returns the Python ``ast`` expression, using only what
Numba compiles in nopython mode.  Where Numba lacks a NumPy form
(``np.max(x, axis=1)``, ``keepdims=True``, run-time size-1 sums, growing
tapes, ``erf`` of an array), the spelling emits a small helper function into
the module (``printer.helper``); the helpers' sources are here too.
"""

from __future__ import annotations

import ast
import re

from ..ir import AxisSize, Take, Var
from .kinds import expanded_axes, reduced_axes
from .registry import PRIMITIVES

ONE, MATCHES = AxisSize.ONE, AxisSize.MATCHES


def subscript(printer, pattern, indices):
    """The subscript for an index pattern (see ``frontend``) and its printed atoms."""
    items, it = [], iter(indices)
    for item in pattern:
        if isinstance(item, Take):
            items.append(next(it))
        else:
            parts = [next(it) if given else None for given in item.bounds()]
            items.append(ast.Slice(*parts))
    return items[0] if len(items) == 1 else ast.Tuple(items)


def getitem(printer, op, args):
    pattern = op.attrs.index
    return ast.Subscript(args[0], subscript(printer, pattern, args[1:]))


def scatter_statements(printer, target, op):
    """zeros like x, with g written at the index: the adjoint of x[index].
    (Lowering assigns the temporaries reading the variable it reassigns
    first: ``g`` is read after it is zeroed.)"""
    g, x = printer.atom(op.args[0]), printer.atom(op.args[1])
    pattern = op.attrs.index
    first = ast.Assign([ast.Name(target)], printer.call("np.zeros_like", [x]))
    indices = [printer.atom(a) for a in op.args[2:]]
    selection = ast.Subscript(ast.Name(target), subscript(printer, pattern, indices))
    return [first, ast.Assign([selection], g)]


def keep_axis(printer, reduced, rank, axis):
    """``reduced`` (a reduction over ``axis`` of a rank-``rank`` array) with
    that axis kept as size 1: ``keepdims=True``, which Numba lacks."""
    if rank == 1:
        return printer.call("np.full", [ast.Constant(1), reduced])
    return printer.call("np.expand_dims", [reduced, ast.Constant(axis)])


def keep_axes(printer, reduced, rank, axes):
    """``reduced`` with each of ``axes`` (ascending, not all of them) kept as size 1."""
    for axis in axes:
        reduced = printer.call("np.expand_dims", [reduced, ast.Constant(axis)])
    return reduced


# Reductions of the rows of a 2-d ``rows`` (``x``, ``x.T`` or a contiguous
# copy), for Numba, which has ``np.max`` and the like over whole arrays only.
# A row at a time costs a call per row: short rows (10 classes of a softmax)
# are combined column by column instead, a whole column at a time, which is
# fast both compiled and as plain NumPy (``jit=False`` runs the same source).
_ROWS_REDUCED = """\
    if rows.shape[1] < rows.shape[0]:  # short rows: combine whole columns
        out = rows[:, 0].copy()
        for j in range(1, rows.shape[1]):
            out = {combine}
    else:
        out = np.empty(rows.shape[0], x.dtype)
        for i in range(rows.shape[0]):
            out[i] = np.{func}(rows[i])"""

_COMBINE = {
    "max": "np.maximum(out, rows[:, j])",
    "min": "np.minimum(out, rows[:, j])",
    "prod": "out * rows[:, j]",
}

_AXIS_HELPER = """\
def {name}(x):
    \"\"\"np.{func}(x, axis={axis}) for a 2-d array, written out for Numba.\"\"\"
    rows = {rows}
{reduced}
    return out"""

_AXES_HELPER = """\
def {name}(x):
    \"\"\"np.{func}(x, axis={axes}{keepdims}) of a rank-{rank} array, for Numba:
    the reduced axes moved last, each row of that copy reduced.\"\"\"
    rows = {rows}
{reduced}
    return out.reshape({shape})"""


def _rows_reduced(func) -> str:
    return _ROWS_REDUCED.format(func=func, combine=_COMBINE[func])


def _sizes(axes, keep_one=()):
    """``x.shape[a]`` of each axis (``1`` for those in ``keep_one``), as source."""
    return ", ".join("1" if a in keep_one else f"x.shape[{a}]" for a in axes)


def _shape(sizes: str) -> str:
    return f"({sizes},)" if "," not in sizes else f"({sizes})"


def _rows(rank, axes) -> tuple[str, tuple]:
    """Source of ``x`` with ``axes`` moved last, as a contiguous 2-d array (one
    row per element of the result), and the permutation that moves them."""
    kept = tuple(a for a in range(rank) if a not in axes)
    order = kept + tuple(axes)
    moved = "x" if order == tuple(range(rank)) else f"x.transpose({order})"
    product = " * ".join(f"x.shape[{a}]" for a in kept)
    size = " * ".join(f"x.shape[{a}]" for a in axes)
    return f"np.ascontiguousarray({moved}).reshape(({product}, {size}))", order


def _axes_helper(printer, func, rank, axes, keepdims) -> str:
    """The helper reducing a rank-``rank`` array over ``axes`` with ``np.<func>``."""
    label = "_".join(map(str, axes))
    name = f"_{func}_axis{label}_{rank}d" + "_keepdims" * keepdims
    rows, _ = _rows(rank, axes)
    if keepdims:
        shape = _shape(_sizes(range(rank), keep_one=axes))
    else:
        shape = _shape(_sizes([a for a in range(rank) if a not in axes]))
    spelled = axes[0] if len(axes) == 1 else axes
    source = _AXES_HELPER.format(
        name=name,
        func=func,
        axes=spelled,
        keepdims=", keepdims=True" * keepdims,
        rank=rank,
        rows=rows,
        shape=shape,
        reduced=_rows_reduced(func),
    )
    printer.modules.add("np")
    return printer.helper(name, source)


def reduction(func):
    """``np.<func>`` over all axes, one axis or a tuple of them, with ``keepdims``:
    sums as NumPy spells them (one axis at a time), ``max``/``min``/``prod``
    along axes by a helper (Numba has them over all axes only)."""

    def spell(printer, op, args):
        attrs = op.attrs
        kind = printer.kind(op.args[0])
        if kind.rank == 0:  # a number is its own reduction
            return args[0]
        axes = reduced_axes(attrs.axis, kind.rank)
        if axes is None:
            value = printer.call(f"np.{func}", args)
            if attrs.keepdims:
                shape = ast.Tuple([ast.Constant(1)] * kind.rank)
                return printer.call("np.full", [shape, value])
            return value
        if func == "sum":
            value = args[0]
            for axis in reversed(axes):  # the higher axes first: the lower keep their numbers
                value = printer.call("np.sum", [value], [("axis", ast.Constant(axis))])
        elif kind.rank == 2:
            axis = axes[0]
            name = printer.helper(
                f"_{func}_axis{axis}",
                _AXIS_HELPER.format(
                    name=f"_{func}_axis{axis}",
                    func=func,
                    axis=axis,
                    rows="x" if axis == 1 else "x.T",
                    reduced=_rows_reduced(func),
                ),
            )
            printer.modules.add("np")
            value = ast.Call(ast.Name(name), args, [])
        else:
            name = _axes_helper(printer, func, kind.rank, axes, attrs.keepdims)
            return ast.Call(ast.Name(name), args, [])
        if attrs.keepdims:
            return keep_axes(printer, value, kind.rank, axes)
        return value

    return spell


def sum_to(printer, op, args):
    """Sum an adjoint over the axes along which its operand was broadcast."""
    g, target = printer.kind(op.args[0]), printer.kind(op.args[1])
    value = args[0]
    if target.rank == 0:
        return printer.call("np.sum", [value])
    if g.rank < target.rank:  # smaller: it broadcasts as it is (see primitives._sum_to_kind)
        return value
    for _ in range(g.rank - target.rank):
        value = printer.call("np.sum", [value], [("axis", ast.Constant(0))])
    for axis in range(target.rank):
        if g.size(axis + (g.rank - target.rank)) is ONE or target.size(axis) is MATCHES:
            continue
        if target.size(axis) is ONE:
            summed = printer.call("np.sum", [value], [("axis", ast.Constant(axis))])
            value = keep_axis(printer, summed, target.rank, axis)
        else:  # size 1 or not: known when the code runs
            name = f"_sum_axis{axis}_if_one_{target.rank}d"
            keep = (
                "np.full(1, np.sum(g))"
                if target.rank == 1
                else (f"np.expand_dims(np.sum(g, axis={axis}), {axis})")
            )
            printer.helper(name, _SUM_IF_ONE.format(name=name, axis=axis, keep=keep))
            printer.modules.add("np")
            value = ast.Call(ast.Name(name), [value, args[1]], [])
    return value


_SUM_IF_ONE = """\
def {name}(g, x):
    \"\"\"g summed over axis {axis} (kept, of size 1) when x has size 1 there: the
    adjoint of a value broadcast along that axis.\"\"\"
    if x.shape[{axis}] == 1 and g.shape[{axis}] != 1:
        return {keep}
    return np.ascontiguousarray(g)"""


def expand_dims(printer, op, args):
    """``np.expand_dims(g, axis)``, one axis at a time for a tuple (Numba takes an int)."""
    rank = printer.kind(op.args[0]).rank
    if rank == 0:
        return args[0]
    axis = op.attrs.axis
    if not isinstance(axis, tuple):
        return printer.call("np.expand_dims", [args[0], ast.Constant(axis)])
    return keep_axes(printer, args[0], rank + len(axis), expanded_axes(axis, rank))


def clip(printer, op, args):
    if any(printer.kind(a).rank for a in op.args):
        return printer.call("np.clip", args)
    return printer.call("min", [printer.call("max", args[:2]), args[2]])


def where(printer, op, args):
    if any(printer.kind(a).rank for a in op.args):
        return printer.call("np.where", args)
    return ast.IfExp(args[0], args[1], args[2])


def contiguous(printer, atom, printed) -> ast.expr:
    """``printed`` (the array ``atom``) as a C-contiguous array: Numba
    reshapes only those, and arguments, slices, transposes and what is
    computed from them may not be."""
    op = printer.defs.get(atom.name) if isinstance(atom, Var) else None
    if op is not None and PRIMITIVES[op.prim].contiguous:
        return printed
    return printer.call("np.ascontiguousarray", [printed])


def reshape(printer, op, args):
    if printer.kind(op.args[0]).rank == 0:  # a number: an array of one element first
        array = printer.call("np.full", [ast.Constant(1), args[0]])
    else:
        array = contiguous(printer, op.args[0], args[0])
    return ast.Call(ast.Attribute(array, "reshape"), [ast.Tuple(args[1:])], [])


def reshape_like(printer, op, args):
    array = contiguous(printer, op.args[0], args[0])
    if printer.kind(op.args[1]).rank == 0:  # back to a number: the one element
        one = ast.Call(ast.Attribute(array, "reshape"), [ast.Constant(1)], [])
        return ast.Subscript(one, ast.Constant(0))
    return ast.Call(ast.Attribute(array, "reshape"), [ast.Attribute(args[1], "shape")], [])


def shape(printer, op, args):
    axis = op.attrs.axis
    return ast.Subscript(ast.Attribute(args[0], "shape"), ast.Constant(axis))


_PROD_OTHERS_HELPER = """\
def _prod_others(x):
    \"\"\"For each element of x, the product of all the others (the derivative of
    np.prod): exclusive products from the left times those from the right, so
    exact where elements are 0.\"\"\"
    flat = x.ravel()
    out = np.empty_like(flat)
    left = {one}
    for i in range(flat.size):
        out[i] = left
        left *= flat[i]
    right = {one}
    for i in range(flat.size - 1, -1, -1):
        out[i] *= right
        right *= flat[i]
    return out.reshape(x.shape)"""

_PROD_OTHERS_AXIS_HELPER = """\
def {name}(x):
    \"\"\"_prod_others along axis {axis} of a 2-d array.\"\"\"
    out = np.empty_like(x)
    for i in range(x.shape[{other}]):
        out[{index}] = _prod_others(x[{index}])
    return out"""


_PROD_OTHERS_AXES_HELPER = """\
def {name}(x):
    \"\"\"_prod_others over axis={axes} of a rank-{rank} array: the axes moved last,
    each row of that copy done, the result moved back.\"\"\"
    rows = {rows}
    out = np.empty_like(rows)
    for i in range(rows.shape[0]):
        out[i] = _prod_others(rows[i])
    return out.reshape({moved}){back}"""


_PROD_OTHERS_TANGENT_HELPER = """\
def _prod_others_tangent(x, s):
    \"\"\"For each element of x, the derivative along s of the product of the
    others (the second derivative of np.prod times s): _prod_others's two
    sweeps on dual numbers (x + s dx), so exact where elements are 0.\"\"\"
    flat = x.ravel()
    step = s.ravel()
    lefts = np.empty_like(flat)
    out = np.empty_like(flat)
    left = {one}
    d_left = {zero}
    for i in range(flat.size):
        lefts[i] = left
        out[i] = d_left
        d_left = d_left * flat[i] + left * step[i]
        left *= flat[i]
    right = {one}
    d_right = {zero}
    for i in range(flat.size - 1, -1, -1):
        out[i] = out[i] * right + lefts[i] * d_right
        d_right = d_right * flat[i] + right * step[i]
        right *= flat[i]
    return out.reshape(x.shape)"""

_PROD_OTHERS_TANGENT_AXES_HELPER = """\
def {name}(x, s):
    \"\"\"_prod_others_tangent over axis={axes} of rank-{rank} arrays: the axes
    moved last, each row of the copies done, the result moved back.\"\"\"
    rows = {rows}
    steps = {steps}
    out = np.empty_like(rows)
    for i in range(rows.shape[0]):
        out[i] = _prod_others_tangent(rows[i], steps[i])
    return out.reshape({moved}){back}"""


def prod_others_tangent(printer, op, args):
    """Per element, the derivative along ``s`` of the product of the others
    over the axes ``np.prod`` reduced: ``H @ s`` for ``np.prod``'s Hessian
    ``H`` (symmetric: also the adjoint of ``prod_others``)."""
    constants = {"one": "1.0", "zero": "0.0"}
    if printer.float32:  # float32 code stays float32
        constants = {"one": "np.float32(1.0)", "zero": "np.float32(0.0)"}
    printer.helper("_prod_others_tangent", _PROD_OTHERS_TANGENT_HELPER.format(**constants))
    printer.modules.add("np")
    rank = printer.kind(op.args[0]).rank
    if rank == 0:  # the product of no other elements: a constant
        return ast.Constant(0.0)
    axes = reduced_axes(op.attrs.axis, rank)
    if axes is None:
        return ast.Call(ast.Name("_prod_others_tangent"), args, [])
    rows, order = _rows(rank, axes)
    back = ""
    if order != tuple(range(rank)):
        back = f".transpose({tuple(order.index(a) for a in range(rank))})"
    name = f"_prod_others_tangent_axis{'_'.join(map(str, axes))}_{rank}d"
    source = _PROD_OTHERS_TANGENT_AXES_HELPER.format(
        name=name,
        axes=axes[0] if len(axes) == 1 else axes,
        rank=rank,
        rows=rows,
        steps=re.sub(r"\bx\b(?!\.shape)", "s", rows),
        moved=_shape(_sizes(order)),
        back=back,
    )
    return ast.Call(ast.Name(printer.helper(name, source)), args, [])


def prod_others(printer, op, args):
    """Per element, the product of the others over the axes ``np.prod`` reduced."""
    one = "np.float32(1.0)" if printer.float32 else "1.0"  # float32 code stays float32
    printer.helper("_prod_others", _PROD_OTHERS_HELPER.format(one=one))
    printer.modules.add("np")
    rank = printer.kind(op.args[0]).rank
    if rank == 0:  # the product of no other elements
        return ast.Constant(1.0)
    axes = reduced_axes(op.attrs.axis, rank)
    if axes is None:
        return ast.Call(ast.Name("_prod_others"), args, [])
    if rank == 2:
        axis = axes[0]
        name = f"_prod_others_axis{axis}"
        index = "i, :" if axis == 1 else ":, i"
        printer.helper(
            name,
            _PROD_OTHERS_AXIS_HELPER.format(name=name, axis=axis, other=1 - axis, index=index),
        )
        return ast.Call(ast.Name(name), args, [])
    rows, order = _rows(rank, axes)
    back = ""
    if order != tuple(range(rank)):
        back = f".transpose({tuple(order.index(a) for a in range(rank))})"
    name = f"_prod_others_axis{'_'.join(map(str, axes))}_{rank}d"
    source = _PROD_OTHERS_AXES_HELPER.format(
        name=name,
        axes=axes[0] if len(axes) == 1 else axes,
        rank=rank,
        rows=rows,
        moved=_shape(_sizes(order)),
        back=back,
    )
    return ast.Call(ast.Name(printer.helper(name, source)), args, [])


_ELEMENTWISE_HELPER = """\
def {name}(x):
    \"\"\"math.{func} of every element (NumPy has no ufunc for it), for Numba.\"\"\"
    flat = x.ravel()
    out = np.empty(flat.size{dtype})
    for i in range(flat.size):
        out[i] = math.{func}(flat[i])
    return out.reshape(x.shape)"""


def math_elementwise(func):
    def spell(printer, op, args):
        if printer.kind(op.args[0]).rank == 0:
            return printer.call(f"math.{func}", args)
        dtype = ", np.float32" if printer.float32 else ""
        name = printer.helper(
            f"_{func}_array",
            _ELEMENTWISE_HELPER.format(name=f"_{func}_array", func=func, dtype=dtype),
        )
        printer.modules.update(("math", "np"))
        return ast.Call(ast.Name(name), args, [])

    return spell


def tape(printer, op, args):
    """An empty tape: one entry per iteration, each of the shape of ``like``
    (or of ``like[select]``, a pattern of indices and whole slices)."""
    n, like = args
    kind = printer.kind(op.args[1])
    select = op.attrs.select
    shape = n
    if select is not None:  # the sizes of the axes that are not indexed
        kept = [a for a in range(kind.rank) if a >= len(select) or not isinstance(select[a], Take)]
        sizes = [ast.Subscript(ast.Attribute(like, "shape"), ast.Constant(a)) for a in kept]
        shape = ast.Tuple([n, *sizes])
    elif kind.rank:
        shape = ast.BinOp(ast.Tuple([n]), ast.Add(), ast.Attribute(like, "shape"))
    dtype = op.attrs.dtype
    if dtype == "float":
        return printer.call("np.empty", [shape, *printer.float_dtype()])
    return printer.call(
        "np.empty", [shape, printer.attribute({"int": "np.int64", "bool": "np.bool_"}[dtype])]
    )


_GROW_HELPER = """\
def _tape_grow(tape, k):
    \"\"\"The tape, or a copy twice as long when entry k is past its end.\"\"\"
    if k < tape.shape[0]:
        return tape
    longer = np.empty((2 * tape.shape[0],) + tape.shape[1:], tape.dtype)
    longer[: tape.shape[0]] = tape
    return longer"""


def tape_grow(printer, op, args):
    printer.helper("_tape_grow", _GROW_HELPER)
    printer.modules.add("np")
    return ast.Call(ast.Name("_tape_grow"), args, [])


def transpose(printer, op, args):
    """``x.T``, or ``np.transpose(x, (1, 0, 2))`` for another order of the
    axes; a number is its own transpose (a Python float has no ``.T``)."""
    rank = printer.kind(op.args[0]).rank
    axes = op.attrs.axes
    if rank == 0 or axes == tuple(range(rank)):
        return args[0]
    if axes is None or axes == tuple(reversed(range(rank))):
        return ast.Attribute(args[0], "T")
    order = ast.Tuple([ast.Constant(axis) for axis in axes])
    return printer.call("np.transpose", [args[0], order])


def copy(printer, op, args):
    """``x.copy()``; a number is its own copy (floats have no ``.copy()``)."""
    if printer.kind(op.args[0]).rank == 0:
        return args[0]
    return ast.Call(ast.Attribute(args[0], "copy"), [], [])


def calling(dotted):
    """``dotted(*args)``: a NumPy function Numba compiles as it is."""
    return lambda printer, op, args: printer.call(dotted, args)


def range_len(printer, op, args):
    return printer.call("len", [printer.call("range", args)])


def size(printer, op, args):
    if printer.kind(op.args[0]).rank == 0:
        return ast.Constant(1)
    return ast.Attribute(args[0], "size")


def created(dotted):
    """``np.zeros((n, m))``: an array of floats (or of ``dtype``) of the given sizes."""

    def spell(printer, op, args):
        if op.attrs.dtype in ("int", "bool"):
            dtype = printer.attribute({"int": "np.int64", "bool": "np.bool_"}[op.attrs.dtype])
            return printer.call(dotted, [ast.Tuple(args), dtype])
        return printer.call(dotted, [ast.Tuple(args), *printer.float_dtype()])

    return spell


def eye(printer, op, args):
    return printer.call("np.eye", args, [("dtype", dtype) for dtype in printer.float_dtype()])


def broadcast_like(printer, op, args):
    """``g`` broadcast to the shape of ``y``: ``np.full_like(y, g)`` for a
    float number onto floats (one pass), else ``np.zeros_like(y) + g``."""
    g, y = printer.kind(op.args[0]), printer.kind(op.args[1])
    if g.rank == 0 and g.dtype == "float" and y.dtype == "float":
        return printer.call("np.full_like", [args[1], args[0]])
    return ast.BinOp(printer.call("np.zeros_like", [args[1]]), ast.Add(), args[0])


def vectorised(func):
    """The spelling of ``func`` on arrays: ``vmath.<func>(x)`` (``symdiff.vmath``:
    NumPy's ``np.<func>`` in plain Python, a loop Numba compiles to SIMD code)."""

    def spell(printer, op, args):
        return ast.Call(ast.Attribute(printer.imported_name("symdiff", "vmath"), func), args, [])

    return spell


def expit(printer, op, args):
    """``1 / (1 + exp(-x))``: scipy.special.expit, which Numba lacks, written out."""
    negated = [ast.UnaryOp(ast.USub(), args[0])]
    if printer.kind(op.args[0]).rank:
        exp = vectorised("exp")(printer, op, negated)
    else:
        exp = printer.call("math.exp", negated)
    return ast.BinOp(printer.const(1.0), ast.Div(), ast.BinOp(printer.const(1.0), ast.Add(), exp))


def cumsum(printer, op, args):
    """``np.cumsum(x)`` (flattened) or ``np.cumsum(x, axis=k)``."""
    axis = op.attrs.axis
    if axis is None:
        return printer.call("np.cumsum", args)
    axis %= printer.kind(op.args[0]).rank
    return printer.call("np.cumsum", args, [("axis", ast.Constant(axis))])


def flip(printer, op, args):
    """``x[::-1]``, ``x[:, ::-1]``...: a view reversed along an axis (all for None)."""
    rank = printer.kind(op.args[0]).rank
    axis = op.attrs.axis
    backwards = ast.Slice(None, None, ast.UnaryOp(ast.USub(), ast.Constant(1)))
    if axis is None:
        items = [backwards] * rank
    else:
        items = [ast.Slice()] * (axis % rank) + [backwards]
    return ast.Subscript(args[0], items[0] if len(items) == 1 else ast.Tuple(items))


def triangle(func):
    """``np.tril(x, k)``/``np.triu(x, k)`` (``func``); of a matrix, a helper
    that copies it row by row in one pass (Numba's ``np.tril`` builds a mask
    and selects through it, several passes).  ``k`` is 0 when the operation
    has no offset operand (``linalg``'s triangles)."""
    source = _TRIANGLES[func]

    def spell(printer, op, args):
        offset = list(args[1:]) or [ast.Constant(0)]
        if printer.kind(op.args[0]).rank != 2:
            return printer.call(f"np.{func}", [args[0], *offset])
        name = printer.helper(f"_{func}", source.format(name=f"_{func}"))
        printer.modules.add("np")
        return ast.Call(ast.Name(name), [args[0], *offset], [])

    return spell


_TRIANGLES = {
    "tril": """\
def {name}(x, k):
    \"\"\"np.tril(x, k) of a matrix, row by row: each row's first elements, then zeros.\"\"\"
    rows, columns = x.shape
    out = np.empty((rows, columns), x.dtype)
    for i in range(rows):
        stop = min(max(i + k + 1, 0), columns)
        out[i, :stop] = x[i, :stop]
        out[i, stop:] = 0
    return out""",
    "triu": """\
def {name}(x, k):
    \"\"\"np.triu(x, k) of a matrix, row by row: zeros, then each row's last elements.\"\"\"
    rows, columns = x.shape
    out = np.empty((rows, columns), x.dtype)
    for i in range(rows):
        start = min(max(i + k, 0), columns)
        out[i, :start] = 0
        out[i, start:] = x[i, start:]
    return out""",
}
