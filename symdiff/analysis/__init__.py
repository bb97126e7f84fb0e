"""Analyses of one IR function, each run on the IR it is asked about.

* ``kinds``: the kind (dtype, rank, size-1 axes) of every value and the
  active set, for one argument signature (``analyze``); rank errors at the
  user's line.
* ``memory``: aliasing and mutation: writes into input arrays, and reads of
  a view after a write into its array, are refused.
* ``loops``: dataflow facts about one loop for its reverse sweep (the
  arrays it writes into, what its carried values are computed from).
* ``bounds``: the index-bounds prover (``indices_in_bounds``), run on the
  code that is compiled.

Everything other modules use is re-exported here.
"""

from ..ir import BOOL, FLOAT, INT
from .bounds import indices_in_bounds
from .kinds import Analysis, analyze, const_kind, expr_kind, join, needs_sum, op_kind
from .memory import check_shared_memory

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "Analysis",
    "analyze",
    "check_shared_memory",
    "const_kind",
    "expr_kind",
    "indices_in_bounds",
    "join",
    "needs_sum",
    "op_kind",
]
