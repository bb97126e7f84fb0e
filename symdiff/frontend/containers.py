"""Containers and iteration -> values known when the code is generated.

Methods of ``frontend.Converter`` (conventions in ``converter``).  Lists,
dicts and tuples exist only while converting (``values``): their lengths and
keys are static, so everything here happens at specialisation and the
generated code is straight-line, or a real ``ir.Loop`` over an array.

* literals ``[a, *xs]``, ``{"W": W, **d}``, comprehensions and generator
  expressions become ``ListValue``/``DictValue``/tuples;
* ``xs.append(v)``, ``xs.extend(ys)``, ``xs[0] = v``, ``d["k"] = v`` make a
  new value of the container and rebind every name (and every container)
  that holds the old one, so ``ys = xs; xs.append(1)`` changes ``ys``, as in
  Python (``mutate``: aliasing is by object identity);
* a sequence to iterate over (``sequence``) is either ``Items`` (its
  elements are known: containers, ``range`` with constant bounds, ``zip``,
  ``enumerate``, ``reversed``, ``dict.items()`` of those) or ``Runtime``
  (only its length is known when the code runs: an array's first axis,
  ``range(n)``; ``zip`` of those runs to the shortest).  A ``for`` over
  ``Items`` is unrolled (``unrolled_loop``), one over ``Runtime`` is a real
  loop with a hidden index (``loops.real_loop``); a comprehension needs
  ``Items``;
* ``sum``, ``max``, ``min``, ``len``, ``tuple``, ``list``, ``dict`` and
  ``np.sum``/``np.mean`` of a list are chains of operations over the items.
"""

from __future__ import annotations

import ast
import builtins
import itertools
from collections.abc import Callable
from typing import NamedTuple

from .. import pytree
from ..ir import Attrs, Const, Guard, Take
from .converter import BREAK
from .normalize import normalise_jumps
from .readers import value_key
from .values import (
    DictValue,
    GeneratorValue,
    ListValue,
    ObjectValue,
    SliceValue,
    StaticOnly,
    StaticValue,
    is_atom,
    refusal,
    structure,
)

_MISSING = object()
NOT_HANDLED = _MISSING  # what container_builtin returns for calls it leaves to others
_HIDDEN = itertools.count()  # hidden environment keys (never printed)

_LOOP_HINT = (
    "the length of a list must be known when the code is generated; loop with an "
    "accumulator instead (total = 0.0; for x in X: total = total + f(x))"
)


class Items(NamedTuple):
    """A sequence whose elements are known when the code is generated."""

    values: tuple


class Runtime(NamedTuple):
    """A sequence whose length is known only when the code runs (an array's
    first axis, ``range(n)``): ``element(converter, index)`` is its item."""

    length: object
    element: Callable
    what: str
    array: object = None  # the array iterated over its first axis, if that is what it is


