"""Analyses on small hand-built IR: kinds and activity, memory sharing,
the index-bounds prover."""

import doctest
import importlib

import pytest

from symdiff import analysis
from symdiff.errors import ArgumentError, Loc, ShapeError, SymDiffError
from symdiff.ir import (
    FLOAT,
    INT,
    NO_ATTRS,
    Assign,
    Attrs,
    AxisSize,
    Carry,
    Const,
    Function,
    If,
    Kind,
    Loop,
    Op,
    Phi,
    Span,
    Take,
    Var,
)

VECTOR = Kind("float", 1)
MATRIX = Kind("float", 2)
LINE = Loc("user.py", 7, 4)
ZERO, ONE, N = Const(0), Const(1), Var("n")


def getitem(target, array, *indices):
    """``target = array[indices]``, every index an integer."""
    pattern = tuple(Take() for _ in indices)
    return Assign(target, Op("getitem", (Var(array), *indices), Attrs(index=pattern)), LINE)


def setitem(target, value, array, *indices):
    """``array[indices] = value`` as the new version ``target`` of ``array``."""
    pattern = tuple(Take() for _ in indices)
    return Assign(target, Op("setitem", (value, Var(array), *indices), Attrs(index=pattern)))


def op(target, prim, *args, attrs=NO_ATTRS):
    return Assign(target, Op(prim, tuple(args), attrs), LINE)


def for_range(index, start, stop, step, body, carried=()):
    return Loop(tuple(carried), tuple(body), index, start, stop, step, loc=LINE)


def summing_loop(index_stmts, start=ZERO, stop=N, step=ONE):
    """``s = 0.0; for i in range(start, stop, step): <index_stmts>; s = s + x[k]``
    where ``index_stmts`` compute ``k``."""
    body = [*index_stmts, getitem("xk", "x", Var("k")), op("s2", "add", Var("s"), Var("xk"))]
    return for_range("i", start, stop, step, body, [Carry("s", Const(0.0), Var("s2"))])


def proven(body, params=("x",), param_kinds=(VECTOR,), same_shape=None) -> bool:
    fn = Function("f", tuple(params), tuple(body), Var("s"))
    kinds = analysis.analyze(fn, list(param_kinds)).kinds
    return analysis.indices_in_bounds(fn, kinds, same_shape)


N_IS_LEN_X = op("n", "shape", Var("x"), attrs=Attrs(axis=0))


# -- the bounds prover --------------------------------------------------------


def test_x_i_over_range_of_its_length_is_in_bounds():
    assert proven([N_IS_LEN_X, summing_loop([Assign("k", Var("i"))])])


def test_x_i_plus_1_over_range_of_its_length_is_not():
    assert not proven([N_IS_LEN_X, summing_loop([op("k", "add", Var("i"), Const(1))])])


def test_x_i_plus_1_over_range_of_its_length_minus_1_is_in_bounds():
    stop = op("m", "sub", Var("n"), Const(1))
    loop = summing_loop([op("k", "add", Var("i"), Const(1))], stop=Var("m"))
    assert proven([N_IS_LEN_X, stop, loop])


def test_x_i_minus_1_from_0_is_not_in_bounds():
    assert not proven([N_IS_LEN_X, summing_loop([op("k", "sub", Var("i"), Const(1))])])


def test_counting_down_to_zero_is_in_bounds():
    start = op("m", "sub", Var("n"), Const(1))
    loop = summing_loop([Assign("k", Var("i"))], start=Var("m"), stop=Const(-1), step=Const(-1))
    assert proven([N_IS_LEN_X, start, loop])
    past = summing_loop([Assign("k", Var("i"))], start=Var("n"), stop=Const(-1), step=Const(-1))
    assert not proven([N_IS_LEN_X, past])


def test_an_index_of_unknown_origin_is_not_proven():
    assert not proven([summing_loop([Assign("k", Var("i"))])], ("x", "n"), (VECTOR, INT))


def test_sizes_of_np_zeros_and_remainders():
    made = op("z", "zeros", Const(3))  # z = np.zeros(3); read z[i % 3]
    body = [
        N_IS_LEN_X,
        made,
        for_range(
            "i",
            Const(0),
            Var("n"),
            Const(1),
            [op("k", "mod", Var("i"), Const(3)), getitem("zk", "z", Var("k"))],
        ),
        Assign("s", Const(0.0)),
    ]
    assert proven(body)
    body[1] = op("z", "zeros", Const(2))
    assert not proven(body)


