"""Dataflow facts about one loop, for the reverse sweep of loops: which
arrays it writes into (with every version of them), what each carried value
is computed from, which names it reads.  Each is a function of the ``Loop``
alone."""

from __future__ import annotations

from .. import ir
from ..ir import STORES, Assign, If, Loop, Op, Var


def mutated_arrays(loop: Loop) -> dict:
    """Names of the array values a loop writes into, with every other
    version of the same arrays (before and after each write, joined at
    ``if``s and carried around loops): name -> the array's value before the
    loop (the ``init`` of the loop's carried version of it), or None when
    the versions may come from several arrays (of other shapes)."""
    links: list = []
    written = set()
    for stmt in ir.walk(loop.body):
        if isinstance(stmt, Assign) and isinstance(stmt.value, Op) and stmt.value.prim in STORES:
            written.add(stmt.target)
            links.append((stmt.target, stmt.value.args[1]))
        elif isinstance(stmt, If):
            links += [(p.target, a) for p in stmt.phis for a in (p.then, p.orelse)]
        elif isinstance(stmt, Loop):
            links += [(c.name, a) for c in stmt.carried for a in (c.init, c.next)]
    links += [(c.name, a) for c in loop.carried for a in (c.init, c.next)]
    parent: dict = {}

    def find(name):
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    for version, source in links:
        if isinstance(source, Var) and find(version) != find(source.name):
            parent[find(version)] = find(source.name)
    names = set(parent) | set(parent.values()) | written
    # Arrays made afresh in each iteration (a scratch array) are recomputed
    # like any other value: only those that outlive an iteration count.
    inside = ir.defined_in(loop.body)
    lasting = {find(n) for n in names if n not in inside}
    written = {find(w) for w in written}
    made = {a for a, _ in links}  # versions made from other versions
    origins: dict = {}  # root -> the arrays its versions are made from
    for name in names - made:
        origins.setdefault(find(name), set()).add(name)
    before = {
        find(c.name): c.init
        for c in loop.carried
        if isinstance(c.init, Var) and origins.get(find(c.name)) == {c.init.name}
    }
    return {n: before.get(find(n)) for n in names if find(n) in lasting and find(n) in written}


def carry_dependencies(loop: Loop) -> dict:
    """For each carried value, the carried values its next value is computed
    from (through data, not through conditions)."""
    deps: dict = {c.name: {c.name} for c in loop.carried}

    def of(atoms):
        return set().union(*(deps.get(a.name, set()) for a in atoms if isinstance(a, Var)))

    def block(body):  # in order of definition: branches before their phis
        for stmt in body:
            if isinstance(stmt, Assign):
                deps[stmt.target] = of(
                    stmt.value.args if isinstance(stmt.value, Op) else (stmt.value,)
                )
            elif isinstance(stmt, If):
                block(stmt.body)
                block(stmt.orelse)
                for phi in stmt.phis:
                    deps[phi.target] = of((phi.then, phi.orelse))
            else:  # an inner loop: each carried value may depend on all it reads
                for carry in stmt.carried:
                    deps[carry.name] = of((carry.init,))
                for _ in range(2):  # its carried values feed each other
                    block(stmt.header + stmt.body)
                    reads = of(stmt.atoms()) | set().union(*(deps[c.name] for c in stmt.carried))
                    for name in ir.targets(stmt):
                        deps[name] = reads

    block(loop.body)
    return {c.name: of((c.next,)) for c in loop.carried}


def names_read(loop: Loop) -> set:
    """Every name the loop (its bounds, carried values and body) reads."""
    statements = [loop, *ir.walk(loop.body)]
    return {a.name for stmt in statements for a in ir.reads(stmt) if isinstance(a, Var)}
