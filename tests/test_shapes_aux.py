"""Shapes as values, slice objects, ``return`` inside loops and ``has_aux``
(issue 11): both modes against finite differences (and flat rewrites), a
subset compiled with Numba, the generated code where it shows a decision,
and a located error for each refusal."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from symdiff import (
    ArgumentError,
    SymDiffError,
    differentiate,
    frontend,
    grad,
    pytree,
    value_and_grad,
)
from symdiff.verify import finite_difference, float_argnums

from . import shapes_aux_cases as sc

CASES_FILE = Path(sc.__file__)
rng = np.random.default_rng(7)
MODES = ("reverse", "forward")


def r(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def marker_line(name: str) -> int:
    lines = CASES_FILE.read_text().splitlines()
    hits = [i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# ERR: {name}")]
    assert len(hits) == 1
    return hits[0]


def check_against_fd(fn, args, mode, jit=False):
    """Every float argument: symdiff's gradient == central differences, and
    value_and_grad's value == fn(*args)."""
    argnums = float_argnums(args)
    value, grads = value_and_grad(fn, argnums=argnums, mode=mode, jit=jit)(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12, atol=1e-12)
    for position, g in zip(argnums, grads):
        base = args[position]
        elements = np.ndindex(base.shape) if isinstance(base, np.ndarray) else [()]
        for element in elements:
            expected = finite_difference(fn, args, position, element=element)
            np.testing.assert_allclose(np.asarray(g)[element], expected, rtol=1e-6, atol=1e-7)


def _ids(rows):
    return [f"{fn.__name__}-{i}" for i, (fn, _) in enumerate(rows)]


