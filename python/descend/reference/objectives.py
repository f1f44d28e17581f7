"""numpy twins of the objectives. Everything is computed in float64."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _sigmoid(x):
    """1 / (1 + exp(-x)), written with tanh so that no exp overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _on_rows(objective, rows):
    """A copy of a data objective restricted to the given rows (repeats allowed)."""
    rows = np.asarray(rows)
    cls: Any = type(objective)
    sub = cls.__new__(cls)
    sub.__dict__.update(objective.__dict__)
    sub.X, sub.y, sub.s = objective.X[rows], objective.y[rows], objective.s[rows]
    # A batch's sums are divided by the weight its m rows carry on average, m S / n, not by
    # its own total weight (which would cancel every weight in a batch of one row).
    sub.weight_total = len(rows) * objective.s.mean()
    return sub


class _WeightedRows:
    """The normaliser of a weighted mean over samples: S = sum_i s_i, or on a batch the
    weight its rows carry on average (set by :func:`_on_rows`)."""

    X: Any
    s: np.ndarray
    l2: float
    fit_intercept: bool
    weight_total: Any = None

    def _weight_total(self):
        return self.s.sum() if self.weight_total is None else self.weight_total

    def parameter_scales(self):
        """Each parameter's curvature scale: feature j's weighted mean square plus l2 for its
        weights (1 where both are zero), 1 for an intercept; one block per output."""
        X = self.X.toarray() if hasattr(self.X, "toarray") else self.X
        moments = (self.s @ X ** 2) / self.s.sum() + self.l2
        moments[moments == 0] = 1.0
        block = np.r_[moments, [1.0] * self.fit_intercept]
        return np.tile(block, getattr(self, "K", 1))


class _Glm(_WeightedRows):
    """R(w, b) = (1/S) sum_i s_i loss(x_i.w + b, y_i) + l2/2 ||w||^2."""

    # The loss and its first two derivatives in z, elementwise: each model defines them.
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray]
    dloss: Callable[[np.ndarray, np.ndarray], np.ndarray]
    d2loss: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, l1=0.0):
        self.l1 = float(l1)
        self.X = np.asarray(X, dtype=np.float64)
        self.y = self._targets(np.asarray(y, dtype=np.float64))
        n = self.X.shape[0]
        self.s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.l2 = float(l2)
        self.fit_intercept = bool(fit_intercept)
        self.n_params = self.X.shape[1] + int(self.fit_intercept)
        self.n_samples = n

    @staticmethod
    def _targets(y):
        return y

    def _split(self, w):
        w = np.asarray(w, dtype=np.float64)
        if self.fit_intercept:
            return w[:-1], w[-1]
        return w, 0.0

    def _design(self):
        """X with a column of ones appended when the intercept is fitted."""
        if self.fit_intercept:
            return np.hstack([self.X, np.ones((self.X.shape[0], 1))])
        return self.X

    def l1_mask(self):
        """True for the penalised parameters (the weights, not the intercept)."""
        return np.arange(self.n_params) < self.X.shape[1]

    def _penalty_matrix(self):
        diag = np.full(self.n_params, self.l2)
        if self.fit_intercept:
            diag[-1] = 0.0
        return np.diag(diag)

    def value(self, w):
        coef, b = self._split(w)
        z = self.X @ coef + b
        data = np.sum(self.s * self.loss(z, self.y)) / self._weight_total()
        return data + 0.5 * self.l2 * coef @ coef + self.l1 * np.abs(coef).sum()

    def gradient(self, w):
        """The gradient of the smooth part (the L1 term is left to a proximal step)."""
        coef, b = self._split(w)
        z = self.X @ coef + b
        c = self.s * self.dloss(z, self.y) / self._weight_total()
        return self._design().T @ c + self._penalty_matrix() @ np.asarray(w, np.float64)

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        coef, b = self._split(w)
        z = self.X @ coef + b
        c = self.s * self.d2loss(z, self.y) / self._weight_total()
        A = self._design()
        return A.T @ (c[:, None] * A) + self._penalty_matrix()

    def hvp(self, w, v):
        return self.hessian(w) @ np.asarray(v, np.float64)

    def batch_value_and_gradient(self, w, rows):
        """The same objective on the listed rows: the weighted batch mean plus the penalty."""
        return _on_rows(self, rows).value_and_gradient(w)


class LeastSquares(_Glm):
    """Twin of :class:`descend.LeastSquares`: loss(z, y) = (z - y)^2 / 2."""

    @staticmethod
    def loss(z, y):
        return 0.5 * (z - y) ** 2

    @staticmethod
    def dloss(z, y):
        return z - y

    @staticmethod
    def d2loss(z, y):
        return np.ones_like(z)


class Logistic(_Glm):
    """Twin of :class:`descend.Logistic`: loss(z, t) = log(1 + exp(-t z)), t in {-1, +1}."""

    @staticmethod
    def _targets(y):
        return np.where(y > 0, 1.0, -1.0)

    @staticmethod
    def loss(z, t):
        return np.logaddexp(0.0, -t * z)

    @staticmethod
    def dloss(z, t):
        return -t * _sigmoid(-t * z)

    @staticmethod
    def d2loss(z, t):
        return _sigmoid(z) * _sigmoid(-z)


