"""numpy twins of the update rules, the schedules and the mini-batch loop."""

from __future__ import annotations

import math

import numpy as np


class Rule:
    """An update rule in plain numpy, with torch.optim's formulas (momentum: the lectures').

    The twin holds no defaults of its own: pass every hyperparameter the rule reads (the
    library's defaults are ``descend.optimizers.RULE_DEFAULTS[kind]``, which come from the
    compiled core's registry; this module imports numpy only). ``weight_decay`` is 0 unless
    given.

    Examples
    --------
    >>> import numpy as np
    >>> Rule("momentum", 0.1, momentum=0.5).step(np.zeros(1), np.array([-1.0])).tolist()
    [0.1]
    """

    def __init__(self, kind, lr, momentum=None, weight_decay=0.0, lr_decay=None, eps=None,
                 alpha=None, betas=None, initial_accumulator_value=None, lr_power=1.0):
        self.kind = kind
        self.lr = np.asarray(lr, dtype=np.float64)
        self.mu, self.wd, self.lr_decay = momentum, weight_decay, lr_decay
        self.lr_power = lr_power
        self.eps, self.alpha, self.betas = eps, alpha, betas
        self.init = initial_accumulator_value
        self.state = None
        self.t = 0
        self.rate = float(np.ravel(self.lr)[0])

    def _need(self, value, name):
        if value is None:
            raise TypeError(f"reference.Rule({self.kind!r}) needs {name}")
        return value

    def step(self, x, g, scale=1.0):
        """Return the new x; the state advances. ``self.rate`` is then the step's scalar rate
        (the first rate, times adagrad's decay): the L1 proximal step's threshold is
        ``rate * l1``."""
        lr = scale * self.lr
        self.rate = float(np.ravel(lr)[0])
        if self.state is None:
            self.state = {"a": np.zeros_like(x), "b": np.zeros_like(x)}
            if self.kind == "adagrad":
                self.state["a"] = np.full_like(x, self._need(self.init,
                                                             "initial_accumulator_value"))
        a, b = self.state["a"], self.state["b"]
        self.t += 1
        if self.kind == "adamw" and self.wd:
            x = x * (1 - lr * self.wd)
        elif self.wd:
            g = g + self.wd * x
        if self.kind == "gd":  # with lr_decay: lr / (1 + (t - 1) lr_decay)^lr_power
            if self.lr_decay:
                lr = lr * decay_factor(self.t, self.lr_decay, self.lr_power)
                self.rate = float(np.ravel(lr)[0])
            return x - lr * g
        if self.kind == "momentum":  # dw = -lr g + mu dw; w += dw
            a[:] = -lr * g + self._need(self.mu, "momentum") * a
            return x + a
        if self.kind == "nesterov":  # b = mu b + g (b = g at first); w -= lr (g + mu b)
            mu = self._need(self.mu, "momentum")
            a[:] = g if self.t == 1 else mu * a + g
            return x - lr * (g + mu * a)
        eps = self._need(self.eps, "eps")
        if self.kind == "adagrad":
            clr = lr / (1 + (self.t - 1) * self._need(self.lr_decay, "lr_decay"))
            self.rate = float(np.ravel(clr)[0])
            a += g * g
            return x - clr * g / (np.sqrt(a) + eps)
        if self.kind == "rmsprop":
            alpha = self._need(self.alpha, "alpha")
            a[:] = alpha * a + (1 - alpha) * g * g
            return x - lr * g / (np.sqrt(a) + eps)
        if self.kind not in ("adam", "adamw"):
            raise ValueError(f"unknown rule {self.kind!r}")
        b1, b2 = self._need(self.betas, "betas")
        a[:] = b1 * a + (1 - b1) * g
        b[:] = b2 * b + (1 - b2) * g * g
        m_hat = a / (1 - b1 ** self.t)
        v_hat = b / (1 - b2 ** self.t)
        return x - lr * m_hat / (np.sqrt(v_hat) + eps)


def decay_factor(t, lr_decay, lr_power=1.0):
    """The factor of plain SGD's rate at step t = 1, 2, ...: ``1 / (1 + (t - 1) lr_decay) **
    lr_power`` (scikit-learn's "invscaling" ``1 / t ** p`` with lr_decay=1, lr_power=p)."""
    base = 1.0 + (t - 1) * lr_decay
    return 1.0 / base if lr_power == 1.0 else 1.0 / base ** lr_power


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
        mask = objective.l1_mask()  # the penalised parameters: weights, never intercepts
        x = x.copy()
        x[mask] = soft_threshold(x[mask], step * l1)
    return x


def run_full_batch(objective, x0, rule, max_iter, factor=lambda t: 1.0):
    """max_iter steps of the rule on the full gradient (no stopping test), each followed by
    the proximal step of the objective's L1 penalty, if any."""
    x = np.array(x0, dtype=np.float64)
    losses = [objective.value(x)]
    for t in range(max_iter):
        _, g = objective.value_and_gradient(x)
        x = rule.step(x, np.asarray(g), factor(t))
        x = _prox(objective, x, rule.rate)
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
            x = _prox(objective, x, rule.rate)
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
