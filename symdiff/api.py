"""The public API: ``differentiate``, ``grad``, ``value_and_grad``, ``jvp``,
``vjp``, ``derivative_source``.

Each differentiated function is specialised per argument signature: the first
call with a given signature (the kinds of the arguments) parses the function
(once), generates the derivative source, optimises it and compiles it; later
calls with the same signature go straight to the compiled code.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers
import os
import types
import weakref
from dataclasses import dataclass

import numpy as np

from . import __version__, backend, codegen, frontend, ir, optimize
from .analysis import analyze, indices_in_bounds
from .errors import ArgumentError, Loc, ShapeError, SymDiffError
from .ir import BOOL, FLOAT, INT
from .transform.forward import forward
from .transform.reverse import reverse

MODES = ("reverse", "forward")
KINDS = ("grad", "value_and_grad", "jvp", "vjp")

_PARSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DERIVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Derivative:
    """One specialisation: the generated source, its IR and the callable."""

    source: str
    function: ir.Function
    name: str
    boundscheck: bool = True
    output: ir.Kind = FLOAT  # the kind of the differentiated function's value

    def compile(self, jit: bool):
        return backend.compile_source(self.source, self.name, jit, self.boundscheck)


def _unwrap(fn):
    return getattr(fn, "__symdiff_function__", fn)


def _check_function(fn):
    """Fail early, at the user's call, for things that are not Python functions."""
    if not isinstance(fn, types.FunctionType):
        frontend.parse(fn)  # raises SourceUnavailableError with the caller's location


def _values(values, what: str, fn) -> tuple:
    """``values`` as a tuple of numbers and arrays (None kept), or a clear error."""
    if not isinstance(values, (tuple, list)):
        raise ArgumentError(
            f"{what} must be a tuple with one value per parameter, not {type(values).__name__}",
            fn.loc,
            f"write {what}=(2.0, 3.0), one value per parameter of {fn.name}",
        )
    for value in values:
        if value is not None and not isinstance(value, (*_NUMBER, np.ndarray)):
            raise ArgumentError(
                f"{what} must hold numbers or NumPy arrays, not {type(value).__name__}",
                fn.loc,
                "pass floats or np.ndarray (convert lists with np.asarray)",
            )
    return tuple(values)


_NUMBER = (numbers.Real, np.floating, np.integer)


def _like(value, primal, what: str, fn):
    """A tangent or cotangent ``value`` checked against the shape of ``primal``
    (a number for a number, an array of the same shape for an array)."""
    if not isinstance(value, (*_NUMBER, np.ndarray)):
        raise ArgumentError(
            f"{what} must be a number or a NumPy array, not {type(value).__name__}",
            fn.loc,
            "pass a float, or an np.ndarray shaped like the value it stands for",
        )
    if not isinstance(primal, np.ndarray):
        if isinstance(value, np.ndarray) and value.ndim:
            raise ArgumentError(
                f"{what} is an array of shape {value.shape} for a scalar", fn.loc, "pass a float"
            )
        return float(value)
    if np.shape(value) != primal.shape:
        raise ArgumentError(
            f"{what} has shape {np.shape(value)}, not the shape {primal.shape} it stands for",
            fn.loc,
            f"pass an array of shape {primal.shape}",
        )
    return np.asarray(value, dtype=primal.dtype if primal.dtype.kind == "f" else float)


def parsed(fn) -> ir.Function:
    """The IR of ``fn``, parsed once per function object."""
    fn = _unwrap(fn)
    try:
        return _PARSED[fn]
    except (KeyError, TypeError):
        pass
    result = frontend.parse(fn)
    try:
        _PARSED[fn] = result
    except TypeError:  # not weak-referenceable: do not cache
        pass
    return result


