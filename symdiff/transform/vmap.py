"""Mapping a function over an axis of its arguments: IR -> IR with one loop
around the body (``vmap``).

``f_vmap(*params)`` takes the same parameters; a parameter with an axis is
read one slice per iteration (``X[i]``, ``X[:, i]``), the others whole, and
each output gets a leading axis, written one example per iteration.  The
outputs' shapes come from the body run on the first example before the
loop, of which the optimiser usually keeps only shape reads of the
arguments.  The loop's iterations are independent; with ``parallel`` it
is marked to run across cores (Numba's ``prange``).  The result is ordinary
IR: the body may be a derivative's program, and the map may be
differentiated in turn.
"""

from __future__ import annotations

from .. import ir
from ..analysis import Analysis
from ..errors import ArgumentError
from ..ir import WHOLE, Assign, Attrs, Carry, Const, Loop, Op, Take, Var
from .jacobian import hoisted


def vmap(fn: ir.Function, analysis: Analysis, axes: tuple, parallel: bool) -> ir.Function:
    """``fn`` mapped over ``axes`` (one per parameter: an axis or None)."""
    namer = ir.Namer(ir.defined_names(fn))

    def emit(out: list, prim: str, *args, hint=None, **attrs) -> Var:
        name = namer.fresh(hint) if hint else namer.temp()
        out.append(Assign(name, Op(prim, tuple(args), Attrs(**attrs)), fn.loc))
        return Var(name)

    def example(out: list, at) -> tuple:
        """The body for example ``at``: its statements appended to ``out``, and its outputs."""
        mapping: dict = {}
        for param, axis in zip(fn.params, axes):
            if axis is not None:
                index = (WHOLE,) * axis + (Take(),)
                mapping[param] = emit(out, "getitem", Var(param), at, hint=param, index=index).name
        out.extend(ir.rename(fn.body, mapping, namer))
        return ir.map_result(
            fn.result,
            lambda a: Var(mapping[a.name]) if isinstance(a, Var) and a.name in mapping else a,
        )

    first = next(p for p, axis in zip(fn.params, axes) if axis is not None)
    body: list = []
    size = emit(body, "shape", Var(first), axis=axes[fn.params.index(first)])
    shapes = ir.atoms_of(example(body, Const(0)))  # the outputs' shapes only, mostly
    i = namer.fresh("i")
    inner: list = []
    outputs = ir.atoms_of(example(inner, Var(i)))
    carried, finals = [], []
    for atom, value, shaped in zip(ir.atoms_of(fn.result), outputs, shapes):
        kind = ir.atom_kind(atom, analysis.kinds)
        if kind.dtype != "float":
            raise ArgumentError(
                f"{fn.name} returns {'a bool' if kind.dtype == 'bool' else 'an int'} value; "
                "vmap maps functions with float outputs",
                fn.result_loc or fn.loc,
                "return floats (convert with float() or .astype(float))",
            )
        name = namer.fresh(f"{_base(atom, fn)}_batch")
        sizes = [emit(body, "shape", shaped, axis=axis) for axis in range(kind.rank)]
        start = emit(body, "zeros", size, *sizes)
        index = (Take(),) + (WHOLE,) * kind.rank
        updated = emit(inner, "setitem", value, Var(name), Var(i), index=index)
        carried.append(Carry(name, start, updated))
        finals.append(Var(name))
    before, inside = hoisted(inner, {i, *(c.name for c in carried)})
    body.extend(before)
    body.append(
        Loop(
            tuple(carried),
            tuple(inside),
            i,
            Const(0),
            size,
            Const(1),
            loc=fn.loc,
            parallel=parallel,
        )
    )
    results = iter(finals)
    result = ir.map_result(fn.result, lambda _atom: next(results))
    return ir.Function(
        f"{fn.name}_vmap", fn.params, tuple(body), result, fn.loc, fn.result_loc, fn.doc
    )


def _base(atom, fn: ir.Function) -> str:
    if isinstance(atom, Var) and not atom.name.startswith("$"):
        return ir.version_of(atom.name, ir.defined_names(fn))
    return fn.name
