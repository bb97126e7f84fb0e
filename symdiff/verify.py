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
import time
from dataclasses import dataclass, field

import numpy as np

from . import api, ir
from .ir import Assign, Loop, Op, Var
from .pipeline import parsed
from .primitives import PRIMITIVES
from .signature import normalize_argnums, unwrap


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


class TooLarge(Exception):
    """The symbolic reference outgrew its budget."""


class Budget:
    """A limit on the symbolic reference, checked as its expressions grow.

    The size of an expression is its number of nodes as a tree (a shared
    subexpression counts once per use), which is what differentiating and
    evaluating it walk; each subexpression's size is remembered, so checking
    a new expression costs only its new nodes.  ``seconds`` bounds the wall
    clock as well (checked at the same points)."""

    def __init__(self, max_nodes: int, seconds: float):
        self.max_nodes = max_nodes
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._sizes: dict = {}

    def size(self, expr) -> int:
        sizes, stack = self._sizes, [expr]
        while stack:  # post-order without recursion: trees may be deep
            top = stack[-1]
            if top in sizes:
                stack.pop()
                continue
            pending = [a for a in top.args if a not in sizes]
            if pending:
                stack.extend(pending)
                continue
            sizes[top] = 1 + sum(sizes[a] for a in top.args)
            stack.pop()
        return sizes[expr]

    def check(self, value) -> None:
        sp = _sympy()
        items = np.ravel(value) if isinstance(value, np.ndarray) else (value,)
        nodes = sum(self.size(e) for e in items if isinstance(e, sp.Basic))
        if nodes > self.max_nodes:
            raise TooLarge(f"an expression of more than {self.max_nodes} nodes")
        if time.monotonic() > self.deadline:
            raise TooLarge(f"more than {self.seconds:g} s")


def evaluate_at(expr, point) -> float:
    """``expr`` at ``point`` (symbols -> 30-digit Floats), in 30-digit arithmetic.

    Substituting first (``xreplace``) evaluates each shared subexpression
    once; ``evalf(subs=...)`` re-walks the tree and takes minutes on the
    derivatives of a few steps of a recurrence."""
    return float(_sympy().sympify(expr).xreplace(point).evalf(30))


def sympy_expression(fn: ir.Function, args, wrt, budget: Budget | None = None):
    """The output of ``fn`` as a SymPy expression of the ``wrt`` parameters
    along the path taken at ``args``; returns ``(expr, symbols, point)``.

    Arrays become NumPy arrays of SymPy expressions (one per element), so
    that SymPy differentiates each element with its own rules.  Conditions,
    ``np.where`` masks and the winner of ``max`` reductions are evaluated
    numerically at the point.  ``budget`` raises ``TooLarge`` when the
    expressions outgrow it."""
    sp = _sympy()
    # A 0-d array is a scalar here, as in the generated code.
    args = [a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a for a in args]
    symbols = {p: _symbols_for(p, a) for p, a in zip(fn.params, args) if p in wrt}
    point, env = {}, {}
    for param, arg in zip(fn.params, args):
        if param in symbols:
            env[param] = symbols[param]
            for symbol, number in zip(np.ravel(symbols[param]), np.ravel(arg)):
                point[symbol] = sp.Float(repr(float(number)), 30)
        else:
            env[param] = arg if isinstance(arg, np.ndarray) else sp.sympify(arg)
    run = _SymbolicRun(env, point, budget)
    run.block(fn.body)
    return run.value_of(fn.result), [symbols[p] for p in wrt], point


class _SymbolicRun:
    """Executes IR on SymPy values (``env``: name -> value) along the path
    taken at ``point``: conditions are decided numerically there."""

    def __init__(self, env: dict, point: dict, budget: Budget | None):
        self.env = env
        self.point = point
        self.budget = budget

    def value_of(self, atom):
        if isinstance(atom, Var):
            return self.env[atom.name]
        return _sympy().sympify(atom.value)

    def number(self, expr) -> float:
        return evaluate_at(expr, self.point)

    def truth(self, expr) -> bool:
        sp = _sympy()
        value = sp.sympify(expr).xreplace(self.point)
        if value in (sp.true, sp.false):
            return bool(value)
        return bool(value.evalf(30) != 0)

    def evaluate(self, op: Op):
        number, truth = self.number, self.truth
        args = [self.value_of(a) for a in op.args]
        prim = PRIMITIVES[op.prim]
        if prim.sympy_arrays is not None:
            return prim.sympy_arrays(args, op.attrs, number, truth)
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(prim.sympy, otypes=[object])(*args)
        return prim.sympy(*args)

    def block(self, body):
        env, value_of = self.env, self.value_of
        for stmt in body:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Op):
                    env[stmt.target] = self.evaluate(stmt.value)
                else:
                    env[stmt.target] = value_of(stmt.value)
                if self.budget is not None:
                    self.budget.check(env[stmt.target])
            elif isinstance(stmt, Loop):
                self.loop(stmt)
            else:
                taken = self.truth(value_of(stmt.cond))
                self.block(stmt.body if taken else stmt.orelse)
                for phi in stmt.phis:
                    env[phi.target] = value_of(phi.then if taken else phi.orelse)

    def loop(self, stmt: Loop):
        """Run the loop along the path taken at the point (unrolled symbolically)."""
        env, value_of, truth = self.env, self.value_of, self.truth
        for carry in stmt.carried:
            env[carry.name] = value_of(carry.init)
        indices = iter(range(*(int(value_of(a)) for a in stmt.bounds))) if stmt.index else None
        while True:
            if indices is not None:
                index = next(indices, None)
                if index is None:
                    break
                env[stmt.index] = _sympy().Integer(index)
            else:
                self.block(stmt.header)
                if not truth(value_of(stmt.cond)):
                    break
            self.block(stmt.body)
            nexts = [value_of(carry.next) for carry in stmt.carried]
            for carry, value in zip(stmt.carried, nexts):
                env[carry.name] = value
            if stmt.exit is not None and truth(value_of(stmt.exit)):
                break


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


