"""Arrays we can trust: size-1 axes and keepdims in kinds and in reverse
mode's broadcasting sums, 0-d arrays, float32 kept float32 in both
backends, and generated source that does not depend on PYTHONHASHSEED.
Each test pins a defect found in random array programs."""

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symdiff import check_grad, derivative_source, grad, value_and_grad, vjp

from . import array_cases as ac
from . import headline
from . import loop_cases as lc

ROOT = Path(__file__).resolve().parents[1]


def branch_broadcast(b, v):
    """Size-1 axes met on one branch only (the run-time sum helpers)."""
    if b[0] < 0.3:
        u1 = np.outer(v, b)
    else:
        u1 = b + np.maximum(b.reshape((1, -1)), v.reshape((-1, 1)))
    return np.mean(u1)


def five_branches(x, y):
    """Several values joined after an if (the order of their phis)."""
    if x > 0.0:
        alpha, beta, gamma, delta, eps = x * y, x + y, y * 3.0, x / y, x - 2.0 * y
    else:
        alpha, beta, gamma, delta, eps = y, x - y, x * x, y * y, x
    return alpha * beta + gamma * delta - eps


def _args(n):
    return np.linspace(0.1, 0.9, n)


# (name, function, arguments, argnums, mode): representative generated code.
DETERMINISM_CASES = [
    ("headline", headline.f, (2.0, 3.0), (0, 1), "reverse"),
    ("headline-forward", headline.f, (2.0, 3.0), (0, 1), "forward"),
    ("five_branches", five_branches, (0.5, 0.3), (0, 1), "reverse"),
    ("five_branches-forward", five_branches, (0.5, 0.3), (0, 1), "forward"),
    ("mlp", ac.mlp_loss, (np.ones((5, 8)), _args(8), np.ones((8, 6)), _args(6),
                          np.ones((6, 1)), _args(1), np.ones((16, 5)), _args(16)),
     (0, 1, 2, 3, 4, 5), "reverse"),
    ("rosenbrock", lc.rosenbrock, (_args(5),), 0, "reverse"),
    ("branch_in_loop", lc.branch_in_loop, (_args(5),), 0, "reverse"),
    ("rnn", lc.rnn, (np.ones((3, 3)), _args(3), _args(3), _args(4)), (0, 1), "reverse"),
    ("branch_broadcast", branch_broadcast, (_args(5), _args(3)), (0, 1), "reverse"),
]  # fmt: skip


def determinism_sources() -> str:
    """Every generated module of DETERMINISM_CASES, for comparing processes."""
    parts = []
    for name, fn, args, argnums, mode in DETERMINISM_CASES:
        source = derivative_source(fn, *args, argnums=argnums, mode=mode)
        parts.append(f"### {name}\n{source}")
    return "\n".join(parts)


def _sources_with_hashseed(seed) -> str:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = "from tests.test_trust_arrays import determinism_sources as s; print(s())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_generated_source_does_not_depend_on_the_hash_seed():
    seeds = [0, 1, 2, 12345, random.randrange(2**32)]
    sources = {seed: _sources_with_hashseed(seed) for seed in seeds}
    first = sources[seeds[0]]
    assert first.count("###") == len(DETERMINISM_CASES)
    for seed, source in sources.items():
        assert source == first, f"PYTHONHASHSEED={seed} changes the generated code"


_HASHSEED_CHECK = """
import numpy as np
from symdiff import check_grad
from tests.test_trust_arrays import branch_broadcast
b = np.array([0.75, 0.1, 0.2, 0.3, 0.4])
v = np.array([0.5, 0.6, 0.7])
report = check_grad(branch_broadcast, b, v, jit=False)
assert report.ok, str(report)
"""


@pytest.mark.parametrize("seed", [0, 1, 3, 5])
def test_branch_broadcast_gradient_is_right_under_every_hash_seed(seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _HASHSEED_CHECK], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_an_operand_printed_twice_is_named_once():
    """The run-time size-1 sum helpers print their shape operand twice: the
    temporaries' renumbering must rename that node once, not twice."""
    b, v = np.array([0.75, 0.1, 0.2, 0.3, 0.4]), np.array([0.5, 0.6, 0.7])
    assert check_grad(branch_broadcast, b, v, jit=False).ok
    source = derivative_source(branch_broadcast, b, v, argnums=(0, 1))
    line = next(s for s in source.splitlines() if "_sum_axis1_if_one_2d(_sum_axis0" in s)
    target = line.split(" = np.zeros_like(")[1].split(")")[0]
    assert line.endswith(f"_sum_axis0_if_one_2d(t6, {target}), {target})"), line


# -- size-1 axes and keepdims ---------------------------------------------------
def sum_of_kept_mean(A):
    return np.sum(np.sum(A, axis=0, keepdims=True).mean(axis=0))


def sum_times_two(y):
    return np.sum(y * 2.0)


