"""Kinds and activity for one argument signature.

``analyze(fn, param_kinds, wrt)`` gives the kind (``ir.Kind``: dtype, rank,
axes known to be 1) of every value and the set of *active* values: floats
that depend on a differentiated parameter.  Only active values get tangents
or adjoints.  Ranks that do not fit an operation raise ``ShapeError`` at the
line of the user's code; so do writes into input arrays (``memory``), in
program order with the rank errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir
from ..errors import ArgumentError, ShapeError
from ..ir import INT, Assign, AxisSize, Const, If, Kind, Op, Var, atom_kind, const_kind
from ..primitives import PRIMITIVES, RankError
from . import extents as ext
from .memory import InputAliases, check_shared_memory


@dataclass(frozen=True, slots=True)
class Analysis:
    """What ``analyze`` found: ``kinds`` maps every value's name to its
    ``ir.Kind``; ``active`` holds the floats that depend on a
    differentiated parameter; ``extents`` the arrays' axis sizes where they
    are known symbolically (``analysis.extents``)."""

    kinds: dict
    active: frozenset
    extents: dict = field(default_factory=dict)
    ints: dict = field(default_factory=dict)  # an int that is an axis' size -> its extent

    def same_shape(self, first: str, second: str) -> bool:
        """Are the values ``first`` and ``second`` known to have one shape
        (axis by axis, whatever the arguments' sizes)?"""
        return ext.same_shape(self.extents.get(first), self.extents.get(second))

    def kind(self, atom) -> Kind:
        return atom_kind(atom, self.kinds)

    def is_active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.active


join = ir.join_kinds  # the kind of a value that is one of these (a phi)


def op_kind(op: Op, arg_kinds, loc=None) -> Kind:
    """The kind of ``op``'s result, or a ``ShapeError`` at ``loc``."""
    prim = PRIMITIVES[op.prim]
    try:
        if prim.array is None and any(k.rank for k in arg_kinds):
            raise RankError(f"{op.prim} is not available on arrays")
        return prim.result_kind(list(arg_kinds), op.args, op.attrs)
    except RankError as exc:
        shown = ", ".join(str(k) for k in arg_kinds)
        raise ShapeError(
            f"{exc} (operands: {shown})",
            loc,
            "check the ranks of the arrays involved (x.ndim); symdiff needs them to "
            "fit when it generates code",
        ) from None


def expr_kind(node, lookup) -> Kind:
    """The kind of a (nested) rule expression; ``lookup(name)`` gives variables' kinds."""
    if isinstance(node, Var):
        return lookup(node.name)
    if isinstance(node, Const):
        return const_kind(node.value)
    return op_kind(node, [expr_kind(a, lookup) for a in node.args])


def needs_sum(kx: Kind, ky: Kind) -> bool:
    """Must (or may) an adjoint of kind ``ky`` be summed to reach an operand of
    kind ``kx`` (equally: must a value of kind ``kx`` be broadcast to have the
    shape of ``ky``)?  Yes when ``kx`` is of lower rank, or of size 1 (surely
    or maybe) along an axis where ``ky`` is not surely of size 1.  Axes are
    aligned from the right: leading axes of ``kx`` that ``ky`` lacks need no
    sum (a smaller adjoint broadcasts)."""
    if kx.rank < ky.rank:
        return True
    offset = kx.rank - ky.rank
    return any(
        kx.size(a + offset) is not AxisSize.MATCHES and ky.size(a) is not AxisSize.ONE
        for a in range(ky.rank)
    )


def analyze(fn: ir.Function, param_kinds, wrt=(), generated=False, alike=None) -> Analysis:
    """Kinds of all values and the active set, given the parameters' kinds.

    ``generated``: ``fn`` is derivative code, which writes into the adjoint
    arrays it is given (code generation copies them where that matters).
    ``alike``: parameters known to have the shape of another (a JVP's
    tangent, that of its primal): ``{tangent: primal}``, for extents.

    >>> from symdiff.ir import FLOAT, INT, Assign, Function, Op, Var
    >>> body = (Assign("y", Op("mul", (Var("x"), Var("k")))),)
    >>> result = analyze(Function("f", ("x", "k"), body, Var("y")), [FLOAT, INT], wrt=("x",))
    >>> str(result.kinds["y"]), sorted(result.active)
    ('float', ['x', 'y'])
    """
    kinds = dict(zip(fn.params, param_kinds))
    active = _differentiated(kinds, wrt, fn.loc)
    inference = _KindInference(kinds, active, generated)
    inference.extents.update((p, ext.of_argument(p, kinds[p])) for p in fn.params)
    for param, primal in (alike or {}).items():
        inference.extents[param] = inference.extents[primal]
    inference.block(fn.body)
    if not generated:
        check_shared_memory(fn, kinds)
    return Analysis(kinds, frozenset(active), inference.extents, inference.ints)


def _differentiated(kinds: dict, wrt, loc) -> set:
    """The parameters in ``wrt``, each checked to be a float or float array."""
    for name in wrt:
        if kinds[name].dtype != "float":
            what = {"bool": "a bool", "int": "an int"}[kinds[name].dtype]
            if kinds[name].rank:
                what += " array"
            raise ArgumentError(
                f"cannot differentiate with respect to '{name}': it is {what}",
                loc,
                f"pass floats (e.g. {name}=2.0 instead of 2, or an array of dtype float64), "
                f"or leave '{name}' out of argnums",
            )
    return set(wrt)


class _KindInference(ir.BodyVisitor):
    """One pass over a body, in program order: fills ``kinds`` and
    ``active``, loops to a fixed point (kinds only widen, activity only
    grows); ``aliases`` refuses writes into input arrays on the way."""

    def __init__(self, kinds: dict, active: set, generated: bool):
        self.kinds = kinds
        self.active = active
        self.aliases = InputAliases(kinds, generated)
        self.axis_sizes: dict = {}  # an int read from x.shape[k] -> the AxisSize of that axis of x
        self.extents: dict = {}  # an array -> its axes' extents (``extents``)
        self.ints: dict = {}  # an int that is an axis' size -> that axis' extent

    def atom_kind(self, atom) -> Kind:
        return atom_kind(atom, self.kinds)

    def atom_active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.active

    def define(self, name: str, kind: Kind, depends_on_active: bool):
        """``name`` has ``kind``; it is active if it is a float that depends on an active value."""
        self.kinds[name] = kind
        if depends_on_active and kind.dtype == "float":
            self.active.add(name)

    def assign(self, stmt: Assign):
        value = stmt.value
        if isinstance(value, Op):
            kind, is_active = self.operation(stmt)
        else:
            kind, is_active = self.atom_kind(value), self.atom_active(value)
            self.aliases.share(stmt.target, value)
            if isinstance(value, Var) and value.name in self.axis_sizes:  # n = x.shape[0]
                self.axis_sizes[stmt.target] = self.axis_sizes[value.name]
            self.copy_extents(stmt.target, value)
        self.define(stmt.target, kind, is_active)

    def operation(self, stmt: Assign) -> tuple:
        """The kind of ``stmt``'s operation and whether it depends on an active value."""
        value = stmt.value
        arg_kinds = [self.atom_kind(a) for a in value.args]
        kind = op_kind(value, arg_kinds, stmt.loc)
        self.aliases.operation(stmt, kind)
        self.extents[stmt.target] = ext.of_operation(
            value, kind, arg_kinds, self.extents, self.ints
        )
        if value.prim == "shape" and isinstance(value.args[0], Var):
            source = self.kinds[value.args[0].name]
            axis = value.attrs.axis % source.rank
            self.axis_sizes[stmt.target] = source.size(axis)
            known = self.extents.get(value.args[0].name)
            if known is not None and len(known) == source.rank and known[axis] is not None:
                self.ints[stmt.target] = known[axis]  # n = x.shape[0]: the size of x's axis
        elif PRIMITIVES[value.prim].sized_by is not None:
            kind = self.sized(kind, PRIMITIVES[value.prim].sized_by(value.args))
        is_active = PRIMITIVES[value.prim].differentiable and any(map(self.atom_active, value.args))
        return kind, is_active

    def sized(self, kind: Kind, operands) -> Kind:
        """``kind`` with the axes whose sizes are ints read from other arrays'
        shapes (``np.eye(x.shape[0])``, ``np.zeros(n)`` after ``n = len(x)``)
        knowing what is known of those arrays' axes."""
        sizes = kind.sizes()
        for axis, atom in enumerate(operands):
            if isinstance(atom, Var) and atom.name in self.axis_sizes and axis < kind.rank:
                sizes[axis] = self.axis_sizes[atom.name]
        return Kind.of_sizes(kind.dtype, sizes)

    def copy_extents(self, target: str, value):
        """``target = value``: the same extents (and the same int)."""
        if isinstance(value, Var):
            if value.name in self.extents:
                self.extents[target] = self.extents[value.name]
            if value.name in self.ints:
                self.ints[target] = self.ints[value.name]
        elif isinstance(value.value, int) and not isinstance(value.value, bool):
            self.ints[target] = ext.unit(value.value)

    def join_extents(self, target: str, *atoms):
        """``target`` is one of ``atoms`` (a phi, a carried value): it keeps
        the extents (and the int) they all share."""
        arrays = [self.extents.get(a.name) if isinstance(a, Var) else () for a in atoms]
        if None in arrays or len({len(e) for e in arrays}) != 1:
            self.extents.pop(target, None)
        else:
            self.extents[target] = tuple(ext.join(*axis) for axis in zip(*arrays))
        ints = [self.ints.get(a.name) if isinstance(a, Var) else ext.of_size(a, {}) for a in atoms]
        joined = ext.join(*ints)
        if joined is None:
            self.ints.pop(target, None)
        else:
            self.ints[target] = joined

    def branch(self, stmt: If):
        for inner in ir.bodies(stmt):
            self.block(inner)
        for phi in stmt.phis:
            self.aliases.share(phi.target, phi.then, phi.orelse)
            then_kind, else_kind = self.atom_kind(phi.then), self.atom_kind(phi.orelse)
            if then_kind.rank != else_kind.rank and then_kind.rank and else_kind.rank:
                raise ShapeError(
                    f"'{phi.target}' is an array of rank {then_kind.rank} on one branch "
                    f"and of rank {else_kind.rank} on the other",
                    stmt.loc,
                    "give it the same rank on both branches",
                )
            is_active = self.atom_active(phi.then) or self.atom_active(phi.orelse)
            self.define(phi.target, join(then_kind, else_kind), is_active)
            self.join_extents(phi.target, phi.then, phi.orelse)

    def loop(self, stmt: ir.Loop):
        if stmt.index is not None:
            self.check_range(stmt)
            self.kinds[stmt.index] = INT
        for carry in stmt.carried:
            self.define(carry.name, self.atom_kind(carry.init), self.atom_active(carry.init))
            self.aliases.share(carry.name, carry.init)
            self.join_extents(carry.name, carry.init)
        for _ in range(50):  # to a fixed point: kinds only widen, activity only grows
            before = self.carried_state(stmt)
            for inner in ir.bodies(stmt):
                self.block(inner)
            for carry in stmt.carried:
                self.carry(carry, stmt.loc)
            if before == self.carried_state(stmt):
                break

    def carried_state(self, stmt: ir.Loop) -> tuple:
        names = [carry.name for carry in stmt.carried]
        facts = [(self.kinds[n], self.extents.get(n), self.ints.get(n)) for n in names]
        return (dict(zip(names, facts)), len(self.active))

    def check_range(self, stmt: ir.Loop):
        bad = [a for a in stmt.bounds if self.atom_kind(a) != INT]
        if bad:
            raise ShapeError(
                f"range() takes ints, got {self.atom_kind(bad[0])}",
                stmt.loc,
                "use ints for loop bounds (len(x), x.shape[0], int arguments)",
            )

    def carry(self, carry: ir.Carry, loc):
        """A carried value after one more iteration: its kind joins its starting one."""
        init_kind, next_kind = self.atom_kind(carry.init), self.atom_kind(carry.next)
        if init_kind.rank != next_kind.rank:
            raise ShapeError(
                f"'{carry.name}' is an array of rank {init_kind.rank} before the loop and of "
                f"rank {next_kind.rank} after an iteration",
                loc,
                "keep the rank of values the loop updates",
            )
        is_active = self.atom_active(carry.init) or self.atom_active(carry.next)
        self.define(carry.name, join(init_kind, next_kind), is_active)
        self.join_extents(carry.name, carry.init, carry.next)
