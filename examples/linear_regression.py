"""Linear regression trained by gradient descent, with the gradient from symdiff.

The data set is synthetic (43,303 rows, 10 features, Gaussian noise): the
script makes it so that it runs anywhere without downloads.  It trains by
full-batch gradient descent, then by mini-batch SGD over shuffled batches
(the last batch is shorter than the others), printing the training loss every
10 iterations / epochs and the test MSE at the end.

Run:   python examples/linear_regression.py [--show-gradient] [--rows N]
"""

import argparse

import numpy as np

from symdiff import derivative_source, grad


def linear_model(X, weights):
    return np.dot(X, weights)


def loss_function(weights, X, y):
    predictions = linear_model(X, weights)
    return np.mean((predictions - y) ** 2)


def make_data(rows, features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    true_weights = rng.normal(size=features)
    y = X @ true_weights + 0.1 * rng.normal(size=rows)
    split = int(0.8 * rows)
    return X[:split], y[:split], X[split:], y[split:], true_weights


def full_batch(X_train, y_train, num_iterations=100, learning_rate=0.1):
    grad_loss = grad(loss_function)  # with respect to the weights (argnums=0)
    weights = np.zeros(X_train.shape[1])
    for iteration in range(num_iterations):
        weights -= learning_rate * grad_loss(weights, X_train, y_train)
        if iteration % 10 == 0 or iteration == num_iterations - 1:
            print(
                f"  iteration {iteration:3d}  loss {loss_function(weights, X_train, y_train):.6f}"
            )
    return weights


def minibatch_sgd(X_train, y_train, epochs=30, batch_size=512, learning_rate=0.05, seed=1):
    grad_loss = grad(loss_function)
    rng = np.random.default_rng(seed)
    weights = np.zeros(X_train.shape[1])
    n = X_train.shape[0]
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):  # the last batch is shorter
            batch = order[start : start + batch_size]
            weights -= learning_rate * grad_loss(weights, X_train[batch], y_train[batch])
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch:3d}  loss {loss_function(weights, X_train, y_train):.6f}")
    return weights


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=43_303)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--show-gradient", action="store_true", help="print the generated code")
    options = parser.parse_args(argv)

    X_train, y_train, X_test, y_test, true_weights = make_data(options.rows, options.features)
    print(
        f"synthetic data: {X_train.shape[0]} training rows, {X_test.shape[0]} test rows, "
        f"{options.features} features"
    )
    if options.show_gradient:
        print(derivative_source(loss_function, np.zeros(options.features), X_train, y_train))

    print("full-batch gradient descent")
    w_gd = full_batch(X_train, y_train, options.iterations)
    print("mini-batch SGD (batches of 512, shuffled)")
    w_sgd = minibatch_sgd(X_train, y_train, options.epochs)

    results = {}
    for name, w in (("gradient descent", w_gd), ("mini-batch SGD", w_sgd)):
        results[name] = loss_function(w, X_test, y_test)
        print(
            f"test MSE, {name}: {results[name]:.6f}  "
            f"(|w - w_true| = {np.linalg.norm(w - true_weights):.2e})"
        )
    return results


if __name__ == "__main__":
    main()
