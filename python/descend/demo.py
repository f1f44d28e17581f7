"""The demo: the lectures' facts about gradient-based optimisation shown with real runs.

Run it with ``python -m descend demo [--out DIR]``. It prints its tables and, with ``--out``,
also writes them with its figures (PNG, when matplotlib is installed) to ``DIR/report.md``.
Sections that need an optional package (matplotlib for figures, scikit-learn for its data sets
and as a peer) say so and carry on without it.
"""

from __future__ import annotations

import time
from typing import Any
from pathlib import Path

import numpy as np

from . import _core, _demo_mlp, _demo_text, problems, reference
from ._minimize import _METHODS, minimize
from .objectives import LeastSquares, Logistic, Quadratic


def _table(headers, rows):
    """Format rows as a Markdown table (also readable as plain text)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(x):
    return "[" + ", ".join(f"{v:.4f}" for v in np.atleast_1d(x)) + "]"


def lecture_problems():
    """Gradient descent on the lectures' test functions."""
    runs = [
        ("parabola w^2-3w+4", problems.parabola(), [0.0], 0.1),
        ("double well, start -2", problems.double_well(), [-2.0], 0.02),
        ("double well, start +2", problems.double_well(), [2.0], 0.02),
        ("bowl", problems.bowl(), [0.0, 0.0], 0.1),
        ("saddle (starts on the ridge)", problems.saddle(), [1.0, 0.0], 0.1),
        ("rosenbrock", problems.rosenbrock(), [-1.2, 1.0], 1e-3),
    ]
    rows = []
    for name, f, x0, lr in runs:
        r = minimize(f, x0, method="gd", lr=lr, max_iter=20_000)
        rows.append([name, _fmt(x0), lr, r.status, r.nit, _fmt(r.x), f"{r.fun:.6g}"])
    note = (
        "The double well ends in a different minimum from each start; on the saddle, a start "
        "exactly on the ridge w0 = 1 has no gradient along w0, so GD stops at the saddle point, "
        "which is why second-order checks matter."
    )
    return _table(["problem", "x0", "lr", "status", "iterations", "x", "R(x)"], rows), note


def learning_rate_regimes():
    """The three regimes on the parabola (Hessian 2): lr* = 1/2 and lr_th = 2/2 = 1."""
    f = problems.parabola()
    rows = []
    for lr, expect in [(0.2, "converges monotonically"), (0.5, "lr*: one step"),
                       (0.8, "oscillates, converges"), (1.05, "diverges")]:
        r = minimize(f, [0.0], lr=lr, max_iter=200, gtol=1e-9)
        path = reference.gradient_descent(reference.Quadratic([[2.0]], [3.0], 4.0), [0.0],
                                          lr=lr, max_iter=4, tol=0.0, gtol=0.0)
        first = r.history.loss[:4]
        sides = "".join("+" if x > 1.5 else ("-" if x < 1.5 else "0")
                        for x in _iterates(lr, 4))
        rows.append([lr, expect, r.status, r.nit, " ".join(f"{v:.3g}" for v in first),
                     sides, f"{path['x'][0]:.4g}"])
    return _table(["lr", "lecture regime", "status", "iterations", "first losses",
                   "side of w*=1.5 (steps 1-4)", "x after 4 steps"], rows)


def _iterates(lr, t):
    w, out = 0.0, []
    for _ in range(t):
        w = w - lr * (2 * w - 3)
        out.append(w)
    return out


