"""IR -> IR simplification, run to a fixed point on derivative code.

* constant folding, with Python's own arithmetic on the constants;
* algebraic identities that are exact in IEEE arithmetic: ``x*1``, ``x/1``,
  ``x-0``, ``x**1``, ``x*-1 -> -x``, ``--x -> x``, ``x + -y -> x - y``...
  (``x + 0 -> x`` differs only in the sign of a zero result).  ``0*x`` is
  never folded: it is ``nan`` for ``x = inf`` or ``nan``;
* copy propagation, keeping the user's and the adjoints' names in preference
  to temporaries;
* common-subexpression elimination (value numbering; commutative operands
  in a canonical order; a value computed before an ``if`` is reused inside
  it, one computed inside a branch is not reused outside);
* dead-code elimination (every primitive is pure).

``Builder`` turns the nested expressions of derivative rules into IR
statements, applying the same folding and identities as it goes.
"""

from __future__ import annotations

import dataclasses
import math

from .. import ir
from ..analysis import const_kind
from ..ir import Assign, Carry, Const, If, Loop, Op, Phi, Var
from ..primitives import PRIMITIVES, E, broadcast


def _is(atom, value) -> bool:
    """Is ``atom`` the numeric constant ``value`` (not a bool)?"""
    return (
        isinstance(atom, Const)
        and not isinstance(atom.value, bool)
        and atom.value == value
        and math.copysign(1.0, atom.value) == math.copysign(1.0, value)
    )


def _number(atom) -> bool:
    return isinstance(atom, Const) and not isinstance(atom.value, bool)


def _exact_scale(atom) -> bool:
    """Is multiplying by ``atom`` exact: a constant +-2**k with k >= 0?"""
    if not _number(atom) or not math.isfinite(atom.value) or abs(atom.value) < 1:
        return False
    return math.frexp(abs(atom.value))[0] == 0.5


def _key(atom):
    if isinstance(atom, Const):
        return ("c", type(atom.value).__name__, repr(atom.value))
    return ("v", atom.name)


def _neg_arg(atom, defs):
    """``y`` if ``atom`` is a variable defined as ``-y``, else None."""
    if isinstance(atom, Var):
        op = defs.get(atom.name)
        if op is not None and op.prim == "neg":
            return op.args[0]
    return None


def _reciprocal_of(atom, defs):
    """``b`` if ``atom`` is a variable defined as ``1 / b``, else None."""
    if isinstance(atom, Var):
        op = defs.get(atom.name)
        if op is not None and op.prim == "div" and _is(op.args[0], 1.0):
            return op.args[1]
    return None


def _kind_of_atom(atom, kinds: dict):
    if isinstance(atom, Const):
        return const_kind(atom.value)
    return kinds.get(atom.name)


def _keeps_shape(chosen, others, kinds: dict | None) -> bool:
    """May a broadcasting operation be replaced by its operand ``chosen``: is
    ``chosen`` already of the shape the ``others`` broadcast it to?  Without
    ``kinds`` (a caller that does not track shapes) operands are taken to be
    of one shape."""
    if kinds is None:
        return True
    have = _kind_of_atom(chosen, kinds)
    if have is None:  # a new temporary: only scalars around it cannot widen it
        return all(getattr(_kind_of_atom(a, kinds), "rank", None) == 0 for a in others)
    known = [_kind_of_atom(a, kinds) for a in others]
    return None not in known and _shape_of(broadcast([have, *known])) == _shape_of(have)


