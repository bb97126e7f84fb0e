"""``scipy.stats.norm`` and ``scipy.stats.t``: ``logpdf``, ``pdf``, ``cdf`` and
``logcdf`` with ``loc=`` and ``scale=`` (and ``df`` for ``t``), by position or
by name, as SciPy's frozen distribution objects take them.

Every density is written in log space first (``pdf`` is ``exp(logpdf)``);
``norm.logcdf`` is ``log_ndtr`` of the standardised value, accurate far in
the lower tail.  ``t.cdf`` is ``stdtr`` (``symdiff.primitives.special``: the
incomplete beta function, with t's density as its derivative in ``x``, exact
at 0 too), ``t.logcdf`` its log; their derivative in ``df`` is refused.

Frozen distributions, ``scipy.stats.norm(loc, scale)`` and
``scipy.stats.t(df, loc, scale)`` called in the differentiated code, are
named tuples of their parameters (``FrozenNormal``, ``FrozenT``) whose
methods are the functions above.  A frozen object made outside the code
(a global holding ``norm(0, 1)``) is not read.
"""

import math
from typing import NamedTuple

import numpy as np

from ..primitives.naming import OBJECT_PRIMITIVES
from .registry import define

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_PI = 0.5 * math.log(math.pi)


def _log_ndtr(x):
    raise TypeError("the primitive log_ndtr is read by symdiff, not called")


def _stdtr(df, x):
    raise TypeError("the primitive stdtr is read by symdiff, not called")


OBJECT_PRIMITIVES[id(_log_ndtr)] = (_log_ndtr, "log_ndtr")
OBJECT_PRIMITIVES[id(_stdtr)] = (_stdtr, "stdtr")


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


@define("scipy.stats.t.cdf")
def t_cdf(x, df, loc=0.0, scale=1.0):
    return _stdtr(df, (x - loc) / scale)


@define("scipy.stats.t.logcdf")
def t_logcdf(x, df, loc=0.0, scale=1.0):
    return np.log(_stdtr(df, (x - loc) / scale))


# -- frozen distributions: scipy.stats.norm(loc, scale).logpdf(x) ----------------
class FrozenNormal(NamedTuple):
    """``scipy.stats.norm(loc, scale)``: its methods are the functions' with
    these parameters."""

    loc: float
    scale: float

    def logpdf(self, x):
        return norm_logpdf(x, self.loc, self.scale)

    def pdf(self, x):
        return norm_pdf(x, self.loc, self.scale)

    def cdf(self, x):
        return norm_cdf(x, self.loc, self.scale)

    def logcdf(self, x):
        return norm_logcdf(x, self.loc, self.scale)


class FrozenT(NamedTuple):
    """``scipy.stats.t(df, loc, scale)``."""

    df: float
    loc: float
    scale: float

    def logpdf(self, x):
        return t_logpdf(x, self.df, self.loc, self.scale)

    def pdf(self, x):
        return t_pdf(x, self.df, self.loc, self.scale)

    def cdf(self, x):
        return t_cdf(x, self.df, self.loc, self.scale)

    def logcdf(self, x):
        return t_logcdf(x, self.df, self.loc, self.scale)


@define("scipy.stats.norm")
def norm(loc=0.0, scale=1.0):
    return FrozenNormal(loc, scale)


@define("scipy.stats.t")
def t(df, loc=0.0, scale=1.0):
    return FrozenT(df, loc, scale)
