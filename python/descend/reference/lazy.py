"""numpy twin of the lazy mini-batch steps on sparse rows (cpp/include/descend/solvers/lazy_steps.hpp).

A weight that no row of a batch stores has a data gradient of zero, so each dense step moves
it by a rule that does not look at the data; where that movement has a closed form over k
steps, the weight is brought up to date only when a batch stores it again, or at the epoch's
end. This twin keeps, for each column, the step it was last brought up to date at, and
replays the missed steps: one by one for sgd, by the accumulated threshold for adagrad, by
the closed form mu^k for the momentum rules (the compiled core carries running products and
sums instead). Its iterates equal the dense loop's (:func:`descend.reference.run_minibatch`)
up to rounding.
"""

from __future__ import annotations

import numpy as np

from .rules import decay_factor, soft_threshold

LAZY_RULES = ("gd", "adagrad", "momentum", "nesterov")


def _rows_of(X):
    """(indptr, indices, data) of a CSR matrix, or of anything with those attributes."""
    return np.asarray(X.indptr), np.asarray(X.indices), np.asarray(X.data, dtype=np.float64)


def run_minibatch_lazy(objective, X, x0, rule, batch_size, epochs, orders,
                       factor=lambda epoch: 1.0):
    """The lazy twin of :func:`descend.reference.run_minibatch` for sparse X.

    Parameters
    ----------
    objective : descend.reference.LeastSquares or descend.reference.Logistic
        The twin objective on ``X.toarray()`` (its y, sample weights, l2, l1, intercept).
    X : CSR matrix (anything with indptr, indices and data)
        The same rows, sparse: the steps read only their stored entries.
    x0 : array_like
        Starting point.
    rule : descend.reference.Rule
        One of "gd" (any l2, l1, weight_decay, lr_decay, lr_power), "adagrad" (no l2 or
        weight_decay), "momentum" or "nesterov" (no l2, l1 or weight_decay), with a scalar rate.
    batch_size, epochs, orders, factor
        As in :func:`descend.reference.run_minibatch`.

    Returns
    -------
    x : ndarray
        The final point.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from descend.reference import LeastSquares, Rule
    >>> X = SimpleNamespace(indptr=np.array([0, 1, 2]), indices=np.array([0, 1]),
    ...                     data=np.array([1.0, 2.0]))
    >>> f = LeastSquares(np.array([[1.0, 0.0], [0.0, 2.0]]), [1.0, 2.0], l2=0.1)
    >>> run_minibatch_lazy(f, X, np.zeros(2), Rule("gd", 0.5), 1, 1, [np.arange(2)]).round(4)
    array([0.475, 2.   ])
    """
    indptr, indices, data = _rows_of(X)
    kind = rule.kind
    if kind not in LAZY_RULES:
        raise ValueError(f"no lazy form for {kind!r}: use the dense loop")
    lr0 = float(np.ravel(rule.lr)[0])
    d = objective.X.shape[1]
    x = np.array(x0, dtype=np.float64)
    l1, l2, wd = objective.l1, objective.l2, rule.wd
    mu = rule.mu
    penalised = objective.l1_mask()
    state = np.zeros_like(x)  # momentum's dw, nesterov's buffer, adagrad's sum
    if kind == "adagrad":
        state[:] = rule.init
    t = 0  # steps taken in the run (adagrad's counter)
    for epoch in range(epochs):
        lr = factor(epoch) * lr0
        order = orders[epoch]
        # Per epoch: the thresholds of the steps taken so far, and each column's last step.
        taus: list[float] = []  # the L1 threshold of each step of this epoch
        decays: list[float] = []  # sgd: the factor a = 1 - rate (l2 + wd) of each step
        last = np.zeros(d, dtype=np.int64)  # columns are up to date as of step `last`

        def catch_up(j, now):
            k = now - last[j]
            if k == 0:
                return
            if kind == "gd":
                for a, tau in zip(decays[last[j]:now], taus[last[j]:now]):  # ST(a w, tau)
                    x[j] = soft_threshold(a * x[j], tau)
            elif kind == "adagrad":
                x[j] = soft_threshold(x[j], sum(taus[last[j]:now]))
            else:
                r = mu ** k
                moved = state[j] * mu * (1 - r) / (1 - mu)
                x[j] += moved if kind == "momentum" else -lr * mu * moved
                state[j] *= r
            last[j] = now

        step = 0
        for begin in range(0, len(order), batch_size):
            rows = np.asarray(order[begin:begin + batch_size])
            columns = np.unique(np.concatenate(
                [indices[indptr[i]:indptr[i + 1]] for i in rows]).astype(np.int64))
            for j in columns:
                catch_up(j, step)
            # The batch's data gradient at the stored columns and the intercept.
            coef, b = objective._split(x)
            # Divided by the weight the batch's rows carry on average, m S / n.
            s, total = objective.s[rows], len(rows) * objective.s.mean()
            g = np.zeros_like(x)
            for i, weight in zip(rows, s):
                cols, vals = indices[indptr[i]:indptr[i + 1]], data[indptr[i]:indptr[i + 1]]
                z = vals @ coef[cols] + b
                slope = weight * objective.dloss(np.array([z]), objective.y[[i]])[0]
                np.add.at(g, cols, slope * vals / total)
                if objective.fit_intercept:
                    g[-1] += slope / total
            touched = np.concatenate([columns, [d]]) if objective.fit_intercept else columns
            t += 1
            if kind == "gd":
                power = getattr(rule, "lr_power", 1.0)
                rate = lr * decay_factor(t, rule.lr_decay, power) if rule.lr_decay else lr
                gt = g[touched] + np.where(penalised[touched], l2, 0.0) * x[touched]
                x[touched] = x[touched] - rate * (gt + wd * x[touched])
                decays.append(1.0 - rate * (l2 + wd))
            elif kind == "adagrad":
                rate = lr / (1 + (t - 1) * rule.lr_decay)
                state[touched] += g[touched] ** 2
                x[touched] -= rate * g[touched] / (np.sqrt(state[touched]) + rule.eps)
            elif kind == "momentum":
                state[touched] = mu * state[touched] - lr * g[touched]
                x[touched] += state[touched]
                rate = lr
            else:
                state[touched] = g[touched] if t == 1 else mu * state[touched] + g[touched]
                x[touched] -= lr * (g[touched] + mu * state[touched])
                rate = lr
            if l1 > 0:
                cols = touched[penalised[touched]]
                x[cols] = soft_threshold(x[cols], rate * l1)
            taus.append(rate * l1)
            step += 1
            last[columns] = step
        for j in range(d):
            catch_up(j, step)
    return x
