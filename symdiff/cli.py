"""The ``symdiff`` command.

    symdiff FILE.py:func [--mode reverse|forward] [--wrt x,z]
                         [--kind grad|value_and_grad|jvp|vjp] [--no-optimize]
        print the generated derivative code (a complete module)
    symdiff check FILE.py:func --at x=2 --at z=3 [--wrt x,z]
        compare symdiff (both modes), SymPy and finite differences; exit 1 on
        a mismatch
    symdiff export FILE.py:func -o grad_func.py [--mode ...] [--wrt ...] [--kind ...]
        write a standalone module (numpy and math; numba when installed)

Parameters are floats unless annotated ``int`` or ``bool`` in the source.
User mistakes print ``file:line:col: message`` on stderr and exit with 1;
usage mistakes (a missing file or function) exit with 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from pathlib import Path

from . import api
from .errors import SymDiffError
from .verify import check_grad


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
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise _UsageError(
            f"{exc.filename}:{exc.lineno}:{exc.offset or 0}: syntax error: {exc.msg}"
        ) from None
    fn = getattr(module, func_name, None)
    if fn is None:
        raise _UsageError(f"{path_text}: no function named {func_name!r}")
    return api._unwrap(fn)


class _UsageError(Exception):
    pass


def _example_args(fn):
    """One argument per parameter, of the annotated kind (float by default)."""
    values = {int: 1, bool: True}
    args = []
    for param in inspect.signature(fn).parameters.values():
        annotation = param.annotation
        if isinstance(annotation, str):
            annotation = {"int": int, "bool": bool}.get(annotation, float)
        args.append(values.get(annotation, 1.0))
    return args


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


def _argnums(fn, args, wrt):
    params = list(inspect.signature(fn).parameters)
    if not wrt:
        return tuple(i for i, a in enumerate(args) if isinstance(a, float))
    names = [n.strip() for n in wrt.split(",") if n.strip()]
    unknown = [n for n in names if n not in params]
    if unknown:
        raise _UsageError(
            f"--wrt: {fn.__name__} has no parameter {unknown[0]!r} "
            f"(parameters: {', '.join(params)})"
        )
    return tuple(params.index(n) for n in names)


def _point(fn, assignments):
    """Argument values from ``--at name=value`` options (ints stay ints)."""
    params = list(inspect.signature(fn).parameters)
    examples = _example_args(fn)
    values = {}
    for item in assignments or ():
        name, sep, text = item.partition("=")
        if not sep or name.strip() not in params:
            raise _UsageError(
                f"--at {item!r}: expected NAME=VALUE with NAME one of {', '.join(params)}"
            )
        kind = type(examples[params.index(name.strip())])  # float unless annotated
        try:
            value = kind(float(text)) if kind is not bool else text.strip() in ("1", "True", "true")
        except ValueError:
            raise _UsageError(f"--at {item!r}: {text!r} is not a number") from None
        values[name.strip()] = value
    missing = [p for p in params if p not in values]
    if missing:
        raise _UsageError(f"give a value for every parameter: missing --at {missing[0]}=...")
    return [values[p] for p in params]


def _options(parser, with_kind=True):
    parser.add_argument("target", help="FILE.py:FUNCTION")
    parser.add_argument("--wrt", help="comma-separated parameters (default: the float ones)")
    if with_kind:
        parser.add_argument("--mode", choices=api.MODES, default="reverse")
        parser.add_argument("--kind", choices=api.KINDS, default="grad")
        parser.add_argument("--no-optimize", action="store_true", help="unsimplified code")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in ("check", "export") else "show"
    parser = argparse.ArgumentParser(
        prog="symdiff" if command == "show" else f"symdiff {command}",
        description={
            "show": "Print the derivative code symdiff generates for FILE.py:FUNCTION "
            "(subcommands: check, export).",
            "check": "Compare symdiff (both modes), SymPy and finite differences.",
            "export": "Write the derivative code as a standalone module.",
        }[command],
    )
    _options(parser, with_kind=command != "check")
    if command == "check":
        parser.add_argument("--at", action="append", metavar="NAME=VALUE", help="the point")
    if command == "export":
        parser.add_argument("-o", "--output", required=True, help="the module to write")
    options = parser.parse_args(argv)
    try:
        fn = _load(options.target)
        if command == "check":
            args = _point(fn, options.at)
            wrt = _argnums(fn, args, options.wrt) if options.wrt else None
            report = check_grad(fn, *args, argnums=wrt, jit=False)
            print(report)
            return 0 if report.ok else 1
        args = _example_args(fn)
        source = api.derivative_source(
            fn,
            *args,
            argnums=_argnums(fn, args, options.wrt),
            mode=options.mode,
            kind=options.kind,
            optimized=not options.no_optimize,
        )
    except SymDiffError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except _UsageError as exc:
        print(f"symdiff: {exc}", file=sys.stderr)
        return 2
    if command == "export":
        name = f"{fn.__name__}_{options.kind}"
        try:
            Path(options.output).write_text(source + _EXPORT_FOOTER.format(name=name))
        except OSError as exc:
            print(f"symdiff: cannot write {options.output}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {options.output}: {name}{inspect.signature(fn)}", file=sys.stderr)
        return 0
    sys.stdout.write(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