class Softmax(_WeightedRows):
    """Twin of :class:`descend.Softmax`: mean cross-entropy of softmax(W x~) over K classes.

    The parameter vector is the K x p matrix W flattened row by row.
    """

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_classes=None,
                 l1=0.0):
        self.l1 = float(l1)
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y).astype(np.int64)
        n = self.X.shape[0]
        self.s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.l2 = float(l2)
        self.fit_intercept = bool(fit_intercept)
        self.K = int(self.y.max()) + 1 if n_classes is None else int(n_classes)
        self.p = self.X.shape[1] + int(self.fit_intercept)
        self.n_params = self.K * self.p
        self.n_samples = n

    def _design(self):
        if self.fit_intercept:
            return np.hstack([self.X, np.ones((self.X.shape[0], 1))])
        return self.X

    def _probabilities(self, W):
        Z = self._design() @ W.T
        Z = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        return Z, P / P.sum(axis=1, keepdims=True)

    def l1_mask(self):
        """True for the penalised parameters (every weight, no intercept), flattened."""
        mask = np.ones((self.K, self.p), dtype=bool)
        if self.fit_intercept:
            mask[:, -1] = False
        return mask.ravel()

    def _penalised(self, W):
        return W * self.l1_mask().reshape(W.shape)

    def value(self, w):
        W = np.asarray(w, np.float64).reshape(self.K, self.p)
        Z, P = self._probabilities(W)
        rows = np.arange(len(self.y))
        losses = np.log(np.exp(Z).sum(axis=1)) - Z[rows, self.y]
        penalised = self._penalised(W)
        penalty = 0.5 * self.l2 * np.sum(penalised**2) + self.l1 * np.abs(penalised).sum()
        return np.sum(self.s * losses) / self._weight_total() + penalty

    def gradient(self, w):
        W = np.asarray(w, np.float64).reshape(self.K, self.p)
        _, P = self._probabilities(W)
        onehot = np.eye(self.K)[self.y]
        C = self.s[:, None] * (P - onehot) / self._weight_total()
        G = C.T @ self._design() + self.l2 * self._penalised(W)
        return G.ravel()

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        W = np.asarray(w, np.float64).reshape(self.K, self.p)
        _, P = self._probabilities(W)
        A = self._design()
        H = np.zeros((self.n_params, self.n_params))
        for k in range(self.K):
            for m in range(self.K):
                a = self.s * (P[:, k] * (k == m) - P[:, k] * P[:, m]) / self._weight_total()
                H[k * self.p:(k + 1) * self.p, m * self.p:(m + 1) * self.p] = A.T @ (a[:, None] * A)
        diag = np.tile(np.r_[np.full(self.X.shape[1], self.l2), [0.0] * self.fit_intercept],
                       self.K)
        return H + np.diag(diag)

    def hvp(self, w, v):
        return self.hessian(w) @ np.asarray(v, np.float64)

    def batch_value_and_gradient(self, w, rows):
        """The same objective on the listed rows: the weighted batch mean plus the penalty."""
        return _on_rows(self, rows).value_and_gradient(w)


class Quadratic:
    """Twin of :class:`descend.Quadratic`: 0.5 w'Aw - b'w + c."""

    def __init__(self, A, b=None, c=0.0):
        self.A = np.asarray(A, dtype=np.float64)
        self.b = np.zeros(len(self.A)) if b is None else np.asarray(b, dtype=np.float64)
        self.c = float(c)
        self.n_params = len(self.A)

    def value(self, w):
        w = np.asarray(w, np.float64)
        return 0.5 * w @ self.A @ w - self.b @ w + self.c

    def gradient(self, w):
        return self.A @ np.asarray(w, np.float64) - self.b

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        return self.A.copy()

    def hvp(self, w, v):
        return self.A @ np.asarray(v, np.float64)


class Polynomial1D:
    """Twin of :class:`descend.problems.Polynomial1D`: sum_k coef[k] w^k."""

    def __init__(self, coefficients):
        self.poly = np.polynomial.Polynomial(np.asarray(coefficients, dtype=np.float64))
        self.n_params = 1

    def value(self, w):
        return float(self.poly(np.asarray(w, np.float64)[0]))

    def gradient(self, w):
        return np.array([self.poly.deriv(1)(np.asarray(w, np.float64)[0])])

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        return np.array([[self.poly.deriv(2)(np.asarray(w, np.float64)[0])]])

    def hvp(self, w, v):
        return self.hessian(w) @ np.asarray(v, np.float64)


