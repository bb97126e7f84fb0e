"""Every user mistake gives a located ``SymDiffError`` with a hint.

The bad functions live in ``tests/error_cases.py`` so that they have real
source.  The offending construct of each case carries a ``# ERR: <case>``
marker comment; the expected line number is found from the marker.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import symdiff
from symdiff import (
    ArgumentError,
    SourceUnavailableError,
    SymDiffError,
    UnknownFunctionError,
    UnsupportedSyntaxError,
)
from symdiff.errors import ShapeError

CASES_FILE = Path(__file__).with_name("error_cases.py")


def _load_cases():
    """Import tests/error_cases.py whether or not tests/ is a package."""
    name = "symdiff_error_cases"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, CASES_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ec = _load_cases()


def marker_line(name: str) -> int:
    """The 1-based line of error_cases.py carrying ``# ERR: <name>``."""
    tag = f"# ERR: {name}"
    hits = [
        i
        for i, line in enumerate(CASES_FILE.read_text().splitlines(), 1)
        if line.rstrip().endswith(tag)
    ]
    assert len(hits) == 1, f"marker {tag!r} found {len(hits)} times in {CASES_FILE.name}"
    return hits[0]


def grad(f, *args, argnums=0, mode="reverse", **kwargs):
    """``symdiff.grad(f, ...)(*args, **kwargs)`` without Numba."""
    return symdiff.grad(f, argnums=argnums, mode=mode, jit=False)(*args, **kwargs)


@dataclass
class Case:
    """One designed error.

    ``marker`` names the ``# ERR:`` comment on the offending line; ``where``
    overrides it for code without a file (``exec``).  ``words`` must all
    appear in the message (case-insensitive); an item may be a tuple of
    acceptable alternatives.
    """

    id: str
    call: object
    exc: type
    marker: str | None
    words: tuple = ()
    where: tuple | None = None
    xfail: str | None = None


def case(id, call, exc, marker=None, words=(), where=None, xfail=None):
    marker = id if marker is None else marker
    return Case(id, call, exc, marker, tuple(words), where, xfail)


U, K, S, A = UnsupportedSyntaxError, UnknownFunctionError, SourceUnavailableError, ArgumentError

