"""Products: ``einsum``, the one contraction primitive, with the contraction
plans behind ``@``/``np.matmul`` on stacks of matrices and ``np.dot`` of rank
> 2; and ``np.cross``.

An ``einsum`` carries its subscripts in ``attrs.subscripts``, explicit: one
letter per axis of each operand, the output after ``->``, no ``...``
(``explicit_subscripts`` makes them from NumPy's, given the operands' ranks:
``...`` becomes letters of its own, and an implicit output is NumPy's, the
broadcast axes then the letters used once, in alphabetical order).

* Derivatives.  An einsum is linear in each operand: the tangent is the sum
  of the einsums with one operand replaced by its tangent.  The adjoint of an
  operand is the einsum of the output's adjoint with the other operands,
  giving the operand's letters (``einsum_adjoint``): a letter repeated in the
  operand (a diagonal, a trace) puts the adjoint on the diagonal by a product
  with the identity (``np.eye``); a letter only that operand has (summed in
  it alone) is an axis along which the adjoint is broadcast (``expand_dims``);
  an axis along which the operand was broadcast is summed (``sum_to``).
* Code (``contraction``), decided when the code is generated, from the
  subscripts and the operands' kinds: the products that are a matrix product,
  a transpose or a sum print as one (``x @ W``, ``a.T @ g``, ``np.outer``,
  ``np.sum(x, axis=1)``); a product of two operands with letters of several
  axes, or with batch letters, is a helper (``_einsum_<subscripts>``) that
  transposes and reshapes each operand to a contiguous 2-d (or batch of 2-d)
  block and calls ``np.dot`` on them; diagonals, operands broadcast along a
  shared letter at run time and products of three or more operands are a
  helper of explicit loops (``..._loops``).  Numba compiles each.
* ``@``/``np.matmul`` of rank 3+ is ``einsum("...ij,...jk->...ik")`` (1-d
  operands as NumPy treats them: ``"j,...jk->...k"``); ``np.dot`` of rank > 2
  is NumPy's sum over the last axis of ``a`` and the second-to-last of ``b``.
* ``np.cross`` of 3-vectors (and stacks of them, broadcast, along the last
  axis): ``d(a x b) = da x b + a x db``; the adjoints are ``b x g`` and
  ``g x a``.

Conventions: every product is smooth (no non-differentiable points).
``einsum`` broadcasts a size-1 labelled axis against a longer one as NumPy
does; where the size is not known when the code is generated, the loops
helper decides at run time.
"""

from __future__ import annotations

import ast
import string
from collections import Counter

import numpy as np

from ..ir import Attrs, Kind
from .expr import linear_jvp, op
from .kinds import MATCHES, MAYBE_ONE, ONE, RankError, broadcast, dot_kind
from .registry import Option, named, register

LETTERS = string.ascii_letters


class SubscriptError(ValueError):
    """Subscripts that do not fit their operands: ``(message, hint)``."""


# -- subscripts ---------------------------------------------------------------


def _term(term: str, what: str) -> tuple[str, bool, str]:
    """A term split at its ``...``: (letters before, has ..., letters after)."""
    head, dots, tail = term.partition("...")
    if not all(c in LETTERS for c in head + tail):
        raise SubscriptError(
            f"einsum subscripts {what!r}: {term!r} is not letters and at most one '...'",
            "write one letter per axis, e.g. 'ij,jk->ik'",
        )
    return head, bool(dots), tail


