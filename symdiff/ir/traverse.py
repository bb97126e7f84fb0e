"""Walking and rewriting the IR.

``bodies`` and ``with_bodies`` are the one place that knows which fields of
a statement hold statements; ``walk`` and ``map_bodies`` are built on them.
``reads`` and ``targets`` give what one statement uses and defines;
``rename`` and ``replace_uses`` rewrite a body's names; ``comes_back``
follows a loop-carried value through one iteration; ``BodyVisitor`` is the
base of passes that visit statements in program order.
"""

from __future__ import annotations

import dataclasses

from .names import Namer, version_of
from .nodes import Assign, Carry, Function, If, Loop, Op, Phi, Var


def bodies(stmt) -> tuple:
    """The statement lists nested in ``stmt``, in program order: an ``If``'s
    ``(body, orelse)``, a ``Loop``'s ``(header, body)``, none for an ``Assign``.

    This and ``with_bodies`` are the one place that knows which fields of a
    statement hold statements; passes walk the IR through them (``walk``,
    ``map_bodies``) instead of testing for ``If`` and ``Loop`` by hand."""
    if isinstance(stmt, If):
        return (stmt.body, stmt.orelse)
    if isinstance(stmt, Loop):
        return (stmt.header, stmt.body)
    return ()


def with_bodies(stmt, new: tuple):
    """``stmt`` with its nested statement lists replaced by ``new`` (in the
    order ``bodies`` gives them)."""
    if isinstance(stmt, If):
        return dataclasses.replace(stmt, body=tuple(new[0]), orelse=tuple(new[1]))
    if isinstance(stmt, Loop):
        return dataclasses.replace(stmt, header=tuple(new[0]), body=tuple(new[1]))
    return stmt


def walk(body):
    """Every statement in ``body``, nested ones included, in order."""
    for stmt in body:
        yield stmt
        for inner in bodies(stmt):
            yield from walk(inner)


def map_bodies(body, visit) -> tuple:
    """``body`` rewritten statement by statement, innermost first.

    ``visit(stmt)`` receives each statement with its nested bodies already
    rewritten and returns its replacement: a statement, a list of statements
    (spliced in place), or None (dropped)."""
    out = []
    for stmt in body:
        inner = bodies(stmt)
        if inner:
            stmt = with_bodies(stmt, tuple(map_bodies(b, visit) for b in inner))
        new = visit(stmt)
        if isinstance(new, (list, tuple)):
            out.extend(new)
        elif new is not None:
            out.append(new)
    return tuple(out)


def reads(stmt) -> list:
    """The atoms a statement itself reads (not those of nested statements)."""
    if isinstance(stmt, Assign):
        return list(stmt.value.args) if isinstance(stmt.value, Op) else [stmt.value]
    if isinstance(stmt, If):
        return [stmt.cond] + [a for p in stmt.phis for a in (p.then, p.orelse)]
    return stmt.atoms()


STORES = ("setitem", "additem")  # a[index] = v and a[index] += v: a new version of a


def targets(stmt) -> list:
    """The names a statement itself defines (not those of nested statements)."""
    if isinstance(stmt, Assign):
        return [stmt.target]
    if isinstance(stmt, If):
        return [phi.target for phi in stmt.phis]
    names = [c.name for c in stmt.carried]
    return names if stmt.index is None else [stmt.index, *names]


def defined_in(body) -> set:
    return {name for stmt in walk(body) for name in targets(stmt)}


def defined_names(fn: Function) -> set:
    return set(fn.params) | defined_in(fn.body)


def _map_body(body, atom, define) -> tuple:
    """``body`` with ``atom`` applied to every use and ``define`` to every
    name a statement defines (nested statements included), in program
    order: a name is defined before the statements that read it are mapped."""
    out = []
    for stmt in body:
        if isinstance(stmt, Assign):
            out.append(_map_assign(stmt, atom, define))
        elif isinstance(stmt, If):
            out.append(_map_if(stmt, atom, define))
        else:
            out.append(_map_loop(stmt, atom, define))
    return tuple(out)