def _rel(a, b):
    """The relative difference of two numbers (0 when equal, also inf or nan)."""
    if a is None or b is None:
        return None
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    scale = max(abs(a), abs(b), 1e-300)
    return abs(a - b) / scale if math.isfinite(scale) else math.inf


@dataclass
class GradCheckRow:
    name: str
    reverse: float
    forward: float
    sympy: float | None
    finite_diff: float | None

    def errors(self):
        ref = self.sympy
        return {
            "reverse": _rel(self.reverse, ref),
            "forward": _rel(self.forward, ref),
            "finite_diff": _rel(self.finite_diff, ref if ref is not None else self.reverse),
            "forward_vs_reverse": _rel(self.forward, self.reverse),
        }


@dataclass
class GradCheckReport:
    """The outcome of ``check_grad``: one row per argument.

    ``ok`` is True when symdiff's value (both modes) is ``fn(*args)`` to
    ``rtol``, both modes agree with SymPy to ``rtol`` and finite differences
    agree to ``fd_rtol``.  ``str(report)`` is a table: a row of values, then
    one row per derivative.
    """

    function: str
    point: dict
    value: float
    sympy_value: float | None
    rows: list = field(default_factory=list)
    rtol: float = 1e-10
    fd_rtol: float = 1e-6
    notes: list = field(default_factory=list)
    python_value: float | None = None  # fn(*args), run as plain Python
    forward_value: float | None = None

    @property
    def value_errors(self) -> dict:
        """Relative differences of the values from ``fn(*args)``."""
        if self.python_value is None:
            return {}
        out = {"reverse": _rel(self.value, self.python_value)}
        if self.forward_value is not None:
            out["forward"] = _rel(self.forward_value, self.python_value)
        if self.sympy_value is not None:
            out["sympy"] = _rel(self.sympy_value, self.python_value)
        return out

    @property
    def value_ok(self) -> bool:
        """Does symdiff compute the value ``fn`` computes (both modes)?"""
        errs = self.value_errors
        return all(errs[k] <= self.rtol for k in ("reverse", "forward") if k in errs)

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
        if not self.value_ok:
            return False
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
        lines.append(_cells("", ["symdiff reverse", "symdiff forward", "SymPy", "Python"]))
        values = [self.value, self.forward_value, self.sympy_value, self.python_value]
        lines.append(_cells("value", [_number(v) for v in values]))
        lines.append(_cells("d/d", ["symdiff reverse", "symdiff forward", "SymPy", "finite diff."]))
        shown = self.rows if len(self.rows) <= 12 else self.rows[:10]
        for row in shown:
            cells = [row.reverse, row.forward, row.sympy, row.finite_diff]
            lines.append(_cells(row.name, [_number(c) for c in cells]))
        if len(shown) < len(self.rows):
            lines.append(f"  ... {len(self.rows) - len(shown)} more elements")
        errs = self.max_errors
        parts = [f"{k.replace('_', ' ')} {v:.1e}" for k, v in errs.items()]
        versus = "SymPy" if self.sympy_value is not None else "symdiff reverse"
        lines.append(f"  max relative error (vs {versus}): " + ", ".join(parts))
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.extend(self._value_lines())
        lines.append(
            f"  {'OK' if self.ok else 'MISMATCH'} (rtol {self.rtol:g}, finite differences {self.fd_rtol:g})"
        )
        return "\n".join(lines)

    def _value_lines(self) -> list:
        """Which value is wrong, when the values disagree with ``fn(*args)``."""
        errs, lines = self.value_errors, []
        for key, who in (
            ("reverse", "symdiff's value (reverse mode)"),
            ("forward", "symdiff's value (forward mode)"),
        ):
            if errs.get(key, 0.0) > self.rtol:
                lines.append(
                    f"  VALUE MISMATCH: {who} differs from {self.function}(...) run as Python "
                    f"(relative error {errs[key]:.1e}): the generated code computes another "
                    "function, a symdiff bug; its derivatives are of that function"
                )
        if errs.get("sympy", 0.0) > self.rtol:
            lines.append(
                f"  note: SymPy's value differs from {self.function}(...) run as Python (relative "
                f"error {errs['sympy']:.1e}): the SymPy reference does not follow the function"
            )
        return lines

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _number(value) -> str:
    return "-" if value is None else repr(value)