def explicit_subscripts(subscripts: str, ranks) -> str:
    """NumPy's einsum ``subscripts`` for operands of ``ranks``, explicit.

    >>> explicit_subscripts("...ij,...jk", (3, 2))
    'Aij,jk->Aik'
    >>> explicit_subscripts("ii", (2,))
    'ii->'
    """
    text = subscripts.replace(" ", "")
    left, arrow, right = text.partition("->")
    terms = left.split(",")
    if len(terms) != len(ranks):
        raise SubscriptError(
            f"einsum subscripts {subscripts!r} have {len(terms)} term(s) for "
            f"{len(ranks)} operand(s)",
            "give one comma-separated term per operand",
        )
    parsed = [_term(term, subscripts) for term in terms]
    widths = []
    for k, ((head, dots, tail), rank) in enumerate(zip(parsed, ranks)):
        named = len(head) + len(tail)
        if named > rank or (named < rank and not dots):
            raise SubscriptError(
                f"einsum operand {k} has rank {rank}, but its subscripts "
                f"{terms[k]!r} name {named} axes",
                "give one letter per axis (or '...' for the leading ones)",
            )
        widths.append(rank - named if dots else 0)
    fresh = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in text]
    width = max(widths, default=0)
    broadcast = "".join(fresh[:width])
    inputs = [
        head + (broadcast[width - extra :] if dots else "") + tail
        for (head, dots, tail), extra in zip(parsed, widths)
    ]
    if arrow:
        head, dots, tail = _term(right, subscripts)
        if width and not dots:
            raise SubscriptError(
                f"einsum subscripts {subscripts!r}: the output has no '...' for the "
                "operands' '...' axes",
                "write '...' in the output too",
            )
        output = head + (broadcast if dots else "") + tail
        counts = Counter(output)
        if any(n > 1 for n in counts.values()) or not set(output) <= set("".join(inputs)):
            raise SubscriptError(
                f"einsum subscripts {subscripts!r}: each output letter must appear once, "
                "and in an operand",
                "check the output after '->'",
            )
    else:
        counts = Counter(c for c in "".join(inputs) if c not in broadcast)
        output = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1))
    return ",".join(inputs) + "->" + output


def split(subscripts: str) -> tuple[list[str], str]:
    """Explicit subscripts as (the operands' terms, the output's)."""
    left, _, output = subscripts.partition("->")
    return left.split(","), output


def product_subscripts(name: str, rank_a: int, rank_b: int) -> str:
    """The einsum of ``a @ b`` (``name`` "matmul") or ``np.dot(a, b)``.

    >>> product_subscripts("matmul", 3, 1)
    'Aij,j->Ai'
    >>> product_subscripts("dot", 3, 3)
    'abz,czd->abcd'
    """
    if name == "matmul":
        a = "...ij" if rank_a > 1 else "j"
        b = "...jk" if rank_b > 1 else "j"
        out = "..." + "i" * (rank_a > 1) + "k" * (rank_b > 1)
        return explicit_subscripts(f"{a},{b}->{out}", (rank_a, rank_b))
    letters = iter(c for c in LETTERS if c != "z")
    a = "".join(next(letters) for _ in range(rank_a - 1))
    b_lead = "".join(next(letters) for _ in range(rank_b - 2))
    b_last = next(letters) if rank_b > 1 else ""
    return f"{a}z,{b_lead}z{b_last}->{a}{b_lead}{b_last}"


# -- kinds ----------------------------------------------------------------------


def einsum_kind(kinds, atoms, attrs):
    """Each output letter's axis: full if some operand has it full, 1 if all
    have it 1, else maybe 1 (broadcast as NumPy does)."""
    terms, output = split(attrs.subscripts)
    if len(terms) != len(kinds) or any(len(t) != k.rank for t, k in zip(terms, kinds)):
        ranks = ", ".join(str(k.rank) for k in kinds)
        raise RankError(f"einsum {attrs.subscripts!r} does not fit operands of ranks {ranks}")
    met: dict[str, list] = {}
    for term, kind in zip(terms, kinds):
        for axis, letter in enumerate(term):
            met.setdefault(letter, []).append(kind.size(axis))
    sizes = [
        MATCHES if MATCHES in met[c] else ONE if set(met[c]) == {ONE} else MAYBE_ONE for c in output
    ]
    dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    return Kind.of_sizes(dtype, sizes)


def product_kind(name: str):
    """The kind rule of ``np.dot``/``@``: as before for ranks 1 and 2, an
    einsum's (``product_subscripts``) for stacks."""

    def rule(kinds, atoms, attrs):
        a, b = kinds
        if a.rank == 0 or b.rank == 0 or max(a.rank, b.rank) <= 2:
            return dot_kind(kinds, atoms, attrs)
        subscripts = product_subscripts(name, a.rank, b.rank)
        return einsum_kind(kinds, atoms, Attrs(subscripts=subscripts))

    return rule