def kind_of(value, fn: ir.Function, index: int) -> ir.Kind:
    """The kind of one argument value."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (numbers.Integral, np.integer)):
        return INT
    if isinstance(value, (numbers.Real, np.floating)):
        return FLOAT
    name = fn.params[index] if index < len(fn.params) else f"#{index}"
    if isinstance(value, np.ndarray):
        for dtype, base in (("float", np.floating), ("int", np.integer), ("bool", np.bool_)):
            if np.issubdtype(value.dtype, base):
                unit = tuple(i for i, size in enumerate(value.shape) if size == 1)
                return ir.Kind(dtype, value.ndim, unit)
        raise ArgumentError(
            f"argument '{name}' is an array of dtype {value.dtype}",
            fn.loc,
            "pass float64 (or int, bool) arrays",
        )
    raise ArgumentError(
        f"argument '{name}' is a {type(value).__name__}; symdiff takes numbers and NumPy arrays",
        fn.loc,
        "pass floats, ints, bools or np.ndarray (convert lists with np.asarray)",
    )


def in_float32(args) -> bool:
    """Does code for these arguments compute in float32: are its float arrays
    float32 (and float scalars then taken as float32, as NumPy does)?"""
    floats = [a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return bool(floats) and all(dtype == np.float32 for dtype in floats)


def _gradient_converter(arg, float32: bool):
    """How a gradient with respect to ``arg`` is returned: of ``arg``'s shape
    and float dtype (a 0-d array for a 0-d array; float32 in float32 code)."""
    if isinstance(arg, np.ndarray) and arg.ndim == 0:
        return lambda g: np.asarray(g, arg.dtype)
    if float32 and not isinstance(arg, np.ndarray):
        return np.float32
    return lambda g: g


def _float32_scalar(value):
    if isinstance(value, (float, np.floating)) and not isinstance(value, np.ndarray):
        return np.float32(value)
    return value


def signature_key(args) -> tuple:
    """What a specialisation depends on: types; rank, dtype and size-1 axes of arrays."""
    types = tuple(map(type, args))
    if np.ndarray not in types:
        return types
    return tuple(_array_key(a) if t is np.ndarray else t for a, t in zip(args, types))


def _array_key(a):
    """Rank, dtype, and the axes of size 1 (which broadcast, so their adjoints
    are summed): arrays of any other sizes share one specialisation."""
    if 1 in a.shape:
        return (a.ndim, a.dtype.char, tuple(size == 1 for size in a.shape))
    return (a.ndim, a.dtype.char)


def normalize_argnums(argnums, fn: ir.Function):
    """``argnums`` as a tuple of indices, and whether it was a single int."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    items = (argnums,) if single else argnums
    try:
        items = tuple(items)
    except TypeError:
        raise ArgumentError(
            f"argnums must be an int or a tuple of ints, not {argnums!r}",
            fn.loc,
            "write argnums=0 or argnums=(0, 1)",
        ) from None
    n = len(fn.params)
    out = []
    for i in items:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise ArgumentError(
                f"argnums must contain ints, not {i!r}", fn.loc, "write argnums=0 or argnums=(0, 1)"
            )
        if not -n <= i < n:
            raise ArgumentError(
                f"argnums {i} is out of range: {fn.name} has {n} parameter"
                f"{'s' * (n != 1)} ({', '.join(fn.params)})",
                fn.loc,
                f"use an index from 0 to {n - 1}",
            )
        out.append(int(i) % n)
    if len(set(out)) != len(out):
        raise ArgumentError(
            f"argnums {argnums!r} repeats an argument", fn.loc, "list each argument once"
        )
    if not out:
        raise ArgumentError("argnums is empty", fn.loc, "name at least one argument")
    return tuple(out), single


def _check_mode(mode, fn):
    if mode not in MODES:
        raise ArgumentError(
            f"mode must be 'reverse' or 'forward', not {mode!r}",
            fn.loc,
            "write mode='reverse' (default) or mode='forward'",
        )


