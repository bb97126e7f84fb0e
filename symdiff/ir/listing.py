"""A compact debug listing of the IR (``format_function``)."""

from __future__ import annotations

from .nodes import Assign, Function, If, Loop, map_result


def format_function(fn: Function) -> str:
    """A compact debug listing of the IR.

    >>> from symdiff.ir import Assign, Const, Function, Op, Var
    >>> body = (Assign("y", Op("sin", (Var("x"),))),)
    >>> print(format_function(Function("f", ("x",), body, Var("y"))))
    def f(x):
        y = sin(x)
        return y
    """
    lines = [f"def {fn.name}({', '.join(fn.params)}):"]
    _list_body(fn.body, 1, lines)
    lines.append(f"    return {map_result(fn.result, str)}")
    return "\n".join(lines)


def _list_body(body, depth: int, lines: list) -> None:
    pad = "    " * depth
    for stmt in body:
        if isinstance(stmt, Assign):
            lines.append(f"{pad}{stmt.target} = {stmt.value}")
        elif isinstance(stmt, Loop):
            _list_loop(stmt, depth, lines)
        else:
            _list_if(stmt, depth, lines)


def _list_loop(stmt: Loop, depth: int, lines: list) -> None:
    pad = "    " * depth
    for carry in stmt.carried:
        lines.append(f"{pad}{carry.name} = {carry.init}")
    if stmt.index is not None:
        lines.append(f"{pad}for {stmt.index} in range({stmt.start}, {stmt.stop}, {stmt.step}):")
    else:
        lines.append(f"{pad}while True:")
        _list_body(stmt.header, depth + 1, lines)
        lines.append(f"{pad}    if not {stmt.cond}: break")
    _list_body(stmt.body, depth + 1, lines)
    for carry in stmt.carried:
        lines.append(f"{pad}    {carry.name} = {carry.next}")
    if stmt.exit is not None:
        lines.append(f"{pad}    if {stmt.exit}: break")


def _list_if(stmt: If, depth: int, lines: list) -> None:
    pad = "    " * depth
    lines.append(f"{pad}if {stmt.cond}:")
    _list_body(stmt.body, depth + 1, lines)
    lines.append(f"{pad}else:")
    _list_body(stmt.orelse, depth + 1, lines)
    for phi in stmt.phis:
        lines.append(f"{pad}{phi.target} = phi({phi.then}, {phi.orelse})")
