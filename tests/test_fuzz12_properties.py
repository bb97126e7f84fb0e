"""Random programs over issue 12's NumPy and SciPy functions
(``tests/fuzz12_programs.py``): for each, reverse mode = forward mode = the
code before optimisation = finite differences of the function run by NumPy
and SciPy, the value is NumPy's, gradients have their argument's shape and
dtype (float32 kept float32, close to the float64 gradient), and Numba gives
what plain Python gives.

A refusal (a ``SymDiffError``) drops the example; anything else raised, or a
wrong number, fails.  The suite runs a few dozen examples; a long hunt sets
``SYMDIFF_FUZZ_EXAMPLES`` (and ``SYMDIFF_FUZZ_REFUSALS=path`` to collect the
refusals' messages for review)::

    SYMDIFF_FUZZ_EXAMPLES=3000 python -m pytest -p no:cacheprovider \\
        tests/test_fuzz12_properties.py -k python
"""

from __future__ import annotations

import ast
import importlib.util
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from symdiff import derivative_source, value_and_grad
from symdiff.errors import SymDiffError
from symdiff.verify import finite_difference

from .fuzz12_programs import HEADER, random_program

EXAMPLES = int(os.environ.get("SYMDIFF_FUZZ_EXAMPLES", "40"))
REFUSALS = os.environ.get("SYMDIFF_FUZZ_REFUSALS")
SETTINGS = dict(
    deadline=None,
    derandomize="SYMDIFF_FUZZ_EXAMPLES" not in os.environ,  # the suite: the same examples
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz12_programs")


def load(directory, program):
    """The program's function, from a file (symdiff reads its source)."""
    path = directory / f"{program.name}.py"
    path.write_text(HEADER + program.source)
    spec = importlib.util.spec_from_file_location(f"symdiff_fuzz12_{program.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, program.name)


def arguments(program, seed, dtype=np.float64):
    """Samples in (-1, 1) (a rank-0 argument a float or a 0-d array); the
    weights ``w`` last, shaped like the program's result (of the same dtype)."""
    rng = np.random.default_rng(seed)
    args = []
    for name, shape in program.shapes.items():
        value = rng.uniform(-1.0, 1.0, size=shape)
        if shape == () and name != "w" and rng.random() < 0.5:
            args.append(float(value))
        else:
            args.append(np.asarray(value, dtype=dtype))
    return args


def _refused(program, exc):
    if REFUSALS:
        with open(REFUSALS, "a") as out:
            out.write(f"### {type(exc).__name__}: {str(exc).splitlines()[0]}\n{program.source}\n")
    note(f"refused: {exc}")
    assume(False)


def _runs(fn, args):
    """NumPy's value, or None where the program is not one (shapes the
    generator got wrong) or leaves the numbers (overflow)."""
    with np.errstate(all="ignore"):
        try:
            value = fn(*args)
        except (ValueError, IndexError, TypeError, np.linalg.LinAlgError):
            return None
    if not np.isfinite(value) or abs(value) > 1e8:
        return None
    return float(value)


def _gradients(fn, args, argnums, mode, jit=False):
    value, grads = value_and_grad(fn, argnums, mode=mode, jit=jit)(*args)
    return value, list(grads)


def _unoptimized(fn, args, argnums):
    source = derivative_source(fn, *args, argnums=argnums, optimized=False)
    namespace: dict = {}
    exec(compile(source, "<unoptimized>", "exec"), namespace)
    name = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)][-1]
    return list(namespace[name](*args))


def _smooth_fd(fn, args, position, element, scale):
    """Richardson central differences, or None where two step sizes disagree
    (a max, a mask, a clip changing its mind nearby)."""
    with np.errstate(all="ignore"):
        coarse = finite_difference(fn, list(args), position, h=1e-3, element=element)
        fine = finite_difference(fn, list(args), position, h=2.5e-4, element=element)
    if not np.isfinite(fine) or abs(coarse - fine) > 1e-7 * scale + 1e-6 * abs(fine):
        return None
    return fine


def _assert_close(ours, theirs, what, rtol=1e-9, atol=1e-11):
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what} d/d{k}")


def check_program(directory, seed):
    program = random_program(seed)
    note(program.source)
    fn = load(directory, program)
    args = arguments(program, seed)
    value = _runs(fn, args)
    assume(value is not None)
    argnums = tuple(range(len(args) - 1))
    before = [np.copy(a) for a in args]
    try:
        value_r, rev = _gradients(fn, args, argnums, "reverse")
    except SymDiffError as exc:
        _refused(program, exc)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b, err_msg="reverse mode wrote into an argument")
    scale = 1.0 + abs(value) + sum(float(np.sum(np.abs(g))) for g in rev)
    assert value_r == pytest.approx(value, rel=1e-9, abs=1e-11), "value"
    for position, g in enumerate(rev):
        assert np.shape(g) == np.shape(args[position]), ("shape", position)
    value_f, fwd = _gradients(fn, args, argnums, "forward")
    assert value_f == pytest.approx(value, rel=1e-9, abs=1e-11), "forward value"
    _assert_close(fwd, rev, "forward", atol=1e-10 * scale)
    _assert_close(_unoptimized(fn, args, argnums), rev, "unoptimized", atol=1e-10 * scale)
    compared = 0
    for position in argnums:
        for element in np.ndindex(np.shape(args[position])):
            fd = _smooth_fd(fn, args, position, element, scale)
            if fd is not None:
                compared += 1
                ours = float(np.asarray(rev[position])[element])
                assert ours == pytest.approx(fd, rel=1e-5, abs=1e-6 * scale), (position, element)
    assume(compared > 0)
    if program.float32:
        _check_float32(fn, program, seed, argnums, rev, scale)


def _check_float32(fn, program, seed, argnums, expected, scale):
    """Float32 arguments: gradients close to the float64 ones, in both modes;
    float32 in forward mode.  (Reverse mode may return float64 where a scalar
    special function meets float32 arrays: tests/test_fuzz12_regressions.py,
    an expected failure.)"""
    args = arguments(program, seed, dtype=np.float32)
    for mode in ("reverse", "forward"):
        _, grads = _gradients(fn, args, argnums, mode)
        for g, arg, wide in zip(grads, args, expected):
            if isinstance(arg, np.ndarray) and mode == "forward":
                assert np.asarray(g).dtype == np.float32, "float32 in, float32 out"
            np.testing.assert_allclose(g, wide, rtol=2e-3, atol=2e-4 * scale, err_msg=mode)


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_python_programs(program_dir, seed):
    check_program(program_dir, seed)


@settings(max_examples=max(3, EXAMPLES // 20), **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_numba_matches_python(program_dir, seed):
    program = random_program(seed)
    note(program.source)
    fn = load(program_dir, program)
    args = arguments(program, seed)
    assume(_runs(fn, args) is not None)
    argnums = tuple(range(len(args) - 1))
    for mode in ("reverse", "forward"):
        try:
            plain_value, plain = _gradients(fn, args, argnums, mode)
        except SymDiffError as exc:
            _refused(program, exc)
        value, compiled = _gradients(fn, args, argnums, mode, jit=True)
        scale = 1.0 + abs(plain_value) + sum(float(np.sum(np.abs(g))) for g in plain)
        assert value == pytest.approx(plain_value, rel=1e-10, abs=1e-12 * scale), mode
        _assert_close(compiled, plain, f"numba {mode}", rtol=1e-9, atol=1e-11 * scale)
