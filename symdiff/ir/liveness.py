"""Liveness: which statements a function's results need.

Every primitive is pure, so a statement whose values nobody reads can go.
``live_code`` keeps the assignments, phis, branches and loop carries that
the given atoms depend on, walking the code backwards; the optimiser's
dead-code elimination (``optimize.dce``) and the reverse sweep of loops
(which drops what the adjoint does not read) both use it.
"""

from __future__ import annotations

import dataclasses

from . import Assign, If, Loop, Op, Var


def _vars(values):
    return {v.name for v in values if isinstance(v, Var)}


def live_code(body, results) -> tuple:
    """``body`` without the statements that none of the atoms ``results`` needs."""
    return _Liveness(_vars(results)).block(body)


class _Liveness:
    """``live``: the names read by the code after the point reached so far."""

    def __init__(self, live: set):
        self.live = live

    def block(self, body) -> tuple:
        out = []
        for stmt in reversed(body):
            if isinstance(stmt, Assign):
                if stmt.target in self.live:
                    value = stmt.value
                    self.live.update(_vars(value.args if isinstance(value, Op) else (value,)))
                    out.append(stmt)
            elif isinstance(stmt, Loop):
                new = self.loop(stmt)
                if new is not None:
                    out.append(new)
            else:
                new = self.branch(stmt)
                if new is not None:
                    out.append(new)
        return tuple(reversed(out))

    def branch(self, stmt: If):
        phis = tuple(phi for phi in stmt.phis if phi.target in self.live)
        for phi in phis:
            self.live.update(_vars((phi.then, phi.orelse)))
        then, orelse = self.block(stmt.body), self.block(stmt.orelse)
        if not (then or orelse or phis):
            return None
        self.live.update(_vars((stmt.cond,)))
        return If(stmt.cond, then, orelse, phis, stmt.loc)

    def loop(self, stmt: Loop):
        """The carries whose values are used after the loop or by the body,
        found by iterating to a fixed point; None if none are."""
        live = self.live
        needed = {c.name for c in stmt.carried if c.name in live}
        if not needed:  # a pure loop whose values nobody reads
            return None
        while True:
            live.update(_vars(c.next for c in stmt.carried if c.name in needed))
            live.update(_vars(a for a in (stmt.cond, stmt.exit) if a is not None))
            body, header = self.block(stmt.body), self.block(stmt.header)
            more = {c.name for c in stmt.carried if c.name in live} - needed
            if not more:
                break
            needed |= more
        live.update(_vars(c.init for c in stmt.carried if c.name in needed))
        live.update(_vars(stmt.bounds))
        carried = tuple(c for c in stmt.carried if c.name in needed)
        return dataclasses.replace(stmt, carried=carried, body=body, header=header)
