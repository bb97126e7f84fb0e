"""Explaining a derivative: the evaluation trace, node by node.

``explain(f, *args)`` lists every intermediate value of the user's code (its
variables, and the temporaries of nested expressions, tied to their source
line) with its expression, its value in the forward pass and its adjoint
``dL/dnode`` in the backward pass: the computation graph a lecture draws for
reverse mode.  ``mode="forward"`` gives each node's tangent for a chosen
direction instead.  ``Trace.graph()`` draws the graph (networkx and
matplotlib, the ``graph`` extra).

Nothing here has derivative rules of its own.  The values come from the
primal IR run with every node returned; the adjoints from symdiff's own
reverse mode applied to the primal with a zero perturbation added to each
node (``node = value + eps``; ``dL/d eps`` is the node's adjoint at
``eps = 0``); the tangents from its forward mode applied to the program that
returns every node.  Inside a loop a value is a new node at each
iteration: a loop is shown by the values it carries out, at exit.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

from . import backend, codegen, ir, pytree
from .analysis import analyze
from .errors import ArgumentError, UnsupportedSyntaxError
from .ir import Assign, Const, If, Loop, Op, Var
from .lower.nodes import Local, Lowered
from .primitives.random import DRAW_PRIMITIVES
from .signature import MODES, normalize_argnums, unwrap

# How many elements of an array the table shows.
_SHOWN = 3


@dataclass(frozen=True)
class Node:
    """One value of the trace: a parameter or an intermediate."""

    name: str  # as the table shows it (the user's variable, or t1, t2, ... for temporaries)
    expression: str  # "input" for a parameter, else the operation over other nodes' names
    line: int | None  # the source line that computes it
    value: object  # a number or an array
    derivative: object = None  # the adjoint (reverse) or tangent (forward); None: not float
    operands: tuple = ()  # the names of the nodes it is computed from


@dataclass
class Trace:
    """The result of ``explain``: nodes in the order of the forward pass."""

    function: str
    point: dict
    mode: str  # "reverse": derivatives are adjoints dL/dnode; "forward": tangents
    nodes: list = field(default_factory=list)
    output: str = ""  # the node the function returns
    direction: dict = field(default_factory=dict)  # forward: the input tangents

    @property
    def value(self):
        return self.node(self.output).value

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def adjoint(self, name: str):
        """``dL/dnode`` (reverse mode) or the node's tangent (forward mode)."""
        return self.node(name).derivative

    def __str__(self) -> str:
        at = ", ".join(f"{k}={_short(v)}" for k, v in self.point.items())
        f = self.function
        lines = [f"explain {f}({at}) = {_short(self.value)}", "forward pass"]
        lines += _table(
            ("line", "node", "", "expression", "value"),
            [
                ("" if n.line is None else str(n.line), n.name, "=", _clip(n.expression, 40),
                 _shown(n.value))
                for n in self.nodes
            ],
        )  # fmt: skip
        if self.mode == "reverse":
            lines.append(f"backward pass: adjoints d{f}/d(node), from d{f}/d{self.output} = 1")
            order, head = reversed(self.nodes), f"d{f}/d(node)"
        else:
            seeds = ", ".join(f"d{k}={_short(v)}" for k, v in self.direction.items())
            lines.append(f"tangents in the direction {seeds}")
            order, head = self.nodes, "d(node)"
        lines += _table(
            ("line", "node", head),
            [
                ("" if n.line is None else str(n.line), n.name,
                 "-" if n.derivative is None else _shown(n.derivative))
                for n in order
            ],
        )  # fmt: skip
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def graph(self, path=None):
        """The computation graph as a matplotlib figure: one box per node
        (its expression, value and adjoint or tangent), arrows from operands
        to results, inputs on the left.  With ``path`` (``.svg``, ``.png``,
        ``.pdf``) the figure is also written there."""
        from .graphs import draw

        return draw(self, path)


