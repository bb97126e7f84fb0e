"""The scalar language: each construct against SymPy and finite differences."""

import ast
import doctest
import math
import textwrap

import numpy as np
import pytest

import symdiff
from symdiff.frontend import Converter, expressions, normalize, statements
from symdiff.frontend.messages import describe, is_or_are

from . import language_cases as lc

# (function, points); every float argument is differentiated.
CASES = [
    (lc.tuple_swap, [(1.5, -0.5)]),
    (lc.fibonacci_like, [(1.5, -0.5)]),
    (lc.augmented, [(1.5, -0.5)]),
    (lc.branches, [(2.0, 1.0), (-3.0, 1.0), (0.5, 1.0)]),
    (lc.early_returns, [(2.0, 1.0), (-2.0, -1.0), (0.5, -1.0), (0.5, 1.0)]),
    (lc.conditional_expression, [(1.5, 2.0), (3.0, 2.0), (-1.0, 2.0)]),
    (lc.short_circuit, [(3.5,), (1.5,), (-1.0,)]),
    (lc.chained_comparison, [(0.5, 1.0), (1.5, 1.0), (-0.5, 1.0)]),
    (lc.safe_log, [(2.0,), (-1.0,)]),
    (lc.safe_sqrt, [(2.0,), (-1.0,)]),
    (lc.uses_helpers, [(0.7, -1.3)]),
    (lc.calls_helper_with_branch, [(0.7, 0.3), (2.0, 1.0)]),
    (lc.globals_and_constants, [(0.7,)]),
    (lc.harmless_statements, [(0.7, 2.0)]),
    (lc.numpy_scalars, [(0.7, -1.3)]),
    (lc.closure, [(0.7, -1.3)]),
    (lc.unused_input, [(0.7, -1.3)]),
    (lc.constant_output, [(0.7,)]),
    (lc.identity, [(0.7,)]),
    (lc.reassigned_param, [(0.7, -1.3)]),
    (lc.nested_branches, [(1.0, 2.0), (1.0, -2.0), (-1.0, 2.0)]),
]


@pytest.mark.parametrize(
    "fn, point",
    [pytest.param(fn, p, id=f"{fn.__name__}-{i}") for fn, ps in CASES for i, p in enumerate(ps)],
)
def test_against_sympy_and_finite_differences(fn, point):
    report = symdiff.check_grad(fn, *point, jit=False)
    assert report.ok, str(report)
    assert report.value == pytest.approx(fn(*point), rel=1e-15)


@pytest.mark.parametrize(
    "fn, point", [(lc.early_returns, (0.5, -1.0)), (lc.uses_helpers, (0.7, -1.3))]
)
def test_compiled_with_numba(fn, point):
    report = symdiff.check_grad(fn, *point, jit=True)
    assert report.ok, str(report)


def test_untaken_branch_does_not_leak_nan():
    for mode in ("reverse", "forward"):
        assert symdiff.grad(lc.safe_log, mode=mode, jit=False)(-1.0) == 0.0
        assert symdiff.grad(lc.safe_sqrt, mode=mode, jit=True)(-1.0) == 0.0
        assert symdiff.grad(lc.short_circuit, mode=mode, jit=False)(-1.0) == 1.0


def test_int_and_bool_arguments_are_not_differentiated():
    dfdx = symdiff.grad(lc.int_and_bool_arguments, jit=False)
    assert dfdx(2.0, 3, True) == pytest.approx(3 * 2.0**2 + 3)
    assert dfdx(2.0, 3, False) == pytest.approx(3 * 2.0**2)
    # One specialisation per signature: int and bool kinds differ from floats.
    assert dfdx(2.0, 3.0, False) == pytest.approx(3 * 2.0**2)


def _times(x, n):
    return x * n


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("jit", [False, True])
def test_gradient_of_a_float_by_an_int_factor_is_a_float(mode, jit):
    """d(x * n)/dx is n as a float: the optimiser once dropped the
    conversion (``1.0 * n`` -> ``n``) and returned the int 3."""
    for n, expected in ((3, 3.0), (True, 1.0)):
        g = symdiff.grad(_times, mode=mode, jit=jit)(2.0, n)
        assert type(g) in (float, np.float64) and g == expected
        value, g = symdiff.value_and_grad(_times, mode=mode, jit=jit)(2.0, n)
        assert type(g) in (float, np.float64) and g == expected


def test_keyword_arguments_and_defaults():
    d = symdiff.grad(lc.helper_with_branch, jit=False)
    assert d(0.5) == 1.0
    assert d(u=0.5, limit=0.25) == 0.0


