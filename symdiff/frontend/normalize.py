"""One way out of every path: ``return``, ``break`` and ``continue`` removed
from the middle of a body before it is converted.

``normalise_returns`` moves the statements after an ``if`` that may return
into its branches that do not, so every path of a function ends in exactly
one ``return`` (the converter joins the results with phis).
``normalise_jumps`` does the same for a loop body: ``continue`` ends its path
and ``break`` becomes a ``SetBreakFlag`` statement, which sets the loop's
break flag, tested at the end of the iteration.

Both work on the Python AST and return new statement lists; the nodes they
are given are never edited (new ``If`` nodes carry the old locations).
``jumps`` and ``always_jumps`` look at one loop level only: a nested loop's
``break`` is that loop's business.
"""

from __future__ import annotations

import ast


class SetBreakFlag(ast.stmt):
    """Placed by ``normalise_jumps`` where a ``break`` was: sets the loop's
    break flag.  A private node type: no user source can produce it."""

    _fields = ()


def returns(stmts):
    """The ``return`` statements of ``stmts`` (not those of functions
    defined in them), in source order."""
    todo = list(reversed(stmts))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(reversed(list(ast.iter_child_nodes(node))))


def has_return(stmts) -> bool:
    return any(True for _ in returns(stmts))


def always_returns(stmts) -> bool:
    """Does every path through ``stmts`` end in a ``return``?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ast.Return):
        return True
    return isinstance(last, ast.If) and always_returns(last.body) and always_returns(last.orelse)


def normalise_returns(stmts: list) -> list:
    """Move what follows an ``if`` that may return into its open branches."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Return):
            return stmts[: i + 1]
        if isinstance(stmt, ast.If) and has_return([stmt]):
            return stmts[:i] + [
                _rest_into_branches(stmt, stmts[i + 1 :], always_returns, normalise_returns)
            ]
    return stmts


def _rest_into_branches(stmt: ast.If, rest: list, leaves, normalise) -> ast.If:
    """``stmt`` followed by ``rest`` as one ``if``: ``rest`` moves into each
    branch that does not always ``leaves`` (return, jump), then each branch
    is normalised."""
    body = stmt.body if leaves(stmt.body) else stmt.body + rest
    orelse = stmt.orelse if leaves(stmt.orelse) else stmt.orelse + rest
    return ast.copy_location(ast.If(stmt.test, normalise(body), normalise(orelse)), stmt)


def jumps(stmts):
    """The ``break``/``continue`` statements of a loop body (not of nested loops)."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Break, ast.Continue)):
            yield stmt
        elif isinstance(stmt, ast.If):
            yield from jumps(stmt.body)
            yield from jumps(stmt.orelse)


def always_jumps(stmts) -> bool:
    """Does every path through ``stmts`` end in a ``break`` or ``continue``?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Break, ast.Continue)):
        return True
    return isinstance(last, ast.If) and always_jumps(last.body) and always_jumps(last.orelse)


def normalise_jumps(stmts: list) -> list:
    """Remove ``break`` and ``continue``: what follows an ``if`` that may
    jump moves into its branches that do not; ``break`` sets the loop's
    break flag (``SetBreakFlag``), tested at the end of the iteration."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Continue):
            return stmts[:i]
        if isinstance(stmt, ast.Break):
            flag = ast.copy_location(SetBreakFlag(), stmt)
            return stmts[:i] + [flag]
        if isinstance(stmt, ast.If) and any(True for _ in jumps([stmt])):
            return stmts[:i] + [
                _rest_into_branches(stmt, stmts[i + 1 :], always_jumps, normalise_jumps)
            ]
    return stmts
