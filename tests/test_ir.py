"""The IR's traversal helpers: every pass walks bodies through them."""

import doctest

from symdiff import ir
from symdiff.ir import Assign, Carry, Const, If, Loop, Phi, Var

LOOP = Loop(
    (Carry("s", Const(0.0), Var("s2")),),
    (Assign("s2", Var("s")),),
    "i",
    Const(0),
    Const(3),
    Const(1),
)
BODY = (
    Assign("a", Const(1.0)),
    If(
        Var("c"),
        (Assign("x", Const(2.0)),),
        (Assign("y", Const(3.0)),),
        (Phi("p", Var("x"), Var("y")),),
    ),
    LOOP,
)


def test_walk_visits_nested_statements_in_program_order():
    assert [ir.targets(s) for s in ir.walk(BODY)] == [
        ["a"],
        ["p"],
        ["x"],
        ["y"],
        ["i", "s"],
        ["s2"],
    ]


def test_bodies_and_with_bodies_round_trip():
    for stmt in BODY:
        assert ir.with_bodies(stmt, ir.bodies(stmt)) == stmt
    assert ir.bodies(LOOP) == ((), LOOP.body)


def test_map_bodies_rewrites_innermost_first_and_splices_lists():
    def visit(stmt):
        if isinstance(stmt, Assign) and stmt.target == "x":
            return None  # dropped
        if isinstance(stmt, Assign) and stmt.target == "s2":
            return [Assign("u", Var("s")), Assign("s2", Var("u"))]  # spliced
        return stmt

    out = ir.map_bodies(BODY, visit)
    assert out[1].body == ()
    assert [s.target for s in out[2].body] == ["u", "s2"]
    assert out[0] == BODY[0] and out[2].carried == LOOP.carried


def test_rename_gives_fresh_names_and_renames_uses_in_nested_bodies():
    namer = ir.Namer(["a", "x", "y", "p", "s", "i", "s2", "c"])
    mapping: dict = {}
    out = ir.rename(BODY, mapping, namer)
    assert mapping == {
        "a": "a_1",
        "x": "x_1",
        "p": "p_1",
        "y": "y_1",
        "i": "i_1",
        "s": "s_1",
        "s2": "s2_1",
    }
    assert out[1].phis == (Phi("p_1", Var("x_1"), Var("y_1")),)
    assert out[2].carried == (Carry("s_1", Const(0.0), Var("s2_1")),)
    assert out[2].body == (Assign("s2_1", Var("s_1")),)
    assert out[2].index == "i_1" and out[1].cond == Var("c")


def test_replace_uses_reaches_loop_bounds_and_phis():
    out = ir.replace_uses(BODY, {"c": Const(True), "y": Var("z"), "s": Const(2.0)})
    assert out[1].cond == Const(True)
    assert out[1].phis == (Phi("p", Var("x"), Var("z")),)
    assert out[2].body == (Assign("s2", Const(2.0)),)
    assert [ir.targets(s) for s in ir.walk(out)] == [ir.targets(s) for s in ir.walk(BODY)]


def test_format_function_lists_nested_statements():
    fn = ir.Function("f", ("c",), BODY, Var("s"))
    assert ir.format_function(fn) == "\n".join(
        [
            "def f(c):",
            "    a = 1.0",
            "    if c:",
            "        x = 2.0",
            "    else:",
            "        y = 3.0",
            "    p = phi(x, y)",
            "    s = 0.0",
            "    for i in range(0, 3, 1):",
            "        s2 = s",
            "        s = s2",
            "    return s",
        ]
    )


def test_version_of_and_namer():
    assert ir.version_of("y_2", {"y", "y_2"}) == "y"
    assert ir.version_of("y_2", {"y_2"}) == "y_2"
    namer = ir.Namer(["x_bar", "$t1"])
    assert namer.fresh("x_bar") == "x_bar_1"
    assert namer.temp() == "$t2"


def test_written_in_place_follows_stores_through_branches():
    store = Assign(
        "a2", ir.Op("setitem", (Const(1.0), Var("a"), Var("i")), ir.Attrs(index=(ir.Take(),)))
    )
    loop = Loop((Carry("a", Var("a0"), Var("a2")),), (store,), "i", Const(0), Const(3), Const(1))
    assert ir.written_in_place(loop.carried[0], loop.body)
    copied = Loop(
        (Carry("a", Var("a0"), Var("b")),),
        (store, Assign("b", ir.Op("copy", (Var("a2"),)))),
        "i",
        Const(0),
        Const(3),
        Const(1),
    )
    assert not ir.written_in_place(copied.carried[0], copied.body)


def test_format_functions_docstring_example_runs():
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(ir.listing):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted >= 3
    assert runner.summarize(verbose=False).failed == 0
