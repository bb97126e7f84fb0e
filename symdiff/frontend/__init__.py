"""Python source -> IR.

``parse(fn)`` reads the function's source with ``inspect``, parses it with
``ast`` and converts it to SSA form (see ``ir``):

* names are resolved through the function's closure, globals and builtins:
  ``math``/``numpy`` functions (under any import spelling) become primitives,
  numeric globals and closure values become constants, other Python
  functions are parsed the same way and inlined (helpers calling helpers);
* ``return`` inside branches is normalised first: the statements after an
  ``if`` that may return move into its branches, so every path ends in one
  ``return`` and the result is joined by phis;
* ``x if c else y``, ``and`` and ``or`` short-circuit as in Python: they become
  ``If`` statements, so the branch not taken is never evaluated (and never
  differentiated);
* ``print(...)``, ``assert``, docstrings and ``pass`` have no effect on values
  and are dropped.

Anything else raises a ``SymDiffError`` subclass naming the line.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import numbers
import sys
import textwrap
import types

import numpy as np

from .. import ir
from ..errors import Loc, SourceUnavailableError, SymDiffError, UnknownFunctionError, caller_loc
from ..errors import UnsupportedSyntaxError as Unsupported
from ..ir import Assign, Carry, Const, If, Loop, Op, Phi, Var
from ..primitives import (
    METHODS,
    PRIMITIVES,
    array_function,
    call_arguments,
    primitive_for,
    supported_names,
)
from ..primitives.naming import method_names, names_of

RETURN = "<return>"  # environment key of a function's result while converting
BREAK = "<break>"  # environment key of a loop's break flag while converting its body


class _SetBreakFlag(ast.stmt):
    """Placed by ``_normalise_jumps`` where a ``break`` was: sets the loop's
    break flag.  A private node type: no user source can produce it."""

    _fields = ()


_BINOPS = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.MatMult: "matmul",
}
_CMPOPS = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
}

# Statements and expressions we refuse, with what to write instead.
_STMT_HINTS = {
    ast.Try: "move error handling (try/except) outside the differentiated function",
    ast.With: "move the `with` block outside the differentiated function",
    ast.Global: "pass the value as an argument instead of using `global`",
    ast.Nonlocal: "pass the value as an argument instead of using `nonlocal`",
    ast.FunctionDef: "define helper functions at module level, not inside the function",
    ast.AsyncFunctionDef: "define helper functions at module level",
    ast.ClassDef: "define classes outside the differentiated function",
    ast.Raise: "check arguments before calling the differentiated function",
    ast.Import: "import modules at module level",
    ast.ImportFrom: "import modules at module level",
    ast.Delete: "remove the `del` statement",
}
_EXPR_HINTS = {
    ast.Lambda: "define the function with `def` at module level",
    ast.Yield: "generators cannot be differentiated; return a value instead",
    ast.YieldFrom: "generators cannot be differentiated; return a value instead",
    ast.Await: "async code cannot be differentiated; write a plain function",
    ast.ListComp: "write the computation out with scalars",
    ast.GeneratorExp: "write the computation out with scalars",
    ast.List: "lists are not supported; use separate scalar variables",
    ast.Dict: "dicts are not supported; use separate scalar variables",
    ast.JoinedStr: "strings are not supported in differentiated code",
    ast.NamedExpr: "write the assignment `:=` as its own statement",
    ast.Starred: "unpack the values explicitly",
}


# How to name a construct in a message: what the user wrote, not the AST class.
_WORDS = {
    ast.FunctionDef: "a nested `def`",
    ast.AsyncFunctionDef: "a nested `async def`",
    ast.ClassDef: "`class`",
    ast.Import: "`import`",
    ast.ImportFrom: "`from ... import`",
    ast.Delete: "`del`",
    ast.For: "a `for` loop",
    ast.While: "a `while` loop",
    ast.Try: "`try`",
    ast.With: "`with`",
    ast.Global: "`global`",
    ast.Nonlocal: "`nonlocal`",
    ast.Raise: "`raise`",
    ast.AsyncFor: "`async for`",
    ast.AsyncWith: "`async with`",
    ast.Match: "`match`",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "the walrus operator `:=`",
    ast.Lambda: "`lambda`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield from`",
    ast.Await: "`await`",
    ast.Subscript: "indexing (`x[...]`)",
    ast.List: "lists",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "starred expressions (`*x`)",
    ast.Slice: "slices",
    ast.BitAnd: "`&`",
    ast.BitOr: "`|`",
    ast.BitXor: "`^`",
    ast.LShift: "`<<`",
    ast.RShift: "`>>`",
    ast.MatMult: "`@`",
    ast.Invert: "`~`",
    ast.Is: "`is`",
    ast.IsNot: "`is not`",
    ast.In: "`in`",
    ast.NotIn: "`not in`",
}


def _word(node_or_type) -> str:
    cls = node_or_type if isinstance(node_or_type, type) else type(node_or_type)
    return _WORDS.get(cls, f"`{cls.__name__}`")


def _verb(node) -> str:
    """'is' or 'are', agreeing with ``_word(node)``."""
    word = _word(node)
    return "are" if word.endswith("s") else "is"


class _Source:
    """The parsed source of one Python function and where it came from."""

    def __init__(self, fn):
        self.fn = fn
        if not isinstance(fn, types.FunctionType):
            raise SourceUnavailableError(
                f"cannot read the source of {fn!r}: it is not a Python function",
                caller_loc(),
                "symdiff differentiates functions defined with `def` in a .py file "
                "(or a notebook cell).",
            )
        code = fn.__code__
        self.filename = code.co_filename
        try:
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError) as exc:
            raise SourceUnavailableError(
                f"cannot read the source of {fn.__qualname__} ({exc})",
                Loc(self.filename, code.co_firstlineno),
                "define the function with `def` in a file or notebook cell; functions "
                "made by exec/eval or typed at the plain REPL have no source to read.",
            ) from None
        text = "".join(lines)
        dedented = textwrap.dedent(text)
        self.col_offset = len(text.splitlines()[0]) - len(dedented.splitlines()[0])
        self.line_offset = first - 1
        try:
            tree = ast.parse(dedented)
        except SyntaxError as exc:  # a lambda's line, or odd source layouts
            raise SourceUnavailableError(
                f"cannot parse the source of {fn.__qualname__}: {exc.msg}",
                Loc(self.filename, code.co_firstlineno),
                "define the function with `def` at the start of its own line.",
            ) from None
        node = tree.body[0] if tree.body else None
        if isinstance(node, ast.AsyncFunctionDef):
            raise Unsupported(
                f"{fn.__name__} is an async function",
                self.loc(node),
                "write a plain `def` function",
            )
        if not isinstance(node, ast.FunctionDef) or node.name != fn.__name__:
            raise SourceUnavailableError(
                f"cannot find the `def` of {fn.__qualname__} in its source",
                Loc(self.filename, code.co_firstlineno),
                "lambdas are not supported; define the function with `def`.",
            )
        self.node = node
        self.local_names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)} | {
            n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        self.closure = {}
        if fn.__closure__:
            for name, cell in zip(code.co_freevars, fn.__closure__):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # empty cell
                    pass
        linecache.checkcache(self.filename)

    def loc(self, node) -> Loc:
        return Loc(
            self.filename,
            getattr(node, "lineno", 1) + self.line_offset,
            getattr(node, "col_offset", 0) + self.col_offset,
        )

    def lookup(self, name, node):
        """Resolve a free name as Python would: closure, globals, builtins."""
        for scope in (self.closure, self.fn.__globals__, builtins.__dict__):
            if name in scope:
                return scope[name]
        raise Unsupported(
            f"name '{name}' is not defined",
            self.loc(node),
            "assign it before use, or pass it as an argument",
        )


# ---------------------------------------------------------------------------
# Return normalisation (on the Python AST).


def _has_return(stmts) -> bool:
    return any(isinstance(n, ast.Return) for s in stmts for n in ast.walk(s))


def _always_returns(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ast.Return):
        return True
    return isinstance(last, ast.If) and _always_returns(last.body) and _always_returns(last.orelse)


def _normalise_returns(stmts: list) -> list:
    """Move what follows an ``if`` that may return into its open branches."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Return):
            return stmts[: i + 1]
        if isinstance(stmt, ast.If) and _has_return([stmt]):
            rest = stmts[i + 1 :]
            body = stmt.body if _always_returns(stmt.body) else stmt.body + rest
            orelse = stmt.orelse if _always_returns(stmt.orelse) else stmt.orelse + rest
            new = ast.If(stmt.test, _normalise_returns(body), _normalise_returns(orelse))
            ast.copy_location(new, stmt)
            return stmts[:i] + [new]
    return stmts