class Rosenbrock:
    """Twin of :class:`descend.problems.Rosenbrock`."""

    def __init__(self, dim=2):
        self.n_params = int(dim)

    def value(self, w):
        w = np.asarray(w, np.float64)
        return float(np.sum(100.0 * (w[1:] - w[:-1] ** 2) ** 2 + (1.0 - w[:-1]) ** 2))

    def gradient(self, w):
        w = np.asarray(w, np.float64)
        a = w[1:] - w[:-1] ** 2
        g = np.zeros_like(w)
        g[:-1] += -400.0 * w[:-1] * a - 2.0 * (1.0 - w[:-1])
        g[1:] += 200.0 * a
        return g

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        w = np.asarray(w, np.float64)
        H = np.zeros((len(w), len(w)))
        for i in range(len(w) - 1):
            H[i, i] += 1200.0 * w[i] ** 2 - 400.0 * w[i + 1] + 2.0
            H[i, i + 1] += -400.0 * w[i]
            H[i + 1, i] += -400.0 * w[i]
            H[i + 1, i + 1] += 200.0
        return H

    def hvp(self, w, v):
        return self.hessian(w) @ np.asarray(v, np.float64)


class LinearLoss(_Glm):
    """Twin of :class:`descend.objectives.LinearLoss`: scikit-learn's SGD losses.

    Labels are coded -1/+1 for the classification losses; a = t z is the margin, r = z - y
    the residual. At a kink the slope is the one scikit-learn's SGD takes; ``d2loss`` is the
    second derivative almost everywhere. ``max_slope`` clips ``dloss`` to [-max_slope,
    max_slope] (None: no clip).
    """

    CLASSIFICATION = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")

    def __init__(self, X, y, loss="squared_error", l2=0.0, fit_intercept=False,
                 sample_weight=None, l1=0.0, epsilon=0.1, max_slope=None):
        self.loss_name, self.epsilon, self.max_slope = loss, float(epsilon), max_slope
        super().__init__(X, y, l2=l2, fit_intercept=fit_intercept, sample_weight=sample_weight,
                         l1=l1)
        if loss in self.CLASSIFICATION:
            self.y = np.where(self.y > 0, 1.0, -1.0)

    def loss(self, z, y):
        e, name = self.epsilon, self.loss_name
        a, r = y * z, z - y
        if name == "hinge":
            return np.maximum(0.0, 1.0 - a)
        if name == "perceptron":
            return np.maximum(0.0, -a)
        if name == "squared_hinge":
            return np.maximum(0.0, 1.0 - a) ** 2
        if name == "modified_huber":
            return np.where(a >= 1.0, 0.0, np.where(a >= -1.0, (1.0 - a) ** 2, -4.0 * a))
        if name == "log_loss":
            return np.logaddexp(0.0, -a)
        if name == "squared_error":
            return 0.5 * r**2
        if name == "huber":
            return np.where(np.abs(r) <= e, 0.5 * r**2, e * np.abs(r) - 0.5 * e**2)
        if name == "epsilon_insensitive":
            return np.maximum(0.0, np.abs(r) - e)
        if name == "squared_epsilon_insensitive":
            return np.maximum(0.0, np.abs(r) - e) ** 2
        raise ValueError(f"unknown loss {name!r}")

    def dloss(self, z, y):
        slope = self._slope(z, y)
        if self.max_slope is None:
            return slope
        return np.clip(slope, -self.max_slope, self.max_slope)

    def _slope(self, z, y):
        e, name = self.epsilon, self.loss_name
        a, r = y * z, z - y
        if name == "hinge":
            return np.where(a <= 1.0, -y, 0.0)
        if name == "perceptron":
            return np.where(a <= 0.0, -y, 0.0)
        if name == "squared_hinge":
            return np.where(a < 1.0, -2.0 * y * (1.0 - a), 0.0)
        if name == "modified_huber":
            return np.where(a >= 1.0, 0.0, np.where(a >= -1.0, -2.0 * y * (1.0 - a), -4.0 * y))
        if name == "log_loss":
            return -y * _sigmoid(-a)
        if name == "squared_error":
            return r
        if name == "huber":
            return np.clip(r, -e, e)
        if name == "epsilon_insensitive":
            return np.where(r > e, 1.0, np.where(r < -e, -1.0, 0.0))
        if name == "squared_epsilon_insensitive":
            return np.where(r > e, 2.0 * (r - e), np.where(r < -e, 2.0 * (r + e), 0.0))
        raise ValueError(f"unknown loss {name!r}")

    def d2loss(self, z, y):
        e, name = self.epsilon, self.loss_name
        a, r = y * z, z - y
        if name in ("hinge", "perceptron", "epsilon_insensitive"):
            return np.zeros_like(z)
        if name == "squared_hinge":
            return np.where(a < 1.0, 2.0, 0.0)
        if name == "modified_huber":
            return np.where((a >= -1.0) & (a < 1.0), 2.0, 0.0)
        if name == "log_loss":
            return _sigmoid(z) * _sigmoid(-z)
        if name == "squared_error":
            return np.ones_like(z)
        if name == "huber":
            return np.where(np.abs(r) <= e, 1.0, 0.0)
        if name == "squared_epsilon_insensitive":
            return np.where(np.abs(r) > e, 2.0, 0.0)
        raise ValueError(f"unknown loss {name!r}")
