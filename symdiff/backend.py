"""Generated source -> callable.

The source is written to a content-addressed file in the cache directory
(``$SYMDIFF_CACHE_DIR``, else ``$XDG_CACHE_HOME/symdiff``, else
``~/.cache/symdiff``) and imported from there, so tracebacks, ``inspect``
and debuggers show the generated code, and Numba's own disk cache
(``cache=True``) can keep the machine code between processes.  When the
directory cannot be written, the source is registered in ``linecache``
instead (tracebacks still show it; nothing is cached on disk).

``jit=True`` compiles with ``numba.njit(error_model="numpy", boundscheck=True)``:
division by zero and math functions outside their domain give ``inf``/``nan``
as IEEE arithmetic does, instead of raising, and indices are checked.  ``jit=False`` runs the very same source
as plain Python with the same semantics: ``math`` is bound to an IEEE
version (NumPy's scalar functions) and float arguments are passed as
``numpy.float64``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import linecache
import math
import os
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

from . import vmath
from .errors import SymDiffError, caller_loc
from .primitives import PRIMITIVES, custom


def cache_dir() -> Path:
    base = os.environ.get("SYMDIFF_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "symdiff"


def _ieee_math() -> types.SimpleNamespace:
    """``math`` with IEEE results (inf/nan) instead of exceptions: each
    primitive's ``math`` names bound to its NumPy scalar function (``ieee``)."""
    space = types.SimpleNamespace(
        **{k: getattr(math, k) for k in dir(math) if not k.startswith("_")}
    )
    for entry in PRIMITIVES.values():
        if entry.ieee is not None:
            for name in entry.names.math:
                setattr(space, name, _in_float64(entry.ieee))
    return space


def _in_float64(ufunc):
    """``ufunc`` on float64 operands, as ``math`` computes (NumPy would compute
    a bool or small int operand in float16); a float32 operand stays float32,
    as in Numba (float32 code)."""
    return lambda *args: ufunc(*(a if isinstance(a, np.float32) else np.float64(a) for a in args))


IEEE_MATH = _ieee_math()


def _load_module(source: str, name: str) -> types.ModuleType:
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    modname = f"symdiff_gen_{name}_{digest}"
    if modname in sys.modules:
        return sys.modules[modname]
    path = None
    try:
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{modname}.py"
        if not path.exists() or path.read_text() != source:
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                handle.write(source)
            os.replace(tmp, path)
    except OSError:
        path = None
    if path is not None:
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        filename = f"<symdiff {modname}>"
        lines = source.splitlines(keepends=True)
        linecache.cache[filename] = (len(source), None, lines, filename)
        module = types.ModuleType(modname)
        module.__file__ = filename
        exec(compile(source, filename, "exec"), module.__dict__)
    sys.modules[modname] = module
    return module


def _as_ieee(value):
    return np.float64(value) if type(value) is float else value


def _with_ieee_math(module: types.ModuleType, name: str):
    """The module's function ``name`` rebound, with every helper it calls (the
    JVP a forward-mode gradient calls per element, Numba helpers), to a
    namespace where ``math`` is ``IEEE_MATH``."""
    namespace = dict(module.__dict__)
    namespace["math"] = IEEE_MATH
    for key, value in module.__dict__.items():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            namespace[key] = types.FunctionType(value.__code__, namespace, key)
    for key, value in module.__dict__.items():  # users' rules compiled by a jit=True run
        if custom.plain(value) is not value:
            namespace[key] = custom.plain(value)
    return namespace[name]


def compile_source(source: str, name: str, jit: bool = True, boundscheck: bool = True):
    """The function ``name`` defined by ``source``, compiled or plain Python.

    ``boundscheck=False`` where every index is proven within its array
    (``analysis.indices_in_bounds``)."""
    module = _load_module(source, name)
    py_func = getattr(module, name)
    if jit:
        import numba

        vmath.register_numba()  # vmath.exp and the others, vectorised under Numba
        rules = custom.rule_functions(vars(module))
        # Numba's cache would not see a change of a user's rule the code calls.
        cacheable = not module.__file__.startswith("<") and not rules
        for key, function in rules.items():
            setattr(module, key, custom.compiled(function))
        # Bounds checks: an index out of range raises IndexError (reported at
        # the user's line) instead of writing outside an array.
        options = {"cache": cacheable, "error_model": "numpy", "boundscheck": boundscheck}
        for helper, value in list(vars(module).items()):  # helpers the function calls
            if helper.startswith("_") and isinstance(value, types.FunctionType):
                setattr(module, helper, numba.njit(**options)(value))
        # a loop printed with prange (vmap(parallel=True)) runs across cores
        parallel = getattr(module, "prange", None) is numba.prange
        compiled = numba.njit(**options, parallel=parallel)(py_func)
        return _reporting_rules(compiled, sorted(rules)) if rules else compiled
    plain = _with_ieee_math(module, name)

    @functools.wraps(py_func)
    def run(*args):
        with np.errstate(all="ignore"):
            return plain(*map(_as_ieee, args))

    return run


def _reporting_rules(compiled, names):
    """``compiled``, whose Numba errors (a user's rule Numba cannot compile)
    are ``SymDiffError``s naming the rules and suggesting ``jit=False``."""
    from numba.core.errors import NumbaError

    @functools.wraps(compiled)
    def run(*args):
        try:
            return compiled(*args)
        except NumbaError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise SymDiffError(
                f"Numba cannot compile the code calling your rule functions "
                f"({', '.join(names)}): {first}",
                caller_loc(),
                "pass jit=False to run them as plain Python, or write them in the NumPy "
                "Numba supports (and compile them yourself with @numba.njit to see why)",
            ) from None

    return run
