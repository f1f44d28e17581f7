"""numpy twins of the line searches and of the descent-direction methods (steepest descent
with a line search, Newton with Cholesky solves and damping, BFGS, L-BFGS, and orthant-wise
L-BFGS for an L1 penalty)."""

from __future__ import annotations

from collections import deque

import numpy as np

from .gd import StopRules, scaled_norm


class Probe:
    """phi(a) = R(x + a d), remembering the last point evaluated."""

    def __init__(self, objective, x, d):
        self.objective, self.x, self.d = objective, x, d
        self.nfev = 0
        self.step = 0.0

    def __call__(self, a):
        self.step = a
        self.x_trial = self.x + a * self.d
        self.f_trial, self.g_trial = self.objective.value_and_gradient(self.x_trial)
        self.g_trial = np.asarray(self.g_trial, dtype=np.float64)
        self.slope = self.g_trial @ self.d
        self.nfev += 1
        return self.f_trial


def decreases_enough(fa, slope_a, f0, slope0, a, c1):
    """Sufficient decrease, or Hager and Zhang's approximate form near the rounding floor."""
    if not np.isfinite(fa):
        return False
    if fa <= f0 + c1 * a * slope0:
        return True
    return fa <= f0 + 1e-14 * abs(f0) and slope_a <= (2.0 * c1 - 1.0) * slope0


def armijo(phi, f0, slope0, a0, c1=1e-4, max_evals=50):
    """Halve the step from a0 until R(x + a d) <= R(x) + c1 a g'd (or its approximate form)."""
    a = a0
    for _ in range(max_evals):
        fa = phi(a)
        if decreases_enough(fa, phi.slope, f0, slope0, a, c1):
            return True
        a *= 0.5
    return False


def wolfe(phi, f0, slope0, a0, c1=1e-4, c2=0.9, max_evals=50):
    """Strong Wolfe conditions: bracket a step, then zoom (Nocedal and Wright, 3.5-3.6)."""
    lo, f_lo, slope_lo = 0.0, f0, slope0
    hi, f_hi = 0.0, 0.0
    a, evals, bracketed = a0, 0, False
    while evals < max_evals:
        fa = phi(a)
        evals += 1
        decrease = decreases_enough(fa, phi.slope, f0, slope0, a, c1)
        if decrease and abs(phi.slope) <= -c2 * slope0:
            return True
        if not decrease or (evals > 1 and fa >= f_lo):
            hi, f_hi, bracketed = a, fa, True
            break
        if phi.slope >= 0:
            hi, f_hi = lo, f_lo
            lo, f_lo, slope_lo = a, fa, phi.slope
            bracketed = True
            break
        lo, f_lo, slope_lo = a, fa, phi.slope
        a *= 2.0
    if not bracketed:
        return False
    while evals < max_evals:
        width = hi - lo
        trial = lo + 0.5 * width
        if np.isfinite(f_hi):
            curvature = f_hi - f_lo - slope_lo * width
            if curvature > 0:
                trial = lo - slope_lo * width * width / (2.0 * curvature)
        left, right = min(lo, hi) + 0.1 * abs(width), max(lo, hi) - 0.1 * abs(width)
        if not (left <= trial <= right):
            trial = lo + 0.5 * width
        fa = phi(trial)
        evals += 1
        decrease = decreases_enough(fa, phi.slope, f0, slope0, trial, c1)
        if decrease and abs(phi.slope) <= -c2 * slope0:
            return True
        if not decrease or fa >= f_lo:
            hi, f_hi = trial, fa
        else:
            if phi.slope * (hi - lo) >= 0:
                hi, f_hi = lo, f_lo
            lo, f_lo, slope_lo = trial, fa, phi.slope
        if abs(hi - lo) <= 1e-16 * max(1.0, abs(lo)):
            break
    if lo > 0 and f_lo <= f0 + c1 * lo * slope0:
        phi(lo)
        return True
    return False


def grid(phi, f0, a0):
    """Try a0 * 2**k for k = 2 .. -10 and keep the step with the lowest loss."""
    best_a, best_f = 0.0, f0
    for k in range(2, -11, -1):
        a = a0 * 2.0 ** k
        fa = phi(a)
        if np.isfinite(fa) and fa < best_f:
            best_a, best_f = a, fa
    if best_a == 0.0:
        return False
    if phi.step != best_a:
        phi(best_a)
    return True


def exact(objective, x, d, slope0, phi):
    """The step -g'd / d'Hd that minimises the local quadratic model along d."""
    curvature = d @ objective.hvp(x, d)
    if not curvature > 0:
        return False
    phi(-slope0 / curvature)
    return True


