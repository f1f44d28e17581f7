"""numpy twins of the update rules, the schedules and the mini-batch loop."""

from __future__ import annotations

import math

import numpy as np


class Rule:
    """An update rule in plain numpy, with torch.optim's formulas (momentum: the lectures')."""

    def __init__(self, kind, lr, momentum=0.9, weight_decay=0.0, lr_decay=0.0, eps=None,
                 alpha=0.99, betas=(0.9, 0.999), initial_accumulator_value=0.0):
        self.kind = kind
        self.lr = np.asarray(lr, dtype=np.float64)
        self.mu, self.wd, self.lr_decay = momentum, weight_decay, lr_decay
        self.eps = eps if eps is not None else (1e-10 if kind == "adagrad" else 1e-8)
        self.alpha, self.betas, self.init = alpha, betas, initial_accumulator_value
        self.state = None
        self.t = 0

    def step(self, x, g, scale=1.0):
        """Return the new x; the state advances."""
        lr = scale * self.lr
        if self.state is None:
            self.state = {"a": np.zeros_like(x), "b": np.zeros_like(x)}
            if self.kind == "adagrad":
                self.state["a"] = np.full_like(x, self.init)
        a, b = self.state["a"], self.state["b"]
        self.t += 1
        if self.kind == "adamw" and self.wd:
            x = x * (1 - lr * self.wd)
        elif self.wd:
            g = g + self.wd * x
        if self.kind in ("gd", "sgd"):
            return x - lr * g
        if self.kind == "momentum":  # dw = -lr g + mu dw; w += dw
            a[:] = -lr * g + self.mu * a
            return x + a
        if self.kind == "nesterov":  # b = mu b + g (b = g at first); w -= lr (g + mu b)
            a[:] = g if self.t == 1 else self.mu * a + g
            return x - lr * (g + self.mu * a)
        if self.kind == "adagrad":
            clr = lr / (1 + (self.t - 1) * self.lr_decay)
            a += g * g
            return x - clr * g / (np.sqrt(a) + self.eps)
        if self.kind == "rmsprop":
            a[:] = self.alpha * a + (1 - self.alpha) * g * g
            return x - lr * g / (np.sqrt(a) + self.eps)
        b1, b2 = self.betas  # adam, adamw
        a[:] = b1 * a + (1 - b1) * g
        b[:] = b2 * b + (1 - b2) * g * g
        m_hat = a / (1 - b1 ** self.t)
        v_hat = b / (1 - b2 ** self.t)
        return x - lr * m_hat / (np.sqrt(v_hat) + self.eps)


def schedule_factor(kind, t, gamma=0.1, step_size=10, decay=1.0, power=1.0, period=100,
                    min_factor=0.0, warmup=0):
    """The factor a schedule applies to the base learning rate at step t."""
    if kind == "constant":
        f = 1.0
    elif kind == "step":
        f = gamma ** (t // step_size)
    elif kind == "exponential":
        f = gamma ** t
    elif kind == "inverse":
        f = (1 + decay * t) ** (-power)
    else:  # cosine
        progress = min(t, period) / period
        f = min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))
    if t < warmup:
        f *= (t + 1) / warmup
    return f


def soft_threshold(x, t):
    """The proximal operator of t ||x||_1."""
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def _prox(objective, x, step):
    l1 = getattr(objective, "l1", 0.0)
    if l1 > 0:
        k = objective.X.shape[1]
        x = x.copy()
        x[:k] = soft_threshold(x[:k], step * l1)
    return x


def run_full_batch(objective, x0, rule, max_iter, factor=lambda t: 1.0):
    """max_iter steps of the rule on the full gradient (no stopping test), each followed by
    the proximal step of the objective's L1 penalty, if any."""
    x = np.array(x0, dtype=np.float64)
    losses = [objective.value(x)]
    for t in range(max_iter):
        _, g = objective.value_and_gradient(x)
        x = rule.step(x, np.asarray(g), factor(t))
        x = _prox(objective, x, factor(t) * float(np.ravel(rule.lr)[0]))
        losses.append(objective.value(x))
    return x, np.array(losses)


def run_minibatch(objective, x0, rule, batch_size, epochs, orders, drop_last=False,
                  factor=lambda epoch: 1.0):
    """The mini-batch loop: epoch e walks orders[e] in slices of batch_size.

    Pass ``orders[e] = descend.permutation(n, seed, e)`` to replay a shuffled run, or
    ``numpy.arange(n)`` for the cyclic walk. Returns the final x and the full loss after
    each epoch (starting with the loss at x0).
    """
    x = np.array(x0, dtype=np.float64)
    n = objective.n_samples
    losses = [objective.value(x)]
    for epoch in range(epochs):
        order = orders[epoch]
        for begin in range(0, n, batch_size):
            rows = order[begin:begin + batch_size]
            if drop_last and len(rows) < batch_size:
                break
            _, g = objective.batch_value_and_gradient(x, rows)
            x = rule.step(x, np.asarray(g), factor(epoch))
            x = _prox(objective, x, factor(epoch) * float(np.ravel(rule.lr)[0]))
        losses.append(objective.value(x))
    return x, np.array(losses)


def splitmix64_permutation(n, seed, epoch):
    """The documented PRNG and Fisher-Yates, in Python integers (slow; for checking)."""
    mask = (1 << 64) - 1
    state = (seed ^ (epoch * 0xD1B54A32D192ED03)) & mask
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        j = (z * (i + 1)) >> 64
        order[i], order[j] = order[j], order[i]
    return np.array(order)