def least_squares_fit(n=200_000, d=20, seed=0):
    """A least-squares fit by GD, compared with the numpy loop and the exact solution."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    coef = rng.normal(size=d)
    y = X @ coef + 0.1 * rng.normal(size=n)
    f = LeastSquares(X, y)
    lr, iters = 0.5, 50
    start = time.perf_counter()
    r = minimize(f, np.zeros(d), lr=lr, max_iter=iters, tol=0.0, gtol=0.0)
    t_descend = time.perf_counter() - start
    twin = reference.LeastSquares(X, y)
    start = time.perf_counter()
    t_out = reference.gradient_descent(twin, np.zeros(d), lr=lr, max_iter=iters, tol=0.0, gtol=0.0)
    t_numpy = time.perf_counter() - start
    exact = np.linalg.lstsq(X, y, rcond=None)[0]
    rows = [
        ["descend gd", iters, f"{t_descend * 1e3:.1f} ms", f"{r.fun:.8f}",
         f"{np.abs(r.x - exact).max():.2e}"],
        ["numpy twin loop", iters, f"{t_numpy * 1e3:.1f} ms", f"{t_out['fun']:.8f}",
         f"{np.abs(t_out['x'] - exact).max():.2e}"],
    ]
    note = (f"n = {n:,}, d = {d}, lr = {lr}; descend is {t_numpy / t_descend:.1f}x faster than "
            f"the numpy loop here (core build: {_core.build}).")
    table = _table(["solver", "iterations", "time", "final loss", "max abs(x - x_lstsq)"], rows)
    return table, note


#: The methods compared on the 2-D problems (gd and momentum get per-problem settings).
_COMPARE = ("gd", "momentum", "newton", "lbfgs")


def _comparison_runs(f, x0, tuned, max_iter):
    runs = {}
    for name in _COMPARE:
        runs[name] = minimize(f, x0, method=name, max_iter=max_iter, keep_path=True,
                              **tuned.get(name, {}))
    return runs


def method_comparison(figures):
    """gd, momentum, newton and lbfgs on an ill-conditioned quadratic and on Rosenbrock."""
    # gd at its best constant rate 2/(l_min + l_max); momentum at the heavy-ball optimum
    # lr = 4/(sqrt(l_max) + sqrt(l_min))^2, mu = ((sqrt(k) - 1)/(sqrt(k) + 1))^2, k = 25.
    problems_2d = [
        ("ill-conditioned quadratic (l = 1, 25)", Quadratic(np.diag([1.0, 25.0])), [4.0, 1.0],
         {"gd": {"lr": 2 / 26}, "momentum": {"lr": 4 / 36, "momentum": 4 / 9}}, 500),
        ("Rosenbrock", problems.rosenbrock(), [-1.2, 1.0],
         {"gd": {"lr": 1.5e-3}, "momentum": {"lr": 1.5e-3, "momentum": 0.9}}, 20_000),
    ]
    rows = []
    for title, f, x0, tuned, max_iter in problems_2d:
        runs = _comparison_runs(f, x0, tuned, max_iter)
        for name, r in runs.items():
            rows.append([title, name, r.status, r.nit, r.nfev, f"{r.fun:.3g}", _fmt(r.x)])
        figures.append((f"trajectories on the {title}", "trajectory", f, runs))
    note = ("On the quadratic, GD must keep lr below 2/25 and zig-zags across the narrow "
            "direction even at its best rate; momentum at its best setting needs about a "
            "fifth of the steps; Newton lands on the minimum in one step. On Rosenbrock, "
            "curvature information turns thousands of steps into tens.")
    table = _table(["problem", "method", "status", "iterations", "evaluations", "R(x)", "x"],
                   rows)
    return table, note


def _breast_cancer():
    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        return None
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


def logistic_regression(figures):
    """Every method on L2-penalised logistic regression (breast cancer), beside scikit-learn."""
    data = _breast_cancer()
    if data is None:
        return None, ("Skipped: this section uses scikit-learn's breast-cancer data "
                      "(pip install 'descend[demo]').")
    X, y = data
    C = 1.0
    f = Logistic(X, y, l2=1.0 / (C * len(y)), fit_intercept=True)
    settings = {"gd": {"lr": 1.0, "max_iter": 5000}, "momentum": {"lr": 0.5, "momentum": 0.9},
                "adam": {"lr": 0.05}, "newton": {}, "bfgs": {}, "lbfgs": {}}
    rows, runs = [], {}
    for name in settings:
        options: dict[str, Any] = {"max_iter": 5000, **settings[name]}
        if "gtol" in _METHODS[name].options:
            options["gtol"] = 1e-6
        start = time.perf_counter()
        r = minimize(f, np.zeros(f.n_params), method=name, **options)
        seconds = time.perf_counter() - start
        runs[name] = r
        rows.append([name, f"{seconds * 1e3:.1f} ms", r.nit, f"{r.fun:.10f}", r.status])
    from sklearn.linear_model import LogisticRegression as SkLogistic

    for solver in ("newton-cholesky", "lbfgs"):
        start = time.perf_counter()
        model = SkLogistic(C=C, solver=solver, tol=1e-8, max_iter=5000).fit(X, y)
        seconds = time.perf_counter() - start
        w = np.r_[model.coef_.ravel(), model.intercept_]
        rows.append([f"scikit-learn {solver}", f"{seconds * 1e3:.1f} ms",
                     int(np.max(model.n_iter_)), f"{f.value(w):.10f}", "-"])
    best = min(r.fun for r in runs.values())
    figures.append(("loss curves, logistic regression on breast cancer", "loss", best, runs))
    note = (f"n = {X.shape[0]}, d = {X.shape[1]} (standardised), C = {C}; the same objective "
            "for every row, so the final losses are comparable.")
    return _table(["method", "time", "iterations", "final loss", "status"], rows), note


def digits_sgd(figures):
    """Mini-batch SGD with He initialisation on the digits: accuracy after every epoch."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None, ("Skipped: this section uses scikit-learn's digits data "
                      "(pip install 'descend[demo]').")
    from . import init
    from .objectives import Softmax

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:1400], order[1400:]
    f = Softmax(np.ascontiguousarray(X[train]), y[train], l2=1e-4, fit_intercept=True)
    K, d = 10, X.shape[1]
    W0 = np.hstack([init.he(fan_in=d, shape=(K, d), seed=0), init.bias((K, 1), 0.0)])

    def accuracy(w, rows):
        W = f.coef_matrix(w)
        return np.mean(np.argmax(X[rows] @ W[:, :d].T + W[:, d], axis=1) == y[rows])

    rows = []

    def per_epoch(info):
        rows.append([info.nit, f"{info.loss:.4f}", f"{accuracy(info.x, train):.3f}",
                     f"{accuracy(info.x, test):.3f}"])

    start = time.perf_counter()
    r = minimize(f, W0.ravel(), method="momentum", lr=0.1, momentum=0.9, batch_size=32,
                 epochs=10, seed=0, schedule="inverse", callback=per_epoch)
    seconds = time.perf_counter() - start
    rows.insert(0, [0, f"{r.history.loss[0]:.4f}", f"{accuracy(W0.ravel(), train):.3f}",
                    f"{accuracy(W0.ravel(), test):.3f}"])
    figures.append(("loss per epoch, mini-batch SGD on the digits", "loss", 0.0,
                    {"momentum, batch 32": r}))
    note = (f"Softmax regression (10 classes, 65 parameters each) from He-initialised weights "
            f"N(0, 2/64); momentum 0.9, batch 32, lr 0.1/(1 + epoch); 10 epochs in "
            f"{seconds * 1e3:.0f} ms; trained on 1,400 digits, tested on the other 397.")
    return _table(["epoch", "loss", "train accuracy", "test accuracy"], rows), note


