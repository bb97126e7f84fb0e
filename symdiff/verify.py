"""Checking derivatives: symdiff (both modes) vs SymPy vs finite differences.

``check_grad`` is the one checker used by the tests, the ``check`` method of
differentiated functions and the notebook.

* SymPy: the function's IR is executed symbolically along the branch taken
  at the point (conditions are evaluated numerically there), SymPy
  differentiates the resulting expression with its own rules, and the result
  is evaluated with 30 significant digits.  This shares symdiff's parser but
  none of its derivative rules or code generation (``sympy_reference``).
* Finite differences: central differences with Richardson extrapolation on
  the *original* Python function (nothing of symdiff involved), with step
  ``h = 1e-3 * max(1, |x|)``; truncation error O(h^4).  An argument that is
  a container or an object (a pytree) is differenced leaf by leaf, element
  by element; its gradient's leaves are compared in the same order.
* Random draws: every evaluation (both modes, Python, each finite
  difference) starts from the generators' states at the call
  (``_FixedDraws``), so all see the same draws; the states are put back
  afterwards, so checking consumes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import api, ir, pytree
from .errors import ArgumentError
from .pipeline import header_of, parsed
from .primitives.random import DRAW_PRIMITIVES, GENERATOR
from .signature import normalize_argnums, unwrap
from .sympy_reference import Budget, sympy_hessian, sympy_reference


def float_argnums(args) -> tuple:
    """The positions of the float arguments: numbers, float arrays, and
    containers or objects whose leaves are all of these."""
    out = []
    for i, a in enumerate(args):
        try:
            leaves = pytree.leaves(pytree.describe(a))
        except pytree.NotALeaf:
            continue
        if leaves and all(leaf.kind.dtype == "float" for leaf in leaves):
            if not isinstance(a, (bool, np.bool_)):
                out.append(i)
    return tuple(out)


def finite_difference(f, args, index, h=None, element=()):
    """d f / d args[index][element] by Richardson-extrapolated central differences."""
    return float(_richardson(lambda point: float(f(*point)), args, index, element, h))


def _richardson(evaluate, args, index, element, h=None):
    """d evaluate(args) / d args[index][element] (numbers or arrays) by
    Richardson-extrapolated central differences."""
    x, h = _coordinate(args, index, element, h)

    def at(step):
        return evaluate(_moved(args, index, element, x + step))

    def central(step):
        return (at(step) - at(-step)) / (2 * step)

    return (4.0 * central(h / 2) - central(h)) / 3.0


def _coordinate(args, index, element, h):
    """The differenced coordinate's value, and the step (``1e-3 * max(1, |x|)``
    unless given)."""
    base = args[index]
    x = float(base[element]) if isinstance(base, np.ndarray) else float(base)
    return x, h or 1e-3 * max(1.0, abs(x))


def _moved(args, index, element, value) -> list:
    """``args`` with ``args[index][element]`` set to ``value`` (a copy)."""
    shifted = list(args)
    base = args[index]
    if isinstance(base, np.ndarray):
        moved = base.astype(float, copy=True)
        moved[element] = value
        shifted[index] = moved
    else:
        shifted[index] = value
    return shifted


def one_sided_differences(evaluate, args, index, element=(), h=None) -> tuple | None:
    """(left, right): the one-sided derivatives of ``evaluate(args)`` with
    respect to ``args[index][element]``, by second-order one-sided
    differences with Richardson extrapolation (error O(h^3)); None when
    they do not settle as the step shrinks (a jump: the slopes grow as 1/h)."""
    x, h = _coordinate(args, index, element, h)

    def at(step):
        return float(evaluate(_moved(args, index, element, x + step)))

    centre = at(0.0)

    def one_sided(step):  # step < 0: from the left
        return (-3.0 * centre + 4.0 * at(step) - at(2.0 * step)) / (2.0 * step)

    def extrapolated(step):
        return (4.0 * one_sided(step / 2) - one_sided(step)) / 3.0

    sides = []
    for step in (-h, h):
        coarse, fine = extrapolated(step), extrapolated(step / 4)
        if not _rel(coarse, fine) <= _KINK_RTOL:
            return None
        sides.append(fine)
    return tuple(sides)


# Two one-sided derivatives closer than this are one derivative.
_KINK_RTOL = 1e-5


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
    # (left, right): one-sided differences, measured where the central one
    # disagrees with symdiff (a kink, when they differ from each other)
    one_sided: tuple | None = None

    @property
    def at_kink(self) -> bool:
        """Are the one-sided derivatives different here, with symdiff's
        value between them (in the generalised gradient, the convex hull of
        the one-sided limits, which symdiff's conventions pick from)?"""
        if self.one_sided is None:
            return False
        left, right = self.one_sided
        if _rel(left, right) <= _KINK_RTOL:
            return False
        low, high = min(left, right), max(left, right)
        slack = _KINK_RTOL * max(abs(low), abs(high), 1.0)
        return all(low - slack <= v <= high + slack for v in (self.reverse, self.forward))

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
    order: int = 1  # 2: the rows are the Hessian's entries

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
        smooth = [row.errors()["finite_diff"] for row in self.rows if not row.at_kink]
        return all(e is None or e <= self.fd_rtol for e in smooth)

    @property
    def kinks(self) -> list:
        """The rows where finite differences disagree because the function
        has a kink there (``GradCheckRow.at_kink``)."""
        return [row for row in self.rows if row.at_kink]

    def __bool__(self):
        return self.ok

    def __str__(self):
        at = ", ".join(f"{k}={v if isinstance(v, str) else repr(v)}" for k, v in self.point.items())
        lines = [f"check_grad {self.function}({at}) = {self.value!r}"]
        lines.append(_cells("", ["symdiff reverse", "symdiff forward", "SymPy", "Python"]))
        values = [self.value, self.forward_value, self.sympy_value, self.python_value]
        lines.append(_cells("value", [_number(v) for v in values]))
        if self.order == 2:  # forward over reverse (hessian), reverse over reverse
            heads = ["reverse-reverse", "forward-reverse", "SymPy", "f.d. of gradient"]
            lines.append(_cells("d2/d", heads))
        else:
            heads = ["symdiff reverse", "symdiff forward", "SymPy", "finite diff."]
            lines.append(_cells("d/d", heads))
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
        lines.extend(self._kink_lines())
        lines.extend(self._value_lines())
        at_kink = f"; {len(self.kinks)} at a kink" if self.kinks and self.ok else ""
        lines.append(
            f"  {'OK' if self.ok else 'MISMATCH'} (rtol {self.rtol:g}, "
            f"finite differences {self.fd_rtol:g}{at_kink})"
        )
        return "\n".join(lines)

    def _kink_lines(self) -> list:
        """Why finite differences disagree where the function has a kink."""
        lines = []
        for row in self.rows:
            if row.one_sided is None or _rel(*row.one_sided) <= _KINK_RTOL:
                continue
            left, right = row.one_sided
            which = "between them"
            for side, value in (("left", left), ("right", right)):
                if _rel(row.reverse, value) <= _KINK_RTOL:
                    which = f"the {side} one"
            if not row.at_kink:
                which = "outside them: a wrong derivative"
            lines.append(
                f"  kink: {row.name}: the function is not differentiable here: its one-sided "
                f"derivatives are {left:.6g} (from the left) and {right:.6g} (from the right), "
                f"central finite differences give their mean; symdiff's {row.reverse:.6g} is "
                f"{which} (README: Conventions at points where a derivative does not exist)"
            )
        return lines

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
    order=1,
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
    order : {1, 2}
        2 checks the Hessian instead: one row per second derivative, forward
        over reverse (``hessian``) against reverse over reverse (``jacrev``
        of ``grad``), SymPy's second derivatives where small, and central
        differences of symdiff's gradient (``fd_rtol``).  The differentiated
        arguments must be numbers or arrays.

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
    args = api._bind(fn, args, {})  # defaults too: the point as the call sees it
    trees = _trees(args)
    primal = parsed(fn, trees)
    head = header_of(fn)
    indices, _ = normalize_argnums(float_argnums(args) if argnums is None else argnums, head)
    notes = []
    with _FixedDraws(primal, trees, args) as fixed:
        checked = fixed.wrap(fn)
        reverse_value, reverse_grads, forward_value, forward_grads = _both_modes(
            fixed.wrap(api.value_and_grad(fn, indices, "reverse", jit)),
            fixed.wrap(api.value_and_grad(fn, indices, "forward", jit)),
            args,
        )
        python_value = _python_value(checked, fn.__name__, args, notes)
        budget = Budget(sympy_max_nodes, sympy_seconds)
        stopped = any(s.value.prim == "stop_gradient" for s in _ops(primal))
        if stopped:
            notes.append(
                "the function calls stop_gradient: finite differences, which see through "
                "it, are not compared"
            )
        sympy_value, sympy_grads = _sympy_reference(primal, trees, args, indices, budget, notes)
        if fixed.generators:
            notes.append(
                "the function draws random numbers: every evaluation used the same draws "
                "(the generators' states at the call, restored afterwards)"
            )
        rows = []
        for index, *gradients in zip(indices, reverse_grads, forward_grads, sympy_grads):
            name = head.params[index]
            rows += _gradient_rows(
                checked, args, trees, index, name, gradients, notes, fd_rtol, not stopped
            )
        if order == 2:
            notes = [n for n in notes if not n.startswith("SymPy")]
            rows = _hessian_rows(fn, primal, head, trees, args, indices, jit, budget, notes)
        elif order != 1:
            raise ArgumentError(
                f"check_grad checks derivatives of order 1 or 2, not {order!r}",
                head.loc,
                "write order=1 (the gradient) or order=2 (the Hessian)",
            )
    return GradCheckReport(
        fn.__name__,
        _shown_point(head, trees, args),
        float(reverse_value),
        sympy_value,
        rows,
        rtol,
        fd_rtol,
        notes,
        python_value=python_value,
        forward_value=float(forward_value),
        order=order,
    )


def _hessian_rows(fn, primal, head, trees, args, indices, jit, budget, notes) -> list:
    """``check_grad(order=2)``: one row per entry of the Hessian with
    respect to the elements of ``args[i]``, ``i`` in ``indices``."""
    for i in indices:
        if not isinstance(trees[i], pytree.Leaf):
            raise ArgumentError(
                f"check_grad(order=2) checks Hessians with respect to numbers and arrays; "
                f"'{head.params[i]}' is {pytree.describe_shape(trees[i])}",
                head.loc,
                "check the Hessian with respect to its arrays one at a time, or leave it out "
                "of argnums",
            )
    several = tuple(indices)
    by_forward = api.hessian(fn, several, jit)(*args)
    by_reverse = api.jacrev(api.grad(fn, several, jit=jit), several, jit)(*args)
    gradient = api.grad(fn, several, jit=jit)
    sizes = [int(np.size(args[i])) for i in indices]

    def flat(blocks):
        count = range(len(indices))
        return np.block(
            [[np.reshape(blocks[a][b], (sizes[a], sizes[b])) for b in count] for a in count]
        )

    def flat_gradient(*point):
        return np.concatenate([np.ravel(g) for g in gradient(*point)])

    forward, reverse = flat(by_forward), flat(by_reverse)
    columns = [
        _richardson(lambda point: flat_gradient(*point), args, i, e)
        for i in indices
        for e in _elements(args[i])
    ]
    differences = np.column_stack(columns)
    values = [leaf for tree, a in zip(trees, args) for leaf in pytree.flatten(tree, a, [])]
    values += [record.reader.read(tuple(args)) for record in primal.implicit]
    symbolic = sympy_hessian(primal, values, indices, budget, notes)
    labels = [
        head.params[i] + (f"[{','.join(map(str, e))}]" if e else "")
        for i in indices
        for e in _elements(args[i])
    ]
    rows = []
    for a, first in enumerate(labels):
        for b, second in enumerate(labels):
            reference = symbolic[a][b] if symbolic is not None else None
            difference = float(differences[a, b])
            rows.append(
                GradCheckRow(
                    f"{first} {second}",
                    float(reverse[a, b]),
                    float(forward[a, b]),
                    reference,
                    difference if math.isfinite(difference) else None,
                )
            )
    return rows


def _elements(value) -> list:
    return list(np.ndindex(np.shape(value))) if isinstance(value, np.ndarray) else [()]


class _FixedDraws:
    """The random generators a function draws from (arguments, globals,
    closures, NumPy's global one): their states at the start, put back before
    each evaluation (``wrap``) and when the check ends."""

    def __init__(self, primal: ir.Function, trees, args):
        found = [
            record.reader.read(tuple(args))
            for record in primal.implicit
            if record.kind == GENERATOR
        ]
        for tree, arg in zip(trees, args):
            found += _static_generators(tree, arg)
        self.generators = list({id(g): g for g in found}.values())
        self.states = [_state(g) for g in self.generators]

    def replay(self):
        for generator, state in zip(self.generators, self.states):
            _set_state(generator, state)

    def wrap(self, fn):
        if not self.generators:
            return fn

        def with_the_same_draws(*args):
            self.replay()
            return fn(*args)

        return with_the_same_draws

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.replay()


def _static_generators(tree, value) -> list:
    """The random generators among the static leaves of an argument."""
    if isinstance(tree, pytree.Static):
        return [tree.value] if isinstance(tree.value, pytree.GENERATORS) else []
    if isinstance(tree, pytree.Node):
        record = tree.type not in pytree.CONTAINERS and not issubclass(tree.type, tuple)
        return [
            g
            for key, child in zip(tree.keys, tree.children)
            for g in _static_generators(child, getattr(value, key) if record else value[key])
        ]
    return []


def _state(generator):
    if isinstance(generator, np.random.RandomState):
        return generator.get_state()
    return generator.bit_generator.state


def _set_state(generator, state):
    if isinstance(generator, np.random.RandomState):
        generator.set_state(state)
    else:
        generator.bit_generator.state = state


def _trees(args) -> tuple:
    """The arguments' pytrees, as the API describes them."""
    return tuple(pytree.describe(a) for a in args)


def _both_modes(reverse, forward, args) -> tuple:
    """symdiff's value and gradients at ``args`` by reverse mode, then by
    forward mode: ``(value, gradients, value, gradients)``."""
    # indices is a tuple: the gradients are always a tuple, one per index
    return (*reverse(*args), *forward(*args))


def _shown_point(head, trees, args) -> dict:
    """The point as the report shows it: numbers, arrays by their shape,
    containers by their structure."""
    shown = {}
    for p, tree, a in zip(head.params, trees, args):
        if isinstance(a, np.ndarray):
            shown[p] = f"array{a.shape}"
        elif isinstance(tree, pytree.Node):
            shown[p] = pytree.describe_shape(tree)
        else:
            shown[p] = a
    return shown


def _sympy_reference(primal, trees, args, indices, budget, notes) -> tuple:
    """SymPy's value and gradients, one list per argument ``indices`` (its
    leaves' elements in order), or Nones with a note."""
    if any(s.value.prim in DRAW_PRIMITIVES for s in _ops(primal)):
        notes.append(
            "SymPy: skipped (the function draws random numbers); symdiff is checked "
            "against finite differences with the same draws, and forward mode against reverse"
        )
        return None, [None] * len(indices)
    values = [leaf for tree, a in zip(trees, args) for leaf in pytree.flatten(tree, a, [])]
    values += [record.reader.read(tuple(args)) for record in primal.implicit]
    counts = [len(pytree.leaves(tree)) for tree in trees]
    leaf_indices = tuple(j for i in indices for j in range(sum(counts[:i]), sum(counts[: i + 1])))
    value, grads = sympy_reference(primal, values, leaf_indices, budget, notes)
    out, position = [], 0
    for i in indices:
        group = grads[position : position + counts[i]]
        position += counts[i]
        out.append(None if any(g is None for g in group) else [x for g in group for x in g])
    return value, out


def _ops(primal: ir.Function) -> list:
    return [
        s for s in ir.walk(primal.body) if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op)
    ]