def damped_newton_direction(H, g):
    """Solve (H + t D) p = -g by Cholesky; t = 0 if H is positive definite, else t grows
    fourfold from 1e-6 until the factorisation succeeds. D is Marquardt's diagonal,
    ``D_ii = |H_ii|`` (the largest ``|H_jj|`` where ``H_ii = 0``); should t pass 1e12,
    ``D = max_j |H_jj| I`` and t starts again at 1e-6."""
    if not np.isfinite(H).all():
        return -g, np.nan
    try:
        L = np.linalg.cholesky(H)
        return -_cholesky_solve(L, g), 0.0
    except np.linalg.LinAlgError:
        pass
    D = np.abs(np.diag(H)).astype(float)
    top = D.max() if D.size else 0.0
    if not top > 0:
        top = np.abs(H).max() if H.size else 0.0
    if not top > 0:
        top = 1.0  # H = 0: no scale to be relative to
    D[~(D > 0)] = top
    # Marquardt's damping, then the same damping on every coordinate (as the C++ core).
    for D_t, t_max in ((D, 1e12), (np.full_like(D, top), 1e300)):
        t = 1e-6
        while t <= t_max:
            try:
                L = np.linalg.cholesky(H + np.diag(t * D_t))
                return -_cholesky_solve(L, g), t
            except np.linalg.LinAlgError:
                t *= 4.0
    return -g, np.nan


def _cholesky_solve(L, b):
    """Solve L L' x = b with two triangular solves (no inverse)."""
    z = np.linalg.solve(L, b)
    return np.linalg.solve(L.T, z)


def newton_cg_direction(hvp, g, max_steps, g0norm, P=None):
    """Truncated conjugate gradients on H p = -g (the twin of newton_cg_direction): the
    residual target is min(0.5, sqrt(||g|| / ||g0||)) ||g||. With P (a positive diagonal, the
    inverse of the parameter scales) the conjugate gradients are preconditioned: each new
    direction is built from P r, the residual r and its test are unchanged."""
    gnorm = np.linalg.norm(g)
    ratio = gnorm / g0norm if g0norm > 0 else 1.0
    target = min(0.5, np.sqrt(ratio)) * gnorm
    p = np.zeros_like(g)
    r = -g.copy()
    z = r.copy() if P is None else P * r
    d = z.copy()
    rz = r @ z
    for k in range(max_steps):
        Hd = hvp(d)
        curvature = d @ Hd
        if not curvature > 1e-14 * np.linalg.norm(d) * np.linalg.norm(Hd):
            if k == 0:
                p = -g
            break
        alpha = rz / curvature
        p = p + alpha * d
        r = r - alpha * Hd
        if np.linalg.norm(r) <= target:
            break
        z = r if P is None else P * r
        rz_next = r @ z
        d = z + (rz_next / rz) * d
        rz = rz_next
    return p


def classify_curvature(low, high, rtol=1e-8):
    """The second-derivative test on the extreme eigenvalues (twin of curvature.hpp)."""
    zero = rtol * max(abs(low), abs(high))
    if low > zero:
        return "minimum"
    if high < -zero:
        return "maximum"
    if low < -zero and high > zero:
        return "saddle"
    return "inconclusive"


def certify(objective, x, status):
    """The end of a converged run: "saddle" or "maximum" where the dense Hessian's
    eigenvalues show the point is not a minimum (twin of certify.hpp, dense case)."""
    if status != "converged" or not hasattr(objective, "hessian"):
        return status
    eig = np.linalg.eigvalsh(objective.hessian(x))
    low, high = eig[0], eig[-1]
    kind = classify_curvature(low, high)
    if kind == "maximum":
        return "maximum"
    if low < -1e-8 * max(abs(low), abs(high)):
        return "saddle"
    return status


def first_quasi_newton_step(objective, x, g, d=None):
    """-g'd / d'Hd along d (default -g) when the curvature is known and positive, else
    min(1, 1/||d||)."""
    d = -g if d is None else d
    dnorm = np.linalg.norm(d)
    if hasattr(objective, "hvp") and dnorm > 0:
        dHd = d @ objective.hvp(x, d)
        if dHd > 0 and np.isfinite(dHd):
            return -(g @ d) / dHd
    return min(1.0, 1.0 / dnorm)