def derive(
    fn,
    kinds,
    argnums: tuple,
    single: bool,
    mode: str,
    kind: str,
    optimized: bool = True,
    float32: bool = False,
) -> Derivative:
    """Generate (or fetch) the derivative code for one signature
    (``float32``: its float arrays are float32, see ``in_float32``)."""
    key = (kinds, argnums, single, mode, kind, optimized, float32)
    fn = _unwrap(fn)
    try:
        per_fn = _DERIVED.setdefault(fn, {})
    except TypeError:
        per_fn = {}
    if key in per_fn:
        return per_fn[key]
    primal = parsed(fn)
    _check_mode(mode, primal)
    wrt = tuple(primal.params[i] for i in argnums)
    an = analyze(primal, kinds, wrt)
    out_kind = check_output(primal, an, kind)
    is_forward = kind == "jvp" or (mode == "forward" and kind != "vjp")
    over_arrays = is_forward and kind != "jvp" and any(an.kinds[p].rank for p in wrt)
    if over_arrays:  # the JVP, called once per basis direction by a driver
        extra = [an.kinds[p] for p in wrt]
        derived, kinds_of = _derived(
            primal, an, kinds + tuple(extra), wrt, "jvp", single, True, optimized
        )
        derived = dataclasses.replace(derived, name=f"_{primal.name}_jvp")
    else:
        extra = [an.kinds[p] for p in wrt] if kind == "jvp" else [out_kind] if kind == "vjp" else []
        derived, kinds_of = _derived(
            primal, an, kinds + tuple(extra), wrt, kind, single, is_forward, optimized
        )
    # Bounds are proven on the code that runs; a jvp's tangents are made
    # like the primals they go with.
    jvp_made = kind == "jvp" or over_arrays
    tangents = dict(zip(derived.params[len(primal.params) :], wrt)) if jvp_made else {}
    checked = not indices_in_bounds(derived, kinds_of, tangents)
    header = _header(primal, kinds, wrt, is_forward, checked, float32)
    if over_arrays:
        source = _forward_over_arrays(primal, derived, kinds_of, wrt, kind, single, header, float32)
        name = f"{primal.name}_{kind}"
    else:
        doc = _docstring(primal, derived, wrt, kind, single, is_forward)
        source = codegen.function_source(derived, doc, header, kinds_of, float32)
        name = derived.name
    result = Derivative(source, derived, name, checked, out_kind)
    per_fn[key] = result
    return result


def _derived(primal, an, all_kinds, wrt, kind, single, is_forward, optimized):
    """The derivative's IR (optimised unless asked not to) and its kinds."""
    derived = (forward if is_forward else reverse)(primal, an, wrt, kind, single)
    if optimized:
        derived = optimize.optimize(derived, analyze(derived, all_kinds, generated=True).kinds)
    return derived, analyze(derived, all_kinds, generated=True).kinds


def _forward_over_arrays(primal, jvp, kinds_of, wrt, kind, single, header, float32):
    """Forward mode with respect to arrays: the source of the JVP function and
    of the driver that calls it once per basis direction (one element of one
    input), as the source shows and the backend runs."""
    jvp_doc = _docstring(primal, jvp, wrt, "jvp", single, True)
    doc = _docstring(primal, jvp, wrt, kind, single, True).splitlines()[0]
    doc += f"\n\n    One call of {jvp.name} per element of each array (and per scalar).\n    "
    driver = codegen.forward_driver(
        f"{primal.name}_{kind}",
        primal.name,
        jvp,
        wrt,
        [kinds_of[t].rank for t in jvp.params[len(primal.params) :]],
        kind == "value_and_grad",
        single,
        doc,
    )
    return codegen.function_source(jvp, jvp_doc, header, kinds_of, float32, then=driver)


def _header(primal, kinds, wrt, is_forward, checked, float32) -> tuple:
    """The comment lines at the top of the generated module."""
    precision = "float32" if float32 else "float"
    signature = ", ".join(
        f"{p}: {str(k).replace('float', precision)}" for p, k in zip(primal.params, kinds)
    )
    header = (
        f"Generated by symdiff {__version__} from {primal.name} "
        f"({primal.loc.filename}:{primal.loc.lineno})",
        f"{'forward' if is_forward else 'reverse'} mode, "
        f"{primal.name}({signature}), with respect to {', '.join(wrt)}",
    )
    if any(isinstance(s, ir.Loop) for s in ir.walk(primal.body)):
        header += (
            "indices checked when the code runs"
            if checked
            else "every index is provably within its array: compiled without bounds checks",
        )
    return header