class Containers:
    """Containers and iteration (mixed into ``frontend.Converter``)."""

    # -- literals ------------------------------------------------------------------
    def elements(self, elts):
        """The values of ``a, *xs, b`` (a tuple or list display)."""
        values = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                values.extend(self.static_items(elt.value))
            else:
                values.append(self.expr(elt))
        return tuple(values)

    def expr_List(self, e):
        return ListValue(self.elements(e.elts))

    def expr_Dict(self, e):
        keys, values = [], []
        for key_node, value_node in zip(e.keys, e.values):
            if key_node is None:  # {**d}
                other = self.expr(value_node)
                if not isinstance(other, DictValue):
                    self.fail(
                        value_node, f"{structure(other)} is not a dict", "write **d of a dict"
                    )
                pairs = list(other.items())
            else:
                pairs = [(self.static_key(key_node), self.expr(value_node))]
            for key, value in pairs:
                _put(keys, values, key, value)
        return DictValue(tuple(keys), tuple(values))

    def expr_ListComp(self, e):
        return ListValue(self.comprehension(e.generators, lambda: self.expr(e.elt)))

    def expr_GeneratorExp(self, e):
        return GeneratorValue(self.comprehension(e.generators, lambda: self.expr(e.elt)))

    def expr_DictComp(self, e):
        keys, values = [], []

        def item():
            _put(keys, values, self.static_key(e.key), self.expr(e.value))

        self.comprehension(e.generators, item)
        return DictValue(tuple(keys), tuple(values))

    def comprehension(self, generators, produce) -> list:
        """The results of ``produce()`` for every binding of the ``for``
        clauses that passes their ``if`` filters, in Python's order.  The
        clauses' names are local to the comprehension."""
        names = {
            n.id for gen in generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)
        }
        saved = {name: self.env[name] for name in names if name in self.env}
        results = []

        def visit(level):
            if level == len(generators):
                results.append(produce())
                return
            gen = generators[level]
            sequence = self.sequence(gen.iter, static=True)
            if isinstance(sequence, Runtime):
                raise StaticOnly(
                    f"this comprehension iterates over {sequence.what}, whose length is "
                    "known only when the code runs",
                    self.loc(gen.iter),
                    _LOOP_HINT,
                )
            for item in sequence.values:
                self.bind(gen.target, item, gen)
                if all(self.static_condition(test) for test in gen.ifs):
                    visit(level + 1)

        visit(0)
        for name in names:
            self.env.pop(name, None)
        self.env.update(saved)
        return results

    def static_condition(self, test) -> bool:
        value = self.condition(test)
        if isinstance(value, Const):
            return bool(value.value)
        raise StaticOnly(
            "this filter depends on values known only when the code runs, so the "
            "length of the result is not known when the code is generated",
            self.loc(test),
            "filter on values known then (constants, lengths, loop indices), or loop with an "
            "accumulator: total = total + (f(x) if cond else 0.0)",
        )

    # -- operators -----------------------------------------------------------------
    def container_binop(self, e, left, right):
        """``args + (x,)``, ``xs + ys``, ``(0.0,) * 3``."""
        if isinstance(e.op, ast.Add) and isinstance(left, tuple) and isinstance(right, tuple):
            if isinstance(left, ListValue) == isinstance(right, ListValue):
                return type(left)(tuple(left) + tuple(right))
            self.fail(
                e,
                f"cannot add {structure(left)} and {structure(right)}",
                "add two tuples or two lists (tuple(xs) + t)",
            )
        if isinstance(e.op, ast.Mult):
            times, other = (right, left) if isinstance(left, tuple) else (left, right)
            if isinstance(other, tuple) and isinstance(times, Const) and type(times.value) is int:
                return type(other)(tuple(other) * max(times.value, 0))
        if is_atom(left) or is_atom(right):  # a container where a number or an array is used
            self.fail(e, *refusal(right if is_atom(left) else left, self.shared.kinds))
        self.fail(
            e,
            f"{ast.unparse(e.op).strip() or type(e.op).__name__} is not defined for "
            f"{structure(left)} and {structure(right)}",
            "take the elements first (a, b = pair; params[0]); containers support + of two "
            "tuples or lists and * by a constant int",
        )

    # -- iteration -----------------------------------------------------------------
    def sequence(self, node, static=False):
        """What ``for ... in node`` iterates over: ``Items`` or ``Runtime``.
        ``static``: the caller needs ``Items``, so a ``range`` bound read from
        an int global is read now (and guarded, ``names.known``)."""
        if isinstance(node, ast.Call):
            node = self.spread_arguments(node)  # zip(*pairs)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            func = None if self._is_local(node.func) else self._resolve_quiet(node.func)
            if func is range:
                return self.range_sequence(node, static)
            if func is zip:
                return self.zip_sequence(node, static)
            if func is reversed and len(node.args) == 1:
                return _reversed(self, self.sequence(node.args[0], static), node)
        if isinstance(node, ast.Call) and self._is_builtin(node.func, enumerate):
            return self.enumerate_sequence(node, static)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            return Items(tuple(self.expr(node)))
        return self.sequence_of(self.expr(node), node)

    def sequence_of(self, value, node):
        if isinstance(value, GeneratorValue):  # one pass, as in Python: then it is empty
            if id(value) in self.shared.consumed:
                return Items(())
            self.shared.consumed.add(id(value))
        if isinstance(value, DictValue):
            return Items(tuple(map(key_value, value.keys)))
        if isinstance(value, tuple):
            return Items(tuple(value))
        if isinstance(value, StaticValue) and isinstance(value.value, str):
            return Items(tuple(StaticValue(c) for c in value.value))
        if isinstance(value, StaticValue) and type(value.value) in (list, tuple):
            return Items(self.free_elements(value.value, node))
        if not is_atom(value):
            self.fail(node, f"cannot iterate over {structure(value)}", "iterate over containers")
        kind = self.kind_of(value)
        if isinstance(value, Const) or kind is not None and kind.rank == 0:
            self.fail(
                node,
                "cannot iterate over a number",
                "iterate over an array (its first axis), a container or range(n)",
            )
        length = self.op("shape", (value,), node, attrs=Attrs(axis=0))
        index = Attrs(index=(Take(),))

        def element(converter, i):
            return converter.op("getitem", (value, i), node, attrs=index)

        return Runtime(length, element, "an array", value)

    def free_elements(self, items, node) -> tuple:
        """The elements of a list or tuple read from a global or closure that
        holds objects or functions (``for layer in layer_specs``), each what
        it would be as a free value of its own (``free_item``)."""
        reader = self.free_container_reader(items)
        label = reader.label if reader is not None else ""
        return tuple(
            self.free_item(item, reader, k, node, f"{label}_{k}") for k, item in enumerate(items)
        )

    def free_container_reader(self, container):
        """The ``Reader`` of a static list, tuple or dict read from a global or
        closure (None where it is fixed): its structure (length, keys, the
        types of its elements) decides the code, so it is guarded."""
        reader = self.shared.object_readers.get(id(container))
        if reader is not None:
            self.shared.guards.setdefault(reader, Guard(reader, value_key(container), "key"))
        return reader

    def free_item(self, item, reader, key, node, label):
        """``container[key]`` of a static container (``reader`` reads the
        container; None where it is fixed; ``label`` names its parameters):
        objects and functions static, numbers and arrays read at each call,
        slices and tuples of them taken apart now (``self.idxs[layer]``
        holding ``(slice(0, n), (n,))``)."""
        if reader is None:
            return self.constant(item, node, ast.unparse(node))
        place = reader.item(key)
        if _is_record(item):  # an object: a key of dicts, its fields read through it
            self.shared.object_readers.setdefault(id(item), place)
            return StaticValue(item)
        if isinstance(item, slice):
            parts = zip(("start", "stop", "step"), (item.start, item.stop, item.step))
            return SliceValue(
                *(
                    None
                    if bound is None
                    else self.free_value(bound, place.attribute(name), node, f"{label}_{name}")
                    for name, bound in parts
                )
            )
        value = self.free_value(item, place, node, label)
        if isinstance(value, StaticValue) and type(item) in (list, tuple):
            taken = tuple(
                self.free_item(v, place, k, node, f"{label}_{k}") for k, v in enumerate(item)
            )
            return ListValue(taken) if type(item) is list else taken
        return value

    def static_container_item(self, base, key_node, e):
        """``d[k]``/``xs[i]`` of a static dict, list or tuple (a global's, or an
        object's field) with a key known now (a constant or a static object)."""
        container = base.value
        key = self.known(self.expr(key_node))
        if isinstance(key, ObjectValue) and key.origin is not None:  # a global's object
            key = StaticValue(key.origin)
        if not isinstance(key, (Const, StaticValue)):
            self.fail(
                key_node,
                f"{structure(base)} is indexed here by a value computed when the code runs",
                "index it with constants or static objects, known when the code is generated",
            )
        try:
            item = container[key.value]
        except (KeyError, IndexError, TypeError):
            self.fail(e, f"{key.value!r} is not a key of {structure(base)}", "use one of its keys")
        reader = self.free_container_reader(container)
        position = list(container).index(key.value) if type(container) is dict else key.value
        label = f"{reader.label if reader is not None else ''}_{position}"
        return self.free_item(item, reader, key.value, e, label)

    def static_items(self, node) -> tuple:
        sequence = self.sequence(node, static=True)
        if isinstance(sequence, Runtime):
            raise StaticOnly(
                f"the values here come from {sequence.what}, whose length is known only when "
                "the code runs",
                self.loc(node),
                "unpack containers (tuples, lists) whose length is known when the code is "
                "generated",
            )
        return sequence.values

    def range_sequence(self, node, static=False):
        if not 1 <= len(node.args) <= 3:
            self.fail(node, "range() takes 1 to 3 arguments", "write range(stop), range(a, b, s)")
        args = [self.expr(a) for a in node.args]
        if static:
            args = [self.known(a) for a in args]
        if all(isinstance(a, Const) and type(a.value) is int for a in args):
            return Items(tuple(Const(v) for v in range(*(a.value for a in args))))
        start, stop, step = (
            (Const(0), args[0], Const(1)) if len(args) == 1 else (*args, Const(1))[:3]
        )
        if not (isinstance(step, Const) and type(step.value) is int and step.value != 0):
            self.fail(
                node, "the step of range() must be a constant int here", "write range(a, b, 2)"
            )
        length = stop
        if start != Const(0) or step != Const(1):  # ceil((stop - start) / step), at least 0
            span = self.op("sub", (stop, start), node)
            span = self.op("add", (span, Const(step.value - (1 if step.value > 0 else -1))), node)
            length = self.op("max", (self.op("floordiv", (span, step), node), Const(0)), node)

        def element(converter, i):
            if step != Const(1):
                i = converter.op("mul", (i, step), node)
            return i if start == Const(0) else converter.op("add", (start, i), node)

        return Runtime(length, element, "a range whose bounds are computed when the code runs")

    def zip_sequence(self, node, static=False):
        parts = [self.sequence(a, static) for a in node.args]
        if all(isinstance(p, Items) for p in parts):
            return Items(tuple(zip(*(p.values for p in parts))))
        if not all(isinstance(p, Runtime) for p in parts):
            self.fail(
                node,
                "zip() of a container and an array is not supported",
                "loop over the container and index the array (for k, W in enumerate(params): "
                "... X[k] ...)",
            )
        length = parts[0].length
        for part in parts[1:]:
            length = self.op("min", (length, part.length), node)

        def element(converter, i):
            return tuple(p.element(converter, i) for p in parts)

        return Runtime(length, element, parts[0].what)

    def enumerate_sequence(self, node, static=False):
        start = 0
        for kw in node.keywords:
            if kw.arg != "start":
                self.fail(kw.value, f"enumerate() has no keyword `{kw.arg}`", "write start=k")
            start = self.static_int(kw.value)
        if len(node.args) == 2:
            start = self.static_int(node.args[1])
        if len(node.args) not in (1, 2) or len(node.args) == 2 and node.keywords:
            self.fail(node, "enumerate() takes a sequence and a start", "write enumerate(xs, 1)")
        inner = self.sequence(node.args[0], static)
        if isinstance(inner, Items):
            return Items(tuple((Const(start + k), v) for k, v in enumerate(inner.values)))

        def element(converter, i):
            count = i if start == 0 else converter.op("add", (i, Const(start)), node)
            return (count, inner.element(converter, i))

        return Runtime(inner.length, element, inner.what)

    def unrolled_loop(self, node, values):
        """``for target in <Items>``: the body once per element, with the
        target bound to it; ``break`` and ``continue`` as in Python (a
        ``break`` decided only when the code runs puts the later iterations
        in an ``if`` on the flag).  The target stays bound after the loop."""
        outer_break = self.env.pop(BREAK, _MISSING)
        self._unroll(node, normalise_jumps(list(node.body)), tuple(values))
        self.env.pop(BREAK, None)
        if outer_break is not _MISSING:
            self.env[BREAK] = outer_break

    def _unroll(self, node, body, values):
        for k, item in enumerate(values):
            self.bind(node.target, item, node)
            self.env[BREAK] = Const(False)
            self.block(body)
            flag = self.env.pop(BREAK)
            if flag == Const(True):
                return
            rest = values[k + 1 :]
            if flag != Const(False) and rest:

                def later(converter, rest=rest):
                    converter._unroll(node, body, rest)

                self.branch_statements(flag, lambda converter: None, later, node)
                return

    def for_plan(self, node):
        """How to run ``for target in node.iter``: ``(values, None)`` to unroll,
        or ``(None, (index, bounds, bind))`` for a real loop, where ``bind``
        binds the target in the body's converter (None for ``range``)."""
        if isinstance(node.iter, ast.Call) and self._is_builtin(node.iter.func, range):
            index, bounds = self.range_of(node)
            return None, (index, bounds, None)
        sequence = self.sequence(node.iter)
        if isinstance(sequence, Items):
            return sequence.values, None
        index = f"<index {next(_HIDDEN)}>"

        def bind(converter):
            item = sequence.element(converter, converter.env[index])
            converter.bind(node.target, item, node)

        return None, (index, (Const(0), sequence.length, Const(1)), bind)

    # -- builtins ------------------------------------------------------------------
    def container_builtin(self, func, e):
        """``sum``, ``max``, ``min``, ``len``, ``tuple``, ``list``, ``dict``,
        ``sorted``, ``zip``, ``enumerate``, ``reversed``, ``range`` over
        containers, or ``NOT_HANDLED``."""
        rule = _BUILTINS.get(id(func))
        if rule is None or getattr(builtins, rule.__name__.strip("_"), None) is not func:
            return _MISSING
        return rule(self, e)

    def _sum(self, e):
        if len(e.args) not in (1, 2) or e.keywords and e.keywords[0].arg != "start":
            self.fail(e, "sum() takes an iterable and a start", "write sum(xs) or sum(xs, start)")
        start = self.expr(e.args[1]) if len(e.args) == 2 else None
        if e.keywords:
            start = self.expr(e.keywords[0].value)
        looped = self.runtime_reduction(e.args[0], "add", start, e)
        if looped is not _MISSING:
            return looped
        sequence = self.sequence(e.args[0], static=True)
        if isinstance(sequence, Runtime) and sequence.array is not None:
            total = self.op("sum", (sequence.array,), e, attrs=Attrs(axis=0))  # x[0] + x[1] + ...
            return total if start is None else self.op("add", (start, total), e)
        if isinstance(sequence, Runtime):
            raise StaticOnly(
                f"sum() over {sequence.what} is not supported: its length is known only when "
                "the code runs",
                self.loc(e.args[0]),
                "write np.sum(x, axis=0) for an array, or loop with an accumulator",
            )
        total = start
        for item in sequence.values:
            total = item if total is None else self.op("add", (total, item), e)
        return Const(0) if total is None else total

    def _max(self, e, prim="max"):
        if len(e.args) != 1 or e.keywords:
            return _MISSING
        looped = self.runtime_reduction(e.args[0], prim, None, e)
        if looped is not _MISSING:
            return looped
        sequence = self.sequence(e.args[0], static=True)
        if isinstance(sequence, Runtime):
            self.fail(
                e,
                f"{prim}() over {sequence.what} is not supported",
                f"for the largest/smallest element of an array write np.{prim}(x)",
            )
        items = sequence.values
        if not items:
            self.fail(e, f"{prim}() of an empty sequence", "give it at least one value")
        value = items[0]
        for item in items[1:]:
            value = self.op(prim, (value, item), e)
        return value

    def runtime_reduction(self, node, prim, start, e):
        """``sum(f(r) for r in X)``, ``max(... for i in range(n))`` over a
        sequence whose length is known only when the code runs: the loop a
        user would write, with an accumulator (``total = total + f(r)``);
        ``_MISSING`` for other sequences.  The accumulator starts at
        ``start``, at a zero of the elements' kind (a sum of numbers, or of
        arrays shaped like one that exists before), or at the first element
        (the loop then runs from the second)."""
        if not isinstance(node, (ast.GeneratorExp, ast.ListComp)) or len(node.generators) != 1:
            return _MISSING
        gen = node.generators[0]
        if gen.is_async:
            return _MISSING
        sequence = self.sequence(gen.iter, static=True)
        if isinstance(sequence, Items):
            return _MISSING
        first = 0
        if start is None and prim == "add":
            start = self._zero_element(node, gen, sequence, e)
        if start is None:
            if gen.ifs:
                self.fail(
                    e,
                    f"{'sum' if prim == 'add' else prim}() with a filter over {sequence.what} "
                    "needs a start value here",
                    "give a start (sum(..., start)) or loop with an accumulator",
                )
            start, first = self._element_at(node, gen, sequence, Const(0)), 1
        return self._accumulate(node, gen, sequence, prim, start, first, e)

    def _element_at(self, node, gen, sequence, index):
        """The comprehension's element for ``sequence``'s item at ``index``
        (its target names local to it)."""
        saved = dict(self.env)
        self.bind(gen.target, sequence.element(self, index), node)
        value = self.expr(node.elt)
        self.env = saved
        return value

    def _zero_element(self, node, gen, sequence, e):
        """A zero of the elements' kind (learnt on trial), or None."""
        trial = self.trial(dict(self.env))
        value = trial._element_at(node, gen, sequence, Const(0))
        kind = trial.kind_of(value) if is_atom(value) else None
        if kind is None:
            self.fail(
                e,
                f"the elements summed over {sequence.what} are {structure(value)}",
                "sum numbers or arrays of one shape",
            )
        if kind.rank == 0 or any(is_atom(v) and self.kind_of(v) == kind for v in self.env.values()):
            return self._zero_of(kind, self.env, e)  # frontend.loops
        return None

    def _accumulate(self, node, gen, sequence, prim, start, first, e):
        key = self._hidden_local("total")
        index = f"<index {next(_HIDDEN)}>"

        def at_call(made):  # the statements made here are located at the call
            return ast.copy_location(made, e)

        total = at_call(ast.Name(key, ast.Load()))
        if prim == "add":
            step = at_call(ast.BinOp(total, ast.Add(), node.elt))
        else:  # max(total, x): the builtin, under a name the user cannot shadow
            name = self.hidden_name(StaticValue(getattr(builtins, prim)), e)
            step = at_call(ast.Call(name, [total, node.elt], []))
        body = [at_call(ast.Assign([at_call(ast.Name(key, ast.Store()))], step))]
        for test in reversed(gen.ifs):
            body = [at_call(ast.If(test, body, []))]
        loop = at_call(ast.For(gen.target, gen.iter, body, []))
        names = [n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)]
        saved = {n: self.env[n] for n in names if n in self.env}

        def bind(converter):
            converter.bind(gen.target, sequence.element(converter, converter.env[index]), node)

        self.env[key] = start
        self.real_loop(loop, index, (Const(first), sequence.length, Const(1)), bind)
        for n in names:  # a comprehension's names are its own
            self.env.pop(n, None)
        self.env.update(saved)
        return self.env.pop(key)

    def _hidden_local(self, name):
        """A variable name no user name can be: ``total``, ``total_1``..."""
        taken = set(self.env) | set(self.src.local_names) | self.shared.free_names
        candidate, count = f"_{name}", 0
        while candidate in taken or candidate in self.namer.taken:
            count += 1
            candidate = f"_{name}_{count}"
        return candidate

    def _min(self, e):
        return self._max(e, "min")

    def _len(self, e):
        if len(e.args) != 1 or e.keywords:
            self.fail(e, "len() takes one argument", "write len(xs)")
        sequence = self.sequence(e.args[0])
        return sequence.length if isinstance(sequence, Runtime) else Const(len(sequence.values))

    def _tuple(self, e):
        return tuple(self.static_items(e.args[0])) if e.args else ()

    def _list(self, e):
        return ListValue(self.static_items(e.args[0]) if e.args else ())

    def _dict(self, e):
        keys, values = [], []
        if len(e.args) > 1:
            self.fail(e, "dict() takes one positional argument", "write dict(pairs, k=v)")
        if e.args:
            node = e.args[0]
            source = (
                None
                if isinstance(node, (ast.Call, ast.GeneratorExp, ast.ListComp))
                else self.expr(node)
            )
            if isinstance(source, DictValue):
                pairs = tuple(source.items())
            else:
                pairs = (
                    self.static_items(node)
                    if source is None
                    else self.sequence_of(source, node).values
                )
                for pair in pairs:
                    if not isinstance(pair, tuple) or len(pair) != 2:
                        self.fail(
                            node,
                            "dict() takes (key, value) pairs here",
                            "write dict(zip(keys, values))",
                        )
                pairs = tuple((self._key_of(k, node), v) for k, v in pairs)
            for key, value in pairs:
                _put(keys, values, key, value)
        for kw in e.keywords:
            _put(keys, values, kw.arg, self.expr(kw.value))
        return DictValue(tuple(keys), tuple(values))

    def _key_of(self, value, node):
        if isinstance(value, StaticValue) and isinstance(value.value, str):
            return value.value
        if isinstance(value, Const):
            return value.value
        self.fail(node, "a dict key must be a constant", "use strings or numbers as keys")

    def _as_value(self, e, label):
        sequence = self.sequence(e, static=True)
        if isinstance(sequence, Runtime):
            self.fail(
                e,
                f"{label}() over an array can only be looped over directly",
                f"write for ... in {label}(...): in a `for` statement",
            )
        return tuple(sequence.values)

    def _sorted(self, e):
        if len(e.args) != 1 or e.keywords:
            self.fail(e, "sorted() takes one sequence here", "write sorted(d) or sorted(keys)")
        items = self.static_items(e.args[0])
        if not all(isinstance(v, (Const, StaticValue)) for v in items):
            self.fail(
                e,
                "sorted() of values computed when the code runs is not supported",
                "sort keys and constants only (sorted(d)); use np.sort for arrays",
            )
        try:
            return ListValue(sorted(items, key=lambda v: v.value))
        except TypeError:
            self.fail(e, "sorted() of values that cannot be compared", "sort keys of one type")

    def _zip(self, e):
        return self._as_value(e, "zip")

    def _map(self, e):
        """``map(f, xs, ys)``: the calls ``f(x, y)``, one per element (a tuple)."""
        if len(e.args) < 2 or e.keywords:
            self.fail(
                e, "map() takes a function and sequences", "write map(f, xs) or map(f, xs, ys)"
            )
        rows = zip(*(self.static_items(a) for a in e.args[1:]))
        return tuple(self.apply(e.args[0], row, e) for row in rows)

    def _filter(self, e):
        """``filter(f, xs)``: the elements for which ``f`` is true when the code
        is generated (a static predicate; None keeps the true elements)."""
        if len(e.args) != 2 or e.keywords:
            self.fail(e, "filter() takes a function and a sequence", "write filter(f, xs)")
        keep = []
        for item in self.static_items(e.args[1]):
            test = item if _is_none(e.args[0]) else self.apply(e.args[0], (item,), e)
            if self.known_truth(test, e, "filter()"):
                keep.append(item)
        return tuple(keep)

    def _all(self, e, label="all"):
        """``all(xs)``/``any(xs)``: decided now where the values are known,
        else Python's short-circuit chain (``a and b and ...``) of the truths
        of numbers, computed when the code runs."""
        if len(e.args) != 1 or e.keywords:
            self.fail(e, f"{label}() takes one sequence", f"write {label}(xs)")
        operator = "and" if label == "all" else "or"
        pieces = [self._truth_piece(v, e, label) for v in self.static_items(e.args[0])]
        if not pieces:
            return Const(label == "all")
        return self.short_circuit(operator, pieces, e)

    def _truth_piece(self, value, e, label):
        truth = self.static_truth(value)
        if truth is not None:
            return lambda converter: Const(truth)
        kind = self.kind_of(value)
        if not is_atom(value) or kind is None or kind.rank:
            self.fail(
                e,
                f"{label}() of {structure(value, self.shared.kinds)} is not supported",
                f"{label}() takes numbers and bools; use np.{label} for the elements of an array",
            )
        if kind.dtype == "bool":
            return lambda converter: value
        return lambda converter: converter.op("ne", (value, Const(0)), e)

    def _any(self, e):
        return self._all(e, "any")

    def apply(self, func_node, values, node):
        """The value of ``func_node(*values)`` (``values`` already converted)."""
        args = [self.hidden_name(v, node) for v in values]
        return self.expr(ast.copy_location(ast.Call(func_node, args, []), node))

    def known_truth(self, value, node, label) -> bool:
        """The truth of a value known when the code is generated, or a clear error."""
        truth = self.static_truth(value)  # frontend.functions
        if truth is None:
            self.fail(
                node,
                f"{label} of values computed when the code runs is not supported",
                "use np.all / np.any on an array, or decide it with values known when the "
                "function is differentiated",
            )
        return truth

    def _enumerate(self, e):
        return self._as_value(e, "enumerate")

    def _reversed(self, e):
        return self._as_value(e, "reversed")

    def _range(self, e):
        return self._as_value(e, "range")

    # -- methods and stores ----------------------------------------------------------
    def container_method(self, base, e):
        """``xs.append(v)``, ``.extend``, ``.insert``, ``.pop``, ``.copy``,
        ``.index``; ``d.items()``, ``.keys()``, ``.values()``, ``.get``, ``.update``."""
        name = e.func.attr
        rule = (_DICT_METHODS if isinstance(base, DictValue) else _LIST_METHODS).get(name)
        if rule is None or e.keywords:
            known = sorted(_DICT_METHODS if isinstance(base, DictValue) else _LIST_METHODS)
            self.fail(
                e,
                f"method .{name}() of {structure(base)} is not supported",
                f"use {', '.join(f'.{m}()' for m in known)}",
            )
        if name in _MUTATING and not isinstance(base, (ListValue, DictValue)):
            self.fail(e, f"a tuple has no method .{name}()", "use a list: xs = list(t)")
        return rule(self, base, [self.expr(a) for a in e.args], e)

    def mutate(self, old, new, node=None):
        """``old`` (a list or dict) now holds ``new``: every name and container
        that holds the object ``old`` holds ``new`` instead.  A list or dict
        read from a global or closure variable is not changed: the change
        would have to outlive the call (``node``: where the change is made)."""
        if node is not None and id(old) in self.shared.free_containers:
            self.fail(
                node,
                f"{structure(old, self.shared.kinds)} read from a global or closure variable "
                "cannot be changed in differentiated code (the change would outlive the call)",
                "change a copy made in the function: xs = list(G) (or dict(G)), then xs.append(...)",
            )
        memo = {id(old): new}
        for key, value in list(self.env.items()):
            self.env[key] = _substitute(value, memo)
        self.mutations.append((old, new))

    def store_into_container(self, container, target, value_node, node, prim):
        """``xs[i] = v``, ``d["k"] = v`` (and ``xs[i] += v``) on a local list or dict."""
        if isinstance(container, DictValue):
            key = self.static_key(target.slice)
            item = container.get(key, _MISSING)
        elif isinstance(container, ListValue):
            key = self.static_int(target.slice)
            if not -len(container) <= key < len(container):
                self.fail(
                    target.slice,
                    f"index {key} is out of range for {structure(container)}",
                    "append to a list to make it longer",
                )
            item = container[key]
        else:
            self.fail(
                target,
                f"{structure(container)} cannot be changed",
                "build a new one, or use a list",
            )
        value = self.expr(value_node)
        if prim is not None:
            if item is _MISSING:
                self.fail(
                    target.slice, f"key {key!r} is not in {structure(container)}", "assign it first"
                )
            value = self.op(prim, (item, value), node)
        if isinstance(container, DictValue):
            keys, values = list(container.keys), list(container.values)
            _put(keys, values, key, value)
            new = DictValue(tuple(keys), tuple(values))
        else:
            items = list(container)
            items[key] = value
            new = ListValue(items)
        self.mutate(container, new, node)

    def hidden_name(self, value, node):
        """A ``Name`` node that reads ``value``: for calls built from values
        (``f(*xs)``), located at ``node``."""
        key = f"<value {next(_HIDDEN)}>"
        self.env[key] = value
        return ast.copy_location(ast.Name(key, ast.Load()), node)


