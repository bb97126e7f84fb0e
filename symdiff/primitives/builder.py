"""The expression builder used by derivative rules.

Rules are written as nested expressions (``E``: ``g * cos(x)``); ``Builder``
turns one into IR statements, one ``Op`` per statement, applying the
exact folding and identities of ``algebra`` as it goes, so that derivative
code is born simplified.
"""

from __future__ import annotations

from ..ir import Assign, Namer, Op, Var
from .algebra import materialize
from .expr import E


class Builder:
    """Emits the statements computing a rule's expression; returns its atom.

    ``emit(e, hint)`` names the final value ``hint`` when it is a new value
    (a copy ``hint = t`` that ``simplify`` coalesces into ``t``'s definition).
    ``kinds`` are the kinds of the values the rules read (see ``simplify_op``).
    """

    def __init__(self, namer: Namer, out: list, defs: dict, kinds: dict, loc=None):
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
