"""Typed payloads (``ir.payloads``): attributes, index items and axis sizes are
values (equal when equal, so CSE merges them), printed only where given."""

import pickle

import pytest

from symdiff import ir
from symdiff.frontend import parse
from symdiff.ir import (
    NO_ATTRS,
    WHOLE,
    Assign,
    Attrs,
    AxisSize,
    Const,
    Function,
    Kind,
    Op,
    Span,
    Take,
    Var,
)
from symdiff.optimize import optimize

x, i, j = Var("x"), Var("i"), Var("j")


def at(*pattern):
    return Attrs(index=tuple(pattern))


def two_reads(first: Attrs, second: Attrs, args=(x, i)) -> Function:
    body = (
        Assign("$t1", Op("getitem", args, first)),
        Assign("$t2", Op("getitem", args, second)),
        Assign("r", Op("add", (Var("$t1"), Var("$t2")))),
    )
    return Function("g", ("x", "i"), body, Var("r"))


def getitems(fn: Function) -> list:
    return [s.value for s in ir.walk(fn.body) if s.value.prim == "getitem"]


def test_cse_merges_reads_with_equal_patterns():
    out = optimize(two_reads(at(Take()), at(Take())))
    assert getitems(out) == [Op("getitem", (x, i), at(Take()))]
    assert out.body[-1].value == Op("add", (Var("$t1"), Var("$t1")))


@pytest.mark.parametrize(
    "first, second",
    [
        (at(Take()), at(Span(start=True))),  # x[i] and x[i:]
        (at(Span(start=True)), at(Span(stop=True))),  # x[i:] and x[:i]
        (at(Take()), at(Take(), WHOLE)),  # x[i] and x[i, :]
    ],
)
def test_cse_keeps_reads_with_different_patterns(first, second):
    out = optimize(two_reads(first, second))
    assert getitems(out) == [Op("getitem", (x, i), first), Op("getitem", (x, i), second)]


def test_equal_payloads_are_equal_values():
    assert Attrs(index=(Take(), Span(True))) == Attrs(index=(Take(), Span(start=True)))
    assert hash(Attrs(axis=1, keepdims=True)) == hash(Attrs(keepdims=True, axis=1))
    assert Attrs(axis=0) != Attrs(axis=1) and Attrs(axis=0) != NO_ATTRS
    assert Take() == Take() and Take() != WHOLE and WHOLE == Span(False, False, False)
    assert len({Span(True), Span(stop=True), Span(True, False, False)}) == 2
    assert pickle.loads(pickle.dumps(at(Take(), Span(True, True)))) == at(Take(), Span(True, True))


@pytest.mark.parametrize(
    "op, printed",
    [
        (Op("sum", (x,)), "sum(x)"),
        (Op("sum", (x,), Attrs(axis=None, keepdims=False)), "sum(x)"),
        (Op("sum", (x,), Attrs(axis=0, keepdims=True)), "sum(x, axis=0, keepdims=True)"),
        (Op("getitem", (x, i), at(Take())), "getitem(x, i, index=(Take(),))"),
        (Op("getitem", (x, i, j), at(Span(True, False, True))), "getitem(x, i, j, index=(Span(start=True, step=True),))"),
        (Op("tape", (i, x), Attrs(select=(Take(), WHOLE), dtype="float")), "tape(i, x, select=(Take(), Span()), dtype='float')"),
        (Op("add", (x, Const(1.0)), Attrs(inplace=True)), "add(x, 1.0, inplace=True)"),
    ],
)  # fmt: skip
def test_op_prints_only_the_fields_that_are_given(op, printed):
    assert str(op) == printed


def test_frontend_builds_typed_index_patterns():
    def f(x, i):
        return x[i, 1:] + x[:i:2, i] + x[i, :][0]

    reads = getitems(parse(f))
    patterns = [r.attrs.index for r in reads]
    assert patterns == [
        (Take(), Span(start=True)),
        (Span(stop=True, step=True), Take()),
        (Take(), WHOLE),
        (Take(),),
    ]
    assert [len(r.args) for r in reads] == [3, 4, 2, 2]


def test_frontend_builds_typed_options():
    def f(x):
        x += 1.0
        return x.sum(axis=1, keepdims=True) + x.shape[0]

    ops = [(s.value.prim, s.value.attrs) for s in parse(f).body if isinstance(s.value, Op)]
    assert ops == [
        ("add", Attrs(inplace=True)),
        ("sum", Attrs(axis=1, keepdims=True)),
        ("shape", Attrs(axis=0)),
        ("add", NO_ATTRS),
    ]


ONE, MAYBE, MATCHES = AxisSize.ONE, AxisSize.MAYBE_ONE, AxisSize.MATCHES


@pytest.mark.parametrize(
    "sizes, printed",
    [
        ([], "float"),
        ([MATCHES], "float[:]"),
        ([ONE, MAYBE, MATCHES], "float[1,?,:]"),
        ([MAYBE, ONE, ONE], "float[?,1,1]"),
    ],
)
def test_kind_sizes_round_trip(sizes, printed):
    kind = Kind.of_sizes("float", sizes)
    assert kind.sizes() == sizes and [kind.size(a) for a in range(kind.rank)] == sizes
    assert Kind.of_sizes(kind.dtype, kind.sizes()) == kind
    assert str(kind) == printed


def test_kind_sizes_are_the_size_one_facts():
    assert Kind.of_sizes("int", [ONE, MATCHES, MAYBE]) == Kind("int", 3, unit=(0,), maybe=(2,))
    assert Kind("float", 2, maybe=(1,)).size(1) is MAYBE
    assert Kind("float", 2, unit=(0,)).size(0) is ONE and Kind("float", 2).size(0) is MATCHES
    assert AxisSize("?") is MAYBE  # the printed form names the size