# ---------------------------------------------------------------------------
# Conversion to IR.


class _Converter:
    """Converts one function body, emitting statements into ``self.out``.

    ``env`` maps each Python name to its current value: an atom, or a tuple
    of values (tuple literals and helpers returning tuples).
    """

    def __init__(self, src: _Source, namer: ir.Namer, stack: tuple, env: dict, prefix=""):
        self.src = src
        self.namer = namer
        self.stack = stack
        self.env = env
        self.out: list = []
        self.prefix = prefix

    # -- helpers -----------------------------------------------------------
    def loc(self, node) -> Loc:
        return self.src.loc(node)

    def fail(self, node, message, hint, cls=Unsupported):
        raise cls(message, self.loc(node), hint)

    def new_name(self, pyname: str) -> str:
        return self.namer.fresh(self.prefix + pyname)

    def emit(self, value, node, target: str | None = None) -> Var:
        name = target or self.namer.temp()
        self.out.append(Assign(name, value, self.loc(node)))
        return Var(name)

    def op(self, prim, args, node, target=None, attrs=()) -> Var:
        if any(isinstance(a, tuple) for a in args):
            self.fail(
                node,
                "a tuple cannot be used as a number here",
                "unpack it first (a, b = ...) and use its elements",
            )
        return self.emit(Op(prim, tuple(args), tuple(attrs)), node, target)

    # -- statements ----------------------------------------------------------
    def block(self, stmts):
        for stmt in stmts:
            if RETURN in self.env:  # unreachable after normalisation
                break
            self.stmt(stmt)

    def stmt(self, s):
        if isinstance(s, _SetBreakFlag):
            self.env[BREAK] = Const(True)
        elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript):
            if len(s.targets) != 1:
                self.fail(s, "chained assignment into an array element", "assign once per line")
            self.store_item(s.targets[0], s.value, s)
        elif isinstance(s, ast.Assign):
            value = self.expr(s.value, self._target_hint(s.targets))
            names = [t.id for t in s.targets if isinstance(t, ast.Name)]
            if names and isinstance(value, Var) and value.name.startswith("$"):
                value = self._rename_last(value, names[0])  # a = b = <expr>: name it once
            for target in s.targets:
                self.bind(target, value, s)
        elif isinstance(s, ast.AnnAssign):
            if s.value is None:
                return
            self.bind(s.target, self.expr(s.value, self._target_hint([s.target])), s)
        elif isinstance(s, ast.AugAssign):
            prim = _BINOPS.get(type(s.op))
            if prim is None:
                self.fail(s, f"operator {_word(s.op)} is not supported", "use + - * / ** // %")
            if isinstance(s.target, ast.Subscript):
                self.store_item(s.target, s.value, s, prim)
                return
            if not isinstance(s.target, ast.Name):
                self.fail(
                    s,
                    "augmented assignment to this target is not supported",
                    "assign to a plain variable name or an array element",
                )
            left = self.name(s.target)
            right = self.expr(s.value)
            name = self.new_name(s.target.id)
            attrs = (("inplace", True),)  # infer refuses it on input arrays
            self.env[s.target.id] = self.op(prim, (left, right), s, name, attrs=attrs)
        elif isinstance(s, ast.Return):
            if s.value is None:
                self.fail(s, "`return` without a value", "return the value to differentiate")
            self.env[RETURN] = self.expr(s.value)
            self.return_loc = self.loc(s)
        elif isinstance(s, ast.If):
            self.if_stmt(s.test, s.body, s.orelse, s)
        elif isinstance(s, (ast.For, ast.While)):
            self.loop_stmt(s)
        elif isinstance(s, (ast.Pass, ast.Assert)):
            pass
        elif isinstance(s, ast.Expr):
            self.expr_stmt(s)
        else:
            hint = _STMT_HINTS.get(type(s), "rewrite it with assignments, if/else and return")
            self.fail(s, f"{_word(s)} {_verb(s)} not supported", hint)

    def expr_stmt(self, s):
        """A bare expression: docstrings and print are fine; nothing else has effect."""
        value = s.value
        if isinstance(value, ast.Constant):
            return
        if isinstance(value, ast.Call) and self._is_builtin(value.func, print):
            return
        self.expr(value)  # checked for errors; the value is unused, DCE drops it

    def _is_builtin(self, func, obj) -> bool:
        return (
            isinstance(func, ast.Name)
            and func.id not in self.env
            and (self._resolve_quiet(func) is obj)
        )

    def _resolve_quiet(self, node):
        try:
            return self.resolve(node)
        except SymDiffError:
            return None

    @staticmethod
    def _target_hint(targets):
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
        return None

    def bind(self, target, value, node):
        if isinstance(target, ast.Name):
            if isinstance(value, Var) and value.name.startswith("$"):
                value = self._rename_last(value, target.id)
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                self.fail(
                    node,
                    f"cannot unpack this value into {len(target.elts)} names",
                    "unpack a tuple of the same length",
                )
            for t, v in zip(target.elts, value):
                self.bind(t, v, node)
        elif isinstance(target, ast.Subscript):
            self.fail(
                node,
                "writing into an array element inside a tuple assignment is not supported",
                "assign each element on its own line: out[i] = a",
            )
        else:
            hint = _EXPR_HINTS.get(type(target), "assign to plain variable names")
            self.fail(node, f"cannot assign to {_word(target)}", hint)

    def _rename_last(self, value: Var, pyname: str) -> Var:
        """Give the value just computed (a temporary) the user's variable name."""
        last = self.out[-1] if self.out else None
        if isinstance(last, Assign) and last.target == value.name:
            name = self.new_name(pyname)
            self.out[-1] = Assign(name, last.value, last.loc)
            return Var(name)
        if isinstance(last, If) and any(phi.target == value.name for phi in last.phis):
            name = self.new_name(pyname)
            phis = tuple(
                Phi(name, phi.then, phi.orelse) if phi.target == value.name else phi
                for phi in last.phis
            )
            self.out[-1] = If(last.cond, last.body, last.orelse, phis, last.loc)
            return Var(name)
        return value

    def if_stmt(self, test, body, orelse, node):
        cond = self.condition(test)
        before = dict(self.env)
        branches = []
        for stmts in (body, orelse):
            sub = _Converter(self.src, self.namer, self.stack, dict(before), self.prefix)
            if callable(stmts):  # expression branches (x if c else y)
                sub.env[RETURN] = stmts(sub)
            else:
                sub.block(stmts)
            if hasattr(sub, "return_loc"):
                self.return_loc = sub.return_loc
            branches.append(sub)
        then, other = branches
        phis = []
        after = {}
        for key in dict.fromkeys([*then.env, *other.env]):  # in order: names are made here
            a, b = then.env.get(key), other.env.get(key)
            if a is None or b is None:
                continue  # defined on one path only: not usable afterwards
            if key in before and a is before[key] and b is before[key]:
                after[key] = a
                continue
            after[key] = self._join(key, a, b, phis, node)
        self.env = after
        self.out.append(If(cond, tuple(then.out), tuple(other.out), tuple(phis), self.loc(node)))

    def _join(self, key, a, b, phis, node):
        if isinstance(a, tuple) or isinstance(b, tuple):
            if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
                what = "the returned value" if key == RETURN else f"'{key}'"
                self.fail(
                    node,
                    f"{what} is a tuple of one length on one path and not on another",
                    "give it the same shape on every path",
                )
            return tuple(self._join(key, x, y, phis, node) for x, y in zip(a, b))
        if a == b:
            return a
        name = self.new_name(key) if key not in (RETURN, BREAK) else self.namer.temp()
        phis.append(Phi(name, a, b))
        return Var(name)

    # -- expressions -----------------------------------------------------------
    def condition(self, test):
        value = self.expr(test)
        if isinstance(value, tuple):
            self.fail(test, "a tuple is not a condition", "compare scalars")
        return value

    def expr(self, e, target=None):
        """Convert ``e``; the final operation is assigned to ``target`` if given."""
        method = getattr(self, "expr_" + type(e).__name__, None)
        if method is None:
            hint = _EXPR_HINTS.get(type(e), "use arithmetic, comparisons and math functions")
            self.fail(e, f"{_word(e)} {_verb(e)} not supported", hint)
        value = method(e)
        if target is not None and isinstance(value, Var) and value.name.startswith("$"):
            value = self._rename_last(value, target)
        return value

    def expr_Constant(self, e):
        if isinstance(e.value, (bool, int, float)) and not isinstance(e.value, complex):
            return Const(e.value)
        self.fail(
            e,
            f"constant {e.value!r} is not a number",
            "only int, float and bool constants take part in differentiated code",
        )

    def expr_Name(self, e):
        return self.name(e)

    def name(self, e):
        if e.id in self.env:
            return self.env[e.id]
        if e.id in self.src.local_names:
            self.fail(
                e,
                f"'{e.id}' may be undefined here: it is assigned on some paths only",
                f"assign '{e.id}' before the `if` or loop, or on every branch",
            )
        value = self.src.lookup(e.id, e)
        return self.constant(value, e, e.id)

    def constant(self, value, node, label):
        if isinstance(value, (bool, np.bool_)):
            return Const(bool(value))
        if isinstance(value, numbers.Integral):
            return Const(int(value))
        if isinstance(value, numbers.Real):
            return Const(float(value))
        if isinstance(value, tuple) and all(isinstance(v, numbers.Real) for v in value):
            return tuple(self.constant(v, node, label) for v in value)
        what = "a module" if isinstance(value, types.ModuleType) else type(value).__name__
        self.fail(
            node,
            f"'{label}' is {what}, not a number",
            "use numbers (int, float, bool) and call functions; other objects "
            "cannot take part in differentiated code",
        )

    def expr_Attribute(self, e):
        if self._is_local(e.value):
            base = self.expr(e.value)
            if e.attr == "T":
                return self.op("transpose", (base,), e)
            if e.attr == "size":
                return self.op("size", (base,), e)
            if e.attr == "shape":
                self.fail(
                    e,
                    "`.shape` is used here as a whole tuple",
                    "use its elements: x.shape[0], x.shape[1]",
                )
            self.fail(
                e,
                f"array attribute `.{e.attr}` is not supported",
                "use .T, .shape[k], .size, or the methods sum, mean, max, min, prod, "
                "reshape, dot, transpose, clip, copy",
            )
        value = self.resolve(e)
        return self.constant(value, e, ast.unparse(e))

    def _is_local(self, node) -> bool:
        """Is ``node`` an expression over local values (not a module path)?"""
        while isinstance(node, ast.Attribute):
            node = node.value
        return (
            not isinstance(node, ast.Name) or node.id in self.env or node.id in self.src.local_names
        )

    # -- arrays ------------------------------------------------------------------
    def expr_Subscript(self, e):
        if (
            isinstance(e.value, ast.Attribute)
            and e.value.attr == "shape"
            and self._is_local(e.value.value)
        ):
            base = self.expr(e.value.value)
            axis = self.static(e.slice, "the axis in x.shape[axis]", int)
            return self.op("shape", (base,), e, attrs=(("axis", axis),))
        base = self.expr(e.value)
        pattern, args = self.index(e.slice)
        return self.op("getitem", (base, *args), e, attrs=(("index", pattern),))

    def index(self, node):
        """An index ``i, a:b`` as a static pattern and its atoms."""
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        pattern, args = [], []
        for item in items:
            if isinstance(item, ast.Slice):
                parts = (item.lower, item.upper, item.step)
                pattern.append(("s",) + tuple(p is not None for p in parts))
                args.extend(self.expr(p) for p in parts if p is not None)
            elif isinstance(item, ast.Constant) and item.value in (None, Ellipsis):
                self.fail(
                    item,
                    "indexing with None or ... is not supported",
                    "use reshape to add axes, and write every axis out",
                )
            else:
                pattern.append(("i",))
                args.append(self.expr(item))
        return tuple(pattern), args

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
        if not isinstance(old, Var):
            self.fail(target, f"'{target.value.id}' is not an array", "write into arrays only")
        pattern, args = self.index(target.slice)
        value = self.expr(value_node)
        if isinstance(value, tuple):
            self.fail(node, "a tuple cannot be stored in an array", "store one number")
        attrs = (("index", pattern),)
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

    # -- loops -------------------------------------------------------------------
    def loop_stmt(self, s):
        """A ``for`` over ``range`` or a ``while``: a ``Loop`` whose carried
        values are the names the body assigns that exist before the loop."""
        word = "for" if isinstance(s, ast.For) else "while"
        if s.orelse:
            self.fail(
                s, f"`{word} ... else` is not supported", "set a flag and test it after the loop"
            )
        if _has_return(s.body):
            self.fail(
                next(n for st in s.body for n in ast.walk(st) if isinstance(n, ast.Return)),
                "`return` inside a loop is not supported",
                "store the value in a variable, `break`, and return after the loop",
            )
        index = bounds = None
        if word == "for":
            index, bounds = self.range_of(s)
        assigned = list(dict.fromkeys(_assigned_names(s.body)))
        before = dict(self.env)
        carried = [n for n in assigned if n in before and n != index]
        for n in carried:
            if isinstance(before[n], tuple):
                self.fail(
                    s,
                    f"'{n}' holds a tuple and is reassigned in the loop",
                    "unpack it into separate names before the loop",
                )
        headers = {n: Var(self.new_name(n)) for n in carried}
        env = dict(before)
        env.update(headers)
        written = set(_written_arrays(s.body))
        for n in carried:
            others = [m for m, v in before.items() if m != n and v == before[n]]
            if n in written and others:
                self.fail(
                    s,
                    f"the array written into in the loop is also named '{others[0]}'",
                    f"use one name for it (or make a copy: {others[0]} = {n}.copy())",
                )
        index_name = None
        if index is not None:
            index_name = self.new_name(index)
            env[index] = Var(index_name)
        header, cond = (), None
        if word == "while":
            head = _Converter(self.src, self.namer, self.stack, dict(env), self.prefix)
            cond = head.condition(s.test)
            header = tuple(head.out)
        body = _Converter(self.src, self.namer, self.stack, dict(env), self.prefix)
        body.env[BREAK] = Const(False)
        body.block(_normalise_jumps(list(s.body), s))
        nexts = []
        for n in carried:
            value = body.env.get(n)
            if isinstance(value, tuple):
                self.fail(s, f"'{n}' becomes a tuple in the loop", "keep it a number or an array")
            nexts.append(value)
        for k, n in enumerate(carried):  # b = a in the body: one array, two carried names
            same = [m for m, v in zip(carried, nexts) if m != n and v == nexts[k]]
            if n in written and same and isinstance(nexts[k], Var):
                self.fail(
                    s,
                    f"the array written into in the loop is also named '{same[0]}' after an "
                    "iteration",
                    f"use one name for it, or make a copy: {same[0]} = {n}.copy()",
                )
        if index is not None and not isinstance(before.get(index, ()), tuple):
            # Python leaves the loop variable at its last value (or as it was
            # before, if the loop did not run): a carried value too.
            carried.append(index)
            headers[index] = Var(self.new_name(index))
            nexts.append(body.env.get(index, Var(index_name)))
        exit_flag = body.env.get(BREAK)
        if exit_flag == Const(False):
            exit_flag = None
        loop = Loop(
            tuple(Carry(headers[n].name, before[n], nxt) for n, nxt in zip(carried, nexts)),
            tuple(body.out),
            index_name,
            *(bounds or (None, None, None)),
            header=header,
            cond=cond,
            exit=exit_flag,
            loc=self.loc(s),
        )
        self.out.append(loop)
        after = {k: v for k, v in before.items() if k not in assigned and k != index}
        after.update(headers)
        self.env = after

    def range_of(self, s):
        """The index name and (start, stop, step) atoms of ``for i in range(...)``."""
        it = s.iter
        hint = (
            "loop over indices: for i in range(len(x)): ... x[i] ... "
            "(enumerate, zip and iterating over arrays are not supported)"
        )
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)):
            self.fail(it, "symdiff loops only over range(...)", hint)
        if it.func.id in self.env or self._resolve_quiet(it.func) is not range:
            self.fail(it, f"symdiff loops only over range(...), not {it.func.id}(...)", hint)
        if not 1 <= len(it.args) <= 3 or it.keywords:
            self.fail(
                it,
                "range() takes 1 to 3 arguments",
                "write range(stop), range(start, stop[, step])",
            )
        if not isinstance(s.target, ast.Name):
            self.fail(s.target, "the loop variable must be a plain name", "write for i in range(n)")
        args = [self.expr(a) for a in it.args]
        if any(isinstance(a, tuple) for a in args):
            self.fail(it, "range() takes ints, not tuples", "pass ints")
        start, stop, step = (
            (Const(0), args[0], Const(1)) if len(args) == 1 else (*args, Const(1))[:3]
        )
        if step == Const(0):
            self.fail(it, "range() step must not be zero", "use a positive or negative step")
        return s.target.id, (start, stop, step)

    def static(self, node, what, kind):
        """A compile-time constant argument (an axis, keepdims)."""
        try:
            value = ast.literal_eval(node)
        except ValueError:
            value = None
            if isinstance(node, (ast.Name, ast.Attribute)) and not self._is_local(node):
                value = self.resolve(node)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok and not (value is None and kind is not bool and what.startswith("axis")):
            self.fail(
                node,
                f"{what} must be a constant {kind.__name__}",
                "write the number itself (axis=0, keepdims=True); symdiff generates code per axis",
            )
        return value

    def mean(self, label, operands, e):
        """``np.mean(x, axis=k)``: the sum divided by the size (or the axis' size)."""
        attrs = self.static_options("mean", label, e, 1 - len(operands))
        base = operands[0] if operands else self.expr(e.args[0])
        total = self.op("sum", (base,), e, attrs=attrs)
        axis = dict(attrs)["axis"]
        count = (
            self.op("size", (base,), e)
            if axis is None
            else self.op("shape", (base,), e, attrs=(("axis", axis),))
        )
        return self.op("div", (total, count), e)

    def shape_args(self, node):
        """Sizes given as an int or a tuple of ints: a list of atoms."""
        value = self.expr(node)
        return list(value) if isinstance(value, tuple) else [value]

    def call_method(self, e):
        base = self.expr(e.func.value)
        name, args = e.func.attr, e.args
        prim = METHODS.get(name)
        if prim == "mean":
            return self.mean(f".{name}", [base], e)
        if prim in PRIMITIVES and PRIMITIVES[prim].names.options:
            return self.call_with_options(prim, f".{name}", [base], e)
        if e.keywords:
            self.fail(
                e, f"keyword arguments to .{name}() are not supported", "pass them by position"
            )
        if prim == "reshape":
            shape = self.shape_args(args[0]) if len(args) == 1 else [self.expr(a) for a in args]
            return self.op("reshape", (base, *shape), e)
        if prim == "ravel":
            return self.op("reshape", (base, Const(-1)), e)
        if prim is not None and len(args) + 1 == call_arguments(prim):  # x.dot(y), x.clip(a, b)
            return self.op(prim, (base, *(self.expr(a) for a in args)), e)
        self.fail(
            e,
            f"method .{name}() is not supported",
            f"use {method_names()}, or the NumPy function",
        )

    def call_with_options(self, prim, label, operands, e):
        """A primitive with static options (``np.sum(x, axis=0)``, ``x.cumsum()``):
        its operands by position, then its options (``attrs``)."""
        count = PRIMITIVES[prim].arity - len(operands)
        attrs = self.static_options(prim, label, e, count)
        operands = [*operands, *(self.expr(a) for a in e.args[:count])]
        return self.op(prim, operands, e, attrs=attrs)

    def static_options(self, name, label, e, count):
        """The options of a call of ``name`` (its registry entry's, or its
        sugar's) after ``count`` operands: by position where they may be, or
        by name, as compile-time constants; the others get their defaults."""
        options = names_of(name).options
        positional = [o for o in options if o.positional]
        spelled = ", ".join(f"{o.name}=" for o in options)
        if not count <= len(e.args) <= count + len(positional):
            what = f"{count} operand{'s' * (count != 1)}, then {spelled}"
            self.fail(e, f"{label}() takes {what}", "pass the options by name")
        by_name = {o.name: o for o in options}
        given = list(zip(positional, e.args[count:]))
        for kw in e.keywords:
            if kw.arg not in by_name:
                self.fail(kw.value, f"keyword `{kw.arg}` is not supported here", f"use {spelled}")
            given.append((by_name[kw.arg], kw.value))
        values = {o.name: o.default for o in options}
        for option, node in given:
            values[option.name] = self.static(node, option.name, option.types[0])
        return tuple(sorted(values.items()))

    def call_numpy(self, func, label, e):
        """NumPy functions that are not elementwise."""
        args = e.args
        name = array_function(func)
        if name == "mean":
            return self.mean(label, [], e)
        if name in PRIMITIVES and PRIMITIVES[name].names.options:
            return self.call_with_options(name, label, [], e)
        if e.keywords:
            self.fail(
                e,
                f"keyword arguments to {label}() are not supported",
                "pass the arguments by position",
            )
        arity = call_arguments(name)
        if len(args) != arity:
            self.fail(
                e, f"{label}() takes {arity} argument{'s' * (arity > 1)} here", "check the call"
            )
        if name in ("zeros", "ones"):
            return self.op(name, self.shape_args(args[0]), e)
        if name == "array":
            if not isinstance(args[0], (ast.List, ast.Tuple)):
                self.fail(
                    e,
                    f"{label}() takes a list of numbers here",
                    "write np.array([a, b, c]); pass other arrays as arguments",
                )
            return self.op("stack", [self.expr(v) for v in args[0].elts], e)
        values = [self.expr(a) for a in args]
        if name == "reshape":
            return self.op("reshape", (values[0], *self.shape_args(args[1])), e)
        if name == "ravel":
            return self.op("reshape", (values[0], Const(-1)), e)
        if name == "square":
            return self.op("mul", (values[0], values[0]), e)
        if name == "len":
            return self.op("shape", values, e, attrs=(("axis", 0),))
        return self.op(name, values, e)

    def resolve(self, node):
        """The Python object a dotted name refers to (``np.sin``, ``math.pi``)."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                self.fail(
                    node,
                    f"'{node.id}' is a local value, not a module or function",
                    "call functions by their module-level name",
                )
            return self.src.lookup(node.id, node)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if not isinstance(base, types.ModuleType):
                self.fail(
                    node,
                    f"attribute access on {type(base).__name__} objects is not supported",
                    "pass the value as a separate argument (object attributes "
                    "cannot be differentiated)",
                )
            if not hasattr(base, node.attr):
                self.fail(
                    node,
                    f"module '{base.__name__}' has no attribute '{node.attr}'",
                    "check the spelling",
                )
            return getattr(base, node.attr)
        self.fail(
            node,
            "cannot resolve this expression to a function",
            "call functions by name (math.sin, np.exp, helper)",
        )

    def expr_Tuple(self, e):
        return tuple(self.expr(elt) for elt in e.elts)

    def expr_UnaryOp(self, e):
        operand = self.expr(e.operand)
        if isinstance(e.op, ast.UAdd):
            return operand
        prim = {ast.USub: "neg", ast.Not: "not"}.get(type(e.op))
        if prim is None:
            self.fail(e, "bitwise operators are not supported", "use arithmetic operators")
        return self.op(prim, (operand,), e)

    def expr_BinOp(self, e):
        prim = _BINOPS.get(type(e.op))
        if prim is None:
            self.fail(
                e,
                f"operator {_word(e.op)} is not supported",
                "use + - * / ** // % and @",
            )
        left, right = self.expr(e.left), self.expr(e.right)
        return self.op(prim, (left, right), e)

    def expr_Compare(self, e):
        # a < b < c  ==  (a < b) and (b < c), evaluating b once.
        left = self.expr(e.left)
        pieces = []
        operands = [left] + [None] * len(e.comparators)

        def compare(i):
            def build(conv):
                a = operands[i]
                b = conv.expr(e.comparators[i])
                operands[i + 1] = b
                prim = _CMPOPS.get(type(e.ops[i]))
                if prim is None:
                    conv.fail(
                        e,
                        f"comparison {_word(e.ops[i])} is not supported",
                        "use < <= > >= == !=",
                    )
                return conv.op(prim, (a, b), e)

            return build

        pieces = [compare(i) for i in range(len(e.ops))]
        return self.short_circuit("and", pieces, e)

    def expr_BoolOp(self, e):
        pieces = [_operand(v) for v in e.values]
        return self.short_circuit("and" if isinstance(e.op, ast.And) else "or", pieces, e)

    def short_circuit(self, kind, pieces, node):
        """Python's `and`/`or`: later operands are evaluated only when needed."""
        value = pieces[0](self)
        for piece in pieces[1:]:
            if kind == "and":
                value = self.branch_value(value, piece, lambda conv, v=value: v, node)
            else:
                value = self.branch_value(value, lambda conv, v=value: v, piece, node)
        return value

    def expr_IfExp(self, e):
        cond = self.condition(e.test)
        return self.branch_value(cond, lambda c: c.expr(e.body), lambda c: c.expr(e.orelse), e)

    def branch_value(self, cond, then, orelse, node):
        saved = self.env.get(RETURN)
        self.env.pop(RETURN, None)
        saved_loc = getattr(self, "return_loc", None)
        self.if_stmt_value(cond, then, orelse, node)
        value = self.env.pop(RETURN)
        if saved is not None:
            self.env[RETURN] = saved
        if saved_loc is not None:
            self.return_loc = saved_loc
        return value

    def if_stmt_value(self, cond, then, orelse, node):
        """Like ``if_stmt`` with an already computed condition and value branches."""
        before = dict(self.env)
        branches = []
        for build in (then, orelse):
            sub = _Converter(self.src, self.namer, self.stack, dict(before), self.prefix)
            sub.env[RETURN] = build(sub)
            branches.append(sub)
        then_c, else_c = branches
        phis = []
        after = dict(before)
        after[RETURN] = self._join(RETURN, then_c.env[RETURN], else_c.env[RETURN], phis, node)
        self.env = after
        if isinstance(cond, Const):  # decided now: keep only the taken side
            taken = then_c if cond.value else else_c
            self.out.extend(taken.out)
            self.env[RETURN] = taken.env[RETURN]
            return
        self.out.append(If(cond, tuple(then_c.out), tuple(else_c.out), tuple(phis), self.loc(node)))

    def expr_Call(self, e):
        if isinstance(e.func, ast.Attribute) and self._is_local(e.func.value):
            return self.call_method(e)
        func = self.resolve(e.func)
        func = getattr(func, "__symdiff_function__", func)  # @differentiate helpers
        label = ast.unparse(e.func)
        for arg in e.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "`*args` in calls is not supported", "pass arguments one by one")
        prim = primitive_for(func)
        if prim is not None:
            return self.call_primitive(prim, label, e)
        if array_function(func) is not None:
            return self.call_numpy(func, label, e)
        if func is float:
            if len(e.args) != 1 or e.keywords:
                self.fail(e, "float() takes one number here", "write float(x)")
            # x * 1.0: a float for int and bool x, and no work for float x
            # (the optimiser drops it where x is already a float).
            return self.op("mul", (self.expr(e.args[0]), Const(1.0)), e)
        if isinstance(func, types.FunctionType):
            return self.call_helper(func, e)
        raise UnknownFunctionError(
            f"no derivative rule for {label}()",
            self.loc(e),
            f"symdiff knows {supported_names()}, and your own functions defined with def; "
            "rewrite the call with these or pass its value in as an argument",
        )

    def call_primitive(self, prim, label, e):
        if e.keywords:
            self.fail(
                e, f"{label}() takes no keyword arguments here", "pass the arguments by position"
            )
        args = [self.expr(a) for a in e.args]
        if any(isinstance(a, tuple) for a in args):
            self.fail(e, f"{label}() takes numbers, not tuples", "pass scalars")
        if prim == "log" and len(args) == 2:  # math.log(x, base)
            num = self.op("log", args[:1], e)
            den = self.op("log", args[1:], e)
            return self.op("div", (num, den), e)
        if prim in ("max", "min") and len(args) >= 2:
            value = args[0]
            for arg in args[1:]:
                value = self.op(prim, (value, arg), e)
            return value
        arity = PRIMITIVES[prim].arity
        if len(args) != arity:
            hint = "check the call"
            if prim in ("max", "min") and len(args) == 1:
                hint = f"for the largest/smallest element of an array write np.{prim}(x)"
            self.fail(
                e,
                f"{label}() takes {arity} argument{'s' * (arity > 1)} here, got {len(args)}",
                hint,
            )
        return self.op(prim, args, e)

    def call_helper(self, func, e):
        module = (getattr(func, "__module__", None) or "").partition(".")[0]
        if module in sys.stdlib_module_names or module in ("numpy", "scipy", "sympy", "numba"):
            raise UnknownFunctionError(
                f"no derivative rule for {func.__module__}.{func.__name__}()",
                self.loc(e),
                f"symdiff knows {supported_names()}, and your own functions defined with "
                "def; write the computation with these",
            )
        if func in self.stack:
            self.fail(
                e,
                f"recursive call to {func.__name__}",
                "recursion cannot be differentiated; write it iteratively",
                cls=Unsupported,
            )
        src = _Source(func)
        params = _check_params(src)
        try:
            bound = inspect.signature(func).bind(*e.args, **{k.arg: k.value for k in e.keywords})
        except TypeError as exc:
            self.fail(e, f"bad call to {func.__name__}: {exc}", "match the helper's parameters")
        env = {}
        for name in params:
            if name in bound.arguments:
                env[name] = self.expr(bound.arguments[name])
            else:
                default = inspect.signature(func).parameters[name].default
                env[name] = self.constant(default, e, name)
        sub = _Converter(src, self.namer, self.stack + (func,), env, prefix="")
        sub.out = self.out
        try:
            sub.body(src.node)
        except SymDiffError as err:
            if not getattr(err, "_call_noted", False):
                err._call_noted = True
                note = f"(in {func.__name__}, called at {self.loc(e)})"
                err.hint = f"{err.hint}\n{note}" if err.hint else note
                err.args = (err._render(),)
            raise
        return sub.env[RETURN]

    def body(self, fdef):
        stmts = _normalise_returns(list(fdef.body))
        self.block(stmts)
        if RETURN not in self.env:
            self.fail(
                fdef,
                f"{fdef.name} does not return a value on every path",
                "end every path with `return <value>`",
            )


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
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        yield t.value.id


