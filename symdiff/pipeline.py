"""The compiler's stages, chained for one derivative of one argument signature.

::

    user function ──parse──▶ primal IR (SSA)              frontend.parse, once per function
                                 │                         and environment (``variant``)
                     analyze(primal, kinds, wrt)           kinds, shapes, activity
                     split_draws                           random draws -> a prologue
                                 │
                 transform: forward │ reverse              transform.forward / .reverse
                                 ▼
                          derivative IR ──optimize──▶ simplified IR
                                 │
                     analyze(derivative)                   the kinds of the code that runs
                     indices_in_bounds(derivative)         compile without bounds checks?
                                 │
                     lower.lower                           leave SSA: shared names, in-place
                                 │                         writes, inlined temporaries
                     codegen.lowered_source                print the lowered IR as a module
                                 ▼
                     Derivative.compile ──backend──▶ Numba dispatcher or plain Python

This module is the only place the stages are chained.  Each stage is a pure
function of the value before it and runs once per ``Request``; none edits the
IR it is given.  ``derive`` does not cache: ``api`` keeps one ``Derivative``
per function and request.

Forward mode with respect to arrays derives a JVP (``_f_jvp``) and prints it
together with a driver (``codegen.forward_driver``) that calls it once per
element of each array and once per scalar.

The primal's implicit inputs (globals, closure variables, attributes: see
``frontend.names``) are parameters after the user's leaves; the API reads
them at each call.  Random draws are moved into a prologue (``f_draws``),
printed after the derivative in the same module and run as plain Python
first (``split_draws``); the derivative takes the drawn values.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from typing import NamedTuple

from . import backend, codegen, frontend, ir, optimize, pytree
from .analysis import Analysis, analyze, indices_in_bounds
from .errors import ArgumentError, UnsupportedSyntaxError
from .frontend import values
from .ir import BOOL, FLOAT, Var
from .lower import lower
from .primitives.builder import Builder
from .primitives.expr import lift, op
from .primitives.random import DRAW_PRIMITIVES, DRAWS, GENERATOR
from .signature import check_mode, read_implicit, unwrap
from .transform.forward import forward
from .transform.jacobian import jacobian
from .transform.reverse import reverse
from .transform.scope import joined_branch_values
from .transform.vmap import vmap
from .version import __version__

_PARSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_HEADERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Request(NamedTuple):
    """What to derive: one derivative form for one argument signature."""

    kinds: tuple  # the ir.Kind of each argument
    argnums: tuple  # the positions differentiated with respect to
    single: bool  # argnums was one int: one derivative, not a tuple of them
    mode: str  # "reverse" or "forward" (signature.MODES)
    form: str  # "grad", "value_and_grad", "jvp" or "vjp" (signature.FORMS)
    optimized: bool = True
    float32: bool = False  # the float arrays are float32 (signature.in_float32)
    trees: tuple = ()  # what each argument holds (pytree); () when not known
    variant: int = 0  # which parse, for the values the free names held (``variant``)
    has_aux: bool = False  # the function returns (loss, aux); aux is returned, not differentiated
    inner: tuple = ()  # Stages applied first, innermost first: this derives a derivative
    axes: tuple = ()  # form "vmap": per parameter (leaf), the axis mapped over, or None
    parallel: bool = False  # across cores: vmap's loop over examples; grad's independent loops
    out_axes: object = 0  # form "vmap": where each output's examples go (an int, None, a tuple)


class Stage(NamedTuple):
    """A derivative taken before the request's own (``Request.inner``):
    ``grad(grad(f))`` derives the gradient of the IR of ``f``'s gradient."""

    mode: str
    form: str
    argnums: tuple  # leaf positions, as Request.argnums
    single: bool


@dataclass(frozen=True)
class Derivative:
    """One specialisation: the generated source, its IR and the callable."""

    source: str
    function: ir.Function
    name: str
    boundscheck: bool = True
    output: ir.Kind = FLOAT  # the kind of the differentiated function's value
    implicit: tuple = ()  # the primal's ir.Implicit inputs, passed after the user's leaves
    guards: tuple = ()  # the primal's ir.Guards: what the code was generated for
    prologue: str = ""  # the function making the random draws (``split_draws``), if any
    aux: object = None  # has_aux: the pytree of aux, whose leaves the code returns flat
    driven: bool = False  # ``function`` is the JVP a driver calls per element (over arrays)

    def compile(self, jit: bool, wait: bool | None = None):
        """The callable (``backend.compile_source``; ``wait``: for Numba's build)."""
        return backend.compile_source(self.source, self.name, jit, self.boundscheck, wait)

    def compile_prologue(self):
        """The prologue (the random draws), which always runs as plain Python."""
        return backend.compile_source(self.source, self.prologue, False)


