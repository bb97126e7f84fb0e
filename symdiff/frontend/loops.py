"""Loops -> IR: ``for i in range(...)``, ``for row in X`` (and ``zip``/``enumerate``
of arrays), ``while``, with ``break``, ``continue`` and ``return`` (an early exit).

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
A loop over an array runs a hidden index over its first axis and binds the
target to ``X[i]`` at the top of the body.  Loops over containers, and
``range`` loops with constant bounds whose body needs the index when the
code is generated (``params[i]``, ``xs.append``), are unrolled instead
(``containers``).
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from ..ir import BOOL, INT, AxisSize, Carry, Const, Loop, Var, join_kinds
from .converter import BREAK, RETURNED, RETURNED_VALUE, RETURNS, loop_kind
from .normalize import has_return, loop_returns, normalise_jumps
from .values import StaticOnly, atoms_in, is_atom, map_atoms, structure, structured


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
            return self.unrolled_with_returns(node, values)
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
            values = [Const(v) for v in range(*(b.value for b in bounds))]
            return self.unrolled_with_returns(node, values)

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
        for name in carried:
            self.set_kind(carried_vars[name].name, loop_kind(self.kind_of(before[name])))
        written = set(_written_arrays(node.body))
        self._check_one_name_per_array(node, carried, written, before)
        env = {**before, **carried_vars}
        index_name = None
        if index is not None:
            index_name = self.new_name("i" if hidden else index)
            env[index] = Var(index_name)
            self.set_kind(index_name, INT)
        header, cond = self._while_header(node, env)
        stmts = normalise_jumps(list(node.body))
        may_return = loop_returns(stmts)
        early = self._early_exit(node, env, _running(stmts, bind)) if may_return else None
        body = self.nested(dict(env))
        body.env[BREAK] = Const(False)
        if bind is not None:
            bind(body)
        if early is not None:
            body.env.update({RETURNED: early.flag, RETURNED_VALUE: early.value, RETURNS: []})
        body.block(stmts)
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
        carries = tuple(
            Carry(carried_vars[name].name, before[name], next_value)
            for name, next_value in zip(carried, nexts)
        )
        if early is not None:  # made before the loop, now that it cannot be unrolled
            inits = [self._zero_of(kind, before, node) for kind in early.kinds]
            carries += early.carries(body.env, inits)
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
        if may_return:  # read by the `if <returned>: return <value>` after the loop
            self.env[RETURNED] = Const(False) if early is None else early.flag
            if early is not None:
                self.env[RETURNED_VALUE] = early.value

    def unrolled_with_returns(self, node, values):
        """``containers.unrolled_loop``, where a ``return`` in the body is a
        return from the function: the returned flag starts False and the
        value as a zero of its kind (learnt on trial), and the unrolled
        bodies' ``if``s join them."""
        if not has_return(node.body):
            return self.unrolled_loop(node, values)
        early = self._early_exit(node, self.env, lambda trial: trial.unrolled_loop(node, values))
        self.env[RETURNED] = Const(False)
        outer = self.env.get(RETURNS)  # an enclosing loop's, which its `return`s fill
        if early is not None:
            inits = iter([self._zero_of(kind, self.env, node) for kind in early.kinds])
            self.env[RETURNED_VALUE] = map_atoms(early.value, lambda var: next(inits))
            self.env[RETURNS] = []
        self.unrolled_loop(node, values)
        if outer is not None:
            self.env[RETURNS] = outer

    def _early_exit(self, node, env, run) -> EarlyExit | None:
        """What a loop whose body may ``return`` carries for it: a flag and
        the returned value (atom by atom), which starts as a zero of its kind;
        None where no ``return`` is reached (static conditions).

        The kind, and the structure of a returned tuple, are learnt by
        converting the body once on trial (``run(trial)``), before the loop's
        values exist."""
        trial = self.trial(dict(env))
        seen = []
        trial.env.update({BREAK: Const(False), RETURNED: Const(False), RETURNS: seen})
        run(trial)
        if not seen:
            return None
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
        joined = [join_kinds(*atom_kinds) for atom_kinds in kinds]
        flag = Var(self.new_name("returned"))
        self.set_kind(flag.name, BOOL)
        names = iter([Var(self.new_name("returned_value")) for _ in joined])
        value = map_atoms(first, lambda atom: next(names))
        for var, kind in zip(atoms_in(value), joined):
            self.set_kind(var.name, loop_kind(kind))
        return EarlyExit(flag, value, tuple(joined))

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


class EarlyExit(NamedTuple):
    """What a loop that may ``return`` carries: ``flag`` (did it return?)
    and ``value`` (what it returned: a structure of variables, whose atoms
    have the ``kinds`` of what the ``return``s give)."""

    flag: Var
    value: object
    kinds: tuple

    def carries(self, env, inits) -> tuple:
        """The loop's ``Carry``s for them, from the body's final ``env``; the
        returned value starts as ``inits``."""
        nexts = atoms_in(env[RETURNED_VALUE])
        pairs = zip(atoms_in(self.value), inits, nexts)
        return (Carry(self.flag.name, Const(False), env[RETURNED]),) + tuple(
            Carry(var.name, init, next_value) for var, init, next_value in pairs
        )


def _running(stmts, bind):
    """Converts a loop body: binds the target (a loop over an array), then ``stmts``."""

    def run(converter):
        if bind is not None:
            bind(converter)
        converter.block(stmts)

    return run