SHAPES = [
    (sc.unpack_shape, (r(3, 4),)),
    (sc.zeros_of_shape, (r(3, 2),)),
    (sc.np_shape_and_ndim, (r(2, 3),)),
    (sc.flatten_rows, (r(2, 3, 2),)),
    (sc.last_axis, (r(2, 3),)),
    (sc.ones_with_new_axis, (r(2, 3),)),
    (sc.zeros_of_pair, (r(3, 2),)),
    (sc.reshape_starred, (r(2, 3, 2),)),
    (sc.like_and_full, (r(2, 2),)),
    (sc.size_arithmetic, (r(3, 2),)),
    (sc.loop_over_rows, (r(3, 2),)),
    (sc.unpack_shape, (r(1, 4),)),  # a size-1 axis: the constant 1
    (sc.prod_of_array, (r(3, 2),)),
]
SLICES = [
    (sc.slice_constant, (r(5),)),
    (sc.slice_at_run_time, (r(5), 2)),
    (sc.slice_at_run_time, (r(5), 0)),
    (sc.slice_open_start, (r(3, 3),)),
    (sc.slice_with_step, (r(5),)),
    (sc.slice_from_helper, (r(4),)),
    (sc.slice_in_tuple, (r(4, 2),)),
    (sc.slice_store, (r(5),)),
    (sc.slice_stop_only, (r(4),)),
]
# tol chosen so that the loop returns at different iterations, or never.
EARLY = [
    (sc.first_crossing, (0.7, 0.5)),  # returns in the first iterations
    (sc.first_crossing, (0.7, 2.5)),  # later
    (sc.first_crossing, (0.7, 100.0)),  # never
    (sc.fixed_point, (np.array([0.3, 0.5]), 0.5)),
    (sc.fixed_point, (np.array([0.3, 0.5]), 1e-9)),  # never
    (sc.while_return, (0.5, 2.0)),
    (sc.while_return, (0.5, 1e9)),  # never: leaves by the condition
    (sc.nested_return, (r(3, 3), 0.8)),
    (sc.nested_return, (r(3, 3), 100.0)),  # never
    (sc.uses_solver, (np.array([0.2, -0.1]), 0.19)),  # an array returned from a helper's loop
    (sc.uses_solver, (np.array([0.2, -0.1]), 1e-9)),
    (sc.return_in_row_loop, (np.full((3, 2), 0.5), 0.1)),
    (sc.return_in_row_loop, (np.full((3, 2), 0.5), 1.2)),
    (sc.return_in_row_loop, (np.full((3, 2), 0.5), 100.0)),
    (sc.early_return_in_an_inlined_helper, (0.4, 1.0)),
    (sc.early_return_in_an_inlined_helper, (0.4, 100.0)),
    (sc.early_return_in_a_nested_def, (0.4, 3.0)),  # the closure reads x inside the loop
    (sc.early_return_in_a_nested_def, (0.4, 1e6)),
]
# an unrolled loop (over a list) whose return is taken at different elements, or never
UNROLLED = [
    (sc.return_in_unrolled_loop, ([0.5, 0.9], np.array([0.3, 0.4]))),  # second element
    (sc.return_in_unrolled_loop, ([2.0, 0.9], np.array([0.3, 0.4]))),  # first
    (sc.return_in_unrolled_loop, ([0.1, 0.2], np.array([0.3, 0.4]))),  # never
    (sc.unrolled_return_in_real_loop, ([0.5, 0.9], np.array([0.3, 0.4]), 3)),
    (sc.unrolled_return_in_real_loop, ([0.01, 0.02], np.array([0.3, 0.4]), 3)),  # never
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, args", UNROLLED, ids=_ids(UNROLLED))
def test_return_in_unrolled_loops(fn, args, mode):
    params, rest = args[0], args[1:]
    g = grad(fn, argnums=(0, 1), mode=mode, jit=False)(params, *rest)
    for k in range(len(params)):

        def moved(w, k=k):
            return fn([w if j == k else p for j, p in enumerate(params)], *rest)

        expected = finite_difference(moved, (params[k],), 0)
        assert g[0][k] == pytest.approx(expected, rel=1e-6, abs=1e-8)
    for element in range(len(rest[0])):
        expected = finite_difference(
            lambda x: fn(params, x, *rest[1:]), (rest[0],), 0, element=element
        )
        assert g[1][element] == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, args", SHAPES + SLICES + EARLY, ids=_ids(SHAPES + SLICES + EARLY))
def test_gradients_match_finite_differences(fn, args, mode):
    check_against_fd(fn, args, mode)


JIT = [
    (sc.zeros_of_shape, (r(3, 2),)),  # np.zeros of a tuple of ints, compiled
    (sc.flatten_rows, (r(2, 3, 2),)),
    (sc.slice_at_run_time, (r(5), 2)),
    (sc.fixed_point, (np.array([0.3, 0.5]), 0.5)),
]


@pytest.mark.parametrize("fn, args", JIT, ids=_ids(JIT))
def test_compiled_with_numba(fn, args):
    check_against_fd(fn, args, "reverse", jit=True)


@pytest.mark.parametrize("tol", [0.3, 0.9, 1.7, 2.5, 100.0])
@pytest.mark.parametrize("mode", MODES)
def test_early_return_equals_its_flat_rewrite(tol, mode):
    """``return`` in the loop gives what the same function with a flag and
    ``break`` gives, wherever the loop exits."""
    early = value_and_grad(sc.first_crossing, mode=mode, jit=False)(0.7, tol)
    flat = value_and_grad(sc.first_crossing_flat, mode=mode, jit=False)(0.7, tol)
    np.testing.assert_allclose(early, flat, rtol=1e-13)


def test_early_return_is_compiled_in_forward_mode():
    check_against_fd(sc.while_return, (0.5, 2.0), "forward", jit=True)


# -- what the generated code shows ------------------------------------------------


def test_a_shape_tuple_names_its_sizes_and_uses_1_for_size_1_axes():
    source = grad(sc.unpack_shape, jit=False).source(r(3, 4))
    assert "n = X.shape[0]" in source and "d = X.shape[1]" in source
    unit = grad(sc.unpack_shape, jit=False).source(r(1, 4))
    assert "X.shape[0]" not in unit and "d = X.shape[1]" in unit


def test_ndim_and_len_of_shape_are_constants():
    source = grad(sc.np_shape_and_ndim, jit=False).source(r(2, 3))
    assert "X.ndim" not in source and "len(" not in source
    assert "X.shape[0]" in source and "X.shape[1]" in source


def test_a_slice_object_indexes_like_a_slice():
    source = grad(sc.slice_at_run_time, jit=False).source(r(5), 2)
    assert "x[k:" in source


def test_early_return_carries_a_flag_and_the_value():
    source = value_and_grad(sc.first_crossing, jit=False).source(0.7, 0.5)
    assert "returned = False" in source and "returned_value = 0.0" in source
    assert "break" in source


def test_an_array_returned_early_starts_as_zeros_like_an_array_of_its_kind():
    source = value_and_grad(sc.uses_solver, jit=False).source(np.array([0.2, -0.1]), 0.1)
    assert "returned_value = np.zeros_like(" in source


# -- has_aux ----------------------------------------------------------------------


def mlp_params():
    return [(r(3, 4), r(4)), (r(4), 0.3)]


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_has_aux_with_pytree_parameters(mode, jit):
    params, X, y = mlp_params(), r(5, 3), r(5)
    g, aux = grad(sc.mlp_with_aux, mode=mode, jit=jit, has_aux=True)(params, X, y)
    (value, aux2), g2 = value_and_grad(sc.mlp_with_aux, mode=mode, jit=jit, has_aux=True)(
        params, X, y
    )
    expected = grad(sc.mlp_loss, jit=False)(params, X, y)
    assert value == pytest.approx(sc.mlp_loss(params, X, y), rel=1e-12)
    for got in (g, g2):
        assert type(got) is list and type(got[0]) is tuple
        for a, b in zip(
            pytree.flatten(pytree.describe(expected), expected, []),
            pytree.flatten(pytree.describe(got), got, []),
        ):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    direct = sc.mlp_with_aux(params, X, y)[1]
    for got in (aux, aux2):
        pred, n, same_params, (loss, h) = got
        np.testing.assert_allclose(pred, direct[0], rtol=1e-12)
        assert n == 5 and loss == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(h, direct[3][1], rtol=1e-12)
        assert type(same_params) is list and type(same_params[0]) is tuple
        np.testing.assert_array_equal(same_params[0][0], params[0][0])
        assert same_params[1][1] == 0.3


@pytest.mark.parametrize("mode", MODES)
def test_has_aux_returns_dicts_and_numbers_in_their_structure(mode):
    params, x = {"w": r(3), "b": 0.5}, r(3)
    g, (same, two, z) = grad(sc.dict_with_aux, mode=mode, jit=False, has_aux=True)(params, x)
    assert set(g) == {"w", "b"} and type(same) is dict and set(same) == {"w", "b"}
    np.testing.assert_array_equal(same["w"], params["w"])
    assert two == 2.0
    np.testing.assert_allclose(z, params["w"] * x + 0.5)
    np.testing.assert_allclose(g["w"], 2 * z * x)
    assert g["b"] == pytest.approx(np.sum(2 * z))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_has_aux_of_scalars_and_several_argnums(mode, jit):
    (value, z), (gx, gy) = value_and_grad(
        sc.scalar_with_aux, argnums=(0, 1), mode=mode, jit=jit, has_aux=True
    )(1.5, 2.0)
    assert value == 9.0 and z == 3.0 and gx == 12.0 and gy == 9.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tol", [0.5, 100.0])
def test_has_aux_with_an_early_return_of_a_pair(mode, tol):
    g, steps = grad(sc.aux_with_early_return, mode=mode, jit=False, has_aux=True)(0.7, tol)
    expected_steps = sc.returns_pair_in_loop(0.7, tol)[1]
    assert steps == expected_steps
    loss = lambda x, t: sc.returns_pair_in_loop(x, t)[0]  # noqa: E731
    assert g == pytest.approx(finite_difference(loss, (0.7, tol), 0), rel=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_has_aux_of_list_and_dict_literals(mode):
    x = np.array([0.3, 0.4, 0.5])
    g, aux = grad(sc.aux_in_literals, mode=mode, jit=False, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x), rtol=1e-12)
    assert type(aux) is dict and sorted(aux) == ["n", "pair", "y"]
    assert aux["n"] == 3 and type(aux["pair"]) is list and aux["pair"][1] == (3,)
    np.testing.assert_allclose(aux["y"], np.sin(x))
    assert aux["pair"][0] == pytest.approx(np.sin(0.3))


def test_differentiate_takes_has_aux():
    f = differentiate(sc.scalar_with_aux, has_aux=True, jit=False)
    assert f.grad(1.5, 2.0) == (12.0, 3.0)
    assert f.value_and_grad(1.5, 2.0) == ((9.0, 3.0), 12.0)
    assert "aux" in f.source(1.5, 2.0)


# -- refusals ---------------------------------------------------------------------


def _located(err, marker):
    assert isinstance(err, SymDiffError)
    assert os.path.samefile(err.filename, CASES_FILE)
    assert err.lineno == marker_line(marker), str(err)
    assert err.hint and "$" not in err.message and "<" not in err.message


def test_a_pair_without_has_aux_says_to_pass_it():
    with pytest.raises(ArgumentError) as info:
        grad(sc.pair_without_aux, jit=False)(1.0)
    _located(info.value, "pair_without_aux")
    assert "pair" in info.value.message and "has_aux=True" in info.value.hint


def test_has_aux_needs_a_pair():
    with pytest.raises(ArgumentError) as info:
        grad(sc.not_a_pair, jit=False, has_aux=True)(1.0)
    _located(info.value, "not_a_pair")
    assert "has_aux=True" in info.value.message


def test_returns_of_different_structures_in_a_loop_are_refused():
    with pytest.raises(SymDiffError) as info:
        grad(sc.returns_mixed_structures, jit=False)(1.0)
    _located(info.value, "mixed_returns")
    assert "same structure" in info.value.hint


def test_shapes_as_tuples_need_known_kinds():
    """``parse`` without trees (kinds unknown) still converts everything
    else; a whole shape tuple says what it needs."""
    frontend.parse(sc.slice_at_run_time)
    frontend.parse(sc.slice_store)
    with pytest.raises(SymDiffError, match="rank of its array"):
        frontend.parse(sc.unpack_shape)
    with pytest.raises(SymDiffError, match="rank of its array"):
        frontend.parse(sc.np_shape_and_ndim)
    with pytest.raises(SymDiffError, match="kind of the value returned inside the loop"):
        frontend.parse(sc.first_crossing)
    tree = (pytree.describe(r(2, 3)),)
    assert frontend.parse(sc.unpack_shape, tree).params == ("X",)


@pytest.mark.parametrize(
    "source, words",
    [
        ("def f(x):\n    return np.sum(x[slice(1, 2, 3, 4)])\n", "slice() takes 1 to 3"),
        ("def f(x):\n    s = slice((1, 2), 3)\n    return np.sum(x[s])\n", "slice bound"),
        ("def f(x):\n    t = (x, x)\n    return np.sum(t.shape)\n", "has no shape"),
        ("def f(x):\n    return np.sum(x[(1, 2), 0])\n", "cannot be an index"),
    ],
)
def test_bad_shapes_and_slices_are_located(tmp_path, source, words):
    path = tmp_path / "bad_case.py"
    path.write_text("import numpy as np\n\n" + source)
    namespace = {"__name__": "bad_case"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    with pytest.raises(SymDiffError) as info:
        grad(namespace["f"], jit=False)(r(4))
    assert words in info.value.message and info.value.filename == str(path)
    assert info.value.lineno >= 3


def test_check_grad_parses_with_the_arguments_kinds():
    """``check_grad`` (and ``f.check``) of a function that unpacks a shape."""
    from symdiff import check_grad

    report = check_grad(sc.unpack_shape, r(3, 2), jit=False)
    assert report.ok, str(report)


@pytest.mark.parametrize("mode", MODES)
def test_unpacking_a_tuple_kept_in_a_name_keeps_the_tuple_valid(mode):
    """Regression: ``a, b = t`` renamed the temporaries that ``t`` still held."""
    assert grad(sc.unpack_a_kept_tuple, mode=mode, jit=False)(1.5) == pytest.approx(39.0)


@pytest.mark.parametrize("jit", [False, True])
def test_has_aux_with_a_global_read_at_call_time(jit, monkeypatch):
    params, x = {"w": np.array([1.0, 2.0])}, np.array([0.3, 0.4])
    fn = value_and_grad(sc.aux_with_a_global, jit=jit, has_aux=True)
    (value, aux), g = fn(params, x)
    assert value == pytest.approx(np.sum((params["w"] * x - sc.TARGET) ** 2))
    np.testing.assert_allclose(g["w"], 2 * aux["z"] * x)
    monkeypatch.setattr(sc, "TARGET", np.array([0.0, 1.0]))
    (value, aux), g = fn(params, x)
    np.testing.assert_array_equal(aux["target"], [0.0, 1.0])
    np.testing.assert_allclose(aux["z"], params["w"] * x - [0.0, 1.0])
    np.testing.assert_allclose(g["w"], 2 * aux["z"] * x)
