"""Tiered builds (``symdiff.tiered``): the plain build answers the first calls
while Numba compiles in the background, then calls switch to Numba's build,
which computes the same values."""

import sys
import types
import warnings

import numpy as np
import pytest

import symdiff
from symdiff import backend, tiered
from symdiff.errors import SymDiffError
from symdiff.library import registry

from .headline import f

WAIT = 600  # seconds: a bound for a loaded machine, not a timing


@pytest.fixture
def background(monkeypatch, tmp_path):
    """Background builds, into a new source cache (the child process
    compiles into it and Numba's cache)."""
    monkeypatch.setenv("SYMDIFF_JIT", "background")
    monkeypatch.setenv("SYMDIFF_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SYMDIFF_QUIET", "1")


def _only(calls):
    """The one specialisation in a table."""
    (impl,) = calls.values()
    return impl


def test_scalar_gradient_switches_to_numba_with_the_same_values(background):
    g = symdiff.grad(f, argnums=(0, 1))
    first = g(2.0, 3.0)  # the plain build
    impl = _only(g._impls)
    assert impl.build is not None and not hasattr(impl.compiled, "py_func")
    assert impl.build.wait(WAIT) and impl.build.error is None
    again = g(2.0, 3.0)  # switches
    switched = _only(g._impls)
    assert getattr(switched, "build", None) is None and hasattr(switched, "py_func")
    assert g._spec._entry_namespace["_impl"] is switched  # the entry calls Numba directly
    assert g(2.0, 3.0) == again == first  # scalar code: the same operations, the same bits
    assert g.specialize(2.0, 3.0) is switched


def mlp(W, b, X, y):
    h = np.tanh(X @ W + b)
    return np.mean((np.sum(h, axis=1) - y) ** 2)


def test_array_jvp_switches_to_numba_with_the_same_values(background):
    rng = np.random.default_rng(0)
    W, b, X, y = (
        rng.normal(size=(3, 4)),
        rng.normal(size=4),
        rng.normal(size=(5, 3)),
        rng.normal(size=5),
    )
    tangents = (rng.normal(size=(3, 4)), None, None, None)
    first = symdiff.jvp(mlp, (W, b, X, y), tangents)
    spec = symdiff.api._jvp_cache(mlp, (0,), True)
    impl = _only(spec._impls)
    assert impl.build.wait(WAIT) and impl.build.error is None
    again = symdiff.jvp(mlp, (W, b, X, y), tangents)
    assert getattr(_only(spec._impls), "build", None) is None
    # the same source: only sums may round differently (NumPy sums pairwise)
    np.testing.assert_allclose(again, first, rtol=1e-13, atol=0)


def test_specialize_waits_for_numba(background):
    g = symdiff.grad(f)
    g(2.0, 3.0)
    assert hasattr(g.specialize(2.0, 3.0), "py_func")  # a dispatcher @njit code can call


def test_a_build_numba_cannot_compile_leaves_the_plain_build(background):
    src = "def nojit(x):\n    return x + float(isinstance(object(), object))\n"
    run = backend.compile_source(src, "nojit", jit=True)
    value = run(2.0)  # plain Python answers
    assert run.build.wait(WAIT) and run.build.error is not None
    assert run(2.0) == value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        symdiff.api._numba_failed(f, run.build.error)
    assert "plain NumPy build keeps answering" in str(caught[0].message)


def test_sync_mode_returns_numba_at_once(monkeypatch):
    monkeypatch.setenv("SYMDIFF_JIT", "sync")
    run = backend.compile_source("def twice(x):\n    return 2.0 * x\n", "twice", jit=True)
    assert hasattr(run, "py_func") and not hasattr(run, "build")


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("SYMDIFF_JIT", "later")
    with pytest.raises(SymDiffError, match="SYMDIFF_JIT"):
        backend.compile_source("def once(x):\n    return x\n", "once", jit=True)


ROW = np.arange(12.0).reshape(3, 4)
READ_ONLY = np.ones(3)
READ_ONLY.flags.writeable = False


@pytest.mark.parametrize(
    "value",
    [
        2.0,
        3,
        True,
        1j,
        np.float32(1.5),
        np.int32(2),
        np.float64(2.0),
        ROW,
        ROW.T,  # F
        ROW[:, ::2],  # A
        READ_ONLY,
        np.ones(4, dtype=np.float32),
        np.zeros((0, 3)),
    ],
    ids=repr,
)
def test_signature_described_to_the_child_is_numbas_typeof(value):
    import numba

    assert tiered.numba_type(tiered.describe(value)) == numba.typeof(value)


def test_what_only_numba_can_type_is_not_described():
    assert tiered.describe(2**70) is None and tiered.describe((1.0, 2.0)) is None


def test_progress_note_is_one_line_and_quiet_silences_it(monkeypatch, capsys):
    monkeypatch.delenv("SYMDIFF_QUIET", raising=False)
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    tiered.slow_note("f_grad")._note()
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "f_grad" in note and "SYMDIFF_QUIET=1" in note
    monkeypatch.setenv("SYMDIFF_QUIET", "1")
    tiered.slow_note("f_grad")._note()
    assert capsys.readouterr().err == ""


def test_library_table_does_not_import_lazy_submodules(monkeypatch):
    # SciPy's package __getattr__ imports scipy.signal, scipy.stats... on
    # access: building the table must read only what is loaded.
    touched = []
    package = types.ModuleType("lazypkg")
    package.__getattr__ = lambda name: touched.append(name)
    monkeypatch.setitem(sys.modules, "lazypkg", package)
    assert registry._resolve("lazypkg.signal.convolve") is None
    assert touched == []


def test_a_gradient_is_callable_from_njit_code_without_specialize():
    import numba

    g = symdiff.grad(f, argnums=(0, 1))
    value_and_gradient = symdiff.value_and_grad(f)

    @numba.njit
    def descend(x, z, steps):
        for _ in range(steps):
            gx, gz = g(x, z)
            x -= 0.01 * gx / (1.0 + abs(gx))
        return x, value_and_gradient(x, z)

    x, (value, gx) = descend(2.0, 3.0, 3)
    expected = 2.0
    for _ in range(3):
        step = g(expected, 3.0)[0]
        expected -= 0.01 * step / (1.0 + abs(step))
    assert x == expected and (value, gx) == symdiff.value_and_grad(f)(x, 3.0)

    @numba.njit
    def with_arrays(w):
        return g(w, w)

    with pytest.raises(numba.core.errors.TypingError, match="specialize"):
        with_arrays(np.ones(3))