def check_output(primal, an, kind: str):
    """The output's kind, or a clear error if ``kind`` cannot use it."""
    if isinstance(primal.result, tuple):
        raise ArgumentError(
            f"{primal.name} returns a tuple; {kind} needs a single scalar output",
            primal.result_loc or primal.loc,
            "return one float, or differentiate a function that selects one output",
        )
    out_kind = an.kind(primal.result)
    if out_kind.rank and kind in ("grad", "value_and_grad"):
        raise ArgumentError(
            f"{primal.name} returns an array (rank {out_kind.rank}); {kind} needs a scalar output",
            primal.result_loc or primal.loc,
            "reduce it to a scalar (np.sum, np.mean), or use vjp/jvp for array outputs",
        )
    if out_kind.dtype != "float":
        raise ArgumentError(
            f"{primal.name} returns {'a bool' if out_kind == BOOL else 'an int'}; "
            "derivatives need a float output",
            primal.result_loc or primal.loc,
            "return a float (write 1.0 rather than 1)",
        )
    return out_kind


def _docstring(primal, derived, wrt, kind, single, is_forward) -> str:
    name = primal.name if len(primal.name) == 1 else f"({primal.name})"
    how = "forward" if is_forward else "reverse"
    parts = [f"d{name}/d{p}" for p in wrt]
    grads = parts[0] if single else f"({', '.join(parts)}{',' * (len(parts) == 1)})"
    if kind == "grad":
        first = f"Gradient of {primal.name} with respect to {', '.join(wrt)}, by {how} mode."
        returns = grads
    elif kind == "value_and_grad":
        first = f"Value and gradient of {primal.name}, by {how} mode."
        returns = f"({primal.name}, {grads})"
    elif kind == "jvp":
        first = f"Value and directional derivative of {primal.name} (forward mode)."
        tangents = derived.params[len(primal.params) :]
        combo = " + ".join(f"d{name}/d{p} * {t}" for p, t in zip(wrt, tangents))
        returns = f"({primal.name}, its derivative {combo})"
    else:
        first = f"Value and vector-Jacobian product of {primal.name} (reverse mode)."
        seed = derived.params[-1]
        parts = [f"{seed} * {part}" for part in parts]
        vec = parts[0] if single else f"({', '.join(parts)}{',' * (len(parts) == 1)})"
        returns = f"({primal.name}, {vec})"
    return f"{first}\n\nReturns {returns}.\n"


