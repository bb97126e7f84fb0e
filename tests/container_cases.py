"""User functions for tests/test_containers.py: lists, dicts, comprehensions,
builtins over containers, loops over containers and arrays, ``*args``.

Bad functions carry a ``# ERR: <case>`` marker on the line their error
must name.
"""

import numpy as np

# -- literals and mutation -------------------------------------------------------------


def list_literal_and_append(x, y):
    xs = [x, y * 2.0]
    ys = xs  # the same list: the append shows through both names
    xs.append(x * y)
    return ys[0] * ys[1] + ys[2] + len(ys)


def extend_setitem_dict(x, y):
    xs = [x]
    xs.extend([y, x * y])
    xs[0] = xs[0] ** 2
    xs[-1] += 1.0
    d = {"a": x, "b": xs}
    d["c"] = y**3
    d["a"] *= 2.0
    return d["a"] + sum(d["b"]) + d["c"]


def nested_alias(x, y):
    xs = [x]
    outer = (xs, [y])
    xs.append(y * 3.0)  # outer[0] is xs
    return outer[0][1] * outer[1][0]


def append_in_branches(x, y):
    terms = [x]
    other = terms
    if x > y:
        terms.append(x * y)
    else:
        terms.append(y**2)
    return sum(other) * terms[1]


def append_on_one_path(x, y):
    terms = [x]
    if x > y:  # ERR: one_path_append
        terms.append(y)
    return sum(terms)


def helper_appends(out, value):
    out.append(value * 2.0)


def append_in_helper(x, y):
    xs = [x]
    helper_appends(xs, y)
    return xs[0] * xs[1]


def pop_insert_get(x, y):
    xs = [x, y]
    xs.insert(0, x * y)
    last = xs.pop()
    d = {"w": x}
    return last * xs[0] + xs[-1] + d.get("w", 0.0) + d.get("v", 1.0)


# -- comprehensions -------------------------------------------------------------------


def comprehensions(params, x):
    squares = [w**2 for w in params]
    even = [w * x for i, w in enumerate(params) if i % 2 == 0]
    pairs = [a * b for i, a in enumerate(params) for j, b in enumerate(params) if i < j]
    table = {i: w for i, w in enumerate(params)}
    return sum(squares) + sum(even) + sum(pairs) + table[1] * x


def generator_sums(params, X):
    penalty = sum(np.sum(W**2) for W, b in params)
    biggest = max(np.sum(b) for W, b in params)
    smallest = min([np.sum(W) for W, _ in params])
    return penalty + biggest * smallest + np.sum(X)


def comprehension_over_range_arg(x, n):
    terms = [x * i for i in range(n)]  # ERR: runtime_comprehension
    return terms[0]  # a list (not a sum: that is a loop) of a length known at run time


def comprehension_float_filter(xs):
    return sum(x for x in xs if x > 0.0)  # ERR: runtime_filter


# -- builtins over containers ---------------------------------------------------------


def builtins_over_containers(params, x):
    t = tuple(params)
    ws = list(reversed(params))
    zipped = sum(a * b for a, b in zip(params, ws))
    numbered = sum(k * w for k, w in enumerate(params, start=1))
    d = dict(zip(["a", "b", "c"], params))
    keyed = sum(v * x for k, v in d.items()) + sum(d[k] for k in d.keys())
    return t[0] + zipped + numbered + keyed + sum(d.values(), x) + len(t)


def numpy_over_lists(a, b, x):
    total = np.sum([a, b * 2.0])
    average = np.mean([a * x, b])
    scalars = np.mean([x, x**2, 3.0])
    return total + average + scalars + np.sum([x, x])


def numpy_sum_axis_of_list(a, b):
    return np.sum([a, b], axis=0)  # ERR: sum_axis_list


# -- loops over containers (unrolled) ---------------------------------------------------


def layers(params, X):
    h = X
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h**2)


def layers_enumerate(params, X):
    h = X
    total = 0.0
    for i, (W, b) in enumerate(params):
        h = np.tanh(h @ W + b)
        total = total + (i + 1) * np.sum(b**2)
    return np.sum(h) + total


def layers_by_index(params, X):
    h = X
    for i in range(len(params) - 1):
        W, b = params[i]
        h = np.maximum(h @ W + b, 0.0)
    W, b = params[-1]
    return np.mean((h @ W + b) ** 2)


def dict_items_loop(weights, x):
    total = 0.0
    for _name, w in weights.items():
        total = total + w * x
    for k in weights:
        total = total + weights[k] ** 2
    return total


def zip_loop(xs, ys):
    total = 0.0
    for a, b in zip(xs, ys):
        total = total + a * b
    return total


def unrolled_in_real_loop(params, x, n):
    h = x
    for _ in range(n):
        for w in params:
            h = np.sin(h * w)
    return h


def real_loop_in_unrolled(params, x, n):
    total = 0.0
    for w in params:
        for k in range(n):
            total = total + w * x**k
    return total


def break_continue(xs, x):
    total = 0.0
    for i, w in enumerate(xs):
        if i == 1:
            continue
        if i == 3:
            break
        total = total + w * x
    return total + i


def runtime_break(xs, x):
    total = 0.0
    for w in xs:
        total = total + w * x
        if total > 1.0:
            break
    return total * w


