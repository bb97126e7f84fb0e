"""The converter's state and the operations every conversion rule uses.

``frontend.Converter`` is assembled from this core and the rule mixins of
``statements``, ``loops``, ``expressions``, ``names`` and ``calls``; it
converts one function body.  Conventions shared by every rule:

* ``env`` maps each Python name to its current value: an IR atom (``Var``
  or ``Const``) or a tuple of values (tuple literals, helpers returning
  tuples).  Two keys are not Python names: ``RETURN`` holds the result once
  a ``return`` has run, ``BREAK`` a loop body's break flag.
* statements are appended to ``out`` in order.  An operation's result is
  first a temporary (``$t…``); ``_rename_last`` gives it the user's name when
  it is assigned, so ``y = sin(x)`` is printed as ``y = ...``.
* a branch or a loop body is converted by a ``nested`` converter that shares
  the namer and gets a copy of the environment; the caller joins the
  results.  A helper's body gets a converter of its own source (``calls``);
  a nested ``def`` or ``lambda`` one of the enclosing source (``functions``).
* every error goes through ``fail`` with the offending AST node, so it
  carries the user's line.
* the kind (``ir.Kind``) of every value is tracked as it is made, from the
  parameters' kinds and the registry's kind rules (``emit``); ``kind_of``
  gives it, or None where it is not known: when ``parse`` has no trees, or
  where an operation does not fit its operands' ranks (``analysis`` reports
  that later, at the same line).  Shapes as values (``n, d = x.shape``) need it.
"""

from __future__ import annotations

import copy
import dataclasses

from .. import ir
from ..errors import Loc
from ..errors import UnsupportedSyntaxError as Unsupported
from ..ir import (
    NO_ATTRS,
    Assign,
    Attrs,
    AxisSize,
    Const,
    If,
    Kind,
    Op,
    Var,
    atom_kind,
    join_kinds,
)
from ..primitives import PRIMITIVES, RankError
from .source import Source
from .values import atoms_in, is_atom, refusal, structured

RETURN = "<return>"  # environment key of a function's result while converting
BREAK = "<break>"  # environment key of a loop's break flag while converting its body
# A loop that may return (an early exit): its returned flag, the value it
# returns, and the values each of its `return`s gave (a list, while converting).
RETURNED = "<returned>"
RETURNED_VALUE = "<returned value>"
RETURNS = "<returns>"


@dataclasses.dataclass
class Shared:
    """State shared by every converter of one ``parse`` (branches, loop
    bodies, inlined helpers).

    ``leaves``: the parameters that are leaves of container arguments
    (``params_0_0``); ``aliases`` gives such a leaf the first user name it is
    bound to (``W1, b1 = params[0]``), which the generated code then uses.
    ``kinds``: the ``ir.Kind`` of each parameter when the arguments are
    known, and of every value made from them (``ConverterCore.emit``).
    ``implicit`` and ``guards`` (``frontend.names``): the free values read
    at each call (``ir.Implicit`` by reader) and those read once, when the
    code is generated (``ir.Guard`` by reader).
    """

    leaves: frozenset = frozenset()
    aliases: dict = dataclasses.field(default_factory=dict)
    kinds: dict = dataclasses.field(default_factory=dict)  # name -> ir.Kind, where known
    implicit: dict = dataclasses.field(default_factory=dict)
    guards: dict = dataclasses.field(default_factory=dict)
    free_names: frozenset = frozenset()  # the free names of the function being parsed
    generators: dict = dataclasses.field(default_factory=dict)  # id -> Reader (randomness)
    object_readers: dict = dataclasses.field(default_factory=dict)  # id -> Reader (names)
    recursive_calls: int = 0  # inlined calls of a function inside itself (check_recursion)
    free_containers: set = dataclasses.field(default_factory=set)  # ids: read from globals
    consumed: set = dataclasses.field(default_factory=set)  # ids of generators iterated over