CASES = [
    # -- statements --------------------------------------------------------
    case("try_except", lambda: grad(ec.try_except, 1.0), U, words=["try"]),
    case("with_block", lambda: grad(ec.with_block, 1.0), U, words=["with"]),
    case("global_stmt", lambda: grad(ec.global_stmt, 1.0), U, words=["global"]),
    case("nonlocal_stmt", lambda: grad(ec.nonlocal_stmt, 1.0), U, words=["nonlocal"]),
    # -- loops and writes into arrays ----------------------------------------------------
    case("loop_else", lambda: grad(ec.loop_else, 1.0), U, words=["else"]),
    case("while_else", lambda: grad(ec.while_else, 1.0), U, words=["while", "else"]),
    case(
        "write_input",
        lambda: grad(ec.write_input, np.ones(3)),
        ShapeError,
        words=["input array 'x'"],
    ),
    case("write_view", lambda: grad(ec.write_view, np.ones(3)), ShapeError, words=["view of 'x'"]),
    case("float_range", lambda: grad(ec.float_range, 3.0), ShapeError, words=["range()", "int"]),
    case(
        "loop_changes_rank",
        lambda: grad(ec.loop_changes_rank, np.ones(3)),
        ShapeError,
        words=["'h'", "rank"],
    ),
    case("aliased_write", lambda: grad(ec.aliased_write, 1.0), U, words=["also named 'same'"]),
    case(
        "reads_in_inner_loop",
        lambda: grad(ec.reads_in_inner_loop, np.ones(4)),
        U,
        words=["reverse mode", "writes into"],
    ),
    case("nested_class", lambda: grad(ec.nested_class, 1.0), U, words=["class"]),
    case("del_stmt", lambda: grad(ec.del_stmt, 1.0), U, words=["del"]),
    case("raise_stmt", lambda: grad(ec.raise_stmt, 1.0), U, words=["raise"]),
    case("import_stmt", lambda: grad(ec.import_stmt, 1.0), U, words=["import"]),
    case("import_from_stmt", lambda: grad(ec.import_from_stmt, 1.0), U, words=["import"]),
    case("missing_return", lambda: grad(ec.missing_return, 1.0), U, words=["return", "path"]),
    case("bare_return", lambda: grad(ec.bare_return, 1.0), U, words=["return"]),
    case("return_none", lambda: grad(ec.return_none, 1.0), U, words=["None"]),
    # -- not a plain def with source -----------------------------------------
    case("generator", lambda: grad(ec.generator, 1.0), U, words=["yield"]),
    case("async_fn", lambda: grad(ec.async_fn, 1.0), U, words=["async"]),
    case(
        "exec_fn",
        lambda: grad(ec.exec_fn, 1.0),
        S,
        marker=None,
        words=["source", "exec_fn"],
        where=("<string>", 1),
    ),
    case(
        "builtin_as_f",
        ec.grad_of_builtin,
        S,
        words=["sin"],
    ),
    case(
        "grad_of_int",
        ec.grad_of_int,
        SymDiffError,
        words=["42"],
    ),
    case(
        "grad_of_partial",
        ec.grad_of_partial,
        SymDiffError,
        words=["partial"],
    ),
    case(
        "bound_method_as_f",
        ec.grad_of_bound_method,
        S,
        words=["times"],
    ),
    # -- parameters ------------------------------------------------------------
    case("star_kwargs", lambda: grad(ec.star_kwargs, 1.0), U, words=["**kwargs"]),
    case("kwonly", lambda: grad(ec.kwonly, 1.0, scale=2.0), U, words=["keyword-only"]),
    # -- expressions -------------------------------------------------------------
    case("subscript", lambda: grad(ec.subscript, 1.0), ShapeError, words=[("subscript", "index")]),
    case("unknown_ulp", lambda: grad(ec.unknown_ulp, 1.5), K, words=["math.ulp"]),
    case("unknown_floor", lambda: grad(ec.unknown_floor, 1.5), K, words=["math.floor"]),
    case("unknown_round", lambda: grad(ec.unknown_round, 1.5), K, words=["round"]),
    case("unknown_class_call", lambda: grad(ec.unknown_class_call, 1.5), K, words=["Scaler"]),
    case(
        "library_python_function",
        lambda: grad(ec.library_python_function, 1.5),
        SymDiffError,
        words=["statistics.mean"],
    ),
    case(
        "library_default_none",
        lambda: grad(ec.library_default_none, 1.5),
        SymDiffError,
        words=["fmean"],
    ),
    case(
        "missing_module_attribute",
        lambda: grad(ec.missing_module_attribute, 1.0),
        U,
        words=["sine"],
    ),
    case(
        "direct_recursion",
        lambda: grad(ec.direct_recursion, 3.0),
        U,
        words=["recursi", "direct_recursion"],
    ),
    case(
        "mutual_recursion",
        lambda: grad(ec.calls_mutual, 3.0),
        U,
        words=["recursi", "mutual_a"],
    ),
    case(
        "helper_wrong_arity",
        lambda: grad(ec.calls_helper_wrong_arity, 1.0),
        U,
        words=["helper_two"],
    ),
    case(
        "helper_wrong_keyword",
        lambda: grad(ec.calls_helper_wrong_keyword, 1.0),
        U,
        words=["helper_two"],
    ),
    case(
        "error_inside_helper",
        lambda: grad(ec.calls_helper_bad_inside, 1.0),
        ShapeError,
        words=[("subscript", "index")],
    ),
    case(
        "helper_no_return",
        lambda: grad(ec.calls_helper_no_return, 1.0),
        U,
        words=["helper_no_return", "return"],
    ),
    case("name_not_defined", lambda: grad(ec.name_not_defined, 1.0), U, words=["undefined_name"]),
    case("string_arithmetic", lambda: grad(ec.string_arithmetic, 1.0), U, words=["'a'"]),
    case("fstring", lambda: grad(ec.fstring, 1.0), U, words=[("joinedstr", "f-string", "string")]),
    case("complex_constant", lambda: grad(ec.complex_constant, 1.0), U, words=["1j"]),
    case(
        "bitwise_and", lambda: grad(ec.bitwise_and, 1.0, 2.0), U, words=[("bitand", "&", "bitwise")]
    ),
    case("bitwise_invert", lambda: grad(ec.bitwise_invert, 1.0), U, words=["bitwise"]),
    case(
        "matmul", lambda: grad(ec.matmul, 1.0, 2.0), ShapeError, words=[("matmult", "@", "matrix")]
    ),
    case("walrus", lambda: grad(ec.walrus, 1.0), U, words=[("namedexpr", ":=", "walrus")]),
    case("in_comparison", lambda: grad(ec.in_comparison, 1.0), U, words=["in"]),
    case("call_local_variable", lambda: grad(ec.call_local_variable, 1.0), U, words=["'y'"]),
    case("unpack_mismatch", lambda: grad(ec.unpack_mismatch, 1.0), U, words=["unpack"]),
    case(
        "keyword_to_primitive",
        lambda: grad(ec.keyword_to_primitive, 1.0),
        U,
        words=["math.log", "keyword"],
    ),
    case(
        "wrong_primitive_arity",
        lambda: grad(ec.wrong_primitive_arity, 1.0),
        U,
        words=["math.sin", "argument"],
    ),
    case(
        "subscript_augassign",
        lambda: grad(ec.subscript_augassign, 1.0),
        ShapeError,
        words=["index"],
    ),
    case(
        "bitwise_augassign",
        lambda: grad(ec.bitwise_augassign, 1.0, 2.0),
        U,
        words=[("bitand", "&", "bitwise")],
    ),
    # -- tuples where a scalar is needed -----------------------------------------
    case(
        "tuple_from_helper_in_arithmetic",
        lambda: grad(ec.tuple_from_helper_in_arithmetic, 1.0),
        U,
        words=["tuple"],
    ),
    case(
        "tuple_literal_arithmetic",
        lambda: grad(ec.tuple_literal_arithmetic, 1.0),
        U,
        words=["tuple"],
    ),
    case(
        "tuple_negation",
        lambda: grad(ec.tuple_negation, 1.0),
        U,
        words=["tuple"],
    ),
    case(
        "tuple_comparison",
        lambda: grad(ec.tuple_comparison, 1.0),
        U,
        words=["tuple"],
    ),
    case(
        "tuple_augassign",
        lambda: grad(ec.tuple_augassign, 1.0),
        U,
        words=["tuple"],
    ),
    case(
        "branch_tuple_mismatch",
        lambda: grad(ec.branch_tuple_mismatch, 1.0),
        U,
        words=["tuple"],
    ),
    # -- names assigned on one path only ------------------------------------------
    case(
        "one_branch_undefined",
        lambda: grad(ec.one_branch_undefined, 1.0),
        U,
        words=["'y'"],
    ),
    case(
        "one_branch_shadows_global",
        lambda: grad(ec.one_branch_shadows_global, 1.0),
        U,
        words=["y_global"],
    ),
    # -- outputs -------------------------------------------------------------------
    case("returns_tuple", lambda: grad(ec.returns_tuple, 1.0), A, words=["tuple"]),
    case(
        "returns_tuple_value_and_grad",
        lambda: symdiff.value_and_grad(ec.returns_tuple, jit=False)(1.0),
        A,
        marker="returns_tuple",
        words=["tuple"],
    ),
    case("returns_int", lambda: grad(ec.returns_int, 1.0), A, words=["int"]),
    case("returns_bool", lambda: grad(ec.returns_bool, 1.0), A, words=["bool"]),
    # -- argnums ---------------------------------------------------------------------
    case(
        "argnums_too_large",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=2),
        A,
        marker="two_params",
        words=["argnums", "2", "range"],
    ),
    case(
        "argnums_too_negative",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=-3),
        A,
        marker="two_params",
        words=["argnums", "-3", "range"],
    ),
    case(
        "argnums_in_tuple_out_of_range",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=(0, 5)),
        A,
        marker="two_params",
        words=["argnums", "5", "range"],
    ),
    case(
        "argnums_repeated",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=(0, 0)),
        A,
        marker="two_params",
        words=["argnums", "repeat"],
    ),
    case(
        "argnums_repeated_negative",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=(1, -1)),
        A,
        marker="two_params",
        words=["argnums", "repeat"],
    ),
    case(
        "argnums_str",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums="x"),
        A,
        marker="two_params",
        words=["argnums", "'x'"],
    ),
    case(
        "argnums_float",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=1.5),
        A,
        marker="two_params",
        words=["argnums", "1.5"],
    ),
    case(
        "argnums_bool",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=True),
        A,
        marker="two_params",
        words=["argnums", "True"],
    ),
    case(
        "argnums_empty",
        lambda: grad(ec.two_params, 1.0, 2.0, argnums=()),
        A,
        marker="two_params",
        words=["argnums", "empty"],
    ),
    case(
        "vjp_argnums_out_of_range",
        lambda: symdiff.vjp(ec.two_params, 1.0, 2.0, argnums=3, jit=False),
        A,
        marker="two_params",
        words=["argnums", "3"],
    ),
    # -- arguments -----------------------------------------------------------------------
    case(
        "grad_wrt_int",
        lambda: grad(ec.two_params, 2, 3.0),
        A,
        marker="two_params",
        words=["'x'", "int"],
    ),
    case(
        "grad_wrt_bool",
        lambda: grad(ec.two_params, True, 3.0),
        A,
        marker="two_params",
        words=["'x'", "bool"],
    ),
    case(
        "grad_wrt_int_forward",
        lambda: grad(ec.two_params, 2.0, 3, argnums=1, mode="forward"),
        A,
        marker="two_params",
        words=["'y'", "int"],
    ),
    case(
        "too_few_args",
        lambda: grad(ec.two_params, 1.0),
        A,
        marker="two_params",
        words=["two_params"],
    ),
    case(
        "too_many_args",
        lambda: grad(ec.one_param, 1.0, 2.0),
        A,
        marker="one_param",
        words=["one_param"],
    ),
    case(
        "unknown_keyword_arg",
        lambda: grad(ec.one_param, 1.0, z=2.0),
        A,
        marker="one_param",
        words=["one_param", "z"],
    ),
    case("string_arg", lambda: grad(ec.one_param, "1.0"), A, marker="one_param", words=["str"]),
    case(
        "array_output_for_grad",
        lambda: grad(ec.array_output, np.ones(2)),
        A,
        words=["array", "scalar"],
    ),
    case(
        "bad_mode",
        lambda: grad(ec.one_param, 1.0, mode="sideways"),
        A,
        marker="one_param",
        words=["mode", "sideways"],
    ),
    case(
        "bad_kind",
        lambda: symdiff.derivative_source(ec.one_param, 1.0, kind="hessian"),
        A,
        marker="one_param",
        words=["kind", "hessian"],
    ),
    case(
        "vjp_argnums_float",
        lambda: symdiff.vjp(ec.two_params, 1.0, 2.0, argnums=1.5, jit=False),
        A,
        marker="two_params",
        words=["argnums", "1.5"],
    ),
    case(
        "vjp_cotangent_not_a_number",
        lambda: symdiff.vjp(ec.two_params, 1.0, 2.0, jit=False)[1]("a"),
        A,
        marker="two_params",
        words=["cotangent"],
    ),
    # -- jvp -----------------------------------------------------------------------------
    case(
        "jvp_too_few_tangents",
        lambda: symdiff.jvp(ec.two_params, (1.0, 2.0), (1.0,), jit=False),
        A,
        marker="two_params",
        words=["tangent"],
    ),
    case(
        "jvp_too_many_tangents",
        lambda: symdiff.jvp(ec.one_param, (1.0,), (1.0, 1.0), jit=False),
        A,
        marker="one_param",
        words=["tangent"],
    ),
    case(
        "jvp_all_none",
        lambda: symdiff.jvp(ec.two_params, (1.0, 2.0), (None, None), jit=False),
        A,
        marker="two_params",
        words=["None"],
    ),
    case(
        "jvp_wrong_number_of_primals",
        lambda: symdiff.jvp(ec.two_params, (1.0,), (1.0,), jit=False),
        A,
        marker="two_params",
        words=["two_params", "2"],
    ),
    case(
        "jvp_primals_not_a_tuple",
        lambda: symdiff.jvp(ec.one_param, 1.0, (1.0,), jit=False),
        A,
        marker="one_param",
        words=["primals"],
    ),
    case(
        "jvp_tangent_not_a_tuple",
        lambda: symdiff.jvp(ec.one_param, (1.0,), 1.0, jit=False),
        A,
        marker="one_param",
        words=["tangent"],
    ),
    case(
        "jvp_tangent_not_a_number",
        lambda: symdiff.jvp(ec.one_param, (1.0,), ("a",), jit=False),
        A,
        marker="one_param",
        words=["tangent"],
    ),
    case(
        "jvp_tangent_for_int",
        lambda: symdiff.jvp(ec.two_params, (2, 3.0), (1.0, None), jit=False),
        A,
        marker="two_params",
        words=["'x'", "int"],
    ),
    # -- other API entry points -------------------------------------------------------
    case(
        "value_and_grad_loop_else",
        lambda: symdiff.value_and_grad(ec.loop_else, jit=False)(1.0),
        U,
        marker="loop_else",
        words=["else"],
    ),
    case(
        "forward_write_input",
        lambda: symdiff.grad(ec.write_input, mode="forward", jit=False)(np.ones(3)),
        ShapeError,
        marker="write_input",
        words=["input array"],
    ),
    case(
        "vjp_subscript",
        lambda: symdiff.vjp(ec.subscript, 1.0, jit=False),
        ShapeError,
        marker="subscript",
        words=[("subscript", "index")],
    ),
    case(
        "derivative_source_try",
        lambda: symdiff.derivative_source(ec.try_except, 1.0),
        U,
        marker="try_except",
        words=["try"],
    ),
    case(
        "differentiate_grad_unknown",
        lambda: symdiff.differentiate(ec.unknown_ulp, jit=False).grad(1.5),
        K,
        marker="unknown_ulp",
        words=["math.ulp"],
    ),
    case(
        "forward_mode_name_not_defined",
        lambda: grad(ec.name_not_defined, 1.0, mode="forward"),
        U,
        marker="name_not_defined",
        words=["undefined_name"],
    ),
    # An axis symdiff cannot read at compile time was taken as axis=None (a sum
    # of everything): refused instead.
    case(
        "axis_from_local",
        lambda: grad(ec.axis_from_local, np.ones((2, 3))),
        U,
        words=["axis", "constant"],
    ),
    case(
        "axis_from_param",
        lambda: grad(ec.axis_from_param, np.ones((2, 3)), 0),
        U,
        words=["axis", "constant"],
    ),
]


