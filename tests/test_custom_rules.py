"""Users' own rules (``symdiff.custom_vjp``, ``custom_jvp``, ``elementwise``:
``symdiff.library.rules``): as users write them, both modes where the rule
serves them, plain and compiled, against the functions run by NumPy and
finite differences (``numpy_table``); rules that are numerically better than
differentiating the function, black-box Numba kernels, rules inside loops,
the generated code, and the errors."""

import math

import numba
import numpy as np
import pytest

import symdiff
from symdiff.primitives import PRIMITIVES

from .numpy_table import Row, check, normal, params, positive

REVERSE, FORWARD = ("reverse",), ("forward",)
SHAPES = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]


# An elementwise function given by its partials: softplus, stable for large |x|.
@symdiff.elementwise(partials=lambda x, ans: (1.0 / (1.0 + np.exp(-x)),))
def softplus(x):
    return np.logaddexp(0.0, x)


# Two operands, broadcast; a partial reading ``ans``.
@symdiff.elementwise(partials=lambda x, y, ans: (x / ans, y / ans))
def radius(x, y):
    return np.sqrt(x * x + y * y)


# A partial that is None (zero wherever it is defined: no code).
@symdiff.elementwise(partials=lambda x, n, ans: (n * x ** (n - 1.0), None))
def power(x, n):
    return x**n


# custom_vjp: the same softplus, with residuals.
@symdiff.custom_vjp
def softplus_vjp(x):
    return np.logaddexp(0.0, x)


def softplus_vjp_fwd(x):
    return np.logaddexp(0.0, x), (x,)


def softplus_vjp_bwd(residuals, g):
    (x,) = residuals
    return (g / (1.0 + np.exp(-x)),)


softplus_vjp.defvjp(softplus_vjp_fwd, softplus_vjp_bwd)


# custom_vjp of two arguments, the second broadcast: bwd sums it back itself.
@symdiff.custom_vjp
def scaled(x, s=2.0):
    return s * x


def scaled_fwd(x, s):
    return s * x, (x, s)


def scaled_bwd(residuals, g):
    x, s = residuals
    return g * s, np.sum(g * x)


scaled.defvjp(scaled_fwd, scaled_bwd)


# custom_vjp of a function returning a number: forward mode too (rank=0).
@symdiff.custom_vjp(rank=0)
def squared_norm(x):
    return np.sum(x * x)


def squared_norm_fwd(x):
    return np.sum(x * x), x


def squared_norm_bwd(x, g):
    return (2.0 * g * x,)


squared_norm.defvjp(squared_norm_fwd, squared_norm_bwd)


# custom_jvp: forward mode; reverse mode on numbers.
@symdiff.custom_jvp
def wave(x, y):
    return x * np.sin(y)


@wave.defjvp
def wave_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    return x * np.sin(y), dx * np.sin(y) + x * np.cos(y) * dy


