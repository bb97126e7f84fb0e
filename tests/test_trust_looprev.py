"""Trust regressions in reverse mode around loops: broadcastable adjoints
brought to full shape where they leave a loop, bounds checks decided on the
derivative code, string statements that are not markers, reads of rows the
loop writes, kinds of values computed inside loops."""

import ast

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings

from symdiff import SymDiffError, grad, value_and_grad
from symdiff.verify import finite_difference, float_argnums

from . import test_loop_properties as tlp

rng = np.random.default_rng(7)


def r(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def _finite_differences(fn, args):
    out = []
    for i in float_argnums(args):
        elements = list(np.ndindex(np.shape(args[i]))) if np.ndim(args[i]) else [()]
        values = [finite_difference(fn, args, i, element=e) for e in elements]
        out.append(np.array(values).reshape(np.shape(args[i])))
    return out


def _check_both_modes(fn, args, jit=False):
    """Reverse and forward mode agree with Python's value and with finite
    differences, gradients in their parameters' shapes."""
    expected = _finite_differences(fn, args)
    argnums = float_argnums(args)
    for mode in ("reverse", "forward"):
        value, grads = value_and_grad(fn, argnums, mode=mode, jit=jit)(*args)
        assert value == pytest.approx(fn(*args), rel=1e-12)
        for got, want in zip(grads, expected):
            assert np.shape(got) == np.shape(want), mode
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=mode)


def _ids(cases):
    return [f"{case[0].__name__}-{k}" for k, case in enumerate(cases)]


# ---------------------------------------------------------------------------
# 1. The adjoint of a reduction that feeds a loop has its operand's shape.


def full_sum_then_loop(W, s):
    acc = np.sum(W)
    for _i in range(3):
        acc = acc * s
    return acc


def sum_of_reshape_then_loop(X, s):
    acc = np.sum(X.reshape(-1))
    for _i in range(3):
        acc = acc * s
    return acc


def sum_of_column_then_loop(x, s):
    u = np.sum(x.reshape((-1, 1)))
    out = 0.0
    for _i in range(3):
        out += u * s
    return out


def keepdims_sum_then_loop(W, s):
    acc = np.sum(W, axis=1, keepdims=True)
    for _i in range(2):
        acc = acc * s + acc
    return np.sum(acc * W)


def mean_then_while(W, s):
    acc = np.mean(W)
    k = 0
    while k < 3:
        acc = acc * s
        k += 1
    return acc


def full_sum_inside_loop(W, s):
    acc = 0.0
    for _i in range(3):
        acc = acc * s + np.sum(W.reshape(-1)) * s
    return acc


def reduction_into_nested_loop(W, s):
    acc = np.sum(W, keepdims=True)
    for _i in range(2):
        for _j in range(2):
            acc = acc * s
    return np.sum(acc)


REDUCTIONS = [
    (full_sum_then_loop, (r(3, 2), 1.3)),
    (sum_of_reshape_then_loop, (r(3, 2), 1.3)),
    (sum_of_column_then_loop, (r(3), 1.3)),
    (keepdims_sum_then_loop, (r(3, 2), 0.7)),
    (mean_then_while, (r(2, 3), 1.1)),
    (full_sum_inside_loop, (r(2, 2), 0.9)),
    (reduction_into_nested_loop, (r(3, 2), 0.8)),
]


@pytest.mark.parametrize("fn, args", REDUCTIONS, ids=_ids(REDUCTIONS))
def test_reduction_adjoint_reaches_full_shape_across_a_loop(fn, args):
    _check_both_modes(fn, args)


def test_reduction_adjoint_across_a_loop_compiled():
    _check_both_modes(sum_of_reshape_then_loop, (r(3, 2), 1.3), jit=True)


# ---------------------------------------------------------------------------
# 3. String statements are ignored wherever they are (no marker leaks in).


def string_in_for(x):
    s = 0.0
    for _ in range(3):
        "<break>"
        s += x
    return s