def _params(cases):
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def test_case_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("c", _params(CASES))
def test_error(c: Case):
    with pytest.raises(Exception) as info:
        c.call()
    err = info.value
    # Never an internal exception: always the documented class.
    assert isinstance(err, SymDiffError), f"internal {type(err).__name__}: {err}"
    assert isinstance(err, c.exc), f"expected {c.exc.__name__}, got {type(err).__name__}"

    # Located at the offending construct.
    assert err.loc is not None, "error has no location"
    if c.where is not None:
        filename, lineno = c.where
        assert err.filename == filename
        assert err.lineno == lineno
    else:
        assert os.path.samefile(err.filename, CASES_FILE), err.filename
        assert err.lineno == marker_line(c.marker), str(err)
    assert isinstance(err.col, int) and err.col >= 0

    # The message names the construct (a tuple lists acceptable spellings).
    for word in c.words:
        options = (word,) if isinstance(word, str) else word
        assert any(w.lower() in err.message.lower() for w in options), (
            f"none of {options!r} in {err.message!r}"
        )

    # No internal names (environment keys, IR temporaries) leak into the message.
    assert "<return>" not in err.message and "$" not in err.message, err.message

    # A hint says what to write instead.
    assert isinstance(err.hint, str) and err.hint.strip()

    # str(): "file.py:LINE:COL: message", the source line, a caret, the hint.
    text = str(err)
    assert text.startswith(f"{err.filename}:{err.lineno}:{err.col + 1}: {err.message}")
    assert err.hint in text
    if c.where is None:
        source_line = CASES_FILE.read_text().splitlines()[err.lineno - 1]
        assert source_line.strip() in text
        caret_line = " " * (4 + err.col) + "^"
        assert caret_line in text.splitlines()
        assert err.source_line == source_line


