"""The lowering pass on hand-built IR: each test pins one decision the
printed code depends on (names shared out of SSA, in place vs copy,
inlining, parallel assignments, ``# line N`` marks, temporaries' names)."""

import math

import pytest

from symdiff import ir
from symdiff.codegen import function_source
from symdiff.errors import Loc
from symdiff.ir import Assign, Attrs, Carry, Const, Function, If, Kind, Loop, Op, Phi, Take, Var
from symdiff.lower import CopyArray, Inlined, Line, Local, ParallelAssign, Store, lower

AT_0 = Attrs(index=(Take(),))  # the index pattern ``a[i]``
VECTOR = Kind("float", 1)


def statements(lowered, node_type):
    return [s for s in ir.walk(lowered.body) if isinstance(s, node_type)]


def swap_loop(carried_next=("b_1", "a_1")):
    """a, b = 1.0 * x, 2.0 * x; for i in range(n): a, b = b, a; return a - b"""
    carried = (
        Carry("a_1", Var("a"), Var(carried_next[0])),
        Carry("b_1", Var("b"), Var(carried_next[1])),
    )
    body = (
        Assign("a", Op("mul", (Const(1.0), Var("x")))),
        Assign("b", Op("mul", (Const(2.0), Var("x")))),
        Loop(carried, (), "i", Const(0), Var("n"), Const(1)),
        Assign("r", Op("sub", (Var("a_1"), Var("b_1")))),
    )
    return Function("f", ("x", "n"), body, Var("r"))


def test_a_swap_in_a_loop_is_one_parallel_assignment():
    lowered = lower(swap_loop())
    loop = statements(lowered, Loop)[0]
    assert loop.body == (ParallelAssign(("a", "b"), (Local("b_1", "b"), Local("a_1", "a"))),)
    # The carried values share their starting values' names: no copy before the loop.
    assert [s for s in lowered.body if isinstance(s, (Assign, ParallelAssign))] == [
        Assign("a", Op("mul", (Const(1.0), Local("x", "x")))),
        Assign("b", Op("mul", (Const(2.0), Local("x", "x")))),
        Assign("r", Op("sub", (Local("a_1", "a"), Local("b_1", "b")))),
    ]
    namespace: dict = {}
    exec(function_source(swap_loop()), namespace)
    assert namespace["f"](1.0, 3) == 1.0 and namespace["f"](1.0, 2) == -1.0


def test_updates_that_form_no_cycle_are_one_assignment_per_line():
    # a, b = b, b: assigning a first reads nothing assigned after.
    lowered = lower(swap_loop(("b_1", "b_1")))
    loop = statements(lowered, Loop)[0]
    assert loop.body == (Assign("a", Local("b_1", "b")),)
    assert not statements(lowered, ParallelAssign)


def store_into_zeros(read_after: bool):
    """y = np.zeros(n); y_1 = y with y_1[0] = x; return y_1 (and y)."""
    body = (
        Assign("y", Op("zeros", (Var("n"),))),
        Assign("y_1", Op("setitem", (Var("x"), Var("y"), Const(0)), AT_0)),
    )
    result = (Var("y_1"), Var("y")) if read_after else Var("y_1")
    return Function("f", ("x", "n"), body, result)


def test_a_store_into_an_array_read_no_more_is_in_place():
    lowered = lower(store_into_zeros(False), {"y": VECTOR, "y_1": VECTOR})
    assert not statements(lowered, CopyArray)
    assert statements(lowered, Store) == [
        Store("y", (Take(),), (Const(0),), Local("x", "x"), False)
    ]
    assert lowered.result == Local("y_1", "y")


def test_a_store_into_an_array_read_afterwards_writes_into_a_copy():
    lowered = lower(store_into_zeros(True), {"y": VECTOR, "y_1": VECTOR})
    assert statements(lowered, CopyArray) == [CopyArray("y_1", Local("y", "y"))]
    assert statements(lowered, Store)[0].target == "y_1"
    assert lowered.result == (Local("y_1", "y_1"), Local("y", "y"))


