"""Results of a run: the final iterate, counters, status, and the per-iteration history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["History", "Result"]


@dataclass(frozen=True, repr=False)
class History:
    """Per-iteration record of a run; row ``k`` describes iterate ``k`` (0 to ``nit``).

    Attributes
    ----------
    loss : ndarray
        The objective at each iterate.
    grad_norm : ndarray
        The Euclidean norm of the gradient at each iterate.
    step : ndarray
        The step size that produced each iterate: the learning rate times the schedule's
        factor for the first-order rules, the accepted step length for line searches; NaN
        for the start. ``lr`` is the same array under its former name.
    time : ndarray
        Seconds since the start of the run when each iterate was evaluated.
    damping : ndarray or None
        Newton's method only: the damping t at each iterate, the Hessian's diagonal times
        ``1 + t`` (Marquardt's damping, which each coordinate feels relative to its own
        curvature) to make it positive definite (0 where none was needed; NaN for the start).
    iteration : ndarray or None
        Which iterate (or epoch) each row describes. A history never grows without bound:
        past 100,000 rows it keeps every second iterate (then every fourth, ...), always with
        the first and the last, so ``iteration`` is ``0, 1, ..., nit`` only for shorter runs.

    Examples
    --------
    >>> import descend
    >>> r = descend.minimize(descend.problems.parabola(), [0.0], lr=0.1)
    >>> len(r.history) == r.nit + 1
    True
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    step: np.ndarray
    time: np.ndarray
    damping: Optional[np.ndarray] = None
    iteration: Optional[np.ndarray] = None

    def __len__(self):
        return len(self.loss)

    @property
    def lr(self):
        """The step sizes, :attr:`step` under its former name (kept for compatibility)."""
        return self.step

    def as_dict(self):
        """Return the history as a dict of numpy arrays (e.g. for ``pandas.DataFrame``)."""
        out = {"loss": self.loss, "grad_norm": self.grad_norm, "step": self.step,
               "time": self.time}
        if self.iteration is not None:
            out["iteration"] = self.iteration
        if self.damping is not None:
            out["damping"] = self.damping
        return out

    def __repr__(self):
        return f"History({len(self)} iterates: loss, grad_norm, step, time)"


@dataclass(frozen=True, repr=False)
class Result:
    """The outcome of :func:`descend.minimize`.

    Attributes
    ----------
    x : ndarray
        The final iterate.
    fun : float
        The objective at ``x``.
    grad_norm : float
        The first-order measure at ``x``: the gradient's norm (for runs with a constraint or
        an L1 penalty, the norm of the gradient mapping ``(x - prox(x - lr g)) / lr``).
    nit : int
        Iterations performed.
    nfev, njev, nhev : int
        Evaluations of the objective, its gradient and its Hessian.
    status : str
        ``"converged"`` (the gradient norm fell to ``gtol`` times its value at x0, or to
        ``gtol_abs``, and the second-derivative test found nothing against a minimum),
        ``"saddle"`` or ``"maximum"`` (the gradient vanished where the curvature shows the
        point is not a minimum), ``"stalled"`` (the loss stopped changing by ``tol`` while the
        gradient had not become small; the message names the likely cause), ``"max_iter"``,
        ``"completed"`` (a mini-batch run used all its epochs without a tolerance to meet),
        ``"diverged"``, ``"line_search_failed"`` or ``"callback"``.
    success : bool
        True only for ``"converged"`` and ``"callback"``: a successful run ended at a point
        that passed the first-order test relative to the problem's own scale, and the
        second-derivative test (the Hessian, or differences of the gradient for a function
        without one) does not say it is a saddle point or a maximum.
    message : str
        What happened, in words (with a hint when the run failed).
    history : History
        Loss, gradient norm, step size and time per iterate.
    method : str
        The method that produced this result.
    path : ndarray or None
        The iterates, shape (nit + 1, n_params), when ``minimize(..., keep_path=True)``.
    x_best, fun_best : ndarray or None, float or None
        Mini-batch runs: the end-of-epoch iterate with the lowest epoch loss, and that loss
        (the full loss with ``epoch_loss="full"``, the mean of the epoch's batch losses with
        ``"running"``; stochastic runs often end slightly above their best point).

    Examples
    --------
    >>> import descend
    >>> r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.5)  # 1/l: one step
    >>> r.success, r.x.round(6).tolist()
    (True, [1.0, 2.0])
    """

    x: np.ndarray
    fun: float
    grad_norm: float
    nit: int
    nfev: int
    njev: int
    nhev: int
    status: str
    success: bool
    message: str
    history: History
    method: str = ""
    path: Optional[np.ndarray] = None
    x_best: Optional[np.ndarray] = None
    fun_best: Optional[float] = None

    @classmethod
    def _from_core(cls, raw, method, path=None):
        history = raw.pop("history")
        history = History(**history)
        return cls(history=history, method=method, path=path, **raw)

    def __repr__(self):
        x = np.array2string(self.x, precision=6, threshold=8)
        return (
            f"Result(method={self.method!r}, status={self.status!r}, success={self.success},\n"
            f"       fun={self.fun:.10g}, grad_norm={self.grad_norm:.3g}, nit={self.nit}, "
            f"nfev={self.nfev}, njev={self.njev}, nhev={self.nhev},\n"
            f"       x={x},\n"
            f"       message={self.message!r})"
        )