def string_in_if_in_loop(x):
    s = 0.0
    for i in range(4):
        if i > 1:
            "<break>"
            s += x * i
        else:
            "<continue>"
            s += x
    return s


def string_in_while(x):
    s = 0.0
    k = 0
    while k < 3:
        "<break>"
        "<return>"
        s = s * x + x
        k += 1
    return s


def strings_in_body(x):
    "<break>"
    y = x * 2.0
    "<return>"
    if y > 0.0:
        "<break>"
        y = y * x
    return y


def string_after_real_break(x):
    s = 0.0
    for i in range(5):
        s += x * i
        if i == 2:
            "<break>"
            break
    return s


STRINGS = [
    (string_in_for, (1.0,)),
    (string_in_if_in_loop, (0.7,)),
    (string_in_while, (0.9,)),
    (strings_in_body, (0.6,)),
    (string_after_real_break, (1.3,)),
]


@pytest.mark.parametrize("fn, args", STRINGS, ids=_ids(STRINGS))
def test_string_statements_are_ignored(fn, args):
    _check_both_modes(fn, args)


# ---------------------------------------------------------------------------
# 5. Matrix products and reductions inside loops, over size-1 axes.


def vector_times_column(x, B):
    acc = 0.0
    for _ in range(2):
        acc += np.sum(x @ B)
    return acc


def row_times_vector(A, v):
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(A @ v) * i
    return acc


def row_matrix_product(x, B):
    acc = 0.0
    for _ in range(2):
        acc = acc * 0.5 + np.sum(x.reshape((1, -1)) @ B)
    return acc


def column_sum_in_loop(W, s):
    acc = np.zeros(3)
    for _ in range(3):
        acc = acc * s + np.sum(W, axis=0)
    return np.sum(acc * acc)


def keepdims_mean_in_loop(W, s):
    h = np.zeros((1, 1))
    for _ in range(2):
        h = h * s + np.mean(W, axis=1, keepdims=True)
    return np.sum(h)


def outer_in_loop(x, y):
    acc = 0.0
    for _ in range(2):
        acc = acc + np.sum(np.outer(x, y) * acc) + np.sum(np.outer(x, y))
    return acc


SIZE_ONE = [
    (vector_times_column, (r(3), r(3, 1))),
    (row_times_vector, (r(1, 3), r(3))),
    (row_matrix_product, (r(3), r(3, 1))),
    (column_sum_in_loop, (r(1, 3), 0.6)),
    (keepdims_mean_in_loop, (r(1, 3), 0.8)),
    (outer_in_loop, (r(1), r(2))),
]


@pytest.mark.parametrize("fn, args", SIZE_ONE, ids=_ids(SIZE_ONE))
def test_array_ops_over_size_one_axes_inside_loops(fn, args):
    _check_both_modes(fn, args)


# ---------------------------------------------------------------------------
# 4. Rows and other parts of an array the loop writes into, read in reverse
#    mode from a tape (as elements are).


