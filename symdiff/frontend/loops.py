"""Loops -> IR: ``for i in range(...)`` and ``while``, with ``break`` and ``continue``.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A loop
becomes one ``ir.Loop``.  Its carried values are the names that exist before
the loop and that the body assigns (``_assigned_names``); the loop variable
is carried too, since Python leaves it at its last value.  Names first bound
in the body are not visible after the loop.  The body is normalised first
(``normalize.normalise_jumps``): ``break`` sets the loop's exit flag, kept
in ``env`` under ``BREAK``.  An array written into in the loop must have one
name before and after each iteration, so that it can be written in place.
"""

from __future__ import annotations

import ast

from ..ir import INT, Carry, Const, Loop, Var
from .converter import BREAK, loop_kind
from .normalize import has_return, normalise_jumps, returns


class Loops:
    """Conversion of loops (mixed into ``frontend.Converter``)."""

    def loop_stmt(self, node):
        """A ``for`` over ``range`` or a ``while``: a ``Loop`` whose carried
        values are the names the body assigns that exist before the loop."""
        self._check_loop_form(node)
        index = bounds = None
        if isinstance(node, ast.For):
            index, bounds = self.range_of(node)
        assigned = list(dict.fromkeys(_assigned_names(node.body)))
        before = dict(self.env)
        carried = self._carried_names(node, assigned, before, index)
        carried_vars = {name: Var(self.new_name(name)) for name in carried}
        for name in carried:
            self.set_kind(carried_vars[name].name, loop_kind(self.kind_of(before[name])))
        written = set(_written_arrays(node.body))
        self._check_one_name_per_array(node, carried, written, before)
        env = {**before, **carried_vars}
        index_name = None
        if index is not None:
            index_name = self.new_name(index)
            env[index] = Var(index_name)
            self.set_kind(index_name, INT)
        header, cond = self._while_header(node, env)
        body = self.nested(dict(env))
        body.env[BREAK] = Const(False)
        body.block(normalise_jumps(list(node.body)))
        nexts = self._next_values(node, carried, body.env, written)
        if index is not None and not isinstance(before.get(index, ()), tuple):
            # Python leaves the loop variable at its last value (or as it was
            # before, if the loop did not run): a carried value too.
            carried.append(index)
            carried_vars[index] = Var(self.new_name(index))
            nexts.append(body.env.get(index, Var(index_name)))
        exit_flag = body.env.get(BREAK)
        if exit_flag == Const(False):
            exit_flag = None
        loop = Loop(
            tuple(
                Carry(carried_vars[name].name, before[name], next_value)
                for name, next_value in zip(carried, nexts)
            ),
            tuple(body.out),
            index_name,
            *(bounds or (None, None, None)),
            header=header,
            cond=cond,
            exit=exit_flag,
            loc=self.loc(node),
        )
        self.out.append(loop)
        for carry in loop.carried:  # after the loop: its starting or its next value
            self.set_kind(carry.name, self.joined_kind(carry.init, carry.next))
        self.env = {k: v for k, v in before.items() if k not in assigned and k != index}
        self.env.update(carried_vars)

    def _check_loop_form(self, node):
        """Refuse ``for``/``while ... else`` and ``return`` in a loop."""
        word = "for" if isinstance(node, ast.For) else "while"
        if node.orelse:
            self.fail(
                node, f"`{word} ... else` is not supported", "set a flag and test it after the loop"
            )
        if has_return(node.body):
            self.fail(
                next(returns(node.body)),
                "`return` inside a loop is not supported",
                "store the value in a variable, `break`, and return after the loop",
            )

    def _carried_names(self, node, assigned, before, index) -> list:
        """The names the loop carries from one iteration to the next (the loop
        variable aside): those of ``assigned`` bound before the loop."""
        carried = [name for name in assigned if name in before and name != index]
        for name in carried:
            if isinstance(before[name], tuple):
                self.fail(
                    node,
                    f"'{name}' holds a tuple and is reassigned in the loop",
                    "unpack it into separate names before the loop",
                )
        return carried

    def _check_one_name_per_array(self, node, carried, written, before):
        """An array written into in the loop has no second name before it."""
        for name in carried:
            others = [m for m, v in before.items() if m != name and v == before[name]]
            if name in written and others:
                self.fail(
                    node,
                    f"the array written into in the loop is also named '{others[0]}'",
                    f"use one name for it (or make a copy: {others[0]} = {name}.copy())",
                )

    def _while_header(self, node, env):
        """The statements computing a ``while`` loop's condition, and the condition."""
        if not isinstance(node, ast.While):
            return (), None
        head = self.nested(dict(env))
        cond = head.condition(node.test)
        return tuple(head.out), cond

    def _next_values(self, node, carried, body_env, written) -> list:
        """The values the body leaves in the ``carried`` names, for the next iteration."""
        nexts = []
        for name in carried:
            value = body_env.get(name)
            if isinstance(value, tuple):
                self.fail(
                    node, f"'{name}' becomes a tuple in the loop", "keep it a number or an array"
                )
            nexts.append(value)
        for name, next_value in zip(carried, nexts):  # b = a in the body: one array, two names
            same = [m for m, v in zip(carried, nexts) if m != name and v == next_value]
            if name in written and same and isinstance(next_value, Var):
                self.fail(
                    node,
                    f"the array written into in the loop is also named '{same[0]}' after an "
                    "iteration",
                    f"use one name for it, or make a copy: {same[0]} = {name}.copy()",
                )
        return nexts

    def range_of(self, node):
        """The index name and (start, stop, step) atoms of ``for i in range(...)``."""
        call = node.iter
        hint = (
            "loop over indices: for i in range(len(x)): ... x[i] ... "
            "(enumerate, zip and iterating over arrays are not supported)"
        )
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            self.fail(call, "symdiff loops only over range(...)", hint)
        if call.func.id in self.env or self._resolve_quiet(call.func) is not range:
            self.fail(call, f"symdiff loops only over range(...), not {call.func.id}(...)", hint)
        if not 1 <= len(call.args) <= 3 or call.keywords:
            self.fail(
                call,
                "range() takes 1 to 3 arguments",
                "write range(stop), range(start, stop[, step])",
            )
        if not isinstance(node.target, ast.Name):
            self.fail(
                node.target, "the loop variable must be a plain name", "write for i in range(n)"
            )
        args = [self.expr(a) for a in call.args]
        if any(isinstance(a, tuple) for a in args):
            self.fail(call, "range() takes ints, not tuples", "pass ints")
        start, stop, step = (
            (Const(0), args[0], Const(1)) if len(args) == 1 else (*args, Const(1))[:3]
        )
        if step == Const(0):
            self.fail(call, "range() step must not be zero", "use a positive or negative step")
        return node.target.id, (start, stop, step)


def _assigned_names(stmts):
    """Names a block (re)binds, in order: assignments, arrays written into,
    loop variables of nested loops."""
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                yield node.id
        yield from _written_arrays([stmt])


def _written_arrays(stmts):
    """Names of arrays a block writes into (``a[i] = ...``, ``a[i] += ...``)."""
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        yield target.value.id
