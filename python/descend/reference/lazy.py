"""numpy twin of the lazy mini-batch steps on sparse rows (cpp/include/descend/solvers/lazy_steps.hpp).

A weight that no row of a batch stores has a data gradient of zero, so each dense step moves
it by a rule that does not look at the data; where that movement has a closed form over k
steps, the weight is brought up to date only when a batch stores it again, or at the epoch's
end. This twin keeps, for each column, the step it was last brought up to date at, and
replays the missed steps: one by one for sgd, by the accumulated threshold for adagrad, by
the closed form mu^k for the momentum rules (the compiled core carries running products and
sums instead). Its iterates equal the dense loop's (:func:`descend.reference.run_minibatch`)
up to rounding.

With several outputs (:class:`descend.reference.Softmax`: K blocks of p parameters, the
weights of class c at c p + j and its intercept at c p + d) a row storing column j moves the
K weights c p + j; each is caught up by the same closed form, and the K intercepts take the
rule's own update.
"""

from __future__ import annotations

import numpy as np

from .rules import decay_factor, soft_threshold

LAZY_RULES = ("gd", "adagrad", "momentum", "nesterov")


def _rows_of(X):
    """(indptr, indices, data) of a CSR matrix, or of anything with those attributes."""
    return np.asarray(X.indptr), np.asarray(X.indices), np.asarray(X.data, dtype=np.float64)


def _layout(objective):
    """(K, p, d): the outputs, the parameters per output and the weights per output."""
    K = int(getattr(objective, "K", 1))
    return K, objective.n_params // K, objective.X.shape[1]


def _row_slopes(objective, i, z, total):
    """s_i d loss_i / d z / total at the scores z (one per output) of row i."""
    if hasattr(objective, "K"):  # softmax: p - e_y
        e = np.exp(z - z.max())
        slopes = e / e.sum()
        slopes[objective.y[i]] -= 1.0
    else:
        slopes = objective.dloss(z, objective.y[[i]])
    return objective.s[i] * slopes / total


def _batch_gradient(objective, X, x, rows):
    """The data gradient of a batch (zero outside its stored columns and the intercepts),
    divided by the weight its rows carry on average, m S / n."""
    indptr, indices, data = _rows_of(X)
    K, p, d = _layout(objective)
    W = x.reshape(K, p)
    total = len(rows) * objective.s.mean()
    b = W[:, d] if objective.fit_intercept else np.zeros(K)
    g = np.zeros_like(x)
    G = g.reshape(K, p)
    for i in rows:
        cols, vals = indices[indptr[i]:indptr[i + 1]], data[indptr[i]:indptr[i + 1]]
        slopes = _row_slopes(objective, i, W[:, cols] @ vals + b, total)
        np.add.at(G.T, cols, np.outer(vals, slopes))
        if objective.fit_intercept:
            G[:, d] += slopes
    return g


def _touched(objective, columns):
    """The parameters a batch storing `columns` moves: their weights of every output, then
    the intercepts."""
    K, p, d = _layout(objective)
    touched = (np.arange(K)[:, None] * p + np.asarray(columns)[None, :]).ravel()
    if objective.fit_intercept:
        touched = np.concatenate([touched, np.arange(K) * p + d])
    return touched


def run_minibatch_lazy(objective, X, x0, rule, batch_size, epochs, orders,
                       factor=lambda epoch: 1.0):
    """The lazy twin of :func:`descend.reference.run_minibatch` for sparse X.

    Parameters
    ----------
    objective : descend.reference.LeastSquares, Logistic or Softmax
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
    indptr, indices, _ = _rows_of(X)
    kind = rule.kind
    if kind not in LAZY_RULES:
        raise ValueError(f"no lazy form for {kind!r}: use the dense loop")
    lr0 = float(np.ravel(rule.lr)[0])
    K, p, d = _layout(objective)
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
            at = np.arange(K) * p + j  # column j's weight of each output
            if kind == "gd":
                for a, tau in zip(decays[last[j]:now], taus[last[j]:now]):  # ST(a w, tau)
                    x[at] = soft_threshold(a * x[at], tau)
            elif kind == "adagrad":
                x[at] = soft_threshold(x[at], sum(taus[last[j]:now]))
            else:
                r = mu ** k
                moved = state[at] * mu * (1 - r) / (1 - mu)
                x[at] += moved if kind == "momentum" else -lr * mu * moved
                state[at] *= r
            last[j] = now

        step = 0
        for begin in range(0, len(order), batch_size):
            rows = np.asarray(order[begin:begin + batch_size])
            columns = np.unique(np.concatenate(
                [indices[indptr[i]:indptr[i + 1]] for i in rows]).astype(np.int64))
            for j in columns:
                catch_up(j, step)
            g = _batch_gradient(objective, X, x, rows)
            touched = _touched(objective, columns)
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


def run_lazy_adam(objective, X, x0, rule, batch_size, epochs, orders, factor=lambda epoch: 1.0):
    """The twin of ``minimize(method="lazy_adam")``: Adam's moments and weights updated only
    where a batch stores a column (as torch.optim.SparseAdam), a different algorithm from Adam.

    Each step t (counted over the run) takes the batch's gradient g at the stored columns'
    weights (plus (l2 + weight_decay) w there) and at the intercepts (plus weight_decay b),
    and on those parameters alone
    ``m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
    Every other parameter, its moments included, stays as it is: unlike Adam's, an unstored
    column's moments do not decay and its weight does not move on its momentum.

    Parameters
    ----------
    objective : descend.reference.LeastSquares, Logistic or Softmax
        The twin objective on ``X.toarray()`` (no l1).
    X : CSR matrix (anything with indptr, indices and data)
    x0 : array_like
    rule : descend.reference.Rule
        Of kind "adam", with a scalar rate.
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
    >>> f = LeastSquares(np.array([[1.0, 0.0], [0.0, 2.0]]), [1.0, 2.0])
    >>> rule = Rule("adam", 0.1, betas=(0.9, 0.999), eps=1e-8)
    >>> run_lazy_adam(f, X, np.zeros(2), rule, 1, 1, [np.arange(2)]).round(4)  # t = 1, then 2
    array([0.1   , 0.0744])
    """
    if rule.kind != "adam":
        raise ValueError(f"run_lazy_adam runs the rule 'adam', got {rule.kind!r}")
    if objective.l1:
        raise ValueError("lazy_adam has no L1 penalty: use adam, or a rule with a lazy form")
    indptr, indices, _ = _rows_of(X)
    b1, b2 = rule.betas
    eps, wd, l2 = rule.eps, rule.wd, objective.l2
    lr0 = float(np.ravel(rule.lr)[0])
    K, p, d = _layout(objective)
    x = np.array(x0, dtype=np.float64)
    m, v = np.zeros_like(x), np.zeros_like(x)
    penalised = objective.l1_mask()
    t = 0
    for epoch in range(epochs):
        lr = factor(epoch) * lr0
        order = orders[epoch]
        for begin in range(0, len(order), batch_size):
            rows = np.asarray(order[begin:begin + batch_size])
            columns = np.unique(np.concatenate(
                [indices[indptr[i]:indptr[i + 1]] for i in rows]).astype(np.int64))
            at = _touched(objective, columns)
            g = _batch_gradient(objective, X, x, rows)[at]
            g += np.where(penalised[at], l2 + wd, wd) * x[at]
            t += 1
            m[at] = b1 * m[at] + (1 - b1) * g
            v[at] = b2 * v[at] + (1 - b2) * g * g
            x[at] -= lr * (m[at] / (1 - b1 ** t)) / (np.sqrt(v[at] / (1 - b2 ** t)) + eps)
    return x