@dataclass(frozen=True)
class Plan:
    """How a request is derived from its primal."""

    wrt: tuple  # the names of the parameters differentiated with respect to
    forward: bool  # by forward mode (else reverse)
    form: str  # what the transformation derives: the request's form, or "jvp"
    over_arrays: bool  # forward mode w.r.t. arrays: a JVP called by a driver
    added_kinds: tuple  # kinds of the parameters the derivative adds (tangents, cotangent)


def parsed(fn, trees: tuple = ()) -> ir.Function:
    """The IR of ``fn`` for arguments described by ``trees`` (``pytree``;
    when empty, every argument is taken to be a number or an array of
    unknown kind) and for what its free names hold now (``variant``)."""
    return variant(fn, trees)[1]


def variant(fn, trees: tuple = ()) -> tuple:
    """``(index, primal)``: the parse of ``fn`` for ``trees`` whose implicit
    inputs and guards hold for the values the user's program holds now.

    Each function is parsed once per trees and per environment: a global
    rebound to an array of another rank, or a guarded constant rebound to
    another value, gets a parse of its own (appended: indices are stable)."""
    variants = _variants(fn, trees)
    for index, (primal, check) in enumerate(variants):
        if check(()) is not None:
            return index, primal
    primal = frontend.parse(unwrap(fn), trees or None)
    # the arguments' part (a generator passed in) is checked by the specialisation key
    program = [r for r in primal.implicit if not r.reader.in_arguments]
    variants.append((primal, read_implicit(program, primal.guards)))
    return len(variants) - 1, primal


def _variants(fn, trees) -> list:
    fn = unwrap(fn)
    try:
        per_fn = _PARSED.setdefault(fn, {})
    except TypeError:  # not weak-referenceable: do not cache
        per_fn = {}
    return per_fn.setdefault(trees, [])


def primal_of(fn, request: Request) -> ir.Function:
    """The primal IR ``request`` was made for."""
    variants = _variants(fn, request.trees)
    if request.variant < len(variants):
        return variants[request.variant][0]
    return variant(fn, request.trees)[1]


def header_of(fn) -> frontend.Header:
    """``fn``'s name, parameters and location (its body is not converted);
    for a derivative (``grad(f)``), those of the function it differentiates."""
    fn = unwrap(getattr(getattr(fn, "_spec", None), "fn", fn))
    try:
        return _HEADERS[fn]
    except (KeyError, TypeError):
        pass
    result = frontend.header(fn)
    try:
        _HEADERS[fn] = result
    except TypeError:
        pass
    return result


def derive(fn, request: Request) -> Derivative:
    """Generate the derivative code of ``fn`` for ``request``: every stage once."""
    batched = request
    if request.form == "vmap":  # the function (or derivative) of one example is mapped
        batched = request = request._replace(axes=checked_axes(fn, request))
        request = per_example(fn, request)
    whole = primal_of(fn, request) if not request.inner else derivative_as_primal(fn, request)
    generated = bool(request.inner)  # derivative code: it writes into its own arrays
    if request.float32 and any(_float64_array(record.key) for record in whole.implicit):
        request = request._replace(float32=False)  # float32 code only if every float array is
    check_mode(request.mode, whole)
    wrt = tuple(whole.params[i] for i in request.argnums)
    whole_kinds = request.kinds + tuple(record.kind for record in whole.implicit)
    whole_facts = analyze(whole, whole_kinds, wrt, generated)
    if generated and _by_reverse(request):  # branch values read after their If: phis
        joined = joined_branch_values(whole, dict(whole_facts.kinds))
        if joined is not whole:
            whole = joined
            whole_facts = analyze(whole, whole_kinds, wrt, generated)
    primal, prologue = split_draws(whole, whole_facts)
    param_kinds, primal_facts = whole_kinds, whole_facts
    if prologue is not None:  # the drawn values are parameters of the main code
        if request.optimized:  # shapes read from the arguments: less to compute first
            prologue = optimize.optimize(prologue, analyze(prologue, whole_kinds).kinds)
        prologue_kinds = analyze(prologue, whole_kinds).kinds
        param_kinds = tuple(prologue_kinds[p] for p in primal.params)
        primal_facts = analyze(primal, param_kinds, wrt, generated)
    if prologue is not None and request.form == "vmap":
        raise UnsupportedSyntaxError(
            f"{whole.name} draws random numbers; vmap does not map random draws",
            whole.loc,
            "draw the values for all examples outside and pass them in as a mapped argument",
        )
    primal, aux = loss_and_aux(primal, request.has_aux)
    output = check_output(primal, primal_facts, request.form, bool(request.inner))
    plan = plan_for(request, wrt, primal_facts, output)
    derived = transformed(primal, primal_facts, plan, request.single, request)
    aux_tree = None
    if request.has_aux:
        aux_tree, aux_atoms = _aux_leaves(aux, primal_facts)
        derived = _returning_aux(derived, aux_atoms, plan)
    all_kinds = param_kinds + plan.added_kinds
    if batched.form == "vmap":  # the mapped code takes the whole batch
        request = batched._replace(float32=request.float32)
        all_kinds = param_kinds = batched.kinds + tuple(r.kind for r in whole.implicit)
    # A jvp's (an hvp's) tangents are made like the primals they go with: bounds are
    # proven, and broadcasts dropped, knowing that.
    added = derived.params[len(primal.params) :]
    tangents = dict(zip(added, wrt)) if plan.form in ("jvp", "hvp") else {}
    if request.optimized:
        derived = optimize.optimize(derived, analyze(derived, all_kinds, generated=True).kinds)
        facts = analyze(derived, all_kinds, generated=True, alike=tangents)
        unbroadcast = optimize.known_broadcasts(derived, facts)  # by the extents
        if unbroadcast is not derived:
            derived = optimize.optimize(unbroadcast, facts.kinds)
    if request.parallel and batched.form != "vmap":  # grad(f, parallel=True)
        derived = optimize.in_parallel(derived)
    kinds = analyze(derived, all_kinds, generated=True).kinds
    checked = not indices_in_bounds(derived, kinds, tangents)
    header = module_header(
        primal,
        request,
        plan,
        checked,
        header_of(fn).for_arguments(len(request.trees or ())).params,
        param_kinds,
    )
    if prologue is not None:
        header += (
            f"random draws: {prologue.name} (below) runs first, as plain Python, and draws "
            + ", ".join(a.name for a in prologue.result),
        )
    lowered = lower(derived, kinds)
    if plan.over_arrays:
        source = _forward_over_arrays(primal, derived, lowered, kinds, plan, request, header)
        name = f"{primal.name}_{request.form}"
    else:
        doc = docstring(
            primal,
            derived,
            wrt,
            request.form,
            request.single,
            plan.forward,
            request.has_aux,
            request.out_axes,
        )
        source = codegen.lowered_source(
            lowered, doc, header, kinds, request.float32, parallel=request.parallel
        )
        name = derived.name
    if prologue is not None:
        source = _with_prologue(source, prologue, prologue_kinds, request.float32, whole.implicit)
    return Derivative(
        source,
        derived,
        name,
        checked,
        output,
        whole.implicit,
        whole.guards,
        prologue.name if prologue is not None else "",
        aux_tree,
        plan.over_arrays,
    )


