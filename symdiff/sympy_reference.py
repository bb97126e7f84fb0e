"""The SymPy reference of ``check_grad``: a function's IR executed on SymPy
values along the branch taken at the point, differentiated by SymPy's own
rules and evaluated with 30 significant digits.

It shares symdiff's parser but none of its derivative rules or code
generation.  ``Budget`` bounds the size of the expressions and the time they
take; beyond it the reference is skipped (``TooLarge``).
"""

from __future__ import annotations

import time

import numpy as np

from . import ir
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


def sympy_hessian(primal: ir.Function, args, indices, budget: Budget, notes: list):
    """SymPy's second derivatives with respect to the elements of the
    parameters ``indices`` (flattened and concatenated), as a list of rows,
    or None with a note."""
    sp = _sympy()
    wrt = [primal.params[i] for i in indices]
    try:
        expr, symbols, point = sympy_expression(primal, args, wrt, budget)
        flat = [s for group in symbols for s in np.ravel(group)]
        rows = []
        for a in flat:
            first = sp.diff(expr, a)
            budget.check(first)
            rows.append([])
            for b in flat:
                second = sp.diff(first, b)
                budget.check(second)
                rows[-1].append(evaluate_at(second, point))
        return rows
    except TooLarge as exc:
        notes.append(
            f"SymPy: skipped (too large: {exc}); the Hessian is checked against finite "
            "differences of the gradient, and forward over reverse against reverse over reverse"
        )
    except Exception as exc:  # report, do not crash
        notes.append(f"SymPy could not evaluate the reference ({type(exc).__name__}: {exc})")
    return None


def sympy_reference(primal: ir.Function, args, indices, budget: Budget, notes: list):
    """SymPy's value and gradients (one list per parameter ``primal.params[i]``,
    ``i`` in ``indices``), or Nones with a note when SymPy cannot give them or
    they outgrow ``budget``."""
    sp = _sympy()
    wrt = [primal.params[i] for i in indices]
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
