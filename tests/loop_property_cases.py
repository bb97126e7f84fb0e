"""Hand-written loop programs for test_loop_properties.py: tricky cases that
work, minimal forms of the bugs found, and constructs refused cleanly."""

import math

import numpy as np

# ---------------------------------------------------------------------------
# Tricky cases that work.


def sometimes_updated(x, a):
    """A carried value updated on some iterations only."""
    t = a
    for i in range(len(x)):
        if x[i] > 0.5:
            t = t * x[i]
    return t


def zero_iterations(x, n):
    s = x[0] * x[1]
    for i in range(n):
        s = s * x[i]
    return s


def negative_step(x):
    s = 0.0
    for i in range(len(x) - 1, 0, -1):
        s = math.sin(s) + x[i] * x[i - 1]
    return s


def negative_step_by_two(x):
    s = 1.0
    for i in range(len(x) - 1, -1, -2):
        s = s * x[i] + 0.5
    return s


def break_in_first_iteration(x):
    s = x[0]
    for i in range(len(x)):
        s = s * x[i] + 1.0
        break
    return s


def while_on_an_element(x):
    """The condition reads the array at the counter."""
    k = 0
    s = 0.0
    while k < len(x) and x[k] < 0.9:
        s = s + math.exp(x[k]) * s + x[k]
        k += 1
    return s


def rebound(x):
    """An array carried by rebinding (h = h * 2 ...)."""
    h = x * 1.0
    for _ in range(3):
        h = h * 0.5 + np.sin(h)
    return np.sum(h * h)


def written(x):
    """The same computation written element by element into a copy."""
    h = x.copy()
    for i in range(len(x)):
        h[i] = h[i] * 0.5 + math.sin(h[i])
    return np.sum(h * h)


def write_then_read(x):
    """Write an element, then read the same element in the same iteration."""
    out = np.zeros(len(x))
    s = 0.0
    for i in range(len(x)):
        out[i] = x[i] ** 2
        s += out[i] * x[i]
    return s + np.sum(out)


def accumulate_2d(x):
    """Elements of a 2-d array assigned in nested loops, read after."""
    n = len(x)
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            A[i, j] = x[i] * x[j] + math.sin(x[i] - x[j])
    return np.sum(A * A)


def _inner_loop(v, c):
    t = 0.0
    for j in range(len(v)):
        t = t * 0.5 + math.cos(c * v[j])
    return t


def helper_with_loop_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = 0.5 * s + _inner_loop(x, s + x[i])
    return s


def loops_in_branches(x, a):
    s = a
    if a > 0.0:
        for i in range(len(x)):
            s = s * x[i] + 1.0
    else:
        for i in range(len(x) - 1, -1, -1):
            s = s + x[i] ** 2
    return s


def branches_writing(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] > 0.0:
            out[i] = x[i] ** 2
        else:
            out[i] = math.sin(x[i])
    return np.sum(out * out)


def counter_as_index(x):
    """An int counter, incremented on every iteration, used as an index."""
    j = 0
    s = 0.0
    for i in range(len(x)):
        s = s * 0.5 + x[j] * x[i]
        j += 1
    return s


def returned_array_summed(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] * x[i - 1]
    return out.sum()


def copy_then_write(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] = y[i] * y[i - 1]
    return np.sum(y)


def negative_indices(x):
    s = 0.0
    for i in range(len(x)):
        s = s * 0.5 + x[-1 - i] * x[i]
    return s