def test_constant_output_and_unused_inputs_have_zero_gradient():
    assert symdiff.grad(lc.constant_output, jit=False)(1.0) == 0.0
    assert symdiff.grad(lc.unused_input, argnums=(0, 1), jit=False)(1.0, 2.0) == (2.0, 0.0)


def test_differentiated_function_as_helper():
    @symdiff.differentiate
    def inner(u):
        return u * u

    assert inner.grad(3.0) == 6.0
    report = symdiff.check_grad(lc.uses_helpers, 0.3, 0.4, jit=False)
    assert report.ok


def test_inactive_values_get_no_derivative_code():
    src = symdiff.derivative_source(lc.int_and_bool_arguments, 2.0, 3, True)
    # n is an int: nothing is differentiated with respect to it.
    assert "n_bar" not in src
    assert math.isfinite(symdiff.grad(lc.int_and_bool_arguments, jit=False)(2.0, 3, True))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_comparisons_and_bools_used_as_numbers(mode):
    # d/dy -(y * (x > y)) = -(x > y), a float; math.cos(True) is cos(1.0) in float64.
    grads = symdiff.grad(lc.comparison_as_number, (0, 1), mode=mode, jit=False)(0.5, 0.25)
    assert [float(g) for g in grads] == [0.0, -1.0]
    assert all(isinstance(g, float) for g in grads)
    value, derivative = symdiff.value_and_grad(lc.bool_argument_in_math, jit=False)(0.5, True)
    assert float(value) == math.cos(1.0) * 0.5
    assert float(derivative) == math.cos(1.0)


# -- the frontend's normal form and rule tables ------------------------------------


def _normal_form(source, normalise):
    stmts = normalise(ast.parse(textwrap.dedent(source)).body)
    text = ast.unparse(ast.Module(stmts, []))
    # SetBreakFlag has no source spelling; ast.unparse prints nothing for it.
    flags = sum(isinstance(node, normalize.SetBreakFlag) for s in stmts for node in ast.walk(s))
    return text, flags


NORMAL_FORMS = [
    (  # what follows an `if` that may return moves into its open branch
        "returns",
        """
        if c:
            return a
        b = 1
        return b
        """,
        "if c:\n    return a\nelse:\n    b = 1\n    return b",
        0,
    ),
    (  # statements after a `return` are dropped
        "returns",
        "return a\nb = 1\n",
        "return a",
        0,
    ),
    (  # both branches return: nothing moves
        "returns",
        """
        if c:
            return a
        else:
            return b
        """,
        "if c:\n    return a\nelse:\n    return b",
        0,
    ),
    (  # `continue` ends its path; the rest moves into the other branch
        "jumps",
        """
        if c:
            continue
        x = 1
        """,
        "if c:\nelse:\n    x = 1",  # ast.unparse prints an empty body as nothing
        0,
    ),
    (  # `break` becomes the break flag; what follows it is dropped
        "jumps",
        """
        x = 1
        break
        y = 2
        """,
        "x = 1",
        1,
    ),
    (  # a nested loop's `break` is that loop's: left alone
        "jumps",
        """
        for i in range(3):
            break
        x = 1
        """,
        "for i in range(3):\n    break\nx = 1",
        0,
    ),
]


@pytest.mark.parametrize("which, source, expected, flags", NORMAL_FORMS)
def test_normal_form_has_one_way_out_of_every_path(which, source, expected, flags):
    normalise = {"returns": normalize.normalise_returns, "jumps": normalize.normalise_jumps}
    text, found_flags = _normal_form(source, normalise[which])
    assert text == expected
    assert found_flags == flags


def test_every_conversion_rule_is_in_its_dispatch_table():
    expression_rules = {name for name in dir(Converter) if name.startswith("expr_")}
    expression_rules.discard("expr_stmt")  # a statement: a bare expression
    tabled = {rule.__name__ for rule in expressions._EXPRESSION_RULES.values()}
    assert tabled == expression_rules
    for rule in [*expressions._EXPRESSION_RULES.values(), *statements._STATEMENT_RULES.values()]:
        assert getattr(Converter, rule.__name__) is rule


def test_error_words_name_what_the_user_wrote():
    node = ast.parse("[a for a in b]", mode="eval").body
    assert (describe(node), is_or_are(node)) == ("list comprehensions", "are")
    assert (describe(ast.Try), is_or_are(ast.Try())) == ("`try`", "is")
    assert describe(ast.Ellipsis) == "`Ellipsis`"  # no word: the class name, quoted


def test_parse_docstring_example_runs():
    import symdiff.frontend

    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(symdiff.frontend):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0 and results.failed == 0