def explain(fn, *args, mode="reverse", wrt=None, tangents=None) -> Trace:
    """The evaluation trace of ``fn`` at ``args``: every intermediate with
    its expression, forward value and adjoint (``mode="reverse"``) or tangent
    (``mode="forward"``).

    Reverse mode shows the adjoint of every float input and node.  In
    forward mode the direction is ``tangents`` (one per argument: a number,
    an array, or None for no change), or the argument at position ``wrt``
    (default: the first float argument) alone: 1 (an array of ones) for it,
    0 for the others.

    Examples
    --------
    >>> def L(a, b, c):
    ...     d = c ** 2
    ...     e = a * d
    ...     return b * (a + 2 * b + e)
    >>> trace = explain(L, 3.0, 1.0, -2.0)
    >>> trace.value, trace.adjoint("a"), trace.adjoint("b"), trace.adjoint("c")
    (17.0, 5.0, 19.0, -12.0)
    """
    from . import api

    if mode not in MODES:
        raise ArgumentError(
            f"mode must be 'reverse' or 'forward', not {mode!r}", None, "write mode='reverse'"
        )
    fn = unwrap(fn)
    args = api._bind(fn, args, {})
    from .pipeline import header_of, parsed

    trees = tuple(pytree.describe(a) for a in args)
    head = header_of(fn)
    primal = parsed(fn, trees)
    _check_traceable(primal)
    leaf_names = [n for p, tree in zip(head.params, trees) for n in pytree.leaf_names(tree, p)]
    values = [leaf for tree, a in zip(trees, args) for leaf in pytree.flatten(tree, a, [])]
    values += [record.reader.read(tuple(args)) for record in primal.implicit]
    kinds = tuple(leaf.kind for tree in trees for leaf in pytree.leaves(tree))
    kinds += tuple(record.kind for record in primal.implicit)
    shown_params = leaf_names + [record.param for record in primal.implicit]
    facts = analyze(primal, kinds)
    definitions = _definitions(primal, facts.kinds)
    nodes = list(definitions)
    names = _display_names(primal, nodes, dict(zip(primal.params, shown_params)))
    every = _returning(primal, nodes)
    node_values = _run(every, kinds, values)
    floats = [p for p, k in zip(primal.params, kinds) if k.dtype == "float"]
    if mode == "reverse":
        derivatives = _adjoints(primal, nodes, facts.kinds, kinds, values, node_values, floats)
        direction = {}
    else:
        direction, seeds = _direction(
            primal, head, args, kinds, values, wrt, tangents, shown_params
        )
        derivatives = _tangents(every, kinds, values, seeds, list(direction))
    rows = []
    params = list(primal.params)
    for name, value in zip(params + nodes, list(values) + list(node_values)):
        stmt = definitions.get(name)
        rows.append(
            Node(
                names[name],
                "input" if stmt is None else _expression(stmt, names, facts.kinds),
                None if stmt is None or stmt.loc is None else stmt.loc.lineno,
                _plain(value),
                _plain(derivatives.get(name)),
                () if stmt is None else tuple(names[a] for a in _operands(stmt) if a in names),
            )
        )
    output = primal.result
    if not isinstance(output, Var):
        raise UnsupportedSyntaxError(
            f"explain traces functions returning one value; {primal.name} returns "
            + ("a constant" if isinstance(output, Const) else "several"),
            primal.loc,
            "return the loss alone (a number)",
        )
    point = dict(zip(head.params, args))
    return Trace(primal.name, point, mode, rows, names[output.name], direction)


# -- the program -------------------------------------------------------------


def _check_traceable(primal: ir.Function) -> None:
    for stmt in ir.walk(primal.body):
        if isinstance(stmt, Assign) and isinstance(stmt.value, Op):
            if stmt.value.prim in DRAW_PRIMITIVES:
                raise UnsupportedSyntaxError(
                    f"explain does not trace random draws ({primal.name} draws at this line)",
                    stmt.loc,
                    "draw the values first and pass them in as arguments",
                )


def _definitions(primal: ir.Function, kinds: dict) -> dict:
    """The values the table shows, in the order of the forward pass, each
    with the statement defining it: what the function's top level defines
    (assignments, the joins of branches, the values loops carry out; not a
    loop's index)."""
    out = {}
    for stmt in primal.body:
        index = stmt.index if isinstance(stmt, Loop) else None
        for target in ir.targets(stmt):
            if target != index and target in kinds:
                out[target] = stmt
    return out


def _operands(stmt) -> list:
    """The names a node's definition reads (a branch: its condition and
    joined values; a loop: what it starts from)."""
    if isinstance(stmt, Assign):
        value = stmt.value
        atoms = value.args if isinstance(value, Op) else (value,)
    elif isinstance(stmt, If):
        atoms = (stmt.cond,) + tuple(a for phi in stmt.phis for a in (phi.then, phi.orelse))
    else:
        atoms = tuple(carry.init for carry in stmt.carried)
    return list(dict.fromkeys(a.name for a in atoms if isinstance(a, Var)))