def _is_record(item) -> bool:
    """Is ``item`` an object of a plain class (a pytree of its fields)?"""
    try:
        tree = pytree.describe(item)
    except pytree.NotALeaf:
        return False
    return (
        isinstance(tree, pytree.Node)
        and tree.type not in pytree.CONTAINERS
        and not pytree.is_named_tuple_type(tree.type)
    )


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def key_value(key):
    """A dict key as a value (iterating over a dict gives its keys)."""
    return StaticValue(key) if isinstance(key, str) else Const(key)


def _put(keys, values, key, value):
    """``d[key] = value`` on the key and value lists of a dict."""
    for k, existing in enumerate(keys):
        if existing == key and type(existing) is type(key):
            values[k] = value
            return
    keys.append(key)
    values.append(value)


def _substitute(value, memo):
    """``value`` with every object of ``memo`` (by identity) replaced, and the
    containers holding them rebuilt (once each, so aliases stay aliases)."""
    found = memo.get(id(value), _MISSING)
    if found is not _MISSING:
        return found
    if isinstance(value, DictValue):
        items = tuple(_substitute(v, memo) for v in value.values)
        new = (
            value
            if all(a is b for a, b in zip(items, value.values))
            else DictValue(value.keys, items)
        )
    elif isinstance(value, tuple):
        items = tuple(_substitute(v, memo) for v in value)
        new = value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    else:
        return value
    memo[id(value)] = new
    return new


