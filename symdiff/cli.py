"""The ``symdiff`` command: print the derivative code of a function in a file.

    symdiff path/to/file.py:func [--mode reverse|forward] [--wrt x,z]
                                 [--kind grad|value_and_grad|jvp|vjp] [--no-optimize]

Parameters are floats unless annotated ``int`` or ``bool`` in the source.
User mistakes print ``file:line:col: message`` on stderr and exit with 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from pathlib import Path

from . import api
from .errors import SymDiffError


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="symdiff",
        description="Print the derivative code symdiff generates for FILE.py:FUNCTION.",
    )
    parser.add_argument("target", help="FILE.py:FUNCTION")
    parser.add_argument("--mode", choices=api.MODES, default="reverse")
    parser.add_argument("--kind", choices=api.KINDS, default="grad")
    parser.add_argument("--wrt", help="comma-separated parameters (default: the float ones)")
    parser.add_argument("--no-optimize", action="store_true", help="show unsimplified code")
    options = parser.parse_args(argv)
    try:
        fn = _load(options.target)
        args = _example_args(fn)
        params = list(inspect.signature(fn).parameters)
        if options.wrt:
            names = [n.strip() for n in options.wrt.split(",") if n.strip()]
            unknown = [n for n in names if n not in params]
            if unknown:
                raise _UsageError(
                    f"--wrt: {fn.__name__} has no parameter {unknown[0]!r} "
                    f"(parameters: {', '.join(params)})"
                )
            argnums = tuple(params.index(n) for n in names)
        else:
            argnums = tuple(i for i, a in enumerate(args) if isinstance(a, float))
        source = api.derivative_source(
            fn,
            *args,
            argnums=argnums,
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
    sys.stdout.write(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
