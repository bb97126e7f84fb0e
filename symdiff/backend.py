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
``numpy.float64``.  With ``jit=True`` the plain build answers the first
calls while Numba compiles in the background (``tiered``), unless
``$SYMDIFF_JIT=sync``.
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

from . import numba_types, tiered, vmath
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


def compile_source(
    source: str, name: str, jit: bool = True, boundscheck: bool = True, wait: bool | None = None
):
    """The function ``name`` defined by ``source``, compiled or plain Python.

    ``boundscheck=False`` where every index is proven within its array
    (``analysis.indices_in_bounds``).  With ``jit=True``, ``wait`` says
    whether to return the Numba dispatcher (which compiles at its first
    call) or, while the Numba build is not ready, the plain build with the
    Numba build as its ``build`` attribute (``tiered``); by default
    (``None``), as ``$SYMDIFF_JIT`` says (``jit_mode``)."""
    module = _load_module(source, name)
    if not jit:
        return _plain(module, name)
    rules = custom.rule_functions(vars(module))
    # Numba's cache would not see a change of a user's rule the code calls.
    cacheable = not module.__file__.startswith("<") and not rules
    if rules:  # compiled now, as they always were: their errors are the user's to see
        return _reporting_rules(numba_build(module, name, boundscheck, False), sorted(rules))
    if wait is None:
        wait = jit_mode() == "sync"
    build = tiered.build_of(
        module,
        name,
        boundscheck,
        cacheable,
        lambda: numba_build(module, name, boundscheck, cacheable),
    )
    if wait or build.compiled is not None:
        return build.dispatcher()
    return build.plain_until_ready(_plain(module, name))


def jit_mode() -> str:
    """``$SYMDIFF_JIT``: ``background`` (the default: the first calls run the
    plain build while Numba compiles in the background) or ``sync`` (the
    first call waits for Numba, as tests and benchmarks want)."""
    mode = os.environ.get("SYMDIFF_JIT", "background").strip().lower() or "background"
    if mode not in ("background", "sync"):
        raise SymDiffError(
            f"SYMDIFF_JIT={mode!r} is not a mode symdiff knows",
            caller_loc(),
            "set SYMDIFF_JIT=background (the default) or SYMDIFF_JIT=sync; "
            "grad(f, jit=False) runs plain Python only",
        )
    return mode


def numba_build(module: types.ModuleType, name: str, boundscheck: bool, cacheable: bool):
    """The Numba dispatcher of the function ``name`` of ``module``, and of
    the helpers it calls, in a copy of the module's namespace (the module
    itself stays plain Python, which the plain build copies)."""
    import numba

    numba_types.attach_pending()  # Numba is loaded: derivatives made before get their type
    vmath.register_numba()  # vmath.exp and the others, vectorised under Numba
    namespace = dict(vars(module))
    rules = custom.rule_functions(namespace)
    for key, function in rules.items():
        namespace[key] = custom.compiled(function)
    # Bounds checks: an index out of range raises IndexError (reported at
    # the user's line) instead of writing outside an array.
    options = {"cache": cacheable, "error_model": "numpy", "boundscheck": boundscheck}
    for helper, value in vars(module).items():  # helpers the function calls
        if helper.startswith("_") and isinstance(value, types.FunctionType):
            namespace[helper] = numba.njit(**options)(_rebound(value, namespace))
    # a loop printed with prange (vmap(parallel=True)) runs across cores
    parallel = namespace.get("prange") is numba.prange
    return numba.njit(**options, parallel=parallel)(_rebound(getattr(module, name), namespace))


def _rebound(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    """``function`` reading its globals from ``namespace``."""
    copy = types.FunctionType(
        function.__code__,
        namespace,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__qualname__, copy.__doc__ = function.__qualname__, function.__doc__
    copy.__module__ = function.__module__
    return copy


def build_in_child() -> None:
    """A child process of ``tiered``: compile one signature into the disk caches."""
    import json

    job = json.loads(sys.argv[-1])
    module = _load_module(Path(job["path"]).read_text(), job["name"])
    dispatcher = numba_build(module, job["name"], job["boundscheck"], True)
    dispatcher.compile(tuple(tiered.numba_type(d) for d in job["signature"]))
    tiered.marker(job["path"], job["boundscheck"], job["signature"]).touch()


def _plain(module: types.ModuleType, name: str):
    """The plain-Python build: IEEE ``math``, float arguments as ``numpy.float64``."""
    py_func = getattr(module, name)
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
