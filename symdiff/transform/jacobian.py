"""Jacobians as one program: IR -> IR whose result is every block
``d output / d parameter``, shaped ``output.shape + parameter.shape`` (JAX's
layout).

By forward mode (``jacfwd``) the primal runs once, then one loop per array
parameter runs the JVP once per element of that parameter, with the basis
direction as its tangent, and stores the tangents of the outputs as the
columns of the blocks.  The JVP's copy of the primal reads only values the
first run computed, so common-subexpression elimination leaves the loop with
the tangent code alone.  By reverse mode (``jacrev``) the forward sweep runs
once per output (recording its tapes), then one loop per array output runs the
backward sweep once per element of that output, with the basis cotangent as
its seed, and stores the adjoints as the rows.  A scalar parameter (forward)
or output (reverse) needs no loop.

The result is ordinary IR: loops stay loops, it is optimised, compiled and
printed as one function, and it can be differentiated again.
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..analysis import Analysis, analyze
from ..ir import WHOLE, Assign, Attrs, Carry, Const, Loop, Op, Take, Var
from ..primitives import PRIMITIVES, Unbatched
from .batch import batched
from .forward import forward
from .reverse import sweeps_of


class _Program:
    """The statements of the Jacobian being built and the names they take."""

    def __init__(self, fn: ir.Function, analysis: Analysis):
        self.fn = fn
        self.analysis = analysis
        self.namer = ir.Namer(ir.defined_names(fn))
        self.ranks: dict = {}  # ranks of values this module renamed
        self.originals: dict = {}  # renamed value -> the value of fn it copies

    def emit(self, out: list, prim: str, *args, hint=None, **attrs) -> Var:
        name = self.namer.fresh(hint) if hint else self.namer.temp()
        out.append(Assign(name, Op(prim, tuple(args), Attrs(**attrs)), self.fn.loc))
        return Var(name)

    def rank(self, atom) -> int:
        if isinstance(atom, Var) and atom.name in self.ranks:
            return self.ranks[atom.name]
        return ir.atom_kind(atom, self.analysis.kinds).rank

    def kind(self, atom) -> ir.Kind:
        """The kind of a value of ``fn`` (or of its renamed copy, by name)."""
        if isinstance(atom, Var) and atom.name in self.originals:
            atom = self.originals[atom.name]
        return ir.atom_kind(atom, self.analysis.kinds)

    def shape(self, out: list, atom, rank: int) -> list:
        return [self.emit(out, "shape", atom, axis=axis) for axis in range(rank)]

    def basis(self, out: list, like, rank: int, size: Var, k: Var, hint: str) -> Var:
        """The array of ``like``'s shape (and kind: its size-1 axes) with 1.0
        at flat position ``k``, 0.0 elsewhere."""
        plain = rank == 1 and not self.kind(like).unit
        flat = self.emit(out, "zeros", size, hint=hint if plain else None)
        one = self.emit(out, "setitem", Const(1.0), flat, k, index=(Take(),))
        if plain:  # zeros(size) has like's shape
            return one
        return self.emit(out, "reshape_like", one, like, hint=hint)

    def renamed(self, body, mapping: dict) -> tuple:
        """``body`` with fresh names for all it defines (``mapping`` extended)."""
        return ir.rename(body, mapping, self.namer)

    def base(self, atom) -> str:
        """The user's name for an output, for the names of its blocks."""
        if isinstance(atom, Var) and not atom.name.startswith("$"):
            return ir.version_of(atom.name, ir.defined_names(self.fn))
        return self.fn.name

    def block_name(self, output, param: str) -> str:
        return self.namer.fresh(f"d{self.base(output)}_d{param}")

    def zero_block(self, out: list, output, param: str):
        """``d output / d param`` where ``output`` does not depend on ``param``."""
        ranks = self.rank(output), self.rank(Var(param))
        if not any(ranks):
            return Const(0.0)
        sizes = self.shape(out, output, ranks[0]) + self.shape(out, Var(param), ranks[1])
        return self.emit(out, "zeros", *sizes, hint=self.block_name(output, param))

    def filled(self, body: list, k: str, size: Var, inner: list, rows: list, by_rows: bool):
        """One loop over ``k`` in ``range(size)`` that stores, per entry of
        ``rows`` ``(output, param, value, flat)``, the flattened ``value``
        as row (``by_rows``) or column ``k`` of a block of ``flat`` (the
        other side's size, None for a scalar) by ``size`` entries; returns
        the blocks, reshaped to ``output.shape + param.shape``."""
        carried, after, blocks = [], [], []
        for output, param, value, flat in rows:
            name = self.block_name(output, param)
            sizes = (size, flat) if by_rows else (flat, size)
            sizes = tuple(s for s in sizes if s is not None)
            start = self.emit(body, "zeros", *sizes)
            value_rank = self.rank(Var(param)) if by_rows else self.rank(output)
            if value_rank > 1:
                value = self.emit(inner, "reshape", value, Const(-1))
            if len(sizes) == 1:
                index = (Take(),)
            else:
                index = (Take(), WHOLE) if by_rows else (WHOLE, Take())
            updated = self.emit(inner, "setitem", value, Var(name), Var(k), index=index)
            carried.append(Carry(name, start, updated))
            ranks = self.rank(output), self.rank(Var(param))
            if max(ranks) <= 1:  # the block has its shape already
                blocks.append(Var(name))
                continue
            shape = self.shape(after, output, ranks[0]) + self.shape(after, Var(param), ranks[1])
            blocks.append(self.emit(after, "reshape", Var(name), *shape, hint=name))
        before, inside = hoisted(inner, {k, *(c.name for c in carried)})
        body.extend(before)
        loop = Loop(tuple(carried), tuple(inside), k, Const(0), size, Const(1), loc=self.fn.loc)
        body.append(loop)
        body.extend(after)
        return blocks

    def stored(self, body: list, col: Var, stop: Var, sizes: tuple, inner: list, rows, param):
        """One loop over chunks ``col:stop`` (``sizes``: the number of
        directions and of those in a chunk) of the directions that
        stores, per entry of ``rows`` ``(output, tangents)`` (the output's
        tangents for the chunk's directions, one per row), their transpose
        as columns ``col:stop`` of a block ``output.size`` by ``size``;
        returns the blocks, shaped ``output.shape + param.shape``."""
        size, width = sizes
        carried, after, blocks = [], [], []
        span = (ir.Span(start=True, stop=True),)
        for output, tangents in rows:
            name = self.block_name(output, param)
            out_rank, rank = self.rank(output), self.rank(Var(param))
            if out_rank == 0:  # one number per direction: a row of the gradient
                start = self.emit(body, "zeros", size)
                updated = self.emit(inner, "setitem", tangents, Var(name), col, stop, index=span)
            else:
                count = self.emit(body, "size", output)
                start = self.emit(body, "zeros", count, size)
                if out_rank > 1:
                    tangents = self.emit(inner, "reshape", tangents, Const(-1), count)
                columns = self.emit(inner, "transpose", tangents)
                index = (WHOLE,) + span
                updated = self.emit(inner, "setitem", columns, Var(name), col, stop, index=index)
            carried.append(Carry(name, start, updated))
            if out_rank <= 1 and rank == 1:  # the block has its shape already
                blocks.append(Var(name))
                continue
            shape = self.shape(after, output, out_rank) + self.shape(after, Var(param), rank)
            blocks.append(self.emit(after, "reshape", Var(name), *shape, hint=name))
        before, inside = hoisted(inner, {col.name, *(c.name for c in carried)})
        body.extend(before)
        loop = Loop(tuple(carried), tuple(inside), col.name, Const(0), size, width, loc=self.fn.loc)
        body.append(loop)
        body.extend(after)
        return blocks


