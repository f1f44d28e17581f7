"""The demo's neural-network sections (called by :mod:`descend.demo`): the lectures' digits
practical with a network trained by four methods, and He against a small uniform
initialisation for a deeper ReLU network."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._minimize import minimize
from ._mlp import MLP


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25,
                                                        random_state=0)
    return np.ascontiguousarray(X_train), X_test, y_train, y_test


def _accuracy(f, w, X, y):
    return float(np.mean(f.predict(w, X).argmax(axis=1) == y))


#: The four methods of the practical: (label, method, options); epochs for the mini-batch
#: ones, iterations for L-BFGS.
DIGITS_METHODS: list[tuple[str, str, dict[str, Any]]] = [
    ("SGD, lr 0.1", "sgd", dict(lr=0.1, batch_size=32, epochs=30, seed=0)),
    ("momentum 0.9, lr 0.02", "momentum", dict(lr=0.02, momentum=0.9, batch_size=32, epochs=30,
                                                 seed=0)),
    ("Adam, lr 1e-3", "adam", dict(lr=1e-3, batch_size=32, epochs=30, seed=0)),
    ("L-BFGS", "lbfgs", dict(max_iter=150)),
]


def digits_network(figures):
    """Train 64-100-10 ReLU on the digits with SGD, momentum, Adam and L-BFGS.

    Appends one figure (loss curves and test accuracy per epoch) to `figures` and returns
    the section's (table, note).

    Parameters
    ----------
    figures : list
        The demo's figure list; an entry ``(title, "figure", draw, None)`` is appended.

    Returns
    -------
    (str or None, str)
    """
    try:
        X_train, X_test, y_train, y_test = _digits()
    except ImportError:
        return None, ("Skipped: this section uses scikit-learn's digits data "
                      "(pip install 'descend[demo]').")
    f = MLP(X_train, y_train, hidden=(100,), activation="relu", l2=1e-4)
    w0 = f.init(seed=0, scheme="he")
    curves, rows = {}, []
    for label, method, options in DIGITS_METHODS:
        accuracy = [_accuracy(f, w0, X_test, y_test)]

        def record(info, accuracy=accuracy):
            accuracy.append(_accuracy(f, info.x, X_test, y_test))

        start = time.perf_counter()
        r = minimize(f, w0, method=method, callback=record, **options)
        seconds = time.perf_counter() - start
        curves[label] = (np.asarray(r.history.loss), np.asarray(accuracy))
        rows.append([label, f"{seconds:.2f} s", int(r.nit), f"{r.fun:.4f}",
                     f"{_accuracy(f, r.x, X_train, y_train):.3f}",
                     f"{_accuracy(f, r.x, X_test, y_test):.3f}"])

    def draw():
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for label, (loss, accuracy) in curves.items():
            left.semilogy(loss, label=label)
            right.plot(accuracy, label=label)
        left.set_xlabel("epoch (L-BFGS: iteration)")
        left.set_ylabel("training loss")
        right.set_xlabel("epoch (L-BFGS: iteration)")
        right.set_ylabel("test accuracy")
        right.set_ylim(0.8, 1.0)
        right.legend()
        return fig

    figures.append(("a 64-100-10 ReLU network on the digits", "figure", draw, None))
    from .demo import _table

    note = (f"{X_train.shape[0]} training digits, {X_test.shape[0]} test digits; He "
            "initialisation N(0, 2/fan_in), zero biases, l2 = 1e-4, batch 32; the same start "
            "for every method.")
    return _table(["method", "time", "epochs / iterations", "final loss", "train accuracy",
                   "test accuracy"], rows), note


def initialisation(figures, depth=6, width=64, epochs=20):
    """A deeper ReLU network from He initialisation and from a small uniform one.

    Parameters
    ----------
    figures : list
        The demo's figure list; one entry is appended (loss curves side by side).
    depth, width : int
        Hidden layers and their width.
    epochs : int

    Returns
    -------
    (str or None, str)
    """
    try:
        X_train, X_test, y_train, y_test = _digits()
    except ImportError:
        return None, "Skipped: this section uses scikit-learn's digits data."
    f = MLP(X_train, y_train, hidden=(width,) * depth, activation="relu")
    starts = {"He, N(0, 2/fan_in)": f.init(seed=0, scheme="he"),
              "uniform U(-0.01, 0.01)": f.init(seed=0, scheme="uniform", eps=0.01)}
    runs, rows = {}, []
    for label, w0 in starts.items():
        r = minimize(f, w0, method="momentum", lr=0.005, momentum=0.9, batch_size=32,
                     epochs=epochs, seed=0)
        runs[label] = np.asarray(r.history.loss)
        rows.append([label, f"{r.history.loss[0]:.4f}", f"{r.fun:.4f}",
                     f"{_accuracy(f, r.x, X_test, y_test):.3f}"])

    def draw():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, (label, loss) in zip(axes, runs.items()):
            ax.semilogy(loss)
            ax.set_title(label)
            ax.set_xlabel("epoch")
        axes[0].set_ylabel("training loss")
        return fig

    figures.append((f"{depth} ReLU layers of {width}: He against a small uniform start",
                    "figure", draw, None))
    from .demo import _table

    note = (f"{depth} hidden ReLU layers of {width} units, momentum 0.9, lr 0.005, batch 32, "
            f"{epochs} epochs from each start. With weights of U(-0.01, 0.01) (variance "
            "eps^2/3) every ReLU layer scales the signal's spread (and the gradient's on the "
            f"way back) by about eps sqrt(fan_in / 6) = {0.01 * np.sqrt(width / 6):.3f}, so "
            "the outputs start all but constant and the "
            "loss sits at log 10 for a long time; He's variance 2/fan_in keeps the "
            "activations' scale from layer to layer and training starts at once.")
    return _table(["start", "initial loss", "final loss", "test accuracy"], rows), note


def run_sections(sections, figures):
    """Append the network sections to the demo's `sections` and `figures`.

    Parameters
    ----------
    sections : list of (title, table, note)
    figures : list

    Examples
    --------
    >>> from descend import _demo_mlp
    >>> sections, figures = [], []
    >>> _demo_mlp.run_sections(sections, figures)  # doctest: +SKIP
    """
    table, note = digits_network(figures)
    sections.append(("A neural network on the digits", table, note))
    table, note = initialisation(figures)
    sections.append(("Initialisation of a deeper ReLU network", table, note))
