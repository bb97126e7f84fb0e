"""Names: which SSA version belongs to which variable, and fresh names."""

from __future__ import annotations

import keyword


def version_of(name: str, names) -> str:
    """The variable a name is a version of: ``y_2`` -> ``y`` when ``y`` is
    also in ``names`` (SSA renaming made it), else the name itself."""
    base, sep, suffix = name.rpartition("_")
    if sep and suffix.isdigit() and base in names:
        return version_of(base, names)
    return name


class Namer:
    """Hands out names no other value of a function uses.

    ``fresh("x_bar")`` gives ``x_bar``, or ``x_bar_1`` when that is taken
    (or a Python keyword: a lambda's value is ``lambda_1``);
    ``temp()`` gives a compiler temporary (``$t7``).
    """

    def __init__(self, taken=()):
        self.taken = set(taken)
        self._temps = 0

    def fresh(self, hint: str) -> str:
        name, number = hint, 0
        while name in self.taken or keyword.iskeyword(name):
            number += 1
            name = f"{hint}_{number}"
        self.taken.add(name)
        return name

    def temp(self) -> str:
        self._temps += 1
        name = f"$t{self._temps}"
        while name in self.taken:
            self._temps += 1
            name = f"$t{self._temps}"
        self.taken.add(name)
        return name
