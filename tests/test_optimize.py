"""Simplification passes: each rule does what it says and nothing unsafe."""

import math

import numpy as np
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


# ---------------------------------------------------------------------------
# The rule table, the expression builder, liveness, and the layering.


def test_each_rule_leaves_what_it_cannot_simplify_alone():
    """A rule says None where it has nothing to do; simplify_op then returns
    the operation itself (no copy, no rewrite)."""
    from symdiff.primitives.algebra import RULES

    assert set(RULES) == {
        *("add", "sub", "mul", "div", "pow", "neg", "where"),
        *("sum", "amax", "amin", "prod", "size", "prod_others"),  # of a number: rank 0
        *("zeros_like", "flip", "transpose"),  # of a number: 0.0; of a flip, a transpose: the value
    }
    plain = {
        **{prim: Op(prim, (x,)) for prim in ("sum", "amax", "amin", "prod", "size")},
        "prod_others": Op("prod_others", (x,)),
        "add": Op("add", (x, y)),
        "sub": Op("sub", (x, y)),
        "mul": Op("mul", (x, y)),
        "div": Op("div", (x, y)),
        "pow": Op("pow", (x, Const(2.0))),
        "neg": Op("neg", (x,)),
        "where": Op("where", (z, x, y)),
        "zeros_like": Op("zeros_like", (x,)),
        "flip": Op("flip", (x,)),
        "transpose": Op("transpose", (x,)),
    }
    for prim, rule in RULES.items():
        assert rule(plain[prim], {}, None, None) is None, prim
        assert simplify_op(plain[prim], {}) is plain[prim]


def test_constants_are_folded_before_any_rule():
    assert simplify_op(Op("mul", (Const(3.0), Const(-1.0))), {}) == Const(-3.0)
    assert simplify_op(Op("neg", (Const(2),)), {}) == Const(-2)


def test_builder_emits_a_rule_expression_simplified_and_named():
    from symdiff.primitives import lift
    from symdiff.primitives.builder import Builder

    out: list = []
    builder = Builder(ir.Namer({"x", "y"}), out, {}, {})
    atom = builder.emit(lift(x) * 1.0 + lift(y), hint="z")
    assert atom == Var("z")
    assert out == [Assign("$t1", Op("add", (x, y))), Assign("z", Var("$t1"))]
    assert builder.emit(lift(x) * 1.0, hint="w") == x  # no new value, no name
    assert builder.total([]) is None


def test_live_code_keeps_only_what_the_results_need():
    from symdiff.ir import Carry, Loop
    from symdiff.ir.liveness import live_code

    loop = Loop(
        (Carry("s", Const(0.0), Var("s2")), Carry("u", Const(1.0), Var("u2"))),
        (Assign("s2", Op("add", (Var("s"), x))), Assign("u2", Op("mul", (Var("u"), y)))),
        "i",
        Const(0),
        Var("n"),
        Const(1),
    )
    body = (Assign("a", Op("sin", (x,))), Assign("b", Op("cos", (x,))), loop)
    kept = live_code(body, [Var("s")])
    assert [type(s).__name__ for s in kept] == ["Loop"]
    assert [c.name for c in kept[0].carried] == ["s"]
    assert kept[0].body == (Assign("s2", Op("add", (Var("s"), x))),)
    assert live_code(body, [Var("b")]) == (Assign("b", Op("cos", (x,))),)
    assert live_code(body, [Const(1.0)]) == ()


def _logistic_of_a_sum(w, b):
    t = np.ones((4, 3)) @ w
    return np.sum((1.0 / (1.0 + np.exp(-(t + b))))[:, 0])


def test_new_temporaries_never_take_a_name_the_kinds_know():
    """``optimize`` gets the kinds of the unoptimised IR; a temporary made in
    a later round took the name of a value dropped earlier (``$t19``, of kind
    float[1]), so ``-(-a)`` was kept as changing a float[:,1] into a float[1]
    and printed as ``--(...)``."""
    from symdiff import derivative_source

    source = derivative_source(_logistic_of_a_sum, np.ones((3, 1)), np.ones(1), argnums=(0, 1))
    assert "--" not in source
    assert "t4 = t3 * (t2 * t2) * t1" in source


# -- new arrays shared, scalar broadcasts, nested np.where ---------------------

N = Var("n")
EYE = Op("eye", (N,))


def test_two_new_arrays_never_written_into_are_one():
    g = fn(
        [
            Assign("e1", EYE),
            Assign("e2", EYE),
            Assign("r", Op("add", (Var("e1"), Var("e2")))),
        ],
        Var("r"),
        params=("n",),
    )
    assert [s.value for s in optimize(g).body] == [EYE, Op("add", (Var("e1"), Var("e1")))]


