"""The documentation site builds without a warning and says what the code does."""

import html
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_documentation_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    assert "WARNING" not in build.stderr
    pages = {p.relative_to(site).parent.as_posix(): p.read_text() for p in site.rglob("index.html")}
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    expected = {".", "api", "language", "loops", "conventions", "explain", "cli", "benchmarks"}
    assert expected | {f"examples/{name}" for name in examples} <= set(pages)
    # the API reference is the docstrings, with their examples
    for name in ("grad", "hessian", "vmap", "check_grad", "custom_vjp"):
        assert f'id="symdiff.{name}"' in pages["api"], name
    assert 'id="symdiff.explain.explain"' in pages["explain"]
    assert "&gt;&gt;&gt; " in pages["api"]  # docstring examples
    # the README's sections and the examples' source are included, markers stripped
    text = {page: html.unescape(re.sub(r"<[^>]+>", "", source)) for page, source in pages.items()}
    assert "Loops, as Numba users write them" in text["loops"]
    assert "checkpointing every" in text["loops"]  # the map of the code's section
    assert "explain L(a=3.0, b=1.0, c=-2.0) = 17.0" in text["explain"]
    assert 'src="../images/lecture-graph.svg"' in pages["explain"]
    assert "def rosenbrock_grad(x):" in text["language"]
    assert "def L(a, b, c):" in text["examples/backprop_lecture"]
    assert not any("--8<--" in page for page in text.values())
