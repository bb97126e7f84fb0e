"""Printed names: which SSA values share one variable, and what it is called.

``join_names`` prints values under one name where their lifetimes allow
(out of SSA):

* A value defined inside a branch and joined after it (``r`` and ``r_2``
  in ``if c: r = ... else: r_1 = ...; r_2 = phi(r, r_1)``) lives only
  until the join, so it can share the join's name.
* A loop-carried value shares its name with its initial value when that
  is not used after the loop starts, and with the value the body gives
  it when the old value is not read after that is computed.
* An array written in place shares the name of the array it overwrites
  (a copy not made, of an array read no more, is printed as a second
  name for it: ``x_bar = out``).

An inlined temporary shares no name: it has no variable of its own, and
were it assigned (when a variable it reads is about to be reassigned) to a
shared one, it would overwrite that at a point the lifetimes above do not
describe.  Each class of names is shown under its plainest member (a user
name before a temporary); ``plain_names`` then prints a version ``i_1`` as
``i`` where no other value is shown as ``i``.
"""

from __future__ import annotations

import dataclasses
import keyword
import re

from .. import ir
from ..ir import STORES, Assign, If, Loop, Op, Var
from .lifetimes import Layout
from .nodes import CopyArray, Inlined, Local, Lowered, ParallelAssign, Store


class _Joiner:
    """The classes of values printed under one name (a union-find)."""

    def __init__(self, fn: ir.Function, layout: Layout, inlined: set):
        self.layout = layout
        self.inlined = inlined
        self.parent: dict = {}
        self.names = ir.defined_names(fn)
        self.joined: set = set()  # phi sources already joined (one value joins one phi)
        self.taken_inits: set = set()  # one carried value per initial value

    def root(self, name):
        while name in self.parent:
            name = self.parent[name]
        return name

    def union(self, a, b):
        ra, rb = self.root(a), self.root(b)
        if ra != rb and a not in self.inlined and b not in self.inlined:
            self.parent[ra] = rb

    def same_variable(self, a, b) -> bool:
        """Are ``a`` and ``b`` versions of one variable (or one a temporary)?"""
        return "$" in (a[0], b[0]) or ir.version_of(a, self.names) == ir.version_of(b, self.names)

    def printed_as(self, name) -> list:
        """The values printed under the same name as ``name``."""
        return [n for n in self.layout.def_pos if self.root(n) == self.root(name)]

    def live_where_defined(self, value, other) -> bool:
        """Is ``value`` still to be read where ``other`` is assigned?"""
        layout = self.layout
        where = layout.def_pos[other]
        return layout.def_pos[value] < where and layout.read_after(
            value, where, layout.def_sides[other], content_only=False
        )

    def interfere(self, a, b) -> bool:
        """Would one variable for the values printed as ``a`` and those printed
        as ``b`` be assigned while it holds a value still to be read?"""
        ours, theirs = self.printed_as(a), self.printed_as(b)
        return any(
            self.live_where_defined(m, n) or self.live_where_defined(n, m)
            for m in ours
            for n in theirs
        )

    def block(self, body):
        """Join the phis and carried values of ``body``, innermost first."""
        for stmt in body:
            for inner in ir.bodies(stmt):
                self.block(inner)
            if isinstance(stmt, Loop):
                for carry in stmt.carried:
                    self.join_init(stmt, carry)
                    self.join_next(stmt, carry)
            elif isinstance(stmt, If):
                self.join_phis(stmt)

    def join_phis(self, stmt: If):
        for side, branch in ((0, stmt.body), (1, stmt.orelse)):
            inside = ir.defined_in(branch)
            for phi in stmt.phis:
                source = phi.then if side == 0 else phi.orelse
                if (
                    isinstance(source, Var)
                    and source.name in inside
                    and source.name not in self.joined
                    and not self.interfere(source.name, phi.target)
                ):
                    self.joined.add(source.name)
                    self.union(source.name, phi.target)

    def join_init(self, loop: Loop, carry: ir.Carry):
        """The carried value shares its initial value's name when nothing
        printed under that name is read once the loop starts."""
        init, layout = carry.init, self.layout
        here = layout.stmt_pos[id(loop)][0]
        if (
            isinstance(init, Var)
            and init.name not in layout.params
            and init.name not in self.taken_inits
            and not any(
                layout.read_after(n, here, (), content_only=False)
                for n in self.printed_as(init.name)
            )
            and self.root(init.name) != self.root(carry.name)
        ):
            self.taken_inits.add(init.name)
            self.union(init.name, carry.name)

    def join_next(self, loop: Loop, carry: ir.Carry):
        """The carried value shares the name of the value the body gives it
        when every value printed under its name is read before that is
        computed (or, for a for loop's index, the loop assigns it)."""
        layout, nxt = self.layout, carry.next
        inside = ir.defined_in(loop.body)
        here, end = layout.stmt_pos[id(loop)][0], layout.loop_end[id(loop)]
        shared = self.printed_as(carry.name)
        reads = [p for n in shared for p, _, _ in layout.reads.get(n, ()) if here < p <= end]
        is_index = loop.index is not None and nxt == Var(loop.index)
        if is_index and not reads and self.root(loop.index) == loop.index:
            # The index, kept after the loop (a Python for variable): the
            # loop assigns it, as the user's loop does.
            self.union(loop.index, carry.name)
            return
        if not (isinstance(nxt, Var) and nxt.name in inside):
            return
        if not self.same_variable(nxt.name, carry.name):
            return  # printed under b's name, a's new value would read as b
        if any(self.root(n) == self.root(nxt.name) for n in layout.def_pos if n not in inside):
            return  # it already shares a name with a value from outside the body
        members = [n for n in inside if self.root(n) == self.root(nxt.name)]
        first = min(layout.def_pos[n] for n in members)
        others = [c.next for c in loop.carried]
        if others.count(Var(carry.name)) or any(p > first for p in reads):
            return
        if any(self.root(n) == self.root(carry.name) for n in members):
            return
        self.union(nxt.name, carry.name)

    def join_indices(self, body):
        """A loop's index shares the name of an earlier loop's index of the
        same user variable where their lifetimes allow, so the reverse sweep
        loops over ``i`` as the user's loop does (not ``i_1``)."""
        earlier: dict = {}  # user variable -> the indices of earlier loops
        for stmt in ir.walk(body):
            if not (isinstance(stmt, Loop) and stmt.index is not None):
                continue
            user = ir.version_of(stmt.index, self.names)
            for other in earlier.get(user, ()):
                if self.root(other) != self.root(stmt.index) and not self.interfere(
                    other, stmt.index
                ):
                    self.union(stmt.index, other)
                    break
            earlier.setdefault(user, []).append(stmt.index)

    def display(self) -> dict:
        """Each joined name -> the plainest member of its class."""
        classes: dict = {}
        for name in list(self.parent) + list(set(self.parent.values())):
            classes.setdefault(self.root(name), set()).add(name)
        out = {}
        for members in classes.values():
            best = min(members, key=lambda n: (n.startswith("$"), len(n), n))
            for member in members:
                out[member] = best
        return out


