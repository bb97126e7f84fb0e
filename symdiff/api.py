"""The public API: ``differentiate``, ``grad``, ``value_and_grad``, ``jvp``,
``vjp``, ``derivative_source``.

Each differentiated function is specialised per argument signature: the first
call with a given signature (the kinds of the arguments) parses the function
(once), generates the derivative source, optimises it and compiles it; later
calls with the same signature go straight to the compiled code.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import os
import types
import weakref
from dataclasses import dataclass

import numpy as np

from . import __version__, backend, codegen, frontend, ir, optimize
from .errors import ArgumentError, Loc, ShapeError, SymDiffError
from .forward import forward
from .infer import analyze, indices_in_bounds
from .ir import BOOL, FLOAT, INT
from .reverse import reverse

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

    def compile(self, jit: bool):
        return backend.compile_source(self.source, self.name, jit, self.boundscheck)


def _unwrap(fn):
    return getattr(fn, "__symdiff_function__", fn)


def _check_function(fn):
    """Fail early, at the user's call, for things that are not Python functions."""
    if not isinstance(fn, types.FunctionType):
        frontend.parse(fn)  # raises SourceUnavailableError with the caller's location


def _floats(values, what: str, fn) -> tuple:
    """``values`` as a tuple of numbers (None kept), or a clear error."""
    if not isinstance(values, (tuple, list)):
        raise ArgumentError(
            f"{what} must be a tuple with one value per parameter, not {type(values).__name__}",
            fn.loc,
            f"write {what}=(2.0, 3.0), one value per parameter of {fn.name}",
        )
    for value in values:
        if value is not None and not isinstance(value, (numbers.Real, np.floating, np.integer)):
            raise ArgumentError(
                f"{what} must hold numbers, not {type(value).__name__}",
                fn.loc,
                "pass floats",
            )
    return tuple(values)


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


