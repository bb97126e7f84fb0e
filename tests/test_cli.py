"""The `symdiff` command, run as a user runs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "quickstart.py"


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "symdiff", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_prints_a_runnable_gradient_module(tmp_path):
    out = run(f"{EXAMPLE}:f")
    assert out.returncode == 0, out.stderr
    assert "def f_grad(x, z):" in out.stdout
    module = tmp_path / "grad_f.py"
    module.write_text(out.stdout)
    check = subprocess.run(
        [sys.executable, "-c", "import grad_f, math; print(grad_f.f_grad(2.0, 3.0))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    gx, gz = eval(check.stdout)
    assert abs(gx - 1208.3812151266097) < 1e-9 and abs(gz - 809.7074792185641) < 1e-9


def test_mode_and_wrt_options():
    out = run(f"{EXAMPLE}:f", "--mode", "forward", "--wrt", "z")
    assert out.returncode == 0, out.stderr
    assert "df_dz" in out.stdout and "df_dx" not in out.stdout


def test_errors_go_to_stderr_with_location(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import math\n\n\ndef f(x):\n    return math.gamma(x) * x\n")
    out = run(f"{bad}:f")
    assert out.returncode == 1
    assert out.stdout == ""
    assert f"{bad}:5:12: no derivative rule for math.gamma()" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_file_and_function():
    out = run("nope.py:f")
    assert out.returncode == 2 and "no such file" in out.stderr
    out = run(f"{EXAMPLE}:nope")
    assert out.returncode == 2 and "no function named 'nope'" in out.stderr
    out = run(f"{EXAMPLE}:f", "--wrt", "q")
    assert out.returncode == 2 and "no parameter 'q'" in out.stderr
