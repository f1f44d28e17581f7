"""Twin of :class:`descend.MLP`: the network's forward and backward passes in plain numpy.

Written layer by layer as in the textbook (backpropagation for the gradient, Pearlmutter's
R-operator for the Hessian-vector product), in float64 over all rows at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MLP", "activate", "forward", "output_transform"]


def activate(Z, activation):
    """f(Z) for a hidden layer."""
    if activation == "relu":
        return np.maximum(Z, 0.0)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "logistic":
        return 1.0 / (1.0 + np.exp(-Z))
    return Z


def _derivative(A, activation):
    """f'(Z) written in terms of A = f(Z)."""
    if activation == "relu":
        return (A > 0).astype(np.float64)
    if activation == "tanh":
        return 1.0 - A**2
    if activation == "logistic":
        return A * (1.0 - A)
    return np.ones_like(A)


def _second_derivative(A, activation):
    """f''(Z) in terms of A = f(Z) (zero for relu and identity)."""
    if activation == "tanh":
        return -2.0 * A * (1.0 - A**2)
    if activation == "logistic":
        return A * (1.0 - A) * (1.0 - 2.0 * A)
    return np.zeros_like(A)


def forward(layers, X, activation):
    """The outputs of every layer: [A_1, ..., A_{L-1}, Z_L] (the last not activated)."""
    outputs, A = [], np.asarray(X, dtype=np.float64)
    for l, (W, b) in enumerate(layers):
        Z = A @ W + b
        A = Z if l == len(layers) - 1 else activate(Z, activation)
        outputs.append(A)
    return outputs


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def output_transform(Z, loss):
    """What the outputs stand for: class probabilities, 0/1 probabilities, or values."""
    if loss == "softmax":
        return _softmax(Z)
    if loss == "logistic":
        return 1.0 / (1.0 + np.exp(-Z))
    return Z