def _as_float_array(value) -> np.ndarray:
    """``value`` as an array of its own float dtype (float32 stays float32), or float64."""
    array = np.asarray(value)
    return array if array.dtype.kind == "f" else array.astype(float)


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
    fn, kinds, argnums: tuple, single: bool, mode: str, kind: str, optimized: bool = True
) -> Derivative:
    """Generate (or fetch) the derivative code for one signature."""
    key = (kinds, argnums, single, mode, kind, optimized)
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
    transform = reverse if mode == "reverse" else forward
    if kind == "jvp":
        transform = forward
    elif kind == "vjp":
        transform = reverse
    derived = transform(primal, an, wrt, kind, single)
    extra = [an.kinds[p] for p in wrt] if kind == "jvp" else [out_kind] if kind == "vjp" else []
    all_kinds = tuple(kinds) + tuple(extra)
    if optimized:
        derived = optimize.optimize(derived, analyze(derived, all_kinds, generated=True).kinds)
    signature = ", ".join(f"{p}: {k}" for p, k in zip(primal.params, kinds))
    header = (
        f"Generated by symdiff {__version__} from {primal.name} "
        f"({primal.loc.filename}:{primal.loc.lineno})",
        f"{'forward' if transform is forward else 'reverse'} mode, "
        f"{primal.name}({signature}), with respect to {', '.join(wrt)}",
    )
    doc = _docstring(primal, derived, wrt, kind, single, transform is forward)
    checked = not indices_in_bounds(primal, an.kinds)
    if any(isinstance(s, ir.Loop) for s in ir.walk(primal.body)):
        header += (
            "indices checked when the code runs"
            if checked
            else "every index is provably within its array: compiled without bounds checks",
        )
    kinds_of = analyze(derived, all_kinds, generated=True).kinds
    source = codegen.function_source(derived, doc, header, kinds_of)
    result = Derivative(source, derived, derived.name, checked)
    per_fn[key] = result
    return result


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
        return derive(self.fn, kinds, argnums, single, self.mode, self.kind, optimized)

    def _argnums(self, primal, args):
        return normalize_argnums(self.argnums, primal)

    def source(self, *args, **kwargs) -> str:
        """The generated derivative source for these arguments' signature."""
        return self.derivative(*args, **kwargs).source

    def specialize(self, *args, **kwargs):
        """The compiled function for this signature (a Numba dispatcher when
        ``jit=True``), callable from other ``@njit`` code."""
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        key = signature_key(args)
        if key not in self._impls:
            if self._forward_over_arrays(args):
                self._impls[key] = self._forward_array_gradient(args)
            else:
                self._impls[key] = self.derivative(*args).compile(self.jit)
            entry = getattr(self, "_entry_namespace", None)
            if entry is not None and all(isinstance(k, type) for k in key):
                entry.update({f"_t{i}": k for i, k in enumerate(key)})
                entry["_impl"] = self._impls[key]
        return self._impls[key]

    def _forward_over_arrays(self, args) -> bool:
        if self.mode != "forward" or self.kind not in ("grad", "value_and_grad"):
            return False
        argnums, _ = normalize_argnums(self.argnums, parsed(self.fn))
        return any(isinstance(args[i], np.ndarray) for i in argnums)

    def _forward_array_gradient(self, args):
        """Forward mode over array inputs: one JVP per input element (the cost
        forward mode has by nature: use reverse mode for many inputs)."""
        primal = parsed(self.fn)
        argnums, single = normalize_argnums(self.argnums, primal)
        kinds = tuple(kind_of(a, primal, i) for i, a in enumerate(args))
        wrt = tuple(primal.params[i] for i in argnums)
        check_output(primal, analyze(primal, kinds, wrt), self.kind)
        jvp_impl = _jvp_cache(self.fn, argnums, self.jit)
        kind = self.kind

        def gradient(*args):
            grads = []
            value = None
            for i in argnums:
                base = _as_float_array(args[i])
                grad = np.zeros_like(base)
                for index in np.ndindex(*base.shape):
                    tangents = [
                        np.zeros_like(_as_float_array(args[j])) if np.ndim(args[j]) else 0.0
                        for j in argnums
                    ]
                    position = argnums.index(i)
                    if base.ndim:
                        tangents[position][index] = 1.0
                    else:
                        tangents[position] = 1.0
                    value, grad[index] = jvp_impl(*args, *tangents)
                grads.append(grad if base.ndim else float(grad))
            out = grads[0] if single else tuple(grads)
            return out if kind == "grad" else (value, out)

        return gradient

    def _first_call(self, args):
        impl = self.specialize(*args)
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
    primals = _floats(primals, "primals", primal)
    tangents = _floats(tangents, "tangents", primal)
    if None in primals:
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
    return impl(*primals, *(float(tangents[i]) for i in argnums))


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
            deriv = self.derivative(*args[:n])
            impl = self._impls[key] = deriv.compile(self.jit)
        return impl(*args)


def vjp(fn, *primals, argnums=None, jit=True):
    """Reverse-mode vector-Jacobian product.

    Returns ``(value, pullback)``: ``pullback(cotangent)`` gives
    ``cotangent * d value / d arg`` for each argument in ``argnums`` (all
    arguments by default: a tuple; an int ``argnums`` gives one value).

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
    impl = spec.for_primals(primals)
    value, _ = impl(*primals, 1.0)

    def pullback(cotangent):
        if not isinstance(cotangent, (numbers.Real, np.floating, np.integer)):
            raise ArgumentError(
                f"the cotangent must be a number, not {type(cotangent).__name__}",
                primal.loc,
                "call pullback(1.0)",
            )
        return impl(*primals, float(cotangent))[1]

    return value, pullback


@functools.lru_cache(maxsize=256)
def _vjp_cache(fn, argnums, jit):
    return _VJPCall(fn, argnums, jit)


class _VJPCall(_Specialised):
    def __init__(self, fn, argnums, jit):
        super().__init__(fn, argnums, "reverse", jit, "vjp")

    def for_primals(self, primals):
        if len(primals) != self._nargs:
            primals = _bind(self.fn, primals, {})
        key = signature_key(primals)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.derivative(*primals).compile(self.jit)
        return impl


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