def simplify_op(op: Op, defs: dict, uses: dict | None = None, kinds: dict | None = None):
    """An equivalent atom or simpler operation.

    ``defs`` maps names to their defining ``Op``; ``kinds`` (optional) the
    kinds of values, without which no rewrite that may change a shape is safe
    for arrays.  The result may nest one ``Op`` inside another (``-(a *
    b)``); ``materialize`` flattens it.
    """
    prim, args = op.prim, op.args
    if args and all(isinstance(a, Const) for a in args):
        try:
            value = PRIMITIVES[prim].evaluate(*(a.value for a in args))
        except (ArithmeticError, ValueError, TypeError):
            value = None
        if isinstance(value, (bool, int, float)):
            return Const(value)
    if prim == "add":
        x, y = args
        if _is(y, 0.0) or _is(y, -0.0):
            return x
        if _is(x, 0.0) or _is(x, -0.0):
            return y
        if (ny := _neg_arg(y, defs)) is not None:
            return Op("sub", (x, ny))
        if (nx := _neg_arg(x, defs)) is not None:
            return Op("sub", (y, nx))
    elif prim == "sub":
        x, y = args
        if _is(y, 0.0):
            return x
        if _is(x, 0.0) or _is(x, -0.0):
            return simplify_op(Op("neg", (y,)), defs)
        if (ny := _neg_arg(y, defs)) is not None:
            return Op("add", (x, ny))
        if (nx := _neg_arg(x, defs)) is not None:  # -a - b -> -(a + b), exact
            return Op("neg", (Op("add", (nx, y)),))
    elif prim in ("mul", "div"):
        x, y = args
        if _is(y, 1.0):
            return x
        if _is(y, -1.0):
            return simplify_op(Op("neg", (x,)), defs)
        if prim == "mul":
            if _is(x, 1.0):
                return y
            if _is(x, -1.0):
                return simplify_op(Op("neg", (y,)), defs)
            # a * (1 / b) -> a / b: one rounding instead of two, when the
            # reciprocal is not shared (a shared one saves divisions).
            for a, b in ((x, y), (y, x)):
                den = _reciprocal_of(b, defs)
                if den is not None and uses is not None and uses.get(b.name) == 1:
                    return simplify_op(Op("div", (a, den)), defs, uses)
            # c1 * (c2 * e) -> (c1 * c2) * e when c2 * e is exact (c2 = +-2**k, k >= 0).
            for a, b in ((x, y), (y, x)):
                inner = defs.get(b.name) if isinstance(b, Var) and _number(a) else None
                if inner is not None and inner.prim == "mul":
                    for c, e in (inner.args, inner.args[::-1]):
                        if _exact_scale(c):
                            return simplify_op(Op("mul", (Const(a.value * c.value), e)), defs, uses)
        # Signs move outwards, where add/sub absorb them: (-a) * b -> -(a * b).
        nx, ny = _neg_arg(x, defs), _neg_arg(y, defs)
        if nx is not None and ny is not None:
            return Op(prim, (nx, ny))
        if nx is not None or ny is not None:
            inner = Op(prim, (nx if nx is not None else x, ny if ny is not None else y))
            return Op("neg", (inner,))
    elif prim == "pow":
        if _is(args[1], 1.0):
            return args[0]
    elif prim == "neg":
        if (inner := _neg_arg(args[0], defs)) is not None:
            return inner
    elif prim == "where":
        cond, a, b = args
        if isinstance(cond, Const):
            chosen, other = (a, b) if cond.value else (b, a)
            if _keeps_shape(chosen, (other,), kinds):
                return chosen
        if _key(a) == _key(b) and _keeps_shape(a, (cond,), kinds):
            return a
    return op


def materialize(node, namer: ir.Namer, out: list, defs: dict, loc=None, uses=None, kinds=None):
    """Simplify ``node`` (an atom or nested ``Op``) into statements; return the
    atom or the final flat ``Op`` (not yet assigned)."""
    if not isinstance(node, Op):
        return node
    args = []
    for arg in node.args:
        flat = materialize(arg, namer, out, defs, loc, uses, kinds)
        if isinstance(flat, Op):
            name = namer.temp()
            out.append(Assign(name, flat, loc))
            defs[name] = flat
            flat = Var(name)
        args.append(flat)
    new = simplify_op(Op(node.prim, tuple(args), node.attrs), defs, uses, kinds)
    if isinstance(new, Op) and any(isinstance(a, Op) for a in new.args):
        return materialize(new, namer, out, defs, loc, uses, kinds)
    return new


def _cse_key(op: Op):
    keys = [_key(a) for a in op.args]
    if PRIMITIVES[op.prim].commutative:
        keys.sort()
    return (op.prim, tuple(keys), op.attrs)


