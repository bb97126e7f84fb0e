"""Simplification passes: each rule does what it says and nothing unsafe."""

import math

import pytest

from symdiff import ir
from symdiff.ir import Assign, Const, Function, If, Op, Phi, Var
from symdiff.optimize import dce, optimize, simplify, simplify_op

x, y, z = Var("x"), Var("y"), Var("z")


@pytest.mark.parametrize(
    "op, expected",
    [
        (Op("mul", (x, Const(1.0))), x),
        (Op("mul", (Const(1), x)), x),
        (Op("div", (x, Const(1.0))), x),
        (Op("sub", (x, Const(0.0))), x),
        (Op("add", (Const(0.0), x)), x),
        (Op("pow", (x, Const(1))), x),
        (Op("mul", (x, Const(-1.0))), Op("neg", (x,))),
        (Op("sub", (Const(0.0), x)), Op("neg", (x,))),
        (Op("add", (Const(2.0), Const(3.0))), Const(5.0)),
        (Op("sin", (Const(0.0),)), Const(0.0)),
        (Op("div", (Const(1.0), Const(0.0))), Const(math.inf)),
        (Op("lt", (Const(1.0), Const(2.0))), Const(True)),
        (Op("where", (Const(False), x, y)), y),
        (Op("where", (z, x, x)), x),
    ],
)
def test_identities(op, expected):
    assert simplify_op(op, {}) == expected


@pytest.mark.parametrize(
    "op",
    [
        Op("mul", (x, Const(0.0))),  # nan * 0 is nan, inf * 0 is nan
        Op("sub", (x, x)),  # inf - inf is nan
        Op("div", (x, x)),  # 0 / 0 is nan
        Op("log", (Const(-1.0),)),  # would raise in Python: left for IEEE runtime
        Op("sub", (x, Const(-0.0))),  # x - (-0.0) is x + 0.0: changes the sign of -0.0
    ],
)
def test_unsafe_rewrites_are_not_made(op):
    assert simplify_op(op, {}) == op


def test_signs_move_outwards_and_are_absorbed():
    defs = {"n": Op("neg", (y,))}
    assert simplify_op(Op("add", (x, Var("n"))), defs) == Op("sub", (x, y))
    assert simplify_op(Op("sub", (x, Var("n"))), defs) == Op("add", (x, y))
    assert simplify_op(Op("neg", (Var("n"),)), defs) == y
    assert simplify_op(Op("mul", (Var("n"), x)), defs) == Op("neg", (Op("mul", (y, x)),))


def test_multiplying_by_an_unshared_reciprocal_becomes_a_division():
    defs = {"r": Op("div", (Const(1.0), y))}
    product = Op("mul", (x, Var("r")))
    assert simplify_op(product, defs, uses={"r": 1}) == Op("div", (x, y))
    # A shared reciprocal stays: one division, then multiplications.
    assert simplify_op(product, defs, uses={"r": 2}) == product


def fn(body, result, params=("x", "y")):
    return Function("g", params, tuple(body), result)


def test_cse_reuses_commutative_products():
    g = fn(
        [
            Assign("$t1", Op("mul", (x, y))),
            Assign("$t2", Op("mul", (y, x))),
            Assign("r", Op("add", (Var("$t1"), Var("$t2")))),
        ],
        Var("r"),
    )
    out = optimize(g)
    assert [s.value for s in out.body] == [Op("mul", (x, y)), Op("add", (Var("$t1"), Var("$t1")))]


def test_cse_does_not_hoist_out_of_a_branch():
    inner = (Assign("$t1", Op("sin", (x,))),)
    g = fn(
        [
            If(Var("c"), inner, (), (Phi("p", Var("$t1"), Const(0.0)),)),
            Assign("$t2", Op("sin", (x,))),
            Assign("r", Op("add", (Var("p"), Var("$t2")))),
        ],
        Var("r"),
        params=("x", "c"),
    )
    out = optimize(g)
    # sin(x) after the branch is still computed there: the branch may not have run.
    assert sum(isinstance(s, Assign) and s.value == Op("sin", (x,)) for s in ir.walk(out.body)) == 2


def test_value_before_branch_is_reused_inside():
    g = fn(
        [
            Assign("$t1", Op("sin", (x,))),
            If(
                Var("c"), (Assign("$t2", Op("sin", (x,))),), (), (Phi("p", Var("$t2"), Const(0.0)),)
            ),
            Assign("r", Op("add", (Var("p"), Var("$t1")))),
        ],
        Var("r"),
        params=("x", "c"),
    )
    out = optimize(g)
    assert sum(isinstance(s, Assign) and s.value == Op("sin", (x,)) for s in ir.walk(out.body)) == 1


def test_dce_removes_unused_values_and_empty_branches():
    g = fn(
        [
            Assign("a", Op("sin", (x,))),
            Assign("b", Op("cos", (x,))),
            If(Var("a"), (Assign("u", Op("exp", (x,))),), (), ()),
        ],
        Var("b"),
    )
    out = dce(g)
    assert out.body == (Assign("b", Op("cos", (x,))),)


def test_known_condition_keeps_only_the_taken_branch():
    g = fn(
        [
            If(
                Const(True),
                (Assign("a", Op("sin", (x,))),),
                (Assign("b", Op("cos", (x,))),),
                (Phi("p", Var("a"), Var("b")),),
            )
        ],
        Var("p"),
    )
    out = optimize(g)
    assert out.body == (Assign("a", Op("sin", (x,))),)
    assert out.result == Var("a")


def test_copies_keep_user_names():
    g = fn(
        [
            Assign("$t1", Op("sin", (x,))),
            Assign("y_bar", Var("$t1")),
            Assign("r", Op("mul", (Var("y_bar"), Var("y_bar")))),
        ],
        Var("r"),
    )
    out = simplify(g)
    assert out.body[0] == Assign("y_bar", Op("sin", (x,)))