def continue_on_even(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            continue
        s = s * x[i] + x[i - 1]
    return s


def while_true_break(x, a):
    k = 0
    s = a
    while True:
        s = s * 1.1 + x[k % len(x)]
        k += 1
        if s > 3.0 or k > 20:
            break
    return s


def while_on_a_written_element(x):
    out = x.copy()
    k = 0
    while out[k] < 2.0 and k < len(x) - 1:
        out[k + 1] = out[k + 1] + out[k] ** 2
        k += 1
    return np.sum(out)


# ---------------------------------------------------------------------------
# Minimal forms of bugs.


def two_zero_arrays(x):
    """Two arrays of one shape, written in one loop."""
    a = np.zeros(len(x))
    b = np.zeros(len(x))
    for i in range(len(x)):
        a[i] = x[i]
        b[i] = 2.0 * x[i]
    return np.sum(a * b)


def read_before_and_after_write(x):
    """The element is read twice in one iteration, around a write."""
    y = x.copy()
    s = 0.0
    for i in range(len(x)):
        u = y[i]
        y[i] = u * u
        s += y[i] * u
    return s


def update_simplified_to_existing_value(x, a):
    """The carried value's update is an expression computed before the loop."""
    b = a * x
    s = 0.0
    for _ in range(3):
        s = a * x
    return s + b


def update_simplified_to_identity(x, a):
    s = x
    for _ in range(3):
        s = a * 1.0
    return s


def nested_loops_accumulating(x):
    """A scalar accumulated by an inner loop (its adjoint passes unchanged)."""
    g = 0.0
    for _ in range(2):
        for j in range(2):
            g = g + x[j]
    return g * g


def accumulate_2d_in_place(x):
    n = len(x)
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            A[i, j] += x[i] * x[j]
    return np.sum(A * A)


def counter_updated_in_branch(x):
    j = 0
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            s += x[j]
            j += 1
    return s


def two_carries_same_start(x, a):
    """Two carried values with the same initial value."""
    s = a * 2.0
    t = s
    for _ in range(2):
        s = s * x[0] + t
        t = t * x[1]
    return s + t


def nested_loop_after_swap(x, a):
    s = a
    t = 0.0
    for i in range(3):
        t, s = s, x[i]
        for _ in range(2):
            s = 0.5 * s + t * x[0]
            t = t * x[1]
    return s + t


def array_written_and_read_whole(x):
    """A scratch array made in each iteration, written, then read whole."""
    s = 0.0
    for i in range(len(x)):
        tmp = np.zeros(2)
        tmp[0] = x[i]
        tmp[1] = x[i] ** 2
        s += np.sum(np.sin(tmp))
    return s


def index_after_loop(x):
    """Python: after the loop, i is its last value."""
    i = 0
    for i in range(len(x)):  # noqa: B007
        pass
    return x[i]


def shadowed_index(x, a):
    """The inner loop reuses the outer loop's index name."""
    s = a
    t = 0.0
    for j in range(2):
        for j in range(3):  # noqa: B007
            s = s * x[j] + t
        t = t * x[j] + s
    return s + t


def alias_made_in_loop(x):
    """b becomes another name of a; later writes into a change b too."""
    n = len(x)
    a = np.zeros(n)
    b = np.zeros(n)
    s = 0.0
    for i in range(n):
        a[i] = x[i]
        s += b[i] * x[i]
        b = a
    return s


def read_in_branch_of_written_array(x):
    """An element of a written array read inside an ``if``: recorded there."""
    out = np.zeros(len(x))
    s = 0.0
    for i in range(len(x)):
        out[i] = x[i] ** 2
        if x[i] > 0.0:
            s += out[i - 1] * x[i]
    return s


# ---------------------------------------------------------------------------
# Refused with a clean SymDiffError.


def defined_only_in_loop(x):
    for i in range(len(x)):
        t = x[i] * 2.0
    return t


def return_in_loop(x):
    for i in range(len(x)):
        if x[i] > 0.5:
            return x[i]
    return 0.0


def write_into_argument(x):
    for i in range(len(x)):
        x[i] = x[i] * 2.0
    return np.sum(x)


def for_else(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i]
    else:
        s = s * 2.0
    return s


# ---------------------------------------------------------------------------
# More cases that work.


def rebind_then_write(x):
    """An array rebound (a new array) and then written in the same iteration."""
    h = x * 1.0
    for i in range(len(x)):
        h = h * 0.5
        h[i] = h[i] + math.sin(x[i])
    return np.sum(h * h)


def int_counter_in_arithmetic(x):
    k = 0
    s = 0.0
    for i in range(len(x)):
        k += 2
        s += k * x[i] + float(i) * s * 0.1
    return s


def bool_flag_from_loop(x, a):
    found = False
    s = a
    for i in range(len(x)):
        if x[i] > 0.6:
            found = True
        s = s * 0.9 + x[i]
    return s * 2.0 if found else s


def argmax_index(x):
    """An int carried through a branch, used as an index after the loop."""
    j = 0
    for i in range(len(x)):
        if x[i] > x[j]:
            j = i
    return x[j] * 2.0 + x[0]


def nested_write_and_read(x):
    n = len(x)
    out = np.zeros(n)
    for i in range(n):
        out[i] = x[i]
        for j in range(i):
            out[i] = out[i] * 0.5 + x[j]
    return np.sum(out * out)


def while_on_a_whole_array(x):
    out = x.copy()
    s = 0.0
    while np.sum(out * out) > 0.1:
        out = out * 0.7
        s += np.sum(out)
    return s


def _scratch(v, c):
    tmp = np.zeros(len(v))
    for j in range(len(v)):
        tmp[j] = math.sin(c * v[j])
    return np.sum(tmp * v)


def helper_writing_its_own_array(x):
    s = 0.0
    for i in range(len(x)):
        s = 0.5 * s + _scratch(x, x[i])
    return s


# ---------------------------------------------------------------------------
# Open bugs (at commit 475dcdf).


def adjoints_sharing_an_array(x):
    """d/dx np.dot(out, x) and d/dw np.dot(w, out) are both `out`: each adjoint
    the reverse loop writes into is a copy of its own."""
    out = np.zeros(len(x))
    w = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] ** 2
        w[i] = x[0]
    return np.dot(out, x) + np.dot(w, out)


def inner_loop_that_only_breaks(x, a):
    """The inner loop computes nothing the gradient needs, but its exit reads s."""
    s = a
    for i in range(2):
        for _ in range(2):
            if s > 0.5:
                break
        s = x[i] * 2.0
    return s


def adjoint_starting_as_an_argument(x):
    """out_bar starts as x (an argument): copied once, before the reverse loop."""
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] ** 2
    return np.dot(out, x)