class Builder:
    """Emits the statements computing a rule's expression; returns its atom.

    ``emit(e, hint)`` names the final value ``hint`` when it is a new value
    (a copy ``hint = t`` that ``simplify`` coalesces into ``t``'s definition).
    ``kinds`` are the kinds of the values the rules read (see ``simplify_op``).
    """

    def __init__(self, namer: ir.Namer, out: list, defs: dict, kinds: dict, loc=None):
        self.namer, self.out, self.defs, self.kinds, self.loc = namer, out, defs, kinds, loc

    def emit(self, expr, hint: str | None = None):
        node = expr.node if isinstance(expr, E) else expr
        atom = self._flatten(node)
        if hint is not None and isinstance(atom, Var) and atom.name.startswith("$"):
            name = self.namer.fresh(hint)
            self.out.append(Assign(name, atom, self.loc))
            return Var(name)
        return atom

    def _flatten(self, node):
        new = materialize(node, self.namer, self.out, self.defs, self.loc, kinds=self.kinds)
        if not isinstance(new, Op):
            return new
        name = self.namer.temp()
        self.out.append(Assign(name, new, self.loc))
        self.defs[name] = new
        return Var(name)

    def total(self, terms, hint=None):
        """The sum of ``terms`` (atoms); None when there are none."""
        if not terms:
            return None
        expr = E(terms[0])
        for term in terms[1:]:
            expr = expr + E(term)
        return self.emit(expr, hint)


# ---------------------------------------------------------------------------
# Passes.


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
        for s in body:
            if isinstance(s, Assign):
                if isinstance(s.value, Var) and rename.get(s.value.name) == s.target:
                    continue
                value = (
                    Op(s.value.prim, tuple(map(atom, s.value.args)), s.value.attrs)
                    if isinstance(s.value, Op)
                    else atom(s.value)
                )
                out.append(Assign(rename.get(s.target, s.target), value, s.loc))
            elif isinstance(s, Loop):
                out.append(map_loop(s, atom, lambda b: tuple(block(b))))
            else:
                phis = tuple(
                    Phi(rename.get(p.target, p.target), atom(p.then), atom(p.orelse))
                    for p in s.phis
                )
                out.append(
                    If(atom(s.cond), tuple(block(s.body)), tuple(block(s.orelse)), phis, s.loc)
                )
        return out

    return ir.Function(
        fn.name,
        fn.params,
        tuple(block(fn.body)),
        ir.map_result(fn.result, atom),
        fn.loc,
        fn.result_loc,
        fn.doc,
    )


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
    )


def _same_shape(atom, defs: dict, kinds: dict):
    """A value with the shape of ``atom`` that is computed earlier (an operand
    of the same kind of an elementwise operation), so that ``atom`` itself
    need not be computed just for its shape."""
    while isinstance(atom, Var) and atom.name in defs and atom.name in kinds:
        source = defs[atom.name]
        if source.prim in ir.STORES:  # written into: the same array
            atom = source.args[1]
            continue
        if not PRIMITIVES[source.prim].elementwise:
            break
        if kinds[atom.name].maybe:  # sizes that may be 1: equal kinds, unequal shapes
            break
        same = [
            a for a in source.args if isinstance(a, Var) and kinds.get(a.name) == kinds[atom.name]
        ]
        if not same:
            break
        atom = same[0]
    return atom


def _shape_source(op: Op, defs: dict, kinds: dict):
    """Read shapes from where they are known first (see ``_same_shape``), and
    ``t.size``/``t.shape[k]`` of reductions and products from their operands."""
    shape_reads = PRIMITIVES[op.prim].shape_reads  # operands read only for their shape
    index = min(shape_reads) if shape_reads else None
    if index is None or not isinstance(op.args[index], Var):
        return op
    args = list(op.args)
    args[index] = _same_shape(args[index], defs, kinds)
    op = Op(op.prim, tuple(args), op.attrs)
    if op.prim not in ("size", "shape"):
        return op
    target = op.args[0].name
    kind, source = kinds.get(target), defs.get(target)
    if kind is None or source is None:
        return op
    if op.prim == "size":
        if kind.rank != 1:
            return op
        op = Op("shape", op.args, (("axis", 0),))
    axis = dict(op.attrs)["axis"] % kind.rank

    def shape_of(atom, k):
        if not isinstance(atom, Var):
            return op
        return _shape_source(Op("shape", (atom,), (("axis", k),)), defs, kinds)

    if source.prim in ("sum", "amax", "amin", "prod"):
        attrs = dict(source.attrs)
        k = attrs.get("axis")
        x = source.args[0]
        rank = kinds[x.name].rank if isinstance(x, Var) and x.name in kinds else None
        if k is not None and rank is not None:
            k %= rank
            if attrs.get("keepdims"):
                return Const(1) if axis == k else shape_of(x, axis)
            return shape_of(x, axis + (axis >= k))
    elif source.prim in ("dot", "matmul"):
        a, b = source.args
        ranks = [
            kinds[v.name].rank if isinstance(v, Var) and v.name in kinds else 0 for v in (a, b)
        ]
        if ranks == [2, 2]:
            return shape_of(a, 0) if axis == 0 else shape_of(b, 1)
        if ranks == [2, 1]:
            return shape_of(a, 0)
        if ranks == [1, 2]:
            return shape_of(b, 1)
    return op


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
        for a in ir.reads(stmt):
            use(a)
    for a in ir.atoms_of(fn.result):
        use(a)
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
        return have.dtype != want.dtype or _shape_of(have) != _shape_of(want)
    return (want.dtype == "float" and not isinstance(new.value, float)) or want.rank > 0