class _Specialised:
    """Calls the compiled derivative for the arguments' signature.

    The table is keyed by the argument types, so after the first call with a
    signature a call costs one dictionary lookup plus the compiled call.
    """

    def __init__(self, fn, argnums, mode, jit, kind):
        self.fn = _unwrap(fn)
        _check_function(self.fn)
        self.argnums = argnums
        self.mode = mode
        self.jit = jit
        self.kind = kind
        self._impls: dict = {}
        self._nargs = getattr(getattr(self.fn, "__code__", None), "co_argcount", -1)
        functools.update_wrapper(self, self.fn, updated=())
        self.__name__ = f"{self.fn.__name__}_{kind}"
        self.__qualname__ = self.__name__

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        try:
            impl = self._impls[signature_key(args)]
        except KeyError:
            return self._first_call(args)
        try:
            return impl(*args)
        except (ValueError, IndexError, AssertionError) as exc:
            raise _explain(self.fn, args, exc) from exc

    def derivative(self, *args, optimized=True, **kwargs) -> Derivative:
        """The ``Derivative`` (source and IR) generated for these arguments."""
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        primal = parsed(self.fn)
        _check_arity(primal, args)
        kinds = tuple(kind_of(a, primal, i) for i, a in enumerate(args))
        argnums, single = self._argnums(primal, args)
        return derive(
            self.fn, kinds, argnums, single, self.mode, self.kind, optimized, in_float32(args)
        )

    def _argnums(self, primal, args):
        return normalize_argnums(self.argnums, primal)

    def source(self, *args, **kwargs) -> str:
        """The generated derivative source for these arguments' signature."""
        return self.derivative(*args, **kwargs).source

    def specialize(self, *args, **kwargs):
        """The compiled function for this signature (a Numba dispatcher when
        ``jit=True``), callable from other ``@njit`` code (which passes 0-d
        arrays as scalars, and float32 code's float scalars as float32)."""
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        impl = self._specialized(args)
        return getattr(impl, "compiled", impl)

    def _specialized(self, args):
        """What calls with these arguments' signature run."""
        key = signature_key(args)
        if key not in self._impls:
            self._impls[key] = self.compiled(args)
            entry = getattr(self, "_entry_namespace", None)
            if entry is not None and all(isinstance(k, type) for k in key):
                entry.update({f"_t{i}": k for i, k in enumerate(key)})
                entry["_impl"] = self._impls[key]
        return self._impls[key]

    def compiled(self, args):
        """The compiled derivative for the primal arguments ``args``.

        A 0-d array argument is an array of rank 0, as in NumPy and JAX: the
        generated code takes it as a scalar of its dtype, and a gradient with
        respect to it comes back as a 0-d array of that dtype (the shape of
        the input), in both backends.  In float32 code, float scalars are
        taken as float32 and their gradients are float32 in both backends."""
        impl = self.derivative(*args).compile(self.jit)
        zero_d = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim == 0]
        float32 = in_float32(args)
        if not zero_d and not float32:
            return impl
        argnums, single = self._argnums(parsed(self.fn), args)
        converters = [_gradient_converter(args[i], float32) for i in argnums]

        def as_arrays(grads):
            if single:
                return converters[0](grads)
            return tuple(convert(g) for convert, g in zip(converters, grads))

        def call(*values):
            scalars = [v[()] if i in zero_d else v for i, v in enumerate(values)]
            if float32:  # float scalars (arguments, tangents, cotangents) too
                scalars = [_float32_scalar(v) for v in scalars]
            out = impl(*scalars)
            if self.kind == "grad":
                return as_arrays(out)
            if self.kind == "jvp":
                return out
            return out[0], as_arrays(out[1])

        call.compiled = impl
        return call

    def _first_call(self, args):
        impl = self._specialized(args)
        try:
            return impl(*args)
        except Exception as exc:  # Numba typing errors in generated code
            if type(exc).__module__.startswith("numba"):
                raise SymDiffError(
                    f"Numba could not compile the derivative of {self.fn.__name__}: "
                    f"{str(exc).splitlines()[0]}",
                    parsed(self.fn).loc,
                    "this is a symdiff bug; please report it. jit=False runs the same "
                    "code as plain Python.",
                ) from exc
            if isinstance(exc, (ValueError, IndexError, AssertionError)):
                raise _explain(self.fn, args, exc) from exc
            raise

    def __repr__(self):
        return (
            f"<symdiff {self.kind} of {self.fn.__qualname__} (mode={self.mode!r}, jit={self.jit})>"
        )


def _explain(fn, args, exc):
    """A failure inside generated code, located in the user's source.

    Runs the original function on the same arguments: NumPy's own error (a
    shape mismatch, an index out of range) then points at the user's line.
    """
    import traceback

    try:
        with np.errstate(all="ignore"):
            fn(*args)
    except Exception as original:
        frames = traceback.extract_tb(original.__traceback__)
        user = [f for f in frames if not f.filename.startswith(os.path.dirname(__file__))]
        if user:
            frame = user[-1]
            return ShapeError(
                f"{type(original).__name__}: {original}",
                Loc(frame.filename, frame.lineno, (frame.colno or 0)),
                "check the shapes of the arguments (x.shape) against what this line expects",
            )
    return exc


def _check_arity(primal: ir.Function, values) -> None:
    """One value per parameter of ``primal``, or a clear error."""
    n = len(primal.params)
    if len(values) != n:
        raise ArgumentError(
            f"{primal.name}({', '.join(primal.params)}) takes {n} argument{'s' * (n != 1)}, "
            f"got {len(values)}",
            primal.loc,
            "pass one value per parameter",
        )


def _bind(fn, args, kwargs):
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(
            f"bad arguments for {fn.__name__}: {exc}",
            parsed(fn).loc,
            "pass one value per parameter",
        ) from None
    bound.apply_defaults()
    return bound.args


