"""IR -> readable Python source.

A dispatch on the primitive's spelling builds a Python ``ast``; ``ast.unparse``
prints it (with correct parentheses).  For readability:

* a compiler temporary used exactly once, in the same block, is inlined into
  its use, so ``t = a * b; y = t + c`` prints as ``y = a * b + c``;
* the remaining temporaries are renumbered ``t0, t1, ...`` in order of
  appearance (avoiding names the function already uses);
* a phi prints as an assignment at the end of each branch.

Scalars use ``math.*`` and builtins, which Numba compiles in nopython mode.
"""

from __future__ import annotations

import ast
import math
from collections import Counter

from . import ir
from .ir import Assign, If, Op, Var
from .primitives import PRIMITIVES


def _uses(fn: ir.Function):
    """Use counts of each name, and the block (id) holding each use."""
    counts: Counter = Counter()
    where: dict = {}

    def use(atom, block_id):
        if isinstance(atom, Var):
            counts[atom.name] += 1
            where[atom.name] = block_id

    def block(body, block_id):
        for s in body:
            if isinstance(s, Assign):
                for a in s.value.args if isinstance(s.value, Op) else (s.value,):
                    use(a, block_id)
            else:
                use(s.cond, block_id)
                block(s.body, id(s.body))
                block(s.orelse, id(s.orelse))
                for p in s.phis:
                    use(p.then, id(s.body))
                    use(p.orelse, id(s.orelse))

    block(fn.body, id(fn.body))
    for a in ir.atoms_of(fn.result):
        use(a, id(fn.body))
    return counts, where


def _defined_in(body) -> set:
    names = set()
    for s in ir.walk(body):
        if isinstance(s, Assign):
            names.add(s.target)
        else:
            names.update(p.target for p in s.phis)
    return names


def _join_names(fn: ir.Function) -> dict:
    """Print the values meeting at a join under one name (out of SSA form).

    A value defined inside a branch and joined after it (``r`` and ``r_2``
    in ``if c: r = ... else: r_1 = ...; r_2 = phi(r, r_1)``) lives only
    until the join, so it can share the join's name: the printed code then
    reassigns one variable, as the user wrote it.  Each class of names is
    shown under its plainest member (a user name before a temporary).
    """
    parent: dict = {}

    def block(body):
        for s in body:
            if not isinstance(s, If):
                continue
            block(s.body)
            block(s.orelse)
            for side, branch in ((0, s.body), (1, s.orelse)):
                inside = _defined_in(branch)
                for phi in s.phis:
                    source = phi.then if side == 0 else phi.orelse
                    if (
                        isinstance(source, Var)
                        and source.name in inside
                        and source.name not in parent
                    ):
                        parent[source.name] = phi.target

    block(fn.body)

    def root(name):
        while name in parent:
            name = parent[name]
        return name

    classes: dict = {}
    for name in list(parent) + list(set(parent.values())):
        classes.setdefault(root(name), set()).add(name)
    display = {}
    for members in classes.values():
        best = min(members, key=lambda n: (n.startswith("$"), len(n), n))
        for member in members:
            display[member] = best
    return display


