"""Expressions -> IR: operators, comparisons, ``and``/``or``, ``x if c else y``,
tuples, indexing, array attributes, shapes as tuples and slice objects (lists,
dicts and comprehensions are in ``containers``).

Methods of ``frontend.Converter`` (conventions in ``converter``).  ``expr``
dispatches on the node type through ``_EXPRESSION_RULES`` (at the end; names
and calls have their rules in ``names`` and ``calls``) and returns an atom
or a tuple of values.  Expression nodes are called ``e``, as in ``ast``.

``and``, ``or``, chained comparisons and ``x if c else y`` short-circuit as
in Python: each later operand becomes a branch of an ``If`` (built by
``branch_value``), so the branch not taken is never evaluated, nor
differentiated.  An operand that is not built yet is a function of the
converter of its branch (``_operand``).
"""

from __future__ import annotations

import ast

from ..ir import Attrs, AxisSize, Const, If, Span, Take, Var
from .calls import Calls
from .containers import Containers
from .converter import RETURN, RETURNED, RETURNED_VALUE
from .fancy import has_array_items
from .functions import Functions
from .messages import EXPRESSION_HINTS, describe, is_or_are
from .names import Names
from .normalize import ReturnedFlag, ReturnedValue
from .values import (
    DictValue,
    FunctionValue,
    ListValue,
    NamedValue,
    ObjectValue,
    SliceValue,
    StaticOnly,
    StaticValue,
    structure,
    structured,
)

_MISSING = object()

BINARY_OPERATORS = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.MatMult: "matmul",
}
COMPARISONS = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
}


