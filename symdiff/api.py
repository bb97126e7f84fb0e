"""The public API: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``,
``derivative_source`` (``differentiate`` is in ``decorator``).

Each differentiated function is specialised per argument signature
(``signature.signature_key``): the first call with a given signature runs
the compiler's stages (``pipeline.derive``: parse once per function, derive,
optimise, print) and compiles the result; later calls with the same signature
go straight to the compiled code.  Two caches: ``_DERIVED`` keeps one
``Derivative`` per function and ``pipeline.Request`` (shared by every
callable made for that function), and each ``_Specialised`` keeps its
compiled callables per signature key.
"""

from __future__ import annotations

import functools
import inspect
import os
import weakref

import numpy as np

from . import pipeline, pytree, tiered
from .entry import entry_function, remember_signature
from .errors import ArgumentError, Loc, ShapeError, SymDiffError
from .pipeline import Derivative, Request
from .pipeline import header_of as header
from .primitives.random import GENERATOR
from .signature import (
    FORMS,
    Layout,
    argument_tree,
    check_arity,
    check_function,
    checked_values,
    float32_scalar,
    gradient_converter,
    guarded_call,
    in_float32,
    normalize_argnums,
    read_implicit,
    shaped_like,
    signature_key,
    unwrap,
)

_DERIVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached_derivative(fn, request: Request) -> Derivative:
    """The derivative code of ``fn`` for ``request``, generated once per function and request."""
    fn = unwrap(fn)
    try:
        per_fn = _DERIVED.setdefault(fn, {})
    except TypeError:  # not weak-referenceable: do not cache
        per_fn = {}
    if request not in per_fn:
        per_fn[request] = pipeline.derive(fn, request)
    return per_fn[request]