def test_an_index_on_one_branch_of_an_if_is_checked():
    bad = If(Var("c"), (), (getitem("xk", "x", Var("n")),))
    assert not proven(
        [N_IS_LEN_X, bad, Assign("s", Const(0.0))], ("x", "c"), (VECTOR, Kind("bool"))
    )
    good = If(Var("c"), (), (getitem("xk", "x", Const(0)),))
    zeros = op("x2", "zeros", Const(1))
    body = [zeros, If(Var("c"), (), (getitem("xk", "x2", Const(0)),)), Assign("s", Const(0.0))]
    assert proven(body, ("x", "c"), (VECTOR, Kind("bool")))
    assert not proven([good, Assign("s", Const(0.0))], ("x", "c"), (VECTOR, Kind("bool")))


def test_same_shape_lets_one_array_borrow_anothers_size():
    loop = for_range("i", Const(0), Var("n"), Const(1), [getitem("yk", "y", Var("i"))])
    body = [N_IS_LEN_X, loop, Assign("s", Const(0.0))]
    assert not proven(body, ("x", "y"), (VECTOR, VECTOR))
    assert proven(body, ("x", "y"), (VECTOR, VECTOR), same_shape={"y": "x"})


def test_a_count_of_iterations_is_at_most_the_trip_count_after_its_loop():
    # c = 0; for i in range(len(x)): c = c + 1 (may break); for j in range(c): x[j]
    def body(start):
        count = Carry("c", Const(start), Var("c2"))
        counting = for_range("i", ZERO, N, ONE, [op("c2", "add", Var("c"), ONE)], [count])
        reading = for_range("j", ZERO, Var("c"), ONE, [getitem("xj", "x", Var("j"))])
        return [N_IS_LEN_X, counting, reading, Assign("s", Const(0.0))]

    assert proven(body(0))
    assert not proven(body(1))  # not a count from 0


def test_a_tape_has_its_length_then_the_axes_of_what_it_records():
    # t = np.empty((n,) + x.shape); for i in range(n): t[i, j] for j = 0 or i
    def body(second_index):
        tape = op("t", "tape", N, Var("x"), attrs=Attrs(dtype="float"))
        loop = for_range("i", ZERO, N, ONE, [getitem("ti", "t", Var("i"), second_index)])
        return [N_IS_LEN_X, tape, loop, Assign("s", Const(0.0))]

    assert proven(body(Var("i")))  # x's length is n
    assert not proven(body(ONE))


# -- kinds and activity -------------------------------------------------------


def test_kinds_and_activity_of_a_loop():
    body = [N_IS_LEN_X, summing_loop([Assign("k", Var("i"))])]
    fn = Function("f", ("x",), tuple(body), Var("s"))
    result = analysis.analyze(fn, [VECTOR], wrt=("x",))
    assert result.kinds["n"] == INT and result.kinds["i"] == INT
    assert result.kinds["xk"] == FLOAT and result.kinds["s"] == FLOAT
    assert result.active == {"x", "xk", "s", "s2"}
    assert not analysis.analyze(fn, [VECTOR]).active


def test_a_carried_int_that_meets_a_float_becomes_a_float():
    body = (op("s2", "add", Var("s"), Const(0.5)),)
    loop = for_range("i", Const(0), Const(3), Const(1), body, [Carry("s", Const(0), Var("s2"))])
    fn = Function("f", ("x",), (loop,), Var("s"))
    assert analysis.analyze(fn, [FLOAT]).kinds["s"] == FLOAT


def test_activity_reaches_a_value_through_two_carried_values():
    # a = b = 0.0; for i in range(3): a, b = b, x  (a is active from the second iteration)
    body = (Assign("a2", Var("b")), Assign("b2", Var("x")))
    carried = [Carry("a", Const(0.0), Var("a2")), Carry("b", Const(0.0), Var("b2"))]
    loop = for_range("i", ZERO, Const(3), ONE, body, carried)
    fn = Function("f", ("x",), (loop,), Var("a"))
    assert analysis.analyze(fn, [FLOAT], wrt=("x",)).active == {"x", "a", "a2", "b", "b2"}


@pytest.mark.parametrize("size", [AxisSize.ONE, AxisSize.MATCHES])
def test_np_zeros_of_a_size_read_from_an_array_has_its_axis_size(size):
    x_kind = Kind("float", 1, unit=(0,) if size is AxisSize.ONE else ())
    fn = Function("f", ("x",), (N_IS_LEN_X, op("z", "zeros", N)), Var("z"))
    assert analysis.analyze(fn, [x_kind]).kinds["z"].size(0) is size


