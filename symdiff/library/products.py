"""Products as NumPy spells them: ``np.dot`` (of a number: the product),
``np.einsum`` (also interleaved: ``np.einsum(a, [0, 1], b, [1, 2])``), ``np.tensordot``, ``np.inner``,
``np.kron``, ``np.vdot``, ``np.cross``, each over the ``einsum`` (or
``cross``) primitive of ``symdiff.primitives.products``.

The subscripts of each contraction are computed when the code is generated,
from the operands' ranks (``static`` functions), and are explicit in the IR
(``"ij,jk->ik"``): NumPy's ``...`` and implicit outputs are resolved there.
All are smooth: there are no non-differentiable points.  Only real arrays:
``np.vdot`` does not conjugate.
"""

import numpy as np

from ..primitives.naming import ARRAY_FUNCTIONS
from ..primitives.products import LETTERS, SubscriptError, explicit_subscripts
from .registry import Refusal, apply, define, known, refuse, static


def contract(*operands, subscripts):
    """The ``einsum`` primitive on ``operands``, with explicit ``subscripts``."""
    return np.einsum(subscripts, *operands)


def cross3(a, b):
    """The ``cross`` primitive: ``np.cross`` of 3-vectors along the last axis."""
    return np.cross(a, b)


ARRAY_FUNCTIONS[id(contract)] = (contract, "einsum")
ARRAY_FUNCTIONS[id(cross3)] = (cross3, "cross")


@static
def einsum_subscripts(subscripts, ranks):
    try:
        return explicit_subscripts(subscripts, ranks)
    except SubscriptError as error:
        raise Refusal(*error.args) from None


@static
def tensordot_subscripts(rank_a, rank_b, axes):
    """``np.tensordot``'s contraction: ``axes`` an int (the last ``axes`` of
    ``a`` with the first of ``b``) or a pair of sequences of axes."""
    hint = "write axes=k, or axes=((axes of a), (axes of b)) of constant ints"
    if isinstance(axes, int):
        if not 0 <= axes <= min(rank_a, rank_b):
            raise Refusal(f"tensordot axes={axes} does not fit ranks {rank_a} and {rank_b}", hint)
        of_a, of_b = tuple(range(rank_a - axes, rank_a)), tuple(range(axes))
    elif isinstance(axes, tuple) and len(axes) == 2:
        of_a, of_b = ((x,) if isinstance(x, int) else x for x in axes)
        if len(of_a) != len(of_b) or not all(isinstance(x, int) for x in of_a + of_b):
            raise Refusal(f"tensordot axes={axes!r} pair unequal numbers of axes", hint)
        if not all(-rank_a <= x < rank_a for x in of_a) or not all(
            -rank_b <= x < rank_b for x in of_b
        ):
            raise Refusal(f"tensordot axes={axes!r} are out of range", hint)
        of_a, of_b = tuple(x % rank_a for x in of_a), tuple(x % rank_b for x in of_b)
        if len(set(of_a)) < len(of_a) or len(set(of_b)) < len(of_b):
            raise Refusal(f"tensordot axes={axes!r} repeat an axis", hint)
    else:
        raise Refusal(f"tensordot axes={axes!r} is not supported", hint)
    a = LETTERS[:rank_a]
    fresh = iter(LETTERS[rank_a:])
    b = [next(fresh) for _ in range(rank_b)]
    for x, y in zip(of_a, of_b):
        b[y] = a[x]
    b = "".join(b)
    free_a = "".join(c for p, c in enumerate(a) if p not in of_a)
    free_b = "".join(c for p, c in enumerate(b) if p not in of_b)
    return f"{a},{b}->{free_a}{free_b}"


@static
def inner_subscripts(rank_a, rank_b):
    """``np.inner``: the sum over the last axes of both."""
    a = LETTERS[: rank_a - 1]
    b = LETTERS[rank_a - 1 : rank_a + rank_b - 2]
    return f"{a}z,{b}z->{a}{b}"


