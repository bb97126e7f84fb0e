"""Functions as values, decorated helpers, static arguments and conditions,
objects as arguments: gradients against central finite differences and
against flat rewrites of the same functions, in both modes."""

import ast
import math
import types
from pathlib import Path

import numpy as np
import pytest

import symdiff
from symdiff import SourceUnavailableError, SymDiffError, pytree
from symdiff.frontend import source

from . import function_cases as fc

rng = np.random.default_rng(3)
X = rng.normal(size=(5, 3))
Y = rng.normal(size=(5, 2))
X4 = rng.normal(size=(5, 4))
PARAMS = [
    (rng.normal(size=(3, 4)), rng.normal(size=4)),
    (rng.normal(size=(4, 2)), rng.normal(size=2)),
]


def numeric_grad(fn, args, argnum, h=1e-6):
    """Central differences with respect to every float element of ``args[argnum]``
    (a number, an array or a pytree), in the argument's structure."""
    arg = args[argnum]
    tree = pytree.describe(arg)
    leaves = pytree.flatten(tree, arg, [])
    grads = []
    for i, leaf in enumerate(leaves):
        shape = np.shape(leaf)
        g = np.zeros(shape)
        for index in np.ndindex(shape):
            values = []
            for sign in (1.0, -1.0):
                moved = [np.array(v, dtype=float) if np.ndim(v) else float(v) for v in leaves]
                if shape:
                    moved[i][index] += sign * h
                else:
                    moved[i] += sign * h
                rebuilt = pytree.unflatten(tree, iter(moved), template=arg)
                values.append(fn(*args[:argnum], rebuilt, *args[argnum + 1 :]))
            g[index] = (values[0] - values[1]) / (2 * h)
        grads.append(g if shape else float(g))
    return pytree.unflatten(tree, iter(grads), fill=lambda s: None, template=arg)


def assert_close(got, want, tree_of=None):
    tree = pytree.describe(want if tree_of is None else tree_of)
    assert pytree.describe(got) == pytree.describe(want) or tree_of is not None
    for a, b in zip(pytree.flatten(tree, got, []), pytree.flatten(tree, want, [])):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# (function, its flat rewrite or None, arguments, argnums)
CASES = [
    (fc.late_binding, fc.flat_late_binding, (0.7, -1.3), 0),
    (fc.late_binding, fc.flat_late_binding, (0.7, -1.3), 1),
    (fc.nested_def_defaults, fc.flat_nested_def_defaults, (0.7, 1.3), 0),
    (fc.nested_def_defaults, fc.flat_nested_def_defaults, (0.7, 1.3), 1),
    (fc.lambda_to_helper, fc.flat_lambda_to_helper, (0.7, -1.3), 0),
    (fc.lambda_to_helper, fc.flat_lambda_to_helper, (0.7, -1.3), 1),
    (fc.lambda_from_helper, fc.flat_lambda_from_helper, (0.7, -1.3), 1),
    (fc.functions_in_tuple, fc.flat_functions_in_tuple, (0.7,), 0),
    (fc.closure_over_arrays, fc.flat_closure_over_arrays, (PARAMS, X), 0),
    (fc.nested_in_helper, fc.flat_nested_in_helper, (0.7,), 0),
    (fc.nested_closure_in_branch, None, (0.7, -1.3), 1),
    (fc.nested_closure_in_branch, None, (-0.7, -1.3), 1),
    (fc.def_in_loop, fc.flat_def_in_loop, (0.5,), 0),
    (fc.functions_in_list, fc.flat_functions_in_list, (X[0], X[1]), (0, 1)),
    (fc.builds_records, fc.flat_builds_records, (0.5, X[0]), (0, 1)),
    (fc.calls_module_lambdas, fc.flat_calls_module_lambdas, (0.7, -1.3), 0),
    (fc.calls_module_lambdas, fc.flat_calls_module_lambdas, (0.7, -1.3), 1),
    (fc.calls_compiled_helpers, fc.flat_calls_compiled_helpers, (0.7, -1.3), 1),
    (fc.activation_default, None, (0.7, -1.3), 1),
    (fc.activation_default, None, (0.7, -1.3, fc.relu), 0),
    (fc.activation_default, None, (0.7, -1.3, np.sin), 0),
    (fc.helper_default_activation, fc.flat_helper_default_activation, (0.7,), 0),
    (fc.optional_argument, None, (0.7,), 0),
    (fc.optional_argument, None, (0.7, 3.0, "test"), (0, 1)),
    (fc.identity_tests, None, (0.7,), 0),
    (fc.identity_tests, None, (0.7, fc.relu, 1.5), (0, 2)),
    (fc.type_tests, None, (0.7, [np.ones(3) * 2.0, 1.5]), (0, 1)),
    (fc.type_tests, None, (0.7, {"a": 1.0}), 0),
    (fc.type_of_computed_value, None, (0.7,), 0),
    (fc.type_of_computed_value, None, (np.ones(2) * 0.7,), 0),
    (fc.object_loss, fc.flat_object_loss, (fc.Linear(*PARAMS[1], 1.5), X4, Y), 0),
    (fc.dataclass_loss, None, (fc.Affine(PARAMS[0][0], 0.3), X), 0),
    (
        fc.mlp_object_loss,
        fc.flat_mlp_object_loss,
        (fc.MLP([fc.Layer(*p) for p in PARAMS]), X, Y),
        0,
    ),
    (fc.named_tuple_loss, None, ([fc.Layer(*PARAMS[0]), fc.Layer(PARAMS[1][0], 0.5)], X), 0),
    (lambda x, w: x**2 * w + np.sin(x), None, (0.7, -1.3), (0, 1)),
    (fc.relu, None, (0.7,), 0),
    (fc.make_scaler(2.5), None, (0.7,), 0),  # a lambda closing over its factory's argument
    (fc.square_plus, None, (0.7, 2.0), (0, 1)),
    (fc.pair[1], None, (0.7,), 0),
    (fc.njit_helper, None, (0.7, -1.3), (0, 1)),
    (fc.wrapped_helper, None, (0.7,), 0),
]


