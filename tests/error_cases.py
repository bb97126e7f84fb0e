# ruff: noqa
"""Deliberately bad user functions for tests/test_errors.py.

They live in a real module so that symdiff can read their source.  Each
offending construct carries a marker comment ``# ERR: <case>`` on its line;
the tests find the expected line number from the marker, never by hard-coded
numbers.  Functions under "Harmless statements" are valid and must
differentiate correctly.
"""

import functools
import math
import statistics

import numpy as np

import symdiff

# ---------------------------------------------------------------------------
# Module-level values used by the bad functions.


class Inner:
    def __init__(self):
        self.scale = 3.0


class Scaler:
    def __init__(self):
        self.scale = 2.0
        self.inner = Inner()

    def times(self, x):
        return self.scale * x


obj = Scaler()
ARR = np.ones(3)
COUNTER = 0.0


def helper_two(a, b):
    return a * b


def helper_bad_inside(t):
    return t[0]  # ERR: error_inside_helper


def helper_no_return(t):  # ERR: helper_no_return
    if t > 0.0:
        return t


def mutual_a(x):
    if x > 1.0:
        return mutual_b(x - 1.0)
    return x


def mutual_b(x):
    return 2.0 * mutual_a(x)  # ERR: mutual_recursion


# ---------------------------------------------------------------------------
# Statements.


def try_except(x):
    try:  # ERR: try_except
        y = math.log(x)
    except ValueError:
        y = 0.0
    return y


def with_block(x):
    with open("/dev/null") as fh:  # ERR: with_block
        y = x * 2.0
    return y


def global_stmt(x):
    global COUNTER  # ERR: global_stmt
    return x * COUNTER


def make_nonlocal():
    c = 2.0

    def nonlocal_stmt(x):
        nonlocal c  # ERR: nonlocal_stmt
        return x * c

    return nonlocal_stmt


nonlocal_stmt = make_nonlocal()


def loop_else(x):
    s = 0.0
    for i in range(3):  # ERR: loop_else
        s = s + x
    else:
        s = 0.0
    return s


def write_input(x):
    for i in range(len(x)):
        x[i] = 2.0 * x[i]  # ERR: write_input
    return np.sum(x)


def write_view(x):
    out = x[1:]
    out[0] = 1.0  # ERR: write_view
    return np.sum(out)


def float_range(x):
    s = 0.0
    for i in range(x):  # ERR: float_range
        s = s + 1.0
    return s


def loop_changes_rank(x):
    h = 0.0
    for i in range(3):  # ERR: loop_changes_rank
        h = h + x
    return np.sum(h)


def aliased_write(x):
    out = np.zeros(3)
    same = out
    for i in range(3):  # ERR: aliased_write
        out[i] = x
    return np.sum(same)


def reads_in_inner_loop(x):
    a = np.ones(len(x))
    for i in range(1, len(x)):
        s = 0.0
        for j in range(i):
            s += a[j] * x[j]  # ERR: reads_in_inner_loop
        a[i] = s
    return np.sum(a)


def while_else(x):
    while x < 1.0:  # ERR: while_else
        x = x * 2.0
    else:
        x = 0.0
    return x


def nested_class(x):
    class K:  # ERR: nested_class
        pass

    return x


def del_stmt(x):
    y = x * 2.0
    del y  # ERR: del_stmt
    return x


def raise_stmt(x):
    if x < 0.0:
        raise ValueError("negative")  # ERR: raise_stmt
    return x


def import_stmt(x):
    import math as m  # ERR: import_stmt

    return m.sin(x)


def import_from_stmt(x):
    from math import sin  # ERR: import_from_stmt

    return sin(x)


def missing_return(x):  # ERR: missing_return
    if x > 0.0:
        return x * 2.0


def bare_return(x):
    y = x * 2.0
    return  # ERR: bare_return


def return_none(x):
    return None  # ERR: return_none


# ---------------------------------------------------------------------------
# Functions that are not plain `def` functions with source.


def generator(x):
    yield x * 2.0  # ERR: generator


async def async_fn(x):  # ERR: async_fn
    return x * 2.0


_exec_ns = {"math": math}
exec("def exec_fn(x):\n    return math.sin(x)\n", _exec_ns)
exec_fn = _exec_ns["exec_fn"]


def grad_of_builtin():
    return symdiff.grad(math.sin, jit=False)(1.0)  # ERR: builtin_as_f


def grad_of_int():
    return symdiff.grad(42, jit=False)(1.0)  # ERR: grad_of_int


def grad_of_partial():
    g = symdiff.grad(functools.partial(two_params, y=3.0), jit=False)  # ERR: grad_of_partial
    return g(1.0)


def grad_of_bound_method():
    return symdiff.grad(obj.times, jit=False)(1.0)  # ERR: bound_method_as_f


# ---------------------------------------------------------------------------
# Parameters.


def star_kwargs(x, **options):  # ERR: star_kwargs
    return x


def kwonly(x, *, scale):  # ERR: kwonly
    return x * scale


# ---------------------------------------------------------------------------
# Expressions.


def subscript(x):
    return x[0]  # ERR: subscript

    return x


