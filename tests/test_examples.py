"""Every example runs (at small sizes) and does what it says."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import symdiff

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


def _assert_gradient_matches_finite_differences(fn, args):
    from .test_pytrees import assert_same_tree, fd_gradient

    for mode in ("reverse", "forward"):
        got = symdiff.grad(fn, mode=mode, jit=False)(*args)
        assert_same_tree(got, fd_gradient(fn, args, (0,))[0], rtol=1e-6, atol=1e-8)


def test_mlp_optimisers_train_a_list_of_layers(capsys):
    example = load("mlp_optimizers")
    X, y = example.data(12)
    _assert_gradient_matches_finite_differences(example.loss, (example.init([2, 3, 3, 1]), X, y))
    final = example.main(["--steps", "150", "--samples", "128", "--no-jit", "--show-gradient"])
    printed = capsys.readouterr().out
    assert "# params = [(W, b), (W_1, b_1), (W_out, b_out)]" in printed
    assert set(final) == {"SGD", "momentum", "Adagrad", "RMSProp", "Adam"}
    start = example.init([2, 16, 16, 1])
    initial = example.loss(start, *example.data(128))
    for value in final.values():
        assert value < 0.1 * initial  # every optimiser learns


def test_rnn_with_dict_parameters_learns_the_sequence(capsys):
    example = load("rnn_dict")
    xs, targets = example.sequence(6)
    params = example.init(xs.shape[1], 3, targets.shape[1])
    _assert_gradient_matches_finite_differences(example.loss, (params, xs, targets))
    first, last = example.main(["--steps", "100", "--no-jit", "--show-gradient"])
    printed = capsys.readouterr().out
    assert "for t in range(t0 - 1, -1, -1):" in printed  # backpropagation through time
    assert "return (loss, (Wxh_bar, Whh_bar, bh_bar, Why_bar, by_bar))" in printed  # dict order
    assert last < 0.05 * first


def test_newton_beats_gradient_descent_by_orders_of_magnitude(capsys):
    example = load("newton_logistic")
    results = example.main(["--rows", "400", "--features", "8", "--max-descent", "2000"])
    descent, newton, newton_cg = (results[k][0] for k in results)
    assert newton <= 20 and newton_cg <= 20
    assert descent >= 10 * newton  # 2000: not converged
    w_newton, w_cg = results["Newton (hessian)"][2], results["Newton-CG (hvp)"][2]
    np.testing.assert_allclose(w_cg, w_newton, rtol=1e-6, atol=1e-8)


def test_least_squares_with_symdiff_jacobians(capsys):
    example = load("least_squares_fit")
    results = example.main(["--samples", "200", "--show-jacobian"])
    assert "def residuals_jacobian(p, t, y):" in capsys.readouterr().out
    fits = list(results.values())
    for fit in fits:
        assert fit.success and np.max(np.abs(fit.x - np.array([2.0, 0.3, 3.1, 0.5, 0.2]))) < 0.05
    np.testing.assert_allclose(fits[0].x, fits[1].x, rtol=1e-10)


def test_backprop_lecture_prints_both_passes_and_draws_both_graphs(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "backprop_lecture.py"), "--graphs", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("explain L(a=3.0, b=1.0, c=-2.0) = 17.0\n")
    assert "backward pass: adjoints dL/d(node), from dL/di = 1" in out.stdout
    assert "explain two_layer(W1=array(3, 4)" in out.stdout
    # the graphs in the repository's docs say what the example draws (their text: the
    # drawing itself may differ between matplotlib versions)
    for name in ("lecture-graph.svg", "two-layer-graph.svg"):
        drawn = re.findall(r"<text[^>]*>([^<]*)</text>", (tmp_path / name).read_text())
        stored = re.findall(r"<text[^>]*>([^<]*)</text>", (ROOT / "docs/images" / name).read_text())
        assert drawn == stored and len(drawn) > 20, name
