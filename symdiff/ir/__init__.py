"""The intermediate representation.

A ``Function`` is a list of statements over named values.  Conventions:

* Straight-line code is in SSA form: every name is assigned exactly once.
  Values meeting after an ``If`` are joined by its ``phis`` (one ``Phi`` per
  name whose value depends on the branch taken).
* Operands are atoms (``Var`` or ``Const``); a statement computes at most one
  primitive operation (``Op``), so every intermediate value has a name.  This
  three-address form makes CSE, activity analysis and adjoints simple; code
  generation inlines single-use temporaries again for readability.
* Names starting with ``$`` are compiler temporaries; code generation gives
  them short readable names (``t0``, ``t1``, ...).  Every other name is shown
  as it is.
* ``Op.attrs`` holds static parameters of an operation (an ``axis=``, an
  index pattern) as an ``Attrs``; index items are ``Take``/``Span`` and axis
  size facts ``AxisSize`` (``payloads``): typed values, never strings.

Every node is an immutable, slotted dataclass: passes build new trees.

The package is split by what each module is about: ``nodes`` (the node
types and ``Kind``), ``payloads`` (attributes, index items, axis sizes),
``traverse`` (walking and rewriting bodies), ``names`` (SSA versions and
fresh names), ``kinds`` (the kind of an atom), ``listing`` (a debug
listing).  Everything
is re-exported here: ``from symdiff.ir import Assign`` and ``ir.walk`` work.
"""

from .kinds import atom_kind, const_kind, join_kinds
from .listing import format_function
from .names import Namer, version_of
from .nodes import (
    BOOL,
    FLOAT,
    INT,
    Assign,
    Atom,
    Carry,
    Const,
    Function,
    Guard,
    If,
    Implicit,
    Kind,
    Loop,
    Op,
    Phi,
    Stmt,
    Var,
    atoms_of,
    map_result,
)
from .payloads import (
    NO_ATTRS,
    WHOLE,
    Attrs,
    AxisSize,
    IndexItem,
    Span,
    Take,
    index_rank,
)
from .traverse import (
    STORES,
    BodyVisitor,
    bodies,
    comes_back,
    defined_in,
    defined_names,
    map_bodies,
    reads,
    rename,
    replace_uses,
    targets,
    walk,
    with_bodies,
    written_in_place,
)

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "NO_ATTRS",
    "STORES",
    "WHOLE",
    "BodyVisitor",
    "atom_kind",
    "join_kinds",
    "const_kind",
    "Assign",
    "Atom",
    "Attrs",
    "AxisSize",
    "Carry",
    "Const",
    "Function",
    "Guard",
    "If",
    "Implicit",
    "IndexItem",
    "Kind",
    "Loop",
    "Namer",
    "Op",
    "Phi",
    "Span",
    "Stmt",
    "Take",
    "Var",
    "atoms_of",
    "bodies",
    "comes_back",
    "defined_in",
    "defined_names",
    "format_function",
    "index_rank",
    "map_bodies",
    "map_result",
    "reads",
    "rename",
    "replace_uses",
    "targets",
    "version_of",
    "walk",
    "with_bodies",
    "written_in_place",
]