_ENTRY = """\
def {name}({params}, *_extra, **_kw):
    if {guard} and not _extra and not _kw:
        return _impl({args})
    _i = _table.get(({types},))
    if _i is not None and not _extra and not _kw:
        return _i({args})
    return _slow(({args},), _extra, _kw)
"""


class _Unseen:
    """A type no argument has: the inline cache before its first signature."""


class _Missing:
    """Stands for an argument the caller did not pass."""

    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _general_call(spec, names):
    def call(values, extra, kwargs):
        args, keywords = [], dict(kwargs)
        for i, value in enumerate(values):
            if value is _MISSING:
                for later, later_value in zip(names[i + 1 :], values[i + 1 :]):
                    if later_value is not _MISSING:
                        keywords[later] = later_value
                break
            args.append(value)
        else:
            args.extend(extra)
        return spec(*args, **keywords)

    return call


def _entry(spec: _Specialised):
    """The callable users get: a function with the same parameters as theirs.

    For arguments of Python scalar types it goes straight from one dictionary
    lookup to the compiled code (about 150-250 ns on top of Numba's own call);
    anything else (arrays, a first call, missing or extra arguments) takes
    ``spec``'s general path.  It carries ``source``, ``specialize`` and
    ``derivative``."""
    fn = spec.fn
    names, params = [], []
    namespace = {"_table": spec._impls, "_type": type, "_missing": _MISSING}
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    simple = signature is not None and all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_")
        for p in signature.parameters.values()
    )
    if simple and signature.parameters:
        for i, p in enumerate(signature.parameters.values()):
            names.append(p.name)
            if p.default is p.empty:
                params.append(f"{p.name}=_missing")
            else:
                namespace[f"_default{i}"] = p.default
                params.append(f"{p.name}=_default{i}")
        name = spec.__name__ if spec.__name__.isidentifier() else "entry"
        # The last scalar signature compiled is checked first, without building
        # a key (an inline cache); others go through the table.
        namespace.update({f"_t{i}": _Unseen for i in range(len(names))})
        namespace["_impl"] = None
        spec._entry_namespace = namespace
        source = _ENTRY.format(
            name=name,
            guard=" and ".join(f"_type({n}) is _t{i}" for i, n in enumerate(names)),
            params=", ".join(params),
            types=", ".join(f"_type({n})" for n in names),
            args=", ".join(names),
        )
        namespace["_slow"] = _general_call(spec, names)
        exec(compile(source, f"<symdiff entry {spec.__name__}>", "exec"), namespace)
        entry = namespace[name]
    else:

        def entry(*args, **kwargs):
            return spec(*args, **kwargs)

    entry.__name__ = entry.__qualname__ = spec.__name__
    entry.__doc__ = (
        f"{spec.kind.replace('_', ' ').capitalize()} of {fn.__name__} (symdiff, "
        f"{spec.mode} mode); .source(*args) shows the generated code."
    )
    entry.__wrapped__ = fn
    entry.source = spec.source
    entry.specialize = spec.specialize
    entry.derivative = spec.derivative
    entry._impls = spec._impls
    entry._spec = spec
    return entry


def grad(fn, argnums=0, mode="reverse", jit=True):
    """The gradient of a scalar function.

    Parameters
    ----------
    fn : function
        A Python function of scalar arguments returning a float.
    argnums : int or tuple of ints, default 0
        Which positional arguments to differentiate with respect to.  An int
        gives one derivative, a tuple a tuple of derivatives (as in JAX).
    mode : {"reverse", "forward"}
        Reverse mode costs one sweep whatever the number of inputs; forward
        mode carries one tangent per input.
    jit : bool, default True
        Compile with Numba; ``False`` runs the same generated source as
        plain Python.

    Returns
    -------
    callable
        Same arguments as ``fn``; returns the derivative(s).  Its
        ``source(*args)`` method shows the generated code.

    Examples
    --------
    >>> import math
    >>> def f(x, z):
    ...     return math.sin(x) * z
    >>> df = grad(f, argnums=(0, 1), jit=False)   # doctest: +SKIP
    >>> df(0.0, 2.0)                              # doctest: +SKIP
    (2.0, 0.0)
    """
    return _entry(_Specialised(fn, argnums, mode, jit, "grad"))