def kept_mean(W):
    return np.sum(np.mean(W, axis=1, keepdims=True))


def where_known_condition(A):
    return np.sum(np.where(2.0 > 0.0, A, np.sum(A, keepdims=True)))


def kept_mean_0(x):
    return np.sum(np.mean(x, axis=0, keepdims=True))


def kept_sum_column(W):
    h4 = np.sum(W, axis=1, keepdims=True)
    return np.sum(W[:, 2] * h4[:, 0])


def slice_plus_row(A, w):
    """A slice that may have one column, met by a row: its adjoint (a row,
    from the scalar seed) is summed over that column at run time."""
    X = A[:, 1:]
    return np.sum((X + w) * w)


def reduce_kept_twice(A):
    m = np.max(A, axis=1, keepdims=True)
    return np.sum(np.mean(A - m, axis=0, keepdims=True) * np.sum(m, keepdims=True))


def _r(*shape):
    return np.random.default_rng(sum(shape) + len(shape)).uniform(0.2, 1.0, size=shape)


# (function, arguments): every float argument is differentiated.
SIZE_ONE_CASES = [
    (sum_of_kept_mean, (_r(4, 3),)),
    (sum_of_kept_mean, (_r(1, 3),)),
    (sum_times_two, (_r(3, 1),)),
    (sum_times_two, (_r(1, 3),)),
    (sum_times_two, (_r(1, 1),)),
    (kept_mean, (_r(4, 3),)),
    (kept_mean, (_r(1, 3),)),
    (where_known_condition, (_r(4, 3),)),
    (kept_mean_0, (_r(1, 3),)),
    (kept_mean_0, (_r(4, 3),)),
    (kept_mean_0, (_r(4, 1),)),
    (kept_sum_column, (_r(4, 3),)),
    (slice_plus_row, (_r(3, 2), _r(1))),
    (slice_plus_row, (_r(3, 4), _r(3))),
    (reduce_kept_twice, (_r(3, 4),)),
    (reduce_kept_twice, (_r(1, 4),)),
]
SIZE_ONE_IDS = [
    f"{fn.__name__}-{'-'.join('x'.join(map(str, np.shape(a))) for a in args)}"
    for fn, args in SIZE_ONE_CASES
]


def _argnums(args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))


@pytest.mark.parametrize("fn, args", SIZE_ONE_CASES, ids=SIZE_ONE_IDS)
def test_size_one_axes_and_keepdims(fn, args):
    report = check_grad(fn, *args, jit=False)
    assert report.ok, str(report)
    for mode in ("reverse", "forward"):
        grads = grad(fn, _argnums(args), mode=mode, jit=False)(*args)
        assert [np.shape(g) for g in grads] == [np.shape(a) for a in args], mode


@pytest.mark.parametrize(
    "fn, args",
    [SIZE_ONE_CASES[i] for i in (0, 3, 7, 11, 12)],
    ids=[SIZE_ONE_IDS[i] for i in (0, 3, 7, 11, 12)],
)
def test_size_one_axes_compiled(fn, args):
    plain = grad(fn, _argnums(args), jit=False)(*args)
    compiled = grad(fn, _argnums(args))(*args)
    for a, b in zip(plain, compiled):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12)


# -- 0-d arrays: arrays of rank 0, gradients of the input's shape (as JAX) ------
def sine_of_0d(c):
    return np.sin(c) * 2.0


def mixed_0d(c, x):
    return np.sum(np.sin(c) * x) + c * c


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_0d_array_arguments(jit, mode, dtype):
    c, x = np.array(0.32, dtype=dtype), np.linspace(0.5, 1.5, 3).astype(dtype)
    g = grad(sine_of_0d, mode=mode, jit=jit)(c)
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == dtype
    np.testing.assert_allclose(g, 2.0 * np.cos(0.32), rtol=1e-6)
    value, (gc, gx) = value_and_grad(mixed_0d, argnums=(0, 1), mode=mode, jit=jit)(c, x)
    assert value == pytest.approx(mixed_0d(c, x), rel=1e-6)
    assert gc.shape == () and gc.dtype == dtype and gx.shape == (3,)
    np.testing.assert_allclose(gc, np.cos(0.32) * np.sum(x) + 0.64, rtol=1e-5)
    np.testing.assert_allclose(gx, np.full(3, np.sin(0.32)), rtol=1e-5)


@pytest.mark.parametrize("jit", [False, True])
def test_0d_array_vjp_and_check(jit):
    c = np.array(0.32)
    value, pullback = vjp(sine_of_0d, c, jit=jit)
    (gc,) = pullback(2.0)
    assert gc.shape == () and gc == pytest.approx(4.0 * np.cos(0.32), rel=1e-12)
    report = check_grad(mixed_0d, c, np.ones(3), jit=jit)
    assert report.ok and report.sympy_value is not None and not report.notes, str(report)
