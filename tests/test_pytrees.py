"""Tuple, list and dict arguments (pytrees): gradients in the arguments'
structure, checked against finite differences and against the same function
written with flat arguments, in both modes; the specialisation signature;
the call path; errors.

Each error case carries a ``# ERR: <case>`` marker on the line the error must
name.
"""

import inspect
import math

import numpy as np
import pytest

import symdiff
from symdiff import grad, pytree, value_and_grad
from symdiff.errors import ArgumentError, SymDiffError, UnsupportedSyntaxError
from symdiff.verify import finite_difference

from .hash_seeds import run_under_hash_seed

MODES = ("reverse", "forward")
RNG = np.random.default_rng(11)


def r(*shape, dtype=float):
    return RNG.normal(size=shape).astype(dtype) if shape else float(RNG.normal())


# -- the functions, as users write them ---------------------------------------


def tuple_loss(pair, x):
    a, b = pair
    return np.sum(a * x) + b**2


def list_loss(ws, x):
    return ws[0] * x + ws[-1] * ws[1] + math.sin(ws[2])


def dict_loss(d, X):
    return np.sum(np.tanh(X @ d["W"] + d["b"]))


def mlp_loss(params, X, y):
    (W1, b1), (W2, b2) = params
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)


def mlp_flat(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)


def dict_of_lists(d, x):
    return np.sum(d["ws"][0] * x) * d["ws"][1] + d["c"] ** 2


def tuple_of_dicts(t, x):
    first, second = t
    return np.sum(np.exp(first["w"] * x)) + second["s"] * first["w"][0]


def zero_d_loss(p):
    return p["a"] * p["b"] + p["a"] ** 2


def float32_loss(p, X):
    return np.sum(np.tanh(X @ p[0] + p[1]))


def int_leaves(p, x):
    w, n, counts, flag = p
    return w * x * n + np.sum(counts * x) + (w if flag else x)


def static_leaves(p, x):
    return p["w"] * x**2


def two_containers(a, b, x):
    return a[0] * b["u"] * x + np.sum(a[1] ** 2) * b["v"]


def two_containers_flat(a0, a1, u, v, x):
    return a0 * u * x + np.sum(a1**2) * v


def with_defaults(p, x, scale=2.0):
    return scale * p["a"] * x + p["b"]


def with_empty(p, empty, x):
    return p[0] * x


def sum_of_list(xs):
    return xs[0] * 2.0 + xs[-1] ** 2


def first_squared(xs):
    return np.sum(xs[0] ** 2)


def by_key(d):
    return d["a"] * 3.0


def layer(params, X):
    (W, b), scale = params
    return scale * np.tanh(X @ W + b)


def layer_flat(W, b, scale, X):
    return scale * np.tanh(X @ W + b)


def layer_point():
    return [[(r(3, 2), r(2)), 1.5], r(4, 3)]


# -- helpers ----------------------------------------------------------------


def fd_gradient(fn, args, argnums):
    """The gradient of ``fn`` in the structure of ``args[i]`` for each
    ``i`` in ``argnums``, by finite differences: floats and float arrays get
    derivatives, int and bool leaves zeros, static leaves None."""
    out = []
    for i in argnums:
        tree = pytree.describe(args[i])
        leaves = pytree.flatten(tree, args[i], [])

        def at(*values, i=i, tree=tree):
            shifted = list(args)
            shifted[i] = pytree.unflatten(tree, iter(values))
            return fn(*shifted)

        grads = []
        for j, (leaf, value) in enumerate(zip(pytree.leaves(tree), leaves)):
            if leaf.kind.dtype != "float":
                grads.append(np.zeros(np.shape(value)) if np.ndim(value) else 0.0)
            elif isinstance(value, np.ndarray) and value.ndim:
                grads.append(
                    np.array(
                        [
                            finite_difference(at, leaves, j, element=e)
                            for e in np.ndindex(value.shape)
                        ]
                    ).reshape(value.shape)
                )
            else:
                grads.append(finite_difference(at, leaves, j))
        out.append(pytree.unflatten(tree, iter(grads), fill=lambda static: None))
    return out


