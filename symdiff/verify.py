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

import sympy as sp

from . import api, ir
from .ir import Assign, Op, Var
from .primitives import PRIMITIVES


def sympy_expression(fn: ir.Function, args, wrt):
    """The output of ``fn`` as a SymPy expression of the ``wrt`` parameters
    along the path taken at ``args``; returns ``(expr, symbols, point)``."""
    symbols = {p: sp.Symbol(p, real=True) for p in wrt}
    point = {
        symbols[p]: sp.Float(repr(float(a)), 30) for p, a in zip(fn.params, args) if p in symbols
    }
    env = {}
    for p, a in zip(fn.params, args):
        env[p] = symbols[p] if p in symbols else sp.sympify(a)

    def val(atom):
        if isinstance(atom, Var):
            return env[atom.name]
        return sp.sympify(atom.value)

    def truth(expr) -> bool:
        value = sp.sympify(expr).subs(point)
        if value in (sp.true, sp.false):
            return bool(value)
        return bool(value.evalf(30) != 0)

    def block(body):
        for stmt in body:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Op):
                    env[stmt.target] = PRIMITIVES[stmt.value.prim].sympy(*map(val, stmt.value.args))
                else:
                    env[stmt.target] = val(stmt.value)
            else:
                taken = truth(val(stmt.cond))
                block(stmt.body if taken else stmt.orelse)
                for phi in stmt.phis:
                    env[phi.target] = val(phi.then if taken else phi.orelse)

    block(fn.body)
    return val(fn.result), [symbols[p] for p in wrt], point


def finite_difference(f, args, index, h=None):
    """d f / d args[index] by Richardson-extrapolated central differences."""
    x = float(args[index])
    h = h or 1e-3 * max(1.0, abs(x))

    def at(step):
        shifted = list(args)
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
        at = ", ".join(f"{k}={v!r}" for k, v in self.point.items())
        lines = [f"check_grad {self.function}({at}) = {self.value!r}"]
        head = f"  {'d/d':<6}{'symdiff reverse':>24}{'symdiff forward':>24}{'SymPy':>24}{'finite diff.':>24}"
        lines.append(head)
        for row in self.rows:
            cells = [row.reverse, row.forward, row.sympy, row.finite_diff]
            text = "".join(f"{'-' if c is None else repr(c):>24}" for c in cells)
            lines.append(f"  {row.name:<6}{text}")
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
    fn = api._unwrap(fn)
    primal = api.parsed(fn)
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(args) if isinstance(a, float))
    idx, single = api.normalize_argnums(argnums, primal)
    rev = api.value_and_grad(fn, idx, "reverse", jit)(*args)
    fwd = api.value_and_grad(fn, idx, "forward", jit)(*args)
    value = float(rev[0])
    wrt = [primal.params[i] for i in idx]
    notes = []
    try:
        expr, symbols, point = sympy_expression(primal, args, wrt)
        sym_value = float(expr.evalf(30, subs=point))
        sym_grads = [float(sp.diff(expr, s).evalf(30, subs=point)) for s in symbols]
    except Exception as exc:  # report, do not crash: SymPy may not handle everything
        sym_value, sym_grads = None, [None] * len(idx)
        notes.append(f"SymPy could not evaluate the reference ({type(exc).__name__}: {exc})")
    rows = []
    for k, i in enumerate(idx):
        try:
            fd = finite_difference(fn, args, i)
            if not math.isfinite(fd):
                fd = None
        except (ArithmeticError, ValueError) as exc:
            fd = None
            notes.append(f"finite differences for {primal.params[i]} failed: {exc}")
        rows.append(
            GradCheckRow(primal.params[i], float(rev[1][k]), float(fwd[1][k]), sym_grads[k], fd)
        )
    point = dict(zip(primal.params, args))
    return GradCheckReport(fn.__name__, point, value, sym_value, rows, rtol, fd_rtol, notes)
