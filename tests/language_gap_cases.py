"""User functions for tests/test_language_gaps.py: what the published example
programs of other AD libraries write (reductions of numbers, ``map``,
``zip(*xs)``, ``type(x)``, loops over free containers, run-time sums).

Bad functions carry a ``# ERR: <case>`` marker on the line their error
must name.
"""

from functools import partial

import numpy as np

# -- reductions of numbers (NumPy reduces a float over no axes) ------------------------


def reductions_of_numbers(x, y):
    total = np.sum(x) * np.mean(x) + np.max(x * y) + np.prod(y)
    return total + np.min(x, keepdims=True) + np.sum(np.sum(x * y))


def reduction_of_number_along_axis(x):
    return np.sum(x, axis=0)  # ERR: number_axis


# -- map, filter, any, all over sequences known when the code is generated -------------


def _affine(a, x, scale=1.0):
    return scale * a * x + a


def map_filter_any_all(params, x):
    logs = list(map(np.log, params))
    pairs = sum(map(_affine, logs, [x, x * x, 2.0]))
    partial_sum = sum(map(partial(_affine, x, scale=2.0), params))
    positive = list(filter(lambda p: p is not None, [params[0], None, params[2]]))
    flags = all(map(lambda p: p is not None, params)) and not any([None, 0])
    return pairs + partial_sum + sum(positive) * (2.0 if flags else 3.0)


def recursive_partial_map(params, data):
    if isinstance(data, list):
        return sum(map(partial(recursive_partial_map, params), data))
    return np.sum(np.tanh(params[0] * data + params[1]))


def all_of_runtime_values(x, v):
    tests = [x > 0.0, True, x * x]
    return (1.0 if all(tests) else 2.0) * x + (3.0 if any([x < -1.0, False]) else 4.0) * x


def any_of_arrays(v):
    return 1.0 if any([v, v]) else 2.0  # ERR: any_array


# -- starred arguments to builtins ----------------------------------------------------


def _unpack(params):
    return np.exp(params["a"]), params["b"], params["c"]


def zip_of_starred(params, x):
    total = 0.0
    for a, b, c in zip(*_unpack(params)):
        total = total + a * np.sum(b * x) + c
    return total + max(*(x[0], x[1])) + np.sum([*_unpack(params)[::2]])


def endless_recursion(x):
    return endless_recursion(x * 0.5)  # ERR: endless_recursion


def branching_recursion(x, n):
    if x > n:  # decided only when the code runs: each level calls itself twice
        return x
    return branching_recursion(x + 1.0, n) + branching_recursion(x * 2.0, n)  # ERR: branching


# -- type(x) as a static value, `in` on static values ----------------------------------


def _flatten(value):
    t = type(value)
    if t in (list, tuple):
        return [leaf for item in value for leaf in _flatten(item)]
    elif t is dict:
        return [leaf for k in sorted(value) for leaf in _flatten(value[k])]
    else:
        return [np.ravel(value)]


def _rebuild(example, scale):
    t = type(example)
    if t in (list, tuple):
        return t([_rebuild(item, scale) for item in example])
    return example * scale


def type_tests(params, x):
    leaves = _flatten(params)
    kinds = [type(leaf) is np.ndarray for leaf in leaves]
    counted = (type(x) is float) + (type(x) not in (int, bool)) + ("b" in params[1])
    doubled = _rebuild(params[0], x)
    return sum(np.sum(leaf**2) for leaf in leaves) * sum(kinds) + counted * doubled[1]


# -- iterating over containers read from globals and closures -------------------------


class Scale:
    def __init__(self, factor):
        self.factor = factor

    def forward(self, x, w):
        return self.factor * x * w


class Shift:
    def __init__(self, offset):
        self.offset = offset

    def forward(self, x, w):
        return np.tanh(x + self.offset + w)


LAYERS = [Scale(1.5), Shift(np.array([0.1, -0.2, 0.3])), Scale(0.5)]
MIXED = (np.tanh, 2.0, np.array([0.5, 1.5, -1.0]))


