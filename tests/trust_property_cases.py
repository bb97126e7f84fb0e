"""Hand-written programs for test_trust_properties.py: minimal forms of the
defects its generators found (all fixed now, or refused cleanly)."""

import numpy as np

# ---------------------------------------------------------------------------
# Fixed.


def swap_after_inner_loop(a, b):
    """The inner loop's carried values start swapped: printed as `t = s; s = t`."""
    s = a
    t = b
    for i in range(3):
        for _ in range(i):
            s, t = t + 1.0, s * 0.5
        s, t = t, s
    return s + 2.0 * t


def rotation_after_inner_loop(a, b):
    s = a
    t = b
    r = 0.25
    for i in range(3, -1, -1):
        for _ in range(i):
            t, s, r = t * 0.5, t + 1.0, s * 0.5
        s, r, t = r, t, s
    return s + 2.0 * t + 3.0 * r


def element_of_keepdims_sum(B):
    """The adjoint of a keepdims sum is passed on unchanged: it was taken as
    already full-shaped for B (it is of t's shape (n, 1))."""
    t = B.sum(axis=1, keepdims=True)
    return t[0, 0]


def element_of_reshaped_keepdims_sum(M):
    t = np.sum(np.reshape(M, (9, 1)), axis=0, keepdims=True)
    return t[0, 0] * 2.0


# ---------------------------------------------------------------------------
# Found later: fixed since, or (shared memory) refused.


def view_read_after_write(A):
    """`r = t[0]` is a view of t: the write into t changes r (NumPy semantics)."""
    t = A.copy()
    r = t[0]
    t[0, 0] = 7.0 * A[1, 1]
    return np.sum(r * r)  # ERR: view read after write


def float32_times_float_argument(A, s):
    """Plain-Python runs pass s as np.float64: the float32 gradient becomes float64."""
    return np.sum(A * s)


def zero_d_float32_times_array(A, B):
    """A 0-d float32 array read as a float64 number: B's gradient is float64."""
    return np.sum(np.sin(A) * B)


# Once pinned as strict xfails and kept out of the generators while others
# fixed them; fixed now (test_fixed), and the generators draw them.


def sum_of_size1_product(y):
    """AxisError family: a full reduction of an expression with a size-1 axis."""
    return np.sum(y * 2.0)


def reduction_of_keepdims_reduction(B):
    """Optimiser crash: 'Const' object has no attribute 'prim'."""
    t0 = np.sum(B, axis=0, keepdims=True)
    t1 = np.mean(t0, axis=0, keepdims=True)
    return np.sum(t1) + np.sum(t0)


def forward_copy_of_view_written(B):
    """Forward mode: the tangent of a copy of a view is the view's tangent
    (a view of the input tangent), then written in place."""
    t0 = np.reshape(B, (1, 3))
    t2 = t0[:, 0]
    t2c = t2.copy()
    t2c[0] += np.sum(np.reshape(B, (3, 1)))
    t3 = np.reshape(B, (3, 1)).ravel()
    t3c = t3.copy()
    t3c[0] += np.sum(np.tanh(t2c))
    return np.sum(t3c) + 0.5 * np.sum(t3)


def leapfrog(x0, v0, k):
    """A tuple update reading a temporary of the old value: printed reading the new x."""
    x = x0
    v = v0
    for _ in range(3):
        a = -k * x
        x, v = x + 0.1 * v, v + 0.1 * a
    return x + v


def nested_loop_reads(x, a):
    """Reverse mode copies x's adjoint in every outer iteration (O(n^2))."""
    s = a
    t = x[0]
    for i in range(len(x)):
        for j in range(i):
            s, t = s + 0.1 * np.sin(t * x[j]), t - 0.1 * s
        s = np.tanh(s)
    return s + 2.0 * t


def three_way_tuple_update(a, b):
    """Forward mode prints r = t * 0.5 before s = s + r ** 2 (a wrong value)."""
    s = a
    r = b
    t = 0.5
    for _ in range(3):
        s, r, t = s + r**2, t * 0.5, s + a
    return s + r + t


def tuple_update_tangent_reads_new_value(x, a):
    """Forward mode: ds is computed from the new s (s = t + 0.1 * t0; ds = ... s * dt)."""
    s = 0.25
    t = np.sin(a)
    for _ in range(1, len(x)):
        s, t = t + 0.1 * np.tanh(t * s), t + 0.5 * t
    return 1.0 * s + 2.0 * t


def augmented_update_seen_through_alias(A):
    """`t += 1.0` is in place in NumPy: u (the same array) sees it."""
    t = A * 2.0
    u = t
    t += 1.0
    return np.sum(u * A)  # ERR: alias read after update


def augmented_update_seen_through_view(A):
    t = A * 2.0
    u = t[1:]
    t *= 3.0
    return np.sum(u * A[1:])  # ERR: view read after update


def copy_of_a_number(s):
    """np.copy of a float argument and of a constant: printed as s.copy() and
    1.5.copy(), which floats lack (plain Python: on the constant; Numba: both)."""
    t = np.copy(s)
    return t * s + np.copy(1.5) * s


# A view or a second name of an array read after a write into the array:
# NumPy shows the write through it; refused (the line of the read is marked).


def view_read_after_write_in_loop(A):
    t = A.copy()
    r = t[0]
    for i in range(2):
        t[0, i] = 2.0 * A[1, i]
    return np.sum(r * r)  # ERR: view read after loop


def view_read_in_next_iteration(A):
    t = A.copy()
    r = t[0]
    s = 0.0
    for i in range(2):
        s = s + np.sum(r)  # ERR: view read in loop
        t[0, i] = 2.0 * s
    return s


def view_read_after_write_in_branch(A, c):
    t = A.copy()
    r = t.T
    if c > 0.0:
        t[0, 1] = c
    return np.sum(r * A)  # ERR: view read after branch


# Views and names that are fine: read before the write, copies, rebinding.


def view_read_before_write(A):
    t = A.copy()
    r = t[0]
    s = np.sum(r * r)
    t[0, 0] = 2.0 * s
    return np.sum(t) + s


def copied_row_read_after_write(A):
    t = A.copy()
    r = t[0].copy()
    t[0, 0] = 7.0 * A[1, 1]
    return np.sum(r * r) + np.sum(t)


def view_of_rebound_array(A):
    t = A * 1.0
    r = t[0]
    t = t * 2.0
    t[0, 0] = 3.0
    return np.sum(r * r) + np.sum(t)


def row_view_made_in_each_iteration(A):
    t = A.copy()
    s = 0.0
    for i in range(2):
        r = t[i]
        s = s + np.sum(r * r)
        t[i, 0] = s
    return s + np.sum(t)


def augmented_update_of_unshared_array(A):
    t = A * 2.0
    t += 1.0
    u = t
    return np.sum(u * A)


def inplace_update_of_a_view_of_an_input(X):
    """t += 1.0 writes into the caller's X (t is a row of it): refused."""
    t = X[0]
    t += 1.0  # ERR: in-place update of a view
    return np.sum(t * t)