def value_and_grad(fn, argnums=0, mode="reverse", jit=True):
    """Like ``grad``, returning ``(value, gradient)`` from one sweep.

    Examples
    --------
    >>> def f(x):
    ...     return x * x
    >>> value_and_grad(f, jit=False)(3.0)          # doctest: +SKIP
    (9.0, 6.0)
    """
    return _entry(_Specialised(fn, argnums, mode, jit, "value_and_grad"))


def jvp(fn, primals, tangents, jit=True):
    """Forward-mode Jacobian-vector product.

    Parameters
    ----------
    fn : function
    primals : tuple
        The point: one value per parameter of ``fn``.
    tangents : tuple
        One tangent per primal; ``None`` for arguments not differentiated
        (ints and bools must have ``None``).

    Returns
    -------
    (value, tangent_out)
        ``fn(*primals)`` and its directional derivative along ``tangents``.

    Examples
    --------
    >>> def f(x, z):
    ...     return x * z
    >>> jvp(f, (2.0, 3.0), (1.0, 0.0), jit=False)   # doctest: +SKIP
    (6.0, 3.0)
    """
    primal = parsed(fn)
    primals = _values(primals, "primals", primal)
    tangents = _values(tangents, "tangents", primal)
    if any(p is None for p in primals):
        raise ArgumentError("primals must not be None", primal.loc, "pass a value per parameter")
    _check_arity(primal, primals)
    if len(tangents) != len(primals):
        raise ArgumentError(
            f"jvp got {len(primals)} primals but {len(tangents)} tangents",
            primal.loc,
            "give one tangent per primal (None where not differentiated)",
        )
    argnums = tuple(i for i, t in enumerate(tangents) if t is not None)
    if not argnums:
        raise ArgumentError(
            "every tangent is None", primal.loc, "give a float tangent for at least one argument"
        )
    impl = _jvp_cache(fn, argnums, jit)
    names = primal.params
    seeds = [_like(tangents[i], primals[i], f"the tangent of {names[i]}", primal) for i in argnums]
    return impl(*primals, *seeds)


@functools.lru_cache(maxsize=256)
def _jvp_cache(fn, argnums, jit):
    return _JVPCall(fn, argnums, jit)


class _JVPCall(_Specialised):
    """Specialises on the primals only; the tangents are extra parameters."""

    def __init__(self, fn, argnums, jit):
        super().__init__(fn, argnums, "forward", jit, "jvp")

    def __call__(self, *args):
        n = len(parsed(self.fn).params)
        key = signature_key(args)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.compiled(args[:n])
        return impl(*args)


def vjp(fn, *primals, argnums=None, jit=True):
    """Reverse-mode vector-Jacobian product.

    Returns ``(value, pullback)``: ``pullback(cotangent)``, with a cotangent
    shaped like the value (a float for a scalar value), gives the
    cotangent's product with the Jacobian for each argument in ``argnums``,
    shaped like that argument (all arguments by default: a tuple; an int
    ``argnums`` gives one value).

    Examples
    --------
    >>> def f(x, z):
    ...     return x * z
    >>> value, pullback = vjp(f, 2.0, 3.0, jit=False)   # doctest: +SKIP
    >>> pullback(1.0)                                  # doctest: +SKIP
    (3.0, 2.0)
    """
    primal = parsed(fn)
    if argnums is None:
        argnums = tuple(range(len(primal.params)))
    argnums, single = normalize_argnums(argnums, primal)
    spec = _vjp_cache(_unwrap(fn), argnums[0] if single else argnums, jit)
    primals = spec.bound(primals)
    impl, output = spec.for_primals(primals)
    if output.rank == 0:
        value, _ = impl(*primals, 1.0)
    else:  # the shape of the value, which the cotangent must have, is known by running fn
        with np.errstate(all="ignore"):
            value = fn(*primals)

    def pullback(cotangent):
        seed = _like(cotangent, value, "the cotangent", primal)
        return impl(*primals, seed)[1]

    return value, pullback