class _Specialised:
    """Calls the compiled derivative for the arguments' signature.

    The table is keyed by the argument types, so after the first call with a
    signature a call costs one dictionary lookup plus the compiled call.
    """

    def __init__(self, fn, argnums, mode, jit, form, has_aux=False):
        self.inner = ()  # derivatives taken first (grad(grad(f))): (mode, form, argnums)
        spec = getattr(fn, "_spec", None)
        if isinstance(spec, _Specialised):
            fn, self.inner = spec.fn, spec.inner + (_inner_stage(spec),)
        self.fn = unwrap(fn)
        check_function(self.fn)
        self.argnums = argnums
        self.mode = mode
        self.jit = jit
        self.form = form  # what the derivative returns (signature.FORMS)
        self.has_aux = bool(has_aux)  # fn returns (loss, aux): see _with_aux
        self.parallel = False  # compiled for all cores (grad(f, parallel=True), vmap)
        self._impls: dict = {}
        self._variants: dict = {}  # (key, id) -> (Derivative, impl): ``_specialise``
        # For signatures that are not all scalar types: the argument types ->
        # the compiled call behind a guard for the rest of the signature
        # (signature.guarded_call), also the entry's inline cache.
        self._guards: dict = {}
        self._nargs = getattr(getattr(self.fn, "__code__", None), "co_argcount", -1)
        functools.update_wrapper(self, self.fn, updated=())
        self.__name__ = "_".join([self.fn.__name__, *(s[1] for s in self.inner), form])
        self.__qualname__ = self.__name__

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        if self._guards:
            guard = self._guards.get(tuple(map(type, args)))
            if guard is not None:
                return guard(*args)
        return self._general(args)

    def _general(self, args):
        """The call without a guard: the signature key, then the table."""
        try:
            impl = self._impls[signature_key(args)]
        except KeyError:
            return self._first_call(args)
        try:
            return impl(*args)
        except (ValueError, IndexError, AssertionError) as exc:
            raise _explain(self.fn, args, exc) from exc

    def layout(self, args) -> Layout:
        """How these arguments map onto the generated code's parameters."""
        head = header(self.fn).for_arguments(len(args))  # *args: one parameter per argument
        check_arity(head, args)
        if self.argnums is None:  # vmap: nothing differentiated
            return Layout.of(args, head, (), False)
        argnums, single = normalize_argnums(self.argnums, head)
        return Layout.of(args, head, argnums, single)

    def derivative(self, *args, optimized=True, **kwargs) -> Derivative:
        """The ``Derivative`` (source and IR) generated for these arguments."""
        if kwargs or len(args) != self._nargs:
            args = _bind(self.fn, args, kwargs)
        layout = self.layout(args)
        head = header(self.fn).for_arguments(len(args))
        leaves = args if layout.flat else layout.flatten(args)
        variant, _ = pipeline.variant(self.fn, layout.trees)  # for the free values now
        request = Request(
            layout.kinds,
            layout.leaf_argnums,
            layout.leaf_single,
            self.mode,
            self.form,
            optimized,
            in_float32(leaves),
            layout.trees,
            variant,
            self.has_aux,
            tuple(self._stage(args, head, *stage) for stage in self.inner),
            **self._mapping(layout),
        )
        return cached_derivative(self.fn, request)

    def _mapping(self, layout: Layout) -> dict:
        """The request's vmap fields (``_Mapped``), and ``parallel``."""
        return {"parallel": True} if self.parallel else {}

    def _stage(self, args, head, mode, form, argnums) -> pipeline.Stage:
        """An inner derivative for these arguments: its argnums as leaf positions."""
        inner = Layout.of(args, head, *normalize_argnums(argnums, head))
        return pipeline.Stage(mode, form, inner.leaf_argnums, inner.leaf_single)

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
        if getattr(impl, "build", None) is not None:  # the plain build: wait for Numba's
            impl = self._specialise(args, wait=True)
        return getattr(impl, "compiled", impl)

    def _specialized(self, args):
        """What calls with these arguments' signature run."""
        key = signature_key(args)
        if key not in self._impls:
            return self._specialise(args)
        return self._impls[key]

    def compiled(self, args, wait=None):
        """The compiled derivative for the primal arguments ``args``.

        A 0-d array argument is an array of rank 0, as in NumPy and JAX: the
        generated code takes it as a scalar of its dtype, and a gradient with
        respect to it comes back as a 0-d array of that dtype (the shape of
        the input), in both backends.  In float32 code, float scalars are
        taken as float32 and their gradients are float32 in both backends.

        While Numba compiles in the background (``tiered``), the callable
        runs the plain build and carries the Numba build as ``build``;
        ``wait=True`` waits for Numba's."""
        layout = self.layout(args)
        derivative = self.derivative(*args)
        impl = derivative.compile(self.jit, wait)
        build = getattr(impl, "build", None)
        call = self._assembled(impl, args, layout, derivative)
        if build is not None:
            call.build = build
        return call

    def _assembled(self, impl, args, layout: Layout, derivative: Derivative):
        """``impl`` (the generated function) called with the user's arguments."""
        form = self.form
        if self.has_aux:  # the layers below see (aux, grads), as value_and_grad's (value, grads)
            impl, form = _aux_first(impl, form), "value_and_grad"
        inner = self._leaf_call(impl, args if layout.flat else layout.flatten(args), layout, form)
        if layout.flat and not (derivative.implicit or derivative.guards or derivative.prologue):
            call = inner
        else:
            call = self._with_inputs(inner, layout, derivative, len(args), form)
            if not (derivative.implicit or derivative.guards or derivative.prologue):
                _unpacked_by_guard(call, inner, layout, form)
        return _with_aux(call, self.form, derivative.aux) if self.has_aux else call

    def _with_inputs(
        self, inner, layout: Layout, derivative: Derivative, count: int, form: str | None = None
    ):
        """``inner`` (which takes the leaves, the implicit inputs, then any
        tangents or cotangent) called with the user's arguments: the
        implicit inputs are read at each call (``signature.read_implicit``);
        when one of them, or a guarded value, has changed, the arguments are
        specialised again.  Gradients come back in the arguments' structure."""
        check = read = read_implicit(derivative.implicit, derivative.guards)
        flatten = None if layout.flat else layout.flatten
        gradients, form, again = layout.gradients, form or self.form, self._specialise_for
        if derivative.prologue:  # random draws first, in plain Python
            read = _with_draws(read, derivative, flatten)

        if flatten is None and form in ("grad", "value_and_grad"):  # the common case, kept lean

            def call(*values):
                extra = read(values)
                if extra is None:
                    return again(values, count)(*values)
                return inner(*values, *extra)

        else:

            def call(*values):
                user = values[:count]
                extra = read(user)
                if extra is None:
                    return again(values, count)(*values)
                out = inner(*(user if flatten is None else flatten(user)), *extra, *values[count:])
                if flatten is None or form in ("jvp", "hvp"):  # no structure: flat arguments
                    return out
                if form == "grad":
                    return gradients(out, user)
                if form == "jacobian":
                    return self._blocks(out, user, gradients)
                if form == "vmap":
                    return self._inner_structure(out, user)
                value, grads = out
                return value, gradients(grads, user)

        call.compiled = getattr(inner, "compiled", inner)
        call.check = check  # the implicit inputs and guards, without the draws
        return call

    def _blocks(self, out, user, gradients):
        """A Jacobian's blocks in the arguments' structure: per output leaf
        (the leaves of the inner gradient, for ``hessian``), the blocks for
        the differentiated arguments' leaves, as ``grad`` structures them."""
        if not self.inner:
            return gradients(out, user)
        head = header(self.fn).for_arguments(len(user))
        inner = Layout.of(user, head, *normalize_argnums(self.inner[-1][2], head))
        if inner.leaf_single:
            return inner.gradients(gradients(out, user), user)
        return inner.gradients(tuple(gradients(row, user) for row in out), user)

    def _inner_structure(self, out, user):
        """The outputs of an inner gradient (``vmap(grad(f))``) in the
        structure of its arguments."""
        if not self.inner:
            return out
        head = header(self.fn).for_arguments(len(user))
        return Layout.of(user, head, *normalize_argnums(self.inner[-1][2], head)).gradients(
            out, user
        )

    def _specialise_for(self, values, count):
        """The code for a call whose free values have changed (``values``:
        the arguments, then any tangents or cotangent)."""
        user = values[:count]
        impl = self._specialise(user)
        check = getattr(impl, "check", None)  # None: it reads nothing any more
        if check is not None and check(user) is None:  # read twice, two different answers
            raise SymDiffError(
                f"the free values {self.fn.__name__} reads (globals, closure variables, "
                "attributes) change between two reads",
                header(self.fn).loc,
                "pass values that change at each read (properties, ...) as arguments",
            )
        return impl

    def _specialise(self, args, wait=None):
        """Compile the code for ``args`` (at the first call, or when the free
        values it read have changed), once per signature and environment: a
        global flipping between two values does not compile again."""
        key = signature_key(args)
        derivative = self.derivative(*args)  # one per environment (``pipeline.variant``)
        variant = (key, id(derivative))
        known = self._variants.get(variant)  # the derivative is kept: its id is not reused
        if known is None or wait and getattr(known[1], "build", None) is not None:
            impl = self.compiled(args, wait)
            build = getattr(impl, "build", None)
            if build is not None:
                impl = self._tiered(impl, build, variant, len(args))
            self._variants[variant] = (derivative, impl)
        return self._install(args, key, self._variants[variant][1])

    def _tiered(self, plain, build, variant, count: int):
        """``plain`` until Numba's ``build`` is done, then the Numba build,
        put in its place in the tables (``_install``).  If Numba could not
        compile it, the plain build stays (and says so once)."""

        def call(*values):
            if not build.done.is_set():
                return plain(*values)
            args = values[:count]
            if build.error is not None:
                _numba_failed(self.fn, build.error)
                self._variants[variant] = (self._variants[variant][0], plain)
                self._install(args, variant[0], plain)
                return plain(*values)
            return self._specialise(args, wait=True)(*values)

        call.compiled = getattr(plain, "compiled", plain)
        call.build = build
        if hasattr(plain, "check"):
            call.check = plain.check
        return call

    def _upgraded(self, key, impl, args):
        """``impl`` (the plain build), or, once Numba's build is done, the
        Numba build in its place (for the tables of ``jvp``, ``vjp``, ``hvp``)."""
        build = impl.build
        if not build.done.is_set():
            return impl
        if build.error is not None:
            _numba_failed(self.fn, build.error)
            impl.build = None  # the plain build stays
            return impl
        self._impls[key] = impl = self.compiled(args, wait=True)
        return impl

    def _install(self, args, key, impl):
        """``impl`` as what calls with these arguments' signature run: the
        table, the guard, the entry's inline cache."""
        self._impls[key] = impl
        types = tuple(map(type, args))
        entered = impl
        if key != types:  # arrays, containers, static values: checked by a guard
            fn = self.fn
            entered = self._guards[types] = guarded_call(
                key, impl, self._general, lambda values, exc: _explain(fn, values, exc)
            )
        remember_signature(self, types, entered)
        return impl

    def _leaf_call(self, impl, args, layout: Layout, form=None):
        """``impl`` (which takes the leaves ``args``) with 0-d array and
        float32 arguments converted on the way in and their gradients on the
        way out; ``impl`` returns what ``form`` does (by default, ``self.form``)."""
        form = form or self.form
        zero_d = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim == 0]
        float32 = in_float32(args)
        if not zero_d and not float32:
            return impl
        argnums, single = layout.leaf_argnums, layout.leaf_single
        converters = [gradient_converter(args[i], float32) for i in argnums]

        def as_arrays(grads):
            if single:
                return converters[0](grads)
            return tuple(convert(g) for convert, g in zip(converters, grads))

        def call(*values):
            scalars = [v[()] if i in zero_d else v for i, v in enumerate(values)]
            if float32:  # float scalars (arguments, tangents, cotangents) too
                scalars = [float32_scalar(v) for v in scalars]
            out = impl(*scalars)
            if form == "grad":
                return as_arrays(out)
            if form in ("jvp", "jacobian", "vmap", "hvp"):
                return out
            return out[0], as_arrays(out[1])

        call.compiled = impl
        return call

    def _first_call(self, args):
        impl = self._specialized(args)
        try:
            if self.jit and getattr(impl, "build", None) is None:  # Numba compiles now
                with tiered.slow_note(self.__name__):
                    return impl(*args)
            return impl(*args)
        except Exception as exc:  # Numba typing errors in generated code
            if type(exc).__module__.startswith("numba"):
                raise SymDiffError(
                    f"Numba could not compile the derivative of {self.fn.__name__}: "
                    f"{str(exc).splitlines()[0]}",
                    header(self.fn).loc,
                    "this is a symdiff bug; please report it. jit=False runs the same "
                    "code as plain Python.",
                ) from exc
            if isinstance(exc, (ValueError, IndexError, AssertionError)):
                raise _explain(self.fn, args, exc) from exc
            raise

    def __repr__(self):
        return (
            f"<symdiff {self.form} of {self.fn.__qualname__} (mode={self.mode!r}, jit={self.jit})>"
        )


