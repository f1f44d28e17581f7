"""numpy twins of the objectives. Everything is computed in float64."""

from __future__ import annotations

import numpy as np


def _sigmoid(x):
    """1 / (1 + exp(-x)), written with tanh so that no exp overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _Glm:
    """R(w, b) = (1/S) sum_i s_i loss(x_i.w + b, y_i) + l2/2 ||w||^2."""

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None):
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

    def _penalty_matrix(self):
        diag = np.full(self.n_params, self.l2)
        if self.fit_intercept:
            diag[-1] = 0.0
        return np.diag(diag)

    def value(self, w):
        coef, b = self._split(w)
        z = self.X @ coef + b
        data = np.sum(self.s * self.loss(z, self.y)) / self.s.sum()
        return data + 0.5 * self.l2 * coef @ coef

    def gradient(self, w):
        coef, b = self._split(w)
        z = self.X @ coef + b
        c = self.s * self.dloss(z, self.y) / self.s.sum()
        return self._design().T @ c + self._penalty_matrix() @ np.asarray(w, np.float64)

    def value_and_gradient(self, w):
        return self.value(w), self.gradient(w)

    def hessian(self, w):
        coef, b = self._split(w)
        z = self.X @ coef + b
        c = self.s * self.d2loss(z, self.y) / self.s.sum()
        A = self._design()
        return A.T @ (c[:, None] * A) + self._penalty_matrix()

    def hvp(self, w, v):
        return self.hessian(w) @ np.asarray(v, np.float64)

    def batch_value_and_gradient(self, w, rows):
        """The same objective on the listed rows: the weighted batch mean plus the penalty."""
        rows = np.asarray(rows)
        sub = type(self).__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub.X, sub.y, sub.s = self.X[rows], self.y[rows], self.s[rows]
        return sub.value(w), sub.gradient(w)


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
