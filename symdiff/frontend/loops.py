"""Loops -> IR: ``for i in range(...)`` and ``while``, with ``break``,
``continue`` and ``return`` (an early exit).

Methods of ``frontend.Converter`` (conventions in ``converter``).  A loop
becomes one ``ir.Loop``.  Its carried values are the names that exist before
the loop and that the body assigns (``_assigned_names``); the loop variable
is carried too, since Python leaves it at its last value.  Names first bound
in the body are not visible after the loop.  The body is normalised first
(``normalize.normalise_jumps``): ``break`` sets the loop's exit flag, kept
in ``env`` under ``BREAK``; ``return`` sets it too, and the loop carries a
returned flag and the returned value (``_early_exit``), which the code after
the loop reads (``normalize``).  An array written into in the loop must have
one name before and after each iteration, so that it can be written in place.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from ..ir import BOOL, INT, AxisSize, Carry, Const, Loop, Var, join_kinds
from .converter import BREAK, RETURNED, RETURNED_VALUE, RETURNS, loop_kind
from .normalize import loop_returns, normalise_jumps
from .values import is_atom, map_atoms, structure


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
        stmts = normalise_jumps(list(node.body))
        early = self._early_exit(node, stmts, env, before) if loop_returns(stmts) else None
        body = self.nested(dict(env))
        body.env[BREAK] = Const(False)
        if early is not None:
            body.env.update({RETURNED: early.flag, RETURNED_VALUE: early.value, RETURNS: []})
        body.block(stmts)
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
        carries = tuple(
            Carry(carried_vars[name].name, before[name], next_value)
            for name, next_value in zip(carried, nexts)
        )
        if early is not None:
            carries += early.carries(body.env)
        loop = Loop(
            carries,
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
        if early is not None:  # read by the `if <returned>: return <value>` after the loop
            self.env.update({RETURNED: early.flag, RETURNED_VALUE: early.value})

    def _early_exit(self, node, stmts, env, before) -> EarlyExit:
        """What a loop whose body may ``return`` carries for it: a flag and
        the returned value (atom by atom), which starts as a zero of its kind.

        The kind, and the structure of a returned tuple, are learnt by
        converting the body once on trial (``trial``), before the loop's
        values exist."""
        trial = self.trial(dict(env))
        seen = []
        trial.env.update({BREAK: Const(False), RETURNED: Const(False), RETURNS: seen})
        trial.block(stmts)
        first, first_node = seen[0]
        skeleton = map_atoms(first, lambda atom: None)
        kinds = [[] for _ in atoms_in(first)]
        for value, where in seen:
            if map_atoms(value, lambda atom: None) != skeleton:
                self.fail(
                    where,
                    f"the loop returns {structure(value)} here and {structure(first)} at line "
                    f"{first_node.lineno}",
                    "return values of the same structure from every `return`",
                )
            for position, atom in enumerate(atoms_in(value)):
                kinds[position].append(trial.kind_of(atom))
        if any(None in atom_kinds for atom_kinds in kinds):
            self.fail(
                first_node,
                "the kind of the value returned inside the loop is not known here",
                "differentiate the function for its arguments (grad, value_and_grad), "
                "or store the value, `break`, and return after the loop",
            )
        inits = [self._zero_of(join_kinds(*k), before, first_node) for k in kinds]
        flag = Var(self.new_name("returned"))
        self.set_kind(flag.name, BOOL)
        names = iter([Var(self.new_name("returned_value")) for _ in inits])
        value = map_atoms(first, lambda atom: next(names))
        for var, init, atom_kinds in zip(atoms_in(value), inits, kinds):
            self.set_kind(var.name, loop_kind(join_kinds(self.kind_of(init), *atom_kinds)))
        return EarlyExit(flag, value, tuple(inits))

    def _zero_of(self, kind, before, node):
        """A value of ``kind`` made before the loop, for a returned value to
        start as: a zero scalar, or an array of zeros shaped like an array of
        the same kind that exists before the loop (else of size 0, or 1 along
        the axes known to have size 1)."""
        if kind.rank == 0:
            return Const({"float": 0.0, "int": 0, "bool": False}[kind.dtype])
        if kind.dtype == "float":
            for value in before.values():
                if is_atom(value) and self.kind_of(value) == kind:
                    return self.op("zeros_like", (value,), node)
        sizes = [Const(1) if size is AxisSize.ONE else Const(0) for size in kind.sizes()]
        return self.op("zeros", sizes, node)

    def _check_loop_form(self, node):
        """Refuse ``for``/``while ... else``."""
        word = "for" if isinstance(node, ast.For) else "while"
        if node.orelse:
            self.fail(
                node, f"`{word} ... else` is not supported", "set a flag and test it after the loop"
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


class EarlyExit(NamedTuple):
    """What a loop that may ``return`` carries: ``flag`` (did it return?)
    and ``value`` (what it returned: a structure of variables) starting as ``inits``."""

    flag: Var
    value: object
    inits: tuple

    def carries(self, env) -> tuple:
        """The loop's ``Carry``s for them, from the body's final ``env``."""
        nexts = atoms_in(env[RETURNED_VALUE])
        pairs = zip(atoms_in(self.value), self.inits, nexts)
        return (Carry(self.flag.name, Const(False), env[RETURNED]),) + tuple(
            Carry(var.name, init, next_value) for var, init, next_value in pairs
        )


def atoms_in(value) -> list:
    """The atoms of a (structured) value, in order."""
    out = []
    map_atoms(value, lambda atom: out.append(atom) or atom)
    return out