def test_error_columns():
    """Columns point at the construct itself, not just its line."""
    cases = {
        "subscript": (lambda: grad(ec.subscript, 1.0), "x[0]"),
        "bitwise_and": (lambda: grad(ec.bitwise_and, 1.0, 2.0), "x & y"),
        "unknown_ulp": (lambda: grad(ec.unknown_ulp, 1.5), "math.ulp(x)"),
        "name_not_defined": (lambda: grad(ec.name_not_defined, 1.0), "undefined_name"),
        "string_arithmetic": (lambda: grad(ec.string_arithmetic, 1.0), '"a"'),
        "try_except": (lambda: grad(ec.try_except, 1.0), "try:"),
    }
    lines = CASES_FILE.read_text().splitlines()
    for marker, (call, snippet) in cases.items():
        with pytest.raises(SymDiffError) as info:
            call()
        line = lines[marker_line(marker) - 1]
        assert info.value.col == line.index(snippet), (marker, info.value.col, line)


def test_all_error_classes_are_symdiff_errors():
    for cls in (U, K, S, A):
        assert issubclass(cls, SymDiffError)
        assert issubclass(cls, Exception)


def test_every_marker_is_used():
    """Each `# ERR:` marker in error_cases.py belongs to a tested case."""
    used = {c.marker for c in CASES if c.marker}
    markers = set(re.findall(r"# ERR: (\w+)$", CASES_FILE.read_text(), re.MULTILINE))
    assert markers <= used, markers - used


