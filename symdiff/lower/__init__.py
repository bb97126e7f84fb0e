"""Lowering: the derivative IR (SSA) -> the lowered IR ``codegen`` prints.

Every decision about the printed code's variables is made here, once, and
``codegen`` prints the result statement by statement:

* which SSA values share one printed variable (phi sources, carried
  values, arrays written in place; never an inlined temporary, never two
  values one of which is still to be read when the other is assigned):
  ``names.join_names``;
* which array writes happen in place and which copies are not made (no
  later read of the old version, through any view):
  ``lifetimes.in_place_writes``;
* which single-use temporaries are printed inside their use
  (``lifetimes.inlined_temporaries``), held until then and assigned instead
  where a variable they read is reassigned first (``sequence.Sequencer``);
* the order of assignments that take effect at once (the phis after an
  ``if``, a loop's starting values, its carried updates): a tuple
  assignment where they form a cycle;
* the printed names: a version ``i_1`` shown as ``i`` where that is free,
  temporaries ``t0, t1, ...`` in order of appearance, never a name of the
  user's;
* a ``Line`` mark where the user's source line changes (``lines``).

The lowered node types are in ``nodes``.

>>> from symdiff.ir import Assign, Function, Op, Var
>>> fn = Function("f", ("x",), (Assign("$t1", Op("sin", (Var("x"),))),
...                             Assign("y", Op("mul", (Var("$t1"), Var("x"))))), Var("y"))
>>> lower(fn).body[0].value.args[0].value    # $t1 is printed inside its one use
Op(prim='sin', args=(Local(name='x', printed='x'),), attrs=Attrs())
"""

from __future__ import annotations

import dataclasses

from .. import ir
from .lifetimes import Layout, in_place_writes, inlined_temporaries
from .lines import mark_lines
from .names import join_names, number_temporaries, plain_names
from .nodes import CopyArray, Inlined, Line, Local, Lowered, ParallelAssign, Store
from .sequence import Sequencer

__all__ = [
    "distinct_carried_arrays",
    "lower",
    "CopyArray",
    "Inlined",
    "Line",
    "Local",
    "Lowered",
    "ParallelAssign",
    "Store",
]


def lower(fn: ir.Function, kinds: dict | None = None) -> Lowered:
    """``fn`` out of SSA, every printing decision made (see the module
    docstring); ``kinds`` (name -> ``Kind``) tells arrays from numbers."""
    fn, kinds = distinct_carried_arrays(fn, dict(kinds or {}))
    layout = Layout(fn, kinds)
    in_place = in_place_writes(fn, layout)
    inlined = inlined_temporaries(fn) - set(in_place)
    printed = join_names(fn, layout, in_place, inlined)
    taken = plain_names(fn, printed)
    sequencer = Sequencer(printed, in_place, inlined, layout.view_of)
    body = tuple(sequencer.block(fn.body))
    result = ir.map_result(fn.result, sequencer.atom)
    params = tuple(printed.get(p, p) for p in fn.params)
    lowered = Lowered(fn.name, params, body, result, layout.defs)
    lowered = number_temporaries(lowered, taken)
    if fn.loc is None:  # no source to refer to
        return lowered
    return dataclasses.replace(lowered, body=mark_lines(lowered.body, fn.loc))


def distinct_carried_arrays(fn: ir.Function, kinds: dict) -> tuple:
    """``fn`` where no two values carried by one loop start as the same array:
    the second gets a copy, made before the loop.  Carried values are written
    in place, and two of them in one buffer would see each other's writes
    (the tangents of ``a = out.copy(); b = out.copy()`` are both ``dout``,
    the copy being linear).  Returns the function and the kinds, the copies'
    included."""
    namer = ir.Namer(ir.defined_names(fn))

    def block(body) -> tuple:
        out = []
        for stmt in body:
            stmt = ir.with_bodies(stmt, [block(inner) for inner in ir.bodies(stmt)])
            if isinstance(stmt, ir.Loop):
                seen, carried = set(), []
                for carry in stmt.carried:
                    init = carry.init
                    array = isinstance(init, ir.Var) and getattr(kinds.get(init.name), "rank", 0)
                    if array and init.name in seen:
                        copy = namer.temp()
                        out.append(ir.Assign(copy, ir.Op("copy", (init,)), stmt.loc))
                        kinds[copy] = kinds[init.name]
                        carry = dataclasses.replace(carry, init=ir.Var(copy))
                    elif array:
                        seen.add(init.name)
                    carried.append(carry)
                stmt = dataclasses.replace(stmt, carried=tuple(carried))
            out.append(stmt)
        return tuple(out)

    return dataclasses.replace(fn, body=block(fn.body)), kinds