def cross_kind(kinds, atoms, attrs):
    if min(k.rank for k in kinds) == 0:
        raise RankError("np.cross takes arrays of 3-vectors (the last axis of size 3)")
    if any(k.size(k.rank - 1) is ONE for k in kinds):
        raise RankError("np.cross takes 3-vectors: the last axis has size 1 here")
    return Kind.of_sizes("float", broadcast(kinds).sizes())


# -- derivatives ------------------------------------------------------------------


def _einsum(subscripts, *operands):
    return op("einsum", *operands, attrs=Attrs(subscripts=subscripts))


einsum_jvp = linear_jvp("einsum")  # the sum over operands of the einsum with its tangent


def einsum_adjoint(subscripts: str, k: int, g, args):
    """The adjoint of operand ``k`` of the einsum ``subscripts`` of ``args``."""
    terms, output = split(subscripts)
    fresh = iter(c for c in LETTERS if c not in subscripts)
    x = args[k]
    given = [output] + [t for j, t in enumerate(terms) if j != k]
    operands = [g] + [a for j, a in enumerate(args) if j != k]
    letters, first = [], {}
    for axis, letter in enumerate(terms[k]):
        if letter in first:  # a diagonal: the adjoint is on it (times the identity)
            new = next(fresh)
            size = op("shape", x, attrs=Attrs(axis=first[letter]))
            given.append(letter + new)
            operands.append(op("eye", size))
            letters.append(new)
        else:
            first[letter] = axis
            letters.append(letter)
    known = set("".join(given))
    kept = "".join(c for c in letters if c in known)
    adjoint = _einsum(",".join(given) + "->" + kept, *operands)
    for axis, letter in enumerate(letters):
        if letter not in known:  # summed in x alone: the adjoint is broadcast along it
            adjoint = op("expand_dims", adjoint, attrs=Attrs(axis=axis))
    if not terms[k]:
        return adjoint
    return op("sum_to", adjoint, x)  # the axes along which x was broadcast, if any


def einsum_vjp(g, *rest):
    args, attrs = rest[:-3], rest[-2]
    return tuple(einsum_adjoint(attrs.subscripts, k, g, args) for k in range(len(args)))


def product_vjp(name: str):
    """The VJP of ``np.dot``/``@``: matrix products for ranks 1 and 2 (as
    a textbook writes them), an einsum's adjoints for stacks."""
    product = (lambda u, v: op(name, u, v)) if name == "matmul" else (lambda u, v: op("dot", u, v))

    def vjp(g, a, b, ans, attrs, ranks):
        ra, rb = ranks
        if max(ra, rb) > 2:
            subscripts = product_subscripts(name, ra, rb)
            return einsum_adjoint(subscripts, 0, g, (a, b)), einsum_adjoint(
                subscripts, 1, g, (a, b)
            )
        if ra == 1 and rb == 1:
            return g * b, g * a
        if ra == 2 and rb == 1:
            return op("outer", g, b), product(op("transpose", a), g)
        if ra == 1 and rb == 2:
            return product(b, g), op("outer", a, g)
        return product(g, op("transpose", b)), product(op("transpose", a), g)

    return vjp


def cross_jvp(tangents, a, b, ans, attrs):
    ta, tb = tangents
    terms = []
    if ta is not None:
        terms.append(op("cross", ta, b))
    if tb is not None:
        terms.append(op("cross", a, tb))
    return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def cross_vjp(g, a, b, ans, attrs, ranks):
    """``a_bar = b x g``, ``b_bar = g x a``, summed back where broadcast."""
    return op("sum_to", op("cross", b, g), a), op("sum_to", op("cross", g, a), b)


# -- code ---------------------------------------------------------------------------


def spell_einsum(printer, op_, args):
    return contraction(printer, op_.attrs.subscripts, op_.args, args)


