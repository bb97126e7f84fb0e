"""The README's command-line examples print what the command prints."""

import re
import shlex
from pathlib import Path

import pytest

from .test_cli import symdiff_cli

ROOT = Path(__file__).resolve().parent.parent


def _examples():
    """(command, shown output) for each README block starting with ``$ symdiff``
    on a file of the repository (an example of an error on a file of the
    reader's own, wrapped for reading, is not one)."""
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```\n(\$ symdiff .*?)```\n", text, re.S):
        command, shown = block.split("\n", 1)
        words = shlex.split(command)[2:]
        target = next(w for w in words if ":" in w).rpartition(":")[0]
        if (ROOT / target).is_file():
            out.append((words, shown))
    return out


EXAMPLES = _examples()


def test_the_readme_has_command_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("words, shown", EXAMPLES, ids=[" ".join(w[:2]) for w, _ in EXAMPLES])
def test_a_readme_example_prints_what_the_command_prints(
    words, shown, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(ROOT)
    # files the command writes go to a scratch folder; the README shows their names
    words = [str(tmp_path / Path(w).name) if w.endswith((".svg", ".png")) else w for w in words]
    status, out, err = symdiff_cli(capsys, *words)
    assert status == 0, err
    printed = out + "".join(
        line.replace(str(tmp_path) + "/", "") + "\n" for line in err.splitlines()
    )
    assert printed == shown