def _shape_of(kind) -> tuple:
    return (kind.rank, kind.unit, kind.maybe)


def simplify(fn: ir.Function, kinds: dict | None = None, reciprocals=False) -> ir.Function:
    """Folding, identities, copy propagation and CSE in one walk.

    ``kinds`` (optional) enables rewrites that depend on shapes;
    ``reciprocals`` folds ``a * (1 / b)`` into ``a / b`` where ``1 / b`` is not
    shared (run once CSE has found what is shared)."""
    shapes_known = kinds  # None: folds that may change a shape are not checked
    kinds = kinds or {}
    fn = _coalesce(fn)
    uses = _use_counts(fn) if reciprocals else None
    namer = ir.Namer(ir.defined_names(fn))
    subst: dict = {}
    defs: dict = {}

    def atom(a):
        return subst.get(a.name, a) if isinstance(a, Var) else a

    def block(body, avail) -> list:
        out = []
        for s in body:
            if isinstance(s, Assign):
                if isinstance(s.value, Op):
                    op = Op(s.value.prim, tuple(map(atom, s.value.args)), s.value.attrs)
                    op = _shape_source(op, defs, kinds)
                    op = _int_offsets(op, defs, kinds.get(s.target))
                    new = materialize(op, namer, out, defs, s.loc, uses, shapes_known)
                    if _changes_kind(new, s.target, kinds):  # int * 1.0 stays a float
                        new = op
                else:
                    new = atom(s.value)
                if not isinstance(new, Op):
                    subst[s.target] = new
                    continue
                key = _cse_key(new) if not PRIMITIVES[new.prim].fresh else None  # two are never one
                if key in avail:
                    subst[s.target] = Var(avail[key])
                    continue
                if key is not None:
                    avail[key] = s.target
                defs[s.target] = new
                out.append(Assign(s.target, new, s.loc))
                continue
            if isinstance(s, Loop):
                out.append(loop(s, avail))
                continue
            cond = atom(s.cond)
            if isinstance(cond, Const):  # the branch is known: inline it
                out.extend(block(s.body if cond.value else s.orelse, avail))
                for phi in s.phis:
                    subst[phi.target] = atom(phi.then if cond.value else phi.orelse)
                continue
            body_ = block(s.body, dict(avail))
            orelse = block(s.orelse, dict(avail))
            phis = []
            for phi in s.phis:
                then, other = atom(phi.then), atom(phi.orelse)
                if _key(then) == _key(other):
                    subst[phi.target] = then
                else:
                    phis.append(Phi(phi.target, then, other))
            out.append(If(cond, tuple(body_), tuple(orelse), tuple(phis), s.loc))
        return out

    def loop(s: Loop, avail) -> Loop:
        # A carry the body leaves unchanged is its initial value throughout.
        carried = []
        for c in s.carried:
            if c.next == Var(c.name) or atom(c.next) == atom(c.init):
                subst[c.name] = atom(c.init)
            else:
                carried.append(c)
        new = map_loop(s, atom, lambda b: tuple(block(b, dict(avail))), tuple(carried))
        for c in new.carried:  # an array the loop only writes into keeps its shape
            if isinstance(c.init, Var) and ir.written_in_place(c, new.body):
                defs.setdefault(c.name, Op("copy", (c.init,)))
        if isinstance(new.exit, Const) and not new.exit.value:  # never breaks
            new = dataclasses.replace(new, exit=None)
        return new

    body = _merge_ifs(block(fn.body, {}))
    return ir.Function(
        fn.name,
        fn.params,
        tuple(body),
        ir.map_result(fn.result, atom),
        fn.loc,
        fn.result_loc,
        fn.doc,
    )


