"""Random draws: methods of ``np.random.RandomState`` and ``np.random.Generator``.

A draw is an operation ``draw_<method>(generator, *parameters, *sizes)``:
its first operand is the generator object (a parameter of the prologue, see
``pipeline``), then the method's parameters (``loc``, ``scale``; as many as
the row says), then the sizes of the result (none: one number).  Draws are
never differentiated and never evaluated by the compiler: the pipeline moves
them, with what they depend on, into a prologue that runs as plain Python
before the compiled code, so that a gradient consumes the generator exactly
as one call of the function does.

``DRAWS`` maps each method name users write to its row: the primitive, its
parameters with their defaults (``None``: required) and the dtype drawn.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..ir import Kind
from .kinds import RankError, broadcast, size_of, with_dtype
from .registry import register


@dataclass(frozen=True, slots=True)
class Draw:
    """One draw method: how users call it and what it gives."""

    method: str
    params: tuple  # (name, default or None when required), in order
    dtype: str | None  # "float", "int", or None: the dtype of the first parameter (choice)
    sizes_as_arguments: bool = False  # rs.randn(2, 3) rather than size=(2, 3)

    @property
    def prim(self) -> str:
        return f"draw_{self.method}"


_UNIT = (("low", 0.0), ("high", 1.0))
DRAWS = {
    draw.method: draw
    for draw in (
        Draw("randn", (), "float", True),
        Draw("rand", (), "float", True),
        Draw("standard_normal", (), "float"),
        Draw("random", (), "float"),
        Draw("random_sample", (), "float"),
        Draw("normal", (("loc", 0.0), ("scale", 1.0)), "float"),
        Draw("uniform", _UNIT, "float"),
        Draw("binomial", (("n", None), ("p", None)), "int"),
        Draw("integers", (("low", None), ("high", None)), "int"),
        Draw("randint", (("low", None), ("high", None)), "int"),
        Draw("permutation", (), "int", True),  # of range(n): one size, n
        Draw("choice", (("a", None),), None),  # elements of a (an array, or range(a))
    )
}
GENERATOR = Kind("generator")  # the kind of a generator operand (only draws read it)


def _kind(draw: Draw):
    def rule(kinds, atoms, attrs):
        sizes = atoms[1 + len(draw.params) :]
        if any(k.rank or k.dtype != "int" for k in kinds[1 + len(draw.params) :]):
            raise RankError(f"the sizes of a random draw ({draw.method}) must be ints")
        if draw.method == "permutation" and len(sizes) != 1:
            raise RankError("permutation(n) takes one int (shuffle arrays with an index: x[p])")
        dtype = draw.dtype
        if dtype is None:
            if kinds[1].rank > 1:
                raise RankError(f"{draw.method}() draws from an int or a 1-d array")
            dtype = kinds[1].dtype
        elif not sizes and draw.params:  # rs.normal(mu, sigma): shaped like its parameters
            return with_dtype(broadcast(kinds[1 : 1 + len(draw.params)]), dtype)
        return Kind.of_sizes(dtype, [size_of(a) for a in sizes])

    return rule


def _spell(draw: Draw):
    def spell(printer, op, args):
        generator, rest = args[0], args[1:]
        params, sizes = rest[: len(draw.params)], rest[len(draw.params) :]
        func = ast.Attribute(generator, draw.method)
        if draw.sizes_as_arguments:
            return ast.Call(func, sizes, [])
        keywords = [ast.keyword("size", ast.Tuple(sizes))] if sizes else []
        return ast.Call(func, params, keywords)

    return spell


for _draw in DRAWS.values():
    register(
        _draw.prim,
        -1,
        ("special",),
        "special",
        None,
        None,
        result_kind=_kind(_draw),
        spell=_spell(_draw),
        differentiable=False,
        elementwise=False,
        fresh=True,
    )

DRAW_PRIMITIVES = frozenset(draw.prim for draw in DRAWS.values())
