"""Lowered IR -> readable Python source.

``lower`` makes every decision about the printed code (which values share a
variable, in-place writes, inlined temporaries, the order of parallel
assignments, the names of temporaries, where a ``# line N`` comment goes);
this module prints its result one statement at a time, by dispatch on the
node type, building a Python ``ast`` that ``ast.unparse`` prints (with
correct parentheses).  A dispatch on the primitive's spelling prints each
operation: scalars use ``math.*`` and builtins, which Numba compiles in
nopython mode, arrays ``np.*``; where Numba lacks a NumPy form, a small
helper function is emitted into the module.
"""

from __future__ import annotations

import ast
import math
import re

from . import ir
from .ir import FLOAT, Assign, If, Kind, Loop, Op, Var, atom_kind
from .lower import CopyArray, Inlined, Line, Lowered, ParallelAssign, Store, lower
from .primitives import PRIMITIVES
from .primitives.spelling import scatter_statements, subscript


class _Printer:
    """Prints lowered statements and expressions as ``ast`` nodes, recording
    the modules and helper functions they use."""

    def __init__(self, lowered: Lowered, kinds: dict | None = None, float32=False):
        self.kinds = kinds or {}
        self.float32 = float32
        self.defs = lowered.defs  # how each SSA value was made (for spellings)
        self.helpers: dict = {}
        self.modules: set = set()
        self.imported: set = set()  # (module, name): ``from module import name``
        self.lines: list = []  # the text of each ``# line N`` comment

    # -- expressions -------------------------------------------------------
    def atom(self, atom) -> ast.expr:
        """A lowered atom: a variable, a constant, or an inlined temporary's operation."""
        if isinstance(atom, Inlined):
            return self.value(atom.value)
        if isinstance(atom, Var):
            return ast.Name(atom.printed)
        return self.const(atom.value)

    def const(self, value) -> ast.expr:
        if isinstance(value, float) and not math.isfinite(value):
            self.modules.add("math")
            if math.isnan(value):
                return self.in_float32(ast.Attribute(ast.Name("math"), "nan"))
            node = ast.Attribute(ast.Name("math"), "inf")
            return self.in_float32(node if value > 0 else ast.UnaryOp(ast.USub(), node))
        if not isinstance(value, bool) and (
            value < 0 or (value == 0 and math.copysign(1, value) < 0)
        ):
            node = ast.UnaryOp(ast.USub(), ast.Constant(-value))
        else:
            node = ast.Constant(value)
        return self.in_float32(node) if isinstance(value, float) else node

    def in_float32(self, node: ast.expr) -> ast.expr:
        """``node`` as a float32 scalar in float32 code (a float literal or
        an int meeting floats would make Numba compute in float64)."""
        return self.call("np.float32", [node]) if self.float32 else node

    def float_dtype(self) -> list:
        """The dtype argument of arrays of floats the code creates: none (float64) or float32."""
        return [self.attribute("np.float32")] if self.float32 else []

    def attribute(self, dotted: str) -> ast.expr:
        module, _, attr = dotted.rpartition(".")
        self.modules.add(module)
        return ast.Attribute(ast.Name(module), attr)

    def kind(self, atom) -> Kind:
        return atom_kind(atom, self.kinds, unknown=FLOAT)

    def call(self, dotted: str, args, keywords=()) -> ast.expr:
        module, _, attr = dotted.rpartition(".")
        if module:
            self.modules.add(module)
            func = ast.Attribute(ast.Name(module), attr)
        else:
            func = ast.Name(attr)
        return ast.Call(func, list(args), [ast.keyword(k, v) for k, v in keywords])

    def op(self, op: Op) -> ast.expr:
        prim = PRIMITIVES[op.prim]
        is_array = any(self.kind(a).rank for a in op.args)
        args = self.operands(op)
        if prim.spell is not None and (is_array or prim.spelling[0] == "special"):
            return prim.spell(self, op, args)
        how = prim.spelling[0]
        if is_array and prim.array not in ("op", None):
            return self.call(prim.array, args)
        if how == "binop":
            return ast.BinOp(args[0], prim.spelling[1](), args[1])
        if how == "unary":
            if op.prim == "neg" and self.kind(op.args[0]).dtype == "bool":
                # -(x > y) as a number: NumPy refuses to negate its bools.
                return ast.BinOp(self.const(-1.0), ast.Mult(), args[0])
            return ast.UnaryOp(prim.spelling[1](), args[0])
        if how == "compare":
            return ast.Compare(args[0], [prim.spelling[1]()], [args[1]])
        if how == "where":
            return ast.IfExp(args[0], args[1], args[2])
        return self.call(prim.spelling[1], args)

    def operands(self, op: Op) -> list:
        """The printed operands; in float32 code, ints meeting floats in
        arithmetic are float32 (NumPy and Numba would compute in float64):
        scalars by ``np.float32(k)``, arrays (``np.arange(n)``) by ``.astype``."""
        args = [self.atom(a) for a in op.args]
        kinds = [self.kind(a) for a in op.args]
        meets_floats = op.prim == "div" or any(k.dtype == "float" for k in kinds)
        if not (self.float32 and PRIMITIVES[op.prim].float_arithmetic and meets_floats):
            return args
        exponent = 1 if op.prim == "pow" else None  # x ** 2 stays exact and float32
        return [
            self.as_float32(a, k) if k.dtype == "int" and i != exponent else a
            for i, (a, k) in enumerate(zip(args, kinds))
        ]

    def as_float32(self, node: ast.expr, kind) -> ast.expr:
        if kind.rank == 0:
            return self.in_float32(node)
        return ast.Call(ast.Attribute(node, "astype"), [self.attribute("np.float32")], [])

    def imported_name(self, module: str, name: str) -> ast.expr:
        """``name``, imported from ``module`` (users' rules: ``symdiff.rules``)."""
        self.imported.add((module, name))
        return ast.Name(name)

    def helper(self, name: str, source: str) -> str:
        """Use a module-level helper function (emitted once, before the function)."""
        self.helpers.setdefault(name, source)
        return name

    def value(self, value) -> ast.expr:
        return self.op(value) if isinstance(value, Op) else self.atom(value)

    def result(self, result) -> ast.expr:
        if isinstance(result, tuple):
            return ast.Tuple([self.result(item) for item in result])
        return self.atom(result)

    # -- statements --------------------------------------------------------
    def block(self, body) -> list:
        return [node for stmt in body for node in self.statement(stmt)]

    def statement(self, stmt) -> list:
        return _STATEMENTS[type(stmt)](self, stmt)

    def assign(self, stmt: Assign) -> list:
        if isinstance(stmt.value, Op) and stmt.value.prim == "scatter":
            return scatter_statements(self, stmt.target, stmt.value)
        return [ast.Assign([ast.Name(stmt.target)], self.value(stmt.value))]

    def copy_array(self, stmt: CopyArray) -> list:
        copy = ast.Call(ast.Attribute(self.atom(stmt.source), "copy"), [], [])
        return [ast.Assign([ast.Name(stmt.target)], copy)]

    def store(self, stmt: Store) -> list:
        """``a[index] = v``, ``a[index] += v`` (``-= w`` for ``+= -w``)."""
        value = self.atom(stmt.value)
        indices = [self.atom(a) for a in stmt.indices]
        where = ast.Subscript(ast.Name(stmt.target), subscript(self, stmt.pattern, indices))
        if not stmt.accumulate:
            return [ast.Assign([where], value)]
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            return [ast.AugAssign(where, ast.Sub(), value.operand)]
        return [ast.AugAssign(where, ast.Add(), value)]

    def parallel_assign(self, stmt: ParallelAssign) -> list:
        names = ast.Tuple([ast.Name(n) for n in stmt.targets])
        return [ast.Assign([names], ast.Tuple([self.atom(v) for v in stmt.values]))]

    def branch(self, stmt: If) -> list:
        test = self.atom(stmt.cond)
        body, orelse = self.block(stmt.body), self.block(stmt.orelse)
        if not body and orelse:  # print `if not c:` rather than an empty branch
            test, body, orelse = _negate(test), orelse, []
        return [ast.If(test, body or [ast.Pass()], orelse)]

    def loop(self, stmt: Loop) -> list:
        if stmt.index is not None:
            start, stop, step = (self.atom(a) for a in stmt.bounds)
            args = [stop]
            if stmt.step != ir.Const(1):
                args = [start, stop, step]
            elif stmt.start != ir.Const(0):
                args = [start, stop]
            if stmt.parallel:  # numba.prange: a range in plain Python, cores under Numba
                self.imported.add(("numba", "prange"))
            head = ast.For(
                ast.Name(stmt.index),
                self.call("prange" if stmt.parallel else "range", args),
                [],
                [],
            )
        else:
            header = self.block(stmt.header)
            test = self.atom(stmt.cond)
            if header:  # while True: <header>; if not cond: break
                header.append(ast.If(_negate(test), [ast.Break()], []))
                test = ast.Constant(True)
            head = ast.While(test, header, [])
        body = self.block(stmt.body)
        if stmt.exit is not None:
            body.append(ast.If(self.atom(stmt.exit), [ast.Break()], []))
        head.body = head.body + (body or [ast.Pass()])
        return [head]

    def line(self, stmt: Line) -> list:
        """A placeholder statement, replaced by the comment once printed."""
        where = f" of {stmt.filename}" if stmt.filename else ""
        self.lines.append(f"# line {stmt.number}{where}")
        return [ast.Expr(ast.Name(f"{_LINE_MARK}{len(self.lines) - 1}"))]

    def comments(self, code: str) -> str:
        """``code`` with each placeholder replaced by its comment."""
        return re.sub(
            rf"^( *){_LINE_MARK}(\d+)$",
            lambda m: m.group(1) + self.lines[int(m.group(2))],
            code,
            flags=re.MULTILINE,
        )


