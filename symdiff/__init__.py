"""symdiff: a source-to-source differentiation compiler for Python.

Reads the source of an ordinary numeric Python function, generates forward-
or reverse-mode derivative code as readable Python, and compiles it with
Numba.  Every derivative can be checked against SymPy and finite
differences.
"""

from .api import (
    derivative_source,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
    vmap,
)
from .decorator import Differentiated, differentiate
from .errors import (
    ArgumentError,
    SourceUnavailableError,
    SymDiffError,
    UnknownFunctionError,
    UnsupportedSyntaxError,
)
from .explain import Trace, explain
from .library import custom_jvp, custom_vjp, elementwise, stop_gradient, supported_functions
from .verify import GradCheckReport, check_grad
from .version import __version__ as __version__

__all__ = [
    "ArgumentError",
    "Differentiated",
    "GradCheckReport",
    "SourceUnavailableError",
    "SymDiffError",
    "Trace",
    "UnknownFunctionError",
    "UnsupportedSyntaxError",
    "check_grad",
    "custom_jvp",
    "custom_vjp",
    "derivative_source",
    "differentiate",
    "elementwise",
    "explain",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "stop_gradient",
    "supported_functions",
    "value_and_grad",
    "vjp",
    "vmap",
]