def _merge_ifs(body) -> list:
    """``if c: A else: B`` followed by ``if c: C else: D`` becomes one
    ``if c: A; C else: B; D`` (the reverse sweep of a branch in a loop body
    follows its recomputation)."""
    out: list = []
    for s in body:
        if isinstance(s, If):
            s = dataclasses.replace(
                s, body=tuple(_merge_ifs(s.body)), orelse=tuple(_merge_ifs(s.orelse))
            )
        elif isinstance(s, Loop):
            s = dataclasses.replace(
                s, body=tuple(_merge_ifs(s.body)), header=tuple(_merge_ifs(s.header))
            )
        last = out[-1] if out else None
        if isinstance(s, If) and isinstance(last, If) and _key(last.cond) == _key(s.cond):
            then = {p.target: p.then for p in last.phis}
            other = {p.target: p.orelse for p in last.phis}
            phis = tuple(
                Phi(
                    p.target,
                    then.get(p.then.name, p.then) if isinstance(p.then, Var) else p.then,
                    other.get(p.orelse.name, p.orelse) if isinstance(p.orelse, Var) else p.orelse,
                )
                for p in s.phis
            )
            out[-1] = If(
                last.cond,
                last.body + ir.replace_uses(s.body, then),
                last.orelse + ir.replace_uses(s.orelse, other),
                last.phis + phis,
                last.loc,
            )
            continue
        out.append(s)
    return out


def _vars(values):
    return {v.name for v in values if isinstance(v, Var)}


def dce(fn: ir.Function) -> ir.Function:
    """Drop assignments, phis and branches whose values are never used."""
    live = _vars(ir.atoms_of(fn.result))

    def loop(s: Loop):
        """The carries whose values are used after the loop or by the body,
        found by iterating to a fixed point; None if none are."""
        needed = {c.name for c in s.carried if c.name in live}
        if not needed:  # a pure loop whose values nobody reads
            return None
        while True:
            live.update(_vars(c.next for c in s.carried if c.name in needed))
            live.update(_vars(a for a in (s.cond, s.exit) if a is not None))
            body, header = block(s.body), block(s.header)
            more = {c.name for c in s.carried if c.name in live} - needed
            if not more:
                break
            needed |= more
        if not needed:
            return None
        live.update(_vars(c.init for c in s.carried if c.name in needed))
        live.update(_vars(s.bounds))
        carried = tuple(c for c in s.carried if c.name in needed)
        return dataclasses.replace(s, carried=carried, body=body, header=header)

    def block(body) -> tuple:
        out = []
        for s in reversed(body):
            if isinstance(s, Assign):
                if s.target in live:
                    live.update(_vars(s.value.args if isinstance(s.value, Op) else (s.value,)))
                    out.append(s)
                continue
            if isinstance(s, Loop):
                new = loop(s)
                if new is not None:
                    out.append(new)
                continue
            phis = tuple(p for p in s.phis if p.target in live)
            for p in phis:
                live.update(_vars((p.then, p.orelse)))
            body_, orelse = block(s.body), block(s.orelse)
            if body_ or orelse or phis:
                live.update(_vars((s.cond,)))
                out.append(If(s.cond, body_, orelse, phis, s.loc))
        return tuple(reversed(out))

    return ir.Function(fn.name, fn.params, block(fn.body), fn.result, fn.loc, fn.result_loc, fn.doc)


def optimize(fn: ir.Function, kinds: dict | None = None, max_rounds: int = 20) -> ir.Function:
    """Run ``simplify`` and ``dce`` until nothing changes, then fold the
    reciprocals that ended up unshared, and tidy up again."""

    def fixed_point(fn):
        for _ in range(max_rounds):
            new = dce(simplify(fn, kinds))
            if new == fn:
                break
            fn = new
        return fn

    fn = fixed_point(fn)
    return fixed_point(dce(simplify(fn, kinds, reciprocals=True)))