def unknown_ulp(x):
    return math.ulp(x)  # ERR: unknown_ulp


def unknown_floor(x):
    return math.floor(x) + x  # ERR: unknown_floor


def unknown_round(x):
    return round(x) + x  # ERR: unknown_round


def unknown_class_call(x):
    return Scaler(x)  # ERR: unknown_class_call


def library_python_function(x):
    return statistics.mean((x, 2.0))  # ERR: library_python_function


def library_default_none(x):
    return statistics.fmean((x, 2.0))  # ERR: library_default_none


def missing_module_attribute(x):
    return math.sine(x)  # ERR: missing_module_attribute


def direct_recursion(x):
    if x > 1.0:
        return direct_recursion(x - 1.0) * x  # ERR: direct_recursion
    return x


def calls_mutual(x):
    return mutual_a(x)


def calls_helper_wrong_arity(x):
    return helper_two(x)  # ERR: helper_wrong_arity


def calls_helper_wrong_keyword(x):
    return helper_two(x, c=2.0)  # ERR: helper_wrong_keyword


def calls_helper_bad_inside(x):
    return helper_bad_inside(x)


def calls_helper_no_return(x):
    return helper_no_return(x)


def name_not_defined(x):
    return x * undefined_name  # ERR: name_not_defined


def string_arithmetic(x):
    return x + "a"  # ERR: string_arithmetic


def fstring(x):
    y = f"{x}"  # ERR: fstring
    return x


def complex_constant(x):
    return x * 1j  # ERR: complex_constant


def bitwise_and(x, y):
    return x & y  # ERR: bitwise_and


def bitwise_invert(x):
    return ~x  # ERR: bitwise_invert


def matmul(x, y):
    return x @ y  # ERR: matmul


def walrus(x):
    return (y := x * 2.0) + y  # ERR: walrus


def in_comparison(x):
    if x in (1.0, 2.0):  # ERR: in_comparison
        return 0.0
    return x


def call_local_variable(x):
    y = x
    return y(2.0)  # ERR: call_local_variable


def unpack_mismatch(x):
    a, b = x  # ERR: unpack_mismatch
    return a


def keyword_to_primitive(x):
    return math.log(x, base=2.0)  # ERR: keyword_to_primitive


def wrong_primitive_arity(x):
    return math.sin(x, x)  # ERR: wrong_primitive_arity


def subscript_augassign(x):
    x[0] += 1.0  # ERR: subscript_augassign
    return x


def bitwise_augassign(x, y):
    x &= y  # ERR: bitwise_augassign
    return x


# Tuples where a scalar is needed.


def returns_pair(t):
    return t, t * 2.0


def tuple_from_helper_in_arithmetic(x):
    return returns_pair(x) * 2.0  # ERR: tuple_from_helper_in_arithmetic


def tuple_literal_arithmetic(x):
    return (x, x) + 1.0  # ERR: tuple_literal_arithmetic


def tuple_negation(x):
    return -(x, x)  # ERR: tuple_negation


def tuple_comparison(x):
    if (x, 1.0) < (2.0, 3.0):  # ERR: tuple_comparison
        return x
    return 0.0


def tuple_augassign(x):
    y = (x, x)
    y += 1.0  # ERR: tuple_augassign
    return x


def branch_tuple_mismatch(x):
    return (x, x) if x > 0.0 else x  # ERR: branch_tuple_mismatch


# Names assigned on one path only.

y_global = 10.0


def one_branch_undefined(x):
    if x > 0.0:
        y = x
    return y  # ERR: one_branch_undefined


def one_branch_shadows_global(x):
    if x > 0.0:
        y_global = x
    return y_global  # ERR: one_branch_shadows_global


# ---------------------------------------------------------------------------
# Outputs and arguments (errors about the call, located at the function).


def returns_tuple(x):
    return x, x * 2.0  # ERR: returns_tuple


def returns_int(x):
    return 1  # ERR: returns_int


def returns_bool(x):
    return x > 0.0  # ERR: returns_bool


def two_params(x, y):  # ERR: two_params
    return x * y


def one_param(x):  # ERR: one_param
    return x * x


# ---------------------------------------------------------------------------
# Harmless statements: must not break differentiation.


def with_print(x):
    print("x is", x)
    print(f"x = {x}")
    return x * x


def with_assert(x):
    assert x > 0.0, "x must be positive"
    return x * x * x


def with_docstring(x):
    """Square plus sine."""
    return x * x + math.sin(x)


def with_pass(x):
    if x > 0.0:
        pass
    else:
        pass
    pass
    return 3.0 * x


def with_bare_constant(x):
    1.0
    "a string expression"
    ...
    return x * x


def with_everything(x, y):
    """Everything harmless at once."""
    print(x, y)
    assert y != 0.0
    pass
    42
    z = x * y
    print("z", z)
    return z + x


def array_output(x):
    return x * x  # ERR: array_output_for_grad


def axis_from_local(x):
    k = x.shape[0] - 2  # known only when the code runs (a constant local is fine)
    return np.sum(np.sum(x, axis=k))  # ERR: axis_from_local


def axis_from_param(x, k):
    return np.sum(np.cumsum(x, axis=k))  # ERR: axis_from_param