def hoisted(body, varying: set) -> tuple:
    """``(before, inside)``: the statements of a loop's ``body`` that read
    nothing that changes from one iteration to the next (``varying``: the
    index and what the iteration sets first), which can run once before the
    loop, and the others.  Used on the loops this package builds, whose
    bodies are copies of code that runs once anyway (a JVP's primal, the
    partials of a backward sweep, the work on unmapped arguments); new
    arrays stay inside, where the iteration may write into them."""
    varying = set(varying)
    before, inside = [], []
    for stmt in body:
        inner = set(ir.defined_in([stmt])) - set(ir.targets(stmt))
        reads = {
            a.name
            for s in ir.walk([stmt])
            for a in ir.reads(s)
            if isinstance(a, Var) and a.name not in inner
        }
        fresh = isinstance(stmt, Assign) and isinstance(stmt.value, Op)
        fresh = fresh and PRIMITIVES[stmt.value.prim].fresh
        if reads & varying or fresh or (not isinstance(stmt, Assign) and inner & varying):
            inside.append(stmt)
            varying.update(ir.defined_in([stmt]))
        else:
            before.append(stmt)
    return before, inside


def jacobian(fn: ir.Function, analysis: Analysis, wrt: tuple, single: bool, by_forward: bool):
    """``f_jacobian(*params)``: for each output atom (``fn.result`` may be a
    tuple of them, a derivative's), its block for each ``wrt`` parameter (one
    block, not a tuple, when ``single``), by forward or reverse mode."""
    program = _Program(fn, analysis)
    outputs = ir.atoms_of(fn.result)
    body: list = []
    blocks: dict = {}  # (output position, parameter position) -> atom
    if by_forward:
        body.extend(fn.body)
        for j, param in enumerate(wrt):
            _columns(program, body, outputs, j, param, blocks)
    else:
        for i, output in enumerate(outputs):
            _rows(program, body, i, output, wrt, blocks)
    positions = iter(range(len(outputs)))

    def per_output(_atom):
        i = next(positions)
        row = tuple(blocks[i, j] for j in range(len(wrt)))
        return row[0] if single else row

    result = ir.map_result(fn.result, per_output)
    return ir.Function(
        f"{fn.name}_jacobian", fn.params, tuple(body), result, fn.loc, fn.result_loc, fn.doc
    )


