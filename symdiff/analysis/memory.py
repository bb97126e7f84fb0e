"""Aliasing and mutation: NumPy memory sharing that symdiff's values lack.

Two checks, both at the user's line:

* ``InputAliases`` follows, while kinds are inferred, which values share
  memory with an input array (the array itself under another name, or a
  view of it) and refuses writes into them: symdiff does not modify the
  caller's arrays.
* ``check_shared_memory`` refuses reading a view (``r = t[0]``, ``t.T``) or
  a second name (``u = t``) of an array after a write into that array:
  NumPy shows the write through it, symdiff's values never change.
"""

from __future__ import annotations

from .. import ir
from ..errors import ShapeError
from ..ir import Assign, If, Kind, Op, Var
from ..primitives import PRIMITIVES


def _check_inplace(value: Op, kinds, views, loc):
    """``w += ...`` on an input array (or a view of one: ``w = x[0]``) would
    modify the caller's array."""
    first = value.args[0]
    if (
        value.attrs.inplace
        and isinstance(first, Var)
        and first.name in views
        and kinds[first.name].rank
    ):
        source, is_view = views[first.name]
        what = f"a view of the input array '{source}'" if is_view else f"the input array '{source}'"
        raise ShapeError(
            f"in-place update of {what}",
            loc,
            f"write {first.name} = {first.name} <op> ... (a new array); symdiff does not "
            "modify its inputs",
        )


def _check_store(value: Op, views: dict, loc):
    """``a[i] = v`` may only write into arrays the function made itself."""
    array = value.args[1]
    if not isinstance(array, Var) or array.name not in views:
        return
    source, is_view = views[array.name]
    if not is_view:
        message = f"writing into the input array '{source}'"
        hint = f"write into a copy: {source} = {source}.copy(), or a new array (np.zeros_like)"
    else:
        message = f"writing into a view of '{source}' (a slice, reshape or transpose)"
        hint = "write into a copy (.copy()) or into the original array"
    raise ShapeError(message, loc, hint + "; symdiff does not modify arrays it did not create")


class InputAliases:
    """Arrays that share memory with a parameter or another array:
    ``views`` maps a name to (that array, is it a view of it rather than the
    array itself).  Kept up to date by the kind inference, statement by
    statement, so that its refusals come in program order with the rank
    errors.  ``generated``: derivative code, which writes into the adjoint
    arrays it is given (code generation copies them where that matters)."""

    def __init__(self, kinds: dict, generated: bool):
        self.kinds = kinds
        self.generated = generated
        self.views = {name: (name, False) for name, kind in kinds.items() if kind.rank}

    def view_of(self, *atoms):
        """The (array, is a view) the first of ``atoms`` that shares memory has, or None."""
        for atom in atoms:
            if isinstance(atom, Var) and atom.name in self.views:
                return self.views[atom.name]
        return None

    def operation(self, stmt: Assign, kind: Kind):
        """Refuse ``stmt``'s write into an input array; record the view it makes."""
        value = stmt.value
        _check_inplace(value, self.kinds, self.views, stmt.loc)
        if value.prim in ir.STORES and not self.generated:
            _check_store(value, self.views, stmt.loc)
        elif PRIMITIVES[value.prim].view and kind.rank and isinstance(value.args[0], Var):
            root = self.view_of(value.args[0])
            self.views[stmt.target] = (root[0] if root else value.args[0].name, True)

    def share(self, target: str, *sources):
        """``target`` is one of ``sources`` (a second name, a phi, a carried value)."""
        if (source := self.view_of(*sources)) is not None:
            self.views[target] = source


def check_shared_memory(fn: ir.Function, kinds: dict) -> None:
    """Refuse a read of a view or a second name of an array after a write
    into the array (``ShapeError`` at the read)."""
    _SharedMemory(fn, kinds).check()


