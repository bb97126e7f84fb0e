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
from .errors import ShapeError
from .infer import const_kind
from .ir import FLOAT, Assign, If, Kind, Op, Var
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
    def __init__(self, fn: ir.Function, kinds: dict | None = None):
        self.fn = fn
        self.kinds = kinds or {}
        self.helpers: dict = {}
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

    def kind(self, atom) -> Kind:
        if isinstance(atom, Var):
            return self.kinds.get(atom.name, FLOAT)
        return const_kind(atom.value)

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
        special = _SPECIAL.get(op.prim)
        if special is not None and (is_array or prim.spelling[0] == "special"):
            return special(self, op, [self.atom(a) for a in op.args])
        args = [self.atom(a) for a in op.args]
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

    def helper(self, name: str, source: str) -> str:
        """Use a module-level helper function (emitted once, before the function)."""
        self.helpers.setdefault(name, source)
        return name

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
                if isinstance(s.value, Op) and s.value.prim == "scatter":
                    out.extend(_scatter_statements(self, s.target, s.value))
                    continue
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
                if not body_ and orelse:  # print `if not c:` rather than an empty branch
                    test, body_, orelse = _negate(test), orelse, []
                body_ = body_ or [ast.Pass()]
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


def function_source(fn: ir.Function, docstring: str = "", header: tuple = (), kinds=None) -> str:
    """The complete module source defining ``fn``: header, imports, helpers, function.

    ``kinds`` (name -> ``Kind``) selects the spelling of each operation:
    ``math.*`` and operators on scalars, ``np.*`` on arrays.
    """
    printer = _Printer(fn, kinds)
    body = printer.block(fn.body)
    body.append(ast.Return(printer.result(fn.result)))
    if docstring:
        indented = "\n".join(("    " + line) if line else "" for line in docstring.splitlines())
        body.insert(0, ast.Expr(ast.Constant(indented.lstrip() + "\n    ")))
    args = ast.arguments([], [ast.arg(printer.ident(p)) for p in fn.params], None, [], [], None, [])
    fdef = ast.FunctionDef(fn.name, args, body, [], None, None)
    module = ast.Module([fdef], [])
    ast.fix_missing_locations(module)
    code = ast.unparse(module)
    imports = [
        f"import {m}" if m != "np" else "import numpy as np" for m in sorted(printer.modules)
    ]
    lines = [f"# {line}" for line in header]
    helpers = [text + "\n\n" for _, text in sorted(printer.helpers.items())]
    return "\n".join(lines + imports + ["", ""] + helpers + [code]) + "\n"


# ---------------------------------------------------------------------------
# Array operations, spelled with what Numba compiles in nopython mode.


def _index(printer, pattern, indices):
    """The subscript for an index pattern (see ``frontend``) and its atoms."""
    items, it = [], iter(indices)
    for item in pattern:
        if item[0] == "i":
            items.append(printer.atom(next(it)))
        else:
            parts = [printer.atom(next(it)) if present else None for present in item[1:]]
            items.append(ast.Slice(*parts))
    return items[0] if len(items) == 1 else ast.Tuple(items)


def _getitem(printer, op, args):
    pattern = dict(op.attrs)["index"]
    return ast.Subscript(args[0], _index(printer, pattern, op.args[1:]))


def _scatter_statements(printer, target, op):
    """zeros like x, with g written at the index: the adjoint of x[index]."""
    g, x = printer.atom(op.args[0]), printer.atom(op.args[1])
    name = printer.ident(target)
    pattern = dict(op.attrs)["index"]
    first = ast.Assign([ast.Name(name)], printer.call("np.zeros_like", [x]))
    where = ast.Subscript(ast.Name(name), _index(printer, pattern, op.args[2:]))
    return [first, ast.Assign([where], g)]


def _keep_axis(printer, reduced, rank, axis):
    """``reduced`` (a reduction over ``axis`` of a rank-``rank`` array) with
    that axis kept as size 1: ``keepdims=True``, which Numba lacks."""
    if rank == 1:
        return printer.call("np.full", [ast.Constant(1), reduced])
    return printer.call("np.expand_dims", [reduced, ast.Constant(axis)])


_AXIS_HELPER = """\
def {name}(x):
    \"\"\"np.{func}(x, axis={axis}) for a 2-d array, written out for Numba.\"\"\"
    out = np.empty(x.shape[{other}])
    for i in range(x.shape[{other}]):
        out[i] = np.{func}(x[{index}])
    return out"""


def _reduce(func):
    def spell(printer, op, args):
        attrs = dict(op.attrs)
        kind = printer.kind(op.args[0])
        axis = attrs.get("axis")
        axis = None if axis is None else axis % kind.rank
        if axis is None or kind.rank == 1:
            value = printer.call(f"np.{func}", args)
            if attrs.get("keepdims"):
                shape = ast.Tuple([ast.Constant(1)] * kind.rank)
                return printer.call("np.full", [shape, value])
            return value
        if func == "sum":
            value = printer.call("np.sum", args, [("axis", ast.Constant(axis))])
        elif kind.rank == 2:
            index = "i, :" if axis == 1 else ":, i"
            name = printer.helper(
                f"_{func}_axis{axis}",
                _AXIS_HELPER.format(
                    name=f"_{func}_axis{axis}", func=func, axis=axis, other=1 - axis, index=index
                ),
            )
            printer.modules.add("np")
            value = ast.Call(ast.Name(name), args, [])
        else:
            raise ShapeError(
                f"np.{func}(..., axis={axis}) on a rank-{kind.rank} array is not supported",
                None,
                "reshape to 2-d first, or reduce over all axes",
            )
        if attrs.get("keepdims"):
            return _keep_axis(printer, value, kind.rank, axis)
        return value

    return spell