_LINE_MARK = "__symdiff_line_comment_"

_STATEMENTS = {
    Assign: _Printer.assign,
    CopyArray: _Printer.copy_array,
    Store: _Printer.store,
    ParallelAssign: _Printer.parallel_assign,
    If: _Printer.branch,
    Loop: _Printer.loop,
    Line: _Printer.line,
}


def _negate(test: ast.expr) -> ast.expr:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    return ast.UnaryOp(ast.Not(), test)


def function_source(
    fn: ir.Function,
    docstring: str = "",
    header: tuple = (),
    kinds=None,
    float32=False,
    then: str = "",
) -> str:
    """The complete module source defining ``fn``: header, imports, helpers, function.

    ``fn`` is lowered (``symdiff.lower.lower``) and printed.  ``kinds``
    (name -> ``Kind``) selects the spelling of each operation: ``math.*``
    and operators on scalars, ``np.*`` on arrays.  ``float32``: its floats
    are float32 (the arrays it is given are), and so are the constants and
    the arrays it creates.  ``then`` is source (using NumPy) printed after
    the function: a driver calling it.
    """
    return lowered_source(lower(fn, kinds), docstring, header, kinds, float32, then)


def lowered_source(
    lowered: Lowered, docstring="", header=(), kinds=None, float32=False, then="", parallel=False
) -> str:
    """The module source of a lowered function (see ``function_source``);
    ``parallel``: it imports ``prange``, so the backend compiles it with
    Numba's parallel backend (array expressions across cores too)."""
    printer = _Printer(lowered, kinds, float32)
    if parallel:
        printer.imported.add(("numba", "prange"))
    if then:
        printer.modules.add("np")
    body = printer.block(lowered.body)
    body.append(ast.Return(printer.result(lowered.result)))
    if docstring:
        indented = "\n".join(("    " + line) if line else "" for line in docstring.splitlines())
        body.insert(0, ast.Expr(ast.Constant(indented.lstrip() + "\n    ")))
    args = ast.arguments([], [ast.arg(p) for p in lowered.params], None, [], [], None, [])
    fdef = ast.FunctionDef(lowered.name, args, body, [], None, None)
    module = ast.Module([fdef], [])
    ast.fix_missing_locations(module)
    code = printer.comments(ast.unparse(module))
    imports = [
        f"import {m}" if m != "np" else "import numpy as np" for m in sorted(printer.modules)
    ]
    for module in sorted({module for module, _ in printer.imported}):
        names = sorted(name for m, name in printer.imported if m == module)
        imports.append(f"from {module} import {', '.join(names)}")
    lines = [f"# {line}" for line in header]
    helpers = [text + "\n\n" for _, text in sorted(printer.helpers.items())]
    tail = ["\n\n" + then] if then else []
    return "\n".join(lines + imports + ["", ""] + helpers + [code] + tail) + "\n"


