"""Statements -> IR: assignments, ``if``/``else``, ``return``, writes into arrays.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A body is
normalised first (``normalize``), so ``return`` only ends a path; ``block``
stops at it.  An ``if`` converts both branches with nested converters and
joins every name both leave with a phi (``_join``); a name bound on one path
only is not usable after the ``if``.  ``a[i] = v`` makes a new version of
the array ``a`` which every name of the array then refers to; code
generation writes it in place where no one sees the old version.  The rule
for each statement type is in ``_STATEMENT_RULES`` at the end.
"""

from __future__ import annotations

import ast

from ..ir import Attrs, Const, If, Phi, Var
from .converter import BREAK, RETURN, RETURNED, RETURNED_VALUE, RETURNS
from .expressions import BINARY_OPERATORS
from .functions import Functions
from .loops import Loops
from .messages import EXPRESSION_HINTS, STATEMENT_HINTS, describe, is_or_are
from .normalize import ReturnFromLoop, SetBreakFlag, has_return, normalise_returns
from .values import DictValue, ListValue, SliceValue, StaticValue, structure, structured


class Statements:
    """Conversion of statements (mixed into ``frontend.Converter``)."""

    def body(self, fdef, helper=False):
        """The body of the function ``fdef``; its result is ``self.env[RETURN]``.
        A helper without any ``return`` returns None (it may change a list)."""
        self.block(normalise_returns(list(fdef.body)))
        if RETURN not in self.env and helper and not has_return(fdef.body):
            self.env[RETURN] = StaticValue(None)
        if RETURN not in self.env:
            self.fail(
                fdef,
                f"{fdef.name} does not return a value on every path",
                "end every path with `return <value>`",
            )

    def block(self, stmts):
        for stmt in stmts:
            if RETURN in self.env:  # unreachable after normalisation
                break
            self.stmt(stmt)

    def stmt(self, node):
        rule = _STATEMENT_RULES.get(type(node))
        if rule is None:
            hint = STATEMENT_HINTS.get(
                type(node), "rewrite it with assignments, if/else and return"
            )
            self.fail(node, f"{describe(node)} {is_or_are(node)} not supported", hint)
        rule(self, node)

    def set_break_flag(self, node):
        self.env[BREAK] = Const(True)

    def return_from_loop(self, node):
        """``return value`` in a loop: leave it, returning ``value`` (``Loops.loop_stmt``)."""
        if node.value is None:
            self.fail(node, "`return` without a value", "return the value to differentiate")
        value = self.expr(node.value)
        self.env[RETURNS].append((value, node))
        self.env[RETURNED_VALUE] = value
        self.env[RETURNED] = Const(True)
        self.env[BREAK] = Const(True)

    def no_effect(self, node):
        """``pass`` and ``assert``: nothing to compute."""

    def assign(self, node):
        if isinstance(node.targets[0], ast.Subscript):
            if len(node.targets) != 1:
                self.fail(node, "chained assignment into an array element", "assign once per line")
            self.store_item(node.targets[0], node.value, node)
            return
        value = self.expr(node.value, self._target_hint(node.targets))
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if names and isinstance(value, Var) and value.name.startswith("$"):
            value = self._rename_last(value, names[0])  # a = b = <expr>: name it once
        for target in node.targets:
            self.bind(target, value, node)

    def ann_assign(self, node):
        if node.value is None:
            return
        self.bind(node.target, self.expr(node.value, self._target_hint([node.target])), node)

    def aug_assign(self, node):
        prim = BINARY_OPERATORS.get(type(node.op))
        if prim is None:
            self.fail(node, f"operator {describe(node.op)} is not supported", "use + - * / ** // %")
        if isinstance(node.target, ast.Subscript):
            self.store_item(node.target, node.value, node, prim)
            return
        if not isinstance(node.target, ast.Name):
            self.fail(
                node,
                "augmented assignment to this target is not supported",
                "assign to a plain variable name or an array element",
            )
        left = self.name(node.target)
        right = self.expr(node.value)
        name = self.new_name(node.target.id)
        attrs = Attrs(inplace=True)  # analysis.memory refuses it on input arrays
        self.env[node.target.id] = self.op(prim, (left, right), node, name, attrs=attrs)

    def return_stmt(self, node):
        if node.value is None:
            self.fail(node, "`return` without a value", "return the value to differentiate")
        self.env[RETURN] = self.expr(node.value)
        self.return_loc = self.loc(node)

    def expr_stmt(self, node):
        """A bare expression: docstrings and print are dropped; ``xs.append(v)``
        changes ``xs`` (``containers``); other values are unused."""
        value = node.value
        if isinstance(value, ast.Constant):
            return
        if isinstance(value, ast.Call) and self._is_builtin(value.func, print):
            return
        self.expr(value)  # checked for errors; the value is unused, DCE drops it

    @staticmethod
    def _target_hint(targets):
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
        return None

    def bind(self, target, value, node):
        """Bind the assignment target ``target`` (a name or a tuple of them) to ``value``."""
        if isinstance(target, ast.Name):
            if isinstance(value, Var) and value.name.startswith("$"):
                value = self._rename_last(value, target.id)
            elif isinstance(value, Var) and value.name in self.shared.leaves:
                if value.name not in self.shared.aliases:  # W1, b1 = params[0]
                    self.shared.aliases[value.name] = self.new_name(target.id)
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                self.fail(
                    node,
                    f"cannot unpack {structure(value)} into {len(target.elts)} names",
                    "unpack a tuple or list of the same length",
                )
            for element, element_value in zip(target.elts, value):
                self.bind(element, element_value, node)
        elif isinstance(target, ast.Subscript):
            self.fail(
                node,
                "writing into an array element inside a tuple assignment is not supported",
                "assign each element on its own line: out[i] = a",
            )
        else:
            hint = EXPRESSION_HINTS.get(type(target), "assign to plain variable names")
            self.fail(node, f"cannot assign to {describe(target)}", hint)

    def if_stmt(self, node):
        cond = self.condition(node.test)
        self.branch_statements(
            cond,
            lambda branch: branch.block(node.body),
            lambda branch: branch.block(node.orelse),
            node,
        )

    def branch_statements(self, cond, then, orelse, node):
        """An ``if`` whose branches are statements ``then(converter)`` and
        ``orelse(converter)``: each runs in a nested converter and every name
        both leave is joined.  A condition known now runs the taken side only."""
        if isinstance(cond, Const):
            (then if cond.value else orelse)(self)
            return
        before = dict(self.env)
        branches = []
        for build in (then, orelse):
            branch = self.nested(dict(before))
            build(branch)
            if branch.return_loc is not None:
                self.return_loc = branch.return_loc
            branches.append(branch)
        then, other = branches
        _check_aliases(self, then.env, other.env, node)
        phis = []
        after = {}
        memo = {}  # one join per pair of objects: names of one list stay one list
        for key in dict.fromkeys([*then.env, *other.env]):  # in order: names are made here
            then_value, else_value = then.env.get(key), other.env.get(key)
            if then_value is None or else_value is None:
                continue  # defined on one path only: not usable afterwards
            if key in before and then_value is before[key] and else_value is before[key]:
                after[key] = then_value
                continue
            after[key] = self._join(key, then_value, else_value, phis, node, memo)
            if key in before and structured(before[key]) and after[key] is not before[key]:
                self.mutations.append((before[key], after[key]))
        self.env = after
        self.out.append(If(cond, tuple(then.out), tuple(other.out), tuple(phis), self.loc(node)))

    def _join(self, key, then_value, else_value, phis, node, memo=None):
        """The value of ``key`` after a branch: a new phi in ``phis`` where
        the two paths leave different values (element by element for tuples).
        ``memo`` joins each pair of containers once (aliases stay aliases)."""
        if structured(then_value) or structured(else_value):
            if then_value is else_value:
                return then_value
            memo = {} if memo is None else memo
            pair = (id(then_value), id(else_value))
            if pair not in memo:
                memo[pair] = self._join_containers(key, then_value, else_value, phis, node, memo)
            return memo[pair]
        if then_value == else_value:
            return then_value
        if key in (RETURNED, RETURNED_VALUE):  # a loop's early exit: as the loop names them
            name = self.new_name(key.strip("<>").replace(" ", "_"))
        else:
            name = self.new_name(key) if key.isidentifier() else self.namer.temp()
        phis.append(Phi(name, then_value, else_value))
        self.set_kind(name, self.joined_kind(then_value, else_value))
        return Var(name)

    def _join_containers(self, key, then_value, else_value, phis, node, memo):
        """The join of two containers of the same structure, element by element."""
        if then_value == else_value and not isinstance(then_value, (ListValue, DictValue)):
            return then_value  # equal lists may still be two lists: joined item by item
        if isinstance(then_value, SliceValue) and isinstance(else_value, SliceValue):
            return self._join_slices(key, then_value, else_value, phis, node, memo)
        same = type(then_value) is type(else_value) and (
            isinstance(then_value, tuple)
            and len(then_value) == len(else_value)
            or isinstance(then_value, DictValue)
            and then_value.keys == else_value.keys
        )
        if not same:
            what = "the returned value" if key == RETURN else f"'{key}'"
            hint = "give it the same structure on every path"
            if isinstance(then_value, ListValue) and isinstance(else_value, ListValue):
                hint = (
                    "the length of a list must be known when the code is generated: append "
                    "to it on every path (or append x if cond else 0.0)"
                )
            self.fail(
                node,
                f"{what} is {structure(then_value)} on one path and "
                f"{structure(else_value)} on another",
                hint,
            )
        pairs = (
            zip(then_value.values, else_value.values)
            if isinstance(then_value, DictValue)
            else zip(then_value, else_value)
        )
        items = tuple(self._join(key, x, y, phis, node, memo) for x, y in pairs)
        if isinstance(then_value, DictValue):
            return DictValue(then_value.keys, items)
        return type(then_value)(items)

    def _join_slices(self, key, then_value, else_value, phis, node, memo):
        """Two slice objects: joined bound by bound (each given on both paths)."""
        bounds = []
        for then_bound, else_bound in zip(then_value.bounds(), else_value.bounds()):
            if (then_bound is None) != (else_bound is None):
                what = "the returned value" if key == RETURN else f"'{key}'"
                self.fail(
                    node,
                    f"{what} is a slice whose bound is given on one path and left out on another",
                    "give its bounds on every path: slice(0, k) rather than slice(None, k)",
                )
            joined = (
                None
                if then_bound is None
                else self._join(key, then_bound, else_bound, phis, node, memo)
            )
            bounds.append(joined)
        return SliceValue(*bounds)

    def store_item(self, target, value_node, node, prim=None):
        """``a[index] = value`` (or ``a[index] <prim>= value``): a new version of
        ``a``, which every name of the array now refers to.  Code generation
        writes it in place where no one sees the old version."""
        if not isinstance(target.value, ast.Name) or not self._is_local(target.value):
            self.fail(
                target,
                "only local arrays can be written into",
                "create the array in the function (out = np.zeros(n)) and write into it by name",
            )
        old = self.name(target.value)
        if structured(old):
            self.store_into_container(old, target, value_node, node, prim)
            return
        if not isinstance(old, Var):
            self.fail(target, f"'{target.value.id}' is not an array", "write into arrays only")
        index, _ = self.written_out(old, target.slice, target, stored=True)  # x[..., 0] = v
        if index is None:
            self.fail(target, "storing into x[...] is not supported", "write x[:] = v")
        pattern, args = self.index(index)
        self.refuse_array_store(pattern, target)  # frontend.fancy
        value = self.expr(value_node)
        if isinstance(value, tuple):
            self.fail(node, "a tuple cannot be stored in an array", "store one number")
        attrs = Attrs(index=pattern)
        if prim in ("add", "sub"):
            if prim == "sub":
                value = self.op("neg", (value,), node)
            new = self.op("additem", (value, old, *args), node, attrs=attrs)
        else:
            if prim is not None:
                item = self.op("getitem", (old, *args), node, attrs=attrs)
                value = self.op(prim, (item, value), node)
            new = self.op("setitem", (value, old, *args), node, attrs=attrs)
        new = self._rename_last(new, target.value.id)
        for key, bound in list(self.env.items()):
            if bound == old:
                self.env[key] = new


