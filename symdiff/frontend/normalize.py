"""One way out of every path: ``return``, ``break`` and ``continue`` removed
from the middle of a body before it is converted.

``normalise_returns`` moves the statements after an ``if`` that may return
into its branches that do not, so every path of a function ends in exactly
one ``return`` (the converter joins the results with phis).
``normalise_jumps`` does the same for a loop body: ``continue`` ends its path
and ``break`` becomes a ``SetBreakFlag`` statement, which sets the loop's
break flag, tested at the end of the iteration.

``return`` inside a loop (an early exit) is a jump too: it becomes a
``ReturnFromLoop`` statement, which sets the loop's break flag, its
*returned* flag and the value it returns (both carried by the loop).  What
follows a loop that may return is then ``if <returned>: return <value>``
else the rest (``ReturnedFlag`` and ``ReturnedValue`` read what the loop
left), so the function's other paths are normalised as for an ``if``; a
nested loop that may return makes its enclosing loop return the same way.

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


class ReturnFromLoop(ast.stmt):
    """Placed by ``normalise_jumps`` where a ``return value`` was in a loop:
    sets the loop's break and returned flags and its returned value."""

    _fields = ("value",)


class ReturnedFlag(ast.expr):
    """Did the loop just converted run a ``return``?  (Placed after it.)"""

    _fields = ()


class ReturnedValue(ast.expr):
    """The value the loop just converted returned, if it did."""

    _fields = ()


def _after_loop(loop, rest: list) -> ast.If:
    """``if <the loop returned>: return <its value>`` else ``rest``."""
    first = next(returns(loop.body))
    back = ast.copy_location(ast.Return(ast.copy_location(ReturnedValue(), first)), first)
    test = ast.copy_location(ReturnedFlag(), loop)
    return ast.copy_location(ast.If(test, [back], rest), loop)


def is_loop(stmt) -> bool:
    return isinstance(stmt, (ast.For, ast.While))


def returns(stmts):
    """The ``return`` statements anywhere in ``stmts``, in source order."""
    return (node for stmt in stmts for node in ast.walk(stmt) if isinstance(node, ast.Return))


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
        if is_loop(stmt) and has_return(stmt.body):
            after = _after_loop(stmt, stmts[i + 1 :])
            return stmts[: i + 1] + [
                _rest_into_branches(after, [], always_returns, normalise_returns)
            ]
    return stmts


def _rest_into_branches(stmt: ast.If, rest: list, leaves, normalise) -> ast.If:
    """``stmt`` followed by ``rest`` as one ``if``: ``rest`` moves into each
    branch that does not always ``leaves`` (return, jump), then each branch
    is normalised."""
    body = stmt.body if leaves(stmt.body) else stmt.body + rest
    orelse = stmt.orelse if leaves(stmt.orelse) else stmt.orelse + rest
    return ast.copy_location(ast.If(stmt.test, normalise(body), normalise(orelse)), stmt)


_JUMPS = (ast.Break, ast.Continue, ast.Return)


def jumps(stmts):
    """The ``break``/``continue``/``return`` statements of a loop body (not
    of nested loops)."""
    for stmt in stmts:
        if isinstance(stmt, _JUMPS):
            yield stmt
        elif isinstance(stmt, ast.If):
            yield from jumps(stmt.body)
            yield from jumps(stmt.orelse)


def always_jumps(stmts) -> bool:
    """Does every path through ``stmts`` end in a ``break``, ``continue`` or ``return``?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, _JUMPS):
        return True
    return isinstance(last, ast.If) and always_jumps(last.body) and always_jumps(last.orelse)


def normalise_jumps(stmts: list) -> list:
    """Remove ``break``, ``continue`` and ``return``: what follows an ``if``
    (or a nested loop) that may jump moves into its branches that do not;
    ``break`` sets the loop's break flag (``SetBreakFlag``), tested at the
    end of the iteration, and ``return`` also what the loop returns
    (``ReturnFromLoop``)."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Continue):
            return stmts[:i]
        if isinstance(stmt, ast.Break):
            flag = ast.copy_location(SetBreakFlag(), stmt)
            return stmts[:i] + [flag]
        if isinstance(stmt, ast.Return):
            return stmts[:i] + [ast.copy_location(ReturnFromLoop(stmt.value), stmt)]
        if isinstance(stmt, ast.If) and any(True for _ in jumps([stmt])):
            return stmts[:i] + [
                _rest_into_branches(stmt, stmts[i + 1 :], always_jumps, normalise_jumps)
            ]
        if is_loop(stmt) and has_return(stmt.body):
            after = _after_loop(stmt, stmts[i + 1 :])
            return stmts[: i + 1] + [_rest_into_branches(after, [], always_jumps, normalise_jumps)]
    return stmts


def loop_returns(stmts) -> bool:
    """Does a normalised loop body return (``ReturnFromLoop``) on some path?"""
    return any(
        isinstance(stmt, ReturnFromLoop)
        or isinstance(stmt, ast.If)
        and (loop_returns(stmt.body) or loop_returns(stmt.orelse))
        for stmt in stmts
    )