def _reversed(converter, sequence, node):
    if isinstance(sequence, Items):
        return Items(tuple(reversed(sequence.values)))

    def element(conv, i):
        last = conv.op("sub", (sequence.length, Const(1)), node)
        return sequence.element(conv, conv.op("sub", (last, i), node))

    return Runtime(sequence.length, element, sequence.what)


# -- methods of lists and dicts --------------------------------------------------------
def _append(self, base, args, e):
    _arity(self, e, args, 1)
    self.mutate(base, ListValue((*base, args[0])), e)
    return StaticValue(None)


def _extend(self, base, args, e):
    _arity(self, e, args, 1)
    self.mutate(base, ListValue((*base, *self.sequence_of(args[0], e.args[0]).values)), e)
    return StaticValue(None)


def _insert(self, base, args, e):
    _arity(self, e, args, 2)
    items = list(base)
    items.insert(self.static_int(e.args[0]), args[1])
    self.mutate(base, ListValue(items), e)
    return StaticValue(None)


def _pop(self, base, args, e):
    if not base:
        self.fail(e, "pop from an empty list", "append to it first")
    position = self.static_int(e.args[0]) if args else -1
    items = list(base)
    value = items.pop(position)
    self.mutate(base, ListValue(items), e)
    return value


def _copy(self, base, args, e):
    _arity(self, e, args, 0)
    return DictValue(base.keys, base.values) if isinstance(base, DictValue) else ListValue(base)


