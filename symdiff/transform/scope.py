"""Derivative code made ready to be differentiated by reverse mode again.

Reverse-mode code reads values of a branch after the ``If`` that made them,
without a phi: the reverse sweep of an ``If`` in a loop body is an ``If`` on
the same condition that follows the branch's recomputation, and reads the
values recomputed there (``if not c: s_4 = ...`` ... ``if c: ... else: ...
s_4 ...``).  Python allows it, as the later read runs only where the value
was made.  Reverse mode over such code needs each read to see its value
through the ``If`` (the adjoint of ``s_4`` is joined after the later ``If``
and taken back into the branch that made it), so ``joined_branch_values``
gives every such value a phi: the value on the side that makes it, a
placeholder of its kind on the other (``0.0``, an empty array), which no
run reads.
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..ir import Assign, Carry, Const, If, Kind, Op, Phi, Var


def joined_branch_values(fn: ir.Function, kinds: dict) -> ir.Function:
    """``fn`` with each value read after the ``If`` whose branch defines it
    read through a new phi of that ``If`` (innermost ``If`` first)."""
    namer = ir.Namer(ir.defined_names(fn))
    while (found := _escaping(fn)) is not None:
        branch, name = found
        joined = (
            namer.temp() if name.startswith("$") else namer.fresh(ir.version_of(name, namer.taken))
        )
        kinds[joined] = kinds[name]
        fn = _joined(fn, branch, name, joined, _placeholder(kinds[name], namer, kinds))
    return fn


def _escaping(fn: ir.Function):
    """The innermost ``If`` and a value defined in one of its branches that
    is read outside it (not by its own phis), or None."""
    reads = _read_counts(ir.walk(fn.body))
    ir.map_result(fn.result, lambda atom: _count(reads, atom))
    branches = [s for s in ir.walk(fn.body) if isinstance(s, If)]
    for branch in reversed(branches):  # an inner If comes after the If around it
        inside = _read_counts(ir.walk(branch.body + branch.orelse))
        for phi in branch.phis:
            _count(inside, phi.then)
            _count(inside, phi.orelse)
        for stmt in ir.walk(branch.body + branch.orelse):
            for name in ir.targets(stmt):
                if reads.get(name, 0) > inside.get(name, 0):
                    return branch, name
    return None


def _read_counts(stmts) -> dict:
    counts: dict = {}
    for stmt in stmts:
        for atom in ir.reads(stmt):
            _count(counts, atom)
    return counts


def _count(counts: dict, atom):
    if isinstance(atom, Var):
        counts[atom.name] = counts.get(atom.name, 0) + 1


def _placeholder(kind: Kind, namer: ir.Namer, kinds: dict):
    """A value of ``kind`` for the side of the ``If`` that does not make the
    value: ``(statements, atom)``."""
    if not kind.rank:
        return (), Const({"float": 0.0, "int": 0, "bool": False}[kind.dtype])
    name = namer.temp()
    kinds[name] = kind
    empty = Op("zeros", (Const(0),) * kind.rank, ir.Attrs(dtype=kind.dtype))
    return (Assign(name, empty),), Var(name)


def _joined(fn: ir.Function, branch: If, name: str, joined: str, placeholder) -> ir.Function:
    """``fn`` with ``branch`` given the phi ``joined`` of ``name`` and every
    read of ``name`` outside ``branch`` reading ``joined`` instead."""
    code, other = placeholder
    in_body = name in ir.defined_in(branch.body)

    def replaced(atom):
        return Var(joined) if atom == Var(name) else atom

    def rewrite(body) -> tuple:
        out = []
        for stmt in body:
            if stmt is branch:
                phi = Phi(joined, Var(name), other) if in_body else Phi(joined, other, Var(name))
                sides = (
                    (stmt.body, stmt.orelse + code) if in_body else (stmt.body + code, stmt.orelse)
                )
                out.append(
                    dataclasses.replace(
                        stmt, body=sides[0], orelse=sides[1], phis=stmt.phis + (phi,)
                    )
                )
            elif any(s is branch for s in ir.walk([stmt])):
                out.append(
                    _own_replaced(
                        ir.with_bodies(stmt, tuple(map(rewrite, ir.bodies(stmt)))), replaced
                    )
                )
            else:
                out.extend(ir.replace_uses((stmt,), {name: Var(joined)}))
        return tuple(out)

    result = ir.map_result(fn.result, replaced)
    return dataclasses.replace(fn, body=rewrite(fn.body), result=result)


def _own_replaced(stmt, replaced):
    """``stmt`` (an ``If`` or a ``Loop``) with its own operands replaced."""
    if isinstance(stmt, If):
        phis = tuple(Phi(p.target, replaced(p.then), replaced(p.orelse)) for p in stmt.phis)
        return dataclasses.replace(stmt, cond=replaced(stmt.cond), phis=phis)
    carried = tuple(Carry(c.name, replaced(c.init), replaced(c.next)) for c in stmt.carried)
    fields = {"carried": carried}
    for field in ("start", "stop", "step", "cond", "exit"):
        value = getattr(stmt, field)
        if value is not None:
            fields[field] = replaced(value)
    return dataclasses.replace(stmt, **fields)
