"""optimize.loops: which reversed loops run forwards, and which loops fuse."""

from symdiff import ir
from symdiff.ir import Assign, Carry, Const, Loop, Op, Var
from symdiff.optimize.loops import _order_free, forwards_and_fused


def _reversed(body, carried, start=None):
    """``for i in range(start, -1, -1)`` (start: ``n`` unless given)."""
    start = Var("n") if start is None else start
    return Loop(tuple(carried), tuple(body), "i", start, Const(-1), Const(-1))


def _additem(target, value, array, index):
    return Assign(target, Op("additem", (value, Var(array), index)))


def test_accumulations_from_values_that_do_not_change_are_order_free():
    body = [
        Assign("v", Op("getitem", (Var("x"), Var("i")))),
        _additem("g1", Var("v"), "g", Var("i")),
        Assign("s1", Op("add", (Var("s"), Var("v")))),
    ]
    loop = _reversed(body, [Carry("g", Var("g0"), Var("g1")), Carry("s", Const(0.0), Var("s1"))])
    assert _order_free(loop)


def test_a_contribution_that_reads_the_sum_is_not():
    # g[i] += g[i + 1]: each iteration reads what an earlier one accumulated
    body = [
        Assign("j", Op("add", (Var("i"), Const(1)))),
        Assign("v", Op("getitem", (Var("g"), Var("j")))),
        _additem("g1", Var("v"), "g", Var("i")),
    ]
    assert not _order_free(_reversed(body, [Carry("g", Var("g0"), Var("g1"))]))
    # s = s * x[i]: not a sum
    body = [
        Assign("v", Op("getitem", (Var("x"), Var("i")))),
        Assign("s1", Op("mul", (Var("s"), Var("v")))),
    ]
    assert not _order_free(_reversed(body, [Carry("s", Const(1.0), Var("s1"))]))
    # a carried adjoint (h_bar) read to make the next one
    body = [Assign("h1", Op("sub", (Const(0.0), Var("h"))))]
    assert not _order_free(_reversed(body, [Carry("h", Const(1.0), Var("h1"))]))


def test_a_reversed_sum_runs_forwards_over_the_same_indices():
    body = [
        Assign("v", Op("getitem", (Var("x"), Var("i")))),
        Assign("s1", Op("add", (Var("s"), Var("v")))),
    ]
    head = [Assign("m", Op("sub", (Var("n"), Const(2))))]
    loop = _reversed(body, [Carry("s", Const(0.0), Var("s1"))], start=Var("m"))
    fn = ir.Function("f", ("x", "n"), tuple(head) + (loop,), Var("s"))
    out = forwards_and_fused(fn)
    (forwards,) = [s for s in out.body if isinstance(s, Loop)]
    assert forwards.step == Const(1) and forwards.start == Const(0)
    # range(n - 2, -1, -1) is range(0, n - 1): the stop is n - 1
    (stop,) = [s for s in out.body if isinstance(s, Assign) and s.target == forwards.stop.name]
    assert stop.value == Op("sub", (Var("n"), Const(1)))
