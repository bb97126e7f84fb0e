"""The examples in the docstrings of the public API run as doctests."""

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["symdiff.api", "symdiff.decorator", "symdiff.verify", "symdiff.signature"]
MODULES += ["symdiff.pipeline", "symdiff.entry", "symdiff.cli", "symdiff.explain"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    options = np.get_printoptions()
    np.set_printoptions(legacy="1.25")  # numbers print as 2.0, not np.float64(2.0)
    try:
        for test in tests:
            runner.run(test)
    finally:
        np.set_printoptions(**options)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring examples of {name} failed"


def test_the_public_functions_have_examples():
    import symdiff

    names = ("grad", "value_and_grad", "jvp", "vjp", "derivative_source", "check_grad", "explain")
    for name in names:
        assert ">>> " in getattr(symdiff, name).__doc__, name
    assert ">>> " in symdiff.differentiate.__doc__
