"""The examples in the docstrings of the public API run as doctests."""

import doctest
import importlib
import importlib.util

import numpy as np
import pytest


def _modules_with_examples() -> list:
    """Every module of the package whose source has a docstring example."""
    import pkgutil

    import symdiff

    names = [m.name for m in pkgutil.walk_packages(symdiff.__path__, "symdiff.")]
    out = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        if spec.origin and ">>> " in open(spec.origin, encoding="utf-8").read():
            out.append(name)
    return out


MODULES = _modules_with_examples()


def test_every_module_with_examples_is_found():
    assert {"symdiff.api", "symdiff.verify", "symdiff.explain", "symdiff.ir.listing"} <= set(
        MODULES
    )


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
    assert results.attempted > 0, f"{name} has examples, and none ran"


def test_the_public_functions_have_examples():
    import symdiff

    names = ("grad", "value_and_grad", "jvp", "vjp", "derivative_source", "check_grad", "explain")
    for name in names:
        assert ">>> " in getattr(symdiff, name).__doc__, name
    assert ">>> " in symdiff.differentiate.__doc__