def quasi_newton_metric(objective, n):
    """P, the diagonal the quasi-Newton methods start from: the inverse of the objective's
    ``parameter_scales()``, or ones."""
    scales = getattr(objective, "parameter_scales", None)
    D = None if scales is None else scales()
    if D is None:
        return np.ones(n)
    return 1.0 / np.asarray(D, dtype=np.float64)


def descent(objective, x0, direction="newton", line_search="armijo", lr=1.0, m=10, c1=1e-4,
            c2=0.9, max_evals=50, tol=1e-15, gtol=1e-8, max_iter=100, tol_abs=None,
            gtol_abs=0.0):
    """The twin of the compiled descent loop (``_core.descent``); returns a dict. With an L1
    penalty (``objective.l1 > 0``) L-BFGS is orthant-wise L-BFGS (:func:`owlqn`)."""
    if getattr(objective, "l1", 0.0) > 0:
        if direction != "lbfgs":
            raise ValueError("an L1 penalty is not differentiable: use direction='lbfgs'")
        return owlqn(objective, x0, m=m, c1=c1, max_evals=max_evals, tol=tol, gtol=gtol,
                     max_iter=max_iter, tol_abs=tol_abs, gtol_abs=gtol_abs)
    x = np.array(x0, dtype=np.float64)
    f, g = objective.value_and_gradient(x)
    g = np.asarray(g, dtype=np.float64)
    history = {"loss": [f], "grad_norm": [np.linalg.norm(g)], "step": [np.nan], "damping": [np.nan]}
    n = len(x)
    # newton-cg is preconditioned on one-output objectives only (as directions.hpp)
    one_output = getattr(objective, "K", 1) == 1
    P = (quasi_newton_metric(objective, n)
         if direction in ("bfgs", "lbfgs") or (direction == "newton-cg" and one_output)
         else np.ones(n))
    Hinv, first = np.diag(P), True
    pairs: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=m)
    rules, t = StopRules(tol, gtol, max_iter, tol_abs=tol_abs, gtol_abs=gtol_abs), 0
    g0norm = np.linalg.norm(g)
    scaled = scaled_norm(objective)
    while (status := rules.check(t, f, np.linalg.norm(g), scaled(g))) is None:
        gnorm = np.linalg.norm(g)
        damping = 0.0
        if direction == "steepest":
            d = -g
        elif direction == "newton":
            d, damping = damped_newton_direction(objective.hessian(x), g)
        elif direction == "newton-cg":
            d = newton_cg_direction(lambda v: objective.hvp(x, v), g, max(n, 10), g0norm, P)
        elif direction == "bfgs":
            d = -Hinv @ g
        else:
            d = _two_loop(pairs, g, P)
        slope = g @ d
        if not slope < 0:
            d, slope = -g, -gnorm ** 2
            Hinv, first = np.diag(P), True
            pairs.clear()
        a0 = lr
        if direction in ("bfgs", "lbfgs"):
            a0 = first_quasi_newton_step(objective, x, g, -P * g) if t == 0 else 1.0
        phi = Probe(objective, x, d)
        if line_search is None:
            phi(a0)
            ok = True
        elif line_search == "armijo":
            ok = armijo(phi, f, slope, a0, c1, max_evals)
        elif line_search == "wolfe":
            ok = wolfe(phi, f, slope, a0, c1, c2, max_evals)
        elif line_search == "grid":
            ok = grid(phi, f, a0)
        else:
            ok = exact(objective, x, d, slope, phi)
        if not ok:
            unbounded = (np.isfinite(phi.f_trial)
                         and phi.f_trial <= f + c1 * phi.step * slope)
            status = "diverged" if unbounded else "line_search_failed"
            break
        s, y = phi.x_trial - x, phi.g_trial - g
        x, f, g = phi.x_trial, phi.f_trial, phi.g_trial
        sy = s @ y
        if sy > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            if direction == "bfgs":
                if first:
                    Hinv *= sy / (y @ (P * y))
                    first = False
                rho = 1.0 / sy
                V = np.eye(n) - rho * np.outer(y, s)
                Hinv = V.T @ Hinv @ V + rho * np.outer(s, s)
            pairs.append((s, y))
        t += 1
        history["loss"].append(f)
        history["grad_norm"].append(np.linalg.norm(g))
        history["step"].append(phi.step)
        history["damping"].append(damping)
    newton_certified = (direction == "newton" and t > 0 and history["damping"][-1] == 0.0
                        and s @ y > 0)
    if not newton_certified:
        status = certify(objective, x, status)
    return {"x": x, "fun": f, "grad_norm": float(np.linalg.norm(g)), "nit": t,
            "status": status, "history": {k: np.asarray(v) for k, v in history.items()}}


