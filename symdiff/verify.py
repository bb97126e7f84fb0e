"""Checking derivatives: symdiff (both modes) vs SymPy vs finite differences.

``check_grad`` is the one checker used by the tests, the ``check`` method of
differentiated functions and the notebook.

* SymPy: the function's IR is executed symbolically along the branch taken
  at the point (conditions are evaluated numerically there), SymPy
  differentiates the resulting expression with its own rules, and the result
  is evaluated with 30 significant digits.  This shares symdiff's parser but
  none of its derivative rules or code generation.
* Finite differences: central differences with Richardson extrapolation on
  the *original* Python function (nothing of symdiff involved), with step
  ``h = 1e-3 * max(1, |x|)``; truncation error O(h^4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import api, ir
from .ir import Assign, Loop, Op, Var
from .primitives import PRIMITIVES


def _sympy():
    import sympy

    return sympy


def _symbols_for(name, value):
    sp = _sympy()
    if isinstance(value, np.ndarray):
        flat = [
            sp.Symbol(f"{name}[{','.join(map(str, i))}]", real=True)
            for i in np.ndindex(value.shape)
        ]
        return np.array(flat, dtype=object).reshape(value.shape)
    return sp.Symbol(name, real=True)


def sympy_expression(fn: ir.Function, args, wrt):
    """The output of ``fn`` as a SymPy expression of the ``wrt`` parameters
    along the path taken at ``args``; returns ``(expr, symbols, point)``.

    Arrays become NumPy arrays of SymPy expressions (one per element), so
    that SymPy differentiates each element with its own rules.  Conditions,
    ``np.where`` masks and the winner of ``max`` reductions are evaluated
    numerically at the point."""
    sp = _sympy()
    # A 0-d array is a scalar here, as in the generated code.
    args = [a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a for a in args]
    symbols = {p: _symbols_for(p, a) for p, a in zip(fn.params, args) if p in wrt}
    point = {}
    for p, a in zip(fn.params, args):
        if p in symbols:
            for sym, v in zip(np.ravel(symbols[p]), np.ravel(a)):
                point[sym] = sp.Float(repr(float(v)), 30)
    env = {}
    for p, a in zip(fn.params, args):
        env[p] = symbols[p] if p in symbols else (a if isinstance(a, np.ndarray) else sp.sympify(a))

    def val(atom):
        if isinstance(atom, Var):
            return env[atom.name]
        return sp.sympify(atom.value)

    def number(expr) -> float:
        return float(sp.sympify(expr).evalf(30, subs=point))

    def truth(expr) -> bool:
        value = sp.sympify(expr).subs(point)
        if value in (sp.true, sp.false):
            return bool(value)
        return bool(value.evalf(30) != 0)

    def evaluate(op: Op):
        args = [val(a) for a in op.args]
        attrs = dict(op.attrs)
        prim = PRIMITIVES[op.prim]
        special = _SYMBOLIC.get(op.prim)
        if special is not None:
            return special(args, attrs, number, truth)
        if any(isinstance(a, np.ndarray) for a in args):
            func = prim.sympy
            if op.prim in _COMPARISONS:
                return np.vectorize(lambda *a: truth(func(*a)), otypes=[bool])(*args)
            return np.vectorize(func, otypes=[object])(*args)
        return prim.sympy(*args)

    def block(body):
        for stmt in body:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Op):
                    env[stmt.target] = evaluate(stmt.value)
                else:
                    env[stmt.target] = val(stmt.value)
            elif isinstance(stmt, Loop):
                loop(stmt)
            else:
                taken = truth(val(stmt.cond))
                block(stmt.body if taken else stmt.orelse)
                for phi in stmt.phis:
                    env[phi.target] = val(phi.then if taken else phi.orelse)

    def loop(stmt):
        """Run the loop along the path taken at the point (unrolled symbolically)."""
        for c in stmt.carried:
            env[c.name] = val(c.init)
        indices = iter(range(*(int(val(a)) for a in stmt.bounds))) if stmt.index else None
        while True:
            if indices is not None:
                i = next(indices, None)
                if i is None:
                    break
                env[stmt.index] = sp.Integer(i)
            else:
                block(stmt.header)
                if not truth(val(stmt.cond)):
                    break
            block(stmt.body)
            nexts = [val(c.next) for c in stmt.carried]
            for c, value in zip(stmt.carried, nexts):
                env[c.name] = value
            if stmt.exit is not None and truth(val(stmt.exit)):
                break

    block(fn.body)
    return val(fn.result), [symbols[p] for p in wrt], point


_COMPARISONS = {"lt", "le", "gt", "ge", "eq", "ne", "not"}


def _pick(func):
    """max/min along an axis: the elements that win at the point, averaged
    when several tie (the documented convention: ties share the derivative)."""

    def winners(a, values):
        best = values.max() if func is np.argmax else values.min()
        tied = [e for e, v in zip(a, values) if v == best]
        return sum(tied) / len(tied) if len(tied) > 1 else tied[0]

    def pick(args, attrs, number, truth):
        a = np.asarray(args[0], dtype=object)
        values = np.vectorize(number, otypes=[float])(a)
        axis = attrs.get("axis")
        if axis is None:
            best = winners(a.ravel(), values.ravel())
            return np.full((1,) * a.ndim, best, dtype=object) if attrs.get("keepdims") else best
        moved_a, moved_v = np.moveaxis(a, axis, -1), np.moveaxis(values, axis, -1)
        out = np.empty(moved_a.shape[:-1], dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = winners(moved_a[index], moved_v[index])
        return np.expand_dims(out, axis) if attrs.get("keepdims") else out

    return pick


def _index(args, attrs):
    items, it = [], iter(int(v) for v in args[1:])
    for item in attrs["index"]:
        if item[0] == "i":
            items.append(next(it))
        else:
            items.append(slice(*[next(it) if present else None for present in item[1:]]))
    return tuple(items)


def _store(args, attrs, add):
    """``a[index] = v`` (or ``+=``) on a copy of ``a`` as an object array."""
    value, array = args[0], np.array(args[1], dtype=object)
    where = _index(args[1:], attrs)
    array[where] = array[where] + value if add else value
    return array


def _reduce(func):
    def reduce(args, attrs, number, truth):
        out = func(
            np.asarray(args[0], dtype=object),
            axis=attrs.get("axis"),
            keepdims=attrs.get("keepdims", False),
        )
        return out

    return reduce


_SYMBOLIC = {
    "dot": lambda a, at, n, t: np.dot(a[0], a[1]),
    "matmul": lambda a, at, n, t: np.dot(a[0], a[1]),
    "outer": lambda a, at, n, t: np.outer(a[0], a[1]),
    "transpose": lambda a, at, n, t: np.transpose(a[0]),
    "reshape": lambda a, at, n, t: np.reshape(a[0], tuple(int(v) for v in a[1:])),
    "sum": _reduce(np.sum),
    "prod": _reduce(np.prod),
    "amax": _pick(np.argmax),
    "amin": _pick(np.argmin),
    "getitem": lambda a, at, n, t: np.asarray(a[0], dtype=object)[_index(a, at)],
    "shape": lambda a, at, n, t: _sympy().Integer(np.shape(a[0])[at["axis"]]),
    "size": lambda a, at, n, t: _sympy().Integer(np.size(a[0])),
    "zeros": lambda a, at, n, t: np.zeros(tuple(int(v) for v in a)),
    "ones": lambda a, at, n, t: np.ones(tuple(int(v) for v in a)),
    "zeros_like": lambda a, at, n, t: np.zeros(np.shape(a[0])),
    "ones_like": lambda a, at, n, t: np.ones(np.shape(a[0])),
    "eye": lambda a, at, n, t: np.eye(int(a[0])),
    "stack": lambda a, at, n, t: np.array(a, dtype=object),
    "copy": lambda a, at, n, t: np.array(a[0], dtype=object),
    "setitem": lambda a, at, n, t: _store(a, at, False),
    "additem": lambda a, at, n, t: _store(a, at, True),
    "where": lambda a, at, n, t: (
        np.where(np.vectorize(t, otypes=[bool])(a[0]), a[1], a[2])
        if any(isinstance(v, np.ndarray) for v in a)
        else (a[1] if t(a[0]) else a[2])
    ),
}


def float_argnums(args) -> tuple:
    """The positions of the float arguments (numbers and float arrays)."""
    return tuple(
        i
        for i, a in enumerate(args)
        if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")
    )


def finite_difference(f, args, index, h=None, element=()):
    """d f / d args[index][element] by Richardson-extrapolated central differences."""
    base = args[index]
    x = float(base[element]) if isinstance(base, np.ndarray) else float(base)
    h = h or 1e-3 * max(1.0, abs(x))

    def at(step):
        shifted = list(args)
        if isinstance(base, np.ndarray):
            moved = base.astype(float, copy=True)
            moved[element] = x + step
            shifted[index] = moved
        else:
            shifted[index] = x + step
        return float(f(*shifted))

    def central(step):
        return (at(step) - at(-step)) / (2 * step)

    return (4.0 * central(h / 2) - central(h)) / 3.0


@dataclass
class GradCheckRow:
    name: str
    reverse: float
    forward: float
    sympy: float | None
    finite_diff: float | None

    def errors(self):
        ref = self.sympy

        def rel(a, b):
            if a is None or b is None:
                return None
            scale = max(abs(a), abs(b), 1e-300)
            return 0.0 if a == b else abs(a - b) / scale

        return {
            "reverse": rel(self.reverse, ref),
            "forward": rel(self.forward, ref),
            "finite_diff": rel(self.finite_diff, ref if ref is not None else self.reverse),
            "forward_vs_reverse": rel(self.forward, self.reverse),
        }


@dataclass
class GradCheckReport:
    """The outcome of ``check_grad``: one row per argument.

    ``ok`` is True when both modes agree with SymPy to ``rtol`` and finite
    differences agree to ``fd_rtol``.  ``str(report)`` is a table.
    """

    function: str
    point: dict
    value: float
    sympy_value: float | None
    rows: list = field(default_factory=list)
    rtol: float = 1e-10
    fd_rtol: float = 1e-6
    notes: list = field(default_factory=list)

    @property
    def max_errors(self) -> dict:
        out = {}
        for row in self.rows:
            for key, err in row.errors().items():
                if err is not None:
                    out[key] = max(out.get(key, 0.0), err)
        return out

    @property
    def ok(self) -> bool:
        errs = self.max_errors
        exact = [errs.get(k) for k in ("reverse", "forward", "forward_vs_reverse")]
        if any(e is None or not e <= self.rtol for e in exact if e is not None):
            return False
        if "forward_vs_reverse" not in errs:
            return False
        fd = errs.get("finite_diff")
        return fd is None or fd <= self.fd_rtol

    def __bool__(self):
        return self.ok

    def __str__(self):
        at = ", ".join(f"{k}={v if isinstance(v, str) else repr(v)}" for k, v in self.point.items())
        lines = [f"check_grad {self.function}({at}) = {self.value!r}"]
        head = f"  {'d/d':<6}{'symdiff reverse':>24}{'symdiff forward':>24}{'SymPy':>24}{'finite diff.':>24}"
        lines.append(head)
        shown = self.rows if len(self.rows) <= 12 else self.rows[:10]
        for row in shown:
            cells = [row.reverse, row.forward, row.sympy, row.finite_diff]
            text = "".join(f"{'-' if c is None else repr(c):>24}" for c in cells)
            lines.append(f"  {row.name:<6}{text}")
        if len(shown) < len(self.rows):
            lines.append(f"  ... {len(self.rows) - len(shown)} more elements")
        errs = self.max_errors
        parts = [f"{k.replace('_', ' ')} {v:.1e}" for k, v in errs.items()]
        lines.append("  max relative error (vs SymPy): " + ", ".join(parts))
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(
            f"  {'OK' if self.ok else 'MISMATCH'} (rtol {self.rtol:g}, finite differences {self.fd_rtol:g})"
        )
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def check_grad(fn, *args, argnums=None, jit=True, rtol=1e-10, fd_rtol=1e-6) -> GradCheckReport:
    """Compare symdiff's gradients (both modes) with SymPy and finite differences.

    Parameters
    ----------
    fn : function
    *args : the point
    argnums : int or tuple, optional
        Default: every float argument.
    rtol, fd_rtol : float
        Relative tolerances against SymPy for symdiff, and for finite
        differences.

    Examples
    --------
    >>> import math
    >>> def f(x, z):
    ...     return math.exp(x * z) / x
    >>> report = check_grad(f, 2.0, 3.0, jit=False)   # doctest: +SKIP
    >>> report.ok                                     # doctest: +SKIP
    True
    """
    sp = _sympy()
    fn = api._unwrap(fn)
    primal = api.parsed(fn)
    if argnums is None:
        argnums = float_argnums(args)
    idx, single = api.normalize_argnums(argnums, primal)
    rev = api.value_and_grad(fn, idx, "reverse", jit)(*args)
    fwd = api.value_and_grad(fn, idx, "forward", jit)(*args)
    rev_grads = rev[1]  # idx is a tuple: always a tuple of gradients
    fwd_grads = fwd[1]
    value = float(rev[0])
    wrt = [primal.params[i] for i in idx]
    notes = []
    try:
        expr, symbols, point = sympy_expression(primal, args, wrt)
        sym_value = float(sp.sympify(expr).evalf(30, subs=point))
        sym_grads = [
            [float(sp.diff(expr, s).evalf(30, subs=point)) for s in np.ravel(group)]
            for group in symbols
        ]
    except Exception as exc:  # report, do not crash: SymPy may not handle everything
        sym_value, sym_grads = None, [None] * len(idx)
        notes.append(f"SymPy could not evaluate the reference ({type(exc).__name__}: {exc})")
    rows = []
    for k, i in enumerate(idx):
        name, arg = primal.params[i], args[i]
        elements = list(np.ndindex(np.shape(arg))) if isinstance(arg, np.ndarray) else [()]
        for e, element in enumerate(elements):
            try:
                fd = finite_difference(fn, args, i, element=element)
                fd = fd if math.isfinite(fd) else None
            except (ArithmeticError, ValueError) as exc:
                fd = None
                notes.append(f"finite differences for {name} failed: {exc}")
            label = f"{name}[{','.join(map(str, element))}]" if element else name
            reference = sym_grads[k][e] if sym_grads[k] is not None else None
            rows.append(
                GradCheckRow(
                    label,
                    float(np.asarray(rev_grads[k])[element]),
                    float(np.asarray(fwd_grads[k])[element]),
                    reference,
                    fd,
                )
            )
    point = {
        p: (a if not isinstance(a, np.ndarray) else f"array{a.shape}")
        for p, a in zip(primal.params, args)
    }
    return GradCheckReport(fn.__name__, point, value, sym_value, rows, rtol, fd_rtol, notes)