def _sum_to(printer, op, args):
    """Sum an adjoint over the axes along which its operand was broadcast."""
    g, target = printer.kind(op.args[0]), printer.kind(op.args[1])
    value = args[0]
    if target.rank == 0:
        return printer.call("np.sum", [value])
    for _ in range(g.rank - target.rank):
        value = printer.call("np.sum", [value], [("axis", ast.Constant(0))])
    for axis in range(target.rank):
        if g.state(axis + (g.rank - target.rank)) == "1" or target.state(axis) == ":":
            continue
        if target.state(axis) == "1":
            summed = printer.call("np.sum", [value], [("axis", ast.Constant(axis))])
            value = _keep_axis(printer, summed, target.rank, axis)
        else:  # size 1 or not: known when the code runs
            name = f"_sum_axis{axis}_if_one_{target.rank}d"
            keep = (
                "np.full(1, np.sum(g))"
                if target.rank == 1
                else (f"np.expand_dims(np.sum(g, axis={axis}), {axis})")
            )
            printer.helper(name, _SUM_IF_ONE.format(name=name, axis=axis, keep=keep))
            printer.modules.add("np")
            value = ast.Call(ast.Name(name), [value, args[1]], [])
    return value


_SUM_IF_ONE = """\
def {name}(g, x):
    \"\"\"g summed over axis {axis} (kept, of size 1) when x has size 1 there: the
    adjoint of a value broadcast along that axis.\"\"\"
    if x.shape[{axis}] == 1 and g.shape[{axis}] != 1:
        return {keep}
    return np.ascontiguousarray(g)"""


def _expand_dims(printer, op, args):
    if printer.kind(op.args[0]).rank == 0:
        return args[0]
    return printer.call("np.expand_dims", [args[0], ast.Constant(dict(op.attrs)["axis"])])


def _clip(printer, op, args):
    if any(printer.kind(a).rank for a in op.args):
        return printer.call("np.clip", args)
    return printer.call("min", [printer.call("max", args[:2]), args[2]])


def _where(printer, op, args):
    if any(printer.kind(a).rank for a in op.args):
        return printer.call("np.where", args)
    return ast.IfExp(args[0], args[1], args[2])


def _reshape(printer, op, args):
    return ast.Call(ast.Attribute(args[0], "reshape"), [ast.Tuple(args[1:])], [])


def _shape(printer, op, args):
    axis = dict(op.attrs).get("axis")
    return ast.Subscript(ast.Attribute(args[0], "shape"), ast.Constant(axis))


_ELEMENTWISE_HELPER = """\
def {name}(x):
    \"\"\"math.{func} of every element (NumPy has no ufunc for it), for Numba.\"\"\"
    flat = x.ravel()
    out = np.empty(flat.size)
    for i in range(flat.size):
        out[i] = math.{func}(flat[i])
    return out.reshape(x.shape)"""


def _math_elementwise(func):
    def spell(printer, op, args):
        if printer.kind(op.args[0]).rank == 0:
            return printer.call(f"math.{func}", args)
        name = printer.helper(
            f"_{func}_array", _ELEMENTWISE_HELPER.format(name=f"_{func}_array", func=func)
        )
        printer.modules.update(("math", "np"))
        return ast.Call(ast.Name(name), args, [])

    return spell


_SPECIAL = {
    "erf": _math_elementwise("erf"),
    "erfc": _math_elementwise("erfc"),
    "dot": lambda p, op, args: p.call("np.dot", args),
    "outer": lambda p, op, args: p.call("np.outer", args),
    "transpose": lambda p, op, args: ast.Attribute(args[0], "T"),
    "reshape": _reshape,
    "reshape_like": lambda p, op, args: ast.Call(
        ast.Attribute(args[0], "reshape"), [ast.Attribute(args[1], "shape")], []
    ),
    "sum": _reduce("sum"),
    "amax": _reduce("max"),
    "amin": _reduce("min"),
    "prod": _reduce("prod"),
    "getitem": _getitem,
    "shape": _shape,
    "size": lambda p, op, args: ast.Attribute(args[0], "size"),
    "zeros": lambda p, op, args: p.call("np.zeros", [ast.Tuple(args)]),
    "ones": lambda p, op, args: p.call("np.ones", [ast.Tuple(args)]),
    "zeros_like": lambda p, op, args: p.call("np.zeros_like", args),
    "ones_like": lambda p, op, args: p.call("np.ones_like", args),
    "eye": lambda p, op, args: p.call("np.eye", args),
    "stack": lambda p, op, args: p.call("np.array", [ast.List(args)]),
    "sum_to": _sum_to,
    "expand_dims": _expand_dims,
    "broadcast_like": lambda p, op, args: ast.BinOp(
        p.call("np.zeros_like", [args[1]]), ast.Add(), args[0]
    ),
    "clip": _clip,
    "where": _where,
}
