"""Liveness: which statements a function's results need.

Every primitive is pure, so a statement whose values nobody reads can go.
``live_code`` keeps the assignments, phis, branches and loop carries that
the given atoms depend on; the optimiser's dead-code elimination and the
reverse sweep of a loop (which drops what its adjoint does not read) both
use it.
"""

from __future__ import annotations

import dataclasses

from . import Assign, If, Loop, Op, Var


def _vars(values):
    return {v.name for v in values if isinstance(v, Var)}


def live_code(body, results) -> tuple:
    """``body`` without the statements none of the atoms ``results`` needs."""
    live = _vars(results)

    def loop(s: Loop):
        """The carries whose values are used after the loop or by the body,
        found by iterating to a fixed point; None if none are."""
        needed = {c.name for c in s.carried if c.name in live}
        if not needed:  # a pure loop whose values nobody reads
            return None
        while True:
            live.update(_vars(c.next for c in s.carried if c.name in needed))
            live.update(_vars(a for a in (s.cond, s.exit) if a is not None))
            body, header = block(s.body), block(s.header)
            more = {c.name for c in s.carried if c.name in live} - needed
            if not more:
                break
            needed |= more
        if not needed:
            return None
        live.update(_vars(c.init for c in s.carried if c.name in needed))
        live.update(_vars(s.bounds))
        carried = tuple(c for c in s.carried if c.name in needed)
        return dataclasses.replace(s, carried=carried, body=body, header=header)

    def block(body) -> tuple:
        out = []
        for s in reversed(body):
            if isinstance(s, Assign):
                if s.target in live:
                    live.update(_vars(s.value.args if isinstance(s.value, Op) else (s.value,)))
                    out.append(s)
                continue
            if isinstance(s, Loop):
                new = loop(s)
                if new is not None:
                    out.append(new)
                continue
            phis = tuple(p for p in s.phis if p.target in live)
            for p in phis:
                live.update(_vars((p.then, p.orelse)))
            body_, orelse = block(s.body), block(s.orelse)
            if body_ or orelse or phis:
                live.update(_vars((s.cond,)))
                out.append(If(s.cond, body_, orelse, phis, s.loc))
        return tuple(reversed(out))

    return block(body)