def _by_reverse(request: Request) -> bool:
    """Is ``request`` taken by reverse mode (``plan_for``'s choice)?"""
    if request.form in ("vmap", "hvp", "jvp"):
        return False
    return request.mode != "forward" or request.form == "vjp"


def per_example(fn, request: Request) -> Request:
    """A vmap request for the function of one example: each mapped leaf's
    kind without its mapped axis (the trees too, and the parse for them)."""
    axes = iter(request.axes)

    def example(tree):
        if isinstance(tree, pytree.Leaf):
            axis = next(axes)
            if axis is None or not 0 <= axis < tree.kind.rank:  # checked later, with the IR
                return tree
            sizes = tree.kind.sizes()
            return pytree.Leaf(ir.Kind.of_sizes(tree.kind.dtype, sizes[:axis] + sizes[axis + 1 :]))
        if isinstance(tree, pytree.Node):
            return dataclasses.replace(tree, children=tuple(map(example, tree.children)))
        return tree

    trees = tuple(map(example, request.trees))
    kinds = tuple(leaf.kind for tree in trees for leaf in pytree.leaves(tree))
    index, _ = variant(fn, trees)
    return request._replace(kinds=kinds, trees=trees, variant=index)


def derivative_as_primal(fn, request: Request) -> ir.Function:
    """The IR of the derivative ``request.inner[-1]`` of ``fn``, as the
    primal of the request's own derivative: differentiating a derivative
    works on the generated program itself (optimised; loops stay loops),
    never on source."""
    stage = request.inner[-1]
    inner = request._replace(
        inner=request.inner[:-1],
        mode=stage.mode,
        form=stage.form,
        argnums=stage.argnums,
        single=stage.single,
        has_aux=False,
    )
    derivative = derive(fn, inner)
    user = primal_of(fn, request)
    if derivative.prologue:
        raise UnsupportedSyntaxError(
            f"{user.name} draws random numbers; symdiff does not differentiate its derivative again",
            user.loc,
            "pass the random values in as arguments, then take the derivative of the derivative",
        )
    if derivative.driven:
        raise UnsupportedSyntaxError(
            f"the forward-mode gradient of {user.name} with respect to an array is a loop of "
            "JVPs; symdiff differentiates reverse-mode gradients again",
            user.loc,
            f"write grad({user.name}) (mode='reverse', the default) inside; "
            "the outer derivative may use either mode",
        )
    return dataclasses.replace(derivative.function, implicit=user.implicit, guards=user.guards)


