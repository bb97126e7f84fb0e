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
from ..ir import WHOLE, Assign, Attrs, Carry, Const, If, Loop, Op, Take, Var
from .jacobian import hoisted


def vmap(
    fn: ir.Function, analysis: Analysis, axes: tuple, parallel: bool, out_axes=0
) -> ir.Function:
    """``fn`` mapped over ``axes`` (one per parameter: an axis or None), its
    outputs' examples along ``out_axes`` (see ``api.vmap``)."""
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
    placed = _output_axes(fn, analysis, axes, out_axes)
    atoms = ir.atoms_of(fn.result)
    known = [_sizes(body, emit, analysis, a, fn, axes) for a in atoms]
    needed = any(sizes is None for sizes, axis in zip(known, placed) if axis is not None)
    once = needed or None in placed  # example 0: outputs' shapes, values of unmapped ones
    shapes = ir.atoms_of(example(body, Const(0))) if once else atoms
    i = namer.fresh("i")
    inner: list = []
    outputs = ir.atoms_of(example(inner, Var(i)))
    carried, finals = [], []
    for atom, value, shaped, sizes, axis in zip(atoms, outputs, shapes, known, placed):
        kind = ir.atom_kind(atom, analysis.kinds)
        if kind.dtype != "float":
            raise ArgumentError(
                f"{fn.name} returns {'a bool' if kind.dtype == 'bool' else 'an int'} value; "
                "vmap maps functions with float outputs",
                fn.result_loc or fn.loc,
                "return floats (convert with float() or .astype(float))",
            )
        if axis is None:  # the same for every example: computed once
            finals.append(shaped)
            continue
        name = namer.fresh(f"{_base(atom, fn)}_batch")
        if sizes is None:
            sizes = [emit(body, "shape", shaped, axis=a) for a in range(kind.rank)]
        start = emit(body, "zeros", *sizes[:axis], size, *sizes[axis:])
        index = (WHOLE,) * axis + (Take(),) + (WHOLE,) * (kind.rank - axis)
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


def _output_axes(fn: ir.Function, analysis: Analysis, axes: tuple, out_axes) -> list:
    """One ``out_axes`` entry per output atom, made non-negative; None only
    for outputs that do not depend on the mapped parameters."""
    placed = _per_atom(fn.result, out_axes, fn)
    mapped = _dependent(fn, {p for p, axis in zip(fn.params, axes) if axis is not None})
    out = []
    for atom, axis in zip(ir.atoms_of(fn.result), placed):
        rank = ir.atom_kind(atom, analysis.kinds).rank
        if axis is None:
            if isinstance(atom, Var) and atom.name in mapped:
                raise ArgumentError(
                    f"vmap of {fn.name}: out_axes=None for an output that depends on the "
                    "mapped arguments (it differs from example to example)",
                    fn.result_loc or fn.loc,
                    "give that output an axis in out_axes (0 puts the examples first)",
                )
            out.append(None)
            continue
        if not -rank - 1 <= axis <= rank:
            raise ArgumentError(
                f"vmap of {fn.name}: out_axes={axis} is out of range for an output of rank "
                f"{rank} (its examples make rank {rank + 1})",
                fn.result_loc or fn.loc,
                f"give an axis from {-rank - 1} to {rank}",
            )
        out.append(axis % (rank + 1))
    return out


def _per_atom(result, out_axes, fn: ir.Function) -> list:
    """``out_axes`` (a prefix of the result's tuple structure) spread over its atoms."""
    if not isinstance(out_axes, tuple):
        return [out_axes] * len(ir.atoms_of(result))
    if not isinstance(result, tuple) or len(result) != len(out_axes):
        count = len(result) if isinstance(result, tuple) else "no tuple"
        raise ArgumentError(
            f"vmap of {fn.name}: out_axes={out_axes!r} has {len(out_axes)} entries for a "
            f"result with {count} elements",
            fn.result_loc or fn.loc,
            "give out_axes one entry per element of the returned tuple, or one int for all",
        )
    return [axis for part, axes in zip(result, out_axes) for axis in _per_atom(part, axes, fn)]


def _dependent(fn: ir.Function, sources: set) -> set:
    """The values that depend on ``sources`` (through data or through the
    conditions and bounds that decide them)."""
    found = set(sources)
    while True:
        before = len(found)
        _mark(fn.body, found, False)
        if len(found) == before:
            return found


def _mark(body, found: set, decided: bool):
    def reads(stmt):
        return decided or any(isinstance(a, Var) and a.name in found for a in ir.reads(stmt))

    for stmt in body:
        if isinstance(stmt, Assign):
            if reads(stmt):
                found.add(stmt.target)
            continue
        control = decided or (
            isinstance(stmt, If)
            and isinstance(stmt.cond, Var)
            and stmt.cond.name in found
            or isinstance(stmt, Loop)
            and any(isinstance(a, Var) and a.name in found for a in (*stmt.bounds, stmt.cond))
        )
        for inner in ir.bodies(stmt):
            _mark(inner, found, control)
        if control:  # which branch runs, how many iterations: every value it joins
            found.update(ir.targets(stmt))
        else:  # a phi or a carried value reading a dependent one
            _mark_joins(stmt, found)


def _mark_joins(stmt, found: set):
    if isinstance(stmt, If):
        for phi in stmt.phis:
            if any(isinstance(a, Var) and a.name in found for a in (phi.then, phi.orelse)):
                found.add(phi.target)
        return
    for carry in stmt.carried:
        if any(isinstance(a, Var) and a.name in found for a in (carry.init, carry.next)):
            found.add(carry.name)
    if stmt.exit is not None and isinstance(stmt.exit, Var) and stmt.exit.name in found:
        found.update(c.name for c in stmt.carried)


def _sizes(body: list, emit, analysis: Analysis, atom, fn: ir.Function, axes: tuple):
    """The sizes of an output's axes from its extents, read from the
    arguments' shapes without running an example (``body`` gets the
    statements), or None where an extent is not known that way."""
    if not isinstance(atom, Var):
        return []
    extents = analysis.extents.get(atom.name)
    kind = analysis.kinds[atom.name]
    if extents is None or len(extents) != kind.rank:
        return None if kind.rank else []
    plan = []
    for extent in extents:
        if extent is None:
            return None
        base, cut = extent
        if base[0] == "const":
            plan.append((Const(max(base[1] - cut, 0)), 0))
        elif base[0] == "arg" and base[1] in fn.params:
            axis = axes[fn.params.index(base[1])]
            at = base[2] if axis is None or base[2] < axis else base[2] + 1
            plan.append(((base[1], at), cut))
        elif base[0] == "int" and base[1] in fn.params:
            plan.append((Var(base[1]), cut))
        else:
            return None
    sizes = []
    for source, cut in plan:
        if isinstance(source, tuple):
            source = emit(body, "shape", Var(source[0]), axis=source[1])
        if cut:
            source = emit(body, "max", emit(body, "sub", source, Const(cut)), Const(0))
        sizes.append(source)
    return sizes


def _base(atom, fn: ir.Function) -> str:
    if isinstance(atom, Var) and not atom.name.startswith("$"):
        return ir.version_of(atom.name, ir.defined_names(fn))
    return fn.name
