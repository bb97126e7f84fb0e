"""The ``symdiff`` command.

    symdiff FILE.py:func [--mode reverse|forward] [--wrt x,z] [--no-optimize]
                         [--kind grad|value_and_grad|jvp|vjp|jacfwd|jacrev|hessian|hvp]
        print the generated derivative code (a complete module)
    symdiff check FILE.py:func --at x=2 --at z=3 [--wrt x,z] [--rank X=2]
        compare symdiff (both modes), SymPy and finite differences; exit 1 on
        a mismatch.  Arrays: --at x=1,2,3, --at X=[[1,2],[3,4]], --at X=X.npy,
        or --rank X=2 alone for a reproducible random 3 x 3 point
    symdiff export FILE.py:func -o grad_func.py [--mode ...] [--wrt ...] [--kind ...]
        write a standalone module (numpy and math; numba when installed)

Parameters are floats unless annotated ``int`` or ``bool`` in the source; array
parameters are declared with ``--rank NAME=R`` (``--rank X=2`` for a matrix).
``--wrt`` takes a comma-separated list and accumulates when repeated;
``symdiff --version`` prints the version.
Colour is used when writing to a terminal (not when ``NO_COLOR`` is set).
User mistakes print ``file:line:col: message`` on stderr and exit with 1;
usage mistakes (a missing file or function) exit with 2.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import os
import re
import sys
import traceback
from pathlib import Path

from . import api
from .api import derivative_source
from .errors import Loc, SymDiffError, UnsupportedSyntaxError
from .signature import MODES, unwrap
from .verify import check_grad, float_argnums
from .version import __version__


def _load(target: str):
    path_text, sep, func_name = target.rpartition(":")
    if not sep or not path_text or not func_name:
        raise _UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise _UsageError(f"{path_text}: no such file")
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        # Compiled under the path as given, so that headers and errors show it
        # as the user wrote it (the loader would make it absolute).
        exec(compile(path.read_bytes(), path_text, "exec", dont_inherit=True), module.__dict__)
    except SyntaxError as exc:
        loc = Loc(exc.filename or str(path), exc.lineno or 1, max((exc.offset or 1) - 1, 0))
        raise UnsupportedSyntaxError(
            f"syntax error: {exc.msg}", loc, "fix the file so that Python can import it"
        ) from None
    except Exception as exc:  # the user's module failed while importing: say where, briefly
        lines = [
            f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == path_text
        ]
        where = f"{path_text}:{lines[-1]}" if lines else path_text
        raise _UsageError(
            f"{where}: importing the file raised {type(exc).__name__}: {exc}"
        ) from None
    fn = getattr(module, func_name, None)
    if fn is None:
        raise _UsageError(f"{path_text}: no function named {func_name!r}")
    fn = unwrap(fn)
    if inspect.ismodule(fn) or not callable(fn):
        kind = "a module" if inspect.ismodule(fn) else f"a {type(fn).__name__}"
        raise _UsageError(
            f"{path_text}: {func_name!r} is {kind}, not a function: name a function defined "
            "with def"
        )
    return fn


class _UsageError(Exception):
    pass


def _example_args(fn, ranks=None):
    """One argument per parameter, of the annotated kind (float by default);
    arrays (``--rank NAME=R``) of rank R."""
    import numpy as np

    ranks = _known_ranks(fn, ranks)
    args = []
    for param in inspect.signature(fn).parameters.values():
        if param.name in ranks:
            args.append(np.full((3,) * ranks[param.name], 1.0))
        elif _kind(param) is np.ndarray:
            raise _UsageError(
                f"parameter {param.name!r} is an array: give its rank with --rank {param.name}=2"
            )
        else:
            args.append({int: 1, bool: True}.get(_kind(param), 1.0))
    return args


def _kind(param):
    """``int``, ``bool``, ``np.ndarray`` (as annotated) or ``float`` (the default)."""
    import numpy as np

    annotation = param.annotation
    if isinstance(annotation, str):
        annotation = {"int": int, "bool": bool, "np.ndarray": np.ndarray}.get(annotation)
    return annotation if annotation in (int, bool, np.ndarray) else float


def _known_ranks(fn, ranks) -> dict:
    params = inspect.signature(fn).parameters
    for name in ranks or {}:
        if name not in params:
            raise _UsageError(f"--rank: {fn.__name__} has no parameter {name!r}")
    return dict(ranks or {})


def _ranks(items):
    ranks = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not text.strip().isdigit():
            raise _UsageError(f"--rank {item!r}: expected NAME=RANK, e.g. --rank X=2")
        ranks[name.strip()] = int(text)
    return ranks


def _paint(text: str, color: str, stream) -> str:
    """ANSI colour when writing to a terminal (and NO_COLOR is not set)."""
    codes = {"red": "1;31", "green": "1;32", "bold": "1"}
    if not getattr(stream, "isatty", lambda: False)() or os.environ.get("NO_COLOR"):
        return text
    return f"\033[{codes[color]}m{text}\033[0m"


def _error(exc: SymDiffError) -> str:
    """``file:line:col: message`` in bold red on a terminal, then the rest."""
    first, _, rest = str(exc).partition("\n")
    return _paint(first, "red", sys.stderr) + ("\n" + rest if rest else "")


_EXPORT_FOOTER = """

