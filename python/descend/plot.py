"""Plots of runs: loss curves, trajectories on contour plots, learning-rate sweeps.

matplotlib is an optional dependency (``pip install descend[plot]``), imported only when a
function here is called. Every function draws on the given ``ax`` (or a new figure) and
returns the matplotlib ``Figure``, so it works without a display (e.g. with the Agg backend).
"""

from __future__ import annotations

import numpy as np

from ._result import Result
from ._validation import check_int

__all__ = ["loss_curves", "trajectory", "lr_sweep"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "descend.plot needs matplotlib: pip install 'descend[plot]'"
        ) from None
    return plt


def _axes(ax, figsize=(6.4, 4.2)):
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _results_and_labels(results, labels):
    if isinstance(results, Result):
        results = [results]
    results = list(results)
    if not results or not all(isinstance(r, Result) for r in results):
        raise TypeError("results must be a descend Result or a sequence of them")
    if labels is None:
        labels = [r.method or f"run {i}" for i, r in enumerate(results)]
    labels = [str(label) for label in labels]
    if len(labels) != len(results):
        raise ValueError(f"labels must have one entry per result ({len(results)}), "
                         f"got {len(labels)}")
    return results, labels


def loss_curves(results, labels=None, *, ax=None, x="iteration", log=True, subtract=None):
    """Plot the loss of each run against iterations (or seconds) on one axes.

    Parameters
    ----------
    results : Result or sequence of Result
        Runs of :func:`descend.minimize`.
    labels : sequence of str, optional
        One legend entry per run; the method names by default.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    x : {"iteration", "time"}, default "iteration"
        The horizontal axis.
    log : bool, default True
        Logarithmic loss axis.
    subtract : float, optional
        Plot ``loss - subtract`` (e.g. the optimal loss, to see the rate of convergence).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import descend
    >>> r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1)
    >>> fig = descend.plot.loss_curves([r], ["gd"], subtract=1.0)
    """
    results, labels = _results_and_labels(results, labels)
    if x not in ("iteration", "time"):
        raise ValueError(f"x must be 'iteration' or 'time', got {x!r}")
    fig, ax = _axes(ax)
    for result, label in zip(results, labels):
        loss = np.asarray(result.history.loss, dtype=np.float64)
        if subtract is not None:
            loss = loss - float(subtract)
        xs = np.arange(len(loss)) if x == "iteration" else result.history.time
        if log:
            loss = np.where(loss > 0, loss, np.nan)
        ax.plot(xs, loss, label=f"{label} ({result.status})")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration" if x == "iteration" else "seconds")
    ax.set_ylabel("loss" if subtract is None else "loss - optimum")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


def trajectory(objective, results, labels=None, *, ax=None, bounds=None, levels=30,
               resolution=200):
    """Draw the paths of runs on a contour plot of a two-parameter objective.

    The runs must have been made with ``minimize(..., keep_path=True)``.

    Parameters
    ----------
    objective : descend.Objective
        An objective with ``n_params == 2``.
    results : Result or sequence of Result
        Runs with a recorded ``path``.
    labels : sequence of str, optional
        One legend entry per run.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    bounds : (xmin, xmax, ymin, ymax), optional
        The window; by default the paths' extent with a margin.
    levels : int, default 30
        Number of contour levels (spaced on a log scale of the loss above its minimum on the
        grid, so narrow valleys show).
    resolution : int, default 200
        Grid points per axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import descend
    >>> f = descend.problems.rosenbrock()
    >>> r = descend.minimize(f, [-1.2, 1.0], lr=1e-3, max_iter=500, keep_path=True)
    >>> fig = descend.plot.trajectory(f, [r], ["gd"])
    """
    results, labels = _results_and_labels(results, labels)
    if getattr(objective, "n_params", None) != 2:
        raise ValueError("trajectory needs an objective with exactly two parameters")
    for result in results:
        if result.path is None:
            raise ValueError("a result has no path: run minimize(..., keep_path=True)")
    resolution = check_int(resolution, "resolution", low=10)
    if bounds is None:
        points = np.vstack([r.path[np.isfinite(r.path).all(axis=1)] for r in results])
        low, high = points.min(axis=0), points.max(axis=0)
        margin = 0.15 * np.maximum(high - low, 1e-3) + 0.1
        bounds = (low[0] - margin[0], high[0] + margin[0], low[1] - margin[1],
                  high[1] + margin[1])
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution))
    values = np.array([objective.value(np.array([a, b]))
                       for a, b in zip(gx.ravel(), gy.ravel())]).reshape(gx.shape)
    fig, ax = _axes(ax, figsize=(6.0, 5.0))
    shifted = values - values.min()
    top = max(float(shifted.max()), 1e-12)
    contour_levels = np.unique(np.geomspace(max(top * 1e-6, 1e-12), top, levels))
    ax.contour(gx, gy, shifted, levels=contour_levels, cmap="viridis", linewidths=0.7)
    for result, label in zip(results, labels):
        path = result.path
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1,
                label=f"{label}: {result.nit} it. ({result.status})")
        ax.plot(path[-1, 0], path[-1, 1], "x", color="black")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("w0")
    ax.set_ylabel("w1")
    ax.legend(fontsize="small")
    return fig


def lr_sweep(objective, x0, lrs, *, method="gd", ax=None, **options):
    """Run a method at several learning rates and plot the final loss against the rate.

    Diverged runs are marked with a red cross at the top of the plot: the sweep shows where
    the learning rate stops working, the lectures' lr < 2 / l_max in practice.

    Parameters
    ----------
    objective : descend.Objective
        The objective to minimise.
    x0 : array_like
        The common starting point.
    lrs : sequence of float
        Learning rates (> 0) to try.
    method : str, default "gd"
        A method of :func:`descend.minimize` that takes ``lr``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    **options
        Further options for every run (e.g. ``max_iter``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    results : list of Result
        One run per learning rate.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import descend
    >>> fig, runs = descend.plot.lr_sweep(descend.problems.parabola(), [0.0],
    ...                                   [0.1, 0.5, 0.9, 1.1], max_iter=50)
    >>> [r.status for r in runs]
    ['max_iter', 'converged', 'max_iter', 'diverged']
    """
    from ._minimize import minimize

    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    if lrs.size == 0 or not np.all(lrs > 0) or not np.isfinite(lrs).all():
        raise ValueError("lrs must be a non-empty sequence of finite learning rates > 0")
    results = [minimize(objective, x0, method=method, lr=float(lr), **options) for lr in lrs]
    fig, ax = _axes(ax)
    final = np.array([r.fun for r in results])
    ok = np.array([r.status != "diverged" and np.isfinite(r.fun) for r in results])
    ax.plot(lrs[ok], final[ok], "o-", label="final loss")
    if (~ok).any():
        top = np.nanmax(final[ok]) if ok.any() else 1.0
        ax.plot(lrs[~ok], np.full((~ok).sum(), top), "x", color="red", markersize=9,
                label="diverged")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"loss after the run ({method})")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig, results