def _id(row):
    fn, _, args, argnums = row
    return f"{fn.__name__}-{argnums}-{len(args)}"


def _check(fn, flat, args, argnums, mode, jit):
    got = symdiff.grad(fn, argnums=argnums, mode=mode, jit=jit)(*args)
    nums = (argnums,) if isinstance(argnums, int) else argnums
    want = tuple(numeric_grad(fn, args, i) for i in nums)
    want = want[0] if isinstance(argnums, int) else want
    for g, w, i in zip(
        (got,) if isinstance(argnums, int) else got,
        (want,) if isinstance(argnums, int) else want,
        nums,
    ):
        assert type(g) is type(w) or np.ndim(w) == 0
        assert_close(g, w, tree_of=args[i])
    if flat is not None:
        flat_grad = symdiff.grad(flat, argnums=argnums, mode=mode, jit=False)(*args)
        for g, w, i in zip(
            (got,) if isinstance(argnums, int) else got,
            (flat_grad,) if isinstance(argnums, int) else flat_grad,
            nums,
        ):
            assert_close(g, w, tree_of=args[i])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("row", CASES, ids=_id)
def test_gradients(row, mode):
    _check(*row, mode=mode, jit=False)


NUMBA_IDS = {
    "late_binding-0-2",
    "closure_over_arrays-0-2",
    "activation_default-0-3",
    "object_loss-0-3",
    "named_tuple_loss-0-2",
    "mlp_object_loss-0-3",
    "njit_helper-(0, 1)-2",
}
NUMBA_ROWS = [row for row in CASES if _id(row) in NUMBA_IDS]


@pytest.mark.parametrize("row", NUMBA_ROWS, ids=_id)
def test_gradients_with_numba(row):
    _check(*row, mode="reverse", jit=True)


def test_object_gradient_has_the_objects_class():
    model = fc.Linear(*PARAMS[1], 1.5)
    g = symdiff.grad(fc.object_loss, jit=False)(model, X4, Y)
    assert type(g) is fc.Linear and g is not model
    assert g.W.shape == model.W.shape and g.b.shape == model.b.shape
    assert model.scale == 1.5 and g.scale != 0.0  # a float field is differentiated too
    layers = [fc.Layer(*PARAMS[0]), fc.Layer(*PARAMS[1])]
    g = symdiff.grad(fc.named_tuple_loss, jit=False)(layers, X)
    assert type(g) is list and type(g[0]) is fc.Layer and g[0].W.shape == (3, 4)


def test_objects_of_new_values_share_one_specialisation():
    df = symdiff.grad(fc.object_loss, jit=False)
    for scale in (1.0, 2.0, 3.0):
        df(fc.Linear(*PARAMS[1], scale), X4, Y)
    assert len(df._impls) == 1


def test_static_arguments_specialise_and_read_well():
    df = symdiff.grad(fc.optional_argument, jit=False)
    assert df(0.7) == pytest.approx(2.0)
    assert df(0.7, 3.0, "test") == pytest.approx(3.0 * 0.5 * 3.0)
    source = df.source(0.7, 3.0, "test")
    assert "mode" not in source.split('"""')[-1]  # decided when the code was generated
    act = symdiff.grad(fc.activation_default, jit=False)
    assert act(0.7, -1.3) != act(0.7, -1.3, fc.relu)


def test_lambda_names_and_late_binding_read_in_the_source():
    source = symdiff.grad(fc.relu, jit=False).source(0.5)
    assert "def relu_grad(z):" in source
    source = symdiff.grad(lambda x: x**3, jit=False).source(0.5)
    assert "def lambda_grad(x):" in source
    source = symdiff.grad(fc.late_binding, jit=False).source(0.7, -1.3)
    assert "w_1 = w * 3.0" in source


def test_only_the_branch_taken_is_converted():
    # The untaken branch would be an error (a function used as a number).
    def f(x, activation=np.tanh):
        if activation is not None:
            return activation(x)
        return activation + x

    assert symdiff.grad(f, jit=False)(0.3) == pytest.approx(1 - math.tanh(0.3) ** 2)