def _jumps(stmts):
    """The ``break``/``continue`` statements of a loop body (not of nested loops)."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Break, ast.Continue)):
            yield stmt
        elif isinstance(stmt, ast.If):
            yield from _jumps(stmt.body)
            yield from _jumps(stmt.orelse)


def _always_jumps(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Break, ast.Continue)):
        return True
    return isinstance(last, ast.If) and _always_jumps(last.body) and _always_jumps(last.orelse)


def _normalise_jumps(stmts: list, loop) -> list:
    """Remove ``break`` and ``continue``: what follows an ``if`` that may
    jump moves into its branches that do not; ``break`` sets the loop's
    break flag (``BREAK``), tested at the end of the iteration."""
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Continue):
            return stmts[:i]
        if isinstance(stmt, ast.Break):
            flag = ast.copy_location(_SetBreakFlag(), stmt)
            return stmts[:i] + [flag]
        if isinstance(stmt, ast.If) and any(True for _ in _jumps([stmt])):
            rest = stmts[i + 1 :]
            body = stmt.body if _always_jumps(stmt.body) else stmt.body + rest
            orelse = stmt.orelse if _always_jumps(stmt.orelse) else stmt.orelse + rest
            new = ast.If(stmt.test, _normalise_jumps(body, loop), _normalise_jumps(orelse, loop))
            ast.copy_location(new, stmt)
            return stmts[:i] + [new]
    return stmts


def _operand(node):
    """Build an operand of `and`/`or` later, in the converter of its branch."""
    return lambda conv: conv.expr(node)


def _check_params(src: _Source) -> list:
    args = src.node.args
    for bad, what in ((args.vararg, "*args"), (args.kwarg, "**kwargs")):
        if bad is not None:
            raise Unsupported(
                f"{what} parameters are not supported",
                src.loc(bad),
                "list the parameters one by one",
            )
    if args.kwonlyargs:
        raise Unsupported(
            "keyword-only parameters are not supported",
            src.loc(args.kwonlyargs[0]),
            "make them ordinary parameters",
        )
    return [a.arg for a in args.posonlyargs + args.args]


def _reserved_names(node) -> set:
    """Names the IR must not reuse: parameters and free names (globals).

    Local variables are left free so that the first assignment of ``a`` keeps
    the name ``a``; later assignments become ``a_1``, ``a_2``...
    """
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    stored = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    params = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    return (names - stored) | params | {node.name}


def parse(fn) -> ir.Function:
    """The IR of a Python function.

    Examples
    --------
    >>> import math
    >>> def f(x):
    ...     return math.sin(x) * x
    >>> print(ir.format_function(parse(f)))   # doctest: +SKIP
    """
    src = _Source(fn)
    params = _check_params(src)
    namer = ir.Namer(_reserved_names(src.node))
    conv = _Converter(src, namer, (fn,), {p: Var(p) for p in params})
    conv.body(src.node)
    result = conv.env[RETURN]
    if isinstance(result, Var) and result.name.startswith("$"):
        namer.taken.discard(fn.__name__)
        result = conv._rename_last(result, fn.__name__)
    doc = ast.get_docstring(src.node) or ""
    return ir.Function(
        name=fn.__name__,
        params=tuple(params),
        body=tuple(conv.out),
        result=result,
        loc=src.loc(src.node),
        result_loc=getattr(conv, "return_loc", None),
        doc=doc,
    )