class _Printer:
    def __init__(self, fn: ir.Function):
        self.fn = fn
        self.counts, self.where = _uses(fn)
        self.alias = _join_names(fn)
        self.pending: dict = {}  # inlinable temporaries: name -> ast expression
        self.names: dict = {}
        self.taken = {n for n in ir.defined_names(fn) if not n.startswith("$")}
        self.next_temp = 0
        self.modules: set = set()

    def ident(self, name: str) -> str:
        name = self.alias.get(name, name)
        if not name.startswith("$"):
            return name
        if name not in self.names:
            while f"t{self.next_temp}" in self.taken:
                self.next_temp += 1
            self.names[name] = f"t{self.next_temp}"
            self.next_temp += 1
        return self.names[name]

    # -- expressions -------------------------------------------------------
    def atom(self, a) -> ast.expr:
        if isinstance(a, Var):
            if a.name in self.pending:
                return self.pending.pop(a.name)
            return ast.Name(self.ident(a.name))
        return self.const(a.value)

    def const(self, value) -> ast.expr:
        if isinstance(value, float) and not math.isfinite(value):
            self.modules.add("math")
            if math.isnan(value):
                return ast.Attribute(ast.Name("math"), "nan")
            node = ast.Attribute(ast.Name("math"), "inf")
            return node if value > 0 else ast.UnaryOp(ast.USub(), node)
        if not isinstance(value, bool) and (
            value < 0 or (value == 0 and math.copysign(1, value) < 0)
        ):
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
        return ast.Constant(value)

    def op(self, op: Op) -> ast.expr:
        spelling = PRIMITIVES[op.prim].spelling
        args = [self.atom(a) for a in op.args]
        how = spelling[0]
        if how == "binop":
            return ast.BinOp(args[0], spelling[1](), args[1])
        if how == "unary":
            return ast.UnaryOp(spelling[1](), args[0])
        if how == "compare":
            return ast.Compare(args[0], [spelling[1]()], [args[1]])
        if how == "where":
            return ast.IfExp(args[0], args[1], args[2])
        func: ast.expr
        module, _, attr = spelling[1].rpartition(".")
        if module:
            self.modules.add(module)
            func = ast.Attribute(ast.Name(module), attr)
        else:
            func = ast.Name(attr)
        return ast.Call(func, args, [])

    def value(self, v) -> ast.expr:
        return self.op(v) if isinstance(v, Op) else self.atom(v)

    def result(self, r) -> ast.expr:
        if isinstance(r, tuple):
            return ast.Tuple([self.result(item) for item in r])
        return self.atom(r)

    # -- statements --------------------------------------------------------
    def block(self, body, phis_of=None, side=0) -> list:
        out = []
        block_id = id(body)
        for s in body:
            if isinstance(s, Assign):
                expr = self.value(s.value)
                if (
                    s.target.startswith("$")
                    and self.counts[s.target] == 1
                    and self.where.get(s.target) == block_id
                ):
                    self.pending[s.target] = expr
                    continue
                out.append(ast.Assign([ast.Name(self.ident(s.target))], expr))
            else:
                test = self.atom(s.cond)
                body_ = self.block(s.body, s.phis, 0)
                orelse = self.block(s.orelse, s.phis, 1)
                if not body_:  # print `if not c:` rather than an empty branch
                    test, body_, orelse = _negate(test), orelse, []
                out.append(ast.If(test, body_, orelse))
        for phi in phis_of or ():
            source = self.atom(phi.then if side == 0 else phi.orelse)
            target = self.ident(phi.target)
            if not (isinstance(source, ast.Name) and source.id == target):
                out.append(ast.Assign([ast.Name(target)], source))
        return out


def _negate(test: ast.expr) -> ast.expr:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    return ast.UnaryOp(ast.Not(), test)


def function_source(fn: ir.Function, docstring: str = "", header: tuple = ()) -> str:
    """The complete module source defining ``fn``: header, imports, function."""
    printer = _Printer(fn)
    body = printer.block(fn.body)
    body.append(ast.Return(printer.result(fn.result)))
    if docstring:
        indented = "\n".join(("    " + line) if line else "" for line in docstring.splitlines())
        body.insert(0, ast.Expr(ast.Constant(indented.lstrip() + "\n    ")))
    args = ast.arguments([], [ast.arg(p) for p in fn.params], None, [], [], None, [])
    fdef = ast.FunctionDef(fn.name, args, body, [], None, None)
    module = ast.Module([fdef], [])
    ast.fix_missing_locations(module)
    code = ast.unparse(module)
    imports = [
        f"import {m}" if m != "np" else "import numpy as np" for m in sorted(printer.modules)
    ]
    lines = [f"# {line}" for line in header]
    return "\n".join(lines + imports + ["", ""] + [code]) + "\n"
