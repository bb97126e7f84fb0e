"""Random array programs over issue 12's NumPy and SciPy functions.

``random_program(seed)`` writes a function of one to three array arguments
(ranks 0 to 3, size-1 axes often) whose lines compose the functions symdiff
added for real programs: joining and splitting, statistics with axes and
keepdims, tuple-axis reductions, log-space functions, shape operations,
einsum and the other products, fancy and boolean-mask reads, sorting, small
linear algebra on well-conditioned matrices, special functions on their
domains, and loops over rows with these inside.  Every node of an
expression is ``(source, shape)``; the generator tracks shapes so that most
programs run, and the test drops the few that NumPy refuses.

The function returns ``np.sum(w * value)`` for a weight argument ``w`` of
the value's shape (not differentiated), so a result whose plain sum is
constant (a softmax) is still checked element by element.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

HEADER = "import numpy as np\nimport scipy.linalg\nimport scipy.special as sc\n\n\n"

# Elementwise functions, each total on the reals (a domain is built in).
_UNARY = [
    "np.sin({0})", "np.tanh({0})", "np.exp(0.3 * {0})", "({0} * {0})", "(-{0})",
    "np.sqrt({0} * {0} + 1.0)", "np.log(1.0 + {0} * {0})", "np.square({0})",
    "np.cbrt({0} * {0} + 0.5)", "np.exp2(0.5 * np.tanh({0}))", "np.reciprocal(1.5 + {0} * {0})",
    "np.log1p({0} * {0})", "np.sinc(0.3 * {0})", "np.arctan({0})",
    "sc.expit({0})", "sc.logit(0.1 + 0.8 * sc.expit({0}))", "sc.gammaln(1.0 + {0} * {0})",
    "sc.digamma(1.5 + {0} * {0})", "sc.gamma(1.2 + np.tanh({0}))",
    "sc.erfinv(0.8 * np.tanh({0}))", "sc.ndtr({0})", "sc.log_ndtr({0})", "sc.erf({0})",
    "sc.xlogy({0}, 1.0 + {0} * {0})", "np.where({0} > 0.5, {0}, 0.25)",
    "np.clip({0}, -0.5, a_max=0.8)", "np.abs({0} - 0.1)",
]  # fmt: skip
_BINARY = [
    "({0} + {1})", "({0} - {1})", "({0} * {1})", "np.maximum({0}, {1})",
    "({0} / (1.5 + np.tanh({1})))", "np.logaddexp({0}, {1})", "np.logaddexp2({0}, {1})",
    "np.fmax({0}, {1})", "np.hypot({0}, 1.0 + {1} * {1})",
    "sc.betaln(1.0 + {0} * {0}, 1.5 + {1} * {1})", "sc.xlogy({0}, 1.0 + {1} * {1})",
]  # fmt: skip
_REDUCTIONS = ["sum", "mean", "max", "min", "prod"]


def _reduced(shape, axes, keep):
    if axes is None:
        return (1,) * len(shape) if keep else ()
    axes = {a % len(shape) for a in axes}
    return tuple(1 if k in axes else n for k, n in enumerate(shape) if keep or k not in axes)


class Programs:
    """Random expressions over the values in scope (name -> shape)."""

    def __init__(self, rng: random.Random, values: dict):
        self.rng, self.values = rng, dict(values)
        self.picks = [
            self.unary, self.unary, self.binary, self.binary, self.reduce, self.reduce,
            self.statistics, self.cumulative, self.logspace, self.shape_op, self.shape_op,
            self.view_op, self.join, self.split, self.product, self.fancy, self.sort,
            self.linalg, self.slice, self.norm, self.masked,
        ]  # fmt: skip

    # -- helpers ------------------------------------------------------------
    def choice(self, options):
        return self.rng.choice(options)

    def axis(self, shape):
        return self.rng.randrange(-len(shape), len(shape))

    def axes(self, shape):
        """None, an int, or a tuple of distinct ints (some negative)."""
        roll = self.rng.random()
        if roll < 0.25 or not shape:
            return None, None
        if roll < 0.7 or len(shape) == 1:
            k = self.axis(shape)
            return str(k), (k,)
        picked = self.rng.sample(range(len(shape)), self.rng.randrange(1, len(shape) + 1))
        picked = [k - len(shape) if self.rng.random() < 0.3 else k for k in picked]
        return f"({', '.join(map(str, picked))},)", tuple(picked)

    def leaf(self):
        if self.rng.random() < 0.1:
            return str(self.choice([0.5, 1.5, 2.0])), ()
        recent = [v for v in self.values if v.startswith("h")]
        if recent and self.rng.random() < 0.5:  # build on the lines before
            return recent[-1], self.values[recent[-1]]
        name = self.choice(sorted(self.values))
        return name, self.values[name]

    def expr(self, depth):
        if depth == 0:
            return self.leaf()
        a, shape = self.expr(depth - 1)
        pick = self.choice(self.picks)
        return pick(a, shape, depth) or (a, shape)

    def other(self, depth, like=None):
        """A second operand: often the same one again (the same array used twice)."""
        if like is not None and self.rng.random() < 0.3:
            return like
        return self.expr(max(depth - 1, 0))

    # -- elementwise --------------------------------------------------------
    def unary(self, a, shape, depth):
        return self.choice(_UNARY).format(a), shape

    def binary(self, a, shape, depth):
        b, other = self.other(depth, (a, shape))
        try:
            out = np.broadcast_shapes(shape, other)
        except ValueError:
            return None
        return self.choice(_BINARY).format(a, b), out

    # -- reductions ---------------------------------------------------------
    def reduce(self, a, shape, depth):
        if not shape:
            return None
        func, keep = self.choice(_REDUCTIONS), self.rng.random() < 0.4
        spelled, axes = self.axes(shape)
        if func == "prod":
            a = f"(1.0 + 0.3 * np.tanh({a}))"
        options = ([f"axis={spelled}"] if spelled else []) + ["keepdims=True"] * keep
        if self.rng.random() < 0.3:
            text = f"({a}).{func}({', '.join(options)})"
        else:
            text = f"np.{func}({', '.join([a, *options])})"
        return text, _reduced(shape, axes, keep)

    def statistics(self, a, shape, depth):
        if not shape:
            return None
        spelled, axes = self.axes(shape)
        count = int(np.prod([shape[k] for k in axes])) if axes else int(np.prod(shape))
        keep = self.rng.random() < 0.4
        kind = self.choice(["var", "std", "average", "average-weights"])
        options = ([f"axis={spelled}"] if spelled else []) + ["keepdims=True"] * keep
        if kind in ("var", "std"):
            ddof = self.choice([0, 0, 1]) if count > 2 else 0
            if kind == "std" and count < 2:
                return None  # the standard deviation of one value: sqrt at 0
            a = f"(({a}) + np.linspace(0.0, 1.0, {int(np.prod(shape))}).reshape({shape}))"
            options += [f"ddof={ddof}"] if ddof else []
            if self.rng.random() < 0.3:
                return f"({a}).{kind}({', '.join(options)})", _reduced(shape, axes, keep)
            return f"np.{kind}({', '.join([a, *options])})", _reduced(shape, axes, keep)
        if kind == "average" or axes is None or len(axes) != 1:
            return f"np.average({a}{', axis=' + spelled if spelled else ''})", _reduced(
                shape, axes, False
            )
        n = shape[axes[0]]
        weights = ", ".join(str(0.5 + 0.25 * k) for k in range(n))
        text = f"np.average({a}, axis={spelled}, weights=np.array([{weights}]))"
        return text, _reduced(shape, axes, False)

    def cumulative(self, a, shape, depth):
        if not shape:
            return None
        kind = self.choice(["cumsum", "cumprod", "diff", "cumsum-flat"])
        k = self.axis(shape)
        if kind == "cumsum-flat":
            return f"np.cumsum({a})", (int(np.prod(shape)),)
        if kind == "cumprod":
            return f"np.cumprod(1.0 + 0.5 * np.tanh({a}), axis={k})", shape
        if kind == "cumsum":
            return (f"({a}).cumsum(axis={k})" if self.rng.random() < 0.3
                    else f"np.cumsum({a}, axis={k})"), shape  # fmt: skip
        n = self.choice([1, 1, 2])
        if shape[k] <= n:
            return None
        out = list(shape)
        out[k] -= n
        return f"np.diff({a}, n={n}, axis={k})", tuple(out)

    def logspace(self, a, shape, depth):
        if not shape:
            return None
        kind = self.choice(["logsumexp", "logsumexp-b", "softmax", "log_softmax"])
        if kind in ("softmax", "log_softmax"):
            k = self.axis(shape)
            return f"sc.{kind}({a}, axis={k})", shape
        spelled, axes = self.axes(shape)
        keep = self.rng.random() < 0.4
        options = ([f"axis={spelled}"] if spelled else []) + ["keepdims=True"] * keep
        if kind == "logsumexp-b":
            options.append(f"b=np.linspace(0.5, 1.5, {shape[-1]})")
        return f"sc.logsumexp({', '.join([a, *options])})", _reduced(shape, axes, keep)

    # -- shapes and views ---------------------------------------------------
    def shape_op(self, a, shape, depth):
        ops = [self.transpose, self.expand, self.flip, self.roll, self.tile, self.repeat]
        ops += [self.pad, self.triangle, self.diag, self.reshape]
        return self.choice(ops)(a, shape)

    def transpose(self, a, shape):
        if len(shape) < 2:
            return None
        kind = self.choice(["T", "axes", "swapaxes", "moveaxis"])
        if kind == "T":
            return f"({a}).T", shape[::-1]
        if kind == "axes":
            order = self.rng.sample(range(len(shape)), len(shape))
            return f"np.transpose({a}, {tuple(order)})", tuple(shape[k] for k in order)
        i, j = self.axis(shape), self.axis(shape)
        if kind == "swapaxes":
            out = list(shape)
            out[i], out[j] = out[j], out[i]
            return f"np.swapaxes({a}, {i}, {j})", tuple(out)
        out = list(shape)
        out.insert(j % len(shape), out.pop(i % len(shape)))
        return f"np.moveaxis({a}, {i}, {j})", tuple(out)

    def expand(self, a, shape):
        if len(shape) >= 3:
            if 1 in shape and self.rng.random() < 0.7:
                k = shape.index(1)
                return f"np.squeeze({a}, axis={k})", shape[:k] + shape[k + 1 :]
            return None
        kind = self.choice(["expand_dims", "None-first", "None-last", "squeeze"])
        if kind == "squeeze":
            return f"np.squeeze({a})", tuple(n for n in shape if n != 1)
        if kind == "expand_dims":
            k = self.rng.randrange(-len(shape) - 1, len(shape) + 1)
            out = list(shape)
            out.insert(k % (len(shape) + 1), 1)
            return f"np.expand_dims({a}, {k})", tuple(out)
        if kind == "None-first":
            return f"({a})[None]", (1, *shape)
        if not shape:
            return f"np.atleast_1d({a})", (1,)
        return f"({a})[..., None]", (*shape, 1)

    def flip(self, a, shape):
        if not shape:
            return None
        if self.rng.random() < 0.3:
            return f"np.flip({a})", shape
        return f"np.flip({a}, axis={self.axis(shape)})", shape

    def roll(self, a, shape):
        if not shape:
            return None
        shift = self.choice([-1, 1, 2])
        if self.rng.random() < 0.3:
            return f"np.roll({a}, {shift})", shape
        return f"np.roll({a}, {shift}, axis={self.axis(shape)})", shape

    def tile(self, a, shape):
        reps = tuple(self.choice([1, 2]) for _ in range(max(len(shape), 1)))
        out = tuple(n * r for n, r in zip(shape or (1,), reps))
        return f"np.tile({a}, {reps})", out

    def repeat(self, a, shape):
        if not shape:
            return None
        k, r = self.axis(shape), self.choice([2, 3])
        out = list(shape)
        out[k] *= r
        return f"np.repeat({a}, {r}, axis={k})", tuple(out)

    def pad(self, a, shape):
        if not shape or len(shape) > 2:
            return None
        widths = tuple((self.choice([0, 1]), self.choice([1, 2])) for _ in shape)
        out = tuple(n + lo + hi for n, (lo, hi) in zip(shape, widths))
        return f"np.pad({a}, {widths}, constant_values=0.25)", out

    def triangle(self, a, shape):
        if len(shape) < 2:
            return None
        func, k = self.choice(["tril", "triu"]), self.choice([-1, 0, 1])
        return f"np.{func}({a}, {k})", shape

    def diag(self, a, shape):
        if len(shape) == 1:
            return f"np.diag({a})", (shape[0], shape[0])
        if len(shape) == 2:
            kind = self.choice(["diag", "diagonal", "trace"])
            if kind == "trace":
                return f"np.trace({a})", ()
            return f"np.{kind}({a})", (min(shape),)
        return None

    def reshape(self, a, shape):
        size = int(np.prod(shape))
        spelling, new = self.choice(
            [("(1, -1)", (1, size)), ("(-1, 1)", (size, 1)), ("-1", (size,))]
        )
        return f"np.reshape({a}, {spelling})", new

    def view_op(self, a, shape, depth):
        if len(shape) == 3 and self.rng.random() < 0.5:
            return f"({a})[..., 0]", shape[:2]
        if len(shape) == 2:
            return self.choice([(f"({a})[:, None]", (shape[0], 1, shape[1])),
                                (f"({a})[None, :, :]", (1, *shape))])  # fmt: skip
        if len(shape) == 1:
            return f"np.broadcast_to({a}, (2, {shape[0]}))", (2, shape[0])
        return f"np.atleast_2d({a})", (1, 1)

    def slice(self, a, shape, depth):
        if len(shape) >= 2:
            j = self.rng.randrange(shape[1])
            return self.choice([(f"({a})[:, {j}]", shape[:1] + shape[2:]),
                                (f"({a})[:, :1]", (shape[0], 1, *shape[2:]))])  # fmt: skip
        if len(shape) == 1 and shape[0] >= 2:
            return f"({a})[::-1][1:]", (shape[0] - 1,)
        return None

    # -- joining and splitting ----------------------------------------------
    def join(self, a, shape, depth):
        if not shape:
            return f"np.array([{a}, 2.0 * {a}, 0.5])", (3,)
        b, other = self.other(depth, (a, shape))
        if other != shape:
            b, other = f"np.sin({a})", shape
        k = self.axis(shape)
        kind = self.choice(["concatenate", "stack", "hstack", "vstack", "append"])
        if kind == "stack" and len(shape) < 3:
            out = list(shape)
            out.insert(k % (len(shape) + 1), 2)
            return f"np.stack([{a}, {b}], axis={k})", tuple(out)
        if kind == "vstack":
            rows = shape if len(shape) >= 2 else (1, *shape)
            return f"np.vstack(({a}, {b}))", (2 * rows[0], *rows[1:])
        if kind == "hstack":
            axis = 0 if len(shape) == 1 else 1
            out = list(shape)
            out[axis] *= 2
            return f"np.hstack([{a}, {b}])", tuple(out)
        if kind == "append":
            return f"np.append({a}, {b})", (2 * int(np.prod(shape)),)
        out = list(shape)
        out[k] *= 2
        return f"np.concatenate(({a}, {b}, ), axis={k})", tuple(out)

    def split(self, a, shape, depth):
        if not shape:
            return None
        k = self.axis(shape)
        n = shape[k]
        if n >= 2 and self.rng.random() < 0.5:
            cut = self.rng.randrange(1, n)
            piece = self.choice([0, 1])
            out = list(shape)
            out[k] = cut if piece == 0 else n - cut
            return f"np.split({a}, [{cut}], axis={k})[{piece}]", tuple(out)
        parts = self.choice([2, 3])
        piece = self.rng.randrange(parts)
        sizes = [n // parts + (1 if j < n % parts else 0) for j in range(parts)]
        if sizes[piece] == 0:
            return None
        out = list(shape)
        out[k] = sizes[piece]
        return f"np.array_split({a}, {parts}, axis={k})[{piece}]", tuple(out)

    # -- products -----------------------------------------------------------
    def product(self, a, shape, depth):
        b, other = self.other(depth, (a, shape))
        kind = self.choice(["matmul", "einsum", "einsum", "tensordot", "kron", "outer", "inner"])
        if kind == "kron" and len(shape) <= 2 and len(other) == len(shape):
            return f"np.kron({a}, {b})", tuple(m * n for m, n in zip(shape, other))
        if kind == "outer" and len(shape) <= 1 and len(other) <= 1:
            return f"np.outer({a}, {b})", (int(np.prod(shape)), int(np.prod(other)))
        if kind == "inner" and shape and other and shape[-1] == other[-1]:
            return f"np.inner({a}, {b})", shape[:-1] + other[:-1]
        if kind == "matmul" and len(shape) >= 2 and len(other) >= 2 and shape[-1] == other[-2]:
            try:
                batch = np.broadcast_shapes(shape[:-2], other[:-2])
            except ValueError:
                return None
            return f"np.matmul({a}, {b})", (*batch, shape[-2], other[-1])
        if kind == "tensordot" and shape and other and shape[-1] == other[0]:
            return f"np.tensordot({a}, {b}, axes=1)", shape[:-1] + other[1:]
        return self.einsum(a, shape, b, other)

    def einsum(self, a, shape, b, other):
        """Subscripts sharing letters where sizes agree; output explicit or implicit."""
        if len(shape) > 4 or len(other) > 4:
            return None
        first = "ijkl"[: len(shape)]
        second, sizes = "", dict(zip(first, shape))
        for n in other:
            same = [c for c in first if sizes[c] == n and c not in second]
            if same and self.rng.random() < 0.6:
                second += self.choice(same)
            else:
                letter = "mnop"[len(second)]
                second += letter
                sizes[letter] = n
        if self.rng.random() < 0.3:  # implicit output: letters seen once, sorted
            counts = {c: (first + second).count(c) for c in sizes}
            out = "".join(sorted(c for c in sizes if counts[c] == 1))
            return f"np.einsum('{first},{second}', {a}, {b})", tuple(sizes[c] for c in out)
        seen = list(dict.fromkeys(first + second))
        out = "".join(c for c in seen if self.rng.random() < 0.5)
        if self.rng.random() < 0.3 and len(shape) >= 2 and shape[0] == shape[1]:
            return f"np.einsum('ii->i', {a})", (shape[0],)
        return f"np.einsum('{first},{second}->{out}', {a}, {b})", tuple(sizes[c] for c in out)

    # -- indexing and sorting -----------------------------------------------
    def fancy(self, a, shape, depth):
        if not shape or 0 in shape:
            return None
        n = shape[0]
        ids = [self.rng.randrange(-n, n) for _ in range(self.choice([1, 3, 4]))]
        if len(ids) > 1 and self.rng.random() < 0.6:
            ids[-1] = ids[0]  # a repeated index: the adjoint accumulates
        kind = self.choice(["list", "array", "mask", "take", "take-axis", "columns", "arange"])
        if kind == "list":
            return f"({a})[{ids}]", (len(ids), *shape[1:])
        if kind == "array":
            return f"({a})[np.array({ids})]", (len(ids), *shape[1:])
        if kind == "mask" and len(shape) == 1:
            return f"({a})[np.arange({n}) != {ids[0] % n}]", (n - 1,)
        if kind == "take":
            flat = int(np.prod(shape))
            picks = [self.rng.randrange(flat) for _ in ids]
            return f"np.take({a}, np.array({picks}))", (len(ids),)
        if kind == "columns" and len(shape) >= 2:
            cols = [self.rng.randrange(shape[1]) for _ in ids]
            return f"({a})[:, {cols}]", (n, len(ids), *shape[2:])
        if kind == "arange" and len(shape) >= 2:
            cols = [self.rng.randrange(shape[1]) for _ in range(n)]
            return f"({a})[np.arange({n}), np.array({cols})]", (n, *shape[2:])
        k = self.axis(shape)
        picks = [self.rng.randrange(shape[k]) for _ in ids]
        out = list(shape)
        out[k : k + 1 or None] = [len(ids)]
        return f"np.take({a}, np.array({picks}), axis={k})", tuple(out)

    def sort(self, a, shape, depth):
        if not shape:
            return None
        # distinct values: a sort, an argsort, a max have no ties to break
        a = f"(({a}) + np.arange({int(np.prod(shape))}).reshape({shape}) * 0.7)"
        k = self.axis(shape)
        kind = self.choice(["sort", "take_along", "argmax"])
        if kind == "sort":
            return f"np.sort({a}, axis={k})", shape
        if kind == "take_along":
            return f"np.take_along_axis({a}, np.argsort({a}, axis={k}), axis={k})", shape
        if len(shape) == 1:
            return f"({a})[np.argmax({a})]", ()
        return self.fancy(a, shape, depth)

    def masked(self, a, shape, depth):
        """A boolean mask from the values themselves (its size known at run time only)."""
        if not shape:
            return None
        kind = self.choice(["sum", "mean-where", "max"])
        if kind == "sum":
            return f"np.sum(({a})[({a}) > 0.1] ** 2)", ()
        if kind == "max":
            return f"np.max(np.append(({a})[({a}) < 0.2], -3.0))", ()
        return f"np.sum(np.where(({a}) > 0.1, ({a}), 0.0) * ({a}))", ()

    def norm(self, a, shape, depth):
        if not shape or len(shape) > 2:
            return None
        if len(shape) == 1:
            order = self.choice(["", ", ord=1", ", ord=2", ", ord=np.inf"])
            return f"np.linalg.norm(1.0 + ({a}) * ({a}){order})", ()
        if self.rng.random() < 0.5:
            return f"np.linalg.norm(1.0 + ({a}) * ({a}))", ()
        k = self.axis(shape)
        return f"np.linalg.norm(1.0 + ({a}) * ({a}), axis={k})", _reduced(shape, (k,), False)

    # -- linear algebra -----------------------------------------------------
    def linalg(self, a, shape, depth):
        """On ``S = X X^T + n I`` (X: the operand made 2-d): symmetric positive
        definite with eigenvalues at least n, so every factorisation is smooth."""
        if len(shape) != 2:
            return None
        n = shape[0]
        x = f"np.tanh({a})"
        s = f"({x} @ ({x}).T + {n}.0 * np.eye({n}))"
        kind = self.choice(["solve", "solve-matrix", "inv", "slogdet", "det", "cholesky",
                            "triangular", "cho_solve", "matmul-T"])  # fmt: skip
        if kind == "triangular":
            lower = f"np.linalg.cholesky({s})"
            return f"scipy.linalg.solve_triangular({lower}, {a}, lower=True)", shape
        if kind == "cho_solve":
            return f"scipy.linalg.cho_solve(scipy.linalg.cho_factor({s}), {a})", shape
        if kind == "matmul-T":
            return f"(({a}).T @ {s} @ ({a}))", (shape[1], shape[1])
        if kind == "solve":
            return f"np.linalg.solve({s}, ({a})[:, 0])", (n,)
        if kind == "solve-matrix":
            return f"np.linalg.solve({s}, {a})", shape
        if kind == "inv":
            return f"np.linalg.inv({s})", (n, n)
        if kind == "slogdet":
            return f"np.linalg.slogdet({s})[1]", ()
        if kind == "det":
            return f"np.linalg.det({s} / {n}.0)", ()
        return f"np.linalg.cholesky({s})", (n, n)


@dataclass(frozen=True)
class Program:
    source: str
    name: str
    shapes: dict  # argument name -> shape (the weight ``w`` last)
    float32: bool


def random_program(seed: int) -> Program:
    """A random function ``f(A[, B[, C]], w)`` of issue 12's functions."""
    rng = random.Random(seed)
    shapes = {}
    for name in ["A", "B", "C"][: rng.choice([1, 2, 2, 3])]:
        rank = rng.choice([0, 1, 2, 2, 3])
        shapes[name] = tuple(rng.choice([1, 2, 3, 3]) for _ in range(rank))
    programs = Programs(rng, shapes)
    lines = []
    for k in range(rng.choice([1, 2, 3])):
        if k and rng.random() < 0.25:
            loop = _loop(programs, k)
            if loop:
                lines += loop
                continue
        text, shape = programs.expr(rng.choice([1, 2, 3, 4]))
        lines.append(f"    h{k} = {text}")
        programs.values[f"h{k}"] = shape
    text, shape = programs.expr(rng.choice([1, 2]))
    result = f"np.sum(w * {text})"
    if rng.random() < 0.5:  # every line live: the optimiser may not drop any
        result += "".join(f" + 0.5 * np.sum(np.tanh({v}))" for v in programs.values if v[0] == "h")
    lines.append(f"    return {result}")
    name = f"fuzz12_{seed}"
    params = ", ".join([*shapes, "w"])
    source = f"def {name}({params}):\n" + "\n".join(lines) + "\n"
    return Program(source, name, {**shapes, "w": shape}, rng.random() < 0.15)


def _loop(programs: Programs, k: int):
    """``for i in range(n): acc = acc + g(X[i])``, or rows written into an
    array: a loop over the rows of a value with these functions inside."""
    ranked = sorted(v for v, s in programs.values.items() if len(s) >= 2)
    if not ranked:
        return None
    rng = programs.rng
    source = rng.choice(ranked)
    shape = programs.values[source]
    inner = Programs(rng, {**programs.values, "row": shape[1:]})
    inner.values = {"row": shape[1:], **{v: s for v, s in programs.values.items() if s == ()}}
    text, out = inner.expr(rng.choice([1, 2]))
    if rng.random() < 0.5 or not out:
        lines = [f"    h{k} = 0.0", f"    for i in range({shape[0]}):",
                 f"        row = {source}[i]", f"        h{k} = h{k} + np.sum({text})"]  # fmt: skip
        programs.values[f"h{k}"] = ()
        return lines
    lines = [f"    h{k} = np.zeros(({shape[0]}, {', '.join(map(str, out))}))",
             f"    for i in range({shape[0]}):", f"        row = {source}[i]",
             f"        h{k}[i] = {text}"]  # fmt: skip
    programs.values[f"h{k}"] = (shape[0], *out)
    return lines
