"""The IR's traversal helpers: every pass walks bodies through them."""

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