class _SharedMemory(ir.BodyVisitor):
    """NumPy semantics that symdiff's values lack: a view (``r = t[0]``,
    ``t.T``, ``t.reshape(...)``) or a second name (``u = t``) shares its
    array's memory, so a later write into the array (``t[i] = v``,
    ``t += v``) shows through it.  symdiff's values never change: reading
    such a name after the write is refused rather than given the old values.

    Each array value has a root (the value owning its memory) and the number
    of writes into that root when it was made; a value read after a later
    write into its root is stale."""

    def __init__(self, fn: ir.Function, kinds: dict):
        self.fn = fn
        self.kinds = kinds
        self.root: dict = {}  # array value -> the value owning its memory
        self.epoch: dict = {}  # array value -> writes into its root when it was made
        self.writes: dict = {}  # root -> (number of writes into it, where the last was)

    def check(self):
        for param in self.fn.params:
            self.define(param, param)
        self.block(self.fn.body)
        for atom in ir.atoms_of(self.fn.result):
            self.read(atom, self.fn.result_loc)

    def define(self, name, root):
        if self.kinds[name].rank:
            self.root[name] = root
            self.epoch[name] = self.writes.get(root, (0, None))[0]

    def shares(self, atom):
        """The root ``atom`` shares memory with, or None."""
        return self.root.get(atom.name) if isinstance(atom, Var) else None

    def read(self, atom, loc):
        root = self.shares(atom)
        if root is None:
            return
        count, where = self.writes.get(root, (0, None))
        if self.epoch[atom.name] < count:
            names = ir.defined_names(self.fn)
            user, array = ir.version_of(atom.name, names), ir.version_of(root, names)
            line = f" at line {where.lineno}" if where is not None else ""
            what = (
                f"'{user}', which shares memory with '{array}' (a view of it),"
                if user != array
                else f"'{user}' as it was before, under a second name (u = {user}),"
            )
            raise ShapeError(
                f"this reads {what} after a write into '{array}'{line}: NumPy shows the "
                "write through it, symdiff's values never change",
                loc,
                "make a copy where the view or the second name is made (.copy()), or read it "
                "before the write",
            )

    def write(self, atom, loc):
        root = self.shares(atom)
        if root is not None:
            self.writes[root] = (self.writes.get(root, (0, None))[0] + 1, loc)
        return root

    def assign(self, stmt: Assign):
        for atom in ir.reads(stmt):
            self.read(atom, stmt.loc)
        value, root = stmt.value, None
        if isinstance(value, Var):
            root = self.shares(value)
        elif isinstance(value, Op) and value.prim in ir.STORES:
            root = self.write(value.args[1], stmt.loc)
        elif isinstance(value, Op) and value.attrs.inplace:
            root = self.write(value.args[0], stmt.loc)
        elif isinstance(value, Op) and PRIMITIVES[value.prim].view:
            root = self.shares(value.args[0])
        self.define(stmt.target, root or stmt.target)

    def branch(self, stmt: If):
        self.read(stmt.cond, stmt.loc)
        before = dict(self.writes)
        self.block(stmt.body)
        for phi in stmt.phis:
            self.read(phi.then, stmt.loc)
        after_body, self.writes = self.writes, before
        self.block(stmt.orelse)
        for phi in stmt.phis:
            self.read(phi.orelse, stmt.loc)
        for root, entry in after_body.items():  # writes on either branch count after it
            self.writes[root] = max(self.writes.get(root, (0, None)), entry, key=_count)
        for phi in stmt.phis:
            roots = {self.shares(phi.then), self.shares(phi.orelse)}
            shared = roots.pop() if len(roots) == 1 else None
            self.define(phi.target, shared or phi.target)

    def loop(self, stmt: ir.Loop):
        for carry in stmt.carried:
            self.read(carry.init, stmt.loc)
        for _ in range(2):  # twice: a write in one iteration shows in the next
            before = dict(self.writes)
            for carry in stmt.carried:
                self.define(carry.name, self.shares(carry.init) or carry.name)
            self.block(stmt.header)
            self.block(stmt.body)
            for carry in stmt.carried:
                self.read(carry.next, stmt.loc)
            if self.writes == before:
                break
        for carry in stmt.carried:
            self.define(carry.name, self.shares(carry.init) or carry.name)


def _count(entry):
    return entry[0]