def _display_names(primal: ir.Function, nodes: list, params: dict) -> dict:
    """Each node's name in the table: the user's variable (its later
    versions ``y_2``, ``y_3``, ... in order of the forward pass), and ``t1``,
    ``t2``, ... for the temporaries of nested expressions."""
    names = dict(params)
    taken = set(params.values())
    every = ir.defined_names(primal)
    seen: dict = {}  # base name -> how many versions shown
    for name in nodes:
        base = "t" if name.startswith("$") else ir.version_of(name, every)
        seen[base] = seen.get(base, 0) + 1
        shown = f"t{seen[base]}" if base == "t" else base
        if shown in taken and base != "t" or base != "t" and seen[base] > 1:
            shown = f"{base}_{seen[base]}"
        while shown in taken:
            shown = "_" + shown
        taken.add(shown)
        names[name] = shown
    return names


def _returning(primal: ir.Function, atoms) -> ir.Function:
    """``primal`` returning the tuple of ``atoms`` (names) instead."""
    return ir.Function(
        f"{primal.name}_nodes",
        primal.params,
        primal.body,
        tuple(Var(n) for n in atoms),
        primal.loc,
        primal.result_loc,
        implicit=primal.implicit,
    )


def _run(fn: ir.Function, kinds: tuple, values) -> tuple:
    """Run an IR function as plain Python (its generated source)."""
    facts = analyze(fn, kinds, generated=True)
    source = codegen.function_source(fn, kinds=facts.kinds)
    compiled = backend.compile_source(source, fn.name, jit=False)
    with np.errstate(all="ignore"):
        out = compiled(*values)
    return out if isinstance(out, tuple) else (out,)


def _adjoints(primal, nodes, node_kinds, kinds, values, node_values, floats) -> dict:
    """``dL/dnode`` for the float parameters and nodes: reverse mode of
    ``primal`` with ``node = value + eps`` at every float node, at eps = 0."""
    from .transform.reverse import reverse

    namer = ir.Namer(ir.defined_names(primal))
    perturbed = {n: namer.fresh("eps") for n in nodes if node_kinds[n].dtype == "float"}
    body, uses = [], {}  # uses: node -> its perturbed value, read by what follows
    for stmt in primal.body:
        stmt = ir.replace_uses((stmt,), uses)[0] if uses else stmt
        body.append(stmt)
        for target in ir.targets(stmt):
            if target in perturbed:
                moved = namer.temp()
                body.append(Assign(moved, Op("add", (Var(target), Var(perturbed[target])))))
                uses[target] = Var(moved)
    eps_params = tuple(perturbed.values())
    with_eps = ir.Function(
        f"{primal.name}_adjoints",
        primal.params + eps_params,
        tuple(body),
        ir.map_result(
            primal.result, lambda atom: uses.get(atom.name, atom) if isinstance(atom, Var) else atom
        ),
        primal.loc,
        primal.result_loc,
        implicit=primal.implicit,
    )
    eps_kinds = tuple(node_kinds[n] for n in perturbed)
    by_name = dict(zip(nodes, node_values))
    zeros = [
        np.zeros_like(by_name[n], dtype=float) if np.ndim(by_name[n]) else 0.0 for n in perturbed
    ]
    wrt = tuple(floats) + eps_params
    all_kinds = kinds + eps_kinds
    facts = analyze(with_eps, all_kinds, wrt)
    derivative = reverse(with_eps, facts, wrt, "grad", False)
    grads = _run(derivative, all_kinds, list(values) + zeros)
    out = dict(zip(floats, grads[: len(floats)]))
    out.update(zip(perturbed, grads[len(floats) :]))
    return out