def row_read_after_write(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    for i in range(3):
        out[i] = x * (i + 1.0)
        acc = acc + np.sum(out[i]) * 0.7
    return acc


def row_recurrence(x):
    out = np.zeros((4, x.shape[0]))
    out[0] = x
    for i in range(3):
        out[i + 1] = np.sin(out[i]) * x
    return np.sum(out * out)


def row_read_with_slice(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    for i in range(3):
        out[i, :] = np.cos(x) * i + x
        acc = acc + np.sum(out[i, :] * out[i, :])
    return acc


def column_read(x):
    out = np.zeros((x.shape[0], 3))
    acc = 0.0
    for j in range(3):
        out[:, j] = x * x + j
        acc = acc + np.sum(np.tanh(out[:, j]))
    return acc


def row_read_in_branch(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    for i in range(3):
        out[i] = x * (i - 1.0)
        if i > 0:
            acc = acc + np.sum(out[i - 1] * out[i])
    return acc


def row_read_in_while(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    i = 0
    while i < 3:
        out[i] = np.exp(x * i)
        acc = acc + np.sum(out[i] ** 2)
        i += 1
    return acc


def plane_of_3d(x):
    out = np.zeros((2, x.shape[0], x.shape[1]))
    acc = 0.0
    for i in range(2):
        out[i] = x * (i + 2.0)
        acc = acc + np.sum(out[i] * out[i])
    return acc


ROWS = [
    (row_read_after_write, (r(3),)),
    (row_recurrence, (r(3),)),
    (row_read_with_slice, (r(2),)),
    (column_read, (r(4),)),
    (row_read_in_branch, (r(3),)),
    (row_read_in_while, (r(2),)),
    (plane_of_3d, (r(2, 3),)),
]


@pytest.mark.parametrize("fn, args", ROWS, ids=_ids(ROWS))
def test_rows_read_from_arrays_the_loop_writes(fn, args):
    _check_both_modes(fn, args)


def test_rows_read_from_arrays_the_loop_writes_compiled():
    for fn, args in ROWS[:2] + ROWS[5:6]:
        _check_both_modes(fn, args, jit=True)


def bounded_slice_read(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    for i in range(3):
        out[i] = x * (i + 1.0)
        acc = acc + np.sum(np.sin(out[i, 1:]))
    return acc


def test_read_whose_shape_may_change_is_refused_clearly():
    with pytest.raises(SymDiffError) as info:
        grad(bounded_slice_read, jit=False)(r(3))
    assert "acc = acc + np.sum(np.sin(out[i, 1:]))" in str(info.value)
    assert "mode='forward'" in str(info.value)


# ---------------------------------------------------------------------------
# 2. Bounds checks are decided on the derivative code that is compiled.


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def taped_recurrence(x):
    s = 1.0
    for i in range(1, len(x)):
        s = np.sin(s) * x[i] + x[i - 1]
    return s


def written_then_read_back(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] * x[i]
    acc = 0.0
    for i in range(len(x)):
        acc = acc * 0.5 + out[i] * x[i]
    return acc


def rows_on_a_tape(x):
    out = np.zeros((3, x.shape[0]))
    acc = 0.0
    for i in range(3):
        out[i] = np.sin(x) * (i + 1.0)
        acc = acc + np.sum(out[i] * out[i])
    return acc


def outer_then_elements(x, y):
    out = np.empty((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            out[i, j] = np.exp(-((x[i] - y[j]) ** 2))
    return np.sum(out @ y)


def breaks_early(x):
    s = 0.0
    for i in range(len(x)):
        s += np.exp(x[i]) * s + x[i]
        if s > 5.0:
            break
    return s


def stops_when_small(a):
    s = 1.0
    while s > 0.1:
        s = s * a
    return s


def counted_then_indexed(x):
    j = 0
    for _ in range(len(x) - 5):
        j += 1
    return x[j + 4] * 2.0  # j is len(x) - 5 only if the loop ran


# (function, arguments, is every index of its gradient provably in bounds?)
BOUNDS = [
    (rosenbrock, (r(5),), True),
    (taped_recurrence, (r(5),), True),
    (written_then_read_back, (r(4),), True),
    (rows_on_a_tape, (r(3),), True),
    (outer_then_elements, (r(3), r(2)), True),
    (breaks_early, (np.array([0.3, 0.5, 2.9, 0.1]),), True),  # x[k], k < iterations run
    (stops_when_small, (0.5,), False),  # tapes grown as the loop runs
    (counted_then_indexed, (r(6),), False),
]


@pytest.mark.parametrize("fn, args, proven", BOUNDS, ids=_ids(BOUNDS))
def test_bounds_checks_follow_the_derivative_code(fn, args, proven):
    derivative = grad(fn, float_argnums(args)).derivative(*args)
    assert derivative.boundscheck is not proven
    assert ("compiled without bounds checks" in derivative.source) is proven
    _check_both_modes(fn, args)


def test_bounds_checks_kept_where_only_the_function_is_proven():
    """The function has no index; its gradient reads tapes."""
    from symdiff import analysis, frontend

    primal = frontend.parse(stops_when_small)
    assert analysis.indices_in_bounds(primal, analysis.analyze(primal, [analysis.FLOAT]).kinds)
    assert grad(stops_when_small).derivative(0.5).boundscheck


def test_compiled_without_bounds_checks_runs_the_same():
    for fn, args, proven in BOUNDS:
        if proven:
            _check_both_modes(fn, args, jit=True)


def rows_of_two_arrays(x):
    a = np.zeros((2, x.shape[0]))
    b = np.zeros((2, 1))
    acc = 0.0
    for i in range(2):
        a[i] = np.sum(x) * (i + 1.0)
        acc = acc + np.sum(a[i] * a[i])
        a, b = b, a
    return acc


def test_rows_of_arrays_swapped_in_the_loop_are_refused_clearly():
    """The rows read may be of either array (of other shapes): no tape of
    one shape can hold them."""
    with pytest.raises(SymDiffError) as info:
        grad(rows_of_two_arrays, jit=False)(r(3))
    assert "acc = acc + np.sum(a[i] * a[i])" in str(info.value)


class _CheckIndices(ast.NodeTransformer):
    """Every subscript ``a[index]`` of generated code made ``a[_checked(a, index)]``."""

    def visit_Subscript(self, node):
        self.generic_visit(node)
        node.slice = ast.Call(ast.Name("_checked", ast.Load()), [node.value, node.slice], [])
        return node


def _checked(array, index):
    """``index``, after checking that each int in it is within ``array``
    (Python would wrap a negative one; the compiled code would not)."""
    if isinstance(array, np.ndarray):
        items = index if isinstance(index, tuple) else (index,)
        for axis, item in enumerate(items):
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                assert 0 <= item < array.shape[axis], (item, array.shape, axis)
    return index


def _run_with_checked_indices(source, args):
    tree = ast.fix_missing_locations(_CheckIndices().visit(ast.parse(source)))
    namespace = {"_checked": _checked}
    exec(compile(tree, "<checked>", "exec"), namespace)
    name = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)][-1]
    return namespace[name](*args)


@pytest.fixture(scope="module")
def load_program(tmp_path_factory):
    return tlp.Loader(tmp_path_factory.mktemp("bounds_programs"))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(tlp.cases())
def test_gradients_compiled_without_checks_index_within_arrays(load_program, case):
    """Random loop programs: where the gradient is compiled without bounds
    checks, running it with every index checked finds none outside."""
    loaded, args = load_program(case.program), tlp._args(case)
    assume(tlp._evaluate(loaded.fn, args) is not None)
    try:
        derivative = grad(loaded.fn, argnums=(0, 1), jit=False).derivative(*args)
    except SymDiffError:
        assume(False)
    note(derivative.source)
    if not derivative.boundscheck:
        _run_with_checked_indices(derivative.source, args)


def grows_in_the_loop(W, s):
    h = np.sum(W, axis=1, keepdims=True)
    for _ in range(2):
        h = np.tanh(h * s + W)
    return np.sum(h)


def test_carried_array_grown_by_broadcasting_is_refused_clearly():
    args = (r(2, 3), 0.7)
    with pytest.raises(SymDiffError) as info:
        grad(grows_in_the_loop, jit=False)(*args)
    assert "'h' grows by broadcasting" in str(info.value)
    assert info.value.lineno == grows_in_the_loop.__code__.co_firstlineno + 2
    forward = grad(grows_in_the_loop, (0, 1), mode="forward", jit=False)(*args)
    np.testing.assert_allclose(
        forward[0], _finite_differences(grows_in_the_loop, args)[0], rtol=1e-6
    )
