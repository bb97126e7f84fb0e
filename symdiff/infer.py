"""Kinds and activity for one argument signature.

``analyze(fn, param_kinds, wrt)`` gives the kind (``ir.Kind``) of every value
and the set of *active* values: floats that depend on a differentiated
parameter.  Only active values get tangents or adjoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir
from .errors import ArgumentError
from .ir import BOOL, FLOAT, INT, Assign, Const, Kind, Op, Var
from .primitives import PRIMITIVES


@dataclass(frozen=True, slots=True)
class Analysis:
    kinds: dict
    active: frozenset

    def kind(self, atom) -> Kind:
        if isinstance(atom, Var):
            return self.kinds[atom.name]
        return const_kind(atom.value)

    def is_active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.active


def const_kind(value) -> Kind:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return FLOAT


def join(*kinds: Kind) -> Kind:
    """The kind of arithmetic on these operands: float wins, bool acts as int."""
    rank = max(k.rank for k in kinds)
    if any(k.dtype == "float" for k in kinds):
        return Kind("float", rank)
    return Kind("int", rank)


def _op_kind(op: Op, arg_kinds) -> Kind:
    rule = PRIMITIVES[op.prim].result
    if rule == "bool":
        return Kind("bool", max(k.rank for k in arg_kinds))
    if rule == "join":
        return join(*arg_kinds)
    if rule == "where":
        return join(*arg_kinds[1:])
    if rule == "pow":
        exponent = op.args[1]
        if join(*arg_kinds).dtype == "int" and isinstance(exponent, Const) and exponent.value >= 0:
            return join(*arg_kinds)
        return Kind("float", max(k.rank for k in arg_kinds))
    return Kind("float", max(k.rank for k in arg_kinds))


def analyze(fn: ir.Function, param_kinds, wrt=()) -> Analysis:
    """Kinds of all values and the active set, given the parameters' kinds."""
    kinds = dict(zip(fn.params, param_kinds))
    active = set()
    for name in wrt:
        if kinds[name].dtype != "float":
            raise ArgumentError(
                f"cannot differentiate with respect to '{name}': it is "
                f"{'a bool' if kinds[name] == BOOL else 'an int'}",
                fn.loc,
                f"pass a float (e.g. {name}=2.0 instead of 2), or leave '{name}' out of argnums",
            )
        active.add(name)

    def atom_kind(a):
        return kinds[a.name] if isinstance(a, Var) else const_kind(a.value)

    def atom_active(a):
        return isinstance(a, Var) and a.name in active

    def block(body):
        for stmt in body:
            if isinstance(stmt, Assign):
                value = stmt.value
                if isinstance(value, Op):
                    kind = _op_kind(value, [atom_kind(a) for a in value.args])
                    is_active = any(map(atom_active, value.args))
                else:
                    kind, is_active = atom_kind(value), atom_active(value)
                kinds[stmt.target] = kind
                if is_active and kind.dtype == "float":
                    active.add(stmt.target)
            else:
                block(stmt.body)
                block(stmt.orelse)
                for phi in stmt.phis:
                    kind = join(atom_kind(phi.then), atom_kind(phi.orelse))
                    if atom_kind(phi.then) == atom_kind(phi.orelse) == BOOL:
                        kind = BOOL
                    kinds[phi.target] = kind
                    if kind.dtype == "float" and (atom_active(phi.then) or atom_active(phi.orelse)):
                        active.add(phi.target)

    block(fn.body)
    return Analysis(kinds, frozenset(active))
