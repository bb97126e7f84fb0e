"""The callables users get from ``grad`` and friends: functions with the same
parameters as theirs, in front of a specialised derivative (``api._Specialised``).

For arguments of Python scalar types the entry goes straight from one
dictionary lookup to the compiled code (about 150-250 ns on top of Numba's
own call): the last scalar signature compiled is checked first, without
building a key (an inline cache, ``remember_signature``), others go through
the table of compiled specialisations.  Anything else (arrays, a first call,
missing or extra arguments) takes the specialisation's general path.  Where
the function reads globals, closure variables or attributes (implicit
inputs) or draws random numbers, the compiled code in the table is wrapped
by ``api._Specialised._with_inputs``, which reads them at each call (about
0.2 µs a value) and specialises again when their kinds change: the entry
never freezes them.
"""

from __future__ import annotations

import inspect

from . import numba_types

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


def _simple_signature(fn):
    """``fn``'s signature when it has only plain positional-or-keyword
    parameters (which the generated entry can repeat), else None."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    simple = all(
        p.kind is p.POSITIONAL_OR_KEYWORD and not p.name.startswith("_")
        for p in signature.parameters.values()
    )
    return signature if simple and signature.parameters else None


def _generated_entry(spec, signature):
    """The entry as generated source: ``fn``'s parameters, then the caches."""
    names, params = [], []
    namespace = {"_table": spec._impls, "_type": type, "_missing": _MISSING}
    for i, param in enumerate(signature.parameters.values()):
        names.append(param.name)
        if param.default is param.empty:
            params.append(f"{param.name}=_missing")
        else:
            namespace[f"_default{i}"] = param.default
            params.append(f"{param.name}=_default{i}")
    name = spec.__name__ if spec.__name__.isidentifier() else "entry"
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
    return namespace[name]


def remember_signature(spec, key: tuple, impl) -> None:
    """Make ``impl`` the entry's inline cache when ``key`` is all scalar types."""
    namespace = getattr(spec, "_entry_namespace", None)
    if namespace is not None and all(isinstance(k, type) for k in key):
        namespace.update({f"_t{i}": k for i, k in enumerate(key)})
        namespace["_impl"] = impl


def entry_function(spec):
    """The callable users get for ``spec``.  It carries ``source``,
    ``specialize`` and ``derivative``."""
    fn = spec.fn
    signature = _simple_signature(fn)
    if signature is not None:
        entry = _generated_entry(spec, signature)
    else:

        def entry(*args, **kwargs):
            return spec(*args, **kwargs)

    entry.__name__ = entry.__qualname__ = spec.__name__
    entry.__doc__ = (
        f"{spec.form.replace('_', ' ').capitalize()} of {fn.__name__} (symdiff, "
        f"{spec.mode} mode); .source(*args) shows the generated code."
    )
    entry.__wrapped__ = fn
    entry.source = spec.source
    entry.specialize = spec.specialize
    entry.derivative = spec.derivative
    entry._impls = spec._impls
    entry._spec = spec
    numba_types.attach(entry)  # callable from @njit code
    return entry
