"""Reading a user function: its source, where each node is, its free names.

``Source(fn)`` reads ``fn``'s source with ``inspect``, dedents it and parses
the ``def`` with ``ast``.  Positions are the parsed (dedented) source's;
``Source.loc`` adds the offsets back, so every error names the user's
``file:line:col``.  When there is no node to point at yet (``fn`` is not a
Python function, its source cannot be read or parsed), the error is located
at the caller (``caller_loc``) or at the ``def`` line.

``Source.lookup`` resolves a free name as Python would (closure, globals,
builtins), ``Source.locate`` also says where it is read at each call; ``check_params`` and ``reserved_names`` read the signature and the
names the IR must not reuse.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import types

from ..errors import Loc, SourceUnavailableError, caller_loc
from ..errors import UnsupportedSyntaxError as Unsupported
from .readers import Reader


class Source:
    """The parsed source of one Python function and where it came from."""

    def __init__(self, fn):
        self.fn = fn
        if not isinstance(fn, types.FunctionType):
            raise SourceUnavailableError(
                f"cannot read the source of {fn!r}: it is not a Python function",
                caller_loc(),
                "symdiff differentiates functions defined with `def` in a .py file "
                "(or a notebook cell).",
            )
        self.filename = fn.__code__.co_filename
        self.node = self._parse_def()
        params = {a.arg for a in ast.walk(self.node.args) if isinstance(a, ast.arg)}
        stored = {
            n.id
            for n in ast.walk(self.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        self.local_names = params | stored  # every name the function binds
        self.closure = _closure_values(fn)
        linecache.checkcache(self.filename)

    def _parse_def(self) -> ast.FunctionDef:
        """The ``def`` node of ``self.fn``; sets the line and column offsets."""
        fn, code = self.fn, self.fn.__code__
        try:
            lines, first = inspect.getsourcelines(fn)
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
        if not isinstance(node, ast.FunctionDef) or node.name != fn.__name__:
            raise SourceUnavailableError(
                f"cannot find the `def` of {fn.__qualname__} in its source",
                Loc(self.filename, code.co_firstlineno),
                "lambdas are not supported; define the function with `def`.",
            )
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
    """The parameter names of the function; refuses ``*args``, ``**kwargs``
    and keyword-only parameters."""
    args = source.node.args
    for star_param, spelling in ((args.vararg, "*args"), (args.kwarg, "**kwargs")):
        if star_param is not None:
            raise Unsupported(
                f"{spelling} parameters are not supported",
                source.loc(star_param),
                "list the parameters one by one",
            )
    if args.kwonlyargs:
        raise Unsupported(
            "keyword-only parameters are not supported",
            source.loc(args.kwonlyargs[0]),
            "make them ordinary parameters",
        )
    return [a.arg for a in args.posonlyargs + args.args]


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
    return (names - stored) | params | {node.name}