def _inner_stage(spec: _Specialised) -> tuple:
    """``spec`` as the inner derivative of another: ``(mode, form, argnums)``."""
    if spec.has_aux or spec.form not in ("grad", "jacobian"):
        raise ArgumentError(
            f"symdiff differentiates gradients and Jacobians again, not {spec.form}"
            f"{' with has_aux=True' if spec.has_aux else ''}",
            header(spec.fn).loc,
            "differentiate grad(f) (without has_aux), or use hessian(f), jacfwd(grad(f))",
        )
    return (spec.mode, spec.form, spec.argnums)


def _unpacked_by_guard(call, inner, layout: Layout, form: str) -> None:
    """Let ``signature.guarded_call``, which reads the leaves of the
    arguments as it checks them, call ``inner`` (the compiled code of the
    leaves) and put its gradients into the arguments' structure itself:
    ``call.leaf_call`` and ``call.finish(out, args)``.  Only for grad and
    value_and_grad of code without implicit inputs (``call`` is then
    ``finish(inner(*flatten(args)), args)``)."""
    gradients = layout.gradients
    if form == "grad":
        call.leaf_call, call.finish = inner, gradients
    elif form == "value_and_grad":

        def finish(out, values):
            return out[0], gradients(out[1], values)

        call.leaf_call, call.finish = inner, finish