def spell_product(name: str):
    """``np.dot(a, b)``/``a @ b`` for ranks 1 and 2; an einsum's code for stacks."""

    def spell(printer, op_, args):
        ranks = [printer.kind(a).rank for a in op_.args]
        if max(ranks) <= 2:
            args = _floats(printer, [printer.kind(a) for a in op_.args], args)
            if name == "matmul":
                return ast.BinOp(args[0], ast.MatMult(), args[1])
            return printer.call("np.dot", args)
        return contraction(printer, product_subscripts(name, *ranks), op_.args, args)

    return spell


_CROSS_HELPER = """\
def _cross(a, b):
    \"\"\"np.cross(a, b) of 3-vectors along the last axis (NumPy also takes
    2-vectors, with a result of another shape: refused as Numba does).\"\"\"
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError("np.cross: symdiff takes 3-vectors (a last axis of size 3)")
    return np.cross(a, b)"""


def spell_cross(printer, op_, args):
    printer.modules.add("np")
    return ast.Call(ast.Name(printer.helper("_cross", _CROSS_HELPER)), list(args), [])


def contraction(printer, subscripts, atoms, printed) -> ast.expr:
    """The code of the einsum ``subscripts`` of ``atoms`` (printed ``printed``)."""
    terms, output = split(subscripts)
    kinds = [printer.kind(a) for a in atoms]
    simple = _simple(printer, terms, output, kinds, printed)
    if simple is not None:
        return simple
    if _blocks_apply(terms, output, kinds):
        name, source = _blocks_helper(terms, output, kinds, printer.float32)
    else:
        name, source = _loops_helper(terms, output, kinds, printer.float32)
    printer.helper(name, source)
    printer.modules.add("np")
    return ast.Call(ast.Name(name), list(printed), [])


def _repeats(term: str) -> bool:
    return len(set(term)) < len(term)


def _simple(printer, terms, output, kinds, printed):
    """The products that read as one NumPy expression, or None."""
    if any(_repeats(t) for t in terms):
        return None
    if len(terms) == 1:
        return _one_operand(printer, terms[0], output, printed[0])
    if len(terms) != 2:
        return None
    product = _matrix_product(printer, terms, output, kinds, printed)
    return product or _broadcast_product(printer, terms, output, printed)


def _matrix_product(printer, terms, output, kinds, printed):
    """``a @ b``, ``a.T @ b``, ``np.dot(a, b)``, ``np.outer``... of 1-d and 2-d operands."""
    ta, tb = terms
    a, b = printed
    if set(ta) - set(tb) - set(output) or set(tb) - set(ta) - set(output):
        return None  # a letter summed in one operand alone
    shared = set(ta) & set(tb)
    for term, kind in zip(terms, kinds):  # a shared axis of size 1: broadcast
        if any(kind.size(p) is ONE for p, c in enumerate(term) if c in shared):
            return None
    if ta == tb and output in ("", ta) and len(ta) != 1 or output == ta == tb:  # elementwise
        product = ast.BinOp(a, ast.Mult(), b)
        return product if output else printer.call("np.sum", [product])
    if shared & set(output) or len(shared) > 1 or any(len(t) > 2 for t in terms):
        return None  # batch letters, blocks of several axes
    (contracted,) = shared or {None}
    a, b = _floats(printer, kinds, printed)
    left, right = ta.replace(contracted or "", ""), tb.replace(contracted or "", "")
    if contracted is None:
        if len(left) == 1 and len(right) == 1:  # an outer product
            return printer.call("np.outer", [a, b] if output == left + right else [b, a])
        if not (left and right) and output == ta + tb:  # a number times an array
            return ast.BinOp(a, ast.Mult(), b)
        return None
    if output == right + left and left and right:  # (a b)^T = b^T a^T
        ta, tb, a, b, left, right = tb, ta, b, a, right, left
    # a as (left, contracted), b as (contracted, right)
    a = ast.Attribute(a, "T") if ta == contracted + left and left else a
    b = ast.Attribute(b, "T") if tb == right + contracted and right else b
    if not left and not right:
        return printer.call("np.dot", [a, b])
    return ast.BinOp(a, ast.MatMult(), b)