class Expressions:
    """Conversion of expressions (mixed into ``frontend.Converter``)."""

    def condition(self, test):
        value = self.expr(test)
        truth = self.static_truth(value)  # static values, containers: decided now
        if truth is not None and not isinstance(value, Const):
            return Const(truth)
        return value

    def expr(self, e, target=None):
        """Convert ``e``; the final operation is assigned to ``target`` if given."""
        rule = _EXPRESSION_RULES.get(type(e))
        if rule is None:
            hint = EXPRESSION_HINTS.get(type(e), "use arithmetic, comparisons and math functions")
            self.fail(e, f"{describe(e)} {is_or_are(e)} not supported", hint)
        value = rule(self, e)
        if target is not None and isinstance(value, Var) and value.name.startswith("$"):
            value = self._rename_last(value, target)
        return value

    def expr_ReturnedFlag(self, e):
        """After a loop that may return (``normalize``): did it?"""
        return self.env[RETURNED]

    def expr_ReturnedValue(self, e):
        """After a loop that may return: what it returned."""
        return self.env[RETURNED_VALUE]

    def expr_Constant(self, e):
        if isinstance(e.value, (bool, int, float)) and not isinstance(e.value, complex):
            return Const(e.value)
        if e.value is None or isinstance(e.value, str):  # static: `x is None`, mode == "train"
            return StaticValue(e.value)
        self.fail(
            e,
            f"constant {e.value!r} is not a number",
            "only int, float and bool constants take part in differentiated code",
        )

    def expr_Tuple(self, e):
        return self.elements(e.elts)

    def expr_UnaryOp(self, e):
        operand = self.expr(e.operand)
        if isinstance(e.op, ast.UAdd):
            return operand
        truth = self.static_truth(operand)
        if isinstance(e.op, ast.Not) and truth is not None and not isinstance(operand, Const):
            return Const(not truth)
        prim = {ast.USub: "neg", ast.Not: "not"}.get(type(e.op))
        if prim is None:
            self.fail(e, "bitwise operators are not supported", "use arithmetic operators")
        return self.op(prim, (operand,), e)

    def expr_BinOp(self, e):
        prim = BINARY_OPERATORS.get(type(e.op))
        if prim is None:
            self.fail(
                e,
                f"operator {describe(e.op)} is not supported",
                "use + - * / ** // % and @",
            )
        left, right = self.expr(e.left), self.expr(e.right)
        for node, value in ((e.left, left), (e.right, right)):
            if isinstance(value, (StaticValue, FunctionValue)):
                self.fail(
                    node,
                    f"{structure(value)} is not a number",
                    "compute with numbers and arrays; strings, None and functions are "
                    "fixed when the code is generated: compare them (mode == 'train', "
                    "x is None) or call them",
                )
        if structured(left) or structured(right):
            return self.container_binop(e, left, right)
        return self.op(prim, (left, right), e)

    def expr_Compare(self, e):
        # a < b < c  ==  (a < b) and (b < c), evaluating b once.
        operands = [self.expr(e.left)] + [None] * len(e.comparators)

        def compare(i):
            def build(converter):
                left = operands[i]
                right = converter.expr(e.comparators[i])
                operands[i + 1] = right
                decided = converter.static_comparison(e.ops[i], left, right, e)
                if decided is not None:  # `x is None`, mode == "train"
                    return Const(decided)
                prim = COMPARISONS.get(type(e.ops[i]))
                if prim is None:
                    converter.fail(
                        e,
                        f"comparison {describe(e.ops[i])} is not supported",
                        "use < <= > >= == != (and `is` with None and functions)",
                    )
                return converter.op(prim, (left, right), e)

            return build

        pieces = [compare(i) for i in range(len(e.ops))]
        return self.short_circuit("and", pieces, e)

    def expr_BoolOp(self, e):
        pieces = [_operand(v) for v in e.values]
        return self.short_circuit("and" if isinstance(e.op, ast.And) else "or", pieces, e)

    def short_circuit(self, operator, pieces, node):
        """Python's `and`/`or`: later operands are evaluated only when needed."""
        value = pieces[0](self)
        for piece in pieces[1:]:
            truth = self.static_truth(value)
            if truth is not None:  # known now: `x is None or ...`
                if truth == (operator == "or"):
                    return value
                value = piece(self)
                continue
            if operator == "and":
                value = self.branch_value(value, piece, lambda converter, known=value: known, node)
            else:
                value = self.branch_value(value, lambda converter, known=value: known, piece, node)
        return value

    def expr_IfExp(self, e):
        cond = self.condition(e.test)
        return self.branch_value(cond, _operand(e.body), _operand(e.orelse), e)

    def branch_value(self, cond, then, orelse, node):
        """The value of ``then`` if ``cond`` else of ``orelse`` (functions of
        the converter of their branch), through ``RETURN`` as an ``if``'s result."""
        saved = self.env.get(RETURN)
        self.env.pop(RETURN, None)
        self.if_stmt_value(cond, then, orelse, node)
        value = self.env.pop(RETURN)
        if saved is not None:
            self.env[RETURN] = saved
        return value

    def if_stmt_value(self, cond, then, orelse, node):
        """Like ``if_stmt`` with an already computed condition and value branches."""
        before = dict(self.env)
        if isinstance(cond, Const):  # decided now: only the taken side is converted
            self.env[RETURN] = (then if cond.value else orelse)(self)
            return
        branches = []
        for build in (then, orelse):
            branch = self.nested(dict(before))
            branch.env[RETURN] = build(branch)
            branches.append(branch)
        then_branch, else_branch = branches
        phis = []
        after = dict(before)
        after[RETURN] = self._join(
            RETURN, then_branch.env[RETURN], else_branch.env[RETURN], phis, node
        )
        self.env = after
        self.out.append(
            If(cond, tuple(then_branch.out), tuple(else_branch.out), tuple(phis), self.loc(node))
        )

    # -- arrays ------------------------------------------------------------------
    def expr_Attribute(self, e):
        if self._is_local(e.value):
            base = self.expr(e.value)
            if isinstance(base, (ObjectValue, NamedValue, StaticValue)):  # model.W
                return self.attribute_value(base, e)
            if e.attr == "T":
                return self.op("transpose", (base,), e)
            if e.attr == "size":
                return self.op("size", (base,), e)
            if e.attr == "shape":
                return self.shape_of(base, e)
            if e.attr == "ndim":
                return Const(self.rank_of(base, e, "`.ndim`").rank)
            self.fail(
                e,
                f"array attribute `.{e.attr}` is not supported",
                "use .T, .shape, .ndim, .size, or the methods sum, mean, max, min, prod, "
                "reshape, dot, transpose, clip, copy",
            )
        return self.free(e)

    def shape_of(self, base, node) -> tuple:
        """``x.shape`` as a tuple of ints: the constant 1 for an axis known to
        have size 1 (part of the specialisation), a ``shape`` read otherwise."""
        if structured(base):
            self.fail(node, f"{structure(base)} has no shape", "take the shape of an array")
        kind = self.rank_of(base, node, "`.shape` as a tuple")
        return tuple(
            Const(1)
            if kind.size(axis) is AxisSize.ONE
            else self.op("shape", (base,), node, attrs=Attrs(axis=axis))
            for axis in range(kind.rank)
        )

    def expr_Subscript(self, e):
        if (
            isinstance(e.value, ast.Attribute)
            and e.value.attr == "shape"
            and self._is_local(e.value.value)
            and not isinstance(e.slice, ast.Slice)  # x.shape[1:] is a tuple's slice
        ):
            base = self.expr(e.value.value)
            axis = self.static(e.slice, "the axis in x.shape[axis]", int)
            return self.op("shape", (base,), e, attrs=Attrs(axis=axis))
        base = self.expr(e.value)
        if structured(base):
            return self.container_item(base, e.slice, e)
        index, new_axes = self.written_out(base, e.slice, e)
        for axis in new_axes:  # x[:, None]: the new axis first, then the index
            base = self.new_axis(base, axis, e)
        if index is None:  # x[None], x[..., None]: nothing else is indexed
            return base
        pattern, args = self.index(index)
        if has_array_items(pattern):  # x[ids], x[np.arange(n), labels], x[mask]: frontend.fancy
            return self.fancy_read(base, pattern, args, e)
        return self.op("getitem", (base, *args), e, attrs=Attrs(index=pattern))

    def written_out(self, base, node, e, stored=False):
        """An index with ``...`` written out as whole slices (``x[..., 0]`` is
        ``x[:, :, 0]`` for a rank-3 ``x``) and each ``None``/``np.newaxis`` as a
        whole slice of a new axis: the index (None where it selects
        everything) and the axes of ``base`` where new ones go, in order."""
        items = list(node.elts) if isinstance(node, ast.Tuple) else [node]
        marks = [self._index_mark(item) for item in items]
        if not any(marks):
            return node, []
        if stored and "new" in marks:
            self.fail(node, "storing at a new axis (None) is not supported", "leave the None out")
        if marks.count("ellipsis") > 1:
            self.fail(node, "an index can only have a single ellipsis ('...')", "write one ...")
        if "ellipsis" in marks:
            rank = self.rank_of(base, e, "indexing with ...").rank
            missing = rank - sum(1 for mark in marks if mark is None)
            if missing < 0:
                self.fail(node, f"too many indices for a value of rank {rank}", "check the index")
            at = marks.index("ellipsis")
            items[at : at + 1] = [ast.Slice()] * missing
            marks[at : at + 1] = [None] * missing
        new_axes = [axis for axis, mark in enumerate(marks) if mark == "new"]
        items = [ast.Slice() if mark == "new" else item for item, mark in zip(items, marks)]
        while items and _whole(items[-1]):
            items.pop()  # trailing whole slices select everything
        if not items:
            return None, new_axes
        tuple_node = ast.copy_location(ast.Tuple(items, ast.Load()), node)
        return (items[0] if len(items) == 1 else tuple_node), new_axes

    def _index_mark(self, item):
        """``"new"`` for ``None``/``np.newaxis``, ``"ellipsis"`` for ``...``, else None."""
        if isinstance(item, ast.Constant) and item.value is None:
            return "new"
        if isinstance(item, ast.Constant) and item.value is Ellipsis:
            return "ellipsis"
        if isinstance(item, ast.Attribute) and item.attr == "newaxis" and not self._is_local(item):
            return "new" if self._resolve_quiet(item) is None else None
        return None

    def new_axis(self, base, axis, e):
        """``base`` with a new axis of size 1 before its axis ``axis``."""
        if self.rank_of(base, e, "indexing with None").rank == 0:  # a number: an array
            return self.op("reshape", (base, Const(1)), e)
        return self.op("expand_dims", (base,), e, attrs=Attrs(axis=axis))

    def container_item(self, base, node, e):
        """``params[0]``, ``params[-1]``, ``params[1:]``, ``params["W1"]``: an
        element of a container, chosen when the code is generated."""
        if isinstance(base, StaticValue) and type(base.value) in (dict, list, tuple):
            return self.static_container_item(base, node, e)  # frontend.containers
        if isinstance(base, StaticValue):
            self.fail(e, f"{structure(base)} cannot be indexed", "index arrays and containers")
        if isinstance(base, DictValue):
            key = self.static_key(node)
            value = base.get(key, _MISSING)
            if value is _MISSING:
                self.fail(
                    node,
                    f"key {key!r} is not in {structure(base)}",
                    "use one of its keys; the keys are part of the specialisation",
                )
            return value
        if isinstance(node, ast.Slice):
            parts = [
                None if p is None else self.static_int(p)
                for p in (node.lower, node.upper, node.step)
            ]
            items = base[slice(*parts)]
            return ListValue(items) if isinstance(base, ListValue) else tuple(items)
        position = self.static_int(node)
        if not -len(base) <= position < len(base):
            self.fail(
                node,
                f"index {position} is out of range for {structure(base)}",
                f"use an index from {-len(base)} to {len(base) - 1}",
            )
        return base[position]

    def static_int(self, node) -> int:
        """An index into a container: an int known when the code is generated."""
        try:
            value = Const(ast.literal_eval(node))
        except ValueError:
            value = self.known(self.expr(node))
        if isinstance(value, Const) and type(value.value) is int:
            return value.value
        raise StaticOnly(
            "a container is indexed here by a value computed at run time",
            self.loc(node),
            "index tuples, lists and dicts with constants (params[0], params['W']), with the "
            "variable of a loop over a range whose bounds are known when the code is generated "
            "(for i in range(len(params))), or loop over them directly (for W, b in params:)",
        )

    def static_key(self, node):
        """A dict key: a constant string or number."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
            return node.value
        value = self.known(self.expr(node))
        if isinstance(value, StaticValue) and isinstance(value.value, str):
            return value.value
        if isinstance(value, Const):
            return value.value
        self.fail(node, "a dict key must be a constant", "write params['W1']")

    def index(self, node):
        """An index ``i, a:b`` as a static pattern (``Take``/``Span`` items)
        and its atoms.  A slice object (``s = slice(a, b)``; ``x[s, 0]``) is
        the ``Span`` of ``a:b``; a tuple value (``idx = (s, 0)``; ``x[idx]``)
        gives its items."""
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        pattern, args = [], []
        for item in items:
            if isinstance(item, ast.Slice):
                parts = (item.lower, item.upper, item.step)
                pattern.append(Span(*(p is not None for p in parts)))
                args.extend(self.expr(p) for p in parts if p is not None)
            elif isinstance(item, ast.Constant) and item.value in (None, Ellipsis):
                self._no_new_axes(item)
            else:
                value = self.expr(item)
                # a tuple value is an index of several items; a list (x[[0, 2]]) is one
                spread = isinstance(value, tuple) and not isinstance(value, ListValue)
                inner = value if spread and len(items) == 1 else (value,)
                for part in inner:
                    self._index_item(part, item, pattern, args)
        return tuple(pattern), args

    def _index_item(self, value, node, pattern, args):
        """One item of an index, given as a value: a slice object or an int."""
        if isinstance(value, SliceValue):
            span, bounds = value.span()
            pattern.append(span)
            args.extend(bounds)
        elif isinstance(value, StaticValue) and value.value is None:
            self._no_new_axes(node)
        elif self.array_index_item(value, node, pattern, args):  # frontend.fancy
            pass
        elif structured(value):
            self.fail(node, f"{structure(value)} cannot be an index", "index with ints and slices")
        else:
            pattern.append(Take())
            args.append(value)

    def _no_new_axes(self, node):
        self.fail(
            node,
            "indexing with None or ... is not supported",
            "use reshape to add axes, and write every axis out",
        )

    def slice_object(self, e):
        """``slice(stop)``, ``slice(start, stop[, step])``: a ``SliceValue``
        whose bounds are ints (constants or computed) or None."""
        if e.keywords or not 1 <= len(e.args) <= 3:
            self.fail(e, "slice() takes 1 to 3 arguments", "write slice(start, stop[, step])")
        bounds = []
        for arg in e.args:
            value = None if _is_none(arg) else self.expr(arg)
            if isinstance(value, StaticValue) and value.value is None:
                value = None
            if value is not None and structured(value):
                self.fail(arg, f"a slice bound cannot be {structure(value)}", "pass ints or None")
            bounds.append(value)
        if len(bounds) == 1:
            bounds = [None, bounds[0]]
        return SliceValue(*bounds)


def _whole(node) -> bool:
    """Is ``node`` the slice ``:``?"""
    return isinstance(node, ast.Slice) and (node.lower, node.upper, node.step) == (None,) * 3


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _operand(node):
    """Build an operand of `and`/`or` later, in the converter of its branch."""
    return lambda converter: converter.expr(node)


_EXPRESSION_RULES = {
    ReturnedFlag: Expressions.expr_ReturnedFlag,
    ReturnedValue: Expressions.expr_ReturnedValue,
    ast.Constant: Expressions.expr_Constant,
    ast.Name: Names.expr_Name,
    ast.Attribute: Expressions.expr_Attribute,
    ast.Subscript: Expressions.expr_Subscript,
    ast.Tuple: Expressions.expr_Tuple,
    ast.List: Containers.expr_List,
    ast.Dict: Containers.expr_Dict,
    ast.ListComp: Containers.expr_ListComp,
    ast.GeneratorExp: Containers.expr_GeneratorExp,
    ast.DictComp: Containers.expr_DictComp,
    ast.UnaryOp: Expressions.expr_UnaryOp,
    ast.BinOp: Expressions.expr_BinOp,
    ast.Compare: Expressions.expr_Compare,
    ast.BoolOp: Expressions.expr_BoolOp,
    ast.IfExp: Expressions.expr_IfExp,
    ast.Call: Calls.expr_Call,
    ast.Lambda: Functions.expr_Lambda,
}