# Black-box Numba kernels: symdiff calls them, never reads them.
@numba.njit
def cube_kernel(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out.flat[i] = x.flat[i] ** 3
    return out


@numba.njit
def cube_kernel_fwd(x):
    return cube_kernel(x), x


@numba.njit
def cube_kernel_bwd(x, g):
    return (3.0 * x * x * g,)


cube = symdiff.custom_vjp(cube_kernel)
cube.defvjp(cube_kernel_fwd, cube_kernel_bwd)


# nondiff_argnums (JAX's): an int power, an int shift, integer labels.
@symdiff.custom_vjp(nondiff_argnums=(1,))
def int_power(x, n):
    return x**n


def int_power_fwd(x, n):
    return x**n, x


def int_power_bwd(n, x, g):
    return (n * x ** (n - 1) * g,)


int_power.defvjp(int_power_fwd, int_power_bwd)


@symdiff.custom_jvp(nondiff_argnums=(0,))
def shifted(n, x):
    return x + n


@shifted.defjvp
def shifted_jvp(n, primals, tangents):
    return primals[0] + n, tangents[0]


@numba.njit
def gather(logits, labels):
    """logits[i, labels[i]] for each row i: a gather written as a kernel."""
    out = np.empty(logits.shape[0])
    for i in range(logits.shape[0]):
        out[i] = logits[i, labels[i]]
    return out


picked = symdiff.custom_vjp(gather, nondiff_argnums=(1,), rank=1)


def picked_fwd(logits, labels):
    return gather(logits, labels), logits.shape


def picked_bwd(labels, shape, g):
    out = np.zeros(shape)
    for i in range(shape[0]):
        out[i, labels[i]] += g[i]
    return (out,)


picked.defvjp(picked_fwd, picked_bwd)


def labels(rng, shape):
    return rng.integers(0, 3, shape)


TABLE = [
    Row("elementwise-softplus", lambda x: softplus(x), SHAPES),
    Row("elementwise-keyword", lambda x: softplus(x=x), [((4,),)], jit=False),
    Row("elementwise-radius", lambda x, y: radius(x, y), [((4, 3), (3,)), ((), ()), ((), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (2, 3, 4))], domain=positive),
    Row("elementwise-none-partial", lambda x: power(x, 3.0), [((4,),), ((),)], domain=positive),
    Row("custom_vjp-softplus", lambda x: softplus_vjp(x), SHAPES, modes=REVERSE),
    Row("custom_vjp-numbers", lambda x, s: scaled(x, s) + softplus_vjp(x), [((), ())]),
    Row("custom_vjp-broadcast", lambda x, s: scaled(x, s), [((4, 3), ()), ((), ()), ((5,), ())], modes=REVERSE),
    Row("custom_vjp-default", lambda x: scaled(x), [((4,),)], modes=REVERSE),
    Row("custom_vjp-rank0", lambda x: squared_norm(x), [((5,),), ((3, 4),), ((),)]),
    Row("custom_jvp-wave", lambda x, y: wave(x, y), [((4,), (4,)), ((3, 4), (4,)), ((2, 3, 4), ())], modes=FORWARD),
    Row("custom_jvp-numbers", lambda x, y: wave(x, y), [((), ())]),
    Row("nondiff-vjp", lambda x: int_power(x, 3), [((4,),), ((2, 3),)], modes=REVERSE),
    Row("nondiff-vjp-number", lambda x: int_power(x, 2), [((),)]),
    Row("nondiff-jvp", lambda x: shifted(2, x), [((4,),), ((2, 3),)], modes=FORWARD),
    Row("nondiff-jvp-number", lambda x: shifted(2, x), [((),)]),
    Row("nondiff-labels", lambda x, y: picked(x, y), [((5, 3), (5,))], domain=(normal, labels), modes=REVERSE),
    Row("custom_vjp-njit-kernel", lambda x: cube(x), [((5,),), ((3, 4),)], modes=REVERSE),
]  # fmt: skip


@pytest.mark.parametrize("row, shapes, jit", params(TABLE))
def test_rule(row, shapes, jit):
    check(row, shapes, jit)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_a_stable_rule_is_finite_where_the_formula_overflows(mode, jit):
    """log(1 + exp(x)) differentiated by the chain rule is inf/inf = nan at
    x = 800; the rule's partial, expit(x), is 1."""

    def naive(x):
        return np.sum(np.log(1.0 + np.exp(x)))

    def stable(x):
        return np.sum(softplus(x))

    x = np.array([800.0, -800.0, 0.0])
    with np.errstate(all="ignore"):
        assert np.isnan(symdiff.grad(naive, mode=mode, jit=jit)(x)[0])
    np.testing.assert_allclose(symdiff.grad(stable, mode=mode, jit=jit)(x), [1.0, 0.0, 0.5])


@symdiff.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, ()), lambda residuals, g: (np.clip(g, -1.0, 1.0),))