class MLP:
    """Twin of :class:`descend.MLP` (same parameter layout, same losses).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like
        Labels (softmax) or targets (n,) or (n, K).
    sizes : sequence of int
        ``(d, *hidden, K)``.
    activation, loss : str
        As in :class:`descend.MLP`.
    l2 : float
    sample_weight : array_like, optional

    Examples
    --------
    >>> import numpy as np
    >>> from descend.reference import MLP
    >>> f = MLP(np.eye(2), [0, 1], sizes=(2, 3, 2))
    >>> round(f.value(np.zeros(f.n_params)), 6)  # log 2
    0.693147
    """

    def __init__(self, X, y, sizes, activation="relu", loss="softmax", l2=0.0,
                 sample_weight=None):
        self.X = np.asarray(X, dtype=np.float64)
        n = self.X.shape[0]
        self.sizes = tuple(int(s) for s in sizes)
        self.activation, self.loss, self.l2 = activation, loss, float(l2)
        K = self.sizes[-1]
        if loss == "softmax":
            self.Y = np.eye(K)[np.asarray(y, dtype=np.int64)]
        else:
            self.Y = np.asarray(y, dtype=np.float64).reshape(n, K)
        self.s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.n_weights = sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        self.n_params = self.n_weights + sum(self.sizes[1:])
        self.n_samples = n

    def unpack(self, w):
        """[(W_l, b_l)]: weights first, each (fan_in, fan_out) row by row, then biases."""
        w = np.asarray(w, dtype=np.float64)
        layers, start, bias = [], 0, self.n_weights
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            layers.append((w[start:start + fan_in * fan_out].reshape(fan_in, fan_out),
                           w[bias:bias + fan_out]))
            start += fan_in * fan_out
            bias += fan_out
        return layers

    def _pack(self, pairs):
        return np.concatenate([W.ravel() for W, _ in pairs] + [b for _, b in pairs])

    def _losses(self, Z, rows):
        Y = self.Y[rows]
        if self.loss == "softmax":
            top = Z.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(Z - top).sum(axis=1))
            return lse - (Z * Y).sum(axis=1)
        if self.loss == "logistic":
            return (np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z))) - Y * Z).sum(axis=1)
        return 0.5 * ((Z - Y) ** 2).sum(axis=1)

    def _penalty(self, w):
        return 0.5 * self.l2 * float(np.sum(np.asarray(w)[:self.n_weights] ** 2))

    def _value_and_gradient(self, w, rows):
        layers = self.unpack(w)
        X, s = self.X[rows], self.s[rows]
        # A batch is divided by the weight its rows carry on average, m S / n (not by its own
        # total weight, which would cancel every weight in a batch of one row).
        total = self.s.sum() if isinstance(rows, slice) else len(rows) * self.s.mean()
        outputs = forward(layers, X, self.activation)
        Z = outputs[-1]
        value = float(np.sum(s * self._losses(Z, rows)) / total)
        # The output adjoint dloss/dZ is P - Y for all three losses (with their links).
        D = s[:, None] * (output_transform(Z, self.loss) - self.Y[rows]) / total
        grads: list[Any] = [None] * len(layers)
        for l in range(len(layers) - 1, -1, -1):
            A_in = X if l == 0 else outputs[l - 1]
            grads[l] = (A_in.T @ D, D.sum(axis=0))
            if l > 0:
                D = (D @ layers[l][0].T) * _derivative(outputs[l - 1], self.activation)
        g = self._pack(grads)
        g[:self.n_weights] += self.l2 * np.asarray(w)[:self.n_weights]
        return value + self._penalty(w), g

    def value(self, w):
        """R(w)."""
        return self._value_and_gradient(w, slice(None))[0]

    def gradient(self, w):
        """The gradient of R at w (backpropagation)."""
        return self._value_and_gradient(w, slice(None))[1]

    def value_and_gradient(self, w):
        """(R(w), gradient)."""
        return self._value_and_gradient(w, slice(None))

    def batch_value_and_gradient(self, w, rows):
        """Value and gradient of the weighted mean over the listed rows, plus the penalty."""
        return self._value_and_gradient(w, np.asarray(rows, dtype=np.int64))

    def hvp(self, w, v):
        """H(w) v by the R-operator: R{.} is the derivative along v of each quantity."""
        layers, dirs = self.unpack(w), self.unpack(v)
        X, s, f = self.X, self.s, self.activation
        outputs = forward(layers, X, f)
        # Forward: R{Z_l} = R{A_{l-1}} W_l + A_{l-1} V_l + v_l; R{A_l} = f'(Z_l) R{Z_l}.
        RZ, RA = [], []
        R_in = np.zeros_like(X)
        for l, ((W, _), (V, vb)) in enumerate(zip(layers, dirs)):
            A_in = X if l == 0 else outputs[l - 1]
            rz = R_in @ W + A_in @ V + vb
            RZ.append(rz)
            R_in = rz * _derivative(outputs[l], f) if l < len(layers) - 1 else rz
            RA.append(R_in)
        Z, rz = outputs[-1], RZ[-1]
        P = output_transform(Z, self.loss)
        D = s[:, None] * (P - self.Y) / s.sum()
        if self.loss == "softmax":
            RD = P * (rz - (P * rz).sum(axis=1, keepdims=True))
        elif self.loss == "logistic":
            RD = P * (1 - P) * rz
        else:
            RD = rz.copy()
        RD = s[:, None] * RD / s.sum()
        out: list[Any] = [None] * len(layers)
        for l in range(len(layers) - 1, -1, -1):
            W, V = layers[l][0], dirs[l][0]
            A_in = X if l == 0 else outputs[l - 1]
            RA_in = np.zeros_like(X) if l == 0 else RA[l - 1]
            out[l] = (RA_in.T @ D + A_in.T @ RD, RD.sum(axis=0))
            if l > 0:
                A = outputs[l - 1]
                B = D @ W.T
                RD = ((RD @ W.T + D @ V.T) * _derivative(A, f)
                      + B * _second_derivative(A, f) * RZ[l - 1])
                D = B * _derivative(A, f)
        h = self._pack(out)
        h[:self.n_weights] += self.l2 * np.asarray(v, dtype=np.float64)[:self.n_weights]
        return h