def _floats(printer, kinds, printed):
    """The operands of a BLAS product (``@``, ``np.dot``, ``np.outer``): an
    int or bool array meeting a float one as floats (Numba multiplies only
    arrays of one float type)."""
    if all(k.dtype != "float" for k in kinds):
        return list(printed)
    dtype = printer.attribute("np.float32" if printer.float32 else "np.float64")
    return [
        ast.Call(ast.Attribute(x, "astype"), [dtype], []) if k.rank and k.dtype != "float" else x
        for k, x in zip(kinds, printed)
    ]


def _broadcast_product(printer, terms, output, printed):
    """A product no larger than one of its operands (one has every letter):
    the other aligned to it by NumPy broadcasting, multiplied, then summed
    over the letters not in the output (``np.sum(a * b, axis=1)``)."""
    letters = set("".join(terms))
    order = next((t for t in terms if set(t) == letters), None)
    if order is None:
        return None
    a, b = (_aligned(printer, t, order, x) for t, x in zip(terms, printed))
    value = ast.BinOp(a, ast.Mult(), b)
    if not output:
        return printer.call("np.sum", [value])
    for axis in reversed([p for p, c in enumerate(order) if c not in output]):
        value = printer.call("np.sum", [value], [("axis", ast.Constant(axis))])
    return _permuted(printer, value, "".join(c for c in order if c in output), output)


def _aligned(printer, term, order, x):
    """``x`` (of letters ``term``) with its axes in the order of ``order`` and
    a size-1 axis for each letter it lacks after its first (broadcasting)."""
    if len(term) < 1:
        return x
    x = _permuted(printer, x, term, "".join(c for c in order if c in term), copy=False)
    start = min(order.index(c) for c in term)
    for p in range(start, len(order)):
        if order[p] not in term:
            x = printer.call("np.expand_dims", [x, ast.Constant(p - start)])
    return x


def _permuted(printer, x, have, want, copy=False):
    """``x`` of letters ``have`` transposed to ``want`` (a view, or a copy)."""
    if have == want:
        return x
    if len(have) == 2:
        value = ast.Attribute(x, "T")
    else:
        axes = ast.Tuple([ast.Constant(have.index(c)) for c in want])
        value = printer.call("np.transpose", [x, axes])
    return ast.Call(ast.Attribute(value, "copy"), [], []) if copy else value


def _one_operand(printer, term, output, x):
    """A transpose (copied: einsum makes a new array) or a sum over axes."""
    summed = [p for p, c in enumerate(term) if c not in output]
    kept = "".join(c for c in term if c in output)
    if kept != output:
        if summed:
            return None
        if len(term) == 2:
            return ast.Call(ast.Attribute(ast.Attribute(x, "T"), "copy"), [], [])
        axes = ast.Tuple([ast.Constant(term.index(c)) for c in output])
        return ast.Call(ast.Attribute(printer.call("np.transpose", [x, axes]), "copy"), [], [])
    if not summed:
        return ast.Call(ast.Attribute(x, "copy"), [], []) if term else x
    if len(summed) == len(term):
        return printer.call("np.sum", [x])
    value = x
    for axis in reversed(summed):
        value = printer.call("np.sum", [value], [("axis", ast.Constant(axis))])
    return value


def _shared_axes(terms):
    """letter -> [(operand, axis)] for every letter."""
    where: dict[str, list] = {}
    for k, term in enumerate(terms):
        for p, c in enumerate(term):
            where.setdefault(c, []).append((k, p))
    return where


def _blocks_apply(terms, output, kinds) -> bool:
    """Two float operands, no diagonals, and the letters both have either of
    full size in both or of size 1 (known now) in one."""
    if len(terms) != 2 or any(_repeats(t) for t in terms):
        return False
    if any(k.dtype != "float" for k in kinds):
        return False
    for c, places in _shared_axes(terms).items():
        if len(places) < 2:
            continue
        sizes = [kinds[k].size(p) for k, p in places]
        if MAYBE_ONE in sizes and c in output:  # a batch axis that may broadcast
            return False
        if ONE in sizes and set(sizes) != {ONE} and c not in output:
            return False
    return True


def _name(terms, output, suffix=""):
    return f"_einsum_{'_'.join(terms)}_to_{output}{suffix}"


