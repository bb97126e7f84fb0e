"""The library: NumPy and SciPy functions written in the Python symdiff reads.

Most of NumPy's and SciPy's numeric functions are compositions of a few
primitives: ``np.var`` is a mean of squared deviations, ``logsumexp`` a
shifted sum of exponentials, ``np.hstack`` a ``concatenate``.  Each is a
*definition* here: a plain Python function, written with the primitives of
``symdiff.primitives``, registered under the names users call it by
(``define``).  The frontend inlines a definition where the user calls the
function, as it inlines the user's own helpers, so both modes, Numba and
every later pass treat it as if the user had written it out; the generated
code names the user's line, not the library's (``frontend.source.DefinitionSource``).

Conventions for definitions:

* Options that NumPy takes as constants (``axis``, ``ddof``, ``keepdims``)
  are read as constants here too: code is generated per option value.
* A definition refuses what it does not cover with ``refuse(message, hint)``
  in a branch decided when the code is generated; the error names the
  user's call.
* ``known(value)`` is True when ``value`` is a constant when the code is
  generated (a literal, a global read then, a static value): a definition
  refuses what it cannot do with a value known only at run time.
* Values that must not be differentiated (the max shift of ``logsumexp``)
  go through ``stop_gradient``, so no adjoint code is generated for them.
* A primitive whose NumPy name is a definition's (``np.transpose`` is the
  definition that reads ``axes``; ``transpose`` the primitive) is called as
  ``apply("transpose", a, axes=(1, 0, 2))``: its operands, then its static
  parameters (``ir.Attrs`` fields).
* Free names of the library's modules are read once, when the code is
  generated (they are the library's own: never guarded, never inputs).

``definition_for(obj)`` and ``method_definition(name)`` are the frontend's
lookups; ``names_of_definitions()`` lists what is defined, for messages, and
``supported_functions()`` everything symdiff differentiates.
"""

from ..primitives import registry_names
from . import (  # noqa: F401  (the definitions: registered on import)
    indexing,
    joining,
    linalg,
    logspace,
    norms,
    operators,
    products,
    shapes,
    statistics,
    stats,
    ufuncs,
)
from .registry import (
    DEFINITIONS,
    Definition,
    Refusal,
    apply,
    define,
    definition_for,
    is_static,
    known,
    method_definition,
    names_of_definitions,
    refuse,
    static,
    stop_gradient,
)
from .rules import Rule, custom_jvp, custom_vjp, elementwise


def supported_functions() -> list[str]:
    """Every function and array method symdiff differentiates, as users call it.

    NumPy is spelled ``np.``; SciPy's functions are recognised by their
    dotted names (``scipy.special.gammaln``, ``scipy.stats.norm.pdf``);
    methods as ``x.sum()``.  Functions of your own (``def``) are read and
    differentiated too, and are not listed.

    Examples
    --------
    >>> import symdiff
    >>> "np.sin" in symdiff.supported_functions()
    True
    >>> "scipy.special.gammaln" in symdiff.supported_functions()
    True
    """
    spelled = registry_names()
    for definition in DEFINITIONS:
        spelled.update(n.replace("numpy.", "np.", 1) for n in definition.names)
        spelled.update(f"x.{method}()" for method in definition.methods)
    return sorted(spelled, key=lambda n: (n.startswith("x."), n.lower()))


__all__ = [
    "DEFINITIONS", "Definition", "Refusal", "apply", "define", "definition_for", "is_static", "known",
    "method_definition", "names_of_definitions", "refuse", "static", "stop_gradient",
    "supported_functions", "Rule", "custom_jvp", "custom_vjp", "elementwise",
]  # fmt: skip