def run(out=None):
    """Run the demo, print its tables, and write ``report.md`` into `out` when given.

    Parameters
    ----------
    out : str or Path, optional
        Folder for the report (created if missing).

    Returns
    -------
    str
        The report as Markdown.

    Examples
    --------
    >>> from descend import demo
    >>> text = demo.run()  # doctest: +SKIP
    """
    sections = []
    table, note = lecture_problems()
    sections.append(("Gradient descent on the lectures' test functions", table, note))
    sections.append((
        "Learning-rate regimes on the parabola (l = 2, so lr* = 0.5 and lr_th = 1)",
        learning_rate_regimes(),
        "Below lr_th every step shrinks the error by |1 - lr*l|; past lr* the iterate jumps "
        "across the minimum each step; past lr_th it jumps further each time.",
    ))
    figures: list[Any] = []
    table, note = method_comparison(figures)
    sections.append(("Four methods on two 2-D problems", table, note))
    table, note = logistic_regression(figures)
    sections.append(("Logistic regression on breast cancer", table, note))
    table, note = digits_sgd(figures)
    sections.append(("Mini-batch SGD on the digits", table, note))
    table, note = _demo_text.text_classification()
    sections.append(("Text-like classification: sparse rows, lazy SGD steps", table, note))
    _demo_mlp.run_sections(sections, figures)  # the neural-network sections
    table, note = least_squares_fit()
    sections.append(("A least-squares fit", table, note))
    report = "# descend demo\n"
    for title, table, note in sections:
        block = f"\n## {title}\n\n{table or ''}\n\n{note}\n"
        print(block)
        report += block
    if out is not None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        report += _write_figures(figures, path)
        (path / "report.md").write_text(report, encoding="utf-8")
        print(f"report written to {path / 'report.md'}")
    return report


def _write_figures(figures, path):
    """Save the figures as PNG files; returns the report's Markdown for them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        message = ("Figures skipped: matplotlib is not installed "
                   "(pip install 'descend[plot]' to get them).")
        print(message)
        return f"\n## Figures\n\n{message}\n"
    from . import plot

    text = "\n## Figures\n"
    for index, (title, kind, subject, runs) in enumerate(figures, start=1):
        if kind == "trajectory":
            fig = plot.trajectory(subject, list(runs.values()), list(runs))
        elif kind == "figure":  # a section that draws its own figure: subject() returns it
            fig = subject()
        else:
            shift = subject * (1 - 1e-12) if subject else None
            fig = plot.loss_curves(list(runs.values()), list(runs), subtract=shift)
        fig.axes[0].set_title(title)
        name = f"figure{index}.png"
        fig.savefig(path / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
        text += f"\n![{title}]({name})\n"
        print(f"figure written to {path / name}")
    return text