@pytest.mark.parametrize("written", ["e1", "e2", "v"])
def test_new_arrays_written_into_or_through_a_view_stay_two(written):
    """A write into either array (or into a view of one) keeps them apart."""
    store = Op("setitem", (Const(1.0), Var(written), Const(0)), ir.Attrs(index=(ir.Take(),)))
    g = fn(
        [
            Assign("e1", EYE),
            Assign("e2", EYE),
            Assign("v", Op("transpose", (Var("e1"),))),
            Assign("w", store),
            Assign("r", Op("add", (Var("e1"), Var("e2")))),
            Assign("q", Op("add", (Var("r"), Var("w")))),
        ],
        Var("q"),
        params=("n",),
    )
    assert sum(isinstance(s, Assign) and s.value == EYE for s in optimize(g).body) == 2


def test_two_random_draws_are_never_one():
    from symdiff.primitives.random import DRAW_PRIMITIVES

    draw = Op(sorted(DRAW_PRIMITIVES)[0], (Var("rs"), N))
    g = fn(
        [Assign("a", draw), Assign("b", draw), Assign("r", Op("add", (Var("a"), Var("b"))))],
        Var("r"),
        params=("rs", "n"),
    )
    assert sum(isinstance(s, Assign) and s.value == draw for s in optimize(g).body) == 2


def _kinds(**ranks):
    return {name: ir.Kind("float", rank) for name, rank in ranks.items()}


def test_a_where_inside_a_where_on_the_same_condition_is_its_chosen_side():
    c = Var("c")
    defs = {"w": Op("where", (c, x, y))}
    kinds = {"c": ir.Kind("bool", 1), **_kinds(x=1, y=1, z=1, w=1)}
    assert simplify_op(Op("where", (c, Var("w"), z)), defs, kinds=kinds) == Op("where", (c, x, z))
    assert simplify_op(Op("where", (c, z, Var("w"))), defs, kinds=kinds) == Op("where", (c, z, y))
    other = {"w": Op("where", (Var("d"), x, y))}  # another condition: kept
    kept = Op("where", (c, Var("w"), z))
    assert simplify_op(kept, other, kinds=kinds) == kept


def test_a_nested_where_is_kept_where_the_side_left_out_gave_the_shape():
    """where(c, where(c, x, y), z) with only y an array: the result is an
    array because of y, so dropping y would make it a number."""
    c = Var("c")
    defs = {"w": Op("where", (c, x, y))}
    kinds = {"c": ir.Kind("bool"), **_kinds(x=0, y=1, z=0, w=1)}
    op = Op("where", (c, Var("w"), z))
    assert simplify_op(op, defs, kinds=kinds) == op
    assert simplify_op(op, defs) == op  # no kinds: nothing that may change a shape


def sum_of_product(a, b):
    return np.sum(a @ b)


def test_the_adjoint_of_a_sum_of_a_product_is_a_full_array_of_ones():
    """np.sum(A @ B): the seed broadcast is one np.full_like (not zeros plus
    1.0); the product stays, for its shape: it is what checks that A and B
    fit (tests/test_arrays.py: bad_shapes)."""
    import symdiff

    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4) / 5.0
    source = symdiff.derivative_source(sum_of_product, a, b, argnums=(0, 1))
    assert "np.full_like(a @ b, 1.0)" in source and "zeros_like" not in source, source
    got = symdiff.grad(sum_of_product, argnums=(0, 1), jit=False)(a, b)
    np.testing.assert_allclose(got[0], np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(got[1], a.T @ np.ones((2, 4)))


def test_a_transpose_of_a_transpose_is_the_value():
    reverse = Op("transpose", (x,))
    assert simplify_op(Op("transpose", (Var("t"),)), {"t": reverse}) == x
    order = ir.Attrs(axes=(1, 2, 0))
    back = ir.Attrs(axes=(2, 0, 1))
    defs = {"t": Op("transpose", (x,), order)}
    assert simplify_op(Op("transpose", (Var("t"),), back), defs) == x
    again = Op("transpose", (Var("t"),), order)  # (1, 2, 0) twice is (2, 0, 1): kept
    assert simplify_op(again, defs) == again


def test_two_tapes_written_through_a_grown_tape_stay_two():
    """A tape written only through tape_grow (which may return it as it is)
    is written into: two equal tapes must not become one."""
    tape = Op("tape", (N, x))
    store = Op("setitem", (y, Var("g"), Const(0)), ir.Attrs(index=(ir.Take(),)))
    g = fn(
        [
            Assign("a", tape),
            Assign("b", tape),
            Assign("g", Op("tape_grow", (Var("a"), Const(0)))),
            Assign("w", store),
            Assign("r", Op("add", (Var("w"), Var("b")))),
        ],
        Var("r"),
        params=("x", "y", "n"),
    )
    assert sum(isinstance(s, Assign) and s.value == tape for s in optimize(g).body) == 2