def _direction(primal, head, args, kinds, values, wrt, tangents, shown_params) -> tuple:
    """Forward mode's direction: ``({shown name: tangent}, [tangent per parameter])``."""
    floats = [i for i, k in enumerate(kinds[: len(primal.params)]) if k.dtype == "float"]
    if not floats:
        raise ArgumentError(
            f"{primal.name} has no float argument to take a direction in",
            head.loc,
            "pass floats (e.g. 2.0 instead of 2)",
        )
    if tangents is None:
        seeds = [None] * len(primal.params)
        first = floats[0]
        if wrt is not None:
            (position,), _ = normalize_argnums((wrt,) if isinstance(wrt, int) else wrt, head)
            first = _leaf_position(args, position)
            if first not in floats:
                raise ArgumentError(
                    f"explain: {head.params[position]} is not a float argument",
                    head.loc,
                    "choose a float argument for wrt (the direction of the tangents)",
                )
        seeds[first] = np.ones_like(values[first], dtype=float) if np.ndim(values[first]) else 1.0
    else:
        flat = [
            t for tree, t in zip(map(pytree.describe, args), tangents) for t in _leaves(tree, t)
        ]
        if len(flat) != len(primal.params) - len(primal.implicit):
            raise ArgumentError(
                f"tangents: one per argument of {primal.name} ({len(args)}), got {len(tangents)}",
                head.loc,
                "pass a tuple with one tangent (a number, an array, or None) per argument",
            )
        seeds = flat + [None] * len(primal.implicit)
    chosen = {}
    for i in floats:
        if seeds[i] is None:
            seeds[i] = np.zeros_like(values[i], dtype=float) if np.ndim(values[i]) else 0.0
        chosen[shown_params[i]] = seeds[i]
    return chosen, [seeds[i] for i in floats]


def _leaf_position(args, position: int) -> int:
    """The first leaf of argument ``position`` among all the arguments' leaves."""
    return sum(len(pytree.leaves(pytree.describe(a))) for a in args[:position])


def _leaves(tree, tangent) -> list:
    count = len(pytree.leaves(tree))
    if tangent is None:
        return [None] * count
    return list(pytree.flatten(tree, tangent, [])) if count != 1 else [tangent]


def _tangents(every: ir.Function, kinds, values, seeds, directions) -> dict:
    """Each node's tangent (and the float parameters'), by forward mode of
    the program returning every node."""
    from .transform.forward import forward

    floats = tuple(p for p, k in zip(every.params, kinds) if k.dtype == "float")
    facts = analyze(every, kinds, floats)
    derivative = forward(every, facts, floats, "jvp", False)
    tangent_kinds = tuple(kinds[every.params.index(p)] for p in floats)
    _, out = _run(derivative, kinds + tangent_kinds, list(values) + list(seeds))
    result = dict(zip(floats, seeds))
    result.update((atom.name, t) for atom, t in zip(every.result, out))
    kinds_of = facts.kinds
    return {n: t for n, t in result.items() if kinds_of.get(n, ir.FLOAT).dtype == "float"}


# -- printing ----------------------------------------------------------------


def _expression(stmt, names: dict, kinds: dict) -> str:
    """A node's definition over the other nodes' names, spelled as the
    generated code spells it."""
    if isinstance(stmt, If):
        return f"the branch taken on {_atom_text(stmt.cond, names)}"
    if isinstance(stmt, Loop):
        return "the loop's value at exit"
    value = stmt.value
    if not isinstance(value, Op):
        return _atom_text(value, names)
    printer = codegen._Printer(Lowered("", (), (), None, {}), kinds)
    args = tuple(
        Local(a.name, names.get(a.name, a.name)) if isinstance(a, Var) else a for a in value.args
    )
    return ast.unparse(printer.op(Op(value.prim, args, value.attrs)))


def _atom_text(atom, names: dict) -> str:
    return names.get(atom.name, atom.name) if isinstance(atom, Var) else repr(atom.value)


def _plain(value):
    """Numbers as Python numbers, arrays as arrays."""
    if value is None:
        return None
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.ndim else repr(value.item())
    return repr(value)


def _shown(value) -> str:
    """A number, or an array's shape, first elements and norm."""
    if isinstance(value, (bool, int, float, np.generic)):
        return f"{float(value) + 0.0:.6g}" if not isinstance(value, bool) else str(value)
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{float(array) + 0.0:.6g}"
    flat = array.ravel()
    first = ", ".join(f"{float(v) + 0.0:.4g}" for v in flat[:_SHOWN])
    more = ", ..." if flat.size > _SHOWN else ""
    norm = math.sqrt(float(np.sum(np.square(array, dtype=float))))
    return f"{array.dtype}{list(array.shape)} [{first}{more}]  |.|={norm:.4g}"


def _table(head: tuple, rows: list) -> list:
    """Columns padded to their widest cell; numbers (the first column) to the right."""
    widths = [max(len(str(c)) for c in column) for column in zip(head, *rows)]

    def line(cells):
        first = f"{cells[0]:>{widths[0]}}"
        rest = [f"{c:<{w}}" for c, w in zip(cells[1:-1], widths[1:-1])]
        return "  " + "  ".join([first, *rest, cells[-1]]).rstrip()

    return [line(head)] + [line(r) for r in rows]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
