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
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..errors import Loc
from ..errors import UnsupportedSyntaxError as Unsupported
from ..ir import NO_ATTRS, Assign, Attrs, Const, If, Op, Var
from ..primitives import PRIMITIVES
from .source import Source
from .values import is_atom, structure

RETURN = "<return>"  # environment key of a function's result while converting
BREAK = "<break>"  # environment key of a loop's break flag while converting its body


@dataclasses.dataclass
class Shared:
    """State shared by every converter of one ``parse`` (branches, loop
    bodies, inlined helpers).

    ``leaves``: the parameters that are leaves of container arguments
    (``params_0_0``); ``aliases`` gives such a leaf the first user name it is
    bound to (``W1, b1 = params[0]``), which the generated code then uses.
    ``kinds``: the ``ir.Kind`` of each parameter when the arguments are known.
    ``implicit`` and ``guards`` (``frontend.names``): the free values read
    at each call (``ir.Implicit`` by reader) and those read once, when the
    code is generated (``ir.Guard`` by reader).
    """

    leaves: frozenset = frozenset()
    aliases: dict = dataclasses.field(default_factory=dict)
    kinds: dict = dataclasses.field(default_factory=dict)  # the parameters' ir.Kind, when known
    implicit: dict = dataclasses.field(default_factory=dict)
    guards: dict = dataclasses.field(default_factory=dict)
    free_names: frozenset = frozenset()  # the free names of the function being parsed
    generators: dict = dataclasses.field(default_factory=dict)  # id -> Reader (randomness)
    object_readers: dict = dataclasses.field(default_factory=dict)  # id -> Reader (names)


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

    def loc(self, node) -> Loc:
        return self.src.loc(node)

    def fail(self, node, message, hint, cls=Unsupported):
        raise cls(message, self.loc(node), hint)

    def new_name(self, pyname: str) -> str:
        return self.namer.fresh(pyname)

    def emit(self, value, node, target: str | None = None) -> Var:
        name = target or self.namer.temp()
        self.out.append(Assign(name, value, self.loc(node)))
        return Var(name)

    def op(self, prim, args, node, target=None, attrs: Attrs = NO_ATTRS) -> Var:
        for a in args:
            if not is_atom(a):
                self.fail(
                    node,
                    f"{structure(a)} cannot be used as a number or an array here",
                    "take its elements first (a, b = pair; params[0]; params['W'])",
                )
        if args and attrs == NO_ATTRS and all(isinstance(a, Const) for a in args):
            folded = _fold(prim, args)
            if folded is not None:  # len(params) - 1, i == 0: known now
                return folded
        return self.emit(Op(prim, tuple(args), attrs), node, target)

    def _rename_last(self, value: Var, pyname: str) -> Var:
        """Give the value just computed (a temporary) the user's variable name."""
        last = self.out[-1] if self.out else None
        if isinstance(last, Assign) and last.target == value.name:
            name = self.new_name(pyname)
            self.out[-1] = dataclasses.replace(last, target=name)
            return Var(name)
        if isinstance(last, If) and any(phi.target == value.name for phi in last.phis):
            name = self.new_name(pyname)
            phis = tuple(
                dataclasses.replace(phi, target=name) if phi.target == value.name else phi
                for phi in last.phis
            )
            self.out[-1] = dataclasses.replace(last, phis=phis)
            return Var(name)
        return value


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
