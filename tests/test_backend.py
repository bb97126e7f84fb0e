"""Compiling generated source: Numba and plain Python, caching, source registration."""

import inspect
import math
import traceback

import numpy as np
import pytest

import symdiff
from symdiff import api, backend

from . import language_cases as lc
from .headline import f


def test_plain_python_runs_the_same_source_with_ieee_semantics():
    src = "import math\n\ndef g(x):\n    return math.log(x) + 1.0 / x\n"
    plain = backend.compile_source(src, "g", jit=False)
    assert math.isnan(plain(0.0))  # log(0) + 1/0 = -inf + inf
    assert math.isnan(plain(-1.0))
    jitted = backend.compile_source(src, "g", jit=True)
    assert math.isnan(jitted(-1.0))
    assert plain(2.0) == jitted(2.0)


def test_generated_source_is_visible_to_inspect_and_tracebacks():
    g = symdiff.grad(f, argnums=(0, 1), jit=False)
    g(2.0, 3.0)
    compiled = g.specialize(2.0, 3.0)
    assert "x_bar" in inspect.getsource(compiled)
    src = "def boom(x):\n    return undefined_name * x\n"
    plain = backend.compile_source(src, "boom", jit=False)
    with pytest.raises(NameError) as info:
        plain(1.0)
    text = "".join(traceback.format_exception(info.value))
    assert "return undefined_name * x" in text


def test_source_file_is_content_addressed_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMDIFF_CACHE_DIR", str(tmp_path))
    src = "def h(x):\n    return 3.0 * x\n"
    fn = backend.compile_source(src, "h", jit=False)
    assert fn(2.0) == 6.0
    files = list(tmp_path.glob("symdiff_gen_h_*.py"))
    assert len(files) == 1 and files[0].read_text() == src


def test_unwritable_cache_falls_back_to_linecache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SYMDIFF_CACHE_DIR", str(blocker / "sub"))
    src = "def k(x):\n    return 5.0 * x\n"
    fn = backend.compile_source(src, "k", jit=False)
    assert fn(2.0) == 10.0
    assert "5.0 * x" in inspect.getsource(fn)


def test_specialisation_is_generated_once_per_signature():
    g = symdiff.grad(lc.int_and_bool_arguments, jit=False)
    g(2.0, 3, True)
    g(5.0, 4, False)
    g(2.0, 3.0, True)
    keys = [k for k in api._DERIVED[lc.int_and_bool_arguments] if k[4] == "grad"]
    kinds = {k[0] for k in keys}
    assert len(kinds) == 2  # (float, int, bool) and (float, float, bool)
    assert len(g._impls) == 2


def test_compiled_gradient_is_callable_from_numba_code():
    import numba

    g = symdiff.grad(f, argnums=(0, 1))
    grad_f = g.specialize(2.0, 3.0)

    @numba.njit
    def descend(x, z, rate, steps):
        for _ in range(steps):
            gx, gz = grad_f(x, z)
            x -= rate * gx / (1.0 + abs(gx))
            z -= rate * gz / (1.0 + abs(gz))
        return x, z

    x, z = descend(2.0, 3.0, 1e-3, 10)
    assert x < 2.0 and z < 3.0
    assert np.allclose(grad_f(2.0, 3.0), g(2.0, 3.0))
