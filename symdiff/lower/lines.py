"""``# line N`` marks: where the printed code's user source line changes."""

from __future__ import annotations

import os

from .. import ir
from ..errors import Loc
from ..ir import If, Loop
from .nodes import Line


class _Marker:
    """Walks lowered statements in printed order, remembering the last line marked."""

    def __init__(self, function_loc: Loc):
        self.filename = function_loc.filename
        self.last = None  # (line, file) of the last mark

    def block(self, body: tuple, quiet: frozenset, elif_=False) -> tuple:
        out = []
        for stmt in body:
            loc = getattr(stmt, "loc", None)
            where = None if loc is None else (loc.lineno, loc.filename)
            if where is not None and where != self.last and where not in quiet:
                self.last = where
                if not elif_:
                    out.append(self.line(loc))
            inner = ir.bodies(stmt)
            if inner:
                inside = quiet | {where} if isinstance(stmt, Loop) and where else quiet
                new = [
                    self.block(branch, inside, _is_elif(stmt, k, branch))
                    for k, branch in enumerate(inner)
                ]
                stmt = ir.with_bodies(stmt, new)
            out.append(stmt)
        return tuple(out)

    def line(self, loc: Loc) -> Line:
        other = None if loc.filename == self.filename else os.path.basename(loc.filename)
        return Line(loc.lineno, other)


def _is_elif(stmt, position: int, branch: tuple) -> bool:
    """Is ``branch`` the ``else`` of ``stmt`` holding just an ``if`` (an ``elif``)?"""
    return isinstance(stmt, If) and position == 1 and len(branch) == 1 and isinstance(branch[0], If)


def mark_lines(body: tuple, function_loc: Loc) -> tuple:
    """``body`` with a ``Line`` before each statement whose user source line
    differs from that of the code printed before it.  Lines of another file
    (a helper the frontend inlined) name it.

    No mark goes on the ``def`` line (the arguments' adjoints are gathered
    there) nor, inside a loop, on the loop's own line (restoring an
    iteration, accumulating its adjoints: the loop's bookkeeping, in the
    block of the line it serves); nor before the ``if`` that is the whole
    ``else`` of another: it prints as ``elif``, on its own line."""
    quiet = frozenset({(function_loc.lineno, function_loc.filename)})
    return _Marker(function_loc).block(body, quiet)
