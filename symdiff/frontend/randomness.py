"""Random draws -> IR: ``rs.randn(n, d)``, ``rng.normal(0.0, 1.0, size=x.shape)``,
``np.random.binomial(1, p, size)``.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A call of
a draw method (``primitives.random.DRAWS``) on a ``np.random.RandomState``
or ``np.random.Generator`` becomes one ``draw_<method>`` operation whose
first operand is the generator: an implicit input (``names``) of kind
``GENERATOR``, read from the call's arguments (a generator passed as an
argument, ``argument_generators``), from a global or a closure variable,
or, for the functions of ``np.random``, NumPy's global generator.  Then come
the method's parameters (defaults filled in) and the sizes of the result.
``pipeline`` moves the draws into the prologue that runs before the
compiled code.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from .. import pytree
from ..errors import SymDiffError
from ..ir import Const, Var
from ..primitives.random import DRAWS, GENERATOR
from .readers import Reader
from .values import StaticValue, is_atom

# NumPy's global RandomState, which the functions of ``np.random`` draw from.
NUMPY_GENERATOR = Reader(
    "np.random's global generator", lambda args: np.random.mtrand._rand, ("np.random",)
)


def argument_generators(trees, params) -> dict:
    """``id(generator) -> Reader`` for the random generators among the
    arguments (``trees``, from the first call): where each call's generator
    is read."""
    found = {}

    def visit(tree, reader):
        if isinstance(tree, pytree.Static) and isinstance(tree.value, pytree.GENERATORS):
            found[id(tree.value)] = reader
        elif isinstance(tree, pytree.Node):
            for key, child in zip(tree.keys, tree.children):
                visit(child, reader.item(key))

    for index, (tree, name) in enumerate(zip(trees or (), params)):
        visit(tree, Reader.of_argument(index, name))
    return found


class Randomness:
    """Conversion of random draws (mixed into ``frontend.Converter``)."""

    def random_draw(self, e):
        """The draw ``e`` (a call), or None if ``e`` is not a random draw."""
        func = e.func
        if not isinstance(func, ast.Attribute) or func.attr not in DRAWS:
            return None
        found = self._generator(func.value)
        if found is None:
            return None
        generator, value = found
        draw = DRAWS[func.attr]
        if not hasattr(value, draw.method):
            self.fail(
                e,
                f"{type(value).__name__} has no method {draw.method}()",
                "check the spelling (RandomState: randint, random_sample; Generator: "
                "integers, random)",
            )
        operands = self._draw_operands(draw, e)
        return self.op(draw.prim, (generator, *operands), e)

    def _generator(self, node):
        """``(atom, generator)`` if ``node`` names a random generator (or
        ``np.random``), else None."""
        if _in_container(node, self.env):  # rs, params["rng"], rngs[0]: static lookups
            value = self.expr(node)
            if not (isinstance(value, StaticValue) and isinstance(value.value, pytree.GENERATORS)):
                return None
            value = value.value
            reader = self._generator_reader(value, ast.unparse(node))
        elif self._is_local(node):
            return None
        else:
            try:
                value, reader = self.free_place(node)
            except SymDiffError:
                return None
            if value is np.random:
                value, reader = np.random.mtrand._rand, NUMPY_GENERATOR
            elif not isinstance(value, pytree.GENERATORS) or reader is None:
                return None
        name = "np_random" if reader is NUMPY_GENERATOR else re.sub(r"\W+", "_", reader.label)
        name = name.strip("_") or "rng"
        return Var(self.implicit_input(reader, value, GENERATOR, name)), value

    def _generator_reader(self, value, label):
        """Where a generator held in a local name is read at each call,
        wherever it came from: an argument (or an item of one), a global or
        a closure variable (passed down through helpers' parameters,
        containers), else an object fixed when the code is generated (a
        helper's default ``rs=npr.RandomState(0)``, guarded by identity)."""
        reader = self.shared.generators.get(id(value))
        if reader is None:
            reader = self.shared.object_readers.get(id(value))
        if reader is None:
            reader = Reader.of_object(value, label)
            self.shared.generators[id(value)] = reader
        return reader

    def _draw_operands(self, draw, e):
        """The parameters (defaults filled in) and the sizes of a draw."""
        if draw.sizes_as_arguments:  # rs.randn(2, 3), rs.rand(*x.shape)
            if e.keywords:
                self.fail(e, f".{draw.method}() takes sizes only", f"write rs.{draw.method}(2, 3)")
            sizes = []
            for arg in e.args:
                sizes += self._sizes(arg.value if isinstance(arg, ast.Starred) else arg)
            return sizes
        names = [name for name, _ in draw.params] + ["size"]
        if len(e.args) > len(names):
            self.fail(e, f".{draw.method}() takes {', '.join(names)}", "check the call")
        given = dict(zip(names, e.args))
        for keyword in e.keywords:
            if keyword.arg not in names or keyword.arg in given:
                self.fail(
                    keyword.value,
                    f"keyword `{keyword.arg}` of .{draw.method}() is not supported here",
                    f"pass {', '.join(names)}",
                )
            given[keyword.arg] = keyword.value
        if draw.method in ("integers", "randint") and "high" not in given and "low" in given:
            given["low"], given["high"] = ast.Constant(0), given["low"]  # integers(n): [0, n)
        params = []
        for name, default in draw.params:
            if name not in given and default is None:
                self.fail(e, f".{draw.method}() needs `{name}`", f"pass {', '.join(names)}")
            value = self.expr(given[name]) if name in given else Const(default)
            if not is_atom(value):
                self.fail(given[name], f"`{name}` must be a number or an array", "pass one")
            params.append(value)
        size = given.get("size")
        sizes = [] if size is None or _is_none(size) else self._sizes(size)
        return params + sizes

    def _sizes(self, node) -> list:
        """Sizes given as an int or a tuple of ints (``x.shape``)."""
        value = self.expr(node)
        items = list(value) if isinstance(value, tuple) else [value]
        if not all(is_atom(item) for item in items):
            self.fail(node, "the size of a random draw must be ints", "write size=(n, d)")
        return items


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _in_container(node, env) -> bool:
    """Is ``node`` a local name, or an item of one with a constant index?"""
    while isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        node = node.value
    return isinstance(node, ast.Name) and node.id in env
