"""The intermediate representation.

A ``Function`` is a list of statements over named values.  Conventions:

* Straight-line code is in SSA form: every name is assigned exactly once.
  Values meeting after an ``If`` are joined by its ``phis`` (one ``Phi`` per
  name whose value depends on the branch taken).
* Operands are atoms (``Var`` or ``Const``); a statement computes at most one
  primitive operation (``Op``), so every intermediate value has a name.  This
  three-address form makes CSE, activity analysis and adjoints simple; code
  generation inlines single-use temporaries again for readability.
* Names starting with ``$`` are compiler temporaries; code generation gives
  them short readable names (``t0``, ``t1``, ...).  Every other name is shown
  as it is.
* ``Op.attrs`` holds static parameters of an operation (an ``axis=``, a
  shape), leaving room for array primitives next to the scalar ones.

Every node is an immutable, slotted dataclass: passes build new trees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import Loc


@dataclass(frozen=True, slots=True)
class Kind:
    """What a value is: ``dtype`` in {"float", "int", "bool"} and array rank.

    Sizes are not part of a kind (one compiled function serves every size).
    Broadcasting adjoints must be summed over axes of size 1, so each axis is
    known to have size 1 (in ``unit``: from ``keepdims=True``, a literal 1 in a
    shape, an argument's size-1 axis), may have size 1 (in ``maybe``: a slice,
    a shape computed at run time: checked when the code runs), or has the
    size of the other operands it meets (every other axis).
    """

    dtype: str
    rank: int = 0
    unit: tuple = ()
    maybe: tuple = ()

    def state(self, axis: int) -> str:
        return "1" if axis in self.unit else "?" if axis in self.maybe else ":"

    def __str__(self) -> str:
        if self.rank == 0:
            return self.dtype
        return f"{self.dtype}[{','.join(self.state(a) for a in range(self.rank))}]"


def kind_of_states(dtype: str, states) -> Kind:
    """A kind from per-axis states "1", "?" or ":"."""
    states = list(states)
    return Kind(
        dtype,
        len(states),
        tuple(a for a, s in enumerate(states) if s == "1"),
        tuple(a for a, s in enumerate(states) if s == "?"),
    )


FLOAT = Kind("float")
INT = Kind("int")
BOOL = Kind("bool")


@dataclass(frozen=True, slots=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    value: float | int | bool

    def __str__(self) -> str:
        return repr(self.value)


Atom = Var | Const


@dataclass(frozen=True, slots=True)
class Op:
    """A primitive applied to atoms (nested ``Op`` trees only inside rules)."""

    prim: str
    args: tuple
    attrs: tuple = ()

    def __str__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.attrs)
        return f"{self.prim}({', '.join(map(str, self.args))}{extra})"


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    value: Op | Var | Const
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Phi:
    """``target`` is ``then`` if the branch was taken, ``orelse`` otherwise."""

    target: str
    then: Atom
    orelse: Atom


@dataclass(frozen=True, slots=True)
class If:
    cond: Atom
    body: tuple
    orelse: tuple
    phis: tuple = ()
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Carry:
    """A loop-carried value: ``name`` is ``init`` when the loop starts, ``next``
    (computed by the body) at the start of each later iteration, and after the
    loop it holds the final value."""

    name: str
    init: Atom
    next: Atom


@dataclass(frozen=True, slots=True)
class Loop:
    """``for index in range(start, stop, step)`` (``index`` set) or
    ``while cond`` (``header`` computes ``cond`` from the carried values
    before each iteration).

    Values defined in ``header`` and ``body`` are local to the loop; only the
    carried names are visible after it.  ``exit`` (a bool computed by the
    body, or None) leaves the loop at the end of an iteration: ``break``.
    """

    carried: tuple
    body: tuple
    index: str | None = None
    start: Atom | None = None
    stop: Atom | None = None
    step: Atom | None = None
    header: tuple = ()
    cond: Atom | None = None
    exit: Atom | None = None
    loc: Loc | None = field(default=None, compare=False)

    @property
    def bounds(self) -> tuple:
        return (self.start, self.stop, self.step) if self.index is not None else ()

    def atoms(self) -> list:
        """The atoms the loop node itself uses (not those of its statements)."""
        out = [c.init for c in self.carried] + [c.next for c in self.carried]
        out += list(self.bounds)
        out += [a for a in (self.cond, self.exit) if a is not None]
        return out


Stmt = Assign | If | Loop


@dataclass(frozen=True, slots=True)
class Function:
    """A function: parameters, body, and its result.

    ``result`` is an atom or a (possibly nested) tuple of atoms.
    ``result_loc`` points at the ``return`` that produced it.
    """

    name: str
    params: tuple
    body: tuple
    result: object
    loc: Loc | None = None
    result_loc: Loc | None = None
    doc: str = ""


def atoms_of(result) -> list:
    """The atoms of a (nested tuple) result, in order."""
    if isinstance(result, tuple):
        return [a for item in result for a in atoms_of(item)]
    return [result]


def map_result(result, fn):
    if isinstance(result, tuple):
        return tuple(map_result(item, fn) for item in result)
    return fn(result)


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


def version_of(name: str, names) -> str:
    """The variable a name is a version of: ``y_2`` -> ``y`` when ``y`` is
    also in ``names`` (SSA renaming made it), else the name itself."""
    base, sep, suffix = name.rpartition("_")
    if sep and suffix.isdigit() and base in names:
        return version_of(base, names)
    return name


class Namer:
    """Hands out names no other value of a function uses.

    ``fresh("x_bar")`` gives ``x_bar``, or ``x_bar_1`` when that is taken;
    ``temp()`` gives a compiler temporary (``$t7``).
    """

    def __init__(self, taken=()):
        self.taken = set(taken)
        self._temps = 0

    def fresh(self, hint: str) -> str:
        name, k = hint, 0
        while name in self.taken:
            k += 1
            name = f"{hint}_{k}"
        self.taken.add(name)
        return name

    def temp(self) -> str:
        self._temps += 1
        name = f"$t{self._temps}"
        while name in self.taken:
            self._temps += 1
            name = f"$t{self._temps}"
        self.taken.add(name)
        return name


def format_function(fn: Function) -> str:
    """A compact debug listing of the IR."""
    lines = [f"def {fn.name}({', '.join(fn.params)}):"]

    def block(body, indent):
        pad = "    " * indent
        for stmt in body:
            if isinstance(stmt, Assign):
                lines.append(f"{pad}{stmt.target} = {stmt.value}")
            elif isinstance(stmt, Loop):
                for c in stmt.carried:
                    lines.append(f"{pad}{c.name} = {c.init}")
                if stmt.index is not None:
                    lines.append(
                        f"{pad}for {stmt.index} in range({stmt.start}, {stmt.stop}, {stmt.step}):"
                    )
                else:
                    lines.append(f"{pad}while True:")
                    block(stmt.header, indent + 1)
                    lines.append(f"{pad}    if not {stmt.cond}: break")
                block(stmt.body, indent + 1)
                for c in stmt.carried:
                    lines.append(f"{pad}    {c.name} = {c.next}")
                if stmt.exit is not None:
                    lines.append(f"{pad}    if {stmt.exit}: break")
            else:
                lines.append(f"{pad}if {stmt.cond}:")
                block(stmt.body, indent + 1)
                lines.append(f"{pad}else:")
                block(stmt.orelse, indent + 1)
                for phi in stmt.phis:
                    lines.append(f"{pad}{phi.target} = phi({phi.then}, {phi.orelse})")

    block(fn.body, 1)
    lines.append(f"    return {map_result(fn.result, str)}")
    return "\n".join(lines)


def _map_body(body, atom, define) -> tuple:
    """``body`` with ``atom`` applied to every use and ``define`` to every
    name a statement defines (nested statements included)."""
    out = []
    for s in body:
        if isinstance(s, Assign):
            value = s.value
            if isinstance(value, Op):
                value = Op(value.prim, tuple(map(atom, value.args)), value.attrs)
            else:
                value = atom(value)
            out.append(Assign(define(s.target), value, s.loc))
        elif isinstance(s, If):
            cond = atom(s.cond)
            body_, orelse = _map_body(s.body, atom, define), _map_body(s.orelse, atom, define)
            phis = tuple(Phi(define(p.target), atom(p.then), atom(p.orelse)) for p in s.phis)
            out.append(If(cond, body_, orelse, phis, s.loc))
        else:
            inits = [atom(c.init) for c in s.carried]
            bounds = [atom(a) for a in s.bounds] or [None, None, None]
            index = define(s.index) if s.index is not None else None
            names = [define(c.name) for c in s.carried]
            header = _map_body(s.header, atom, define)
            cond = atom(s.cond) if s.cond is not None else None
            body_ = _map_body(s.body, atom, define)
            carried = tuple(Carry(n, i, atom(c.next)) for n, i, c in zip(names, inits, s.carried))
            exit_ = atom(s.exit) if s.exit is not None else None
            out.append(Loop(carried, body_, index, *bounds, header, cond, exit_, s.loc))
    return tuple(out)


def rename(body, mapping: dict, namer: Namer) -> tuple:
    """``body`` with every name it defines given a fresh name (``mapping``
    is extended with old -> new) and every use renamed through ``mapping``."""

    def atom(a):
        return Var(mapping.get(a.name, a.name)) if isinstance(a, Var) else a

    def fresh(name):
        hint = version_of(name, namer.taken) if not name.startswith("$") else None
        mapping[name] = namer.fresh(hint) if hint else namer.temp()
        return mapping[name]

    return _map_body(body, atom, fresh)


def replace_uses(body, mapping: dict) -> tuple:
    """``body`` with every use of a name in ``mapping`` replaced by its atom."""
    return _map_body(body, lambda a: mapping.get(a.name, a) if isinstance(a, Var) else a, str)


def written_in_place(carry: Carry, body) -> bool:
    """Is the carried array's next value its own value written into (on
    every path through the body)?"""

    def written_from(s: Assign):
        if isinstance(s.value, Op) and s.value.prim in STORES:
            return [s.value.args[1]]
        return None

    return comes_back(carry, body, written_from)


def comes_back(carry: Carry, body, made_from) -> bool:
    """Is the carried value's next value made from its own value (on every
    path through the body)?  ``made_from(assign)`` gives the atoms a value
    may be made from (all of them), or None for a value made otherwise."""
    sources: dict = {}  # value -> the values it may have been made from
    for s in walk(body):
        if isinstance(s, Assign) and (atoms := made_from(s)) is not None:
            sources[s.target] = atoms
        elif isinstance(s, If):
            sources.update((p.target, [p.then, p.orelse]) for p in s.phis)
        elif isinstance(s, Loop):
            inner = [c for c in s.carried if comes_back(c, s.body, made_from)]
            sources.update((c.name, [c.init]) for c in inner)

    def leads(atom, depth=0) -> bool:
        if atom == Var(carry.name):
            return True
        if not isinstance(atom, Var) or atom.name not in sources or depth > len(sources):
            return False
        return all(leads(a, depth + 1) for a in sources[atom.name])

    return leads(carry.next)