@pytest.mark.parametrize("size", [AxisSize.ONE, AxisSize.MATCHES])
def test_np_eye_and_reshape_of_a_size_copied_from_an_array_have_its_axis_size(size):
    x_kind = Kind("float", 1, unit=(0,) if size is AxisSize.ONE else ())
    body = (
        N_IS_LEN_X,
        Assign("m", N),  # m = n: the fact follows the copy
        op("e", "eye", Var("m")),
        op("r", "reshape", Var("x"), Const(1), Var("m")),
    )
    kinds = analysis.analyze(Function("f", ("x",), body, Var("e")), [x_kind]).kinds
    assert kinds["e"].sizes() == [size, size]
    assert kinds["r"].sizes() == [AxisSize.ONE, size]


def test_phi_of_ranks_1_and_2_is_a_shape_error_at_the_users_line():
    branch = If(Var("c"), (), (), (Phi("p", Var("v"), Var("m")),), loc=LINE)
    fn = Function("f", ("c", "v", "m"), (branch,), Var("p"))
    with pytest.raises(ShapeError) as info:
        analysis.analyze(fn, [Kind("bool"), VECTOR, MATRIX])
    assert info.value.loc == LINE
    assert "'p' is an array of rank 1 on one branch and of rank 2 on the other" in str(info.value)
    joined = analysis.analyze(fn, [Kind("bool"), VECTOR, FLOAT]).kinds["p"]
    assert joined.rank == 1


def test_an_operation_on_ranks_that_do_not_fit_is_a_shape_error():
    fn = Function("f", ("v",), (op("y", "outer", Var("v"), Var("v")),), Var("y"))
    with pytest.raises(ShapeError) as info:
        analysis.analyze(fn, [Kind("float", 3)])
    assert info.value.loc == LINE and "operands: float[:,:,:]" in str(info.value)


def test_range_over_a_float_and_differentiating_an_int_are_refused():
    loop = for_range("i", Const(0), Var("x"), Const(1), [])
    with pytest.raises(ShapeError, match=r"range\(\) takes ints, got float"):
        analysis.analyze(Function("f", ("x",), (loop,), Var("x")), [FLOAT])
    with pytest.raises(ArgumentError, match="'k': it is an int array"):
        analysis.analyze(Function("f", ("k",), (), Var("k")), [Kind("int", 1)], wrt=("k",))


@pytest.mark.parametrize(
    "operand, adjoint, expected",
    [
        (FLOAT, VECTOR, True),  # a scalar broadcast to a vector
        (VECTOR, VECTOR, False),
        (Kind("float", 1, unit=(0,)), VECTOR, True),  # x[None]-like: size 1
        (Kind("float", 1, maybe=(0,)), VECTOR, True),  # maybe size 1
        (Kind("float", 1, unit=(0,)), Kind("float", 1, unit=(0,)), False),
        (MATRIX, VECTOR, False),  # a smaller adjoint broadcasts
    ],
)
def test_needs_sum(operand, adjoint, expected):
    assert analysis.needs_sum(operand, adjoint) is expected


def test_join_keeps_only_the_axis_facts_both_sides_share():
    sure = Kind("float", 2, unit=(0,))
    assert analysis.join(sure, sure) == sure
    assert analysis.join(sure, MATRIX) == Kind("float", 2, maybe=(0,))
    assert analysis.join(Kind("int"), FLOAT).dtype == "float"


# -- memory sharing -----------------------------------------------------------


def _view_then_write(read_after: bool):
    """``t = x * 2; r = t[0]; t[1] = 5.0; y = r[0]``, or ``y = r[0]`` first."""
    make = [op("t", "mul", Var("x"), Const(2.0)), getitem("r", "t", Const(0))]
    write = setitem("t2", Const(5.0), "t", Const(1))
    read = getitem("y", "r", Const(0))
    body = [*make, write, read] if read_after else [*make, read, write]
    return Function("f", ("x",), tuple(body), Var("y"))


def test_a_view_read_after_a_write_into_its_array_is_refused():
    with pytest.raises(SymDiffError) as info:
        analysis.analyze(_view_then_write(read_after=True), [MATRIX])
    assert "'r', which shares memory with 't'" in str(info.value)
    assert info.value.loc == LINE


def test_a_view_read_before_the_write_or_in_generated_code_is_fine():
    analysis.analyze(_view_then_write(read_after=False), [MATRIX])
    analysis.analyze(_view_then_write(read_after=True), [MATRIX], generated=True)


