"""Where the generated code's implicit inputs are read, at each call.

A free name of the user's function (a module global, a closure variable)
that holds a number or an array is read when the function runs, as Python
reads it; so is an attribute of a user module, a class or an object held in
one (``config.lr``, ``SlabIndices.AREA``, ``model.W``).  A ``Reader`` is
that place: a *root* (a globals dict and a key, a closure cell, or one of
the call's arguments) and a *path* of attribute and item steps from it.
``Reader.read(args)`` reads the current value; it costs a dict or cell read
per root and one ``getattr`` or item per step.

``value_key`` is what a specialisation depends on in a value read this
way: the type of a number; the rank, dtype and size-1 axes of an array; the
structure of a container.  ``signature.read_implicit`` generates the code
that reads and checks them at each call (about 0.2 µs a value).
"""

from __future__ import annotations

import operator

import numpy as np

from ..pytree import SCALAR_TYPES, array_key


class Reader:
    """A place a value is read from when the generated code is called.

    ``label`` says it as the user writes it (``config.lr``, ``PARAMS[0]``).
    Two readers are equal when they read the same place (the same dict or
    cell object, the same key and path).
    """

    __slots__ = ("label", "read", "_place", "root", "steps")

    def __init__(self, label: str, read, place: tuple, root=None, steps=()):
        self.label = label
        self.read = read  # args -> the value now
        self._place = place
        # ("global", dict, key) | ("cell", cell) | ("argument", index) | ("object", fn),
        # then ("attr", name) / ("item", key) steps: what ``expression`` spells
        self.root = root if root is not None else ("object", read)
        self.steps = steps

    @classmethod
    def of_global(cls, scope: dict, name: str) -> Reader:
        get = scope.__getitem__
        return cls(
            name, lambda args: get(name), ("global", id(scope), name), ("global", scope, name)
        )

    @classmethod
    def of_cell(cls, cell, name: str) -> Reader:
        return cls(name, lambda args: cell.cell_contents, ("cell", id(cell)), ("cell", cell))

    @classmethod
    def of_argument(cls, index: int, name: str) -> Reader:
        return cls(name, operator.itemgetter(index), ("argument", index), ("argument", index))

    @classmethod
    def of_object(cls, value, label: str) -> Reader:
        """The reader of an object fixed when the code is generated (a
        helper's default ``rs=npr.RandomState(0)``): that object itself,
        whose state the call then uses, as Python does."""
        return cls(label, lambda args: value, ("object", id(value)))

    def attribute(self, attr: str) -> Reader:
        """The reader of ``self.attr``."""
        read = self.read
        return Reader(
            f"{self.label}.{attr}",
            lambda args: getattr(read(args), attr),
            (*self._place, attr),
            self.root,
            (*self.steps, ("attr", attr)),
        )

    def item(self, key) -> Reader:
        """The reader of ``self[key]``."""
        read = self.read
        shown = repr(key) if isinstance(key, (str, int, float)) else f"<{type(key).__name__}>"
        return Reader(
            f"{self.label}[{shown}]",  # an object key without its address: deterministic code
            lambda args: read(args)[key],
            (*self._place, ("item", key)),
            self.root,
            (*self.steps, ("item", key)),
        )

    def expression(self, namespace: dict, prefix: str) -> str:
        """Python source reading the value from ``args`` (the call's
        arguments), with the objects it needs put in ``namespace`` under
        names starting with ``prefix``: ``_r0["X_train"]``, ``_r1.cell_contents.W``."""
        how, *rest = self.root
        if how == "argument":
            text = f"args[{rest[0]}]"
        else:
            namespace[prefix] = rest[0]
            text = {"global": f"{prefix}[{prefix}_key]", "cell": f"{prefix}.cell_contents"}.get(
                how, f"{prefix}(args)"
            )
            if how == "global":
                namespace[f"{prefix}_key"] = rest[1]
        for number, (step, key) in enumerate(self.steps):
            if step == "attr":
                text += f".{key}"
            else:
                namespace[f"{prefix}_{number}"] = key
                text += f"[{prefix}_{number}]"
        return text

    @property
    def in_arguments(self) -> bool:
        """Is it read from the call's arguments (not from the user's program)?"""
        return self._place[0] == "argument"

    @property
    def whole_argument(self) -> bool:
        """Does it read one of the call's arguments itself (no path)?"""
        return self._place[0] == "argument" and len(self._place) == 2

    def __eq__(self, other):
        return isinstance(other, Reader) and self._place == other._place

    def __hash__(self):
        return hash(self._place)

    def __repr__(self):
        return f"Reader({self.label})"


def value_key(value):
    """The specialisation key of a value read by a ``Reader`` (see the module doc)."""
    kind_of = type(value)
    if kind_of in SCALAR_TYPES:
        return kind_of
    if kind_of is np.ndarray:
        return array_key(value)
    if kind_of is tuple or kind_of is list:
        return (kind_of, *map(value_key, value))
    if kind_of is dict:
        return (dict, tuple(value), *map(value_key, value.values()))
    return (kind_of,)