def _mapped(atom, mapping: dict):
    if isinstance(atom, Var) and atom.name in mapping:
        return Var(mapping[atom.name])
    return atom


def _is_zero(atom) -> bool:
    return isinstance(atom, Const) and atom.value == 0


def _columns(program: _Program, body: list, outputs, j: int, param: str, blocks: dict):
    """The blocks of every output for ``param``, by forward mode."""
    jvp = forward(program.fn, program.analysis, (param,), "jvp", True)
    direction = jvp.params[-1]
    tangents = ir.atoms_of(jvp.result[1])
    rank = program.rank(Var(param))
    mapping: dict = {}
    if rank == 0:  # one direction: the tangent 1.0
        seeded = ir.replace_uses(jvp.body, {direction: Const(1.0)})
        body.extend(program.renamed(seeded, mapping))
        for i, tangent in enumerate(tangents):
            tangent = _mapped(tangent, mapping)
            blocks[i, j] = (
                tangent if not _is_zero(tangent) else program.zero_block(body, outputs[i], param)
            )
        return
    if _block_columns(program, body, outputs, j, param, jvp, blocks):
        return
    size = program.emit(body, "size", Var(param))
    k = program.namer.fresh("col")
    inner: list = []
    mapping[direction] = program.basis(inner, Var(param), rank, size, Var(k), direction).name
    inner.extend(program.renamed(jvp.body, mapping))
    rows, where = [], []
    for i, (output, tangent) in enumerate(zip(outputs, tangents)):
        tangent = _mapped(tangent, mapping)
        if _is_zero(tangent):
            blocks[i, j] = program.zero_block(body, output, param)
            continue
        count = program.emit(body, "size", output) if program.rank(output) else None
        rows.append((output, param, tangent, count))
        where.append(i)
    for i, block in zip(where, program.filled(body, k, size, inner, rows, by_rows=False)):
        blocks[i, j] = block


# Directions per sweep of the block JVP: as many as keep the chunk of basis
# directions (chunk x parameter size) within BUDGET numbers, so that blocks
# stay small enough for the cache however large the parameter (a Hessian of
# n = 1,000 sweeps 32 directions at a time, one of n = 100 all 100 at once).
BUDGET = 32768


