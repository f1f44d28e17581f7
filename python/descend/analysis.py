"""Curvature diagnostics: the lectures' Hessian analysis turned into numbers and advice.

``curvature(objective, w)`` classifies a point by the second-derivative test and gives the
learning rates the lectures derive from the Hessian's eigenvalues: 2/l_max (the stability
limit of gradient descent), 2/(l_min + l_max) (the best constant rate) with its contraction
factor (k - 1)/(k + 1), and the optimal step along -g, g'g / g'Hg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from . import _core
from ._minimize import as_objective
from ._validation import check_int, check_real, check_vector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Curvature", "curvature", "lr_range", "lanczos_extremes"]


@dataclass(frozen=True)
class Curvature:
    """The curvature of an objective at a point.

    Attributes
    ----------
    eigenvalues : ndarray
        The Hessian's eigenvalues, ascending (only the extreme two with Lanczos).
    eigenvectors : ndarray or None
        The matching eigenvectors as columns (dense method only).
    condition_number : float
        l_max / l_min (inf when l_min <= 0).
    kind : str
        "minimum", "maximum", "saddle", "inconclusive" (a zero eigenvalue, the rest of one
        sign) or "not critical" (the gradient is not zero).
    grad_norm : float
        The gradient's norm at the point.
    max_stable_lr : float
        2 / l_max: gradient descent diverges above it (inf when l_max <= 0).
    best_lr : float
        2 / (l_min + l_max), the best constant rate on a positive definite quadratic.
    contraction : float
        The error factor per step at best_lr, (k - 1)/(k + 1) with k the condition number.
    exact_step : float
        g'g / g'Hg, the optimal step along -g on the local quadratic model (NaN if g = 0).
    """

    eigenvalues: np.ndarray
    eigenvectors: Optional[np.ndarray]
    condition_number: float
    kind: str
    grad_norm: float
    max_stable_lr: float
    best_lr: float
    contraction: float
    exact_step: float


def lanczos_extremes(hvp, n, steps=60, seed=0):
    """Estimate the smallest and largest eigenvalues of a symmetric operator by Lanczos.

    Parameters
    ----------
    hvp : callable
        ``v -> H v``.
    n : int
        The dimension.
    steps : int, default 60
        Lanczos steps (at most n), with full reorthogonalisation.
    seed : int, default 0
        Seed of the random start vector.

    Returns
    -------
    (float, float)
        Estimates of (l_min, l_max); the extremes converge first.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.analysis import lanczos_extremes
    >>> H = np.diag(np.arange(1.0, 101.0))
    >>> [round(v, 6) for v in lanczos_extremes(lambda v: H @ v, 100)]
    [1.0, 100.0]
    """
    if not callable(hvp):
        raise TypeError(f"hvp must be a callable v -> H v, got {type(hvp).__name__}")
    n = check_int(n, "n", low=1)
    steps = min(check_int(steps, "steps", low=1), n)
    rng = np.random.default_rng(seed)

    def product(v):
        try:
            out = np.asarray(hvp(v.copy()), dtype=np.float64)  # the caller may keep its input
        except (TypeError, ValueError):
            raise TypeError("hvp must return a real array of length n") from None
        if out.shape != (n,):
            raise ValueError(f"hvp must return an array of length n={n}, got shape {out.shape}")
        if not np.isfinite(out).all():
            raise ValueError("hvp returned NaN or infinity")
        return out

    Q = np.empty((steps, n))  # the Lanczos basis, one row per step
    q = rng.standard_normal(n)
    Q[0] = q / np.linalg.norm(q)
    alphas: list[float] = []
    betas: list[np.floating[Any]] = []
    for k in range(steps):
        w = product(Q[k])
        alpha = Q[k] @ w
        w = w - alpha * Q[k] - (betas[-1] * Q[k - 1] if betas else 0.0)
        # Full reorthogonalisation against the basis so far, as two classical Gram-Schmidt
        # passes in matrix form ("twice is enough"): keeps the estimates honest.
        for _ in range(2):
            w -= Q[:k + 1].T @ (Q[:k + 1] @ w)
        alphas.append(alpha)
        beta = np.linalg.norm(w)
        if k == steps - 1 or beta <= 1e-12 * max(1.0, abs(alpha)):
            break
        betas.append(beta)
        Q[k + 1] = w / beta
    T = np.diag(alphas) + np.diag(betas[:len(alphas) - 1], 1) + np.diag(betas[:len(alphas) - 1],
                                                                      -1)
    ritz = np.linalg.eigvalsh(T)
    return float(ritz[0]), float(ritz[-1])


def curvature(objective: Union[_core.Objective, Callable[..., Any]], w: ArrayLike, *,
              tol: float = 1e-8, method: str = "auto", steps: int = 60,
              jac: Union[Callable[..., Any], bool, str, None] = None,
              hess: Optional[Callable[..., Any]] = None,
              hessp: Optional[Callable[..., Any]] = None) -> Curvature:
    """Analyse the Hessian of `objective` at `w` (the second-derivative test and step sizes).

    Parameters
    ----------
    objective : descend.Objective or callable
        An objective with a Hessian (``has_hessian``), or a Python function ``f(x) -> float``
        with `jac` and `hess` or `hessp` (scipy's conventions, as in :func:`descend.minimize`).
    w : array_like
        The point.
    tol : float, default 1e-8
        Relative tolerance: an eigenvalue with ``|l| <= tol max|l|`` counts as zero, and the
        point counts as critical when ``||g|| <= sqrt(tol) max|l| max(1, ||w||)`` (scale-free:
        a flat objective is not critical wherever its gradient is small).
    method : {"auto", "dense", "lanczos"}, default "auto"
        "dense" forms the Hessian and all its eigenvalues; "lanczos" uses only Hessian-vector
        products (no dense Hessian: for large problems); "auto" is dense up to 300 parameters,
        as the solvers' end-of-run test is.
    steps : int, default 60
        Lanczos steps.
    jac, hess, hessp : callable, optional
        The derivatives of a Python function `objective` (``jac=True``: it returns
        (value, gradient)); `hessp` alone suffices for "lanczos".

    Returns
    -------
    Curvature

    Examples
    --------
    >>> import descend
    >>> c = descend.analysis.curvature(descend.problems.saddle(), [1.0, 2.0])
    >>> c.kind, c.eigenvalues.tolist()
    ('saddle', [-2.0, 2.0])
    >>> descend.analysis.curvature(descend.problems.bowl(), [1.0, 2.0]).max_stable_lr
    1.0
    >>> import numpy as np
    >>> H = np.diag([1.0, 9.0])
    >>> descend.analysis.curvature(lambda x: x @ H @ x / 2, [0.0, 0.0], jac=lambda x: H @ x,
    ...                            hess=lambda x: H).best_lr
    0.2
    """
    if callable(objective) and not isinstance(objective, _core.Objective):
        w = np.array(w, dtype=np.float64).ravel()
        if hess is None and hessp is None:
            raise ValueError("curvature needs the Hessian of a Python function: pass "
                             "hess=callable or hessp=callable")
    objective = as_objective(objective, np.size(w), jac, hess, hessp)
    if not objective.has_hessian:
        raise ValueError("curvature needs an objective with a Hessian")
    w = np.array(check_vector(w, "w", size=objective.n_params,
                              size_hint="the objective's n_params"), dtype=np.float64)
    tol = check_real(tol, "tol", low=0.0)
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    if method == "auto":
        # The limit of the solvers' own end-of-run test (curvature.hpp), so the two agree.
        method = "dense" if objective.n_params <= 300 else "lanczos"
    g = objective.gradient(w)
    if not np.isfinite(g).all():
        raise ValueError("the gradient at w is not finite (overflow at this point?)")
    vectors = None
    if method == "dense":
        H = objective.hessian(w)
        if not np.isfinite(H).all():
            raise ValueError("the Hessian at w is not finite (overflow at this point?)")
        eigenvalues, vectors = np.linalg.eigh(H)
    else:
        try:
            eigenvalues = np.array(lanczos_extremes(lambda v: objective.hvp(w, v),
                                                    objective.n_params, steps))
        except ValueError:
            raise ValueError("the Hessian at w is not finite (overflow at this point?)") from None
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    gnorm = float(np.linalg.norm(g))
    # Critical when the gradient is small against the curvature times the point's scale:
    # ||g|| / max|l| (how far the local model's critical point is, at least) is then below
    # sqrt(tol) max(1, ||w||). A floor of 1 on the curvature would call any point of a
    # flat problem critical.
    scale = max(abs(low), abs(high)) * max(1.0, float(np.linalg.norm(w)))
    if gnorm > np.sqrt(tol) * (scale if scale > 0 else 1.0):
        kind = "not critical"
    else:  # the same rule the solvers apply when a run ends (cpp/include/descend/curvature.hpp)
        kind = _core.classify_curvature(low, high, tol)
    condition = high / low if low > 0 else np.inf
    gHg = g @ objective.hvp(w, g)
    return Curvature(
        eigenvalues=eigenvalues,
        eigenvectors=vectors,
        condition_number=float(condition),
        kind=kind,
        grad_norm=gnorm,
        max_stable_lr=2.0 / high if high > 0 else np.inf,
        best_lr=2.0 / (low + high) if low > 0 else np.nan,
        contraction=(condition - 1) / (condition + 1) if low > 0 else np.nan,
        exact_step=float(g @ g / gHg) if gHg > 0 else np.nan,
    )


def lr_range(objective: Union[_core.Objective, Callable[..., Any]], w: ArrayLike,
             **kwargs: Any) -> str:
    """Turn :func:`curvature` into learning-rate advice a person can read.

    Parameters
    ----------
    objective : descend.Objective
    w : array_like
    **kwargs
        Passed to :func:`curvature`.

    Returns
    -------
    str

    Examples
    --------
    >>> import descend
    >>> print(descend.analysis.lr_range(descend.problems.bowl(), [0.0, 0.0]))  # doctest: +ELLIPSIS
    Curvature at this point: eigenvalues from 2 to 2 (condition number 1).
    ...
    """
    c = curvature(objective, w, **kwargs)
    low, high = c.eigenvalues[0], c.eigenvalues[-1]
    lines = [f"Curvature at this point: eigenvalues from {low:.4g} to {high:.4g} "
             f"(condition number {c.condition_number:.4g})."]
    if high <= 0:
        lines.append("No direction curves upwards: gradient descent is not stable at any fixed "
                     "learning rate here (it keeps going down, if anything).")
    else:
        lines.append(f"Gradient descent is stable for lr < {c.max_stable_lr:.4g} (2/l_max); "
                     f"it oscillates across the steepest direction for lr > "
                     f"{c.max_stable_lr / 2:.4g} (1/l_max).")
    if low > 0:
        lines.append(f"The best constant rate is {c.best_lr:.4g} (2/(l_min + l_max)): each "
                     f"step shrinks the error by a factor {c.contraction:.4g} at least.")
        if c.condition_number > 100:
            lines.append("The problem is ill-conditioned: momentum, Newton's method or "
                         "(L-)BFGS will need far fewer steps than plain gradient descent.")
    if np.isfinite(c.exact_step):
        lines.append(f"The optimal step along -g from here is {c.exact_step:.4g} (g'g/g'Hg).")
    lines.append(f"The point is: {c.kind}.")
    return "\n".join(lines)
