"""Names -> values: locals, then the function's closure, globals and builtins.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A name
bound in the function is looked up in ``env``; a name the function assigns
on some paths only is an error where it may be unbound.  Any other name is
free and resolved as Python would (``Source.locate``), and so is an
attribute path from it (``config.lr``, ``SlabIndices.AREA``, ``model.W``):

* a number or an array (or a tuple, list or dict of them) is an *implicit
  input* (``free_value``): a parameter of the generated code named after
  the user's name (``X_train``, ``config_lr``), which the API reads at each
  call (``ir.Implicit``, with its ``readers.Reader``), as Python reads a
  global when the function runs.  Its kind is part of the specialisation.
* a bool, None or a string is read now and decides the code; it is guarded
  by value (``ir.Guard``): rebinding it makes a new specialisation.  So is
  an int used where a compile-time constant is needed (``axis=AXIS``, a
  container index: ``static``, ``known``).
* builtins and the attributes of library modules (``math.pi``, ``np.inf``)
  are fixed: numbers there are constants.
* other objects (modules, functions, classes, instances) are static values:
  their attributes are read as above, functions are called (``resolve``).
"""

from __future__ import annotations

import ast
import numbers
import sys
import types

import numpy as np

from .. import ir, pytree
from ..errors import SymDiffError
from ..ir import Const, Var
from .readers import value_key
from .values import DictValue, ListValue, ObjectValue, StaticValue, named_value_type

LIBRARIES = frozenset({"numpy", "scipy", "sympy", "numba"})  # besides the standard library


def is_library(module) -> bool:
    """Is ``module`` part of Python or of an installed library (not the user's)?"""
    top = (getattr(module, "__name__", "") or "").partition(".")[0]
    if top in sys.stdlib_module_names or top in LIBRARIES:
        return True
    path = getattr(module, "__file__", None) or ""
    return "site-packages" in path or "dist-packages" in path


