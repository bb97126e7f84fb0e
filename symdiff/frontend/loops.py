"""Loops -> IR: ``for i in range(...)``, ``for row in X`` (and ``zip``/``enumerate``
of arrays), ``while``, with ``break`` and ``continue``.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A loop
becomes one ``ir.Loop``.  Its carried values are the names that exist before
the loop and that the body assigns (``_assigned_names``); the loop variable
is carried too, since Python leaves it at its last value.  Names first bound
in the body are not visible after the loop.  The body is normalised first
(``normalize.normalise_jumps``): ``break`` sets the loop's exit flag, kept
in ``env`` under ``BREAK``.  An array written into in the loop must have one
name before and after each iteration, so that it can be written in place.
A loop over an array runs a hidden index over its first axis and binds the
target to ``X[i]`` at the top of the body.  Loops over containers, and
``range`` loops with constant bounds whose body needs the index when the
code is generated (``params[i]``, ``xs.append``), are unrolled instead
(``containers``).
"""

from __future__ import annotations

import ast

from ..ir import Carry, Const, Loop, Var
from .converter import BREAK
from .normalize import has_return, normalise_jumps, returns
from .values import StaticOnly, structure, structured


class Loops:
    """Conversion of loops (mixed into ``frontend.Converter``)."""

    def loop_stmt(self, node):
        """A ``for`` or ``while``: a ``Loop`` (``real_loop``), or, over a
        container or a range with constant bounds whose body needs its index
        when the code is generated, the body once per element
        (``containers.unrolled_loop``)."""
        self._check_loop_form(node)
        if not isinstance(node, ast.For):
            return self.real_loop(node, None, None, None)
        values, plan = self.for_plan(node)
        if values is not None:
            return self.unrolled_loop(node, values)
        index, bounds, bind = plan
        if bind is not None:
            return self.real_loop(node, index, bounds, bind)
        taken, aliases = set(self.namer.taken), dict(self.shared.aliases)
        try:
            return self.real_loop(node, index, bounds, bind)
        except StaticOnly:  # params[i], xs.append(v): unroll the constant range
            bounds = [self.known(b) for b in bounds]  # range(N), N a global: guarded (names)
            if not all(isinstance(b, Const) for b in bounds):
                raise
            self.namer.taken, self.shared.aliases = taken, aliases
            return self.unrolled_loop(node, [Const(v) for v in range(*(b.value for b in bounds))])

    def real_loop(self, node, index, bounds, bind):
        """A ``for`` over ``range`` (``index`` is the loop variable, or a hidden
        name when ``bind`` binds the target from it) or a ``while``: a ``Loop``
        whose carried values are the names the body assigns that exist before
        the loop."""
        hidden = bind is not None
        targets = list(_target_names(node)) if hidden else []
        assigned = list(dict.fromkeys([*targets, *_assigned_names(node.body)]))
        before = dict(self.env)
        carried = self._carried_names(node, assigned, before, index)
        carried_vars = {name: Var(self.new_name(name)) for name in carried}
        written = set(_written_arrays(node.body))
        self._check_one_name_per_array(node, carried, written, before)
        env = {**before, **carried_vars}
        index_name = None
        if index is not None:
            index_name = self.new_name("i" if hidden else index)
            env[index] = Var(index_name)
        header, cond = self._while_header(node, env)
        body = self.nested(dict(env))
        body.env[BREAK] = Const(False)
        if bind is not None:
            bind(body)
        body.block(normalise_jumps(list(node.body)))
        self._check_containers_unchanged(node, before, body.env, carried)
        nexts = self._next_values(node, carried, body.env, written)
        if index is not None and not hidden and not isinstance(before.get(index, ()), tuple):
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
        self.env = {k: v for k, v in before.items() if k not in assigned and k != index}
        self.env.update(carried_vars)

    def _check_containers_unchanged(self, node, before, body_env, carried):
        """A list or dict cannot change in a loop whose trip count is known
        only when the code runs: its length would depend on it."""
        for name, value in before.items():
            if structured(value) and name not in carried and body_env.get(name) is not value:
                if name.startswith("<"):
                    continue
                raise StaticOnly(
                    f"'{name}' ({structure(value)}) is changed in a loop whose number of "
                    "iterations is known only when the code runs",
                    self.loc(node),
                    "the length of a list must be known when the code is generated: loop over "
                    "a container or a range with constant bounds (unrolled), or write into an "
                    "array (out = np.zeros(n); out[i] = ...)",
                )

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
            if structured(before[name]):
                raise StaticOnly(
                    f"'{name}' holds {structure(before[name])} and is reassigned in a loop "
                    "whose number of iterations is known only when the code runs",
                    self.loc(node),
                    "unpack it into separate names before the loop, or loop over a container "
                    "or a range with constant bounds (unrolled)",
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
            if structured(value):
                raise StaticOnly(
                    f"'{name}' becomes {structure(value)} in a loop whose number of iterations "
                    "is known only when the code runs",
                    self.loc(node),
                    "keep it a number or an array, or loop over a container or a range with "
                    "constant bounds (unrolled)",
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
        hint = "loop over range(...), an array, a container, zip(...) or enumerate(...)"
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


def _target_names(node):
    """The names a ``for`` statement's target binds."""
    for name in ast.walk(node.target):
        if isinstance(name, ast.Name):
            yield name.id


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