def _two_loop(pairs, g, P):
    """L-BFGS: apply the inverse-Hessian approximation of the stored pairs to -g, from
    H0 = gamma diag(P) (diag(P) before the first pair)."""
    d = -g.copy()
    alphas = []
    for s, y in reversed(pairs):
        alpha = (s @ d) / (s @ y)
        alphas.append(alpha)
        d -= alpha * y
    if pairs:
        s, y = pairs[-1]
        d = (s @ y) / (y @ (P * y)) * (P * d)
    else:
        d = P * d
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        beta = (y @ d) / (s @ y)
        d += (alpha - beta) * s
    return d


# -- orthant-wise L-BFGS (OWL-QN), the twin of orthant.hpp and orthant_wise_lbfgs ----------

def pseudo_gradient(x, g, l1, mask):
    """The minimum-norm subgradient of R + l1 ||x[mask]||_1 from R's gradient g."""
    pg = np.array(g, dtype=np.float64)
    up, down = g + l1, g - l1
    at_zero = np.where(up < 0, up, np.where(down > 0, down, 0.0))
    pen = np.where(x > 0, up, np.where(x < 0, down, at_zero))
    pg[mask] = pen[mask]
    return pg


def choose_orthant(x, pg, mask):
    """sign(x_j), or sign(-pg_j) where x_j = 0, on the penalised coordinates (0 elsewhere)."""
    xi = np.sign(np.where(x != 0, x, -pg))
    return np.where(mask, xi, 0.0)


def owlqn(objective, x0, m=10, c1=1e-4, max_evals=50, tol=1e-15, gtol=1e-8, max_iter=1000,
          tol_abs=None, gtol_abs=0.0):
    """Orthant-wise L-BFGS (Andrew and Gao, 2007) on ``objective`` with an L1 penalty
    ``objective.l1`` on ``objective.l1_mask()``: the twin of the compiled loop that
    ``descent(..., "lbfgs")`` runs when the objective has an L1 term; returns a dict."""
    x = np.array(x0, dtype=np.float64)
    l1, mask = float(objective.l1), np.asarray(objective.l1_mask(), dtype=bool)
    f, g = objective.value_and_gradient(x)
    g = np.asarray(g, dtype=np.float64)
    pg = pseudo_gradient(x, g, l1, mask)
    history = {"loss": [f], "grad_norm": [np.linalg.norm(pg)], "step": [np.nan]}
    P = quasi_newton_metric(objective, len(x))
    pairs: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=m)
    rules, t = StopRules(tol, gtol, max_iter, tol_abs=tol_abs, gtol_abs=gtol_abs), 0
    scaled = scaled_norm(objective)
    while (status := rules.check(t, f, np.linalg.norm(pg), scaled(pg))) is None:
        xi = choose_orthant(x, pg, mask)
        d = _keep_descent_signs(_two_loop(pairs, pg, P), pg, mask)
        if not pg @ d < 0:  # forget the pairs, restart from -P pg
            pairs.clear()
            d = _keep_descent_signs(_two_loop(pairs, pg, P), pg, mask)
        a = first_quasi_newton_step(objective, x, pg, -P * pg) if t == 0 else 1.0
        found = False
        for _ in range(max_evals):
            x_new = x + a * d
            x_new[mask & ~(x_new * xi > 0)] = 0.0
            f_new, g_new = objective.value_and_gradient(x_new)
            g_new = np.asarray(g_new, dtype=np.float64)
            move = x_new - x
            slope0 = pg @ move
            if slope0 < 0 and decreases_enough(f_new, g_new @ move + l1 * (xi @ move), f,
                                               slope0, 1.0, c1):
                found = True
                break
            a *= 0.5
        if not found:
            status = "line_search_failed"
            break
        s, y = x_new - x, g_new - g
        x, f, g = x_new, f_new, g_new
        pg = pseudo_gradient(x, g, l1, mask)
        if s @ y > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
            pairs.append((s, y))
        t += 1
        history["loss"].append(f)
        history["grad_norm"].append(np.linalg.norm(pg))
        history["step"].append(a)
    return {"x": x, "fun": f, "grad_norm": float(np.linalg.norm(pg)), "nit": t,
            "status": status, "history": {k: np.asarray(v) for k, v in history.items()}}


def _keep_descent_signs(d, pg, mask):
    """Zero the penalised components of d whose sign is not that of -pg."""
    return np.where(mask & ~(d * pg < 0), 0.0, d)
