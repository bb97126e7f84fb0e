"""symdiff: a source-to-source differentiation compiler for Python.

Reads the source of an ordinary numeric Python function, generates forward-
or reverse-mode derivative code as readable Python, and compiles it with
Numba.  Every derivative can be checked against SymPy and finite
differences.
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402
    Differentiated,
    derivative_source,
    differentiate,
    grad,
    jvp,
    value_and_grad,
    vjp,
)
from .errors import (  # noqa: E402
    ArgumentError,
    SourceUnavailableError,
    SymDiffError,
    UnknownFunctionError,
    UnsupportedSyntaxError,
)
from .verify import GradCheckReport, check_grad  # noqa: E402

__all__ = [
    "ArgumentError",
    "Differentiated",
    "GradCheckReport",
    "SourceUnavailableError",
    "SymDiffError",
    "UnknownFunctionError",
    "UnsupportedSyntaxError",
    "check_grad",
    "derivative_source",
    "differentiate",
    "grad",
    "jvp",
    "value_and_grad",
    "vjp",
]