def join_names(fn: ir.Function, layout: Layout, in_place: dict, inlined: set) -> dict:
    """SSA name -> the name it is printed under, for the values that share
    a variable with another (see the module docstring)."""
    joiner = _Joiner(fn, layout, inlined)
    for target, source in in_place.items():
        if layout.defs[target].prim in STORES:  # a copy not made is a second name
            joiner.union(target, source)
    joiner.block(fn.body)
    joiner.join_indices(fn.body)
    return joiner.display()


def plain_names(fn: ir.Function, alias: dict) -> set:
    """Print a version ``i_1`` as ``i`` where no other value is shown as
    ``i`` (``alias`` is updated); the names user values are printed as."""
    taken = {n for n in ir.defined_names(fn) if not n.startswith("$")}
    shown = {alias.get(n, n) for n in ir.defined_names(fn)} | set(fn.params)
    shown = {n for n in shown if not n.startswith("$")}
    wanted: dict = {}
    for name in sorted(shown - set(fn.params)):  # parameters keep their names
        base = ir.version_of(name, shown | {name.rpartition("_")[0]})
        if base != name and base not in shown and base not in ("np", "math", "vmath"):
            if keyword.iskeyword(base):  # a lambda's value: `lambda_1`, never `lambda`
                continue
            wanted.setdefault(base, []).append(name)
    for base, names in wanted.items():
        if len(names) == 1:
            alias.update({n: base for n, a in list(alias.items()) if a == names[0]})
            alias[names[0]] = base
            taken.add(base)
    return taken


# The fields of each lowered statement holding names or lowered values, in
# the order the printed code shows them.
_SHOWN = {
    Assign: ("target", "value"),
    CopyArray: ("target", "source"),
    Store: ("target", "indices", "value"),
    ParallelAssign: ("targets", "values"),
    If: ("cond", "body", "orelse"),
    Loop: ("index", "start", "stop", "step", "header", "cond", "body", "exit"),
}


def _names_shown(node):
    """The printed names in ``node``, in the order the code shows them."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Local):
        yield node.printed
    elif isinstance(node, Inlined):
        yield from _names_shown(node.value)
    elif isinstance(node, Op):
        yield from _names_shown(node.args)
    elif isinstance(node, tuple):
        for item in node:
            yield from _names_shown(item)
    elif type(node) in _SHOWN:
        for name in _SHOWN[type(node)]:
            yield from _names_shown(getattr(node, name))


def _renamed(node, rename: dict):
    """``node`` with the printed names in ``rename`` replaced."""
    if isinstance(node, str):
        return rename.get(node, node)
    if isinstance(node, Local):
        return Local(node.name, rename.get(node.printed, node.printed))
    if isinstance(node, Inlined):
        return Inlined(node.name, _renamed(node.value, rename))
    if isinstance(node, Op):
        return Op(node.prim, _renamed(node.args, rename), node.attrs)
    if isinstance(node, tuple):
        return tuple(_renamed(item, rename) for item in node)
    if type(node) in _SHOWN:
        fields = {name: _renamed(getattr(node, name), rename) for name in _SHOWN[type(node)]}
        return dataclasses.replace(node, **fields)
    return node


def number_temporaries(lowered: Lowered, taken: set) -> Lowered:
    """Name the temporaries (``$t7``) ``t0, t1, ...`` in the order the code
    shows them; ``_t0, _t1, ...`` where the user has a name like those (a
    ``t0`` of the user's among temporaries ``t1, t2`` would read as one of
    them), and so on: a temporary never looks like a name in ``taken``."""
    prefix = "t"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", name) for name in taken):
        prefix = "_" + prefix
    order: dict = {}
    for name in _names_shown((lowered.params, lowered.body, lowered.result)):
        if name.startswith("$"):
            order.setdefault(name, f"{prefix}{len(order)}")
    params, body, result = _renamed((lowered.params, lowered.body, lowered.result), order)
    return dataclasses.replace(lowered, params=params, body=body, result=result)