def test_lambda_found_by_its_columns():
    first, second = fc.pair
    assert symdiff.grad(first, jit=False)(1.0) == 2.0
    assert symdiff.grad(second, jit=False)(1.0) == 3.0


def test_genuinely_ambiguous_lambdas_are_refused():
    tree = ast.parse("pair = (lambda x: x, lambda x: -x)\n")
    code = types.SimpleNamespace(
        co_varnames=("x",),
        co_argcount=1,
        co_kwonlyargcount=0,
        co_firstlineno=1,
        co_positions=lambda: iter(()),
    )
    with pytest.raises(SourceUnavailableError, match="which of the 2 lambdas"):
        source._find_lambda(tree, code, None)


RELU_GRAD = symdiff.grad(fc.relu)


def calls_a_derivative(x):
    return RELU_GRAD(x) * x


ERRORS = [
    # a derivative called inside converted code (from outside, grad(grad(f)) works)
    (
        lambda: symdiff.grad(calls_a_derivative, jit=False)(1.0),
        SourceUnavailableError,
        "called inside code that symdiff converts",
    ),
    (
        lambda: symdiff.grad(eval("lambda x: x * 2.0"), jit=False)(1.0),
        SourceUnavailableError,
        "lambda",
    ),
]


@pytest.mark.parametrize("call, exc, words", ERRORS)
def test_errors(call, exc, words):
    with pytest.raises(exc, match=words) as info:
        call()
    assert info.value.loc is not None and info.value.loc.filename == __file__


CASES_FILE = Path(fc.__file__)


def marker_line(name):
    lines = CASES_FILE.read_text().splitlines()
    hits = [i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# ERR: {name}")]
    assert len(hits) == 1, name
    return hits[0]


MODEL = fc.Linear(*PARAMS[1])
DESIGNED = [
    ("decorated_nested_def", (1.0,), ["decorator", "inner"]),
    ("recursive_local", (1.0,), ["recursive", "down"]),
    ("used_before_assignment", (1.0,), ["'late'", "before"]),
    ("identity_of_numbers", (1.0, 2.0), ["`is`", "=="]),
    ("missing_method", (MODEL, X4), ["Linear", "'predict'"]),
    ("returns_function", (1.0,), ["returns", "function"]),
    ("function_as_number", (1.0,), ["function tanh", "not a number"]),
]


def test_a_wrapper_taking_args_is_differentiated_through():
    """``def wrapper(*args): return fn(*args)`` (a decorator without
    ``functools.wraps``): its ``*args`` take the arguments, ``fn`` is inlined."""
    assert symdiff.grad(fc.decorator_without_wraps, jit=False)(1.5) == pytest.approx(3.0)


@pytest.mark.parametrize("name, args, words", DESIGNED, ids=[d[0] for d in DESIGNED])
def test_designed_errors(name, args, words):
    with pytest.raises(SymDiffError) as info:
        symdiff.grad(getattr(fc, name), jit=False)(*args)
    err = info.value
    assert err.loc.filename == str(CASES_FILE) and err.loc.lineno == marker_line(name)
    assert err.hint, "every error says what to write instead"
    for word in words:
        assert word.lower() in str(err).lower(), (word, str(err))


def test_value_and_grad_of_a_lambda_closing_over_a_local():
    scale = 3.0
    vg = symdiff.value_and_grad(lambda p, data: fc.closure_over_arrays(p, data) * scale, jit=False)
    value, g = vg(PARAMS, X)
    assert value == pytest.approx(fc.closure_over_arrays(PARAMS, X) * 3.0)
    want = symdiff.grad(fc.closure_over_arrays, jit=False)(PARAMS, X)
    assert type(g) is list and type(g[0]) is tuple
    assert_close(g, [(3.0 * a, 3.0 * b) for a, b in want])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_callable_object_from_a_global_is_called_and_read_at_each_call(mode):
    df = symdiff.grad(fc.calls_global_callable, mode=mode, jit=False)
    assert df(0.3) == pytest.approx(1.5 * 2.0 * math.cos(0.3))
    fc.SCALED.k = 4.0
    try:
        assert df(0.3) == pytest.approx(1.5 * 4.0 * math.cos(0.3))
    finally:
        fc.SCALED.k = 2.0


def test_an_object_that_contains_itself_is_refused_clearly():
    df = symdiff.grad(fc.sum_of_squares_of_W, jit=False)
    with pytest.raises(symdiff.ArgumentError, match="'model.me' is the SelfReferring it is inside"):
        df(fc.SelfReferring(np.ones(2)))
    assert df(fc.Linear(np.ones(2), 0.0)).W.tolist() == [2.0, 2.0]


def test_isinstance_of_a_value_of_unknown_kind_is_refused():
    # parse without the arguments' kinds (as verify's SymPy reference parses)
    with pytest.raises(SymDiffError, match="the type of 'y' is not known") as info:
        symdiff.frontend.parse(fc.type_of_computed_value)
    assert info.value.loc.lineno == marker_line("type_of_computed_value")
