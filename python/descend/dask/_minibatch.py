"""Mini-batch rules over the chunks of a dask array: the run goes to the data.

An epoch visits the chunks one after the other; each chunk runs the compiled mini-batch loop
on its own rows, in the task that holds the chunk, and hands the parameters and the rule's
state (momentum, moments, step counts) to the next chunk. The data never moves; the
parameters and the state (a few vectors) do.

The order, exactly (``K`` chunks, chunk ``c`` holding ``n_c`` rows that start at row
``o_c``):

- epoch ``e`` visits the chunks in the order ``descend.permutation(K, seed, e)`` (in index
  order with ``shuffle=False``);
- inside chunk ``c`` the rows are visited in the order
  ``o_c + descend.permutation(n_c, row_seed(seed, e, c), 0)`` (index order with
  ``shuffle=False``), in consecutive batches of ``batch_size``; the last batch of a chunk may
  be smaller (``drop_last`` skips it), so a batch never spans two chunks;
- :func:`row_seed` is ``(seed + 0x9E3779B97F4A7C15 * (e * K + c + 1)) mod 2**64``.

This is not the in-memory order (``descend.permutation(n, seed, e)`` over all the rows):
:func:`epoch_batches` lists the batches of an epoch and :func:`replay` is the numpy twin that
walks them with a :class:`descend.reference.Rule`. The SGD estimators of
:mod:`descend.linear_model` walk the same order on dask arrays, with each problem's seed.

A chunk whose sample weights are all zero is stepped on like any other, as the in-memory loop
steps on a batch of zero-weight rows: a zero data gradient, while the penalty (the L1
proximal step too), the rule's momentum, its step count and the averaging still act. (The
softmax model has no penalty-only form of such a chunk: its runs raise there.)
"""

from __future__ import annotations

from typing import Any

import uuid

import numpy as np

import dask

from .. import _core
from .._result import History, Result
from .._validation import check_bool, check_int, check_seed

