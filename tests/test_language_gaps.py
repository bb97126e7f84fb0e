"""Language gaps found by running published example programs: each row is
differentiated in both modes and checked against central finite differences
of the user's own function.
"""

from __future__ import annotations

import numpy as np
import pytest

import symdiff
from symdiff import SymDiffError

from . import language_gap_cases as lc
from .test_containers import _assert_close, numeric_gradient

RNG = np.random.default_rng(17)

PYTREE = {"a": RNG.normal(size=3), "b": RNG.normal(size=(3, 2)), "c": RNG.normal(size=3)}

# (function, arguments, argnums)
CASES = [
    (lc.reductions_of_numbers, (1.5, 2.0), (0, 1)),
    (lc.reductions_of_numbers, (-0.5, 0.7), (0, 1)),
    (lc.map_filter_any_all, ([0.7, 1.3, 2.1], 0.4), (0, 1)),
    (
        lc.recursive_partial_map,
        ((0.5, -0.2), [RNG.normal(size=3), RNG.normal(size=(2, 2))]),
        (0, 1),
    ),
    (lc.zip_of_starred, (PYTREE, RNG.normal(size=2)), (0, 1)),
    (lc.free_layers, ([0.3, RNG.normal(size=3), -0.4], RNG.normal(size=3)), (0, 1)),
    (lc.all_of_runtime_values, (0.5, 1.0), (0,)),
    (lc.all_of_runtime_values, (-1.5, 1.0), (0,)),
    (lc.parsed_layers, (RNG.normal(size=5), RNG.normal(size=3)), (0, 1)),
    (lc.simulate, (RNG.normal(size=24) * 0.3, 3), (0,)),
    (lc.runtime_generators, (RNG.normal(size=3), RNG.normal(size=(4, 3)), 2), (0, 1)),
    (lc.with_varargs, (RNG.normal(size=3),), (0,)),
    (lc.with_varargs, (RNG.normal(size=3), RNG.normal(size=3), 0.5), (0, 1, 2)),
    (lc.flatten_shim, (RNG.normal(size=3), RNG.normal(size=3), 0.5), (0, 2)),
    (lc.type_tests, (([RNG.normal(size=2), 0.3], PYTREE), 0.7), (0, 1)),
]
IDS = [f"{fn.__name__}-{k}" for k, (fn, _, _) in enumerate(CASES)]
JIT = [
    "reductions_of_numbers",
    "map_filter_any_all",
    "zip_of_starred",
    "type_tests",
    "loss",
    "parsed_layers",
    "simulate",
    "runtime_generators",
    "with_varargs",
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, args, argnums", CASES, ids=IDS)
def test_against_finite_differences(fn, args, argnums, mode):
    value, grads = symdiff.value_and_grad(fn, argnums=argnums, mode=mode, jit=False)(*args)
    assert value == pytest.approx(fn(*args), rel=1e-12)
    for argnum, grad in zip(argnums, grads):
        _assert_close(grad, numeric_gradient(fn, args, argnum), argnum)


@pytest.mark.parametrize(
    "fn, args, argnums", [next(c for c in CASES if c[0].__name__ == name) for name in JIT], ids=JIT
)
def test_compiled_with_numba(fn, args, argnums):
    for mode in ("reverse", "forward"):
        grads = symdiff.grad(fn, argnums=argnums, mode=mode, jit=True)(*args)
        for argnum, grad in zip(argnums, grads):
            _assert_close(grad, numeric_gradient(fn, args, argnum), argnum)


def _marked_line(fn, case):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if f"# ERR: {case}" in line:
            return start + offset
    raise AssertionError(f"no ERR marker {case}")


# (function, arguments, marker, words in the message)
ERRORS = [
    (lc.reduction_of_number_along_axis, (1.5,), "number_axis", "out of range for a number"),
    (lc.endless_recursion, (1.5,), "endless_recursion", "more than 16 levels"),
    (lc.branching_recursion, (1.5, 9.0), "branching", "or 256 calls"),
    (lc.keyword_only_without_default, (1.5,), "kwonly_no_default", "without a default"),
    (lc.filtered_array_sum, (np.ones((3, 2)),), "filtered_arrays", "needs a start value"),
    (lc.any_of_arrays, (np.ones(2),), "any_array", "any() of an array"),
]


@pytest.mark.parametrize("fn, args, case, words", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_name_the_users_line(fn, args, case, words):
    with pytest.raises(SymDiffError) as info:
        symdiff.grad(fn, jit=False)(*args)
    err = info.value
    assert err.loc is not None and err.loc.lineno == _marked_line(fn, case)
    assert words in str(err)
    assert err.hint


def test_free_containers_are_read_at_each_call():
    weights, x = [0.3, RNG.normal(size=3), -0.4, 0.9], RNG.normal(size=3)
    layers = [lc.Scale(1.5), lc.Shift(np.array([0.1, -0.2, 0.3]))]
    loss = lc.make_model(layers)
    grad = symdiff.grad(loss, argnums=(0, 1), jit=False)
    for change in (
        lambda: None,
        lambda: setattr(layers[0], "factor", -2.0),
        lambda: layers.append(lc.Scale(0.5)),
    ):
        change()
        for argnum, got in zip((0, 1), grad(weights, x)):
            _assert_close(got, numeric_gradient(loss, (weights, x), argnum), argnum)


KIND_PROGRAMS = [
    (lc.simulate, (RNG.normal(size=24) * 0.3, 3)),
    (lc.parsed_layers, (RNG.normal(size=5), RNG.normal(size=3))),
    (lc.free_layers, ([0.3, RNG.normal(size=3), -0.4], RNG.normal(size=3))),
    (lc.zip_of_starred, (PYTREE, RNG.normal(size=2))),
]


@pytest.mark.parametrize("fn, args", KIND_PROGRAMS, ids=[p[0].__name__ for p in KIND_PROGRAMS])
def test_the_frontend_knows_every_kind_analysis_finds(fn, args):
    """Every value whose kind follows from the arguments' has it while the
    function is converted (``x.shape`` as a tuple, ``x.ndim`` need it), in
    loops over carried arrays, inlined helpers, phis and globals too."""
    from symdiff import pytree
    from symdiff.analysis.kinds import analyze
    from symdiff.frontend import parse_with_kinds

    trees = tuple(pytree.describe(a) for a in args)
    function, known = parse_with_kinds(fn, trees)
    leaf_kinds = tuple(leaf.kind for t in trees for leaf in pytree.leaves(t))
    kinds = leaf_kinds + tuple(record.kind for record in function.implicit)
    found = analyze(function, kinds).kinds
    missing = sorted(name for name in found if name not in known)
    assert not missing
    assert all(found[name].rank == known[name].rank for name in found)


def test_varargs_count_positions_as_jax_does():
    x, a, b = RNG.normal(size=3), RNG.normal(size=3), 0.5
    grads = symdiff.grad(lc.with_varargs, argnums=(1, 2), jit=False)(x, a, b)
    np.testing.assert_allclose(grads[0], 1.0 * x)
    assert grads[1] == pytest.approx(2.0 * np.sum(x))
    with pytest.raises(SymDiffError, match="keyword-only argument 'scale'"):
        symdiff.grad(lc.with_varargs, jit=False)(x, scale=3.0)


def test_a_reduction_of_a_number_is_the_number_in_the_generated_code():
    source = symdiff.grad(lc.sum_of_number, jit=False).source(1.5)
    body = source.split('"""')[-1]
    assert "np.sum" not in body and "np.mean" not in body and ".size" not in body
    assert symdiff.grad(lc.sum_of_number, jit=False)(1.5) == pytest.approx(4.0)