# ---------------------------------------------------------------------------
# Harmless statements: print, assert, docstrings, pass, bare constants.

HARMLESS = [
    ("with_print", (1.5,), 2 * 1.5),
    ("with_assert", (1.5,), 3 * 1.5**2),
    ("with_docstring", (0.7,), 2 * 0.7 + math.cos(0.7)),
    ("with_pass", (1.5,), 3.0),
    ("with_pass", (-1.5,), 3.0),
    ("with_bare_constant", (1.5,), 2 * 1.5),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(("name", "args", "expected"), HARMLESS)
def test_harmless_statements(name, args, expected, mode, capsys):
    f = getattr(ec, name)
    assert symdiff.grad(f, mode=mode, jit=False)(*args) == pytest.approx(expected)
    value, g = symdiff.value_and_grad(f, mode=mode, jit=False)(*args)
    assert value == pytest.approx(f(*args))
    assert g == pytest.approx(expected)


def test_harmless_everything_all_entry_points(capsys):
    f = ec.with_everything  # z = x*y; return z + x
    x, y = 1.5, -2.0
    assert symdiff.grad(f, argnums=(0, 1), jit=False)(x, y) == pytest.approx((y + 1.0, x))
    value, tangent = symdiff.jvp(f, (x, y), (1.0, 0.5), jit=False)
    assert value == pytest.approx(x * y + x)
    assert tangent == pytest.approx((y + 1.0) * 1.0 + x * 0.5)
    value, pullback = symdiff.vjp(f, x, y, jit=False)
    assert pullback(2.0) == pytest.approx((2.0 * (y + 1.0), 2.0 * x))
    source = symdiff.derivative_source(f, x, y)
    assert "print" not in source
    assert "assert" not in source


def test_print_not_run_by_derivative(capsys):
    """The derivative drops print() calls: nothing is printed."""
    symdiff.grad(ec.with_print, jit=False)(2.0)
    assert capsys.readouterr().out == ""