def _cells(label: str, cells) -> str:
    """One line of the report's table."""
    return f"  {label:<6}" + "".join(f"{c:>24}" for c in cells)


def check_grad(
    fn,
    *args,
    argnums=None,
    jit=True,
    rtol=1e-10,
    fd_rtol=1e-6,
    sympy_max_nodes=100_000,
    sympy_seconds=60.0,
) -> GradCheckReport:
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
    sympy_max_nodes, sympy_seconds : int, float
        The budget of the SymPy reference: the largest expression (nodes of
        its tree) and the wall-clock time it may take.  Beyond either the
        report says "SymPy: skipped (too large)" and the other comparisons
        (forward vs reverse, finite differences) still decide.

    Examples
    --------
    >>> import math
    >>> def f(x, z):
    ...     return math.exp(x * z) / x
    >>> report = check_grad(f, 2.0, 3.0, jit=False)
    >>> report.ok
    True
    """
    fn = unwrap(fn)
    primal = parsed(fn)
    indices, _ = normalize_argnums(float_argnums(args) if argnums is None else argnums, primal)
    notes = []
    # indices is a tuple: the gradients are always a tuple, one per index
    reverse_value, reverse_grads = api.value_and_grad(fn, indices, "reverse", jit)(*args)
    forward_value, forward_grads = api.value_and_grad(fn, indices, "forward", jit)(*args)
    python_value = _python_value(fn, args, notes)
    wrt = [primal.params[i] for i in indices]
    budget = Budget(sympy_max_nodes, sympy_seconds)
    sympy_value, sympy_grads = _sympy_reference(primal, args, wrt, budget, notes)
    rows = []
    for index, *gradients in zip(indices, reverse_grads, forward_grads, sympy_grads):
        rows += _gradient_rows(fn, args, index, primal.params[index], gradients, notes)
    point = {
        p: (a if not isinstance(a, np.ndarray) else f"array{a.shape}")
        for p, a in zip(primal.params, args)
    }
    return GradCheckReport(
        fn.__name__,
        point,
        float(reverse_value),
        sympy_value,
        rows,
        rtol,
        fd_rtol,
        notes,
        python_value=python_value,
        forward_value=float(forward_value),
    )


def _gradient_rows(fn, args, index: int, name: str, gradients, notes: list) -> list:
    """One row per element of ``args[index]`` (one for a scalar): symdiff's
    ``gradients`` (reverse, forward, and SymPy's list or None), and finite
    differences of ``fn``."""
    reverse_grad, forward_grad, sympy_grads = gradients
    arg = args[index]
    elements = list(np.ndindex(np.shape(arg))) if isinstance(arg, np.ndarray) else [()]
    rows = []
    for position, element in enumerate(elements):
        try:
            difference = finite_difference(fn, args, index, element=element)
            difference = difference if math.isfinite(difference) else None
        except (ArithmeticError, ValueError) as exc:
            difference = None
            notes.append(f"finite differences for {name} failed: {exc}")
        label = f"{name}[{','.join(map(str, element))}]" if element else name
        reference = sympy_grads[position] if sympy_grads is not None else None
        rows.append(
            GradCheckRow(
                label,
                float(np.asarray(reverse_grad)[element]),
                float(np.asarray(forward_grad)[element]),
                reference,
                difference,
            )
        )
    return rows


def _sympy_reference(primal, args, wrt, budget: Budget, notes: list):
    """SymPy's value and gradients (one list per ``wrt`` parameter), or Nones
    with a note when SymPy cannot give them or they outgrow ``budget``."""
    sp = _sympy()
    try:
        expr, symbols, point = sympy_expression(primal, args, wrt, budget)
        grads = []
        for group in symbols:
            grads.append([])
            for symbol in np.ravel(group):
                derivative = sp.diff(expr, symbol)
                budget.check(derivative)
                grads[-1].append(evaluate_at(derivative, point))
        return evaluate_at(expr, point), grads
    except TooLarge as exc:
        notes.append(
            f"SymPy: skipped (too large: {exc}); symdiff is checked against finite "
            "differences, and forward mode against reverse"
        )
    except Exception as exc:  # report, do not crash: SymPy may not handle everything
        notes.append(f"SymPy could not evaluate the reference ({type(exc).__name__}: {exc})")
    return None, [None] * len(wrt)


def _python_value(fn, args, notes: list):
    """``fn(*args)`` run as plain Python, or None (with a note) if it raises."""
    try:
        with np.errstate(all="ignore"):
            return float(fn(*args))
    except (ArithmeticError, ValueError) as exc:
        notes.append(f"{fn.__name__}(...) raised {type(exc).__name__} in Python: {exc}")
        return None