def _gradient_rows(
    fn, args, trees, index: int, name: str, gradients, notes: list, fd_rtol, differences=True
) -> list:
    """One row per element of each leaf of ``args[index]`` (one for a
    scalar): symdiff's ``gradients`` (reverse, forward, and SymPy's list or
    None), and finite differences of ``fn``; one-sided differences too where
    the central one disagrees with symdiff by more than ``fd_rtol``."""
    reverse_grad, forward_grad, sympy_grads = gradients
    tree = trees[index]
    leaves = pytree.flatten(tree, args[index], [])
    reverse_leaves = pytree.flatten(tree, reverse_grad, [])
    forward_leaves = pytree.flatten(tree, forward_grad, [])
    labels = _leaf_labels(tree, name)
    rows = []
    for number, leaf in enumerate(leaves):

        def with_leaf(value, number=number):
            new = list(leaves)
            new[number] = value
            return pytree.unflatten(tree, iter(new), template=args[index])

        elements = list(np.ndindex(np.shape(leaf))) if isinstance(leaf, np.ndarray) else [()]
        point = (*args[:index], leaf, *args[index + 1 :])

        def evaluate(a, with_leaf=with_leaf):
            return float(fn(*a[:index], with_leaf(a[index]), *a[index + 1 :]))

        for element in elements:
            difference = one_sided = None
            reverse = float(np.asarray(reverse_leaves[number])[element])
            try:
                if differences:
                    difference = float(_richardson(evaluate, point, index, element))
                    difference = difference if math.isfinite(difference) else None
                if difference is not None and _rel(difference, reverse) > fd_rtol:
                    one_sided = one_sided_differences(evaluate, point, index, element)
            except (ArithmeticError, ValueError) as exc:
                notes.append(f"finite differences for {name} failed: {exc}")
            label = labels[number] + (f"[{','.join(map(str, element))}]" if element else "")
            reference = sympy_grads[len(rows)] if sympy_grads is not None else None
            rows.append(
                GradCheckRow(
                    label,
                    reverse,
                    float(np.asarray(forward_leaves[number])[element]),
                    reference,
                    difference,
                    one_sided,
                )
            )
    return rows


def _leaf_labels(tree, name: str) -> list:
    """``params[0][1]``, ``params['W1']``, ``model.W``: each leaf as the user writes it."""
    if isinstance(tree, pytree.Leaf):
        return [name]
    if not isinstance(tree, pytree.Node):
        return []
    record = tree.type not in pytree.CONTAINERS and not issubclass(tree.type, tuple)
    return [
        label
        for key, child in zip(tree.keys, tree.children)
        for label in _leaf_labels(child, f"{name}.{key}" if record else f"{name}[{key!r}]")
    ]


def _python_value(fn, name: str, args, notes: list):
    """``fn(*args)`` run as plain Python, or None (with a note) if it raises."""
    try:
        with np.errstate(all="ignore"):
            return float(fn(*args))
    except (ArithmeticError, ValueError) as exc:
        notes.append(f"{name}(...) raised {type(exc).__name__} in Python: {exc}")
        return None
