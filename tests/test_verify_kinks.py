"""check_grad at points where the function is not differentiable."""

import numpy as np

from symdiff.verify import GradCheckRow, check_grad, one_sided_differences


def test_one_sided_differences_of_a_kink_and_of_a_jump():
    left, right = one_sided_differences(lambda a: abs(a[0] - 1.0) * 3.0, [1.0], 0)
    assert abs(left + 3.0) < 1e-9 and abs(right - 3.0) < 1e-9
    # an array element, smooth: both sides are the derivative
    x = np.array([0.5, 2.0])
    left, right = one_sided_differences(lambda a: float(np.sum(a[0] ** 3)), [x], 0, (1,))
    assert abs(left - 12.0) < 1e-6 and abs(right - 12.0) < 1e-6
    # a jump has no one-sided derivatives: the slopes grow as the step shrinks
    assert one_sided_differences(lambda a: a[0] // 1.0, [1.0], 0) is None


def test_a_value_outside_the_one_sided_derivatives_is_not_excused():
    inside = GradCheckRow("x", 2.0, 2.0, 2.0, 1.5, one_sided=(2.0, 1.0))
    between = GradCheckRow("x", 1.25, 1.25, None, 1.5, one_sided=(2.0, 1.0))
    outside = GradCheckRow("x", 3.0, 3.0, 3.0, 1.5, one_sided=(2.0, 1.0))
    smooth = GradCheckRow("x", 3.0, 3.0, 3.0, 1.5, one_sided=(1.5, 1.5))
    assert inside.at_kink and between.at_kink
    assert not outside.at_kink and not smooth.at_kink


def test_check_grad_excuses_kinks_only():
    def f(x):
        y = x * x
        if x > 1.0:  # the branch taken at 1 is the other one: d/dx = 2 from the left
            y = 3.0 * x - 2.0
        return y

    report = check_grad(f, 1.0, jit=False)
    assert report.ok and [r.name for r in report.kinks] == ["x"]
    assert "derivatives are 2 (from the left) and 3 (from the right)" in str(report)
    assert "symdiff's 2 is the left one" in str(report)
    # symmetric conventions (abs, max) agree with central differences: no kink reported
    report = check_grad(lambda_free_abs, 1.0, jit=False)
    assert report.ok and not report.kinks

    def g(x):
        return x // 1.0 + x  # a jump at 1: finite differences are not excused

    report = check_grad(g, 1.0, jit=False)
    assert not report.ok and not report.kinks and "MISMATCH" in str(report)


def lambda_free_abs(x):
    return 2.0 * max(x, 1.0) + abs(x - 1.0)