__all__ = ["epoch_batches", "minibatch", "replay", "row_seed", "steps_per_epoch"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

#: The methods :func:`minibatch` runs (minimize's names) and the options it accepts besides
#: their rules' hyperparameters.
METHODS = ("sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
_OPTIONS = {"batch_size", "epochs", "shuffle", "seed", "drop_last", "schedule", "epoch_loss",
            "weight_decay"}


def row_seed(seed: int, epoch: int, chunk: int, n_chunks: int) -> int:
    """The seed of the row order of `chunk` in `epoch` (see the module notes).

    Examples
    --------
    >>> from descend.dask import row_seed
    >>> row_seed(0, 0, 0, 3) == 0x9E3779B97F4A7C15
    True
    """
    return (int(seed) + _GOLDEN * (int(epoch) * int(n_chunks) + int(chunk) + 1)) & _MASK


def epoch_batches(chunks, batch_size, seed, epoch, shuffle=True, drop_last=False):
    """The batches (arrays of global row indices) of one epoch, in the order they are run.

    Parameters
    ----------
    chunks : sequence of int
        The rows of each chunk (``objective.chunks``).
    batch_size, seed, epoch : int
    shuffle, drop_last : bool

    Returns
    -------
    list of numpy.ndarray of int64

    Examples
    --------
    >>> from descend.dask import epoch_batches
    >>> [b.tolist() for b in epoch_batches((3, 2), 2, seed=0, epoch=0, shuffle=False)]
    [[0, 1], [2], [3, 4]]
    """
    import descend

    chunks = [int(c) for c in chunks]
    offsets = np.concatenate([[0], np.cumsum(chunks)[:-1]]).astype(np.int64)
    k = len(chunks)
    order = descend.permutation(k, seed, epoch) if shuffle and k > 1 else np.arange(k)
    batches = []
    for c in order.tolist():
        n = chunks[c]
        rows = (descend.permutation(n, row_seed(seed, epoch, c, k), 0) if shuffle and n > 1
                else np.arange(n))
        rows = offsets[c] + rows.astype(np.int64)
        for begin in range(0, n, batch_size):
            batch = rows[begin:begin + batch_size]
            if drop_last and len(batch) < batch_size:
                break
            batches.append(batch)
    return batches


def replay(objective, x0, rule, chunks, batch_size, epochs, seed=0, shuffle=True,
           drop_last=False, factor=lambda epoch: 1.0, average=0):
    """The numpy twin of :func:`minibatch`: the same batches, stepped by a numpy rule.

    Each step is followed by the proximal step of the objective's L1 penalty, if it has
    one (as the compiled loop's), and with `average` the mean of the iterates is kept as
    averaged SGD keeps it (the estimators' ``average``).

    Parameters
    ----------
    objective : object with ``batch_value_and_gradient(x, rows)`` and ``value(x)``
        E.g. a :mod:`descend.reference` objective on the whole data, or an in-memory
        descend objective.
    x0 : array_like
    rule : descend.reference.Rule
    chunks : sequence of int
    batch_size, epochs, seed : int
    shuffle, drop_last : bool
    factor : callable, optional
        ``factor(epoch)``: the schedule's factor on the learning rate.
    average : int, default 0
        0: no averaging; n >= 1: the mean of the iterates after steps n, n + 1, ... (the
        plain iterate until step n is reached).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The final x and the loss at the start and after each epoch; with `average`, the
        averaged parameters too.

    Examples
    --------
    >>> import numpy as np, descend
    >>> from descend.dask import replay
    >>> f = descend.reference.LeastSquares(np.eye(4), np.ones(4))
    >>> x, losses = replay(f, np.zeros(4), descend.reference.Rule("gd", 0.5), (2, 2), 1, 2)
    >>> x.round(4).tolist()
    [0.75, 0.75, 0.75, 0.75]
    """
    from ..reference.rules import _prox

    x = np.array(x0, dtype=np.float64)
    losses = [objective.value(x)]
    steps = count = 0
    mean = np.zeros_like(x)
    for epoch in range(epochs):
        for rows in epoch_batches(chunks, batch_size, seed, epoch, shuffle, drop_last):
            steps += 1  # step `steps` begins at x, the iterate after the step before
            if average and steps - 1 >= average:
                count += 1
                mean += (x - mean) / count
            _, g = objective.batch_value_and_gradient(x, rows)
            x = rule.step(x, np.asarray(g, dtype=np.float64), factor(epoch))
            if getattr(objective, "l1", 0.0):
                x = _prox(objective, x, rule.rate)
        losses.append(objective.value(x))
    if not average:
        return x, np.array(losses)
    averaged = x if steps < average else mean + (x - mean) / (count + 1)
    return x, np.array(losses), averaged


class _Constant:
    """A schedule ``t -> lr`` that gives one rate (the epoch's, from the driver's factor)."""

    def __init__(self, lr: float):
        self.lr = float(lr)

    def __call__(self, t):
        return self.lr


def run_chunk(objective, carry, batch: dict, factor: float, mean_weight: float = 1.0):
    """One chunk's share of an epoch, in the task that holds the chunk.

    `carry` is (x, stepper, loss sum, rows stepped on, diverged, average) from the previous
    chunk; returns the same for the next one (a diverged run is passed on untouched).
    `average` is None, or the state of averaged SGD (start, steps, count, mean), which the
    chunk's run continues through a ``_core.IterateAverage`` of its objective. `batch` holds
    the MinibatchParams fields (a dict: it pickles).
    The compiled loop takes the start's loss from the chunk's first batch (no extra pass
    over its rows). Each batch of m rows is divided by m times `mean_weight`, the whole data
    set's mean sample weight (as the in-memory objective on all rows divides its batches). A
    chunk whose weights are all zero is stepped on too, as memory steps on a batch of
    zero-weight rows: the penalty alone (``EmptyChunk.penalty_only``).
    """
    from ._tasks import EmptyChunk

    x, stepper, loss, seen, diverged, average = carry
    if diverged:
        return carry
    if isinstance(objective, EmptyChunk):
        objective = objective.penalty_only()
    n = objective.n_samples
    size = batch["batch_size"]
    if batch["drop_last"]:
        n -= n % size
        if n == 0:  # every batch of this chunk is short
            return carry
    objective._set_batch_mean_weight(mean_weight)
    params = _core.MinibatchParams()
    for name, value in batch.items():
        setattr(params, name, value)
    params.batch_size = min(size, objective.n_samples)
    params.divergence_patience = 2  # one epoch: only a non-finite loss ends it "diverged"
    stepper = _copy_stepper(stepper)
    if factor == 1.0:
        from ..schedules import constant

        schedule: Any = constant()
    else:  # a callable schedule gives the rate, which the core divides by the base rate
        schedule = _Constant(factor * float(np.ravel(stepper.params().lr)[0]))
    run_on = objective
    if average is not None:
        start, steps, count, mean = average
        run_on = _core.IterateAverage(objective, start)
        run_on.set_state(steps, count, mean)
    raw = _core.run_minibatch(run_on, x, stepper, schedule, params, None, None)
    if average is not None:
        average = (start, run_on.steps, run_on.count, np.array(run_on.mean))
    diverged = raw["status"] == "diverged" or not np.isfinite(raw["x"]).all()
    return raw["x"], stepper, loss + float(raw["fun"]) * n, seen + n, diverged, average


def steps_per_epoch(chunks, batch_size, drop_last=False) -> int:
    """The steps (batches) of one epoch over `chunks`: a batch never spans two chunks.

    Examples
    --------
    >>> from descend.dask import steps_per_epoch
    >>> steps_per_epoch((3, 2), 2), steps_per_epoch((3, 2), 2, drop_last=True)
    (3, 2)
    """
    b = int(batch_size)
    return int(sum(c // b if drop_last else -(-c // b) for c in map(int, chunks)))


def _copy_stepper(stepper):
    """A stepper of its own (the one passed in may be shared by the task graph)."""
    copy = _core.Stepper(stepper.params())
    copy.set_state(dict(stepper.state()))
    return copy


def _parse(method, options):
    from .._first_order import _schedule_for_run, stepper_for
    from .._minimize import _METHODS

    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    method = method.lower()
    spec = _METHODS[method]
    kind = "gd" if method == "sgd" else method
    from ..optimizers import RULE_DEFAULTS

    allowed = _OPTIONS | set(RULE_DEFAULTS[kind])
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"descend.dask.minibatch({method!r}) got option(s) it cannot apply: "
                        f"{', '.join(unknown)}; its options are: {', '.join(sorted(allowed))}")
    opts = spec.parse(options)
    if opts["batch_size"] is None:
        raise ValueError("batch_size must be given (a mini-batch run; full-batch runs go "
                         "through descend.minimize)")
    schedule = _schedule_for_run(opts["schedule"], opts["epochs"])
    return kind, opts, stepper_for(kind, opts), schedule


def _factor(schedule, epoch):
    if schedule is None:
        return 1.0
    if hasattr(schedule, "factor"):
        return float(schedule.factor(epoch))
    return float(schedule(epoch))


def chunk_params(batch_size, shuffle=True, drop_last=False) -> dict:
    """The MinibatchParams of each chunk's run (one epoch, its rule's state kept)."""
    return {"batch_size": check_int(batch_size, "batch_size", low=1), "epochs": 1,
            "shuffle": check_bool(shuffle, "shuffle"),
            "drop_last": check_bool(drop_last, "drop_last"), "full_loss": False,
            "keep_state": True, "tol": -1.0, "tol_abs": -1.0, "gtol": 0.0, "gtol_abs": 0.0}


class Walk:
    """What :func:`walk_epochs` returns: the plain iterate, the rule (its state where the
    run ended), the epoch losses (from the start) and their times, the status ("completed",
    "callback" or "diverged"), the epochs run and the averaging state (or None)."""

    def __init__(self, x, stepper, losses, times, status, nit, average):
        self.x, self.stepper, self.losses, self.times = x, stepper, losses, times
        self.status, self.nit, self.average = status, nit, average


def walk_epochs(objective, x, stepper, schedule, batch, seed, epochs, *, full=True,
                callback=None, average=None, first_loss=True):
    """Run `epochs` epochs of the chunk walk (the module notes' order), from `x`.

    Each epoch is one Dask computation: a chain of :func:`run_chunk` tasks, one per chunk
    in the epoch's chunk order, each where its chunk is. `stepper` is continued (a copy
    travels; the copy where the run ended is returned). `average` is None or the averaging
    state (start, steps, count, mean) to continue. With `full` the loss after each epoch
    is the objective's value (one more computation), else the mean of the epoch's batch
    losses, each batch weighted by its rows. ``callback(epoch, x, loss)`` returning True
    stops the run. `first_loss` evaluates the loss at the start (one computation).
    """
    import time

    objective._prepare()
    k = len(objective.chunks)
    mean_weight = objective._weight_sum / objective.n_samples
    start = time.perf_counter()
    losses = [objective.value(x)] if first_loss else [float("nan")]
    times = [0.0]
    status, nit = "completed", 0
    carry: Any = (x, stepper, 0.0, 0, False, average)
    for epoch in range(epochs):
        order = (np.asarray(_core.permutation(k, seed, epoch)) if batch["shuffle"] and k > 1
                 else np.arange(k))
        factor = _factor(schedule, epoch)
        carry = (carry[0], carry[1], 0.0, 0, False, carry[5])
        node: Any = dask.delayed(carry, name=f"descend-carry-{uuid.uuid4().hex}",
                                 traverse=False)
        for c in order.tolist():
            params = {**batch, "seed": row_seed(seed, epoch, c, k)}
            node = objective._on_chunk(run_chunk, c, node, params, factor, mean_weight)
        carry = objective._compute(node)
        nit = epoch + 1
        if carry[4]:
            status = "diverged"
            losses.append(float("nan"))
            times.append(time.perf_counter() - start)
            break
        losses.append(objective.value(carry[0]) if full else carry[2] / max(carry[3], 1))
        times.append(time.perf_counter() - start)
        if not np.isfinite(losses[-1]):
            status = "diverged"
            break
        if callback is not None and callback(nit, carry[0], losses[-1]):
            status = "callback"
            break
    return Walk(np.array(carry[0]), carry[1], losses, times, status, nit, carry[5])


def minibatch(objective, x0, method="sgd", *, stepper=None, callback=None, **options):
    """Run a first-order rule on mini-batches, chunk by chunk where the chunks are.

    Parameters
    ----------
    objective : descend.dask.LeastSquares, Logistic, Softmax or LinearLoss
        Its chunks are built and persisted once (``persist=True``), or built in each task
        (``persist=False``).
    x0 : array_like, shape (n_params,)
    method : str, default "sgd"
        One of "sgd" (= "gd"), "momentum", "nesterov", "adagrad", "rmsprop", "adam",
        "adamw".
    stepper : descend._core.Stepper, optional
        Continue this rule and its state (e.g. an estimator's); it is updated to where the
        run ended. By default a fresh rule from the options.
    callback : callable, optional
        ``callback(epoch, x, loss)`` after every epoch; returning True stops the run.
    **options
        ``lr`` and the rule's hyperparameters (as :func:`descend.minimize`), ``batch_size``
        (required), ``epochs`` (default 10), ``shuffle`` (True), ``seed`` (0),
        ``drop_last`` (False), ``schedule`` (per epoch), ``weight_decay`` and
        ``epoch_loss``: "full" (default) evaluates the loss on all the data after each
        epoch (one more Dask computation), "running" takes the mean of the epoch's batch
        losses. Any other option raises a TypeError.

    Returns
    -------
    descend.Result
        ``x``, ``fun`` (the last epoch loss), ``nit`` (epochs), status "completed" (or
        "callback"), and the history of the epoch losses.

    Notes
    -----
    The batches follow the order of the module notes (:func:`epoch_batches`), not the
    in-memory one; :func:`replay` is the numpy twin.

    Examples
    --------
    >>> import numpy as np, dask.array as da, descend.dask
    >>> X = da.from_array(np.eye(4), chunks=(2, 4))
    >>> f = descend.dask.LeastSquares(X, np.ones(4), scheduler="sync")
    >>> r = descend.dask.minibatch(f, np.zeros(4), "sgd", lr=0.5, batch_size=1, epochs=2)
    >>> r.x.round(4).tolist()
    [0.75, 0.75, 0.75, 0.75]
    """
    from ._objectives import DaskObjective

    if not isinstance(objective, DaskObjective):
        raise TypeError("objective must be a descend.dask objective, got "
                        f"{type(objective).__name__}")
    kind, opts, fresh, schedule = _parse(method, options)
    if stepper is None:
        stepper = fresh
    elif stepper.kind != kind:
        raise ValueError(f"stepper is a {stepper.kind!r} rule, not {kind!r}")
    x = objective._point(np.asarray(x0, dtype=np.float64), "x0").astype(np.float64)
    batch = chunk_params(opts["batch_size"], opts["shuffle"], opts["drop_last"])
    full = opts["epoch_loss"] == "full"
    k = len(objective.chunks)
    epochs = check_int(opts["epochs"], "epochs", low=1)

    def each_epoch(epoch, x, loss):
        return callback is not None and callback(epoch, x.copy(), loss)

    walk = walk_epochs(objective, x, stepper, schedule, batch, check_seed(opts["seed"], "seed"),
                       epochs, full=full, callback=each_epoch if callback else None)
    losses, times, status, nit = walk.losses, walk.times, walk.status, walk.nit
    x, final = walk.x, walk.stepper
    if stepper is not fresh:
        stepper.set_state(dict(final.state()))
    n = len(losses)
    history = History(loss=np.array(losses), grad_norm=np.full(n, np.nan),
                      step=np.full(n, float(np.ravel(opts["lr"])[0])), time=np.array(times),
                      iteration=np.arange(n))
    messages = {"completed": f"ran all {epochs} epochs over {k} chunks",
                "callback": "stopped by the callback", "diverged":
                "the parameters or the loss became non-finite: lower the learning rate"}
    return Result(x=np.array(x), fun=float(losses[-1]), grad_norm=float("nan"), nit=nit,
                  nfev=len(losses) if full else 1, njev=0, nhev=0, status=status,
                  success=status == "callback", message=messages[status], history=history,
                  method=method)