def _size(names, letter, where):
    k, p = where[letter][0]
    return f"{names[k]}.shape[{p}]"


def _blocks_helper(terms, output, kinds, float32):
    """Transposes and reshapes to contiguous blocks, then ``np.dot``."""
    original, terms, names = list(terms), list(terms), ["a", "b"]
    lines, squeezed = [], []
    for k in range(2):  # an axis of size 1 the other operand has full: taken out
        other = terms[1 - k]
        drop = [
            p
            for p, c in enumerate(terms[k])
            if kinds[k].size(p) is ONE
            and c in other
            and kinds[1 - k].size(other.index(c)) is not ONE
        ]
        if drop:
            index = ", ".join("0" if p in drop else ":" for p in range(len(terms[k])))
            lines.append(f"    {names[k]}1 = {names[k]}[{index}]")
            names[k] += "1"
            terms[k] = "".join(c for p, c in enumerate(terms[k]) if p not in drop)
            squeezed.append(f"{k}{''.join(map(str, drop))}")
    for k, term in enumerate(list(terms)):  # letters summed in one operand alone
        alone = [p for p, c in enumerate(term) if c not in output and c not in terms[1 - k]]
        for p in reversed(alone):
            lines.append(f"    {names[k]}2 = np.sum({names[k]}, axis={p})")
            names[k] += "2"
        terms[k] = "".join(c for p, c in enumerate(term) if p not in alone)
    ta, tb = terms
    batch = [c for c in output if c in ta and c in tb]
    contracted = [c for c in ta if c in tb and c not in output]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    where = _shared_axes(terms)
    for c in batch + contracted:
        (ka, pa), (kb, pb) = where[c]
        lines.append(f"    if {names[ka]}.shape[{pa}] != {names[kb]}.shape[{pb}]:")
        lines.append(f"        raise ValueError(\"einsum: axis '{c}' has two sizes\")")
    for c in batch + left + right + contracted:
        k, p = where[c][0]
        lines.append(f"    n_{c} = {names[k]}.shape[{p}]")

    def product(group):
        return " * ".join(f"n_{c}" for c in group) or "1"

    def block(name, term, groups):
        order = [c for group in groups for c in group]
        perm = [term.index(c) for c in order]
        value = name
        if perm != list(range(len(term))):
            axes = ", ".join(map(str, perm)) + "," * (len(perm) == 1)
            value = f"np.transpose({name}, ({axes}))"
        shape = ", ".join(product(group) for group in groups)
        return f"np.ascontiguousarray({value}).reshape(({shape}))"

    if batch:
        lines.append(f"    a_blocks = {block(names[0], ta, [batch, left, contracted])}")
        lines.append(f"    b_blocks = {block(names[1], tb, [batch, contracted, right])}")
        dtype = ", np.float32" if float32 else ""
        sizes = f"{product(batch)}, {product(left)}, {product(right)}"
        lines.append(f"    out = np.empty(({sizes}){dtype})")
        lines.append(f"    for t in range({product(batch)}):")
        lines.append("        out[t] = np.dot(a_blocks[t], b_blocks[t])")
    else:
        lines.append(f"    a_blocks = {block(names[0], ta, [left, contracted])}")
        lines.append(f"    b_blocks = {block(names[1], tb, [contracted, right])}")
        lines.append("    out = np.dot(a_blocks, b_blocks)")
    natural = batch + left + right
    if not output:
        lines.append("    return out[0, 0]")
    else:
        sizes = ", ".join(f"n_{c}" for c in natural) + "," * (len(natural) == 1)
        perm = [natural.index(c) for c in output]
        if perm != list(range(len(natural))):
            axes = ", ".join(map(str, perm))
            lines.append(
                f"    return np.ascontiguousarray(np.transpose(out.reshape(({sizes})), ({axes})))"
            )
        else:
            lines.append(f"    return out.reshape(({sizes}))")
    suffix = ("_s" + "_".join(squeezed) if squeezed else "") + ("_f32" if float32 else "")
    name = _name(original, output, suffix)
    return name, _function(name, ["a", "b"], _text(original, output), "blocks", lines)