@pytest.mark.parametrize("jit", [False, True])
def test_a_clipped_gradient_is_the_rules_not_the_functions(jit):
    def f(x):
        return np.sum(10.0 * clip_gradient(x) + clip_gradient(0.5 * x))

    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(symdiff.grad(f, jit=jit)(x), [1.5, 1.5, 1.5])


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("rule", ["elementwise", "custom_vjp", "njit"])
def test_rules_inside_a_loop(rule, jit):
    """The reverse sweep of a loop recomputes each iteration from its record,
    calling the rule's forward function again."""
    function = {"elementwise": softplus, "custom_vjp": softplus_vjp, "njit": cube}[rule]

    def f(x, w):
        for i in range(3):
            x = x + 0.5 * function(w[i] * x)
        return np.sum(x)

    def reference(x, w):
        for i in range(3):
            x = x + 0.5 * function.fun(w[i] * x)
        return np.sum(x)

    x, w = np.array([0.3, -0.2, 0.8]), np.array([1.2, -0.7, 0.9])
    gx, gw = symdiff.grad(f, (0, 1), jit=jit)(x, w)
    step = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = step
        assert math.isclose(
            gx[k], (reference(x + e, w) - reference(x - e, w)) / (2 * step), rel_tol=1e-6
        )
        assert math.isclose(
            gw[k], (reference(x, w + e) - reference(x, w - e)) / (2 * step), rel_tol=1e-6
        )


def test_the_rules_appear_by_name_in_the_generated_code():
    def f(x):
        return np.sum(softplus_vjp(x) * softplus(x))

    source = symdiff.derivative_source(f, np.ones(3))
    assert "from symdiff.rules import softplus, softplus_vjp_bwd, softplus_vjp_fwd" in source
    assert "softplus_vjp_fwd(x)" in source and "softplus_vjp_bwd(" in source
    forward = symdiff.derivative_source(lambda x, y: wave(x, y), 1.0, 2.0, mode="forward")
    assert "wave_jvp((x, y), (" in forward


def test_an_elementwise_rule_reads_like_its_partials():
    def f(x):
        return np.sum(softplus(x))

    body = symdiff.derivative_source(f, np.ones(3)).split('"""')[-1]
    assert "x_bar = 1.0 / (1.0 + vmath.exp(-x))" in body, body
    assert "softplus" not in body  # its value is not needed for the gradient


def test_an_unused_tangent_argument_is_zeros():
    """custom_jvp with one argument not differentiated: its tangent is zeros."""

    def f(x, y):
        return np.sum(wave(x, y))

    x, y = np.array([0.5, 1.5]), np.array([0.2, -0.4])
    source = symdiff.derivative_source(f, x, y, mode="forward")
    assert "np.zeros_like(y)" in source
    np.testing.assert_allclose(symdiff.grad(f, mode="forward", jit=False)(x, y), np.sin(y))


def test_rules_passed_as_arguments_and_held_in_containers():
    def f(x, act):
        return np.sum(act(x))

    activations = [softplus, scaled]

    def g(x):
        return sum(np.sum(act(x)) for act in activations)

    x = np.array([0.3, -0.2, 0.8])
    grad = symdiff.grad(f, jit=False)
    np.testing.assert_allclose(grad(x, softplus_vjp), 1.0 / (1.0 + np.exp(-x)))
    np.testing.assert_allclose(grad(x, scaled), 2.0)  # another rule: another specialisation
    np.testing.assert_allclose(symdiff.grad(g, jit=False)(x), 2.0 + 1.0 / (1.0 + np.exp(-x)))


@pytest.mark.parametrize("jit", [False, True])
def test_float32_arguments_get_float32_gradients(jit):
    """Numba computes ``2.0 * g * x`` in float64: the rule's values are cast."""
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    for fn in (lambda x: squared_norm(x), lambda x: np.sum(softplus_vjp(x) + softplus(x))):
        grad = symdiff.grad(fn, jit=jit)(x)
        assert grad.dtype == np.float32, fn
    np.testing.assert_allclose(symdiff.grad(lambda x: squared_norm(x), jit=jit)(x), 2 * x)


