"""Reading a user function: its source, where each node is, its free names.

``Source(fn)`` reads ``fn``'s source with ``inspect``, dedents it and parses
the ``def`` with ``ast``.  Positions are the parsed (dedented) source's;
``Source.loc`` adds the offsets back, so every error names the user's
``file:line:col``.  When there is no node to point at yet (``fn`` is not a
Python function, its source cannot be read or parsed), the error is located
at the caller (``caller_loc``) or at the ``def`` line.

A ``lambda`` has no ``def`` to read: its node is found in the parsed file
(``_find_lambda``) among the lambdas on its first line, told apart by the
columns Python records for its code (``co_positions``) and by its
parameter names.  ``user_function`` finds the Python function behind a
decorated or compiled one (``__wrapped__``, Numba's ``py_func``) and
refuses symdiff's own derivatives (a derivative of a derivative).

``Source.lookup`` resolves a free name as Python would (closure, globals,
builtins); ``Source.locate`` also says where it is read at each call
(``readers.Reader``); ``check_params`` and ``reserved_names`` read the
signature and the names the IR must not reuse.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import sys
import textwrap
import types

from ..errors import Loc, SourceUnavailableError, caller_loc
from ..errors import UnsupportedSyntaxError as Unsupported
from .readers import Reader
from .values import DictValue


class Source:
    """The parsed source of one Python function and where it came from."""

    def __init__(self, fn):
        fn = self.fn = user_function(fn)
        if not isinstance(fn, types.FunctionType):
            raise SourceUnavailableError(
                f"cannot read the source of {fn!r}: it is not a Python function",
                caller_loc(),
                "symdiff differentiates functions defined with `def` in a .py file "
                "(or a notebook cell).",
            )
        self.filename = fn.__code__.co_filename
        lambda_code = fn.__code__.co_name == "<lambda>"
        self.node = self._parse_lambda() if lambda_code else self._parse_def()
        self.name = fn.__name__
        if isinstance(self.node, ast.Lambda):  # named as its assignment names it
            self.name = self.assigned_to or "lambda"
        params = {a.arg for a in ast.walk(self.node.args) if isinstance(a, ast.arg)}
        stored = {
            n.id
            for n in ast.walk(self.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        defined = {
            n.name
            for n in ast.walk(self.node)
            if isinstance(n, ast.FunctionDef) and n is not self.node
        }
        self.local_names = params | stored | defined  # every name the function binds
        self.closure = _closure_values(fn)
        self.wraps = getattr(fn, "__wrapped__", None)  # a decorator's wrapper: the wrapped
        linecache.checkcache(self.filename)

    def _parse_def(self) -> ast.FunctionDef:
        """The ``def`` node of ``self.fn``; sets the line and column offsets."""
        fn, code = self.fn, self.fn.__code__
        try:
            lines, first = code_source_lines(code)  # the wrapper's own, not __wrapped__
        except (OSError, TypeError) as exc:
            raise SourceUnavailableError(
                f"cannot read the source of {fn.__qualname__} ({exc})",
                Loc(self.filename, code.co_firstlineno),
                "define the function with `def` in a file or notebook cell; functions "
                "made by exec/eval or typed at the plain REPL have no source to read.",
            ) from None
        text = "".join(lines)
        dedented = textwrap.dedent(text)
        self.col_offset = len(text.splitlines()[0]) - len(dedented.splitlines()[0])
        self.line_offset = first - 1
        try:
            tree = ast.parse(dedented)
        except SyntaxError as exc:  # a lambda's line, or odd source layouts
            raise SourceUnavailableError(
                f"cannot parse the source of {fn.__qualname__}: {exc.msg}",
                Loc(self.filename, code.co_firstlineno),
                "define the function with `def` at the start of its own line.",
            ) from None
        node = tree.body[0] if tree.body else None
        if isinstance(node, ast.AsyncFunctionDef):
            raise Unsupported(
                f"{fn.__name__} is an async function",
                self.loc(node),
                "write a plain `def` function",
            )
        if not isinstance(node, ast.FunctionDef) or node.name != code.co_name:
            raise SourceUnavailableError(
                f"cannot find the `def` of {fn.__qualname__} in its source",
                Loc(self.filename, code.co_firstlineno),
                "define the function with `def` at the start of its own line.",
            )
        return node

    def _parse_lambda(self) -> ast.Lambda:
        """The ``lambda`` node of ``self.fn``, from its whole file (positions
        are the file's own: no offsets)."""
        code = self.fn.__code__
        self.line_offset = self.col_offset = 0
        where = Loc(self.filename, code.co_firstlineno)
        linecache.checkcache(self.filename)  # the file as it is now
        text = "".join(linecache.getlines(self.filename))
        try:
            tree = ast.parse(text) if text else None
        except SyntaxError:
            tree = None
        if tree is None:
            raise SourceUnavailableError(
                "cannot read the source of this lambda",
                caller_loc() or where,
                "define it in a file or notebook cell, or with `def`; lambdas made by "
                "exec/eval or typed at the plain REPL have no source to read.",
            )
        node = _find_lambda(tree, code, where)
        self.assigned_to = _assigned_name(tree, node)
        return node

    def loc(self, node) -> Loc:
        """Where ``node`` (of the parsed source) is in the user's file."""
        return Loc(
            self.filename,
            getattr(node, "lineno", 1) + self.line_offset,
            getattr(node, "col_offset", 0) + self.col_offset,
        )

    def lookup(self, name, node):
        """Resolve a free name as Python would: closure, globals, builtins."""
        return self.locate(name, node)[0]

    def locate(self, name, node):
        """A free name's value now and where it is read at each call (a
        ``readers.Reader``; None for builtins, which are fixed)."""
        if name in self.closure:
            cells = dict(zip(self.fn.__code__.co_freevars, self.fn.__closure__))
            return self.closure[name], Reader.of_cell(cells[name], name)
        scope = self.fn.__globals__
        if name in scope:
            return scope[name], Reader.of_global(scope, name)
        if name in builtins.__dict__:
            return builtins.__dict__[name], None
        raise Unsupported(
            f"name '{name}' is not defined",
            self.loc(node),
            "assign it before use, or pass it as an argument",
        )


class DefinitionSource(Source):
    """The source of a definition of ``symdiff.library``, inlined at a call
    of the user's: every node is located at that call (errors, and the
    ``# line`` marks of the generated code, name the user's line), and its
    free names are the library's own, read once (never guarded or inputs)."""

    def __init__(self, fn, call_loc: Loc):
        super().__init__(fn)
        self.call_loc = call_loc

    def loc(self, node) -> Loc:
        return self.call_loc

    def locate(self, name, node):
        return self.lookup(name, node), None

    def lookup(self, name, node):
        return super().locate(name, node)[0]


def user_function(fn, loc=None):
    """The Python function whose source is converted for ``fn``: what is
    called.  A decorator's wrapper that is a Python function with readable
    source is converted itself (its call of the wrapped function resolves
    through its closure), so what it does to the value is differentiated.
    ``__wrapped__`` is followed only through wrappers known to return the
    wrapped function's values unchanged (``functools.lru_cache``/``cache``),
    and a Numba dispatcher is read through its ``py_func``.  Other wrappers
    are refused, as are symdiff's own derivatives (a derivative of a
    derivative); the error names ``loc`` (a helper's call site) or the caller."""
    seen = set()
    while id(fn) not in seen:
        seen.add(id(fn))
        if hasattr(fn, "_spec") and hasattr(fn, "derivative"):  # api.entry_function's
            raise SourceUnavailableError(
                f"{fn.__name__} is a derivative made by symdiff, called inside code that "
                "symdiff converts",
                caller_loc(),
                "differentiate derivatives from outside: grad(grad(f)), hessian(f), "
                "hvp(f), jacfwd(grad(f)) differentiate the derivative's own program",
            )
        inner = getattr(fn, "__symdiff_function__", None) or getattr(fn, "py_func", None)
        if inner is None and not _readable_function(fn):
            inner = getattr(fn, "__wrapped__", None)
            if inner is not None and _from_library(fn):  # np.concatenate: not the user's
                return fn
            if inner is not None and not isinstance(fn, VALUE_PRESERVING_WRAPPERS):
                raise SourceUnavailableError(
                    f"{fn!r} wraps {getattr(inner, '__qualname__', inner)!r}, but it is not a "
                    "Python function whose source symdiff can read, so what it does to the "
                    "value cannot be differentiated",
                    loc or caller_loc(),
                    "differentiate the undecorated function (fn.__wrapped__) if the wrapper "
                    "does not change its value, or write the wrapper as a Python `def`",
                )
        if inner is None:
            return fn
        fn = inner
    return fn


# Wrappers that return what the wrapped function returns: ``__wrapped__`` is
# differentiated for them (caching changes when the function runs, not its values).
VALUE_PRESERVING_WRAPPERS = (functools._lru_cache_wrapper,)


def _from_library(fn) -> bool:
    """Is ``fn`` defined by Python or an installed library (NumPy's
    dispatchers record ``__wrapped__`` too)?  Calls of those are rules or
    errors of their own, never inlined."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None:
        return False
    if module.__name__.partition(".")[0] in sys.stdlib_module_names:
        return True
    path = getattr(module, "__file__", None) or ""
    return "site-packages" in path or "dist-packages" in path


def _readable_function(fn) -> bool:
    """Is ``fn`` a Python function whose own source can be read?"""
    if not isinstance(fn, types.FunctionType):
        return False
    code = fn.__code__
    return len(linecache.getlines(code.co_filename)) >= code.co_firstlineno > 0


def code_source_lines(code) -> tuple:
    """The source lines of the ``def`` (or lambda) that made ``code``, and its
    first line number: what ``inspect.getsourcelines(code)`` gives, read from
    ``linecache`` directly (for a code object, ``inspect`` first searches every
    loaded module for its file, some 10 ms a call)."""
    lines = linecache.getlines(code.co_filename)
    if not lines or len(lines) < code.co_firstlineno:
        raise OSError("could not get source code")
    first = code.co_firstlineno
    return inspect.getblock(lines[first - 1 :]), first


def wrapper_env(src, params, env) -> dict:
    """The values of a decorator's wrapper's own parameters (``*args,
    **kwargs``) when it is called with the wrapped function's parameters
    ``params`` (whose values are ``env``), as a call passes them."""
    args = src.node.args
    own = [a.arg for a in args.posonlyargs + args.args]
    values = [env[p] for p in params]
    if args.kwonlyargs or len(own) > len(values) or (len(own) < len(values) and not args.vararg):
        raise Unsupported(
            f"the wrapper {src.node.name} does not take the parameters of the function it "
            f"wraps ({', '.join(params)})",
            src.loc(src.node),
            "write the wrapper as def wrapper(*args, **kwargs)",
        )
    bound = dict(zip(own, values))
    if args.vararg:
        bound[args.vararg.arg] = tuple(values[len(own) :])
    if args.kwarg:
        bound[args.kwarg.arg] = DictValue((), ())
    return bound


def _assigned_name(tree, node) -> str | None:
    """The name a lambda is assigned to (``relu = lambda z: ...``), if any."""
    for stmt in ast.walk(tree):
        if (
            isinstance(stmt, (ast.Assign, ast.AnnAssign))
            and stmt.value is node
            and isinstance(
                target := (stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target),
                ast.Name,
            )
        ):
            return target.id
    return None


def _find_lambda(tree, code, where) -> ast.Lambda:
    """The ``lambda`` of ``tree`` whose code is ``code``: among those on its
    first line, the innermost whose body holds every position Python
    recorded for the code, with the same parameter names."""
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    candidates = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda)
        and node.lineno == code.co_firstlineno
        and tuple(a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs)
        == names
    ]
    positions = [
        (line, col, end_line, end_col)
        for line, end_line, col, end_col in code.co_positions()
        if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)
    ]
    if positions and len(candidates) > 1:

        def holds(node):
            body = node.body
            start, end = (body.lineno, body.col_offset), (body.end_lineno, body.end_col_offset)
            return all(start <= (p[0], p[1]) and (p[2], p[3]) <= end for p in positions)

        held = [node for node in candidates if holds(node)]
        # nested lambdas: the innermost one that holds them all
        candidates = [n for n in held if not any(o is not n and _inside(o, n) for o in held)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SourceUnavailableError(
            "cannot find this lambda in its source file (was the file edited after import?)",
            where,
            "reload the module, or define the function with `def`.",
        )
    raise SourceUnavailableError(
        f"cannot tell which of the {len(candidates)} lambdas on this line is being differentiated",
        where,
        "give the lambdas different parameter names, or define the function with `def`.",
    )


def _inside(inner, outer) -> bool:
    """Is the node ``inner`` inside the node ``outer``'s span (and not the same span)?"""
    a = (inner.lineno, inner.col_offset, inner.end_lineno, inner.end_col_offset)
    b = (outer.lineno, outer.col_offset, outer.end_lineno, outer.end_col_offset)
    return a != b and (b[0], b[1]) <= (a[0], a[1]) and (a[2], a[3]) <= (b[2], b[3])


def _closure_values(fn) -> dict:
    """The values of ``fn``'s closure cells by name (empty cells left out)."""
    values = {}
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                values[name] = cell.cell_contents
            except ValueError:  # empty cell
                pass
    return values


def check_params(source: Source) -> list:
    """The names of the function's positional parameters; ``*args`` (a tuple
    of the arguments after them, ``varargs_of``) and keyword-only parameters
    with defaults (taken at their defaults) are allowed, ``**kwargs`` and
    keyword-only parameters without defaults refused.  A decorator's wrapper
    (``def wrapper(*args, **kwargs)``) takes those of the function it wraps
    (``__wrapped__``, as ``inspect.signature`` says)."""
    args = source.node.args
    if source.wraps is not None and (args.vararg or args.kwarg):
        return check_params(Source(source.wraps))
    if args.kwarg is not None:
        hint = "list the parameters one by one"
        if any(callable(v) for v in source.closure.values()):  # a decorator's wrapper
            hint = (
                f"{source.name} looks like a decorator's wrapper: decorate it with "
                "@functools.wraps(fn) so that symdiff knows the parameters of the "
                "function it wraps (the wrapper is differentiated as it is called)"
            )
        raise Unsupported("**kwargs parameters are not supported", source.loc(args.kwarg), hint)
    for param, default in zip(args.kwonlyargs, args.kw_defaults):
        if default is None:
            raise Unsupported(
                "keyword-only parameters without a default are not supported",
                source.loc(param),
                f"give it a default ({param.arg}=...) or make it an ordinary parameter",
            )
    return [a.arg for a in args.posonlyargs + args.args]


def varargs_of(source: Source) -> str | None:
    """The name of the function's ``*args`` parameter, or None."""
    vararg = source.node.args.vararg
    return None if vararg is None else vararg.arg


def reserved_names(node) -> set:
    """Names the IR must not reuse: parameters and free names (globals).

    Local variables are left free so that the first assignment of ``a`` keeps
    the name ``a``; later assignments become ``a_1``, ``a_2``...
    """
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    stored = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    params = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    return (names - stored) | params | {getattr(node, "name", "lambda")}