def _text(terms, output):
    return ",".join(terms) + "->" + output


def _function(name, params, subscripts, how, lines):
    doc = {
        "blocks": "transposed and reshaped to contiguous blocks multiplied by np.dot",
        "loops": "as loops",
    }[how]
    head = [
        f"def {name}({', '.join(params)}):",
        f'    """np.einsum({subscripts!r}, ...), written out for Numba: {doc}."""',
    ]
    return "\n".join(head + lines)


def _loops_helper(terms, output, kinds, float32):
    """Explicit loops over every letter; an axis of size 1 broadcasts."""
    params = [f"x{k}" for k in range(len(terms))]
    where = _shared_axes(terms)
    lines = []
    steps = {}  # (operand, axis) -> the name of its step (0 where it broadcasts)
    for c, places in where.items():
        sizes = [f"{params[k]}.shape[{p}]" for k, p in places]
        if len(places) == 1:
            lines.append(f"    n_{c} = {sizes[0]}")
            continue
        lines.append(f"    n_{c} = max({', '.join(sizes)})")
        for (k, p), size in zip(places, sizes):
            if kinds[k].size(p) is MATCHES:
                lines.append(f"    if {size} != n_{c}:")
            else:
                lines.append(f"    if {size} != n_{c} and {size} != 1:")
                steps[(k, p)] = f"s{k}_{p}"
            lines.append(f"        raise ValueError(\"einsum: axis '{c}' has two sizes\")")
        for k, p in places:
            if (k, p) in steps:
                lines.append(f"    {steps[(k, p)]} = 1 if {params[k]}.shape[{p}] != 1 else 0")
    float_out = any(k.dtype == "float" for k in kinds)
    dtype = (", np.float32" if float32 else "") if float_out else ", np.int64"
    zero = ("np.float32(0.0)" if float32 else "0.0") if float_out else "0"
    shape = ", ".join(f"n_{c}" for c in output)
    if output:
        lines.append(f"    out = np.zeros(({shape}{',' * (len(output) == 1)}){dtype})")
    else:
        lines.append(f"    out = {zero}")
    indent = "    "
    for c in output + "".join(c for c in where if c not in output):
        lines.append(f"{indent}for {c}_ in range(n_{c}):")
        indent += "    "

    def item(k, term):
        if not term:
            return params[k]
        index = []
        for p, c in enumerate(term):
            step = steps.get((k, p))
            index.append(f"{c}_ * {step}" if step else f"{c}_")
        return f"{params[k]}[{', '.join(index)}]"

    product = " * ".join(item(k, t) for k, t in enumerate(terms))
    target = f"out[{', '.join(c + '_' for c in output)}]" if output else "out"
    lines.append(f"{indent}{target} += {product}")
    lines.append("    return out")
    variant = "".join(f"_b{k}{p}" for k, p in sorted(steps))
    suffix = variant + ("_f32" if float32 else "") + ("" if float_out else "_int")
    name = _name(terms, output, "_loops" + suffix)
    return name, _function(name, params, _text(terms, output), "loops", lines)


# -- the rows ---------------------------------------------------------------------


def _einsum_sympy(args, attrs, number, truth):
    return np.einsum(attrs.subscripts, *(np.asarray(a, dtype=object) for a in args))


def _cross_sympy(args, attrs, number, truth):
    return np.cross(*(np.asarray(a, dtype=object) for a in args))


SUBSCRIPTS = Option("subscripts", (str,), None, positional=False)

# fmt: off
register("einsum", -1, ("special",), "special", None, None, jvp=einsum_jvp, vjp=einsum_vjp, result_kind=einsum_kind,
         names=named(numpy="einsum", options=(SUBSCRIPTS,)), spell=spell_einsum, sympy_arrays=_einsum_sympy, elementwise=False)
register("cross", 2, ("special",), "special", None, None, jvp=cross_jvp, vjp=cross_vjp, result_kind=cross_kind,
         names=named(numpy="cross"), spell=spell_cross, sympy_arrays=_cross_sympy, contiguous=True, elementwise=False)
# fmt: on