def sine_times(uses: int):
    """$t1 = sin(x); y = $t1 * x (or $t1 * $t1)."""
    second = Var("$t1") if uses == 2 else Var("x")
    body = (
        Assign("$t1", Op("sin", (Var("x"),))),
        Assign("y", Op("mul", (Var("$t1"), second))),
    )
    return Function("f", ("x",), body, Var("y"))


def test_a_single_use_temporary_is_inlined():
    lowered = lower(sine_times(1))
    sine = Op("sin", (Local("x", "x"),))
    assert lowered.body == (Assign("y", Op("mul", (Inlined("$t1", sine), Local("x", "x")))),)


def test_a_temporary_used_twice_is_assigned():
    lowered = lower(sine_times(2))
    sine = Op("sin", (Local("x", "x"),))
    temp = Local("$t1", "t0")
    assert lowered.body == (Assign("t0", sine), Assign("y", Op("mul", (temp, temp))))


def test_an_inlined_temporary_is_assigned_before_a_variable_it_reads_is_reassigned():
    # $t1 = a_1 * 2 is read after the loop reassigns a (a_1 and a_2 share a's name).
    carried = (Carry("a_2", Var("a_1"), Var("a_3")),)
    loop_body = (Assign("a_3", Op("add", (Var("a_2"), Const(1.0)))),)
    body = (
        Assign("a_1", Op("mul", (Var("a"), Const(3.0)))),
        Assign("$t1", Op("mul", (Var("a_1"), Const(2.0)))),
        Loop(carried, loop_body, "i", Const(0), Var("n"), Const(1)),
        Assign("r", Op("add", (Var("$t1"), Var("a_2")))),
    )
    fn = Function("f", ("a", "n"), body, Var("r"))
    lowered = lower(fn)
    assert Assign("t0", Op("mul", (Local("a_1", "a_1"), Const(2.0)))) in lowered.body
    namespace: dict = {}
    exec(function_source(fn), namespace)
    assert namespace["f"](1.0, 2) == 6.0 + 5.0


def branch_join(read_after: bool):
    """if c: r = x * 2 else: r_1 = x * 3; r_2 = phi(r, r_1); return r_2 (and r)."""
    branch = If(
        Var("c"),
        (Assign("r", Op("mul", (Var("x"), Const(2.0)))),),
        (Assign("r_1", Op("mul", (Var("x"), Const(3.0)))),),
        (Phi("r_2", Var("r"), Var("r_1")),),
    )
    result = (Var("r_2"), Var("r")) if read_after else Var("r_2")
    return Function("f", ("x", "c"), (branch,), result)


def test_phi_sources_share_the_phis_name():
    lowered = lower(branch_join(False))
    branch = statements(lowered, If)[0]
    assert [s.target for s in branch.body + branch.orelse] == ["r", "r"]
    assert lowered.result == Local("r_2", "r")


def test_a_value_still_to_be_read_does_not_share_the_name_assigned_over_it():
    # r is returned too: printed as r_2, the join in the else branch would overwrite it.
    lowered = lower(branch_join(True))
    branch = statements(lowered, If)[0]
    assert lowered.result == (Local("r_2", "r_1"), Local("r", "r"))
    assert [s.target for s in branch.body] == ["r", "r_1"]  # the join: r_1 = r
    assert [s.target for s in branch.orelse] == ["r_1"]


def at(line):
    return Loc("user.py", line)


def test_a_line_mark_where_the_users_line_changes():
    body = (
        Assign("a", Op("mul", (Var("x"), Const(2.0))), at(3)),
        Assign("b", Op("mul", (Var("a"), Var("a"))), at(3)),
        Assign("c", Op("add", (Var("b"), Var("a"))), at(4)),
        Assign("d", Op("add", (Var("c"), Var("x"))), at(3)),
    )
    fn = Function("f", ("x",), body, Var("d"), loc=at(1))
    marks = [s.number if isinstance(s, Line) else s.target for s in lower(fn).body]
    assert marks == [3, "a", "b", 4, "c", 3, "d"]
    assert "    # line 3\n    a = x * 2.0\n    b = a * a\n    # line 4\n" in function_source(fn)


