"""Backpropagation as the lecture draws it: every node's value and adjoint.

The lecture's function L(a, b, c) = b (a + 2b + a c^2), with each intermediate
named (d = c^2, e = a d, f = 2b, g = a + f, h = g + e, i = b h), and a two-layer
ReLU network: the forward pass, then the backward pass node by node, as a
table and as a picture of the computation graph.

Run:  python examples/backprop_lecture.py [--graphs FOLDER]
CLI:  symdiff explain examples/backprop_lecture.py:L --at a=3 --at b=1 --at c=-2 --graph L.svg
"""

import argparse
from pathlib import Path

import numpy as np

from symdiff import explain


def L(a, b, c):
    d = c**2
    e = a * d
    f = 2 * b
    g = a + f
    h = g + e
    i = b * h
    return i


def two_layer(W1, b1, W2, b2, X, y):
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2 + b2
    return np.mean((z2 - y) ** 2)


def network_point(seed=0):
    """A small network (3 inputs, 4 hidden units, 1 output) and a batch of 8."""
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(3, 4)), np.zeros(4)
    W2, b2 = rng.normal(size=(4, 1)), np.zeros(1)
    X = rng.normal(size=(8, 3))
    y = np.sin(X[:, :1])
    return W1, b1, W2, b2, X, y


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", metavar="FOLDER", help="draw both graphs (SVG) into FOLDER")
    options = parser.parse_args()
    lecture = explain(L, 3.0, 1.0, -2.0)
    print(lecture, end="\n\n")
    print(explain(L, 3.0, 1.0, -2.0, mode="forward", wrt=2), end="\n\n")
    network = explain(two_layer, *network_point())
    print(network)
    if options.graphs:
        folder = Path(options.graphs)
        folder.mkdir(parents=True, exist_ok=True)
        lecture.graph(folder / "lecture-graph.svg")
        network.graph(folder / "two-layer-graph.svg")
        print(f"\nwrote {folder / 'lecture-graph.svg'} and {folder / 'two-layer-graph.svg'}")