def forward_driver(
    name: str,
    primal: str,
    jvp: ir.Function,
    wrt,
    ranks,
    with_value: bool,
    single: bool,
    doc: str,
    aux: bool = False,
) -> str:
    """A forward-mode gradient over arrays, ``name``: one call of ``jvp``
    (whose last parameters are the tangents of ``wrt``) per basis direction,
    that is per element of each array and once per scalar in ``wrt``.

    ``ranks`` gives the rank of each ``wrt`` parameter; ``with_value``
    returns the value of ``primal`` first (``value_and_grad``); ``aux``: the
    JVP returns aux third, which the driver returns as ``has_aux`` does
    (``(grads, aux)``, ``((value, aux), grads)``)."""
    primals = jvp.params[: len(jvp.params) - len(wrt)]
    tangents = jvp.params[len(primals) :]
    namer = ir.Namer(jvp.params)
    call = f"{jvp.name}({', '.join(jvp.params)})"
    lines = [f"def {name}({', '.join(primals)}):", f'    """{doc}"""']
    for param, tangent, rank in zip(wrt, tangents, ranks):
        lines.append(f"    {tangent} = np.zeros_like({param})" if rank else f"    {tangent} = 0.0")
    value = namer.fresh(primal)
    aux_name = namer.fresh("aux")
    if with_value and aux:
        lines.append(f"    {value}, _, {aux_name} = {call}")
    elif with_value or aux:
        lines.append(f"    {value if with_value else aux_name} = {call}[{2 if aux else 0}]")
    grads = []
    for param, tangent, rank in zip(wrt, tangents, ranks):
        grad = namer.fresh(f"d{primal}_d{param}")
        grads.append(grad)
        if not rank:
            lines += [f"    {tangent} = 1.0", f"    {grad} = {call}[1]", f"    {tangent} = 0.0"]
            continue
        index = namer.fresh("index")
        lines += [
            f"    {grad} = np.zeros_like({param})",
            f"    for {index} in np.ndindex({param}.shape):",
            f"        {tangent}[{index}] = 1.0",
            f"        {grad}[{index}] = {call}[1]",
            f"        {tangent}[{index}] = 0.0",
        ]
    result = grads[0] if single else f"({', '.join(grads)}{',' * (len(grads) == 1)})"
    if with_value:
        result = f"({value}, {aux_name}), {result}" if aux else f"{value}, {result}"
        result = f"({result})"
    elif aux:
        result = f"({result}, {aux_name})"
    return "\n".join(lines + [f"    return {result}"])
