"""Python source -> IR.

``parse(fn)`` reads the function's source with ``inspect``, parses it with
``ast`` and converts it to SSA form (see ``ir``):

* names are resolved through the function's closure, globals and builtins:
  ``math``/``numpy`` functions (under any import spelling) become primitives,
  numeric globals and closure values become constants, other Python
  functions are parsed the same way and inlined (helpers calling helpers),
  and so are nested ``def``s and ``lambda``s, functions passed as arguments
  and methods of objects (``functions``);
* ``x is None``, ``isinstance``, comparisons of static strings are decided
  when the code is generated: only the branch taken is converted;
* ``return`` inside branches is normalised first: the statements after an
  ``if`` that may return move into its branches, so every path ends in one
  ``return`` and the result is joined by phis;
* ``x if c else y``, ``and`` and ``or`` short-circuit as in Python: they become
  ``If`` statements, so the branch not taken is never evaluated (and never
  differentiated);
* ``print(...)``, ``assert``, docstrings and ``pass`` have no effect on values
  and are dropped.

Anything else raises a ``SymDiffError`` subclass naming the line.

The modules, in the order a function goes through them: ``source`` (reading
the source, locations), ``normalize`` (one way out of every path),
``converter`` (the converter's state and conventions), then the conversion
rules ``statements``, ``loops``, ``expressions``, ``containers`` (lists,
dicts, comprehensions, iteration), ``names``, ``calls`` and ``functions``;
``messages`` words the errors.  ``Converter`` below puts the rules together.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from .. import ir, pytree
from ..errors import UnsupportedSyntaxError
from ..ir import Var
from .calls import Calls
from .containers import Containers
from .converter import RETURN, ConverterCore, Shared
from .expressions import Expressions
from .fancy import FancyIndexing
from .functions import Functions
from .loops import Loops
from .names import Names
from .randomness import Randomness, argument_generators
from .rules import Rules
from .source import Source, check_params, reserved_names, varargs_of, wrapper_env
from .statements import Statements
from .values import FunctionValue, StaticValue, argument, map_atoms, structure

__all__ = ["Header", "header", "parse", "parse_with_kinds"]


class Converter(
    Functions,
    Statements,
    Loops,
    Expressions,
    FancyIndexing,
    Containers,
    Names,
    Randomness,
    Rules,
    Calls,
    ConverterCore,
):
    """Converts one function body to IR, emitting statements into ``out``.

    The rules live in the mixins, one per module; the state and the
    conventions they share in ``ConverterCore`` (module ``converter``).
    """


def parse(fn, trees=None) -> ir.Function:
    """The IR of a Python function.

    Parameters
    ----------
    fn : function
        A function defined with ``def``, whose source ``inspect`` can read.
    trees : tuple of pytree trees, optional
        What each parameter holds (``pytree.describe`` of the arguments).
        By default every parameter is a number or an array of unknown kind.
        The parameters of the IR are the leaves of the trees
        (``pytree.leaf_names``, or the names users bind them to); containers
        are taken apart and static values used while converting.  The kinds
        of the leaves are in ``converter.shared.kinds``.

    Returns
    -------
    ir.Function
        Its body in SSA form; ``loc`` and ``result_loc`` point into ``fn``'s file.

    Raises
    ------
    SymDiffError
        A subclass naming the file, line and column of the first construct
        that cannot be converted, and what to write instead.

    Examples
    --------
    >>> import math
    >>> def f(x):
    ...     return math.sin(x) * x
    >>> print(ir.format_function(parse(f)))
    def f(x):
        $t1 = sin(x)
        f = mul($t1, x)
        return f
    """
    return parse_with_kinds(fn, trees)[0]


def parse_with_kinds(fn, trees=None) -> tuple[ir.Function, dict]:
    """``parse``, with the kinds the frontend knew (name -> ``ir.Kind``):
    every value whose kind follows from the parameters' should be there
    (``x.shape`` as a tuple needs it), as ``analysis.kinds`` finds it."""
    function, shared = _parse(fn, trees)
    renamed = {shared.aliases.get(name, name): kind for name, kind in shared.kinds.items()}
    return function, renamed


def _parse(fn, trees):
    src = Source(fn)
    params = check_params(src)
    wrapper = params != [a.arg for a in src.node.args.posonlyargs + src.node.args.args]
    varargs = None if wrapper else varargs_of(src)  # a wrapper's *args: ``wrapper_env``
    named = len(params)
    if varargs is not None and trees is not None:  # f(x, *args): args_0, args_1...
        params = params + [f"{varargs}_{k}" for k in range(len(trees) - named)]
    if trees is None:
        groups = [[p] for p in params]
        env = {p: Var(p) for p in params}
    else:
        groups = [pytree.leaf_names(tree, p) for tree, p in zip(trees, params)]
        env = {p: argument(tree, iter(g)) for p, tree, g in zip(params, trees, groups)}
    if varargs is not None:  # a tuple of the arguments after the named ones
        env[varargs] = tuple(env.pop(p) for p in params[named:])
    leaves = [name for group in groups for name in group]
    if wrapper:
        env = wrapper_env(src, params, env)  # a decorator's wrapper, called as its function is
    namer = ir.Namer(reserved_names(src.node) | set(leaves))
    in_containers = frozenset(leaves) - set(params)
    kinds = {}
    if trees is not None:
        kinds = dict(zip(leaves, (leaf.kind for t in trees for leaf in pytree.leaves(t))))
    fn = src.fn  # the function behind a decorator or a Numba dispatcher
    free = frozenset(
        n.id for n in ast.walk(src.node) if isinstance(n, ast.Name) and n.id not in src.local_names
    )
    shared = Shared(leaves=in_containers, kinds=kinds, free_names=free)
    shared.generators = argument_generators(trees, params)
    converter = Converter(src, namer, (fn,), env, shared)
    for param in src.node.args.kwonlyargs:  # keyword-only: at their defaults
        default = (src.fn.__kwdefaults__ or {})[param.arg]
        converter.env[param.arg] = converter.constant(default, param, param.arg)
    converter.function_body(src.node)
    result = converter.env[RETURN]
    if isinstance(result, (StaticValue, FunctionValue)):
        raise UnsupportedSyntaxError(
            f"{src.name} returns {structure(result)}",
            converter.return_loc or src.loc(src.node),
            "return the value to differentiate (a float)",
        )
    if isinstance(result, Var) and result.name.startswith("$"):
        namer.taken.discard(src.name)
        result = converter._rename_last(result, src.name)
    body = tuple(converter.out)
    aliases = converter.shared.aliases
    if aliases:  # leaves take the names the user gave them
        body = ir.replace_uses(body, {old: Var(new) for old, new in aliases.items()})
        result = map_atoms(
            result, lambda a: Var(aliases.get(a.name, a.name)) if isinstance(a, Var) else a
        )
        leaves = [aliases.get(name, name) for name in leaves]
    doc = "" if isinstance(src.node, ast.Lambda) else ast.get_docstring(src.node) or ""
    implicit = _used_implicit(shared, body, result)
    function = ir.Function(
        name=src.name,
        params=(*leaves, *(record.param for record in implicit)),
        body=body,
        result=result,
        loc=src.loc(src.node),
        result_loc=converter.return_loc,
        doc=doc,
        implicit=implicit,
        guards=tuple(shared.guards.values()),
    )
    return function, shared


def _used_implicit(shared: Shared, body, result) -> tuple:
    """The implicit inputs the code reads (one read only as a constant,
    ``x[AXIS]``, is guarded instead), in the order they were met."""
    used = {a.name for stmt in ir.walk(body) for a in ir.reads(stmt) if isinstance(a, Var)}
    used |= {a.name for a in ir.atoms_of(result) if isinstance(a, Var)}
    return tuple(r for r in shared.implicit.values() if r.param in used)


class Header(NamedTuple):
    """A function's name, parameters and location, read without converting
    its body; ``varargs`` names its ``*args`` parameter (or is None)."""

    name: str
    params: tuple
    loc: object
    varargs: str | None = None

    def for_arguments(self, count: int) -> Header:
        """The header of a call with ``count`` positional arguments: the
        arguments ``*args`` takes are parameters ``args_0``, ``args_1``..."""
        extra = count - len(self.params)
        if self.varargs is None or extra <= 0:
            return self
        added = tuple(f"{self.varargs}_{k}" for k in range(extra))
        return self._replace(params=self.params + added)


def header(fn) -> Header:
    """``fn``'s name, parameter names and the location of its ``def``."""
    src = Source(fn)
    return Header(src.name, tuple(check_params(src)), src.loc(src.node), varargs_of(src))