class ConverterCore:
    """State of one conversion and the helpers every rule uses."""

    def __init__(self, src: Source, namer: ir.Namer, stack: tuple, env: dict, shared=None):
        self.src = src
        self.namer = namer
        self.stack = stack  # the functions being converted, outermost first
        self.env = env
        self.shared = shared if shared is not None else Shared()
        self.out: list = []
        self.return_loc: Loc | None = None  # of the `return` that ran last, if any
        self.mutations: list = []  # (old, new) lists and dicts changed here (containers.mutate)
        # One call of a function being inlined: this converter and its branches
        # and loop bodies share ``frame``; ``caller`` is the converter of the
        # call site (None for the function being differentiated).
        self.frame = self
        self.caller = None

    def nested(self, env: dict):
        """A converter for a branch or loop body of this function."""
        branch = type(self)(self.src, self.namer, self.stack, env, self.shared)
        branch.frame, branch.caller = self.frame, self.caller
        return branch

    def trial(self, env: dict):
        """A converter whose work is thrown away (it names and records
        nothing this one sees): to learn what a loop body returns."""
        namer = copy.deepcopy(self.namer)
        shared = dataclasses.replace(
            self.shared,
            **{f.name: copy.copy(getattr(self.shared, f.name)) for f in dataclasses.fields(Shared)},
        )
        trial = type(self)(self.src, namer, self.stack, env, shared)
        trial.frame, trial.caller = self.frame, self.caller
        return trial

    def loc(self, node) -> Loc:
        return self.src.loc(node)

    def fail(self, node, message, hint, cls=Unsupported):
        raise cls(message, self.loc(node), hint)

    def check_recursion(self, function, name: str, node):
        """Refuse a call of ``function`` (a Python function or a nested
        ``def``'s node) inside itself unless the recursion ends when the code is
        generated: it is inlined, so at most ``MAX_RECURSION`` levels deep and
        ``MAX_RECURSIVE_CALLS`` calls in all."""
        depth = self.stack.count(function)
        if depth:
            self.shared.recursive_calls += 1
        if depth >= MAX_RECURSION or self.shared.recursive_calls > MAX_RECURSIVE_CALLS:
            self.fail(
                node,
                f"recursive call to {name} that does not end when the code is generated "
                f"(more than {MAX_RECURSION} levels or {MAX_RECURSIVE_CALLS} calls)",
                "recursion is inlined, so it must end on values known when the code is "
                "generated (the structure of containers, isinstance, static arguments); "
                "write it iteratively",
            )

    def new_name(self, pyname: str) -> str:
        return self.namer.fresh(pyname)

    def emit(self, value, node, target: str | None = None) -> Var:
        name = target or self.namer.temp()
        self.out.append(Assign(name, value, self.loc(node)))
        if isinstance(value, Op):
            self.set_kind(name, op_kind(value, [self.kind_of(a) for a in value.args]))
        else:
            self.set_kind(name, self.kind_of(value))
        return Var(name)

    def kind_of(self, value) -> Kind | None:
        """The kind of the atom ``value``; None where it is not known (or not an atom)."""
        if not is_atom(value):
            return None
        return atom_kind(value, self.shared.kinds, None)

    def set_kind(self, name: str, kind: Kind | None):
        if kind is not None:
            self.shared.kinds[name] = kind

    def joined_kind(self, *values) -> Kind | None:
        """The kind of a value that is one of ``values`` (a phi), where all are known."""
        kinds = [self.kind_of(v) for v in values]
        return None if None in kinds else join_kinds(*kinds)

    def rank_of(self, value, node, what: str) -> Kind:
        """The kind of ``value``, which ``what`` (``x.shape``) needs: an error
        where it is not known."""
        kind = self.kind_of(value)
        if kind is None:
            self.fail(
                node,
                f"{what} needs the rank of its array, which is not known here",
                "use its elements (x.shape[0]); the rank is known when the function is "
                "differentiated for its arguments (grad, value_and_grad)",
            )
        return kind

    def op(self, prim, args, node, target=None, attrs: Attrs = NO_ATTRS) -> Var:
        for a in args:
            if not is_atom(a):
                self.fail(node, *refusal(a, self.shared.kinds))
        if args and attrs == NO_ATTRS and all(isinstance(a, Const) for a in args):
            folded = _fold(prim, args)
            if folded is not None:  # len(params) - 1, i == 0: known now
                return folded
        return self.emit(Op(prim, tuple(args), attrs), node, target)

    def _rename_last(self, value: Var, pyname: str) -> Var:
        """Give the value just computed (a temporary) the user's variable name;
        not one a container in ``env`` holds (``t = (x * 2, y); a, b = t``),
        which still names the temporary."""
        if any(structured(v) and value in atoms_in(v) for v in self.env.values()):
            return value
        last = self.out[-1] if self.out else None
        if isinstance(last, Assign) and last.target == value.name:
            name = self.new_name(pyname)
            self.out[-1] = dataclasses.replace(last, target=name)
            self.set_kind(name, self.kind_of(value))
            return Var(name)
        if isinstance(last, If) and any(phi.target == value.name for phi in last.phis):
            name = self.new_name(pyname)
            phis = tuple(
                dataclasses.replace(phi, target=name) if phi.target == value.name else phi
                for phi in last.phis
            )
            self.out[-1] = dataclasses.replace(last, phis=phis)
            self.set_kind(name, self.kind_of(value))
            return Var(name)
        return self._rename_earlier(value, pyname)

    def _rename_earlier(self, value: Var, pyname: str) -> Var:
        """``_rename_last`` for a temporary defined before the last statement
        and not read since (``n, d = x.shape``: ``n`` is the first of two)."""
        for position in range(len(self.out) - 1, -1, -1):
            stmt = self.out[position]
            if isinstance(stmt, Assign) and stmt.target == value.name:
                later = ir.walk(self.out[position + 1 :])
                if any(value in ir.reads(other) for other in later):
                    return value
                name = self.new_name(pyname)
                self.out[position] = dataclasses.replace(stmt, target=name)
                self.set_kind(name, self.kind_of(value))
                return Var(name)
        return value


MAX_RECURSION = 16  # levels of one function inlined inside itself
MAX_RECURSIVE_CALLS = 256  # recursive calls inlined in one parse


def op_kind(op: Op, kinds) -> Kind | None:
    """The kind of ``op``'s result (``analysis.kinds.op_kind``'s rule), or
    None where an operand's kind is not known or the ranks do not fit."""
    if None in kinds:
        return None
    prim = PRIMITIVES[op.prim]
    if prim.array is None and any(k.rank for k in kinds):
        return None
    try:
        return prim.result_kind(list(kinds), op.args, op.attrs)
    except RankError:
        return None


def loop_kind(kind: Kind | None) -> Kind | None:
    """The kind of a carried value inside its loop, from its starting kind:
    an axis of size 1 before the loop may have any size after an iteration."""
    if kind is None:
        return None
    sizes = [AxisSize.MAYBE_ONE if s is AxisSize.ONE else s for s in kind.sizes()]
    return Kind.of_sizes(kind.dtype, sizes)


def _fold(prim, args):
    """The value of ``prim`` on constants (a ``Const``), or None."""
    evaluate = PRIMITIVES[prim].evaluate if prim in PRIMITIVES else None
    if evaluate is None:
        return None
    try:
        value = evaluate(*(a.value for a in args))
    except (ArithmeticError, ValueError, TypeError):
        return None
    return Const(value) if type(value) in (bool, int, float) else None