class Names:
    """Resolution of names (mixed into ``frontend.Converter``)."""

    def expr_Name(self, e):
        return self.name(e)

    def name(self, e):
        if e.id in self.env:
            return self.env[e.id]
        if e.id in self.src.local_names:
            self.fail(
                e,
                f"'{e.id}' may be undefined here: it is assigned on some paths only",
                f"assign '{e.id}' before the `if` or loop, or on every branch",
            )
        return self.free(e)

    def free(self, node):
        """The value of a free name or of an attribute path from one."""
        value, reader = self.free_place(node)
        return self.free_value(value, reader, node, ast.unparse(node))

    def free_place(self, node):
        """The current value of a free name or attribute path, and the
        ``Reader`` that reads it at each call (None where it is fixed:
        builtins, attributes of library modules)."""
        if isinstance(node, ast.Name):
            return self.src.locate(node.id, node)
        if not isinstance(node, ast.Attribute) or self._is_local(node.value):
            self.fail(node, "this expression is not a name", "use names and attributes")
        base, reader = self.free_place(node.value)
        if isinstance(base, types.ModuleType) and is_library(base):
            reader = None
        if not hasattr(base, node.attr):
            what = (
                f"module '{base.__name__}'"
                if isinstance(base, types.ModuleType)
                else f"'{ast.unparse(node.value)}' ({type(base).__name__})"
            )
            self.fail(node, f"{what} has no attribute '{node.attr}'", "check the spelling")
        return getattr(base, node.attr), reader and reader.attribute(node.attr)

    def free_value(self, value, reader, node, label):
        """What a free value is in the code (see the module docstring)."""
        if reader is None:
            return self.constant(value, node, label)
        if isinstance(value, (bool, np.bool_, str)) or value is None:
            self.guard(reader, value)
            return Const(bool(value)) if isinstance(value, (bool, np.bool_)) else StaticValue(value)
        try:
            tree = pytree.describe(value)
        except pytree.NotALeaf as exc:
            if isinstance(exc.value, np.ndarray):
                self.fail(
                    node,
                    f"'{label}{exc.path}' is an array of dtype {exc.value.dtype}",
                    "use float64 (or int, bool) arrays",
                )
            tree = pytree.Static(value)
        if isinstance(tree, pytree.Static):  # its attributes are read through it
            self.shared.object_readers.setdefault(id(value), reader)
            return StaticValue(value)
        if isinstance(tree, pytree.Node):  # its structure decides the code
            self.shared.guards.setdefault(reader, ir.Guard(reader, value_key(value), "key"))
        names = iter(pytree.leaf_names(tree, _param_name(label)))
        return self._implicit_value(tree, value, reader, names)

    def _implicit_value(self, tree, value, reader, names):
        """The value of an implicit input described by ``tree``: its leaves
        are parameters (``Var``, named from ``names``), its containers are
        taken apart now."""
        if isinstance(tree, pytree.Leaf):
            return Var(self.implicit_input(reader, value, tree.kind, next(names)))
        if isinstance(tree, pytree.Static):  # CONFIG["mode"]: decides the code
            by = "value" if isinstance(value, str) or value is None else "identity"
            self.shared.guards.setdefault(reader, ir.Guard(reader, value, by))
            return StaticValue(tree.value)
        record = tree.type not in pytree.CONTAINERS and not pytree.is_named_tuple_type(tree.type)
        items = tuple(
            self._implicit_value(child, getattr(value, key), reader.attribute(key), names)
            if record  # an object's fields: model.W
            else self._implicit_value(child, value[key], reader.item(key), names)
            for key, child in zip(tree.keys, tree.children)
        )
        if record:
            return ObjectValue(tree.type, tree.keys, items, origin=value)
        if pytree.is_named_tuple_type(tree.type):
            return named_value_type(tree.type)(items)
        if tree.type is dict:
            made = DictValue(tree.keys, items)
        else:
            made = ListValue(items) if tree.type is list else items
        self.shared.free_containers.add(id(made))  # not changed in place: containers.mutate
        return made

    def static_attribute(self, base, attribute, node):
        """``base.name`` (``self.W`` in a method) of a static object: read at
        each call when the object is a free value (``free_value``), as
        ``model.W`` is."""
        reader = self.shared.object_readers.get(id(base.value))
        if reader is None:
            return self.python_value(attribute, node, ast.unparse(node))
        reader = reader.attribute(node.attr)
        return self.free_value(attribute, reader, node, reader.label)

    def implicit_input(self, reader, value, kind, name) -> str:
        """The parameter that ``reader``'s value (of ``kind``) is passed in."""
        record = self.shared.implicit.get(reader)
        if record is None:
            taken = {r.param for r in self.shared.implicit.values()}
            own = (len(self.stack) == 1 and name in self.shared.free_names) or (
                reader.whole_argument and reader.label == name
            )
            if own and name not in taken:
                param = (
                    name  # the user's own name (a free name, a static argument): no local has it
                )
            else:
                param = self.namer.fresh(name)
            record = ir.Implicit(param, reader, value_key(value), kind)
            self.shared.implicit[reader] = record
            self.set_kind(param, kind)  # the frontend knows kinds too (x.shape, x.ndim)
        return record.param

    def guard(self, reader, value):
        """The code depends on ``reader``'s value being ``value``."""
        if reader is not None:
            self.shared.guards.setdefault(reader, ir.Guard(reader, value))

    def known(self, value):
        """``value`` as a constant where code needs one (a container index):
        an implicit input holding an int is read now and guarded by value."""
        if isinstance(value, Var):
            for record in self.shared.implicit.values():
                if record.param == value.name and record.key is int:
                    current = record.reader.read(())
                    self.guard(record.reader, current)
                    return Const(current)
        return value

    def constant(self, value, node, label):
        """The value of ``value`` (named ``label``), fixed when the code is
        generated (a builtin, a library constant, a helper's default):
        numbers are constants, objects static values."""
        if isinstance(value, (bool, np.bool_)):
            return Const(bool(value))
        if isinstance(value, numbers.Integral):
            return Const(int(value))
        if isinstance(value, numbers.Real):
            return Const(float(value))
        if isinstance(value, tuple) and all(
            isinstance(v, numbers.Real) or pytree.is_static(v) for v in value
        ):
            return tuple(self.constant(v, node, label) for v in value)
        if isinstance(value, np.ndarray):
            self.fail(
                node,
                f"'{label}' is an array fixed when the code is generated",
                "pass it as an argument, or read it from a global of your module",
            )
        return StaticValue(value)

    def _is_local(self, node) -> bool:
        """Is ``node`` an expression over local values (not a module path)?"""
        while isinstance(node, ast.Attribute):
            node = node.value
        return (
            not isinstance(node, ast.Name) or node.id in self.env or node.id in self.src.local_names
        )

    def resolve(self, node):
        """The Python object a dotted name refers to (``np.sin``, ``math.pi``).

        A function of the user's reached through a global (``helper``,
        ``activation``, ``helpers.shifted``) is guarded by identity: rebinding
        the name makes a new specialisation, which calls the new function."""
        value, reader = self._resolve_place(node)
        if isinstance(value, types.FunctionType) and reader is not None:
            module = sys.modules.get(getattr(value, "__module__", None) or "")
            if module is None or not is_library(module):
                self.shared.guards.setdefault(reader, ir.Guard(reader, value, "identity"))
        return value

    def _resolve_place(self, node):
        """``resolve``'s object, and the reader of the name it came from."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                self.fail(
                    node,
                    f"'{node.id}' is a local value, not a module or function",
                    "call functions by their module-level name",
                )
            return self.src.locate(node.id, node)
        if isinstance(node, ast.Attribute):
            base, reader = self._resolve_place(node.value)
            if not isinstance(base, types.ModuleType):
                self.fail(
                    node,
                    f"attribute access on {type(base).__name__} objects is not supported",
                    "pass the value as a separate argument (object attributes "
                    "cannot be differentiated)",
                )
            if not hasattr(base, node.attr):
                self.fail(
                    node,
                    f"module '{base.__name__}' has no attribute '{node.attr}'",
                    "check the spelling",
                )
            if is_library(base):
                reader = None
            return getattr(base, node.attr), reader and reader.attribute(node.attr)
        self.fail(
            node,
            "cannot resolve this expression to a function",
            "call functions by name (math.sin, np.exp, helper)",
        )

    def _is_builtin(self, func, obj) -> bool:
        """Is the called ``func`` the builtin ``obj`` (``print``, ``range``)?"""
        return (
            isinstance(func, ast.Name)
            and func.id not in self.env
            and (self._resolve_quiet(func) is obj)
        )

    def _resolve_quiet(self, node):
        """``resolve(node)``, or None where that is an error."""
        try:
            return self.resolve(node)
        except SymDiffError:
            return None

    def static(self, node, what, expected_type):
        """A compile-time constant argument (an axis, keepdims); a global
        read here is guarded by value."""
        unknown = object()  # not a constant: a local variable, a call...
        try:
            value = ast.literal_eval(node)
        except ValueError:
            value = unknown
            if isinstance(node, (ast.Name, ast.Attribute)) and not self._is_local(node):
                value, reader = self.free_place(node)  # read now: guarded by value
                self.guard(reader, value)
            else:  # a local known now: an unrolled loop's variable, a folded sum
                known = self.known(self.expr(node))
                if isinstance(known, Const):
                    value = known.value
                elif isinstance(known, StaticValue):  # None, a string: a parameter's default
                    value = known.value
                elif isinstance(known, tuple) and all(isinstance(k, Const) for k in known):
                    value = tuple(k.value for k in known)  # axis=(0, 1)
        types = expected_type if isinstance(expected_type, tuple) else (expected_type,)
        ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
        if not ok and not (value is None and bool not in types and what.startswith("axis")):
            self.fail(
                node,
                f"{what} must be a constant {' or '.join(t.__name__ for t in types)}",
                "write the number itself (axis=0, keepdims=True); symdiff generates code per axis",
            )
        return value


def _param_name(label: str) -> str:
    """A parameter name for a free value: ``config.lr`` -> ``config_lr``."""
    return label.replace(".", "_")