def _block_columns(program: _Program, body: list, outputs, j: int, param: str, jvp, blocks):
    """The blocks of every output for the array ``param`` from the JVP run
    for ``CHUNK`` directions at a time (``transform.batch``): the directions
    are rows of the identity, and the tangent of each output a block whose
    rows are columns of the Jacobian.  False (nothing emitted) where the JVP
    has no block form."""
    direction = jvp.params[-1]
    fn, analysis = program.fn, program.analysis
    mapping: dict = {}  # the JVP's names -> names of the Jacobian
    jvp = dataclasses.replace(jvp, body=program.renamed(jvp.body, mapping))
    kinds = [analysis.kinds[p] for p in fn.params] + [analysis.kinds[param]]
    facts = analyze(jvp, kinds, generated=True, alike={direction: param})
    rank = program.rank(Var(param))
    code: list = []
    size = program.emit(code, "size", Var(param))
    nonzero = program.emit(code, "max", Const(1), size)  # no division by an empty parameter
    fitting = program.emit(code, "floordiv", Const(BUDGET), nonzero)
    width = program.emit(code, "max", Const(1), fitting, hint="chunk")
    col = program.namer.fresh("col")
    inner: list = []
    stop = program.emit(inner, "add", Var(col), width)
    left = program.emit(inner, "sub", size, Var(col))
    count = program.emit(inner, "min", width, left)
    # the chunk's directions: rows col.. of the identity, each shaped like param
    seed = program.emit(inner, "eye", count, size, Var(col), hint=direction if rank == 1 else None)
    if rank > 1:
        shape = program.shape(code, Var(param), rank)
        seed = program.emit(inner, "reshape", seed, count, *shape, hint=direction)
    try:
        stmts, made = batched(jvp.body, facts, program.namer, count, {direction: seed})
    except Unbatched:
        return False
    zeros = {s.target for s in jvp.body if _makes_zeros(s)}
    tangents = []
    for tangent in ir.atoms_of(jvp.result[1]):
        tangent = _mapped(tangent, mapping)
        if _is_zero(tangent) or (isinstance(tangent, Var) and tangent.name in zeros):
            tangents.append(None)
        elif isinstance(tangent, Var) and tangent.name in made:
            tangents.append(made[tangent.name])
        else:  # a tangent not made from the block: leave it to the loop
            return False
    body.extend(code)
    inner.extend(stmts)
    rows, where = [], []
    for i, (output, tangent) in enumerate(zip(outputs, tangents)):
        if tangent is None:
            blocks[i, j] = program.zero_block(body, output, param)
            continue
        rows.append((output, tangent))
        where.append(i)
    stored = program.stored(body, Var(col), stop, (size, width), inner, rows, param)
    for i, block in zip(where, stored):
        blocks[i, j] = block
    return True


def _makes_zeros(stmt) -> bool:
    return (
        isinstance(stmt, Assign)
        and isinstance(stmt.value, Op)
        and stmt.value.prim in ("zeros", "zeros_like")
    )


def _rows(program: _Program, body: list, i: int, output, wrt: tuple, blocks: dict):
    """The blocks of ``output`` for every parameter, by reverse mode."""
    if not isinstance(output, Var) or output.name not in program.analysis.active:
        body.extend(program.fn.body)  # the value, for the blocks' shapes (shared by CSE)
        for j, param in enumerate(wrt):
            blocks[i, j] = program.zero_block(body, output, param)
        return
    out_rank = program.rank(output)
    sweeps = sweeps_of(program.fn, program.analysis, wrt, bool(out_rank), output, program.namer)
    mapping: dict = {}
    if not out_rank:  # one cotangent: 1.0
        body.extend(program.renamed(sweeps.forward + sweeps.backward, mapping))
        for j, grad in enumerate(sweeps.grads):
            blocks[i, j] = _mapped(grad, mapping)
        return
    body.extend(program.renamed(sweeps.forward, mapping))
    value = _mapped(output, mapping)
    program.ranks[value.name] = out_rank  # the output, renamed: the blocks' shapes read it
    program.originals[value.name] = output
    size = program.emit(body, "size", value)
    k = program.namer.fresh("row")
    inner: list = []
    seed = sweeps.seeds[0]
    mapping[seed] = program.basis(inner, value, out_rank, size, Var(k), seed).name
    inner.extend(program.renamed(sweeps.backward, mapping))
    rows = []
    for param, grad in zip(wrt, sweeps.grads):
        count = program.emit(body, "size", Var(param)) if program.rank(Var(param)) else None
        rows.append((value, param, _mapped(grad, mapping), count))
    for j, block in enumerate(program.filled(body, k, size, inner, rows, by_rows=True)):
        blocks[i, j] = block