_STATEMENT_RULES = {
    SetBreakFlag: Statements.set_break_flag,
    ReturnFromLoop: Statements.return_from_loop,
    ast.Assign: Statements.assign,
    ast.AnnAssign: Statements.ann_assign,
    ast.AugAssign: Statements.aug_assign,
    ast.Return: Statements.return_stmt,
    ast.If: Statements.if_stmt,
    ast.For: Loops.loop_stmt,
    ast.While: Loops.loop_stmt,
    ast.Pass: Statements.no_effect,
    ast.Assert: Statements.no_effect,
    ast.Expr: Statements.expr_stmt,
    ast.FunctionDef: Functions.define_function,
}


def _check_aliases(converter, then_env: dict, else_env: dict, node):
    """Two names hold one list or dict on one path and two on the other
    (``b = a`` in one branch only): after the ``if``, a change through one
    name would reach the other on one path only, which one program cannot
    say.  Refused, with what to write instead."""
    mutable = (ListValue, DictValue)
    names = [
        k
        for k in then_env
        if k in else_env
        and isinstance(then_env[k], mutable)
        and isinstance(else_env[k], mutable)
        and k.isidentifier()
    ]
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            together = then_env[first] is then_env[second]
            if together != (else_env[first] is else_env[second]):
                converter.fail(
                    node,
                    f"'{first}' and '{second}' are one {_word(then_env[first])} on one path of "
                    "this `if` and two on the other",
                    f"make it the same on every path: copy it ({second} = list({first})) or "
                    "bind both names the same way in each branch",
                )


def _word(value) -> str:
    return "dict" if isinstance(value, DictValue) else "list"