def loss_and_aux(primal: ir.Function, has_aux: bool) -> tuple:
    """``has_aux``: ``primal`` returning only its loss, and the aux value
    (a frontend value: atoms in tuples, lists, dicts); else ``(primal, None)``."""
    if not has_aux:
        return primal, None
    result = primal.result
    if type(result) is not tuple or len(result) != 2:
        raise ArgumentError(
            f"{primal.name} is differentiated with has_aux=True but does not return a pair",
            primal.result_loc or primal.loc,
            "return (loss, aux), where aux is any tuple, list or dict of values",
        )
    return dataclasses.replace(primal, result=result[0]), result[1]


def _aux_leaves(aux, facts: Analysis) -> tuple:
    """The pytree of the aux value and its atoms, in ``pytree.flatten`` order."""
    atoms = []

    def tree(value):
        if isinstance(value, (ir.Var, ir.Const)):
            atoms.append(value)
            return pytree.Leaf(facts.kind(value))
        if isinstance(value, values.StaticValue):
            return pytree.Static(value.value)
        if isinstance(value, values.DictValue):
            return pytree.Node(dict, value.keys, tuple(map(tree, value.values)))
        if isinstance(value, tuple):
            kind = list if isinstance(value, values.ListValue) else tuple
            return pytree.Node(kind, tuple(range(len(value))), tuple(map(tree, value)))
        return pytree.Static(None)  # a slice object: not a value the API returns

    return tree(aux), tuple(atoms)


def _returning_aux(derived: ir.Function, atoms: tuple, plan: Plan) -> ir.Function:
    """``derived`` returning the aux atoms too: ``(grads, aux)`` for grad,
    ``((value, aux), grads)`` for value_and_grad (JAX's layout), and
    ``(value, tangent, aux)`` for the JVP the forward driver calls."""
    result = derived.result
    if plan.form == "jvp":
        result = (*result, atoms)
    elif plan.form == "grad":
        result = (result, atoms)
    else:
        result = ((result[0], atoms), result[1])
    return dataclasses.replace(derived, result=result)


def _float64_array(key) -> bool:
    """Is this implicit input's key (``readers.value_key``) that of a float64 array?"""
    return isinstance(key, tuple) and len(key) >= 2 and key[1] == "d"


def split_draws(primal: ir.Function, facts: Analysis) -> tuple:
    """``(main, prologue)``: the random draws of ``primal`` and what they
    depend on (usually the shapes of arguments), as a prologue function that
    runs first, as plain Python, consuming the generators as one call of the
    user's function does; and the rest, which takes the drawn values as
    parameters (after the implicit inputs) and never draws.  The prologue
    is None when ``primal`` draws nothing.

    A ``for`` loop that draws runs in the prologue too, with only what its
    draws need, and records each draw in a tape with the iteration as its
    leading axis (``eps_tape[k] = eps``, ``_taped_loop``); the main loop
    reads its iteration's entry (``eps = eps_tape[k]``)."""
    draws = [s for s in ir.walk(primal.body) if _is_draw(s)]
    if not draws:
        return primal, None
    for stmt in draws:
        _check_draw(stmt, primal, facts)
    primal, kinds = _named_draws(primal, draws, facts.kinds)
    namer = ir.Namer(ir.defined_names(primal) | set(primal.params))
    candidates, main_body, drawn = [], [], []  # candidates: (statement, drawn there)
    for stmt in primal.body:
        if _is_draw(stmt):
            candidates.append((stmt, True))
            drawn.append(Var(stmt.target))
        elif isinstance(stmt, ir.Loop) and any(_is_draw(t) for t in stmt.body):
            before, recording, reading, tapes = _taped_loop(stmt, namer, kinds)
            candidates += [(s, True) for s in (*before, recording)]
            drawn += tapes
            main_body.append(reading)
        else:
            candidates.append((stmt, False))
            main_body.append(stmt)
    prologue = ir.Function(
        name=f"{primal.name}_draws",
        params=primal.params,
        body=_needed_for(candidates),
        result=tuple(drawn),
        loc=primal.loc,
    )
    generators = {r.param for r in primal.implicit if r.kind == GENERATOR}
    implicit = tuple(r for r in primal.implicit if r.kind != GENERATOR)
    main = dataclasses.replace(
        primal,
        params=(*(p for p in primal.params if p not in generators), *(v.name for v in drawn)),
        body=tuple(main_body),
        implicit=implicit,
    )
    return main, prologue


def _needed_for(candidates: list) -> tuple:
    """The statements that draw (``(statement, True)``) and those of the
    others they read, in order."""
    needed, kept = set(), []
    for stmt, draws in reversed(candidates):
        if draws or needed.intersection(ir.targets(stmt)):
            kept.append(stmt)
            needed |= _reads_in([stmt])
    return tuple(reversed(kept))


def _reads_in(body) -> set:
    return {a.name for s in ir.walk(body) for a in ir.reads(s) if isinstance(a, Var)}


_ENTRY = ir.Attrs(index=(ir.Take(),))  # a tape's entry ``tape[k]``


