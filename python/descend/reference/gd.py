"""numpy twin of the full-batch gradient-descent loop and its stopping rules."""

from __future__ import annotations

import numpy as np


class StopRules:
    """The stop monitor of the compiled loops (stopping.hpp), checked after every evaluation.

    ``check(t, f, gnorm, scaled=None)`` returns "diverged", "converged", "stalled",
    "max_iter" or None (go on). ``gtol`` is relative to the first gradient norm; ``tol`` to
    the decrease achieved so far; ``tol_abs`` is the lectures' absolute rule (None: off).
    ``scaled`` is the gradient's norm in the objective's parameter scales (see
    :func:`scaled_norm`): when given, the relative test must hold for it too.
    """

    def __init__(self, tol, gtol, max_iter, divergence_patience=10, tol_abs=None, gtol_abs=0.0,
                 n_iter_no_change=1, improvement=False):
        self.tol, self.gtol, self.max_iter = tol, gtol, max_iter
        self.tol_abs, self.gtol_abs = tol_abs, gtol_abs
        self.patience, self.n_iter_no_change = divergence_patience, n_iter_no_change
        self.improvement = improvement
        self.start = self.previous = self.best = np.nan
        self.threshold = 0.0
        self.scaled0 = np.nan
        self.rises = self.quiet = self.absolute_streak = self.relative_streak = 0
        self.streak_gnorm = 0.0

    def _loss_rule_holds(self, f, gnorm):
        change = self.best - f if self.improvement else abs(f - self.previous)
        progress = self.start - min(self.best, f)
        relative = self.tol is not None and self.tol >= 0 and change <= self.tol * progress
        absolute = self.tol_abs is not None and change <= self.tol_abs
        self.best = min(self.best, f)
        if self.improvement:
            self.quiet = self.quiet + 1 if (relative or absolute) else 0
            return self.quiet >= self.n_iter_no_change
        self.absolute_streak = self.absolute_streak + 1 if absolute else 0
        if not relative:
            self.relative_streak = 0
        elif self.relative_streak == 0 or not gnorm >= 0.99 * self.streak_gnorm:
            self.relative_streak, self.streak_gnorm = 1, gnorm
        else:
            self.relative_streak += 1
        return (self.absolute_streak >= self.n_iter_no_change
                or self.relative_streak >= max(self.n_iter_no_change, 10))

    def check(self, t, f, gnorm, scaled=None):
        if not (np.isfinite(f) and np.isfinite(gnorm)):
            return "diverged"
        scaled = np.nan if scaled is None else scaled
        if t == 0:
            self.start = self.best = self.previous = f
            self.threshold = max(self.gtol * gnorm, self.gtol_abs)
            self.scaled0 = scaled
        if gnorm <= self.threshold and (
                (self.gtol_abs > 0 and gnorm <= self.gtol_abs)
                or not scaled > self.gtol * self.scaled0):
            return "converged"
        if t > 0 and self._loss_rule_holds(f, gnorm):
            return "stalled"
        self.rises = self.rises + 1 if (t > 0 and f > self.previous) else 0
        self.previous = f
        if self.rises >= self.patience and f > self.start:
            return "diverged"
        if t >= self.max_iter:
            return "max_iter"
        return None


def scaled_norm(objective):
    """``g -> ||g / sqrt(D)||`` with D the objective's ``parameter_scales()``, or a function
    returning None when the objective has none.

    D_j is parameter j's curvature scale (for a linear model, feature j's weighted mean
    square plus l2, and 1 for an intercept): measured in it, the first-order test cannot
    pass while a parameter of a tiny (or huge) feature is still far from its optimum.
    """
    scales = getattr(objective, "parameter_scales", None)
    if scales is None:
        return lambda g: None
    inverse = 1.0 / np.sqrt(np.asarray(scales(), dtype=np.float64))
    return lambda g: float(np.linalg.norm(np.asarray(g) * inverse))


def gradient_descent(objective, x0, lr=0.1, tol=1e-15, gtol=1e-6, max_iter=1000,
                     divergence_patience=10, tol_abs=None, gtol_abs=0.0):
    """Run w <- w - lr * grad R(w) with the same stopping rules as the compiled loop.

    After each evaluation, in this order: a non-finite loss or gradient means "diverged";
    ``||g_t|| <= max(gtol ||g_0||, gtol_abs)`` means "converged";
    ``|R(w_t) - R(w_{t-1})| <= tol (R_0 - R_t)`` (or ``<= tol_abs``) means "stalled"; a loss
    that rose at each of the last ``divergence_patience`` iterations and is above its
    starting value means "diverged"; ``t >= max_iter`` means "max_iter". (The compiled loop
    then applies the second-derivative test to a "converged" run.)

    Returns a dict with x, fun, grad_norm, nit, status and history (loss, grad_norm, step).
    """
    x = np.array(x0, dtype=np.float64)
    f, g = objective.value_and_gradient(x)
    history = {"loss": [f], "grad_norm": [np.linalg.norm(g)], "step": [np.nan]}
    rules = StopRules(tol, gtol, max_iter, divergence_patience, tol_abs=tol_abs,
                      gtol_abs=gtol_abs)
    t = 0
    scaled = scaled_norm(objective)
    while (status := rules.check(t, f, np.linalg.norm(g), scaled(g))) is None:
        x = x - lr * g
        t += 1
        f, g = objective.value_and_gradient(x)
        history["loss"].append(f)
        history["grad_norm"].append(np.linalg.norm(g))
        history["step"].append(lr)
    return {
        "x": x,
        "fun": f,
        "grad_norm": float(np.linalg.norm(g)),
        "nit": t,
        "status": status,
        "history": {k: np.asarray(v) for k, v in history.items()},
    }