def _map_assign(stmt: Assign, atom, define) -> Assign:
    value = stmt.value
    if isinstance(value, Op):
        value = Op(value.prim, tuple(map(atom, value.args)), value.attrs)
    else:
        value = atom(value)
    return Assign(define(stmt.target), value, stmt.loc)


def _map_if(stmt: If, atom, define) -> If:
    cond = atom(stmt.cond)
    body, orelse = (_map_body(inner, atom, define) for inner in bodies(stmt))
    phis = tuple(Phi(define(p.target), atom(p.then), atom(p.orelse)) for p in stmt.phis)
    return If(cond, body, orelse, phis, stmt.loc)


def _map_loop(stmt: Loop, atom, define) -> Loop:
    inits = [atom(c.init) for c in stmt.carried]
    bounds = [atom(a) for a in stmt.bounds] or [None, None, None]
    index = define(stmt.index) if stmt.index is not None else None
    names = [define(c.name) for c in stmt.carried]
    header = _map_body(stmt.header, atom, define)
    cond = atom(stmt.cond) if stmt.cond is not None else None
    body = _map_body(stmt.body, atom, define)
    carried = tuple(
        Carry(name, init, atom(c.next)) for name, init, c in zip(names, inits, stmt.carried)
    )
    exit_ = atom(stmt.exit) if stmt.exit is not None else None
    return Loop(carried, body, index, *bounds, header, cond, exit_, stmt.loc, stmt.parallel)


def rename(body, mapping: dict, namer: Namer) -> tuple:
    """``body`` with every name it defines given a fresh name (``mapping``
    is extended with old -> new) and every use renamed through ``mapping``."""

    def renamed(atom):
        return Var(mapping.get(atom.name, atom.name)) if isinstance(atom, Var) else atom

    def fresh(name):
        hint = version_of(name, namer.taken) if not name.startswith("$") else None
        mapping[name] = namer.fresh(hint) if hint else namer.temp()
        return mapping[name]

    return _map_body(body, renamed, fresh)


def replace_uses(body, mapping: dict) -> tuple:
    """``body`` with every use of a name in ``mapping`` replaced by its atom."""

    def replaced(atom):
        return mapping.get(atom.name, atom) if isinstance(atom, Var) else atom

    return _map_body(body, replaced, str)


def written_in_place(carry: Carry, body) -> bool:
    """Is the carried array's next value its own value written into (on
    every path through the body)?"""

    def written_from(stmt: Assign):
        if isinstance(stmt.value, Op) and stmt.value.prim in STORES:
            return [stmt.value.args[1]]
        return None

    return comes_back(carry, body, written_from)


def comes_back(carry: Carry, body, made_from) -> bool:
    """Is the carried value's next value made from its own value (on every
    path through the body)?  ``made_from(assign)`` gives the atoms a value
    may be made from (all of them), or None for a value made otherwise."""
    sources: dict = {}  # value -> the values it may have been made from
    for stmt in walk(body):
        if isinstance(stmt, Assign) and (atoms := made_from(stmt)) is not None:
            sources[stmt.target] = atoms
        elif isinstance(stmt, If):
            sources.update((p.target, [p.then, p.orelse]) for p in stmt.phis)
        elif isinstance(stmt, Loop):
            inner = [c for c in stmt.carried if comes_back(c, stmt.body, made_from)]
            sources.update((c.name, [c.init]) for c in inner)

    def leads(atom, depth=0) -> bool:
        if atom == Var(carry.name):
            return True
        if not isinstance(atom, Var) or atom.name not in sources or depth > len(sources):
            return False
        return all(leads(a, depth + 1) for a in sources[atom.name])

    return leads(carry.next)


class BodyVisitor:
    """A pass over a body in program order: ``block`` calls the subclass's
    ``assign`` (an ``Assign``), ``branch`` (an ``If``) or ``loop`` (a
    ``Loop``) for each statement; they call ``block`` for inner bodies."""

    def block(self, body):
        for stmt in body:
            if isinstance(stmt, Assign):
                self.assign(stmt)
            elif isinstance(stmt, If):
                self.branch(stmt)
            else:
                self.loop(stmt)