# Compiled with Numba when it is installed; plain Python otherwise.
try:
    from numba import njit
except ImportError:  # pragma: no cover
    pass
else:
    for _name, _value in list(globals().items()):
        if _name.startswith("_") and callable(_value) and getattr(_value, "__module__", None) == __name__:
            globals()[_name] = njit(error_model="numpy", cache=True)(_value)
    {name} = njit(error_model="numpy", cache=True)({name})
"""


def _standalone(source: str) -> str:
    """The module without symdiff: its vectorised kernels (``vmath.exp``,
    ``vmath.log`` of arrays) spelled as NumPy's, which they equal to 1 ulp
    (and which Numba compiles too, unvectorised)."""
    source = source.replace("from symdiff import vmath\n", "")
    return re.sub(r"\bvmath\.(exp|log)\(", r"np.\1(", source)


def _argnums(fn, args, wrt):
    """``--wrt`` (each option a comma-separated list; repeated options
    accumulate) as argnums: one name gives one derivative, several a tuple;
    by default every float parameter (scalar or array)."""
    params = list(inspect.signature(fn).parameters)
    if not wrt:  # one float parameter: one derivative (as grad's default), not a 1-tuple
        floats = float_argnums(args)
        return floats[0] if len(floats) == 1 else floats
    names = list(dict.fromkeys(n.strip() for item in wrt for n in item.split(",") if n.strip()))
    unknown = [n for n in names if n not in params]
    if unknown:
        raise _UsageError(
            f"--wrt: {fn.__name__} has no parameter {unknown[0]!r} "
            f"(parameters: {', '.join(params)})"
        )
    if len(names) == 1:
        return params.index(names[0])
    return tuple(params.index(n) for n in names)


def _point(fn, assignments, ranks=None):
    """Argument values from ``--at name=value`` options: numbers (ints stay
    ints), arrays (``x=1,2,3``, a nested list ``X=[[1,2],[3,4]]`` or a
    ``.npy`` file), Python literals (tuples and dicts are containers of
    these, strings and None stay as they are); parameters with defaults take
    them when not given, and an array declared with ``--rank NAME=R`` and
    given no value is a reproducible random one of shape (3,) * R."""
    import numpy as np

    signature = inspect.signature(fn)
    params = signature.parameters
    ranks = _known_ranks(fn, ranks)
    values = {}
    for item in assignments or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in params:
            raise _UsageError(
                f"--at {item!r}: expected NAME=VALUE with NAME one of {', '.join(params)}"
            )
        values[name] = _value(item, text, _kind(params[name]))
        if name in ranks and np.ndim(values[name]) != ranks[name]:
            raise _UsageError(
                f"--at {item!r}: --rank {name}={ranks[name]} declares a rank-{ranks[name]} "
                f"array, the value has rank {np.ndim(values[name])}"
            )
    draws = np.random.default_rng(0)
    for name, param in params.items():
        if name in values:
            continue
        if name in ranks:
            values[name] = draws.standard_normal((3,) * ranks[name])
        elif param.default is not param.empty:
            values[name] = param.default
    missing = [p for p in params if p not in values]
    if missing:
        raise _UsageError(f"give a value for every parameter: missing --at {missing[0]}=...")
    return [values[p] for p in params]


def _value(item: str, text: str, value_type):
    """The value of one ``--at`` option (see ``_point``)."""
    import ast

    import numpy as np

    text = text.strip()
    if text.endswith(".npy"):
        try:
            return np.load(text)
        except (OSError, ValueError) as exc:
            raise _UsageError(f"--at {item!r}: cannot read {text}: {exc}") from None
    try:
        literal = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise _UsageError(
            f"--at {item!r}: {text!r} is not a number, a comma-separated list of numbers, "
            "a .npy file or a Python literal"
        ) from None
    if isinstance(literal, tuple) and not text.startswith("("):
        literal = list(literal)  # x=1,2,3: an array

    def converted(value):
        if isinstance(value, list):
            try:
                return np.array(value, dtype=float)
            except (TypeError, ValueError):
                return [converted(v) for v in value]
        if isinstance(value, tuple):
            return tuple(converted(v) for v in value)
        if isinstance(value, dict):
            return {k: converted(v) for k, v in value.items()}
        return value

    if isinstance(literal, (int, float)) and not isinstance(literal, bool):
        if value_type is int and isinstance(literal, float) and not literal.is_integer():
            raise _UsageError(
                f"--at {item!r}: the parameter is annotated int; give an integer, not {literal!r}"
            )
        if value_type is np.ndarray:
            return np.array(float(literal))
        return value_type(literal) if value_type is not bool else bool(literal)
    if isinstance(literal, bool) or value_type is bool:
        return bool(literal) if not isinstance(literal, str) else literal in ("1", "True", "true")
    return converted(literal)


# Derivatives of derivatives, each with its mode implied: (the api function, its mode)
_HIGHER = {
    "jacfwd": (api.jacfwd, "forward"),
    "jacrev": (api.jacrev, "reverse"),
    "hessian": (api.hessian, "forward over reverse"),
    "hvp": (api.hvp, "forward over reverse"),
}
KINDS = ("grad", "value_and_grad", "jvp", "vjp", *_HIGHER)


def _generated(fn, args, options) -> tuple:
    """The module ``--kind`` asks for, and the name of its function."""
    argnums = _argnums(fn, args, options.wrt)
    if options.kind not in _HIGHER:
        source = derivative_source(
            fn,
            *args,
            argnums=argnums,
            mode=options.mode or "reverse",
            kind=options.kind,
            optimized=not options.no_optimize,
        )
        return source, f"{fn.__name__}_{options.kind}"
    make, mode = _HIGHER[options.kind]
    if options.mode is not None or options.no_optimize:
        given = f"--mode {options.mode}" if options.mode is not None else "--no-optimize"
        raise _UsageError(f"--kind {options.kind} is {mode} and optimised: leave out {given}")
    derivative = make(fn, argnums, jit=False)
    if options.kind == "hvp":  # H @ v: a direction like each differentiated argument
        several = isinstance(argnums, tuple)
        chosen = [args[i] for i in argnums] if several else args[argnums]
        source = derivative.source(*args, tuple(chosen) if several else chosen)
    else:
        source = derivative.source(*args)
    name = next(
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    )
    return source, name


def _explain(fn, options) -> int:
    """``symdiff explain``: the table on stdout, the picture into ``--graph``."""
    from .explain import explain

    args = _point(fn, options.at, _ranks(options.rank))
    wrt = None
    if options.wrt:
        wrt = _argnums(fn, args, options.wrt)
        if isinstance(wrt, tuple):
            raise _UsageError("explain: --wrt names one parameter (the direction of the tangents)")
        if options.mode == "reverse":
            raise _UsageError(
                "explain: --wrt chooses forward mode's direction; reverse mode shows every adjoint"
            )
    trace = explain(fn, *args, mode=options.mode, wrt=wrt)
    print(trace)
    if options.graph:
        if Path(options.graph).suffix not in (".svg", ".png", ".pdf"):
            raise _UsageError(f"--graph {options.graph}: write a .svg, .png or .pdf file")
        trace.graph(options.graph)
        print(f"wrote {options.graph}", file=sys.stderr)
    return 0


def _options(parser, with_kind=True):
    parser.add_argument("target", help="FILE.py:FUNCTION")
    parser.add_argument(
        "--wrt",
        action="append",
        metavar="NAMES",
        help="comma-separated parameters; repeat to add more (default: the float ones)",
    )
    parser.add_argument(
        "--rank", action="append", metavar="NAME=R", help="NAME is an array of rank R"
    )
    parser.add_argument("--version", action="version", version=f"symdiff {__version__}")
    if with_kind:
        parser.add_argument("--mode", choices=MODES, help="reverse (default) or forward")
        parser.add_argument("--kind", choices=KINDS, default="grad")
        parser.add_argument("--no-optimize", action="store_true", help="unsimplified code")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in ("check", "export", "explain") else "show"
    parser = argparse.ArgumentParser(
        prog="symdiff" if command == "show" else f"symdiff {command}",
        description={
            "show": "Print the derivative code symdiff generates for FILE.py:FUNCTION "
            "(subcommands: check, export).",
            "check": "Compare symdiff (both modes), SymPy and finite differences.",
            "export": "Write the derivative code as a standalone module.",
            "explain": "Print every intermediate value of FUNCTION at a point with its "
            "adjoint (or tangent): the computation graph as a table, and as a picture.",
        }[command],
    )
    _options(parser, with_kind=command in ("show", "export"))
    if command in ("check", "explain"):
        parser.add_argument("--at", action="append", metavar="NAME=VALUE", help="the point")
    if command == "explain":
        parser.add_argument("--mode", choices=MODES, default="reverse")
        parser.add_argument(
            "--graph", metavar="FILE", help="also draw the graph into FILE (.svg, .png or .pdf)"
        )
    if command == "export":
        parser.add_argument("-o", "--output", required=True, help="the module to write")
    options = parser.parse_args(argv)
    try:
        fn = _load(options.target)
        if command == "check":
            args = _point(fn, options.at, _ranks(options.rank))
            wrt = _argnums(fn, args, options.wrt) if options.wrt else None
            report = check_grad(fn, *args, argnums=wrt, jit=False)
            text = str(report)
            verdict = text.rsplit("\n", 1)[-1]
            color = "green" if report.ok else "red"
            print(text[: len(text) - len(verdict)] + _paint(verdict, color, sys.stdout))
            return 0 if report.ok else 1
        if command == "explain":
            return _explain(fn, options)
        args = _example_args(fn, _ranks(options.rank))
        source, name = _generated(fn, args, options)
    except SymDiffError as exc:
        print(_error(exc), file=sys.stderr)
        return 1
    except _UsageError as exc:
        print(f"symdiff: {exc}", file=sys.stderr)
        return 2
    if command == "export":
        try:
            Path(options.output).write_text(_standalone(source) + _EXPORT_FOOTER.format(name=name))
        except OSError as exc:
            print(f"symdiff: cannot write {options.output}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {options.output}: {name}{inspect.signature(fn)}", file=sys.stderr)
        return 0
    sys.stdout.write(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
