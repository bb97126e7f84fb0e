"""The Numba cover of the NumPy tables (``numpy_table.COMPILED_ELSEWHERE``):
what the code of a row run only as plain Python spells, compiled rows spell."""

import ast
import importlib
import zlib
from pathlib import Path

import numpy as np

import symdiff

from . import numpy_table as nt

_MAIN_SUFFIXES = ("_grad", "_jvp", "_vjp", "_value_and_grad")


def spellings(source: str) -> set:
    """The helpers a generated module defines, its ``np.``/``math.`` calls
    (with their number of positional arguments and their keywords) and its
    methods: what Numba must compile."""
    tree = ast.parse(source)
    out = {
        f"helper {node.name}"
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("_")
        and not node.name.endswith(_MAIN_SUFFIXES)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = ast.unparse(node.func.value)
            keywords = ",".join(sorted(k.arg or "**" for k in node.keywords))
            if base in ("np", "np.linalg", "math"):
                out.add(f"{base}.{node.func.attr}/{len(node.args)}({keywords})")
            else:
                out.add(f".{node.func.attr}/{len(node.args)}")
    return out


def _row_spellings(row: nt.Row) -> set:
    """What the compiled code of ``row`` (its first shape set, as
    ``numpy_table.check`` runs it) spells, in every mode."""
    shapes = row.shapes[0]
    seed = zlib.crc32(f"{row.id}{shapes}".encode())
    args = row.sample(shapes, seed)
    weights = np.random.default_rng(seed + 1).standard_normal(np.shape(row.fn(*args)))
    loss = nt._weighted(row.fn, weights if np.ndim(weights) else float(weights))
    argnums = row.argnums
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(args) if nt._float(a))
    wrt = argnums if len(argnums) > 1 else argnums[0]
    found = set()
    for mode in row.modes:
        found |= spellings(symdiff.value_and_grad(loss, wrt, mode=mode, jit=False).source(*args))
    return found


def _tables() -> list:
    """Every table checked through ``numpy_table.params``."""
    tables = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.name != Path(__file__).name and "params(TABLE)" in path.read_text():
            tables.append(importlib.import_module(f"tests.{path.stem}").TABLE)
    return tables


def test_rows_compiled_elsewhere_spell_only_what_compiled_rows_spell():
    rows = [row for table in _tables() for row in table if row.jit]
    assert len(rows) > 100
    named = {row.id for row in rows}
    assert nt.COMPILED_ELSEWHERE <= named, sorted(nt.COMPILED_ELSEWHERE - named)
    compiled, elsewhere = set(), {}
    for row in rows:
        found = _row_spellings(row)
        if row.id in nt.COMPILED_ELSEWHERE:
            elsewhere[row.id] = found
        else:
            compiled |= found
    assert sum(1 for s in compiled if s.startswith("helper")) > 50
    missing = {
        row: sorted(found - compiled) for row, found in elsewhere.items() if found - compiled
    }
    assert not missing, f"compile these rows again (take them out of COMPILED_ELSEWHERE): {missing}"
