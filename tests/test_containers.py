"""Containers and iteration: lists, dicts, comprehensions, builtins over
containers, unrolled loops over containers, real loops over arrays, ``*args``.

Each row is differentiated in both modes and checked against central finite
differences of the user's own function (and, where written, against a flat
rewrite of it).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symdiff
from symdiff import SymDiffError, pytree

from . import container_cases as cc

RNG = np.random.default_rng(11)


def _mlp(*sizes):
    return [(RNG.normal(size=(m, n)), RNG.normal(size=n)) for m, n in zip(sizes, sizes[1:])]


X = RNG.normal(size=(4, 3))
Y = RNG.normal(size=(5, 3))
PARAMS = _mlp(3, 4, 2)
THREE = [0.7, -1.2, 0.4]
FOUR = [0.3, 0.5, -0.2, 0.8]

# (function, arguments, argnums)
CASES = [
    (cc.list_literal_and_append, (0.7, -1.3), (0, 1)),
    (cc.extend_setitem_dict, (0.7, -1.3), (0, 1)),
    (cc.nested_alias, (0.7, -1.3), (0, 1)),
    (cc.append_in_branches, (0.7, -1.3), (0, 1)),
    (cc.append_in_branches, (-0.7, 1.3), (0, 1)),
    (cc.append_in_helper, (0.7, -1.3), (0, 1)),
    (cc.pop_insert_get, (0.7, -1.3), (0, 1)),
    (cc.comprehensions, (THREE, 1.3), (0, 1)),
    (cc.generator_sums, (PARAMS, X), (0,)),
    (cc.builtins_over_containers, (THREE, 1.3), (0, 1)),
    (cc.numpy_over_lists, (X, X[::-1] * 0.5, 1.3), (0, 1, 2)),
    (cc.layers, (PARAMS, X), (0, 1)),
    (cc.layers_enumerate, (PARAMS, X), (0,)),
    (cc.layers_by_index, (_mlp(3, 4, 4, 2), X), (0,)),
    (cc.dict_items_loop, ({"b": 0.5, "a": -1.5}, 1.3), (0, 1)),
    (cc.zip_loop, (THREE, (1.0, 2.0)), (0, 1)),
    (cc.unrolled_in_real_loop, (THREE, 0.6, 3), (0, 1)),
    (cc.real_loop_in_unrolled, (THREE, 0.6, 3), (0, 1)),
    (cc.break_continue, (FOUR, 1.3), (0, 1)),
    (cc.runtime_break, (FOUR, 1.3), (0, 1)),
    (cc.runtime_break, (FOUR, 0.2), (0, 1)),
    (cc.loop_variable_after, (THREE, 1.3), (0, 1)),
    (cc.build_list_in_loop, (THREE, 1.3), (0, 1)),
    (cc.rows, (X, RNG.normal(size=3)), (0, 1)),
    (cc.enumerate_rows, (X, RNG.normal(size=3)), (0, 1)),
    (cc.zip_arrays, (X, Y), (0, 1)),
    (cc.zip_range_array, (RNG.normal(size=5), 4), (0,)),
    (cc.reversed_array, (RNG.normal(size=4),), (0,)),
    (cc.tuple_algebra, (0.7, -1.3), (0, 1)),
    (cc.star_calls, (0.7, -1.3), (0, 1)),
    (cc.array_of_built_list, (0.7, -1.3), (0, 1)),
    (cc.nested_unrolled, (PARAMS, THREE), (0, 1)),
    (cc.builtin_sum_of_arrays, (RNG.normal(size=3), X), (0, 1)),
    (cc.dict_built_by_key, (0.7, -1.3), (0, 1)),
]
IDS = [f"{fn.__name__}-{k}" for k, (fn, _, _) in enumerate(CASES)]


def _float_leaves(value):
    tree = pytree.describe(value)
    return tree, pytree.flatten(tree, value, [])


def numeric_gradient(fn, args, argnum):
    """Central differences of ``fn`` with respect to every float leaf of ``args[argnum]``."""
    tree, leaves = _float_leaves(args[argnum])
    grads = []
    for k, leaf in enumerate(leaves):
        base = np.asarray(leaf, dtype=float)
        grad = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            values = []
            for step in (1e-6, -1e-6):
                moved = base.copy()
                moved[index] += step
                new = list(leaves)
                new[k] = moved if base.ndim else float(moved)
                shifted = list(args)
                shifted[argnum] = pytree.unflatten(tree, iter(new))
                values.append(fn(*shifted))
            grad[index] = (values[0] - values[1]) / 2e-6
        grads.append(grad)
    return grads


def _assert_close(got, expected, argnum):
    tree, leaves = _float_leaves(got)
    assert len(leaves) == len(expected)
    for leaf, want in zip(leaves, expected):
        np.testing.assert_allclose(np.asarray(leaf, dtype=float), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, args, argnums", CASES, ids=IDS)
def test_against_finite_differences(fn, args, argnums, mode):
    value, grads = symdiff.value_and_grad(fn, argnums=argnums, mode=mode, jit=False)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    for argnum, grad in zip(argnums, grads):
        _assert_close(grad, numeric_gradient(fn, args, argnum), argnum)


@pytest.mark.parametrize(
    "fn, args, argnums",
    [
        CASES[IDS.index(name)]
        for name in ("layers-11", "rows-23", "star_calls-29", "runtime_break-19")
    ],
)
def test_compiled_with_numba(fn, args, argnums):
    for mode in ("reverse", "forward"):
        grads = symdiff.grad(fn, argnums=argnums, mode=mode, jit=True)(*args)
        for argnum, grad in zip(argnums, grads):
            _assert_close(grad, numeric_gradient(fn, args, argnum), argnum)


def flat_layers(W1, b1, W2, b2, X):
    h = np.tanh(X @ W1 + b1)
    h = np.tanh(h @ W2 + b2)
    return np.sum(h**2)


def test_unrolled_loop_matches_the_flat_rewrite():
    (W1, b1), (W2, b2) = PARAMS
    structured = symdiff.grad(cc.layers, jit=False)(PARAMS, X)
    flat = symdiff.grad(flat_layers, argnums=(0, 1, 2, 3), jit=False)(W1, b1, W2, b2, X)
    for got, want in zip([g for layer in structured for g in layer], flat):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    # The unrolled loop is straight-line code, as if written out by hand.
    source = symdiff.grad(cc.layers, jit=False).source(PARAMS, X)
    assert "for " not in source.split("def layers_grad")[1]


def test_loop_over_an_array_is_a_real_loop():
    source = symdiff.grad(cc.rows, jit=False).source(X, np.ones(3))
    assert "for i in range(X.shape[0]):" in source  # its iterations only add: run forwards
    assert "row = X[i]" in source
    zipped = symdiff.grad(cc.zip_arrays, jit=False).source(X, Y)
    assert "min(X.shape[0], Y.shape[0])" in zipped


def test_constant_range_loops_stay_loops_unless_they_index_containers():
    def plain(x):
        total = 0.0
        for i in range(3):
            total = total + x * i
        return total

    assert "for i in range(3):" in symdiff.grad(plain, jit=False).source(
        0.5
    )  # forwards: it only adds
    source = symdiff.grad(cc.build_list_in_loop, jit=False).source(THREE, 1.3)
    assert "for " not in source.split("def build_list_in_loop_grad")[1]


def test_aliasing_follows_python():
    # ys = xs; xs.append(...) changes ys: the reference is Python itself.
    for fn in (cc.list_literal_and_append, cc.nested_alias, cc.append_in_branches):
        assert symdiff.value_and_grad(fn, jit=False)(0.7, -1.3)[0] == pytest.approx(fn(0.7, -1.3))


def test_generated_code_is_deterministic():
    first = symdiff.grad(cc.comprehensions, jit=False).source(THREE, 1.3)
    assert first == symdiff.grad(cc.comprehensions, jit=False).source(THREE, 1.3)


# -- errors ---------------------------------------------------------------------------------

CASES_FILE = pathlib.Path(cc.__file__)


def marker_line(name):
    lines = CASES_FILE.read_text().splitlines()
    hits = [k for k, line in enumerate(lines, 1) if line.rstrip().endswith(f"# ERR: {name}")]
    assert len(hits) == 1
    return hits[0]


ERRORS = [
    (
        cc.append_on_one_path,
        (0.7, -1.3),
        "one_path_append",
        "list of 2",
        "append to it on every path",
    ),
    (
        cc.comprehension_over_range_arg,
        (0.7, 3),
        "runtime_comprehension",
        "known only when the code runs",
        "accumulator",
    ),
    (
        cc.comprehension_float_filter,
        (THREE,),
        "runtime_filter",
        "filter depends on values",
        "accumulator",
    ),
    (cc.numpy_sum_axis_of_list, (X, X), "sum_axis_list", "takes no axis", "np.stack"),
    (cc.grow_list_runtime, (0.7, 3), "runtime_append", "'outs'", "length of a list must be known"),
    (
        cc.index_with_runtime_range,
        (THREE, 0.7, 3),
        "runtime_index",
        "indexed here by a value computed at run time",
        "range(len(params))",
    ),
    (
        cc.mixed_zip,
        (THREE, X),
        "mixed_zip",
        "zip() of a container and an array",
        "enumerate(params)",
    ),
    (cc.set_literal, (0.7, 1.3), "set_literal", "sets are not supported", "use a list or a tuple"),
    (cc.loop_over_number, (0.7,), "loop_over_number", "cannot iterate over a number", "first axis"),
    (cc.unpack_rows, (X,), "unpack_rows", "cannot unpack a number or an array into 2", "unpack"),
    (cc.tuple_append, (0.7, 1.3), "tuple_append", "a tuple has no method .append()", "list(t)"),
    (
        cc.tuple_store,
        (0.7, 1.3),
        "tuple_store",
        "a tuple of 2 numbers or arrays cannot be changed",
        "use a list",
    ),
    (cc.store_out_of_range, (0.7, 1.3), "store_out_of_range", "index 2 is out of range", "append"),
    (
        cc.star_of_array,
        (X,),
        "star_of_array",
        "come from an array, whose length is known only",
        "unpack containers",
    ),
    (cc.kwargs_of_number, (0.7, 1.3), "kwargs_of_number", "**x is not a dict", "f(**{"),
    (cc.list_plus_tuple, (0.7, 1.3), "list_plus_tuple", "cannot add a list of 1", "tuple(xs) + t"),
    (cc.max_of_empty, (0.7,), "max_of_empty", "max() of an empty sequence", "at least one value"),
    (
        cc.append_in_while,
        (0.7,),
        "append_in_while",
        "'xs' (a list of 1",
        "length of a list must be known",
    ),
]


@pytest.mark.parametrize("fn, args, marker, message, hint", ERRORS, ids=[row[2] for row in ERRORS])
def test_errors_name_the_line_and_what_to_write(fn, args, marker, message, hint):
    for mode in ("reverse", "forward"):
        with pytest.raises(SymDiffError) as info:
            symdiff.grad(fn, mode=mode, jit=False)(*args)
        text = str(info.value)
        assert f"{CASES_FILE.name}:{marker_line(marker)}:" in text
        assert message in text
        assert hint in text


# -- properties ------------------------------------------------------------------------------

_coefficient = st.floats(-2.0, 2.0, allow_nan=False)
_pytrees = st.lists(
    st.lists(_coefficient, min_size=1, max_size=3).map(tuple), min_size=1, max_size=4
)


def flat_polynomial_layers(params, x):
    """polynomial_layers by hand, in plain Python: the reference."""
    values = [sum(c * x**k for k, c in enumerate(p)) for p in params]
    return sum(values) + sum((k + 1) * v for k, v in enumerate(values)) + sum(v**2 for v in values)


def analytic_gradient(params, x):
    grads, dx = [], 0.0
    for k, p in enumerate(params):
        value = sum(c * x**j for j, c in enumerate(p))
        scale = 1.0 + (k + 1) + 2.0 * value
        grads.append(tuple(scale * x**j for j in range(len(p))))
        dx += scale * sum(j * c * x ** (j - 1) for j, c in enumerate(p) if j)
    return grads, dx


@settings(max_examples=25, deadline=None)
@given(_pytrees, st.floats(-1.5, 1.5, allow_nan=False), st.sampled_from(["reverse", "forward"]))
def test_random_pytrees_through_one_program(params, x, mode):
    """Lists of tuples of every small shape: a new specialisation per
    structure, values and gradients equal to the hand-written reference."""
    value, (g_params, g_x) = symdiff.value_and_grad(
        cc.polynomial_layers, argnums=(0, 1), mode=mode, jit=False
    )(params, x)
    assert value == pytest.approx(flat_polynomial_layers(params, x), rel=1e-12, abs=1e-12)
    want_params, want_x = analytic_gradient(params, x)
    assert isinstance(g_params, list) and all(isinstance(g, tuple) for g in g_params)
    for got, want in zip(g_params, want_params):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert g_x == pytest.approx(want_x, rel=1e-10, abs=1e-10)


def test_comprehension_over_a_global_range_follows_the_global():
    for mode in ("reverse", "forward"):
        d = symdiff.grad(cc.comprehension_over_global_range, mode=mode, jit=False)
        try:
            assert d(2.0) == pytest.approx(0.5 + 2.0 * 2.0 / 3.0)
            cc.N_TERMS = 4  # Python reads the global at each call: so does the gradient
            assert d(2.0) == pytest.approx(0.5 + 2.0 * 2.0 / 3.0 + 3.0 * 4.0 / 4.0)
        finally:
            cc.N_TERMS = 3
