"""Every example runs (at small sizes) and does what it says."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_runs():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "def f_grad(x, z):" in out.stdout and "OK" in out.stdout


def test_linear_regression_learns_the_weights(capsys):
    example = load("linear_regression")
    results = example.main(
        ["--rows", "3000", "--iterations", "60", "--epochs", "20", "--show-gradient"]
    )
    printed = capsys.readouterr().out
    assert "weights_bar" in printed and "epoch" in printed
    for mse in results.values():
        assert mse < 0.02  # the noise variance is 0.01


def test_mlp_optimisers_reduce_the_loss(capsys):
    example = load("mlp_training")
    results = example.main(["--epochs", "25", "--samples", "600"])
    assert set(results) == {"SGD", "momentum", "RMSProp", "Adam"}
    for loss, _accuracy in results.values():
        assert np.isfinite(loss) and loss < 0.69  # below chance-level cross-entropy
    assert results["Adam"][1] > 0.8


def test_oscillator_fit_recovers_the_parameters(capsys):
    example = load("oscillator_fit")
    results = example.main(["--steps", "1500", "--iterations", "1500", "--show-gradient"])
    printed = capsys.readouterr().out
    # The adjoint is a loop, not unrolled steps, backwards over the user's t.
    assert re.search(r"for t in range\(.*, -1, -1\):", printed)
    for name in ("L-BFGS-B", "descent"):
        np.testing.assert_allclose(results[name], results["truth"], rtol=0.05, atol=0.02)
