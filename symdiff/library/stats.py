"""``scipy.stats.norm`` and ``scipy.stats.t``: ``logpdf``, ``pdf``, ``cdf`` and
``logcdf`` with ``loc=`` and ``scale=`` (and ``df`` for ``t``), by position or
by name, as SciPy's frozen distribution objects take them.

Every density is written in log space first (``pdf`` is ``exp(logpdf)``);
``norm.logcdf`` is ``log_ndtr`` of the standardised value, accurate far in
the lower tail.  ``t.cdf`` and ``t.logcdf`` need the incomplete beta
function, which symdiff has no rule for: they are refused.
"""

import math

import numpy as np

from ..primitives.naming import OBJECT_PRIMITIVES
from .registry import define, refuse

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_PI = 0.5 * math.log(math.pi)


def _log_ndtr(x):
    raise TypeError("the primitive log_ndtr is read by symdiff, not called")


OBJECT_PRIMITIVES[id(_log_ndtr)] = (_log_ndtr, "log_ndtr")


@define("scipy.stats.norm.logpdf")
def norm_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -0.5 * (z * z) - np.log(scale) - _LOG_SQRT_2PI


@define("scipy.stats.norm.pdf")
def norm_pdf(x, loc=0.0, scale=1.0):
    return np.exp(norm_logpdf(x, loc, scale))


@define("scipy.stats.norm.cdf")
def norm_cdf(x, loc=0.0, scale=1.0):
    return 0.5 * math.erfc(-((x - loc) / scale) * _SQRT_HALF)


@define("scipy.stats.norm.logcdf")
def norm_logcdf(x, loc=0.0, scale=1.0):
    return _log_ndtr((x - loc) / scale)


@define("scipy.stats.t.logpdf")
def t_logpdf(x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    half = 0.5 * (df + 1.0)
    normaliser = math.lgamma(half) - math.lgamma(0.5 * df) - 0.5 * np.log(df) - _LOG_SQRT_PI
    return normaliser - np.log(scale) - half * np.log1p(z * z / df)


@define("scipy.stats.t.pdf")
def t_pdf(x, df, loc=0.0, scale=1.0):
    return np.exp(t_logpdf(x, df, loc, scale))


@define("scipy.stats.t.cdf scipy.stats.t.logcdf")
def t_cdf(x, df, loc=0.0, scale=1.0):
    refuse(
        "scipy.stats.t.cdf and .logcdf are not supported (they need the incomplete beta "
        "function, which has no derivative rule here)",
        "use scipy.stats.t.logpdf, or scipy.stats.norm.cdf for large df",
    )
