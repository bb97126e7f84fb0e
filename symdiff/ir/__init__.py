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
* ``Op.attrs`` holds static parameters of an operation (an ``axis=``, a
  shape), leaving room for array primitives next to the scalar ones.

Every node is an immutable, slotted dataclass: passes build new trees.

The package is split by what each module is about: ``nodes`` (the node
types and ``Kind``), ``traverse`` (walking and rewriting bodies), ``names``
(SSA versions and fresh names), ``kinds`` (the kind of an atom),
``listing`` (a debug listing).  Everything
is re-exported here: ``from symdiff.ir import Assign`` and ``ir.walk`` work.
"""

from .kinds import atom_kind, const_kind
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
    If,
    Kind,
    Loop,
    Op,
    Phi,
    Stmt,
    Var,
    atoms_of,
    kind_of_states,
    map_result,
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
    "STORES",
    "BodyVisitor",
    "atom_kind",
    "const_kind",
    "Assign",
    "Atom",
    "Carry",
    "Const",
    "Function",
    "If",
    "Kind",
    "Loop",
    "Namer",
    "Op",
    "Phi",
    "Stmt",
    "Var",
    "atoms_of",
    "bodies",
    "comes_back",
    "defined_in",
    "defined_names",
    "format_function",
    "kind_of_states",
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