def loop_variable_after(xs, x):
    for w in xs:  # noqa: B007 (Python leaves w bound after the loop)
        pass
    return w * x


def build_list_in_loop(params, x):
    outs = []
    for i in range(len(params)):
        outs.append(params[i] * x)
    return sum(outs)


def grow_list_runtime(x, n):
    outs = []
    for i in range(n):  # ERR: runtime_append
        outs.append(x * i)
    return sum(outs)


def index_with_runtime_range(params, x, n):
    total = 0.0
    for i in range(n):
        total = total + params[i] * x  # ERR: runtime_index
    return total


# -- loops over arrays (real loops) -------------------------------------------------------


def rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(np.tanh(row * w))
    return total


def enumerate_rows(X, w):
    total = 0.0
    for i, x in enumerate(X):
        total = total + i * np.sum(x * w)
    return total


def zip_arrays(X, Y):
    total = 0.0
    for a, b in zip(X, Y):
        total = total + np.sum(a * b) ** 2
    return total


def zip_range_array(x, n):
    total = 0.0
    for k, v in zip(range(1, n), x):
        total = total + k * v**2
    return total


def reversed_array(x):
    total = 0.0
    weight = 1.0
    for v in reversed(x):
        total = total + weight * v
        weight = weight * 2.0
    return total


# -- tuples, *args, keywords ------------------------------------------------------------------


def tuple_algebra(x, y):
    args = (x,)
    args = args + (y,)
    xs = [x] + [y, x]
    twice = args * 2
    return sum(args) * sum(xs) + len(twice) + twice[3]


def summed(*terms, scale=1.0):
    return scale * sum(terms)


def combine(a, b, c=(1.0, 2.0), **options):
    return a * c[0] + b * c[1] + options.get("shift", 0.0)


def star_calls(x, y):
    xs = [x, y]
    first = summed(*xs)
    second = summed(x, *xs, scale=3.0)
    third = combine(*xs)
    fourth = combine(b=y, a=x, c=(x, 1.0), shift=2.0)
    fifth = combine(x, y, **{"shift": y})
    return first + second + third + fourth + fifth


def mixed_zip(params, X):
    total = 0.0
    for w, row in zip(params, X):  # ERR: mixed_zip
        total = total + w * np.sum(row)
    return total


def array_of_built_list(x, y):
    outs = []
    for k in range(3):
        outs.append(x * k + y)
    v = np.array(outs)
    return np.sum(v**2)


# -- more bad input ---------------------------------------------------------------------


def set_literal(x, y):
    return x * len({x, y})  # ERR: set_literal


def tuple_append(x, y):
    t = (x,)
    t.append(y)  # ERR: tuple_append
    return t[0]


def tuple_store(x, y):
    t = (x, y)
    t[0] = y  # ERR: tuple_store
    return t[0]


def store_out_of_range(x, y):
    xs = [x, y]
    xs[2] = x  # ERR: store_out_of_range
    return xs[0]


def star_of_array(X):
    return summed(*X)  # ERR: star_of_array


def kwargs_of_number(x, y):
    return combine(x, y, **x)  # ERR: kwargs_of_number


def list_plus_tuple(x, y):
    return sum([x] + (y,))  # ERR: list_plus_tuple


def max_of_empty(x):
    return x + max([])  # ERR: max_of_empty


def append_in_while(x):
    xs = [x]
    while x < 3.0:  # ERR: append_in_while
        xs.append(x)
        x = x + 1.0
    return sum(xs)


# -- one program over pytrees of every structure (tests/test_containers.py, properties) ----


def polynomial_layers(params, x):
    """Each entry of ``params`` is a tuple of polynomial coefficients; the
    same computation written three ways (comprehension, unrolled loop,
    index loop with appends into a helper with *args)."""
    terms = [_evaluate(p, x) for p in params]
    looped = 0.0
    for k, p in enumerate(params):
        looped = looped + (k + 1) * _evaluate(p, x)
    collected = []
    for k in range(len(params)):
        collected.append(_evaluate(params[k], x) ** 2)
    return sum(terms) + looped + _total(*collected)


def _evaluate(p, x):
    return sum(c * x**k for k, c in enumerate(p))


def _total(*values):
    return sum(values, 0.0)


def nested_unrolled(params, xs):
    total = 0.0
    for W, b in params:
        for x in xs:
            for k in range(len(xs)):
                if k == 1:
                    break
                total = total + np.sum(W) * x + k * np.sum(b)
    scaled = {k: v * 2.0 for k, v in zip(("a", "b"), xs)}
    return total + scaled["b"] * W[0, 0] + x


def builtin_sum_of_arrays(x, X):
    return sum(x**2) + np.sum(sum(X, 1.0) * x)


def dict_built_by_key(x, y):
    d = {}
    for k, v in zip("cab", (x, y, x * y)):
        d[k] = v
    total = 0.0
    for position, k in enumerate(sorted(d)):
        total = total + (position + 1) * d[k]
    return total


N_TERMS = 3  # a module-level int: read when called (tests rebind it)


def comprehension_over_global_range(x):
    return sum(x**k / (k + 1) for k in range(N_TERMS))


def loop_over_number(x):
    total = 0.0
    for v in x:  # ERR: loop_over_number
        total = total + v
    return total


def unpack_rows(X):
    total = 0.0
    for a, b in X:  # ERR: unpack_rows
        total = total + a * b
    return total