def test_check_grad_compares_rules_with_finite_differences():
    def f(x):
        return np.sum(softplus(x) * squared_norm(x))

    report = symdiff.check_grad(f, np.array([0.5, -1.0]), jit=False)
    assert report.ok, report
    assert "no SymPy counterpart" in str(report)


def test_the_sweeps_of_the_registry_leave_users_rules_out():
    from . import test_trust_properties

    made = {name for name, p in PRIMITIVES.items() if p.custom}
    assert {"call:softplus", "vjp_out:softplus_vjp", "jvp_call:wave"} <= made
    assert not made & set(test_trust_properties.elementwise_primitives())


def test_rules_run_as_python_functions():
    assert softplus(1.0) == np.logaddexp(0.0, 1.0) and scaled(3.0) == 6.0
    assert softplus.__name__ == "softplus" and "symdiff.custom_vjp" in repr(softplus_vjp)


# -- errors ------------------------------------------------------------------------


def _marked_line(function):
    import inspect

    lines, start = inspect.getsourcelines(function)
    return next(start + i for i, line in enumerate(lines) if "# ERR" in line)


@symdiff.custom_vjp
def no_rule_yet(x):
    return x


@symdiff.custom_vjp
def uncompilable(x):
    return x


uncompilable.defvjp(lambda x: (x, object()), lambda residuals, g: (g,))


def vjp_in_forward_mode(x):
    return np.sum(softplus_vjp(x))  # ERR


def jvp_of_arrays_in_reverse_mode(x):
    return np.sum(wave(x, x))  # ERR


def without_defvjp(x):
    return no_rule_yet(x)  # ERR


def with_a_tuple(x):
    return scaled((x, x))  # ERR


def float_nondiff(x):
    return int_power(2.0, x)  # ERR


def bad_partials(x):
    return wrong_partials(x)  # ERR


@symdiff.elementwise(partials=lambda x, ans: 1.0)
def wrong_partials(x):
    return x


ERRORS = [
    (vjp_in_forward_mode, "forward", ["custom_vjp", "forward mode", "custom_jvp"]),
    (jvp_of_arrays_in_reverse_mode, "reverse", ["custom_jvp", "mode='forward'"]),
    (without_defvjp, "reverse", ["no rule yet", "no_rule_yet.defvjp(fwd, bwd)"]),
    (with_a_tuple, "reverse", ["numbers and arrays", "`x` is not one"]),
    (bad_partials, "reverse", ["partials", "tuple of 1"]),
    (float_nondiff, "reverse", ["`n` of int_power() is in nondiff_argnums", "closure"]),
]


@pytest.mark.parametrize("fn, mode, words", ERRORS, ids=[e[0].__name__ for e in ERRORS])
def test_errors_name_the_users_line(fn, mode, words):
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(fn, mode=mode, jit=False)(np.ones(3))
    err = info.value
    assert err.lineno == _marked_line(fn), str(err)
    assert all(word in str(err) for word in words), str(err)


def test_a_rule_numba_cannot_compile_suggests_jit_false():
    def f(x):
        return np.sum(uncompilable(x))

    x = np.ones(3)
    with pytest.raises(symdiff.SymDiffError) as info:
        symdiff.grad(f)(x)
    assert "jit=False" in str(info.value) and "uncompilable" in str(info.value)
    np.testing.assert_allclose(symdiff.grad(f, jit=False)(x), 1.0)


def test_bad_declarations_are_type_errors():
    with pytest.raises(TypeError):
        symdiff.custom_vjp(rank=-1)(lambda x: x)
    with pytest.raises(TypeError):
        symdiff.elementwise(lambda x: x, partials=None)
    with pytest.raises(TypeError):
        softplus_vjp.defvjp(None, None)
    with pytest.raises(TypeError):
        symdiff.custom_vjp(lambda x: x, nondiff_argnums=(1,))