def test_writing_into_an_input_array_is_refused():
    write = Assign("x2", setitem("x2", Const(1.0), "x", Const(0)).value, LINE)
    fn = Function("f", ("x",), (write,), Var("x2"))
    with pytest.raises(ShapeError, match="writing into the input array 'x'"):
        analysis.analyze(fn, [VECTOR])
    analysis.analyze(fn, [VECTOR], generated=True)  # derivative code writes its adjoints


def test_an_in_place_update_of_a_view_of_an_input_is_refused():
    view = getitem("w", "x", Const(0))
    update = op("w2", "add", Var("w"), Const(1.0), attrs=Attrs(inplace=True))
    fn = Function("f", ("x",), (view, update), Var("w2"))
    with pytest.raises(ShapeError, match="in-place update of a view of the input array 'x'"):
        analysis.analyze(fn, [MATRIX])
    copy = op("w", "mul", Var("x"), Const(1.0))
    analysis.analyze(Function("f", ("x",), (copy, update), Var("w2")), [MATRIX])


@pytest.mark.parametrize("name", ["symdiff.analysis.kinds", "symdiff.analysis.bounds"])
def test_docstring_examples_run(name):
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    assert sum(len(test.examples) for test in tests) >= 3
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# -- extents: axes known to have one size ----------------------------------------


def _extents(body, param_kinds, params=("x",)):
    return analysis.analyze(Function("f", params, tuple(body), Var("r")), param_kinds)


def _slice(target, source, start=None, stop=None):
    span = Span(start=start is not None, stop=stop is not None)
    bounds = [Const(b) for b in (start, stop) if b is not None]
    return op(target, "getitem", Var(source), *bounds, attrs=Attrs(index=(span,)))


def test_slices_cut_from_both_ends_by_the_same_count_have_one_shape():
    body = [
        _slice("a", "x", start=1),
        _slice("b", "x", stop=-1),
        _slice("c", "x", start=2, stop=-1),
        _slice("d", "a", start=2),
        _slice("e", "x", stop=2),  # min(2, len(x)): a slice of x's axis by its bounds
        _slice("f", "y", stop=2),  # the same slice of y's axis, equal to x's or not
        _slice("g", "x", stop=3),
        _slice("h", "x", stop=2),
        op("r", "sub", Var("a"), Var("b")),
    ]
    facts = _extents(body, [VECTOR, VECTOR], params=("x", "y"))
    assert facts.same_shape("a", "b") and facts.same_shape("r", "a")
    assert facts.same_shape("c", "d") and not facts.same_shape("a", "c")
    assert facts.same_shape("e", "h") and not facts.same_shape("x", "a")
    assert not facts.same_shape("e", "f") and not facts.same_shape("e", "g")
    assert not facts.same_shape("e", "a")


def test_an_eye_of_a_size_read_from_an_array_has_that_arrays_extent():
    body = [
        N_IS_LEN_X,
        op("e", "eye", N),
        op("t", "transpose", Var("x")),
        op("p", "matmul", Var("x"), Var("t")),
        op("r", "add", Var("p"), Var("e")),
    ]
    facts = _extents(body, [Kind("float", 2)])
    assert facts.same_shape("e", "p") and facts.same_shape("r", "e")
    assert not facts.same_shape("e", "x")  # x is n x m


def test_a_carried_value_keeps_an_extent_only_if_each_iteration_does():
    """y = y[1:] in a loop: y's size changes each iteration."""
    body = (_slice("y2", "y", start=1),)
    loop = for_range("i", ZERO, Const(3), ONE, body, [Carry("y", Var("x"), Var("y2"))])
    fn = Function("f", ("x",), (loop, op("r", "add", Var("y"), Var("x"))), Var("r"))
    facts = analysis.analyze(fn, [VECTOR])
    assert not facts.same_shape("y", "x") and facts.extents["y"] == (None,)


def test_a_sum_to_result_is_not_taken_to_have_its_targets_shape():
    # sum_to(g, x) with g of shape (1,): the adjoint broadcasts as it is and stays of
    # size 1 (primitives' sum_to_kind); indexing it over x's length is not in bounds
    one = Kind.of_sizes("float", [AxisSize.ONE])
    summed = op("g2", "sum_to", Var("g"), Var("x"))
    body = [getitem("xk", "g2", Var("i")), op("s2", "add", Var("s"), Var("xk"))]
    loop = for_range("i", ZERO, N, ONE, body, [Carry("s", Const(0.0), Var("s2"))])
    assert not proven([N_IS_LEN_X, summed, loop], ("x", "g"), (VECTOR, one))
