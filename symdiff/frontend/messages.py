"""How error messages name what the user wrote.

``describe(node)`` names a construct as the user wrote it ("a nested `def`",
"list comprehensions"), not by its AST class; ``is_or_are(node)`` agrees with
it.  ``STATEMENT_HINTS`` and ``EXPRESSION_HINTS`` say what to write instead
of a construct the frontend refuses.  Tables only: no logic beyond the lookup.
"""

from __future__ import annotations

import ast

# Statements and expressions we refuse, with what to write instead.
STATEMENT_HINTS = {
    ast.Try: "move error handling (try/except) outside the differentiated function",
    ast.With: "move the `with` block outside the differentiated function",
    ast.Global: "pass the value as an argument instead of using `global`",
    ast.Nonlocal: "pass the value as an argument instead of using `nonlocal`",
    ast.AsyncFunctionDef: "define helper functions at module level",
    ast.ClassDef: "define classes outside the differentiated function",
    ast.Raise: "check arguments before calling the differentiated function",
    ast.Import: "import modules at module level",
    ast.ImportFrom: "import modules at module level",
    ast.Delete: "remove the `del` statement",
}
EXPRESSION_HINTS = {
    ast.Yield: "generators cannot be differentiated; return a value instead",
    ast.YieldFrom: "generators cannot be differentiated; return a value instead",
    ast.Await: "async code cannot be differentiated; write a plain function",
    ast.Set: "sets are not supported; use a list or a tuple",
    ast.SetComp: "sets are not supported; use a list comprehension",
    ast.JoinedStr: "strings are not supported in differentiated code",
    ast.NamedExpr: "write the assignment `:=` as its own statement",
    ast.Starred: "use *xs inside a call, a list or a tuple: f(*xs), [a, *xs]",
}


# How to name a construct in a message: what the user wrote, not the AST class.
_WORDS = {
    ast.FunctionDef: "a nested `def`",
    ast.AsyncFunctionDef: "a nested `async def`",
    ast.ClassDef: "`class`",
    ast.Import: "`import`",
    ast.ImportFrom: "`from ... import`",
    ast.Delete: "`del`",
    ast.For: "a `for` loop",
    ast.While: "a `while` loop",
    ast.Try: "`try`",
    ast.With: "`with`",
    ast.Global: "`global`",
    ast.Nonlocal: "`nonlocal`",
    ast.Raise: "`raise`",
    ast.AsyncFor: "`async for`",
    ast.AsyncWith: "`async with`",
    ast.Match: "`match`",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "the walrus operator `:=`",
    ast.Lambda: "`lambda`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield from`",
    ast.Await: "`await`",
    ast.Subscript: "indexing (`x[...]`)",
    ast.List: "lists",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "starred expressions (`*x`)",
    ast.Slice: "slices",
    ast.BitAnd: "`&`",
    ast.BitOr: "`|`",
    ast.BitXor: "`^`",
    ast.LShift: "`<<`",
    ast.RShift: "`>>`",
    ast.MatMult: "`@`",
    ast.Invert: "`~`",
    ast.Is: "`is`",
    ast.IsNot: "`is not`",
    ast.In: "`in`",
    ast.NotIn: "`not in`",
}


def describe(node_or_type) -> str:
    """The construct ``node_or_type`` (an AST node or class) in the user's words."""
    cls = node_or_type if isinstance(node_or_type, type) else type(node_or_type)
    return _WORDS.get(cls, f"`{cls.__name__}`")


def is_or_are(node) -> str:
    """'is' or 'are', agreeing with ``describe(node)``."""
    return "are" if describe(node).endswith("s") else "is"
