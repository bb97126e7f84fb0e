"""The shape of the package: which modules may import which.

The graph is built from the source with ``ast`` (nothing is imported):
one node per module of ``symdiff``, one edge per import of another module of
the package, at module level or inside a function alike.  ``from . import
name`` is an import of the submodule ``name`` when there is one, and of the
package itself otherwise (``from . import __version__`` imports
``symdiff/__init__.py``).  Imports under ``if TYPE_CHECKING:`` are not
counted: they are never run (type annotations only).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symdiff"


def module_names(root: Path = PACKAGE) -> dict:
    """Dotted module name -> path, for every ``.py`` file under ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dotted name a ``from ... import`` refers to."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, modules: dict) -> set:
    """The modules of the package that ``module`` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in modules else source)
    return {name for name in found if name in modules and name != module}


def import_graph(root: Path = PACKAGE) -> dict:
    modules = module_names(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict):
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state = {}  # absent: unseen; 1: on the current path; 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_the_checker_finds_cycles_and_reads_relative_imports(tmp_path):
    """The helpers above on a small package: a cycle through a function-level
    import, ``from . import name`` of a submodule and of a package attribute,
    an import for type annotations only (not counted)."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .a import f\n__version__ = '1'\n")
    (package / "a.py").write_text("from . import b\n\ndef f():\n    from .sub import c\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import __version__\n"
        "if TYPE_CHECKING:\n    from .a import f\n"
    )
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from .. import a\nimport pkg.b\n")
    graph = import_graph(package)
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b", "pkg.sub.c"},
        "pkg.b": {"pkg"},
        "pkg.sub": set(),
        "pkg.sub.c": {"pkg.a", "pkg.b"},
    }
    assert find_cycle(graph) == ["pkg", "pkg.a", "pkg.b", "pkg"]
    assert find_cycle({**graph, "pkg.b": set(), "pkg.sub.c": {"pkg.b"}}) is None


def test_module_imports_have_no_cycle():
    graph = import_graph()
    assert "symdiff.api" in graph and "symdiff.transform.reverse" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_transformations_do_not_import_the_optimizer():
    """Rules build their expressions with ``primitives.builder``: a transformation
    emits derivative code, the optimiser simplifies it afterwards."""
    graph = import_graph()
    transforms = [name for name in graph if name.startswith("symdiff.transform.")]
    assert transforms
    offenders = {
        name: sorted(t for t in graph[name] if t.split(".")[:2] == ["symdiff", "optimize"])
        for name in transforms
    }
    assert not any(offenders.values()), offenders


# The layers, lowest first: a module may import its own layer's modules (a
# package's own submodules, or two packages side by side) and lower layers.
LAYERS = (
    ("numba_types",),
    ("errors", "version", "entry", "vmath"),
    ("ir",),
    ("pytree",),
    ("primitives",),
    ("library",),
    ("frontend", "analysis"),
    ("signature", "transform"),
    ("optimize",),
    ("lower",),
    ("codegen", "graphs"),
    ("tiered",),
    ("backend",),
    ("pipeline",),
    ("api", "sympy_reference"),
    ("explain",),
    ("verify",),
    ("decorator",),
    ("",),  # symdiff/__init__.py: the public names
    ("cli",),
    ("__main__",),
)


def layer_of(module: str) -> str:
    """The layer name of a module: ``symdiff.ir.nodes`` -> ``ir``; the
    package itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of_packages(graph: dict, importer: str, imported) -> dict:
    """Module of layer ``importer`` -> the modules of layers ``imported`` it imports."""
    found = {
        name: sorted(t for t in targets if layer_of(t) in imported)
        for name, targets in graph.items()
        if layer_of(name) == importer
    }
    return {name: targets for name, targets in found.items() if targets}


def layering_violations(graph: dict, layers=LAYERS) -> list:
    """Imports of a module from a higher layer, and modules in no layer."""
    rank = {name: level for level, names in enumerate(layers) for name in names}
    bad = [(name, "no layer") for name in sorted(graph) if layer_of(name) not in rank]
    for name in sorted(graph):
        for target in sorted(graph[name]):
            source, dest = layer_of(name), layer_of(target)
            if source in rank and dest in rank and rank[dest] > rank[source]:
                bad.append((name, target))
            elif source != dest and rank.get(dest) == rank.get(source) is not None:
                bad.append((name, target))  # side by side: neither imports the other
    return bad


def test_the_layering_checker_finds_upward_imports():
    graph = {
        "pkg.ir.nodes": set(),
        "pkg.ir.builder": {"pkg.ir.nodes", "pkg.optimize.rules"},
        "pkg.optimize.rules": {"pkg.ir.nodes"},
        "pkg.frontend": {"pkg.ir.nodes"},
        "pkg.analysis": {"pkg.frontend"},
        "pkg.stray": set(),
    }
    layers = (("ir",), ("frontend", "analysis"), ("optimize",))
    assert layering_violations(graph, layers) == [
        ("pkg.stray", "no layer"),
        ("pkg.analysis", "pkg.frontend"),
        ("pkg.ir.builder", "pkg.optimize.rules"),
    ]
    assert imports_of_packages(graph, "ir", ("optimize",)) == {
        "pkg.ir.builder": ["pkg.optimize.rules"]
    }
    del graph["pkg.stray"], graph["pkg.ir.builder"]
    graph["pkg.analysis"] = {"pkg.ir.nodes"}
    assert layering_violations(graph, layers) == []


def test_the_ir_imports_no_stage_that_uses_it():
    """The IR is the bottom layer: nodes, traversal, names; nothing from the
    stages built on it."""
    graph = import_graph()
    assert "symdiff.ir.nodes" in graph
    stages = ("primitives", "optimize", "transform", "lower", "codegen", "analysis")
    assert imports_of_packages(graph, "ir", stages) == {}


def test_the_packages_are_layered():
    """Every import points down ``LAYERS`` (which also says the layers are a
    DAG), and every module of the package is in a layer."""
    graph = import_graph()
    assert layering_violations(graph) == []