def _with_draws(read, derivative: Derivative, flatten):
    """``read`` (the implicit inputs, generators included), then the
    prologue's draws: what the main code takes after the user's leaves."""
    draws = derivative.compile_prologue()
    main = [i for i, r in enumerate(derivative.implicit) if r.kind != GENERATOR]

    def read_and_draw(user):
        values = read(user)
        if values is None:
            return None
        drawn = draws(*(user if flatten is None else flatten(user)), *values)
        return [values[i] for i in main] + list(drawn)

    return read_and_draw


def _aux_first(impl, form: str):
    """has_aux: ``impl`` (which returns ``(grads, aux)`` for grad) returning
    ``(aux, grads)``, as value_and_grad's ``((value, aux), grads)`` is laid out."""
    if form != "grad":
        return impl

    def swapped(*values):
        grads, aux = impl(*values)
        return aux, grads

    swapped.compiled = impl
    return swapped


def _with_aux(call, form: str, tree):
    """has_aux: ``call`` (returning ``(aux, grads)`` or ``((value, aux), grads)``
    with aux's leaves flat) returning what JAX does: ``(grads, aux)`` or
    ``((value, aux), grads)``, aux rebuilt in its structure (``tree``)."""

    def with_aux(*values):
        first, grads = call(*values)
        if form == "grad":
            return grads, pytree.unflatten(tree, iter(first))
        return (first[0], pytree.unflatten(tree, iter(first[1]))), grads

    compiled = getattr(call, "compiled", call)
    with_aux.compiled = getattr(compiled, "compiled", compiled)
    if hasattr(call, "check"):
        with_aux.check = call.check
    return with_aux