def assert_same_tree(got, want, rtol=1e-6, atol=1e-8):
    """``got`` has ``want``'s structure (container types, dict keys) and its values."""
    if isinstance(want, (tuple, list, dict)):
        assert type(got) is type(want), f"{type(got).__name__} for a {type(want).__name__}"
        if isinstance(want, dict):
            assert list(got) == list(want)
            pairs = [(got[k], want[k]) for k in want]
        else:
            assert len(got) == len(want)
            pairs = list(zip(got, want))
        for g, w in pairs:
            assert_same_tree(g, w, rtol, atol)
    elif want is None or isinstance(want, str) or callable(want):
        assert got is want or got == want
    else:
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def copied(value):
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(copied(v) for v in value)
    return value.copy() if isinstance(value, np.ndarray) else value


# -- gradients against finite differences ------------------------------------

# (id, function, arguments, argnums)
GRADIENT_CASES = [
    ("tuple", tuple_loss, lambda: ((r(3), 0.7), r(3)), 0),
    ("list", list_loss, lambda: ([0.3, -1.2, 0.5], 1.7), 0),
    ("dict", dict_loss, lambda: ({"W": r(3, 2), "b": r(2)}, r(4, 3)), 0),
    ("list_of_tuples", mlp_loss, lambda: ([(r(3, 4), r(4)), (r(4, 1), r(1))], r(5, 3), r(5, 1)), 0),
    ("dict_of_lists", dict_of_lists, lambda: ({"ws": [r(3), 0.4], "c": -0.8}, r(3)), 0),
    ("tuple_of_dicts", tuple_of_dicts, lambda: (({"w": r(2)}, {"s": 1.3}), r(2)), 0),
    ("float_scalars", list_loss, lambda: ([np.float64(0.3), 1.1, -0.4], 0.9), (0, 1)),
    ("zero_d_arrays", zero_d_loss, lambda: ({"a": np.array(0.6), "b": np.array(-1.4)},), 0),
    ("int_and_bool_leaves", int_leaves, lambda: ((0.8, 3, np.arange(3), True), 1.2), (0, 1)),
    ("static_leaves", static_leaves, lambda: ({"w": 0.5, "name": "w", "act": np.tanh}, 2.0), 0),
    ("two_containers", two_containers, lambda: ((0.4, r(3)), {"u": 1.5, "v": -0.6}, 0.9), (0, 1)),
    ("container_and_array", dict_loss, lambda: ({"W": r(2, 2), "b": r(2)}, r(3, 2)), (0, 1)),
    ("second_container_only", two_containers, lambda: ((0.4, r(3)), {"u": 1.5, "v": 0.6}, 0.9), 1),
    ("empty_container", with_empty, lambda: ([1.5], (), 0.5), (0, 1, 2)),
    ("empty_dict", with_empty, lambda: ([1.5], {}, 0.5), (1, 2)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_match_finite_differences(case, mode):
    _, fn, make, argnums = case
    args = make()
    before = copied(args)
    got = grad(fn, argnums=argnums, mode=mode, jit=False)(*args)
    want = fd_gradient(fn, args, (argnums,) if isinstance(argnums, int) else argnums)
    if isinstance(argnums, int):  # JAX's convention: the structure itself
        assert_same_tree(got, want[0])
    else:  # a tuple of structures, one per argument
        assert isinstance(got, tuple) and len(got) == len(argnums)
        assert_same_tree(list(got), want)
    assert_same_tree(args, before, rtol=0, atol=0)  # arguments unchanged


JIT_CASES = ("list_of_tuples", "int_and_bool_leaves", "zero_d_arrays", "two_containers")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", JIT_CASES)
def test_gradients_with_numba_match_plain_python(name, mode):
    _, fn, make, argnums = next(c for c in GRADIENT_CASES if c[0] == name)
    args = make()
    plain = grad(fn, argnums=argnums, mode=mode, jit=False)(*args)
    jitted = grad(fn, argnums=argnums, mode=mode, jit=True)(*args)
    assert_same_tree(jitted, plain, rtol=1e-12, atol=1e-14)
    assert_same_tree(grad(fn, argnums=argnums, mode=mode, jit=True)(*args), plain, 1e-12, 1e-14)


# -- against the same function written with flat arguments ---------------------


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_mlp_gradient_equals_the_flat_gradient(mode, jit):
    W1, b1, W2, b2, X, y = r(3, 4), r(4), r(4, 1), r(1), r(6, 3), r(6, 1)
    value, ours = value_and_grad(mlp_loss, mode=mode, jit=jit)([(W1, b1), (W2, b2)], X, y)
    flat_value, flat = value_and_grad(mlp_flat, argnums=(0, 1, 2, 3), mode=mode, jit=jit)(
        W1, b1, W2, b2, X, y
    )
    assert value == flat_value
    assert type(ours) is list and all(type(layer) is tuple for layer in ours)
    for got, want in zip([g for layer in ours for g in layer], flat):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", MODES)
def test_two_containers_equal_the_flat_gradient(mode):
    a, b, x = (0.4, r(3)), {"u": 1.5, "v": -0.6}, 0.9
    ga, gb = grad(two_containers, argnums=(0, 1), mode=mode, jit=False)(a, b, x)
    flat = grad(two_containers_flat, argnums=(0, 1, 2, 3), mode=mode, jit=False)(
        a[0], a[1], b["u"], b["v"], x
    )
    assert type(ga) is tuple and list(gb) == ["u", "v"]
    for got, want in zip([*ga, gb["u"], gb["v"]], flat):
        np.testing.assert_allclose(got, want, rtol=1e-14)


# -- conventions ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_argnums_int_gives_the_structure_and_a_tuple_gives_a_tuple_of_them(mode):
    args = ({"W": r(3, 2), "b": r(2)}, r(4, 3))
    one = grad(dict_loss, argnums=0, mode=mode, jit=False)(*args)
    wrapped = grad(dict_loss, argnums=(0,), mode=mode, jit=False)(*args)
    both = grad(dict_loss, argnums=(0, 1), mode=mode, jit=False)(*args)
    assert type(one) is dict and sorted(one) == ["W", "b"]
    assert type(wrapped) is tuple and len(wrapped) == 1 and type(wrapped[0]) is dict
    assert type(both) is tuple and type(both[0]) is dict and both[1].shape == (4, 3)
    np.testing.assert_array_equal(wrapped[0]["W"], one["W"])
    np.testing.assert_array_equal(both[0]["b"], one["b"])


@pytest.mark.parametrize("mode", MODES)
def test_value_and_grad_returns_the_value_and_the_structure(mode):
    args = ([0.3, -1.2, 0.5], 1.7)
    value, g = value_and_grad(list_loss, mode=mode, jit=False)(*args)
    assert value == pytest.approx(list_loss(*args), rel=1e-15)
    assert type(g) is list and len(g) == 3
    value, (g0, g1) = value_and_grad(list_loss, argnums=(0, 1), mode=mode, jit=False)(*args)
    assert type(g0) is list and g1 == pytest.approx(args[0][0])


@pytest.mark.parametrize("mode", MODES)
def test_keyword_arguments_and_defaults(mode):
    g = grad(with_defaults, argnums=(0, 2), mode=mode, jit=False)
    p = {"a": 3.0, "b": 1.0}
    by_keyword = g(x=1.5, p=p)
    assert by_keyword[0] == {"a": pytest.approx(3.0), "b": pytest.approx(1.0)}
    assert by_keyword[1] == pytest.approx(4.5)  # d/dscale at the default 2.0
    assert g(p, 1.5, scale=3.0)[0]["a"] == pytest.approx(4.5)


@pytest.mark.parametrize("mode", MODES)
def test_float32_leaves_keep_float32_gradients(mode):
    p, X = (r(3, 2, dtype=np.float32), r(2, dtype=np.float32)), r(4, 3, dtype=np.float32)
    gW, gb = grad(float32_loss, mode=mode, jit=False)(p, X)
    assert gW.dtype == np.float32 and gb.dtype == np.float32
    want = grad(float32_loss, mode=mode, jit=False)(
        (p[0].astype(float), p[1].astype(float)), X.astype(float)
    )
    np.testing.assert_allclose(gW, want[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_int_bool_and_static_leaves_are_not_differentiated(mode):
    g = grad(int_leaves, mode=mode, jit=False)((0.8, 3, np.arange(3), True), 1.2)
    assert type(g) is tuple and len(g) == 4
    assert g[1] == 0.0 and g[3] == 0.0
    np.testing.assert_array_equal(g[2], np.zeros(3))
    s = grad(static_leaves, mode=mode, jit=False)({"w": 0.5, "name": "w", "act": np.tanh}, 2.0)
    assert s == {"act": None, "name": None, "w": pytest.approx(4.0)}


def test_a_zero_d_leaf_gets_a_zero_d_gradient():
    g = grad(zero_d_loss, jit=False)({"a": np.array(0.6), "b": np.array(-1.4)})
    assert isinstance(g["a"], np.ndarray) and g["a"].shape == ()


# -- the specialisation signature ---------------------------------------------------


@pytest.mark.parametrize("jit", [False, True])
def test_structure_changes_give_new_specialisations_not_wrong_answers(jit):
    g = grad(sum_of_list, jit=jit)
    assert g([1.0, 2.0]) == [2.0, 4.0]
    assert g([1.0, 2.0, 3.0]) == [2.0, 0.0, 6.0]  # a longer list
    assert g([1.0, 5.0]) == [2.0, 10.0]  # back to the first: its code again
    assert len(g._impls) == 2
    h = grad(by_key, jit=jit)
    assert h({"a": 1.0}) == {"a": 3.0}
    assert h({"a": 1.0, "b": 2.0}) == {"a": 3.0, "b": 0.0}  # another key
    other_order = h({"b": 2.0, "a": 1.0})  # same keys, other order: iterated in it
    assert other_order == {"a": 3.0, "b": 0.0} and list(other_order) == ["b", "a"]
    assert len(h._impls) == 3
    k = grad(first_squared, jit=jit)
    np.testing.assert_array_equal(k([np.ones(3)])[0], 2 * np.ones(3))
    np.testing.assert_array_equal(k([np.ones((2, 2))])[0], 2 * np.ones((2, 2)))  # another rank
    np.testing.assert_array_equal(k([np.ones((1, 2))])[0], 2 * np.ones((1, 2)))  # a size-1 axis
    assert k([np.ones(2, np.float32)])[0].dtype == np.float32  # another dtype
    np.testing.assert_array_equal(k([np.full(3, 2.0)])[0], 4 * np.ones(3))
    assert len(k._impls) == 4


def test_guard_checks_what_the_signature_key_checks():
    """The guard of a signature sends every other signature with the same
    argument types to the general path (it never runs another's code)."""
    g = grad(first_squared, jit=False)
    calls = [
        [np.ones(3)],
        [np.ones((2, 2))],
        [np.ones(1)],
        [np.ones(3, np.float32)],
        (np.ones(3),),
        [np.ones(3), np.ones(2)],
        [np.ones((1, 3))],
    ]
    for args in calls * 2:
        got = g(args)
        assert type(got) is type(args) and len(got) == len(args)
        np.testing.assert_array_equal(got[0], 2 * args[0])
        assert np.shape(got[0]) == np.shape(args[0])
        assert got[0].dtype == (np.float32 if args[0].dtype == np.float32 else float)


def test_ndarray_subclasses_share_one_specialisation():
    class Tagged(np.ndarray):
        pass

    g = grad(first_squared, jit=False)
    for _ in range(3):
        out = g([np.ones(3).view(Tagged)])
        np.testing.assert_array_equal(out[0], 2 * np.ones(3))
    assert len(g._impls) == 1  # not one per object


def test_static_leaves_are_part_of_the_signature():
    g = grad(static_leaves, jit=False)
    g({"w": 0.5, "name": "a"}, 2.0)
    g({"w": 0.7, "name": "a"}, 2.0)
    g({"w": 0.5, "name": "b"}, 2.0)
    assert len(g._impls) == 2


# -- the generated source ---------------------------------------------------------


def test_header_shows_the_arguments_as_passed():
    W1, b1, W2, b2, X, y = r(3, 4), r(4), r(4, 1), r(1), r(6, 3), r(6, 1)
    source = grad(mlp_loss, jit=False).source([(W1, b1), (W2, b2)], X, y)
    assert "# params = [(W1, b1), (W2, b2)]\n" in source
    assert "def mlp_loss_grad(W1, b1, W2, b2, X, y):" in source


def test_leaves_not_unpacked_keep_their_names():
    """``params_0`` and ``params_1_0`` are parameters, not versions of
    ``params``: the code's signature is the one the header shows."""

    def first_times_nested(params):
        return params[0] * params[1][0]

    source = grad(first_times_nested, jit=False).source([2.0, (3.0,)])
    assert "# params = [params_0, (params_1_0,)]" in source
    assert "def first_times_nested_grad(params_0, params_1_0):" in source


def test_generated_source_is_the_same_under_every_hash_seed():
    code = (
        "import numpy as np\n"
        "from symdiff import grad\n"
        "from tests.test_pytrees import two_containers, dict_loss\n"
        "print(grad(two_containers, argnums=(0, 1), jit=False).source("
        "(0.4, np.ones(3)), {'v': 1.0, 'u': 2.0, 'w': 'tag'}, 0.9))\n"
        "print(grad(dict_loss, jit=False, mode='forward').source("
        "{'b': np.ones(2), 'W': np.ones((3, 2))}, np.ones((4, 3))))\n"
    )
    outputs = {run_under_hash_seed(code, seed) for seed in (0, 1, 2)}
    assert len(outputs) == 1
    assert "# b = {'v': b_v, 'u': b_u, 'w': 'tag'}\n" in outputs.pop()  # the dict's own order


# -- errors ------------------------------------------------------------------------


def use_a_string(p):
    return p["name"] * p["w"]  # ERR: use_a_string


def use_a_list_of_lists(rows, x):
    return np.sum(rows @ x)  # ERR: use_a_list_of_lists


def use_params_as_array(params, X):
    return np.sum(X @ params)  # ERR: use_params_as_array


def marker_line(name):
    lines = inspect.getsource(inspect.getmodule(marker_line)).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if line.endswith(f"# ERR: {name}")]
    assert len(hits) == 1
    return hits[0]


def def_line(fn):
    return fn.__code__.co_firstlineno


class Opaque:
    pass


# (id, call, error type, line: a marker or the function's def, words in the message, in the hint)
ERROR_CASES = [
    (
        "string_used_as_a_number",
        lambda: grad(use_a_string)({"name": "w", "w": 1.0}),
        UnsupportedSyntaxError,
        "use_a_string",
        ["the str 'w'", "is not a number"],
        ["fixed when the code is generated"],
    ),
    (
        "list_of_lists_used_as_an_array",
        lambda: grad(use_a_list_of_lists, argnums=1)([[1.0, 2.0], [3.0, 4.0]], np.ones(2)),
        UnsupportedSyntaxError,
        "use_a_list_of_lists",
        ["a list of 2 lists of floats", "cannot be used as a number or an array here"],
        ["np.asarray"],
    ),
    (
        "container_used_as_an_array",
        lambda: grad(use_params_as_array)([(np.ones((2, 2)), np.ones(2))] * 2, np.ones((3, 2))),
        UnsupportedSyntaxError,
        "use_params_as_array",
        ["a list of 2 tuples of arrays", "cannot be used as a number or an array here"],
        ["params[0]"],
    ),
    (
        "object_leaf",
        lambda: grad(static_leaves)({"w": 1.0, "o": Opaque()}, 2.0),
        ArgumentError,
        static_leaves,
        ["'p['o']'", "Opaque"],
        ["np.asarray"],
    ),
    (
        "string_array_leaf",
        lambda: grad(static_leaves)({"w": 1.0, "s": np.array(["a"])}, 2.0),
        ArgumentError,
        static_leaves,
        ["'p['s']'", "dtype <U1"],
        ["float64"],
    ),
    (
        "container_with_no_float",
        lambda: grad(with_empty)([2, 3], (), 1.0),
        ArgumentError,
        with_empty,
        ["argument 'p' is a list of 2 ints", "no float to differentiate"],
        ["argnums"],
    ),
    (
        "container_of_int_arrays",
        lambda: grad(first_squared)([np.arange(3)]),
        ArgumentError,
        first_squared,
        ["argument 'xs' is a list of 1 int array", "no float"],
        ["argnums"],
    ),
    (
        "only_empty_containers",
        lambda: grad(with_empty, argnums=1)([2.0], (), 1.0),
        ArgumentError,
        with_empty,
        ["hold no number or array"],
        ["differentiate an argument"],
    ),
    (
        "static_argument_differentiated",
        lambda: grad(with_empty, argnums=1)([2.0], "name", 1.0),
        ArgumentError,
        with_empty,
        ["argument 'empty' is the str 'name'", "cannot be differentiated"],
        ["argnums"],
    ),
    (
        "jvp_tangent_of_another_structure",
        lambda: symdiff.jvp(layer, layer_point(), (((np.ones((3, 2)), np.ones(2)), 0.1), None)),
        ArgumentError,
        layer,
        ["the tangent of params is a tuple of 2 values, not a list of 2 values like params"],
        ["same structure"],
    ),
    (
        "jvp_tangent_of_another_shape",
        lambda: symdiff.jvp(layer, layer_point(), ([(np.ones(3), np.ones(2)), 0.1], None)),
        ArgumentError,
        layer,
        ["the tangent of params[0][0] has shape (3,)"],
        ["(3, 2)"],
    ),
    (
        "missing_key",
        lambda: grad(by_key)({"b": 1.0}),
        UnsupportedSyntaxError,
        by_key,
        ["key 'a' is not in a dict with keys 'b'"],
        ["keys"],
    ),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_name_what_the_value_is_and_what_to_do(case):
    _, call, kind, where, words, hints = case
    with pytest.raises(kind) as info:
        call()
    err = info.value
    assert isinstance(err, SymDiffError)
    assert err.loc.filename == __file__
    line = marker_line(where) if isinstance(where, str) else def_line(where)
    if where is by_key:
        line += 1  # the line that indexes
    assert err.loc.lineno == line, str(err)
    for word in words:
        assert word in err.message, err.message
    for hint in hints:
        assert hint in err.hint, err.hint


# -- jvp and vjp ---------------------------------------------------------------------


@pytest.mark.parametrize("jit", [False, True])
def test_jvp_takes_tangents_in_the_primals_structure(jit):
    params, X = layer_point()
    tangent = [(r(3, 2), r(2)), 0.3]
    value, out = symdiff.jvp(layer, (params, X), (tangent, None), jit=jit)
    (W, b), s = params
    (tW, tb), ts = tangent
    flat_value, flat_out = symdiff.jvp(layer_flat, (W, b, s, X), (tW, tb, ts, None), jit=jit)
    np.testing.assert_array_equal(value, flat_value)
    np.testing.assert_allclose(out, flat_out, rtol=1e-14, atol=1e-15)
    step = 1e-6  # and a directional finite difference
    moved = [
        [(W + step * tW, b + step * tb), s + step * ts],
        [(W - step * tW, b - step * tb), s - step * ts],
    ]
    want = (layer(moved[0], X) - layer(moved[1], X)) / (2 * step)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-8)
    # A zero tangent for X, as JAX users write it, is the same as None.
    _, with_zeros = symdiff.jvp(layer, (params, X), (tangent, np.zeros_like(X)), jit=jit)
    np.testing.assert_allclose(with_zeros, out, rtol=1e-14, atol=1e-15)


def test_jvp_leaves_int_and_static_leaves_out():
    primal = ((0.8, 3, np.arange(3), True), 1.2)
    tangent = ((1.0, None, None, None), None)
    value, out = symdiff.jvp(int_leaves, primal, tangent, jit=False)
    assert value == pytest.approx(int_leaves(*primal))
    assert out == pytest.approx(1.2 * 3 + 1.0)  # d/dw of w*x*n + w
    _, static = symdiff.jvp(
        static_leaves, ({"w": 0.5, "name": "a"}, 2.0), ({"w": 1.0, "name": None}, None), jit=False
    )
    assert static == pytest.approx(4.0)


@pytest.mark.parametrize("jit", [False, True])
def test_vjp_pullback_returns_cotangents_in_the_primals_structure(jit):
    params, X = layer_point()
    value, pullback = symdiff.vjp(layer, params, X, jit=jit)
    cotangent = r(4, 2)
    g_params, g_X = pullback(cotangent)
    (W, b), s = params
    _, flat_pullback = symdiff.vjp(layer_flat, W, b, s, X, jit=jit)
    gW, gb, gs, gX = flat_pullback(cotangent)
    assert type(g_params) is list and type(g_params[0]) is tuple
    for got, want in zip([*g_params[0], g_params[1], g_X], [gW, gb, gs, gX]):
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(value, layer(params, X))


@pytest.mark.parametrize("mode", MODES)
def test_vjp_of_a_scalar_function_is_its_gradient(mode):
    args = ({"W": r(3, 2), "b": r(2)}, r(4, 3))
    value, pullback = symdiff.vjp(dict_loss, *args, argnums=0, jit=False)
    got = pullback(2.0)
    want = grad(dict_loss, mode=mode, jit=False)(*args)
    assert type(got) is dict and list(got) == ["W", "b"]
    np.testing.assert_allclose(got["W"], 2 * want["W"], rtol=1e-13)
    assert value == pytest.approx(dict_loss(*args), rel=1e-15)


def test_vjp_gives_int_leaves_zeros():
    _, pullback = symdiff.vjp(int_leaves, (0.8, 3, np.arange(3), True), 1.2, argnums=0, jit=False)
    gw, gn, gcounts, gflag = pullback(1.0)
    assert gw == pytest.approx(1.2 * 3 + 1.0) and gn == 0.0 and gflag == 0.0
    np.testing.assert_array_equal(gcounts, np.zeros(3))


# -- objects and named tuples through the guard ---------------------------------------


class Model:
    def __init__(self, W, b):
        self.W, self.b = W, b


Pair = __import__("collections").namedtuple("Pair", "W b")


def model_loss(model, X):
    return np.sum(np.tanh(X @ model.W + model.b))


@pytest.mark.parametrize("make", [Model, Pair], ids=["object", "named_tuple"])
def test_objects_and_named_tuples_go_through_their_guard(make):
    g = grad(model_loss, jit=False)
    X = r(4, 3)
    for _ in range(3):  # the first call compiles; the others pass the guard
        W, b = r(3, 2), r(2)
        got = g(make(W, b), X)
        want = grad(dict_loss, jit=False)({"W": W, "b": b}, X)
        assert type(got) is make
        np.testing.assert_allclose(got.W, want["W"], rtol=1e-14)
        np.testing.assert_allclose(got.b, want["b"], rtol=1e-14)
    assert len(g._impls) == 1 and len(g._spec._guards) == 1
    if make is Model:  # another field: another signature, not the guard's
        extra = make(r(3, 2), r(2))
        extra.scale = 2.0
        assert g(extra, X).scale == 0.0
        assert len(g._impls) == 2


# -- the guard on the other call paths: free values read at call time, has_aux --------

WEIGHTS = np.array([1.0, 2.0])


def weighted(p):
    return np.sum(WEIGHTS * p["w"] ** 2) + p["c"]


def with_aux(params, x):
    loss = params[0] * x + params[1] ** 2
    return loss, {"scaled": 2.0 * loss}


def test_a_pytree_gradient_reads_globals_when_called():
    global WEIGHTS
    g = grad(weighted, jit=False)
    p = {"w": np.array([0.5, -1.0]), "c": 1.0}
    try:
        for weights in ([1.0, 2.0], [1.0, 2.0], [3.0, -1.0], [3.0, -1.0]):
            WEIGHTS = np.array(weights)
            got = g(p)
            np.testing.assert_allclose(got["w"], 2 * WEIGHTS * p["w"], rtol=1e-15)
            assert got["c"] == 1.0
    finally:
        WEIGHTS = np.array([1.0, 2.0])


@pytest.mark.parametrize("mode", MODES)
def test_has_aux_with_pytree_arguments_through_the_guard(mode):
    g = value_and_grad(with_aux, has_aux=True, mode=mode, jit=False)
    for x in (1.5, 2.5, 3.5):  # the first call compiles; the others pass the guard
        (value, aux), grads = g([0.4, -0.7], x)
        assert value == pytest.approx(0.4 * x + 0.49)
        assert aux == {"scaled": pytest.approx(2 * value)}
        assert type(grads) is list and grads == [pytest.approx(x), pytest.approx(-1.4)]
