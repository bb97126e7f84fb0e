"""Errors raised for user mistakes.

Every error names the place in the user's source it is about (file, line,
column and the line itself) and says what to write instead.  Internal
invariants use plain ``assert``; anything a user can trigger raises a
``SymDiffError`` subclass.
"""

from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in user source: 1-based line, 0-based column (as ``ast``)."""

    filename: str
    lineno: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col + 1}"


def caller_loc() -> Loc | None:
    """Where the user called into symdiff: the innermost frame outside the package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        generated = filename.startswith("<symdiff entry")  # api's entry functions
        if not generated and not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return Loc(filename, frame.f_lineno)
        frame = frame.f_back
    return None


class SymDiffError(Exception):
    """Base class of every error symdiff raises for a user's mistake.

    Attributes
    ----------
    message : str
        What is wrong.
    loc : Loc or None
        Where, in the user's source.
    hint : str
        What to write instead.
    """

    def __init__(self, message: str, loc: Loc | None = None, hint: str = ""):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    @property
    def filename(self) -> str | None:
        return self.loc.filename if self.loc else None

    @property
    def lineno(self) -> int | None:
        return self.loc.lineno if self.loc else None

    @property
    def col(self) -> int | None:
        return self.loc.col if self.loc else None

    @property
    def source_line(self) -> str:
        if self.loc is None:
            return ""
        return linecache.getline(self.loc.filename, self.loc.lineno).rstrip("\n")

    def _render(self) -> str:
        if self.loc is None:
            text = self.message
        else:
            text = f"{self.loc}: {self.message}"
            line = self.source_line
            if line.strip():
                text += f"\n    {line}\n    {' ' * self.loc.col}^"
        if self.hint:
            text += f"\n{self.hint}"
        return text


class UnsupportedSyntaxError(SymDiffError):
    """A Python construct outside the language symdiff differentiates."""


class UnknownFunctionError(SymDiffError):
    """A call to a function symdiff has no derivative rule for."""


class SourceUnavailableError(SymDiffError):
    """The function's source cannot be read (builtins, ``exec``, the REPL)."""


class ArgumentError(SymDiffError):
    """Arguments, ``argnums`` or the output do not fit what was asked."""


class ShapeError(SymDiffError):
    """Array ranks or shapes that do not fit an operation."""