@static
def sublist_subscripts(sublists, output):
    """NumPy's interleaved form ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])`` as
    subscripts (``"ab,bc->ac"``): each axis number is a letter."""
    hint = "give each operand a list of axis numbers from 0 to 51 (no ...)"
    lists = [*sublists, *(() if output is None else (output,))]
    for axes in lists:
        if not isinstance(axes, tuple) or not all(
            type(k) is int and 0 <= k < len(LETTERS) for k in axes
        ):
            raise Refusal(f"np.einsum: {axes!r} is not a list of axis numbers", hint)
    terms = ",".join("".join(LETTERS[k] for k in axes) for axes in sublists)
    if output is None:
        return terms
    return terms + "->" + "".join(LETTERS[k] for k in output)


@define("numpy.einsum")
def einsum(subscripts, *operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    if out is not None or dtype is not None:
        refuse("np.einsum(..., out=, dtype=) is not supported", "leave out= and dtype= out")
    if not isinstance(subscripts, str):  # np.einsum(a, [0, 1], b, [1, 2], [0, 2])
        items = (subscripts, *operands)
        pairs = len(items) // 2
        operands = tuple(items[2 * k] for k in range(pairs))
        sublists = tuple(items[2 * k + 1] for k in range(pairs))
        output = items[-1] if len(items) % 2 == 1 else None
        if not known(sublists) or not known(output):
            refuse(
                "np.einsum's lists of axes must be known when the code is generated, and "
                "here they are computed when it runs",
                "write them as constants: np.einsum(a, [0, 1], b, [1, 2], [0, 2])",
            )
        subscripts = sublist_subscripts(sublists, output)
    ranks = tuple(np.ndim(x) for x in operands)
    return contract(*operands, subscripts=einsum_subscripts(subscripts, ranks))


@define("numpy.dot", methods="dot")
def dot(a, b, out=None):
    if out is not None:
        refuse("np.dot(..., out=) is not supported", "use the result: y = np.dot(a, b)")
    if np.ndim(a) == 0 or np.ndim(b) == 0:  # NumPy: the product with a number
        return a * b
    return apply("dot", a, b)


@define("numpy.tensordot")
def tensordot(a, b, axes=2):
    return contract(a, b, subscripts=tensordot_subscripts(np.ndim(a), np.ndim(b), axes))


@define("numpy.inner")
def inner(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    return contract(a, b, subscripts=inner_subscripts(np.ndim(a), np.ndim(b)))


@define("numpy.vdot")
def vdot(a, b):
    return np.dot(np.ravel(a), np.ravel(b))


@define("numpy.kron")
def kron(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    if np.ndim(a) != np.ndim(b):
        refuse(
            "np.kron of arrays of different ranks is not supported",
            "reshape the one of smaller rank first: np.reshape(b, (1, -1))",
        )
    if np.ndim(a) == 1:
        return np.reshape(contract(a, b, subscripts="i,j->ij"), (-1,))
    if np.ndim(a) == 2:
        blocks = contract(a, b, subscripts="ij,kl->ikjl")
        return np.reshape(blocks, (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))
    if np.ndim(a) == 3:
        blocks = contract(a, b, subscripts="ijk,lmn->iljmkn")
        sizes = (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1], a.shape[2] * b.shape[2])
        return np.reshape(blocks, sizes)
    refuse("np.kron of arrays of rank 4 or more is not supported", "use np.einsum and np.reshape")


@define("numpy.cross")
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        refuse(
            "np.cross takes arrays of 3-vectors, not numbers",
            "pass arrays whose last axis has size 3",
        )
    if axis is not None:  # NumPy: axis= sets all three
        axisa, axisb, axisc = axis, axis, axis
    if axisa != -1:
        a = np.moveaxis(a, axisa, -1)
    if axisb != -1:
        b = np.moveaxis(b, axisb, -1)
    product = cross3(a, b)
    if axisc != -1:
        return np.moveaxis(product, -1, axisc)
    return product
