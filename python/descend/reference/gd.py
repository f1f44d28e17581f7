"""numpy twin of the full-batch gradient-descent loop and its stopping rules."""

from __future__ import annotations

import numpy as np


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
    start, previous, rises, t = f, np.nan, 0, 0
    while True:
        gnorm = np.linalg.norm(g)
        if not (np.isfinite(f) and np.isfinite(gnorm)):
            status = "diverged"
            break
        if gnorm <= gtol or (t > 0 and abs(f - previous) <= tol):
            status = "converged"
            break
        rises = rises + 1 if (t > 0 and f > previous) else 0
        previous = f
        if rises >= divergence_patience and f > start:
            status = "diverged"
            break
        if t >= max_iter:
            status = "max_iter"
            break
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