def _index(self, base, args, e):
    _arity(self, e, args, 1)
    for k, item in enumerate(base):
        if item == args[0]:
            return Const(k)
    self.fail(e, "the value is not in the container (or not known to be)", "index by position")


def _items(self, base, args, e):
    _arity(self, e, args, 0)
    return tuple((key_value(k), v) for k, v in base.items())


def _keys(self, base, args, e):
    _arity(self, e, args, 0)
    return tuple(map(key_value, base.keys))


def _values(self, base, args, e):
    _arity(self, e, args, 0)
    return tuple(base.values)


def _get(self, base, args, e):
    if len(args) not in (1, 2):
        self.fail(e, ".get() takes a key and a default", "write d.get('k', 0.0)")
    value = base.get(self.static_key(e.args[0]), _MISSING)
    if value is _MISSING:
        return args[1] if len(args) == 2 else StaticValue(None)
    return value


def _update(self, base, args, e):
    _arity(self, e, args, 1)
    if not isinstance(args[0], DictValue):
        self.fail(e, f".update() takes a dict, not {structure(args[0])}", "write d.update(other)")
    keys, values = list(base.keys), list(base.values)
    for key, value in args[0].items():
        _put(keys, values, key, value)
    self.mutate(base, DictValue(tuple(keys), tuple(values)), e)
    return StaticValue(None)


def _arity(self, e, args, count):
    if len(args) != count:
        self.fail(
            e, f".{e.func.attr}() takes {count} argument{'s' * (count != 1)}", "check the call"
        )


_LIST_METHODS = {
    "append": _append,
    "extend": _extend,
    "insert": _insert,
    "pop": _pop,
    "copy": _copy,
    "index": _index,
}
_DICT_METHODS = {
    "items": _items,
    "keys": _keys,
    "values": _values,
    "get": _get,
    "update": _update,
    "copy": _copy,
}
_MUTATING = {"append", "extend", "insert", "pop", "update"}

_BUILTINS = {
    id(getattr(builtins, rule.__name__.strip("_"))): rule
    for rule in (
        Containers._sum,
        Containers._max,
        Containers._min,
        Containers._len,
        Containers._tuple,
        Containers._list,
        Containers._dict,
        Containers._sorted,
        Containers._zip,
        Containers._map,
        Containers._filter,
        Containers._all,
        Containers._any,
        Containers._enumerate,
        Containers._reversed,
        Containers._range,
    )
}
