"""Functions for tests/test_trust_hunt.py (in a file, as symdiff reads source).

Each was found by a random-program differential test against autograd and
finite differences, then minimised."""

import numpy as np


# A scalar adjoint (of a full sum) reaching an operand with a size-1 axis.
def where_fixed_condition(a, b):
    return np.sum(np.where(1.0 < 0.1, a, b))


def where_fixed_condition_row(a, b):
    return np.sum(np.where(0.5 > 0.1, a, b) ** 2)


# np.where(True, b, a) is b broadcast against a, not b.
def where_true_broadcasts(a, b):
    return np.sum(np.where(-1.0 < 0.1, b, a))


def where_false_broadcasts(a, b):
    return np.sum(np.where(2.0 < 0.1, a * 2.0, np.sin(b)))


def where_true_in_max(a, b):
    return np.sum(np.max(np.where(-1.0 < 0.1, b + 1.0, a), axis=0))


# np.where(c, b, b) is b broadcast against c.
def where_same_sides(a, b):
    return np.sum(np.where(a > 0.1, b, b))


def where_same_sides_scalar(a, s):
    return np.sum(np.where(a > 0.1, s * s, s * s))


# The side of np.where that is not selected never leaks nan into a gradient.
def where_guards_sqrt(x):
    return np.sum(np.where(x > 0.0, np.sqrt(x), 0.0))


def where_guards_log_product(x):
    return np.sum(np.where(x > 0.0, np.log(x) * x, x))


def where_guards_chain(x):
    y = np.where(x > 0.5, np.sqrt(x - 0.5) * 2.0, x**2)
    return np.sum(np.sin(y))


def where_guards_scaled(x, w):
    return np.sum(np.where(x > 0.0, np.sqrt(x) * w, w))


# jit=False runs the generated code with IEEE math, also in the JVP that the
# forward-mode gradient over an array calls (math.log1p(-3.0) raised there).
def where_over_nan_constant(a, b):
    return np.sum(np.where(b < 0.1, np.log1p(-3.0), np.exp(a)))


# A number is its own transpose and its own copy (as in NumPy, where
# np.float64 has .T).
def np_transpose_of_number(a, s):
    return np.sum(a * np.transpose(s))


def transpose_of_constant(a, s):
    return np.sum(np.maximum(-1.34, -0.81).T + a.T * s)


def copy_of_number(a, s):
    return np.sum(a * np.copy(s))


# The assignments that end a branch (its phis) happen at once: in loops, where
# values share names, one may overwrite a name another still reads.
def continue_then_assign(x, w):
    s = 0.5 * w
    for i in range(x.shape[0]):
        if x[i] < -0.5:
            continue
        s = w
    return s


def swap_in_branch(x, w):
    a = w
    b = 2.0 * w
    for i in range(len(x)):
        if x[i] > 0.0:
            a, b = b, a
    return a + 3.0 * b


def swap_or_update(x, w):
    a = w
    b = 2.0 * w
    for i in range(len(x)):
        if x[i] > 0.0:
            a, b = b, a
        else:
            b = b + x[i] * a
    return a + 3.0 * b


# The operand an adjoint is summed to appears twice in the printed code
# (_sum_axis1_if_one_2d(_sum_axis0_if_one_2d(g, x), x)): renumbering the
# temporaries renamed it twice, to another array.
def summed_to_a_renamed_operand(a, b, c, d, e, g, p8, p9):
    if a > 0.2:
        t0 = b
    else:
        t0 = np.where(np.expm1(np.cos(c)) > 0.1, np.minimum(d, 1.43), e[1, 1]) * g
    t1 = np.max(p8[:, 0, :], axis=0) * np.expm1(np.cos(p9[:, 1:2]))[:-2]
    return np.sum(t0) + np.sum(t1)


# A slice of an axis of size 1 may be empty (g[1:2]), and an empty axis
# broadcasts like any size but 1: a's adjoint is summed over it.
def empty_slice_of_a_size1_axis(a, g):
    return np.sum(a * g[1:2])