def _taped_loop(loop: ir.Loop, namer, kinds: dict) -> tuple:
    """``(before, recording, reading, tapes)`` for a ``for`` loop that draws:
    the statements allocating one tape per draw (an entry per iteration, the
    iteration as leading axis), the loop the prologue runs (the draws and
    only what they need, each draw written into its tape), the loop the
    main code runs (each draw replaced by its iteration's entry) and the
    tapes."""
    builder = Builder(namer, [], {}, kinds, loop.loc)
    if loop.step == ir.Const(1):
        trips = builder.emit(op("max", lift(loop.stop) - lift(loop.start), 0))
    else:
        trips = builder.emit(op("range_len", loop.start, loop.stop, loop.step))
    before = builder.out
    counting = Builder(namer, [], {}, kinds, loop.loc)
    offset = lift(Var(loop.index)) - lift(loop.start)
    iteration = counting.emit(offset if loop.step == ir.Const(1) else offset // lift(loop.step))
    needed, carried = _needed_in_loop(loop)
    record, read, tapes, carries = list(counting.out), list(counting.out), [], []
    for stmt in loop.body:
        if not _is_draw(stmt):
            read.append(stmt)
            if id(stmt) in needed:
                record.append(stmt)
            continue
        kind = kinds[stmt.target]
        tape, start, written = (namer.fresh(f"{stmt.target}_tape") for _ in range(3))
        sizes = _entry_sizes(stmt, kind, loop)
        zeros = ir.Op("zeros", (trips, *sizes), ir.Attrs(dtype=kind.dtype))
        before.append(ir.Assign(start, zeros, stmt.loc))
        entry = ir.Op("setitem", (Var(stmt.target), Var(tape), iteration), _ENTRY)
        record += [stmt, ir.Assign(written, entry, stmt.loc)]
        carries.append(ir.Carry(tape, Var(start), Var(written)))
        read.append(
            ir.Assign(stmt.target, ir.Op("getitem", (Var(tape), iteration), _ENTRY), stmt.loc)
        )
        tapes.append(Var(tape))
    kept = tuple(c for c in loop.carried if c.name in carried)
    recording = dataclasses.replace(loop, carried=(*kept, *carries), body=tuple(record))
    return before, recording, dataclasses.replace(loop, body=tuple(read)), tapes


def _needed_in_loop(loop: ir.Loop) -> tuple:
    """``(ids, carried)``: the statements of ``loop``'s body that its draws
    read, through the carried values too, and those carried names."""
    names = set()
    for stmt in loop.body:
        if _is_draw(stmt):
            names |= _reads_in([stmt])
    chosen, carried = set(), set()
    changed = True
    while changed:
        changed = False
        for carry in loop.carried:
            if carry.name in names and carry.name not in carried:
                carried.add(carry.name)
                names |= {a.name for a in (carry.next,) if isinstance(a, Var)}
                changed = True
        for stmt in loop.body:
            if id(stmt) in chosen or _is_draw(stmt):
                continue
            if names.intersection(ir.targets(stmt)):
                chosen.add(id(stmt))
                names |= _reads_in([stmt])
                changed = True
    return chosen, carried


def _entry_sizes(stmt, kind, loop: ir.Loop) -> tuple:
    """The sizes of one entry of a draw's tape: the draw's, which must be
    known before the loop."""
    draw = DRAWS[stmt.value.prim.removeprefix("draw_")]
    sizes = stmt.value.args[1 if draw.sizes_as_arguments else 1 + len(draw.params) :]
    inside = ir.defined_in(loop.body) | {loop.index}
    if len(sizes) != kind.rank or any(isinstance(a, Var) and a.name in inside for a in sizes):
        raise UnsupportedSyntaxError(
            "the size of a random draw inside a loop must be known before the loop",
            stmt.loc or loop.loc,
            "give the draw a size computed before the loop (rs.randn(n, d), size=x.shape of an "
            "argument), so that the draws can be recorded first, one entry per iteration",
        )
    return tuple(sizes)


def _named_draws(primal: ir.Function, draws, kinds: dict) -> tuple:
    """``(primal, kinds)`` with the draws the user did not name
    (``np.sum(rs.randn(n))``) named after their method, as the parameters
    they become are (and ``kinds`` knowing the new names)."""
    namer = ir.Namer(ir.defined_names(primal) | set(primal.params))
    renames = {
        s.target: Var(namer.fresh(s.value.prim.removeprefix("draw_")))
        for s in draws
        if s.target.startswith("$")
    }
    if not renames:
        return primal, kinds
    kinds = {**kinds, **{new.name: kinds[old] for old, new in renames.items()}}
    body = ir.map_bodies(
        ir.replace_uses(primal.body, renames),
        lambda s: (
            dataclasses.replace(s, target=renames[s.target].name)
            if _is_draw(s) and s.target in renames
            else s
        ),
    )
    result = ir.map_result(primal.result, lambda a: renames.get(getattr(a, "name", None), a))
    return dataclasses.replace(primal, body=body, result=result), kinds


def _is_draw(stmt) -> bool:
    return (
        isinstance(stmt, ir.Assign)
        and isinstance(stmt.value, ir.Op)
        and stmt.value.prim in DRAW_PRIMITIVES
    )


def _check_draw(stmt, primal: ir.Function, facts: Analysis) -> None:
    """A draw the prologue can make: at the top level or in the body of a
    top-level ``for`` loop that runs to its end, with parameters that are not
    differentiated."""
    where = _enclosing(stmt, primal.body)
    loc = stmt.loc or primal.loc
    before = "draw all the numbers before it (noise = rs.randn(steps, d)) and index them inside it"
    if any(isinstance(outer, ir.If) for outer in where):
        raise UnsupportedSyntaxError(
            "random draws inside branches are not supported: which numbers are drawn would "
            "depend on a condition known only when the code runs",
            loc,
            "draw before the `if` and use the numbers in the branch that needs them",
        )
    if len(where) > 1 or (where and where[0].index is None):
        raise UnsupportedSyntaxError(
            "random draws inside a `while` loop or a nested loop are not supported",
            loc,
            f"draw in a `for` loop at the top of the function, or {before}",
        )
    if where and where[0].exit is not None:
        raise UnsupportedSyntaxError(
            "random draws inside a loop that can stop early (break, return) are not supported: "
            "how many numbers are drawn would depend on values known only when the code runs",
            loc,
            before,
        )
    if any(facts.is_active(a) for a in stmt.value.args[1:]):
        raise UnsupportedSyntaxError(
            "the parameters of this random draw depend on the values differentiated; "
            "symdiff cannot differentiate a draw",
            stmt.loc or primal.loc,
            "draw from a fixed distribution and transform it (the reparameterisation trick): "
            "mu + sigma * rs.randn(n) instead of rs.normal(mu, sigma, n)",
        )


def _enclosing(stmt, body, outer=()) -> tuple | None:
    """The statements (``If``, ``Loop``) around ``stmt`` in ``body``, outermost first."""
    for top in body:
        if top is stmt:
            return outer
        for inner in ir.bodies(top):
            found = _enclosing(stmt, inner, (*outer, top))
            if found is not None:
                return found
    return None


def _with_prologue(source: str, prologue: ir.Function, kinds: dict, float32: bool, implicit) -> str:
    """The module ``source`` followed by the prologue function (and any
    import it needs that the module lacks)."""
    generators = [
        r.param if r.param == r.reader.label else f"{r.param} is {r.reader.label}"
        for r in implicit
        if r.kind == GENERATOR
    ]
    doc = (
        "The random draws of one call, in the order the function makes them; run as\n"
        "plain Python before the compiled code, which takes the drawn values.\n"
        f"Generators: {', '.join(generators)}.\n"
    )
    text = codegen.lowered_source(lower(prologue, kinds), doc, (), kinds, float32)
    lines = source.splitlines()
    new = [line for line in text.splitlines() if not (line.startswith("import ") and line in lines)]
    return source.rstrip("\n") + "\n\n\n" + "\n".join(new).lstrip("\n") + "\n"


def check_output(primal: ir.Function, facts: Analysis, form: str, derivative=False) -> ir.Kind:
    """The output's kind, or a clear error if ``form`` cannot use it
    (``derivative``: ``primal`` is a derivative's program)."""
    if form == "vmap" and _atoms_in_tuples(primal.result):  # any values (vmap checks their kinds)
        return facts.kind(ir.atoms_of(primal.result)[0])
    if form in ("jacobian", "jvp", "hvp") and _atoms_in_tuples(primal.result):  # per output atom
        for atom in ir.atoms_of(primal.result):
            _check_float(primal, facts.kind(atom))
        return facts.kind(ir.atoms_of(primal.result)[0])
    if not isinstance(primal.result, (ir.Var, ir.Const)):
        pair = type(primal.result) is tuple and len(primal.result) == 2
        hint = "return one float, or differentiate a function that selects one output"
        if derivative:
            hint = f"for the derivatives of {primal.name}, use jacfwd or jacrev (hessian)"
        if pair and form in ("grad", "value_and_grad"):
            hint = (
                f"to return (loss, aux), pass has_aux=True: {form}(f, has_aux=True) "
                "differentiates the loss and returns aux as it is"
            )
        raise ArgumentError(
            f"{primal.name} returns {'a pair' if pair else values.structure(primal.result)}; "
            f"{form} needs a single scalar output",
            primal.result_loc or primal.loc,
            hint,
        )
    output = facts.kind(primal.result)
    if output.rank and form in ("grad", "value_and_grad"):
        raise ArgumentError(
            f"{primal.name} returns an array (rank {output.rank}); {form} needs a scalar output",
            primal.result_loc or primal.loc,
            (
                "for the derivative of a gradient, use hessian(f) or jacfwd(grad(f)), "
                "and hvp(f)(x, v) for Hessian-vector products"
            )
            if derivative
            else "reduce it to a scalar (np.sum, np.mean), or use vjp/jvp for array outputs",
        )
    _check_float(primal, output)
    return output


def _atoms_in_tuples(result) -> bool:
    if isinstance(result, tuple):
        return all(map(_atoms_in_tuples, result)) and type(result) is tuple
    return isinstance(result, (ir.Var, ir.Const))


def _check_float(primal: ir.Function, output: ir.Kind) -> None:
    if output.dtype != "float":
        raise ArgumentError(
            f"{primal.name} returns {'a bool' if output == BOOL else 'an int'}; "
            "derivatives need a float output",
            primal.result_loc or primal.loc,
            "return a float (write 1.0 rather than 1)",
        )


def plan_for(request: Request, wrt: tuple, facts: Analysis, output: ir.Kind) -> Plan:
    """Which mode derives ``request``, and which parameters the derivative adds."""
    form = request.form
    if form == "jacobian":  # one program: loops over basis directions (transform.jacobian)
        return Plan(wrt, request.mode == "forward", form, False, ())
    if form == "vmap":  # one loop over the examples (transform.vmap)
        return Plan(wrt, False, form, False, ())
    if form == "hvp":  # the JVP's tangent alone (of a gradient: api.hvp)
        return Plan(wrt, True, form, False, tuple(facts.kinds[p] for p in wrt))
    by_forward = form == "jvp" or (request.mode == "forward" and form != "vjp")
    over_arrays = by_forward and form != "jvp" and any(facts.kinds[p].rank for p in wrt)
    derived_form = "jvp" if over_arrays else form
    if derived_form == "jvp":
        added = tuple(facts.kinds[p] for p in wrt)
    else:
        added = (output,) if form == "vjp" else ()
    return Plan(wrt, by_forward, derived_form, over_arrays, added)


def transformed(
    primal: ir.Function, facts: Analysis, plan: Plan, single: bool, request: Request | None = None
) -> ir.Function:
    """The derivative IR, straight from the transformation (not optimised)."""
    if plan.form == "vmap":
        axes = request.axes + (None,) * (len(primal.params) - len(request.axes))  # implicit inputs
        return vmap(primal, facts, axes, request.parallel, request.out_axes)
    if plan.form == "jacobian":
        return jacobian(primal, facts, plan.wrt, single, plan.forward)
    if plan.form == "hvp":  # what the value alone needs is left to dead-code elimination
        jvp = forward(primal, facts, plan.wrt, "jvp", single)
        return dataclasses.replace(jvp, name=f"{primal.name}_hvp", result=jvp.result[1])
    transform = forward if plan.forward else reverse
    derived = transform(primal, facts, plan.wrt, plan.form, single)
    if plan.over_arrays:  # the JVP, called once per basis direction by the driver
        derived = dataclasses.replace(derived, name=f"_{primal.name}_jvp")
    return derived


def checked_axes(fn, request: Request) -> tuple:
    """vmap's axes (one per leaf), each within its leaf's rank, made non-negative."""
    head = header_of(fn).for_arguments(len(request.trees))
    names = [n for p, tree in zip(head.params, request.trees) for n in pytree.leaf_names(tree, p)]
    out = []
    for name, kind, axis in zip(names, request.kinds, request.axes):
        rank = kind.rank
        if axis is not None and not -rank <= axis < rank:
            raise ArgumentError(
                f"vmap maps {name} over axis {axis}, but {name} has "
                + (f"rank {rank}" if rank else "no axes (it is a number)"),
                head.loc,
                f"give {name} an axis below {rank} in in_axes, or None to pass it whole"
                if rank
                else f"pass {name} whole: None in in_axes",
            )
        out.append(axis % rank if axis is not None else None)
    if all(axis is None for axis in out):
        raise ArgumentError(
            f"vmap of {head.name} maps no argument (every in_axes entry is None)",
            head.loc,
            "give at least one argument an axis to map over, e.g. in_axes=(None, 0, 0)",
        )
    return tuple(out)


def _forward_over_arrays(primal, jvp, lowered, kinds, plan: Plan, request, header) -> str:
    """Forward mode with respect to arrays: the source of the JVP function and
    of the driver that calls it once per basis direction (one element of one
    input), as the source shows and the backend runs."""
    wrt, single = plan.wrt, request.single
    jvp_doc = docstring(primal, jvp, wrt, "jvp", single, True, request.has_aux)
    doc = docstring(primal, jvp, wrt, request.form, single, True).splitlines()[0]
    doc += f"\n\n    One call of {jvp.name} per element of each array (and per scalar).\n    "
    driver = codegen.forward_driver(
        f"{primal.name}_{request.form}",
        primal.name,
        jvp,
        wrt,
        [kinds[t].rank for t in jvp.params[len(primal.params) :]],
        request.form == "value_and_grad",
        single,
        doc,
        request.has_aux,
    )
    return codegen.lowered_source(lowered, jvp_doc, header, kinds, request.float32, then=driver)


def module_header(
    primal: ir.Function, request: Request, plan: Plan, checked: bool, user_params=(), kinds=None
) -> tuple:
    """The comment lines at the top of the generated module."""
    precision = "float32" if request.float32 else "float"
    kinds = request.kinds if kinds is None else kinds
    signature = ", ".join(
        f"{p}: {str(k).replace('float', precision)}" for p, k in zip(primal.params, kinds)
    )
    how = (
        f"{'forward' if plan.forward else 'reverse'} mode, "
        f"{primal.name}({signature}), with respect to {', '.join(plan.wrt)}"
    )
    if plan.form == "vmap":
        over = [f"axis {a} of {p}" for p, a in zip(primal.params, request.axes) if a is not None]
        how = f"vmap of {primal.name}({signature}), over {', '.join(over)}"
        how += ", in parallel (numba.prange)" if request.parallel else ""
    elif request.parallel:
        how += "; compiled with Numba's parallel backend (prange, array expressions)"
    header = (
        f"Generated by symdiff {__version__} from {primal.name} "
        f"({primal.loc.filename}:{primal.loc.lineno})",
        how,
    )
    if not all(isinstance(t, pytree.Leaf) for t in request.trees):  # as the user passes them
        names = iter(primal.params)
        spelled = [pytree.spelled(tree, names) for tree in request.trees]
        header += tuple(
            f"{name} = {text}"
            for name, text, tree in zip(user_params, spelled, request.trees)
            if not isinstance(tree, pytree.Leaf)
        )
    if primal.implicit:
        header += (
            "read at each call, not differentiated: "
            + ", ".join(
                r.param if r.param == r.reader.label else f"{r.param} = {r.reader.label}"
                for r in primal.implicit
            ),
        )
    if any(isinstance(s, ir.Loop) for s in ir.walk(primal.body)):
        header += (
            "indices checked when the code runs"
            if checked
            else "every index is provably within its array: compiled without bounds checks",
        )
    return header


def docstring(
    primal,
    derived,
    wrt,
    form: str,
    single: bool,
    by_forward: bool,
    has_aux: bool = False,
    out_axes=0,
) -> str:
    """The generated function's docstring: what it computes and returns
    (``has_aux``: with aux, the values returned with the loss; ``out_axes``:
    vmap's)."""
    name = primal.name if len(primal.name) == 1 else f"({primal.name})"
    how = "forward" if by_forward else "reverse"
    parts = [f"d{name}/d{p}" for p in wrt]
    grads = parts[0] if single else f"({', '.join(parts)}{',' * (len(parts) == 1)})"
    if form == "grad":
        first = f"Gradient of {primal.name} with respect to {', '.join(wrt)}, by {how} mode."
        returns = f"({grads}, aux)" if has_aux else grads
    elif form == "value_and_grad":
        first = f"Value and gradient of {primal.name}, by {how} mode."
        value = f"({primal.name}, aux)" if has_aux else primal.name
        returns = f"({value}, {grads})"
    elif form == "jvp":
        first = f"Value and directional derivative of {primal.name} (forward mode)."
        tangents = derived.params[len(primal.params) :]
        combo = " + ".join(f"d{name}/d{p} * {t}" for p, t in zip(wrt, tangents))
        returns = f"({primal.name}, its derivative {combo}{', aux' * has_aux})"
    elif form == "hvp":
        first = f"Directional derivative of {primal.name} (forward mode over its program)."
        tangents = derived.params[len(primal.params) :]
        combo = " + ".join(f"d{name}/d{p} * {t}" for p, t in zip(wrt, tangents))
        returns = combo
    elif form == "vmap":
        first = f"{primal.name} mapped over a batch of examples, one loop iteration per example."
        returns = f"{primal.name}'s outputs, each with a leading axis of examples"
        if out_axes != 0:
            returns = f"{primal.name}'s outputs, with their axes of examples at out_axes={out_axes}"
    elif form == "jacobian":
        first = f"Jacobian of {primal.name} with respect to {', '.join(wrt)}, by {how} mode."
        returns = f"{grads}: each block is shaped like the output followed by the parameter"
    else:
        first = f"Value and vector-Jacobian product of {primal.name} (reverse mode)."
        seed = derived.params[-1]
        parts = [f"{seed} * {part}" for part in parts]
        products = parts[0] if single else f"({', '.join(parts)}{',' * (len(parts) == 1)})"
        returns = f"({primal.name}, {products})"
    aux = "\naux: the values returned with the loss (not differentiated).\n" * has_aux
    return f"{first}\n\nReturns {returns}.\n{aux}"