def make_model(layers):
    def predictions(weights, x):
        for layer, w in zip(layers, weights):
            x = layer.forward(x, w)
        return x

    def loss(weights, x):
        total = np.sum(predictions(weights, x) ** 2)
        for item in MIXED:  # a global tuple of a function, a number, an array
            total = total + (np.sum(item(x)) if callable(item) else np.sum(item * x))
        return total + len(layers)

    return loss


free_layers = make_model(LAYERS)


class Parser:
    """Slices of a flat weight vector by layer (a dict keyed by objects)."""

    def __init__(self, layers, sizes):
        self.idxs_and_shapes, start = {}, 0
        for layer, size in zip(layers, sizes):
            self.idxs_and_shapes[layer] = (slice(start, start + size), (size,))
            start += size

    def get(self, vect, layer):
        idxs, shape = self.idxs_and_shapes[layer]
        return np.reshape(vect[idxs], shape)


PARSER = Parser(LAYERS, (1, 3, 1))


def parsed_layers(vect, x):
    for layer in LAYERS:
        x = layer.forward(x, PARSER.get(vect, layer))
    sizes = [x.shape[axis] for axis in range(x.ndim)]  # a static axis from an unrolled loop
    axis = len(sizes) - 1  # known when the code is generated: a static axis
    return np.sum(np.sum(x**2, axis=axis)) * sizes[0]


# -- kinds known in the frontend (loops over carried arrays, globals, helpers) ---------

SMOKE = np.linspace(0.1, 1.2, 12).reshape(3, 4)
ROWS, COLS = SMOKE.shape


def _advect(f, vx, vy):
    rows, cols = f.shape  # the rank of f: known in the frontend
    shifted = np.reshape((f - 0.1 * vx * vy).ravel(), (rows, cols))
    return 0.5 * (shifted + np.flip(f, axis=0))


def _project(vx, vy):
    p = np.zeros(vx.shape)
    for _k in range(3):
        p = (p + vx - vy) / 4.0
    vx = vx - 0.5 * p
    vy -= 0.5 * p
    return vx, vy


def simulate(params, steps):
    vx = np.reshape(params[: ROWS * COLS], (ROWS, COLS))
    vy = np.reshape(params[ROWS * COLS :], (ROWS, COLS))
    smoke = SMOKE
    for _t in range(steps):
        vx_updated = _advect(vx, vx, vy)
        vy_updated = _advect(vy, vx, vy)
        vx, vy = _project(vx_updated, vy_updated)
        smoke = _advect(smoke, vx, vy)
        if smoke.ndim == 2:
            smoke = smoke * 1.0
    return np.mean((smoke - 0.5) ** 2)


# -- reductions over sequences known only when the code runs ---------------------------


def _row_loss(w, r):
    return np.tanh(np.dot(w, r)) ** 2


def runtime_generators(w, X, n):
    total = sum(_row_loss(w, r) for r in X)
    listed = sum([_row_loss(w, r) for r in X if r[0] > -10.0])
    indexed = sum(w[i] ** 2 for i in range(n))
    vectors = sum(r * w for r in X)  # arrays: starts from the first row
    largest = max(np.sum(r * w) for r in X) + min(w[i] for i in range(n))
    return total + listed + indexed + np.sum(vectors**2) + largest


def filtered_array_sum(X):
    return np.sum(sum(r for r in X if r[0] > 0.0))  # ERR: filtered_arrays


# -- *args and keyword-only parameters on the differentiated function -----------------


def with_varargs(x, *args, scale=2.0):
    total = scale * np.sum(x**2)
    for k, extra in enumerate(args):
        total = total + (k + 1) * np.sum(extra * x)
    return total + len(args)


flatten_shim = lambda _x, *args: np.sum(np.tanh(_x) * args[0]) + args[1]  # noqa: E731


def keyword_only_without_default(x, *, scale):  # ERR: kwonly_no_default
    return scale * x


def sum_of_number(x):
    return np.sum(x * x) + np.mean(x)