def test_no_line_mark_breaks_an_elif():
    inner = If(Var("d"), (Assign("y", Const(1.0), at(5)),), (Assign("y_1", Const(2.0), at(7)),),
               (Phi("y_2", Var("y"), Var("y_1")),), at(6))  # fmt: skip
    outer = If(Var("c"), (Assign("y_3", Const(0.0), at(3)),), (inner,),
               (Phi("y_4", Var("y_3"), Var("y_2")),), at(2))  # fmt: skip
    fn = Function("f", ("c", "d"), (outer,), Var("y_4"), loc=at(1))
    source = function_source(fn)
    assert "elif d:" in source
    assert source.count("# line") == 4  # lines 2, 3, 5, 7: not 6, the elif's own


def test_a_helpers_lines_name_its_file():
    body = (Assign("y", Op("sin", (Var("x"),)), Loc("/lib/helpers.py", 9)),)
    fn = Function("f", ("x",), body, Var("y"), loc=at(1))
    assert "# line 9 of helpers.py\n" in function_source(fn)


@pytest.mark.parametrize("user", ["t0", "t1", "t12"])
def test_temporaries_never_look_like_a_users_name(user):
    body = (
        Assign("$t1", Op("sin", (Var("x"),))),
        Assign(user, Op("mul", (Var("$t1"), Var("$t1")))),
        Assign("$t2", Op("cos", (Var(user),))),
        Assign("y", Op("mul", (Var("$t2"), Var("$t2")))),
    )
    fn = Function("f", ("x",), body, Var("y"))
    temps = [s.target for s in lower(fn).body if s.target not in (user, "y")]
    assert temps == ["_t0", "_t1"]  # not t1, t2 next to the user's t0
    namespace: dict = {}
    exec(function_source(fn), namespace)
    assert namespace["f"](0.5) == pytest.approx(math.cos(math.sin(0.5) ** 2) ** 2)


def test_temporaries_are_t0_t1_where_no_user_name_looks_like_them():
    sine = Assign("$t1", Op("sin", (Var("t"),)))
    body = (sine, Assign("y", Op("mul", (Var("$t1"), Var("$t1")))))
    lowered = lower(Function("f", ("t", "t_0"), body, Var("y")))
    assert lowered.body[0].target == "t0"


@pytest.mark.parametrize("i_read_later", [False, True])
def test_a_later_loop_reuses_the_users_index_name_where_it_is_free(i_read_later):
    """for i in range(n): s += i; for i_1 in range(n): s += i_1 + (i_1 or the last i)."""
    carried = [Carry("s_1", Const(0.0), Var("s_2"))]
    if i_read_later:
        carried.append(Carry("last", Const(0), Var("i")))  # the i kept after the loop
    first = Loop(tuple(carried), (Assign("s_2", Op("add", (Var("s_1"), Var("i")))),),
                 "i", Const(0), Var("n"), Const(1))  # fmt: skip
    term = Var("last") if i_read_later else Var("i_1")
    body = (Assign("s_4", Op("add", (Var("s_3"), term))),
            Assign("s_5", Op("add", (Var("s_4"), Var("i_1")))))  # fmt: skip
    second = Loop(
        (Carry("s_3", Var("s_1"), Var("s_5")),), body, "i_1", Const(0), Var("n"), Const(1)
    )
    fn = Function("f", ("n",), (first, second), Var("s_3"))
    loops = statements(lower(fn), Loop)
    assert [loop.index for loop in loops] == ["i", "i_1" if i_read_later else "i"]
    namespace: dict = {}
    exec(function_source(fn), namespace)
    assert namespace["f"](3) == 3.0 + (3 * 2 + 3 if i_read_later else 3 + 3)