@functools.lru_cache(maxsize=256)
def _vjp_cache(fn, argnums, jit):
    return _VJPCall(fn, argnums, jit)


class _VJPCall(_Specialised):
    def __init__(self, fn, argnums, jit):
        super().__init__(fn, argnums, "reverse", jit, "vjp")

    def bound(self, primals):
        return primals if len(primals) == self._nargs else _bind(self.fn, primals, {})

    def for_primals(self, primals):
        """The compiled VJP for these primals, and the kind of the value."""
        derivative = self.derivative(*primals)
        key = signature_key(primals)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.compiled(primals)
        return impl, derivative.output


def derivative_source(fn, *args, argnums=0, mode="reverse", kind="grad", optimized=True) -> str:
    """The generated derivative code for ``fn`` at these arguments' signature.

    ``kind`` is one of ``"grad"``, ``"value_and_grad"``, ``"jvp"``, ``"vjp"``.
    ``optimized=False`` shows the code before simplification.

    Examples
    --------
    >>> import math
    >>> def f(x):
    ...     return math.exp(x) * x
    >>> print(derivative_source(f, 1.0))   # doctest: +SKIP
    """
    if kind not in KINDS:
        raise ArgumentError(
            f"kind must be one of {', '.join(KINDS)}, not {kind!r}",
            parsed(fn).loc,
            "write kind='grad'",
        )
    if kind == "jvp":
        mode = "forward"
    elif kind == "vjp":
        mode = "reverse"
    spec = _Specialised(fn, argnums, mode, False, kind)
    return spec.derivative(*args, optimized=optimized).source


class Differentiated:
    """A function with its derivatives attached (made by ``differentiate``).

    Calling it calls the original function.  ``grad``, ``value_and_grad``,
    ``jvp``, ``vjp``, ``source`` and ``check`` work as the functions of the
    same names, with the options given to ``differentiate``.
    """

    def __init__(self, fn, argnums=0, mode="reverse", jit=True):
        self.__symdiff_function__ = fn
        functools.update_wrapper(self, fn)
        self.argnums = argnums
        self.mode = mode
        self.jit = jit
        self.grad = grad(fn, argnums, mode, jit)
        self.value_and_grad = value_and_grad(fn, argnums, mode, jit)

    def __call__(self, *args, **kwargs):
        return self.__symdiff_function__(*args, **kwargs)

    def jvp(self, primals, tangents):
        """``jvp(f, primals, tangents)``."""
        return jvp(self.__symdiff_function__, primals, tangents, jit=self.jit)

    def vjp(self, *primals):
        """``vjp(f, *primals)`` for the ``argnums`` of this function."""
        return vjp(self.__symdiff_function__, *primals, argnums=self.argnums, jit=self.jit)

    def source(self, *args, kind="grad", optimized=True) -> str:
        """The generated code for these arguments (reverse-mode gradient by default)."""
        return derivative_source(
            self.__symdiff_function__,
            *args,
            argnums=self.argnums,
            mode=self.mode,
            kind=kind,
            optimized=optimized,
        )

    def check(self, *args, **options):
        """``check_grad`` at these arguments: symdiff vs SymPy vs finite differences."""
        from .verify import check_grad

        options.setdefault("argnums", self.argnums)
        options.setdefault("jit", self.jit)
        return check_grad(self.__symdiff_function__, *args, **options)

    def __repr__(self):
        return f"<symdiff.Differentiated {self.__name__} (argnums={self.argnums!r}, mode={self.mode!r})>"


def differentiate(fn=None, *, argnums=0, mode="reverse", jit=True):
    """Decorator attaching derivatives to a function.

    Examples
    --------
    >>> import math
    >>> @differentiate(argnums=(0, 1))
    ... def f(x, z):
    ...     return math.exp(x * z)
    >>> f.grad(1.0, 2.0)                # doctest: +SKIP
    (14.7781121978613, 7.38905609893065)
    """
    if fn is None:
        return lambda f: Differentiated(f, argnums, mode, jit)
    return Differentiated(fn, argnums, mode, jit)