def _numba_failed(fn, error: BaseException) -> None:
    """Numba could not compile a derivative in the background: the plain
    build, which computes the same values, keeps answering."""
    import warnings

    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    warnings.warn(
        f"Numba could not compile the derivative of {fn.__name__} ({first}); the plain "
        "NumPy build keeps answering. This is a symdiff bug; please report it "
        "(SYMDIFF_JIT=sync raises the error at the first call).",
        RuntimeWarning,
        stacklevel=3,
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


def _bind(fn, args, kwargs):
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(
            f"bad arguments for {fn.__name__}: {exc}",
            header(fn).loc,
            "pass one value per parameter",
        ) from None
    given = [name for name in kwargs if _keyword_only(fn, name)]
    if given:
        raise ArgumentError(
            f"keyword-only argument {given[0]!r} of {fn.__name__} is passed: the derivative "
            "takes keyword-only parameters at their defaults",
            header(fn).loc,
            "make it an ordinary parameter to pass it, or leave it at its default",
        )
    bound.apply_defaults()
    return bound.args


def _keyword_only(fn, name) -> bool:
    parameter = inspect.signature(fn).parameters.get(name)
    return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY


def grad(fn, argnums=0, mode="reverse", jit=True, *, has_aux=False, parallel=False):
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
        plain Python.  Numba compiles in the background (into the disk
        cache, for the next process too) while the first calls run the
        plain build; ``SYMDIFF_JIT=sync`` makes the first call wait for it.
    has_aux : bool, default False
        ``fn`` returns a pair ``(loss, aux)``: the loss is differentiated and
        ``aux`` (numbers, arrays, or tuples, lists and dicts of them) is
        returned as it is, as in JAX: the result is ``(gradient, aux)``.
    parallel : bool, default False
        Compile with Numba's parallel backend: loops of the derivative whose
        iterations are independent (each adds into its own elements and into
        sums) run across cores with ``prange``, and so do array expressions.
        Sums may then differ in their last bits from one run to the next.

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
    >>> df = grad(f, argnums=(0, 1), jit=False)
    >>> df(0.0, 2.0)
    (2.0, 0.0)
    >>> def g(x):
    ...     y = x * x
    ...     return y, (y, x + 1.0)
    >>> grad(g, has_aux=True, jit=False)(3.0)
    (6.0, (9.0, 4.0))
    """
    return entry_function(
        _parallel(_Specialised(fn, argnums, mode, jit, "grad", has_aux), parallel)
    )


def _parallel(spec: _Specialised, parallel: bool) -> _Specialised:
    """``spec`` compiled for all cores (``parallel=True``)."""
    spec.parallel = bool(parallel)
    return spec


def jacfwd(fn, argnums=0, jit=True):
    """The Jacobian of ``fn`` by forward mode: one tangent per element of
    each differentiated argument, in one compiled loop (as ``jax.jacfwd``).

    The block for an argument is shaped ``output.shape + argument.shape``;
    a tuple ``argnums`` gives a tuple of blocks, and for a tuple output (a
    gradient's, in ``hessian``) one such entry per output.  Cheaper than
    ``jacrev`` when there are fewer inputs than outputs.

    Examples
    --------
    >>> import numpy as np
    >>> def f(x):
    ...     return x * x
    >>> jacfwd(f, jit=False)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return entry_function(_Specialised(fn, argnums, "forward", jit, "jacobian"))


def jacrev(fn, argnums=0, jit=True):
    """The Jacobian of ``fn`` by reverse mode: one forward sweep, then one
    backward sweep per element of the output, in one compiled loop (as
    ``jax.jacrev``; laid out as ``jacfwd``).  Cheaper than ``jacfwd`` when
    there are fewer outputs than inputs.

    Examples
    --------
    >>> import numpy as np
    >>> def f(x):
    ...     return np.array([x[0] * x[1], x[1]])
    >>> jacrev(f, jit=False)(np.array([3.0, 2.0]))
    array([[2., 3.],
           [0., 1.]])
    """
    return entry_function(_Specialised(fn, argnums, "reverse", jit, "jacobian"))


jacobian = jacrev  # jax.jacobian is jacrev


def hessian(fn, argnums=0, jit=True):
    """The Hessian of a scalar function: ``jacfwd(grad(fn))``, forward over
    reverse, as one generated program (the gradient's IR differentiated
    again).  For several ``argnums`` it returns the nested blocks
    ``H[i][j] = d2 f / d x_i d x_j``, as JAX does.

    Examples
    --------
    >>> import numpy as np
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> hessian(f, jit=False)(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    return jacfwd(grad(fn, argnums, jit=jit), argnums, jit)


def hvp(fn, argnums=0, jit=True):
    """Hessian-vector products of a scalar function, never forming the
    Hessian: ``hvp(fn)(*args, v)`` is ``H @ v`` (forward over reverse: the
    JVP of the gradient's IR, about the cost of a few gradients).  ``v`` is
    shaped like the argument ``argnums`` (a tuple of such for a tuple).

    Examples
    --------
    >>> import numpy as np
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> hvp(f, jit=False)(np.array([1.0, 3.0]), np.array([1.0, 0.0]))
    array([6., 2.])
    """
    gradient = grad(fn, argnums, jit=jit)
    spec = _HVP(gradient, argnums, jit)
    several = isinstance(argnums, (tuple, list))

    @functools.wraps(unwrap(fn))
    def product(*args):
        *primals, v = args
        if not several and _ARRAYS_OR_NUMBERS.issuperset(map(type, args)):
            return spec(primals, (v,))  # the generated code's own entry: few checks
        if several and (not isinstance(v, (tuple, list)) or len(v) != len(argnums)):
            raise ArgumentError(
                f"hvp with argnums={tuple(argnums)} takes one vector per argument",
                header(fn).loc,
                f"pass v as a tuple of {len(argnums)} arrays, after the arguments",
            )
        if all(map(_flat_value, primals)):  # the generated code's own entry: few checks
            return spec(tuple(primals), tuple(v) if several else (v,))
        directions = dict(zip(argnums, v)) if several else {argnums: v}
        tangents = tuple(directions.get(i) for i in range(len(primals)))
        return jvp(gradient, tuple(primals), tangents, jit)[1]

    product.__name__ = product.__qualname__ = f"{unwrap(fn).__name__}_hvp"
    product.source = lambda *args: spec.source(*args[:-1])
    return product


_ARRAYS_OR_NUMBERS = frozenset({np.ndarray, float, int, np.float64, np.float32})


class _HVP(_Specialised):
    """``hvp``: the JVP of a gradient's program, returning only the tangent."""

    def __init__(self, gradient, argnums, jit):
        super().__init__(gradient, argnums, "forward", jit, "hvp")
        self._positions = tuple(argnums) if isinstance(argnums, (tuple, list)) else (argnums,)

    def __call__(self, primals: tuple, tangents: tuple):
        key = signature_key(primals)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.compiled(primals)
        if getattr(impl, "build", None) is not None:  # the plain build, while Numba compiles
            impl = self._upgraded(key, impl, primals)
        seeds = []
        for i, t in zip(self._positions, tangents):
            p = primals[i]
            if not (  # checked and converted unless it is already what the code takes
                type(t) is np.ndarray
                and type(p) is np.ndarray
                and t.shape == p.shape
                and t.dtype == p.dtype
            ):
                head = header(self.fn)
                t = shaped_like(t, p, f"the vector for {head.params[i]}", head)
            seeds.append(t)
        return impl(*primals, *seeds)


def value_and_grad(fn, argnums=0, mode="reverse", jit=True, *, has_aux=False, parallel=False):
    """Like ``grad``, returning ``(value, gradient)`` from one sweep;
    ``((value, aux), gradient)`` with ``has_aux=True``.

    Examples
    --------
    >>> def f(x):
    ...     return x * x
    >>> value_and_grad(f, jit=False)(3.0)
    (9.0, 6.0)
    >>> def g(x):
    ...     return x * x, x + 1.0
    >>> value_and_grad(g, has_aux=True, jit=False)(3.0)
    ((9.0, 4.0), 6.0)
    """
    spec = _Specialised(fn, argnums, mode, jit, "value_and_grad", has_aux)
    return entry_function(_parallel(spec, parallel))


class _Mapped(_Specialised):
    """``vmap``: the function (or derivative) mapped over axes of its arguments."""

    def __init__(self, fn, in_axes, parallel, jit, out_axes=0):
        super().__init__(fn, None, "reverse", jit, "vmap")
        self.in_axes = in_axes
        self.parallel = bool(parallel)
        self.out_axes = _hashable_axes(out_axes, fn)

    def _axes(self, count: int) -> tuple:
        """One axis (or None) per argument."""
        axes = self.in_axes
        if isinstance(axes, int) or axes is None:
            return (axes,) * count
        axes = tuple(axes)
        if len(axes) != count or not all(a is None or isinstance(a, int) for a in axes):
            raise ArgumentError(
                f"in_axes={self.in_axes!r} does not give one axis (an int or None) for each of "
                f"the {count} arguments of {self.fn.__name__}",
                header(self.fn).loc,
                "write in_axes as a tuple with one entry per argument, e.g. in_axes=(None, 0, 0)",
            )
        return axes

    def _mapping(self, layout: Layout) -> dict:
        axes = self._axes(len(layout.trees))
        leaf_axes = [axis for tree, axis in zip(layout.trees, axes) for _ in pytree.leaves(tree)]
        return {"axes": tuple(leaf_axes), "parallel": self.parallel, "out_axes": self.out_axes}

    def compiled(self, args, wait=None):
        call = super().compiled(args, wait)
        layout = self.layout(args)
        axes = self._mapping(layout)["axes"]
        names = [
            name
            for name, tree in zip(header(self.fn).for_arguments(len(args)).params, layout.trees)
            for _ in pytree.leaves(tree)
        ]
        flatten = None if layout.flat else layout.flatten
        fn = self.fn

        def checked(*values):
            leaves = values if flatten is None else flatten(values)
            sizes = {
                (name, axis): np.shape(leaf)[axis]
                for name, leaf, axis in zip(names, leaves, axes)
                if axis is not None
            }
            if len(set(sizes.values())) > 1:
                raise ArgumentError(
                    "vmap's mapped arguments have different sizes: "
                    + ", ".join(f"{n} has {s} along axis {a}" for (n, a), s in sizes.items()),
                    header(fn).loc,
                    "map arguments with the same number of examples, or pass one whole "
                    "(None in in_axes)",
                )
            if 0 in sizes.values():
                return _empty_batch(call, values, fn)
            return call(*values)

        checked.compiled = getattr(call, "compiled", call)
        if hasattr(call, "build"):
            checked.build = call.build
        return checked


def _empty_batch(call, values, fn):
    """A batch of no examples: the code takes the outputs' shapes from their
    extents; where it needs an example for them, it reads one, and fails."""
    try:
        return call(*values)
    except IndexError as exc:
        raise ArgumentError(
            f"vmap of {header(fn).name} over an empty batch: symdiff knows the shapes of its "
            "outputs only by running one example",
            header(fn).loc,
            "skip the call for an empty batch; symdiff reads the sizes of outputs shaped like "
            "an argument's axes (or cut from them by constants) without an example",
        ) from exc


def _hashable_axes(out_axes, fn):
    """``out_axes`` as ints, None and tuples (a list is a tuple; a dict is refused)."""
    if out_axes is None or isinstance(out_axes, int) and not isinstance(out_axes, bool):
        return out_axes
    if isinstance(out_axes, (tuple, list)):
        return tuple(_hashable_axes(a, fn) for a in out_axes)
    raise ArgumentError(
        f"vmap's out_axes={out_axes!r} is not an int, None, or a tuple of them (one per output)",
        header(fn).loc,
        "write out_axes=0, out_axes=None, or a tuple with one entry per element of the "
        "returned tuple, e.g. out_axes=(0, None)",
    )


def vmap(fn, in_axes=0, out_axes=0, *, parallel=False, jit=True):
    """``fn`` mapped over an axis of its arguments, as one compiled loop
    (as ``jax.vmap``; ``fn`` may be a derivative: ``vmap(grad(loss))`` gives
    per-example gradients).

    ``in_axes``: one int or None per argument (None: passed whole to every
    example), or one int for all.  ``out_axes``: where each output gets its
    axis of examples (an int, negative from the end), or None for an output
    that does not depend on the mapped arguments (returned once, as JAX);
    one for all outputs, or a tuple with one entry per element of a returned
    tuple.  An empty batch (no examples) gives outputs of size 0 along that
    axis, their other sizes read from the arguments' shapes (an
    ``ArgumentError`` where they depend on computed values).
    ``parallel=True`` runs the examples across cores (Numba's ``prange``;
    plain Python with ``jit=False``).

    Examples
    --------
    >>> import numpy as np
    >>> def f(w, x):
    ...     return np.sum(w * x)
    >>> vmap(f, in_axes=(None, 0), jit=False)(np.array([1.0, 2.0]), np.eye(2))
    array([1., 2.])
    >>> def g(w, x):
    ...     return w * x, np.sum(w)
    >>> vmap(g, in_axes=(None, 0), out_axes=(1, None), jit=False)(np.ones(2), np.eye(2))
    (array([[1., 0.],
           [0., 1.]]), 2.0)
    """
    return entry_function(_Mapped(fn, in_axes, parallel, jit, out_axes))


def jvp(fn, primals, tangents, jit=True):
    """Forward-mode Jacobian-vector product.

    Parameters
    ----------
    fn : function
    primals : tuple
        The point: one value per parameter of ``fn``.
    tangents : tuple
        One tangent per primal; ``None`` for arguments not differentiated
        (ints and bools must have ``None``).  The tangent of a tuple, list
        or dict has its structure (as in JAX), with ``None`` allowed at its
        int, bool and static leaves.

    Returns
    -------
    (value, tangent_out)
        ``fn(*primals)`` and its directional derivative along ``tangents``.

    Examples
    --------
    >>> def f(x, z):
    ...     return x * z
    >>> jvp(f, (2.0, 3.0), (1.0, 0.0), jit=False)
    (6.0, 3.0)
    """
    primal = header(fn)
    if isinstance(primals, (tuple, list)) and not all(map(_flat_value, primals)):
        return _tree_jvp(fn, tuple(primals), tangents, jit)
    primals = checked_values(primals, "primals", primal)
    tangents = checked_values(tangents, "tangents", primal)
    if any(p is None for p in primals):
        raise ArgumentError("primals must not be None", primal.loc, "pass a value per parameter")
    argnums = _tangent_argnums(primal, primals, tangents)
    impl = _jvp_cache(fn, argnums, jit)
    names = primal.params
    seeds = [
        shaped_like(tangents[i], primals[i], f"the tangent of {names[i]}", primal) for i in argnums
    ]
    return impl(*primals, *seeds)


def _tangent_argnums(primal, primals: tuple, tangents) -> tuple:
    """The positions of the tangents that are not None: one tangent per
    primal (in its structure), at least one of them given."""
    check_arity(primal, primals)
    if not isinstance(tangents, (tuple, list)) or len(tangents) != len(primals):
        given = f"{len(tangents)} tangents" if isinstance(tangents, (tuple, list)) else "no tuple"
        raise ArgumentError(
            f"jvp got {len(primals)} primals but {given}"
            + ("" if isinstance(tangents, (tuple, list)) else " of tangents"),
            primal.loc,
            "give one tangent per primal, in its structure (None where not differentiated)",
        )
    argnums = tuple(i for i, t in enumerate(tangents) if t is not None)
    if not argnums:
        raise ArgumentError(
            "every tangent is None", primal.loc, "give a float tangent for at least one argument"
        )
    return argnums


def _flat_value(value) -> bool:
    """A number, an array or None: what the flat ``jvp`` takes."""
    return value is None or not (type(value) in pytree.CONTAINERS or pytree.is_static(value))


def _tree_jvp(fn, primals: tuple, tangents, jit):
    """``jvp`` where primals are tuples, lists or dicts (or static values):
    the tangents of the float leaves, in the primals' structure, seed the
    JVP of the leaves."""
    primal = header(fn)
    argnums = _tangent_argnums(primal, primals, tangents)
    seeds: list = []
    for i in argnums:
        tree = argument_tree(primals[i], primal, i)
        _tangent_leaves(tree, primals[i], tangents[i], primal.params[i], primal, seeds)
    return _jvp_cache(fn, argnums, jit)(*primals, *seeds)


def _tangent_leaves(tree, value, tangent, what: str, primal, out: list) -> list:
    """The tangents of the float leaves of ``value`` (described by ``tree``)
    taken from ``tangent``, which has its structure, appended to ``out``."""
    if isinstance(tree, pytree.Leaf):
        if tree.kind.dtype == "float":
            out.append(shaped_like(tangent, value, f"the tangent of {what}", primal))
        return out
    if isinstance(tree, pytree.Static) or tangent is None and not pytree.leaves(tree):
        return out
    keys = pytree.mapping_keys(tangent) if isinstance(tangent, dict) else None
    if type(tangent) is not tree.type or (
        keys != tree.keys if keys is not None else len(tangent) != len(tree.keys)
    ):
        try:
            shown = pytree.describe_shape(pytree.describe(tangent))
        except pytree.NotALeaf:
            shown = f"a {type(tangent).__name__}"
        raise ArgumentError(
            f"the tangent of {what} is {shown}, not {pytree.describe_shape(tree)} like {what}",
            primal.loc,
            "give the tangent of a tuple, list or dict the same structure",
        )
    for key, child in zip(tree.keys, tree.children):
        _tangent_leaves(child, value[key], tangent[key], f"{what}[{key!r}]", primal, out)
    return out


@functools.lru_cache(maxsize=256)
def _jvp_cache(fn, argnums, jit):
    return _JVPCall(fn, argnums, jit)


class _JVPCall(_Specialised):
    """Specialises on the primals only; the tangents are extra parameters."""

    def __init__(self, fn, argnums, jit):
        super().__init__(fn, argnums, "forward", jit, "jvp")

    def __call__(self, *args):
        count = len(header(self.fn).for_arguments(len(args)).params)
        key = signature_key(args)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.compiled(args[:count])
        if getattr(impl, "build", None) is not None:  # the plain build, while Numba compiles
            impl = self._upgraded(key, impl, args[:count])
        return impl(*args)


def vjp(fn, *primals, argnums=None, jit=True):
    """Reverse-mode vector-Jacobian product.

    Returns ``(value, pullback)``: ``pullback(cotangent)``, with a cotangent
    shaped like the value (a float for a scalar value), gives the
    cotangent's product with the Jacobian for each argument in ``argnums``,
    shaped like that argument (all arguments by default: a tuple; an int
    ``argnums`` gives one value).  For a tuple, list or dict argument it has
    the argument's structure, as in JAX.

    Examples
    --------
    >>> def f(x, z):
    ...     return x * z
    >>> value, pullback = vjp(f, 2.0, 3.0, jit=False)
    >>> pullback(1.0)
    (3.0, 2.0)
    """
    primal = header(fn).for_arguments(len(primals))
    if argnums is None:
        argnums = tuple(range(len(primal.params)))
    argnums, single = normalize_argnums(argnums, primal)
    spec = _vjp_cache(unwrap(fn), argnums[0] if single else argnums, jit)
    primals = spec.bound(primals)
    impl, output = spec.for_primals(primals)
    if output.rank == 0:
        value, _ = impl(*primals, 1.0)
    else:  # the shape of the value, which the cotangent must have, is known by running fn
        with np.errstate(all="ignore"):
            value = fn(*primals)

    def pullback(cotangent):
        seed = shaped_like(cotangent, value, "the cotangent", primal)
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
        if derivative.prologue:
            raise ArgumentError(
                f"vjp of {self.fn.__name__}, which makes random draws, is not supported: "
                "its pullback would draw again",
                header(self.fn).loc,
                "use grad or value_and_grad (one call, one set of draws), or pass the "
                "drawn values in as arguments",
            )
        key = signature_key(primals)
        impl = self._impls.get(key)
        if impl is None:
            impl = self._impls[key] = self.compiled(primals)
        if getattr(impl, "build", None) is not None:  # the plain build, while Numba compiles
            impl = self._upgraded(key, impl, primals)
        return impl, derivative.output


def derivative_source(
    fn, *args, argnums=0, mode="reverse", kind="grad", optimized=True, has_aux=False
) -> str:
    '''The generated derivative code for ``fn`` at these arguments' signature.

    ``kind`` is one of ``"grad"``, ``"value_and_grad"``, ``"jvp"``, ``"vjp"``.
    ``optimized=False`` shows the code before simplification.

    Examples
    --------
    >>> import math
    >>> def f(x):
    ...     return math.exp(x) * x
    >>> print(derivative_source(f, 1.0))  # doctest: +ELLIPSIS
    # Generated by symdiff ... from f (...)
    # reverse mode, f(x: float), with respect to x
    import math
    <BLANKLINE>
    <BLANKLINE>
    def f_grad(x):
        """Gradient of f with respect to x, by reverse mode.
    <BLANKLINE>
        Returns df/dx.
        """
        # line 2
        t0 = math.exp(x)
        f = t0 * x
        x_bar = t0 + f
        return x_bar
    <BLANKLINE>
    '''
    if kind not in FORMS:
        raise ArgumentError(
            f"kind must be one of {', '.join(FORMS)}, not {kind!r}",
            header(fn).loc,
            "write kind='grad'",
        )
    if kind == "jvp":
        mode = "forward"
    elif kind == "vjp":
        mode = "reverse"
    spec = _Specialised(
        fn, argnums, mode, False, kind, has_aux and kind in ("grad", "value_and_grad")
    )
    return spec.derivative(*args, optimized=optimized).source
