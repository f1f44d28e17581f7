"""numpy twin of the full-batch gradient-descent loop and its stopping rules."""

from __future__ import annotations

import numpy as np


class StopRules:
    """The stopping rules of the compiled loops (stopping.hpp), checked after every evaluation.

    ``check(t, f, gnorm)`` returns "diverged", "converged", "max_iter" or None (go on).
    """

    def __init__(self, tol, gtol, max_iter, divergence_patience=10):
        self.tol, self.gtol, self.max_iter = tol, gtol, max_iter
        self.patience = divergence_patience
        self.start = self.previous = np.nan
        self.rises = 0

    def check(self, t, f, gnorm):
        if not (np.isfinite(f) and np.isfinite(gnorm)):
            return "diverged"
        if t == 0:
            self.start = f
        if gnorm <= self.gtol or (t > 0 and abs(f - self.previous) <= self.tol):
            return "converged"
        self.rises = self.rises + 1 if (t > 0 and f > self.previous) else 0
        self.previous = f
        if self.rises >= self.patience and f > self.start:
            return "diverged"
        if t >= self.max_iter:
            return "max_iter"
        return None


def gradient_descent(objective, x0, lr=0.1, tol=1e-10, gtol=1e-6, max_iter=1000,
                     divergence_patience=10):
    """Run w <- w - lr * grad R(w) with the same stopping rules as the compiled loop.

    After each evaluation, in this order: a non-finite loss or gradient means "diverged";
    ``||g|| <= gtol`` or ``|R(w_t) - R(w_{t-1})| <= tol`` means "converged"; a loss that rose
    at each of the last ``divergence_patience`` iterations and is above its starting value
    means "diverged"; ``t >= max_iter`` means "max_iter".

    Returns a dict with x, fun, grad_norm, nit, status and history (loss, grad_norm, lr).
    """
    x = np.array(x0, dtype=np.float64)
    f, g = objective.value_and_gradient(x)
    history = {"loss": [f], "grad_norm": [np.linalg.norm(g)], "lr": [np.nan]}
    rules, t = StopRules(tol, gtol, max_iter, divergence_patience), 0
    while (status := rules.check(t, f, np.linalg.norm(g))) is None:
        x = x - lr * g
        t += 1
        f, g = objective.value_and_gradient(x)
        history["loss"].append(f)
        history["grad_norm"].append(np.linalg.norm(g))
        history["lr"].append(lr)
    return {
        "x": x,
        "fun": f,
        "grad_norm": float(np.linalg.norm(g)),
        "nit": t,
        "status": status,
        "history": {k: np.asarray(v) for k, v in history.items()},
    }
