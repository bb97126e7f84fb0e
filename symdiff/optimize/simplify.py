"""Folding, identities, copy propagation and CSE, in one walk over the IR.

* the rules of ``rules`` (constant folding, exact identities), applied to
  every operation;
* copy propagation, keeping the user's and the adjoints' names in preference
  to temporaries (``_coalesce``);
* common-subexpression elimination (value numbering; commutative operands
  in a canonical order; a value computed before an ``if`` is reused inside
  it, one computed inside a branch is not reused outside); new arrays
  (``Primitive.fresh``: ``np.eye(n)``, ``np.zeros(n)``, a copy) are merged
  only where neither is written into (``_written_arrays``), and random draws
  never;
* an ``if`` on a known condition is inlined, two ``if``s on one condition
  in a row are merged, a carry the loop leaves unchanged is dropped.
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..ir import Assign, Carry, Const, If, Loop, Op, Phi, Var
from ..primitives import PRIMITIVES
from ..primitives.algebra import atom_key, materialize, shape_of
from ..primitives.random import DRAW_PRIMITIVES
from .rows import summed_rows
from .shapes import shape_source


def _cse_key(op: Op):
    keys = [atom_key(a) for a in op.args]
    if PRIMITIVES[op.prim].commutative:
        keys.sort()
    return (op.prim, tuple(keys), op.attrs)


def _written_arrays(fn: ir.Function) -> frozenset:
    """The values whose memory code may write into or reuse: the arrays of
    array writes and copies, and what they may share memory with, closed over
    those links: copies, phis, carries, and the operands of any operation (a
    view, a tape grown or not: to be safe, every operation)."""
    sources: dict = {}  # a value -> the values whose memory it may be

    def link(name, *atoms):
        sources.setdefault(name, []).extend(a.name for a in atoms if isinstance(a, Var))

    written = []
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, Assign):
            value = stmt.value
            if isinstance(value, Var):
                link(stmt.target, value)
            else:
                if value.prim in ir.STORES or value.prim == "copy":
                    written.append(value.args[1 if value.prim in ir.STORES else 0])
                link(stmt.target, *value.args)
        elif isinstance(stmt, If):
            for phi in stmt.phis:
                link(phi.target, phi.then, phi.orelse)
        elif isinstance(stmt, Loop):
            for carry in stmt.carried:
                link(carry.name, carry.init, carry.next)
    seen: set = set()
    todo = [a.name for a in written if isinstance(a, Var)]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(sources.get(name, ()))
    return frozenset(seen)


def _shareable(op: Op, target: str, written: frozenset) -> bool:
    """May ``op`` be merged with an equal operation: not a new array code
    writes into (two such are never one), and not a random draw."""
    prim = PRIMITIVES[op.prim]
    if not prim.fresh:
        return True
    return target not in written and op.prim not in DRAW_PRIMITIVES


def _coalesce(fn: ir.Function) -> ir.Function:
    """Fold copies ``name = $t`` into the definition of the temporary ``$t``."""
    rename = {}
    for stmt in ir.walk(fn.body):
        if (
            isinstance(stmt, Assign)
            and isinstance(stmt.value, Var)
            and stmt.value.name.startswith("$")
            and not stmt.target.startswith("$")
            and stmt.value.name not in rename
        ):
            rename[stmt.value.name] = stmt.target
    if not rename:
        return fn

    def atom(a):
        return Var(rename.get(a.name, a.name)) if isinstance(a, Var) else a

    def block(body):
        out = []
        for stmt in body:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Var) and rename.get(stmt.value.name) == stmt.target:
                    continue
                value = (
                    Op(stmt.value.prim, tuple(map(atom, stmt.value.args)), stmt.value.attrs)
                    if isinstance(stmt.value, Op)
                    else atom(stmt.value)
                )
                out.append(Assign(rename.get(stmt.target, stmt.target), value, stmt.loc))
            elif isinstance(stmt, Loop):
                out.append(map_loop(stmt, atom, lambda inner: tuple(block(inner))))
            else:
                phis = tuple(
                    Phi(rename.get(p.target, p.target), atom(p.then), atom(p.orelse))
                    for p in stmt.phis
                )
                then, orelse = tuple(block(stmt.body)), tuple(block(stmt.orelse))
                out.append(If(atom(stmt.cond), then, orelse, phis, stmt.loc))
        return out

    return _with_body(fn, tuple(block(fn.body)), ir.map_result(fn.result, atom))


def _with_body(fn: ir.Function, body: tuple, result) -> ir.Function:
    return ir.Function(fn.name, fn.params, body, result, fn.loc, fn.result_loc, fn.doc)


def map_loop(loop: Loop, atom, block, carried=None) -> Loop:
    """``loop`` with ``atom`` applied to its own atoms and ``block`` to its
    header and body (``carried`` replaces the carries, before ``atom``)."""

    def opt(a):
        return None if a is None else atom(a)

    carries = loop.carried if carried is None else carried
    inits = [atom(c.init) for c in carries]
    bounds = [opt(loop.start), opt(loop.stop), opt(loop.step)]
    header = block(loop.header)
    body = block(loop.body)  # before the next values, which the body defines
    return Loop(
        tuple(Carry(c.name, init, atom(c.next)) for c, init in zip(carries, inits)),
        body,
        loop.index,
        *bounds,
        header,
        opt(loop.cond),
        opt(loop.exit),
        loop.loc,
        loop.parallel,
    )


def _offset(op) -> int | None:
    """``k`` if ``op`` is ``a + k`` or ``a - (-k)`` with an int constant, else None."""
    if op is None or op.prim not in ("add", "sub") or not isinstance(op.args[1], Const):
        return None
    value = op.args[1].value
    if type(value) is not int:
        return None
    return value if op.prim == "add" else -value


def _int_offsets(op, defs: dict, kind):
    """``(a - 1) - 1`` -> ``a - 2`` on ints, where it is exact (loop bounds, indices)."""
    if not isinstance(op, Op):  # already an atom (a size known to be 1)
        return op
    outer = _offset(op)
    if kind != ir.INT or outer is None or not isinstance(op.args[0], Var):
        return op
    inner = defs.get(op.args[0].name)
    offset = _offset(inner)
    if offset is None:
        return op
    total = offset + outer
    return Op("add" if total >= 0 else "sub", (inner.args[0], Const(abs(total))))


def _use_counts(fn: ir.Function) -> dict:
    counts: dict = {}

    def use(atom):
        if isinstance(atom, Var):
            counts[atom.name] = counts.get(atom.name, 0) + 1

    for stmt in ir.walk(fn.body):
        for atom in ir.reads(stmt):
            use(atom)
    for atom in ir.atoms_of(fn.result):
        use(atom)
    return counts


def _changes_kind(new, target: str, kinds: dict) -> bool:
    """Would replacing ``target`` by the atom ``new`` change its dtype (an int
    kept where ``int * 1.0`` made a float) or its shape (a scalar where
    ``np.where(c, 0.0, g)`` with ``c`` known made an array)?"""
    if isinstance(new, Op) or target not in kinds:
        return False
    want = kinds[target]
    if isinstance(new, Var):
        have = kinds.get(new.name)
        if have is None:
            return False
        return have.dtype != want.dtype or shape_of(have) != shape_of(want)
    return (want.dtype == "float" and not isinstance(new.value, float)) or want.rank > 0


class _Simplifier:
    """One walk of ``simplify``: ``subst`` maps the values found equal to an
    atom to that atom, ``defs`` the values kept to their ``Op``; ``avail``
    (per block) maps CSE keys to the value that computes them."""

    def __init__(self, fn: ir.Function, kinds: dict | None, uses: dict | None):
        self.shapes_known = kinds  # None: folds that may change a shape are not checked
        self.kinds = kinds or {}
        self.uses = uses
        # ``kinds`` was computed before the first round: a name it knows, even
        # one a round dropped, is never reused for a new value of another kind.
        self.namer = ir.Namer(ir.defined_names(fn) | set(self.kinds))
        self.subst: dict = {}
        self.defs: dict = {}
        self.written = _written_arrays(fn)

    def atom(self, a):
        return self.subst.get(a.name, a) if isinstance(a, Var) else a

    def block(self, body, avail) -> list:
        out: list = []
        for stmt in body:
            if isinstance(stmt, Assign):
                self.assign(stmt, avail, out)
            elif isinstance(stmt, Loop):
                out.append(self.loop(stmt, avail))
            else:
                self.branch(stmt, avail, out)
        return out

    def assign(self, stmt: Assign, avail: dict, out: list):
        atom, kinds = self.atom, self.kinds
        if isinstance(stmt.value, Op):
            op = Op(stmt.value.prim, tuple(map(atom, stmt.value.args)), stmt.value.attrs)
            op = shape_source(op, self.defs, kinds)
            op = summed_rows(op, self.defs, kinds)
            op = _int_offsets(op, self.defs, kinds.get(stmt.target))
            new = materialize(
                op, self.namer, out, self.defs, stmt.loc, self.uses, self.shapes_known
            )
            if _changes_kind(new, stmt.target, kinds):  # int * 1.0 stays a float
                new = op
        else:
            new = atom(stmt.value)
        if not isinstance(new, Op):
            self.subst[stmt.target] = new
            return
        key = _cse_key(new) if _shareable(new, stmt.target, self.written) else None
        if key in avail:
            self.subst[stmt.target] = Var(avail[key])
            return
        if key is not None:
            avail[key] = stmt.target
        self.defs[stmt.target] = new
        out.append(Assign(stmt.target, new, stmt.loc))

    def branch(self, stmt: If, avail: dict, out: list):
        atom = self.atom
        cond = atom(stmt.cond)
        if isinstance(cond, Const):  # the branch is known: inline it
            out.extend(self.block(stmt.body if cond.value else stmt.orelse, avail))
            for phi in stmt.phis:
                self.subst[phi.target] = atom(phi.then if cond.value else phi.orelse)
            return
        body = self.block(stmt.body, dict(avail))
        orelse = self.block(stmt.orelse, dict(avail))
        phis = []
        for phi in stmt.phis:
            then, other = atom(phi.then), atom(phi.orelse)
            if atom_key(then) == atom_key(other):
                self.subst[phi.target] = then
            else:
                phis.append(Phi(phi.target, then, other))
        out.append(If(cond, tuple(body), tuple(orelse), tuple(phis), stmt.loc))

    def loop(self, stmt: Loop, avail) -> Loop:
        atom = self.atom
        # A carry the body leaves unchanged is its initial value throughout.
        carried = []
        for carry in stmt.carried:
            if carry.next == Var(carry.name) or atom(carry.next) == atom(carry.init):
                self.subst[carry.name] = atom(carry.init)
            else:
                carried.append(carry)
        new = map_loop(
            stmt, atom, lambda inner: tuple(self.block(inner, dict(avail))), tuple(carried)
        )
        for carry in new.carried:  # an array the loop only writes into keeps its shape
            if isinstance(carry.init, Var) and ir.written_in_place(carry, new.body):
                self.defs.setdefault(carry.name, Op("copy", (carry.init,)))
        if isinstance(new.exit, Const) and not new.exit.value:  # never breaks
            new = dataclasses.replace(new, exit=None)
        return new


def simplify(fn: ir.Function, kinds: dict | None = None, reciprocals=False) -> ir.Function:
    """Folding, identities, copy propagation and CSE in one walk.

    ``kinds`` (optional) enables rewrites that depend on shapes;
    ``reciprocals`` folds ``a * (1 / b)`` into ``a / b`` where ``1 / b`` is not
    shared (run once CSE has found what is shared)."""
    fn = _coalesce(fn)
    walk = _Simplifier(fn, kinds, _use_counts(fn) if reciprocals else None)
    body = _merge_ifs(walk.block(fn.body, {}))
    return _with_body(fn, tuple(body), ir.map_result(fn.result, walk.atom))


def _merge_ifs(body) -> list:
    """``if c: A else: B`` followed by ``if c: C else: D`` becomes one
    ``if c: A; C else: B; D`` (the reverse sweep of a branch in a loop body
    follows its recomputation)."""
    out: list = []
    for stmt in body:
        stmt = ir.with_bodies(stmt, tuple(tuple(_merge_ifs(inner)) for inner in ir.bodies(stmt)))
        last = out[-1] if out else None
        if isinstance(stmt, If) and isinstance(last, If) and _same_condition(last, stmt):
            out[-1] = _merged(last, stmt)
            continue
        out.append(stmt)
    return out


def _same_condition(first: If, second: If) -> bool:
    return atom_key(first.cond) == atom_key(second.cond)


def _merged(first: If, second: If) -> If:
    """One ``If`` running ``first`` then ``second`` (on the same condition)."""
    then = {p.target: p.then for p in first.phis}
    other = {p.target: p.orelse for p in first.phis}
    phis = tuple(
        Phi(
            p.target,
            then.get(p.then.name, p.then) if isinstance(p.then, Var) else p.then,
            other.get(p.orelse.name, p.orelse) if isinstance(p.orelse, Var) else p.orelse,
        )
        for p in second.phis
    )
    return If(
        first.cond,
        first.body + ir.replace_uses(second.body, then),
        first.orelse + ir.replace_uses(second.orelse, other),
        first.phis + phis,
        first.loc,
    )
