"""Least squares, logistic and softmax regression over row-chunked Dask arrays."""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any, NamedTuple, Optional

import dask
import dask.array as da
import numpy as np

from .. import _core
from .._validation import check_bool, check_int, check_real, check_vector
from . import _tasks

__all__ = ["DaskObjective", "LeastSquares", "LinearLoss", "Logistic", "Softmax"]

#: Seconds a fit waits for one evaluation on a distributed cluster before it gives up.
DEFAULT_TIMEOUT = 600.0


class SchedulerError(RuntimeError):
    """The Dask scheduler went away, or did not answer within the timeout.

    Examples
    --------
    >>> from descend.dask import SchedulerError
    >>> issubclass(SchedulerError, RuntimeError)
    True
    """


def _distributed_client(scheduler):
    """The distributed Client `scheduler` stands for (None: Dask's default), else None."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is part of the extra
        return None
    if isinstance(scheduler, Client):
        return scheduler
    if scheduler is None:
        get = dask.base.get_scheduler()
        owner = getattr(get, "__self__", None)
        if isinstance(owner, Client):
            return owner
    return None


def _as_dask(a, name, rows=None):
    """`a` as a dask array; a numpy array in the row chunks `rows` when its length fits."""
    if isinstance(a, da.Array):
        return a
    if not hasattr(a, "shape") and not isinstance(a, (list, tuple)):
        raise TypeError(f"{name} must be a dask array or an array-like, got {type(a).__name__}")
    a = np.asarray(a)
    fits = rows is not None and a.ndim == 1 and a.shape[0] == sum(rows)
    return da.from_array(a, chunks=(rows,) if fits else a.shape)


def _check_rows(X, rechunk):
    """X as a 2-D dask array chunked by rows only (columns in one block)."""
    X = _as_dask(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimension(s)")
    if any(np.isnan(c) for cs in X.chunks for c in cs):
        raise ValueError("X has unknown chunk sizes (e.g. after boolean indexing): call "
                         "X.compute_chunk_sizes() first")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if X.numblocks[1] > 1:
        if not rechunk:
            raise ValueError(
                f"X is chunked along its columns ({X.numblocks[1]} column blocks): descend.dask "
                "needs each chunk to hold whole rows; pass rechunk=True or call "
                "X.rechunk({1: -1})")
        X = X.rechunk({1: -1})
    if X.dtype.kind not in "fiub":
        raise TypeError(f"X must hold numbers, got dtype {X.dtype}")
    return X


def _check_aligned(a, name, X):
    """A vector with one entry per row of X, chunked as X's rows."""
    a = _as_dask(a, name, X.chunks[0])
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one per row of X), got shape {a.shape}")
    if any(np.isnan(c) for c in a.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes: call {name}.compute_chunk_sizes()")
    if a.shape[0] != X.shape[0]:
        raise ValueError(f"{name} must have one entry per row of X ({X.shape[0]}), "
                         f"got {a.shape[0]}")
    if a.chunks[0] != X.chunks[0]:
        a = a.rechunk((X.chunks[0],))  # aligned with X's row chunks
    return a


class DaskObjective:
    """An empirical risk over a row-chunked Dask array, evaluated chunk by chunk.

    The risk is the same as that of the in-memory objective on the whole data,
    ``R(w) = (1/S) sum_i s_i loss_i(w) + l2/2 ||w_pen||^2`` (S the sum of the weights, the
    intercepts not penalised). Each evaluation is one Dask computation: each chunk's
    unnormalised sums come from the compiled kernel (its loss and gradient, its Hessian or a
    Hessian-vector product) and the driver adds the penalty and divides by S (O(p^2) work).
    On the threaded scheduler one task per chunk and a tree of additions reduce them; on a
    distributed cluster one task per worker computes the chunks it holds and the driver adds
    the chunks' sums in their order by the same tree (the same rounding whatever worker holds
    which chunk; Hessians over 4 MiB a worker are added on the worker instead). Newton's
    Hessian is computed with the gradient of the point it will be asked at, and on a cluster
    after it, so that the last point's gradient does not wait for it; the start's evaluation
    comes with the chunks' set-up (:meth:`__descend_start__`).

    Use the concrete classes :class:`LeastSquares`, :class:`Logistic` and :class:`Softmax`;
    :func:`descend.minimize` accepts them as it accepts the in-memory objectives, for every
    deterministic method (gd with or without a line search, newton, newton-cg, bfgs, lbfgs).

    Examples
    --------
    >>> import numpy as np, dask.array as da, descend, descend.dask
    >>> X = da.from_array(np.eye(4), chunks=(2, 4))
    >>> f = descend.dask.LeastSquares(X, np.arange(4.0), scheduler="sync")
    >>> round(f.value(np.zeros(4)), 6)
    1.75
    """

    _kind = ""
    _l1 = 0.0

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, *,
                 n_classes=None, persist=True, rechunk=True, scheduler=None,
                 timeout=DEFAULT_TIMEOUT, split_every=8,
                 line_points=16):
        X = _check_rows(X, check_bool(rechunk, "rechunk"))
        self.X = X
        self.y = _check_aligned(y, "y", X)
        self.sample_weight = (None if sample_weight is None
                              else _check_aligned(sample_weight, "sample_weight", X))
        self.l2 = check_real(l2, "l2", low=0.0)
        self.fit_intercept = check_bool(fit_intercept, "fit_intercept")
        self.persist = check_bool(persist, "persist")
        self.timeout = check_real(timeout, "timeout", low=0.0, low_open=True)
        self.split_every = check_int(split_every, "split_every", low=2)
        self.line_points = check_int(line_points, "line_points", low=1)
        if scheduler is not None and not isinstance(scheduler, str) \
                and _distributed_client(scheduler) is None:
            raise TypeError("scheduler must be None, a dask scheduler name ('threads', "
                            "'processes', 'sync') or a distributed.Client, got "
                            f"{type(scheduler).__name__}")
        if self.persist and scheduler in ("processes", "multiprocessing"):
            raise ValueError("the 'processes' scheduler cannot keep the chunks' objectives "
                             "in its workers between evaluations: use persist=False, or a "
                             "distributed.Client(LocalCluster(...))")
        self.scheduler = scheduler
        self.dtype = np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)
        self.n_features = int(X.shape[1])
        self.n_samples = int(X.shape[0])
        self.n_evaluations = 0  # Dask computations run (diagnostics)
        self.wait_seconds = 0.0  # time the driver waited for Dask computations (diagnostics)
        per_output = self.n_features + (1 if self.fit_intercept else 0)
        self.n_classes = self._resolve_classes(n_classes)
        self.n_params = per_output * (self.n_classes if self._kind == "softmax" else 1)
        self._chunks: Optional[list] = None  # the chunks' objectives (persisted) or None
        self._weight_sum_: Optional[float] = None
        self._cache: list = []  # [(w bytes, (loss, gradient))] of the last evaluations
        self.n_points = 0  # points at which the loss and gradient were computed (diagnostics)
        self._last: Any = None  # (w, gradient) of the last point value_and_gradient returned
        self._line: Any = None  # the line search being walked (see _trials)
        self._width = 1  # trial points the last line search asked for
        self._fma = False  # whether the compiled loop's x + a d is a fused multiply-add
        # Newton asks for the Hessian where it asked for the gradient: once it has, the
        # next point's Hessian sums come with its gradient, in the same computation.
        self._with_hessian = False
        self._hessian_sums: Any = None  # (w bytes, the chunks' Hessian sum) or None
        self._squares: Any = None  # the column sums of squares (set when prepared)
        # On a cluster: [(worker address, [the indices of the chunks it holds])], one task
        # per worker and evaluation (None: not known yet, or a chunk moved).
        self._groups: Any = None
        # (x0, with its Hessian) that minimize will start from: computed with the set-up.
        self._start: Any = None

    # ---- set-up, once per objective ----
    def _resolve_classes(self, n_classes):
        return None

    @property
    def chunks(self):
        """The row chunks of X: a tuple of the number of rows of each chunk."""
        return self.X.chunks[0]

    def _client(self):
        return _distributed_client(self.scheduler)

    def _threads(self, client):
        """The kernel threads per task: a worker's threads times them never exceed the cores
        of its machine (a dict by worker address on a cluster)."""
        if client is not None:
            try:
                cores = client.run(_tasks.host_cores)
                workers = client.scheduler_info(n_workers=-1)["workers"]
            except TypeError:  # older distributed: no n_workers argument
                workers = client.scheduler_info()["workers"]
            per_host: dict = {}
            for addr, w in workers.items():
                per_host[w["host"]] = per_host.get(w["host"], 0) + w["nthreads"]
            return {addr: max(1, cores.get(addr, 1) // per_host[w["host"]])
                    for addr, w in workers.items()}
        pool = dask.config.get("num_workers", None) or _tasks.host_cores()
        concurrent = min(pool, len(self.chunks))
        if self.scheduler in ("sync", "single-threaded", "synchronous"):
            concurrent = 1
        return max(1, _tasks.host_cores() // max(1, concurrent))

    def _blocks(self):
        """(X block, y block, weight block or None, index, first row) of every chunk."""
        xs = self.X.to_delayed().ravel()
        ys = self.y.to_delayed().ravel()
        ss = (self.sample_weight.to_delayed().ravel() if self.sample_weight is not None
              else [None] * len(xs))
        starts = np.concatenate([[0], np.cumsum(self.chunks)[:-1]]).astype(int).tolist()
        return list(zip(xs, ys, ss, range(len(xs)), starts))

    def _spec(self, client):
        return _tasks.Spec(self._kind, self.n_params, self.l2, self.fit_intercept, self.n_classes,
                           self._threads(client))

    def _prepare(self):
        """Build (and persist) the chunks' objectives and sum their weights, once."""
        if self._weight_sum_ is not None:
            return
        client = self._client()
        if client is not None:
            _check_running(client)
        spec = self._spec(client)
        self._spec_value = spec
        start, self._start = self._start, None
        build = dask.delayed(_tasks.build, pure=False)
        firsts: list = []
        located = self.persist and client is not None
        if self.persist:
            objs = [build(spec, x, y, s, i, a) for x, y, s, i, a in self._blocks()]
            if client is not None:
                futures = client.compute(objs)
                chunks = futures
            else:
                chunks = [dask.delayed(o, name=f"descend-chunk-{uuid.uuid4().hex}")
                          for o in self._compute(objs)]
            # On a cluster each chunk's info also says which worker holds the chunk.
            info = _tasks.located_info if located else _tasks.info
            infos = [dask.delayed(info, pure=False)(c, y, self._kind)
                     for c, (_, y, _, _, _) in zip(chunks, self._blocks())]
            if start is not None:  # the start's sums, in the same computation
                what = "grad+hess" if start[1] else "grad"
                firsts = [dask.delayed(_tasks.sums, pure=False)(c, what, start[0])
                          for c in chunks]
        else:
            chunks = None
            infos = [dask.delayed(_tasks.stream_info, pure=False)(spec, x, y, s, i, a)
                     for x, y, s, i, a in self._blocks()]
        results = self._compute(infos + firsts)
        results, firsts = results[:len(infos)], results[len(infos):]
        if located:
            self._groups = _group([address for _, address in results])
            results = [r for r, _ in results]
        total = float(sum(r[0] for r in results))
        self._check_labels([r[1] for r in results])
        if not total > 0:
            raise ValueError("sample_weight must not be all zero")
        self._chunks, self._weight_sum_ = chunks, total
        # The column sums of squares came with the weights: parameter_scales needs no
        # computation of its own.
        self._squares = sum(r[2] for r in results) * np.ones(self.n_features)
        if firsts:
            self._keep_start(start[0], self._add_like_evaluations(firsts, what))

    def __descend_start__(self, x0, method):
        """Told by :func:`descend.minimize` before it runs: its start point and method.

        When the chunks are not prepared yet (a first fit, or after :meth:`release`), the
        computation that prepares them also computes the start's loss and gradient, and
        Newton's Hessian there: one Dask computation where there were two (three for
        Newton). A start that minimize will refuse is ignored here.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> f.__descend_start__(np.zeros(1), "newton")
        >>> f.value(np.zeros(1)), f.n_evaluations  # computed with the chunks' set-up
        (0.5, 1)
        """
        if self._weight_sum_ is not None or not self.persist:
            return
        try:
            w = np.array(x0, dtype=np.float64)
        except (TypeError, ValueError):
            return
        if w.shape == (self.n_params,) and np.isfinite(w).all():
            self._start = (w, method == "newton")

    def _add_like_evaluations(self, parts, what):
        """The chunks' sums `parts` (in the chunks' order) added as an evaluation of `what`
        adds them, with the same rounding (see :meth:`_collect`)."""
        if what == "grad+hess":  # as Newton's look-ahead sends them: two evaluations
            loss, grad = self._add_like_evaluations([p[:2] for p in parts], "grad")
            return loss, grad, self._add_like_evaluations([p[2] for p in parts], "hess")
        if self._groups is not None and self._presum(what):
            return _tasks.add(*_tree([_tasks.add(*[parts[i] for i in indices])
                                      for _, indices in self._groups], self.split_every))
        return _tree(parts, self.split_every)[0]

    def _presum(self, what):
        """Whether each worker adds up its chunks' sums of `what` before they travel: only
        Hessians larger than `_PARTS_BYTES` a worker (else each chunk's sums travel, and
        the driver adds them in the chunks' order whatever worker holds them)."""
        largest = max(len(indices) for _, indices in self._groups)
        return "hess" in what and largest * 8 * self.n_params ** 2 > _PARTS_BYTES

    def _keep_start(self, w, total):
        """Cache the start's risk and gradient (and its Hessian sums) computed at set-up."""
        key = w.tobytes()
        self.n_evaluations += 1
        self.n_points += 1
        self._cache = [(key, self._finish(w, total[0], total[1]))]
        if len(total) == 3:
            self._hessian_sums = (key, total[2])

    def _check_labels(self, labels):
        pass

    @property
    def _weight_sum(self) -> float:
        """S, the sum of the sample weights (the chunks are prepared first)."""
        self._prepare()
        assert self._weight_sum_ is not None
        return self._weight_sum_

    def release(self):
        """Drop the persisted chunks (they are rebuilt at the next evaluation).

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 2), chunks=2), np.ones(4))
        >>> f.release()
        """
        self._chunks, self._weight_sum_, self._cache = None, None, []
        self._last = self._line = self._hessian_sums = self._groups = None
        self._with_hessian = False

    # ---- one Dask computation ----
    def _compute(self, obj):
        """Compute a delayed object (or a list) on the objective's scheduler, with a timeout
        on a distributed cluster, and say clearly when the scheduler is gone."""
        client = self._client()
        start = time.perf_counter()
        try:
            if client is None:
                return dask.compute(obj, scheduler=self.scheduler)[0]
            return _gather(client, obj, self.timeout)
        finally:
            self.wait_seconds += time.perf_counter() - start

    def _evaluate(self, what, w, v=None):
        self._prepare()
        self.n_evaluations += 1
        client = self._client()
        if client is not None and self._chunks is not None:
            return self._collect(client, self._submit(client, what, w, v))
        if client is not None:
            w_arg: Any = _scatter(client, w, self.timeout)
            v_arg: Any = None if v is None else _scatter(client, v, self.timeout)
        else:  # one key each, which every task reads
            w_arg = dask.delayed(w, name=f"descend-w-{uuid.uuid4().hex}")
            v_arg = None if v is None else dask.delayed(v, name=f"descend-v-{uuid.uuid4().hex}")
        if self._chunks is not None:
            task = dask.delayed(_tasks.sums, pure=False)
            parts = [task(c, what, w_arg, v_arg) for c in self._chunks]
        else:
            task = dask.delayed(_tasks.stream_sums, pure=False)
            parts = [task(self._spec_value, x, y, s, i, a, what, w_arg, v_arg)
                     for x, y, s, i, a in self._blocks()]
        add = dask.delayed(_tasks.add, pure=False)
        while len(parts) > 1:  # the tree reduction, split_every parts per node
            parts = [add(*parts[k:k + self.split_every])
                     for k in range(0, len(parts), self.split_every)]
        return self._compute(parts[0])

    def _on_chunk(self, fn, index, *args):
        """A delayed ``fn(chunk's objective, *args)`` that runs where chunk `index` is."""
        self._prepare()
        if self._chunks is not None:
            return dask.delayed(fn, pure=False)(self._chunks[index], *args)
        x, y, s, i, a = self._blocks()[index]
        return dask.delayed(_tasks.stream_apply, pure=False)(self._spec_value, x, y, s, i, a,
                                                             fn, *args)

    def _submit(self, client, what, w, v=None, lookahead=False):
        """Submit one evaluation on a cluster whose workers hold the chunks: one task per
        worker over the chunks it holds (futures submitted directly: a graph of delayed
        calls costs several times more to build and send). Returns what :meth:`_collect`
        needs. A look-ahead runs after the tasks already asked for, and stops early once
        its futures are dropped.
        """
        _check_running(client)
        chunks = self._chunks
        assert chunks is not None
        if self._groups is None:  # a chunk moved (a worker went away): where are they now?
            with _scheduler_errors(client, self.timeout):
                holders = client.who_has(chunks)
            self._groups = _group([(holders.get(c.key) or [None])[0] for c in chunks])
        # The parameters travel inside the tasks (one per worker, as a broadcast would send
        # them, without its extra round trip), or are scattered once when they are large.
        if w.nbytes + (0 if v is None else v.nbytes) > _EMBED_BYTES:
            w = _scatter(client, w, self.timeout)
            v = None if v is None else _scatter(client, v, self.timeout)
        presum = self._presum(what)
        priority = -1 if lookahead else 0
        parts = [client.submit(_tasks.group_sums, [chunks[i] for i in indices], what, w,
                               v, address, lookahead, presum,
                               workers=None if address is None else [address],
                               allow_other_workers=True, pure=False, priority=priority)
                 for address, indices in self._groups]
        if presum:  # many workers: their totals added by a tree on the cluster
            while len(parts) > self.split_every:
                parts = [client.submit(_tasks.add_groups, *parts[k:k + self.split_every],
                                       pure=False, priority=priority)
                         for k in range(0, len(parts), self.split_every)]
        return _Submitted(parts, presum, self._groups)

    def _collect(self, client, submitted):
        """The sums of an evaluation :meth:`_submit` sent.

        Each chunk's sums come back (a few per worker) and are added here by the tree of
        `split_every` in the chunks' order, the tree the threaded scheduler adds them by:
        the same rounding whatever worker holds which chunk. Large Hessians are added up on
        each worker first (then the rounding depends on the chunks' placement).
        """
        parts, presum, groups = submitted
        start = time.perf_counter()
        try:
            results = _results(client, parts, self.timeout)
        finally:
            self.wait_seconds += time.perf_counter() - start
        if any(moved for _, moved in results):
            self._groups = None  # regrouped before the next evaluation
        if any(sums is None for sums, _ in results):
            return None  # a look-ahead that stopped early (see hessian)
        if presum:
            return _tasks.add(*[total for total, _ in results])
        chunk_sums: list = [None] * len(self._chunks or ())
        for (_, indices), (sums, _) in zip(groups, results):
            for i, part in zip(indices, sums):
                chunk_sums[i] = part
        return _tree(chunk_sums, self.split_every)[0]

    # ---- the penalty and the normalisation, on the driver ----
    def _penalised(self):
        """A boolean mask of the penalised parameters (every weight, no intercept)."""
        per_output = self.n_features + (1 if self.fit_intercept else 0)
        mask = np.zeros(per_output, dtype=bool)
        mask[:self.n_features] = True
        return np.tile(mask, self.n_params // per_output)

    def _point(self, w, name="w"):
        return check_vector(w, name, size=self.n_params, size_hint="the objective's n_params")

    def value_and_gradient(self, w):
        """Return the risk and its gradient at `w` (one Dask computation; cached).

        A steepest-descent line search (``minimize(method="gd")`` with ``"armijo"`` or
        ``"grid"``) asks for the points ``x - a g``, ``x - (a/2) g``, ... in turn: once one
        search has shown how many it takes, the next evaluates that many candidates (up to
        `line_points`) in the same Dask computation and answers the later ones from the
        cache (see :meth:`_trials`). The values are those of separate evaluations, bit for
        bit: the iterates do not change, only the round trips.

        Parameters
        ----------
        w : array_like, shape (n_params,)

        Returns
        -------
        (float, ndarray of shape (n_params,))

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> f.value_and_gradient(np.zeros(1))
        (0.5, array([-1.]))
        """
        w = np.array(self._point(w), dtype=np.float64)  # a copy: the caller reuses its buffer
        key = w.tobytes()
        self._prepare()  # (which may compute the start given to __descend_start__)
        out = next((out for k, out in self._cache if k == key), None)
        if out is None:
            points = self._trials(w)
            if self._hessian_sums is not None:
                # The last point's Hessian went unused (a rejected trial step): no more
                # Hessians ahead until the solver asks for one again (a look-ahead still
                # running on a cluster stops once its futures are dropped here).
                self._with_hessian, self._hessian_sums = False, None
            if len(points) == 1 and self._with_hessian:
                results = [self._gradient_and_hessian_ahead(w, key)]
            elif len(points) == 1:
                results = [self._evaluate("grad", w)]
            else:
                losses, grads = self._evaluate("grads", np.array(points))
                results = list(zip(losses, grads))
            self.n_points += len(points)
            done = [(p.tobytes(), self._finish(p, loss, grad))
                    for p, (loss, grad) in zip(points, results)]
            self._cache = done + [c for c in self._cache if c[0] not in {k for k, _ in done}]
            self._cache = self._cache[:max(2, len(done) + 1)]
            out = done[0][1]
        if self._line is not None and self._line["asked"] is not None:
            self._line["asked"] += 1
        self._last = (w, out[1])
        return out[0], out[1].copy()

    def _gradient_and_hessian_ahead(self, w, key):
        """The loss and gradient sums at `w`, with the Hessian sums of `w` on their way
        (Newton will ask for them next): in one Dask computation.

        On a cluster holding the chunks the Hessian tasks are submitted with the gradient's
        but after them: the gradient returns as soon as it is summed and :meth:`hessian`
        waits for the rest, so that the point where the solver stops (its gradient small
        enough) does not wait for a Hessian it never uses.
        """
        client = self._client()
        self._prepare()
        if client is None or self._chunks is None:
            loss, grad, hessian = self._evaluate("grad+hess", w)
            self._hessian_sums = (key, hessian)
            return loss, grad
        self.n_evaluations += 1
        gradient = self._submit(client, "grad", w)
        self._hessian_sums = (key, self._submit(client, "hess", w, lookahead=True))
        return self._collect(client, gradient)

    def _finish(self, w, loss, grad):
        """(risk, gradient) at `w` from the chunks' summed loss and gradient sums."""
        S = self._weight_sum
        mask = self._penalised()
        value = float(loss) / S + 0.5 * self.l2 * float(w[mask] @ w[mask])
        if self._l1:  # its value only: the non-smooth part is the solvers' proximal step
            value += self._l1 * float(np.abs(w[mask]).sum())
        grad = np.asarray(grad, dtype=np.float64) / S
        grad[mask] += self.l2 * w[mask]
        return value, grad

    def _trials(self, w):
        """The points to evaluate with `w`: `w` alone, or `w` and the next trial points of
        the steepest-descent line search it belongs to.

        The search started at x (the last point returned, gradient g) along d = -g: `w` is
        x + a d for a step a found from w itself and checked exactly, with the arithmetic of
        the compiled loop (``x + a * d`` rounded twice, or once when the compiler fused the
        multiply-add). Its later trials are x + (a / 2^j) d (Armijo halves the step; the grid
        tries 4 a0, 2 a0, ..., a0 / 1024), computed here the same way, so that the compiled
        search finds them in the cache bit for bit; a point that does not match is simply
        evaluated. Other directions (Newton, quasi-Newton) are not known here: one point
        per computation.
        """
        line = self._line
        if line is not None and line["next"] is not None and \
                line["next"].tobytes() == w.tobytes():
            start = line["index"] + 1  # the search went past the candidates: twice as many
            count = min(self.line_points, 2 * line["count"])
        elif self._last is not None and self.line_points > 1:
            x, g = self._last
            found = _step_along(x, -g, w, self._fma)
            if self._line is not None and self._line["asked"] is not None:
                self._width = max(1, self._line["asked"])
            if found is None:
                self._line = None
                return [w]
            if found[2]:  # the rounding of the compiled loop, learnt from this point
                self._fma = found[1]
            line = self._line = {"x": x, "d": -g, "a": found[0], "fused": found[1],
                                 "index": 0, "next": None, "asked": 0}
            start, count = 0, min(self.line_points, self._width)  # as many as the last search
        else:
            return [w]
        line["count"] = count
        points = [w] + [_trial(line["x"], line["a"] * 0.5 ** j, line["d"], line["fused"])
                        for j in range(start + 1, start + count)]
        line["index"] = start + count - 1
        line["next"] = _trial(line["x"], line["a"] * 0.5 ** (line["index"] + 1), line["d"],
                              line["fused"])
        return points

    def value(self, w):
        """Return the risk at `w`.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> f.value(np.ones(1))
        0.0
        """
        return self.value_and_gradient(w)[0]

    def gradient(self, w):
        """Return the gradient of the risk at `w`.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> f.gradient(np.ones(1))
        array([0.])
        """
        return self.value_and_gradient(w)[1]

    def hessian(self, w):
        """Return the Hessian of the risk at `w` (a dense n_params x n_params array).

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4), l2=1.0)
        >>> f.hessian(np.zeros(1))
        array([[2.]])
        """
        w = np.asarray(self._point(w), dtype=np.float64)
        key = w.tobytes()
        self._prepare()
        if self._hessian_sums is not None and self._hessian_sums[0] == key:
            sums = self._hessian_sums[1]  # computed with this point's gradient
            if isinstance(sums, _Submitted):  # the look-ahead's futures, on a cluster
                sums = self._collect(self._client(), sums)
                if sums is None:  # it stopped early, as if dropped: computed again
                    sums = self._evaluate("hess", w)
        else:
            sums = self._evaluate("hess", w)
        self._hessian_sums = None
        # Asked where the gradient was: Newton. Its next point's Hessian comes with the
        # gradient (one round trip and one read of the chunks per iteration, not two).
        self._with_hessian = self._last is not None and self._last[0].tobytes() == key
        H = np.array(sums, dtype=np.float64) / self._weight_sum
        H[np.diag_indices_from(H)] += self.l2 * self._penalised()
        return H

    def hvp(self, w, v):
        """Return the Hessian at `w` times `v`.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> f.hvp(np.zeros(1), np.ones(1))
        array([1.])
        """
        w = self._point(w)
        v = self._point(v, "v")
        out = np.asarray(self._evaluate("hvp", w, v), dtype=np.float64) / self._weight_sum
        mask = self._penalised()
        out[mask] += self.l2 * v[mask]
        return out

    def parameter_scales(self):
        """Return each parameter's curvature scale, as the in-memory objectives do.

        For weight j of each output, feature j's weighted mean square plus l2 (1 for a
        column of zeros); 1 for an intercept (the squares are summed in the computation that
        prepares the chunks; then kept).
        :func:`descend.minimize` asks its relative first-order test of the gradient
        measured in these scales too.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.LeastSquares(da.from_array(np.array([[1.0], [3.0]]), chunks=1),
        ...                               np.ones(2), fit_intercept=True)
        >>> f.parameter_scales().tolist()
        [5.0, 1.0]
        """
        if getattr(self, "_scales", None) is None:
            total = self._weight_sum  # prepares the chunks, which sums the squares too
            squares = np.asarray(self._squares, dtype=np.float64)
            moments = squares / total + self.l2
            moments[~(np.isfinite(moments) & (moments > 0))] = 1.0
            block = np.r_[moments, [1.0] * self.fit_intercept]
            self._scales = np.tile(block, self.n_params // len(block))
        return self._scales.copy()

    # ---- what descend.minimize runs ----
    def __descend_objective__(self) -> _core.Objective:
        """The compiled adapter :func:`descend.minimize` runs: each of its evaluations calls
        back here for one Dask computation.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend, descend.dask
        >>> f = descend.dask.LeastSquares(da.ones((4, 1), chunks=2), np.ones(4))
        >>> isinstance(f.__descend_objective__(), descend.Objective)
        True
        """
        outputs = self.n_classes if self._kind == "softmax" else 1
        return _core.PyObjective(self.value_and_gradient, True, self.hessian, self.hvp,
                                 self.n_params, self.parameter_scales(), outputs=outputs,
                                 convex=True)  # a linear model's convex loss and penalty

    def __repr__(self):
        return (f"descend.dask.{type(self).__name__}(n_samples={self.n_samples}, "
                f"n_features={self.n_features}, chunks={len(self.chunks)}, dtype={self.dtype}, "
                f"l2={self.l2}, fit_intercept={self.fit_intercept}, persist={self.persist})")


def _fused(a, d, x):
    """x + a d rounded once, as a fused multiply-add gives it: the product a d exactly as a
    sum of two doubles (Dekker), then the three terms added with one final rounding (a
    faithful sum; the rare case it rounds otherwise is only a cache miss)."""
    split = 134217729.0  # 2^27 + 1
    with np.errstate(all="ignore"):
        p = a * d
        ah = split * a
        ah = ah - (ah - a)
        al = a - ah
        dh = split * d
        dh = dh - (dh - d)
        dl = d - dh
        err = ((ah * dh - p) + ah * dl + al * dh) + al * dl
        s = x + p
        bb = s - x
        t = (x - (s - bb)) + (p - bb)
        return s + (t + err)


def _trial(x, a, d, fused):
    """The compiled line search's trial point x + a d, with its rounding."""
    with np.errstate(all="ignore"):
        return _fused(a, d, x) if fused else x + a * d


def _step_along(x, d, w, prefer_fused=False):
    """(a, fused, sure) such that `w` is exactly the trial point x + a d, or None; `sure`
    when only one of the two roundings gives `w` (else `prefer_fused` decides)."""
    if x.shape != w.shape or not np.any(d):
        return None
    j = int(np.argmax(np.abs(d)))
    with np.errstate(all="ignore"):
        estimate = (w[j] - x[j]) / d[j]
    if not (np.isfinite(estimate) and estimate > 0):
        return None
    # A step is usually a short decimal times a power of two (lr, 4 lr, lr / 2, ...): try
    # those first, then the estimate and its neighbours.
    candidates = [float(f"{estimate:.12g}"), float(f"{estimate:.6g}"), estimate]
    up = down = estimate
    for _ in range(4):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        candidates += [float(up), float(down)]
    key = w.tobytes()
    for a in candidates:
        matches = [fused for fused in (False, True) if _trial(x, a, d, fused).tobytes() == key]
        if len(matches) == 1:
            return a, matches[0], True
        if matches:
            return a, prefer_fused, False
    return None


def _scheduler_gone(client):
    return client.status in ("closed", "closing", "failed") or \
        getattr(client.scheduler_comm, "comm", None) is None


def _check_running(client):
    """Refuse at once to compute on a client whose scheduler is gone (or going)."""
    if client.status != "running":
        raise SchedulerError(
            f"the Dask scheduler went away: the client's status is {client.status!r} (it lost "
            "its connection, or was closed); restart the cluster and fit again")


@contextlib.contextmanager
def _scheduler_errors(client, timeout):
    """Turn what a lost or silent scheduler raises (a timeout, a closed connection, a
    cancelled future) into a SchedulerError that says so."""
    from distributed import TimeoutError as DistributedTimeout

    try:
        yield
    except (DistributedTimeout, TimeoutError, OSError) as exc:
        raise _scheduler_error(client, timeout) from exc
    except Exception as exc:
        if type(exc).__name__ in ("CommClosedError", "CancelledError", "FutureCancelledError",
                                  "FuturesCancelledError"):
            raise _scheduler_error(client, timeout) from exc
        raise


def _gather(client, obj, timeout):
    from distributed import wait

    _check_running(client)
    with _scheduler_errors(client, timeout):
        futures = client.compute(obj)
        wait(futures, timeout=timeout)  # a scheduler that went away does not answer
        return client.gather(futures)


def _results(client, futures, timeout):
    """The values of `futures`, within `timeout` seconds, or a SchedulerError."""
    from distributed import wait

    _check_running(client)
    with _scheduler_errors(client, timeout):
        wait(futures, timeout=timeout)
        return client.gather(futures)


class _Submitted(NamedTuple):
    """An evaluation sent to a cluster: its futures, whether the workers add their chunks'
    sums, and the chunks' grouping it was sent with."""

    futures: list
    presum: bool
    groups: list


def _group(addresses):
    """[(address, [indices of the chunks held there])], the chunks' addresses given."""
    groups: dict = {}
    for index, address in enumerate(addresses):
        groups.setdefault(address, []).append(index)
    return list(groups.items())


def _tree(parts, split_every):
    """`parts` added by a tree of fan-in `split_every` (a list of the one total), as the
    threaded scheduler's evaluation adds the chunks' sums."""
    while len(parts) > 1:
        parts = [_tasks.add(*parts[k:k + split_every])
                 for k in range(0, len(parts), split_every)]
    return parts


#: Parameters up to this size travel inside the evaluation's tasks; larger ones are
#: scattered to the workers first (one extra round trip).
_EMBED_BYTES = 1 << 16
#: A worker's chunks' Hessian sums up to this size travel as they are (added on the driver
#: in the chunks' order); larger ones are added up on the worker first.
_PARTS_BYTES = 1 << 22


def _scatter(client, value, timeout):
    _check_running(client)
    with _scheduler_errors(client, timeout):
        return client.scatter(value, broadcast=True, hash=False, timeout=timeout)


def _scheduler_error(client, timeout):
    if _scheduler_gone(client) or client.status != "running":
        address = getattr(client.scheduler, "address", "?")
        return SchedulerError(
            f"the Dask scheduler at {address} went away during the fit (the client lost its "
            "connection); restart the cluster and fit again")
    return SchedulerError(f"the Dask scheduler did not answer within timeout={timeout} s")


_COMMON_DOC = """
    Parameters
    ----------
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked by rows only: a chunk holds whole rows. A column-chunked X is rechunked into
        one column block (``X.rechunk({1: -1})``) unless ``rechunk=False``, which refuses it.
        float64 or float32 chunks are used as they are (each chunk's objective borrows its
        block); other dtypes are converted to float64 per chunk. Chunks may be scipy.sparse
        CSR matrices (``da.from_array(csr, chunks=(rows, n_features), asarray=False)``),
        borrowed the same way. A numpy array is taken as one chunk.
    y : dask.array.Array or array_like, shape (n_samples,)
        Targets, rechunked to X's row chunks when their chunks differ.
    l2 : float, default 0.0
        Ridge penalty on the weights (never the intercepts), >= 0.
    fit_intercept : bool, default False
        Append an unpenalised intercept to each output's parameters.
    sample_weight : dask.array.Array or array_like, shape (n_samples,), optional
        Non-negative weights, aligned with X's rows like y. A chunk whose weights are all
        zero contributes nothing. With float32 chunks each chunk's objective stores its
        weights divided by the chunk's largest (in float32), so weights agree with the
        in-memory objective's to float32 rounding (exactly for powers of two).
    persist : bool, default True
        Build each chunk's objective once, where the chunk is computed, and keep it in the
        workers' memory for the whole fit (the chunk's X and y with it). False streams: every
        evaluation computes the chunks again from X's graph and drops them (for data larger
        than the cluster's memory; each evaluation then re-reads or re-generates X).
    rechunk : bool, default True
        Rechunk a column-chunked X into whole rows.
    scheduler : None, str or distributed.Client, optional
        Where to compute: None is Dask's default (the active distributed Client if there is
        one, else the threaded scheduler); a name ('threads', 'sync', 'processes') or a
        Client.
    timeout : float, default 600
        Seconds to wait for one evaluation on a distributed cluster; then (or when the
        scheduler goes away) a :class:`SchedulerError` is raised.
    split_every : int, default 8
        Fan-in of the tree that adds up the chunks' sums.
    line_points : int, default 16
        The most trial points of a steepest-descent line search (gd with "armijo" or
        "grid") evaluated in one Dask computation (see :meth:`value_and_gradient`); 1
        evaluates one point per computation.

    Notes
    -----
    The kernels' threads are capped per task: on a cluster, to the cores of a worker's
    machine divided by the threads of all the workers on it; on the threaded scheduler, to
    the cores divided by the chunks computed at once. Bad data (NaN, infinity, wrong labels)
    is refused when the chunks are first built, with the chunk and its rows in the message.
"""


class LeastSquares(DaskObjective):
    __doc__ = r"""Least squares over a row-chunked Dask array.

    .. math::
        R(w, b) = \frac{1}{2S} \sum_i s_i (x_i \cdot w + b - y_i)^2 + \frac{l_2}{2} \|w\|^2

    as :class:`descend.LeastSquares`, evaluated chunk by chunk (see :class:`DaskObjective`).
    """ + _COMMON_DOC + """
    Examples
    --------
    >>> import numpy as np, dask.array as da, descend, descend.dask
    >>> rng = np.random.default_rng(0)
    >>> X = da.from_array(rng.normal(size=(1000, 3)), chunks=(300, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> f = descend.dask.LeastSquares(X, y, scheduler="sync")
    >>> r = descend.minimize(f, np.zeros(3), method="newton")
    >>> r.x.round(6).tolist()
    [1.0, -2.0, 0.5]
    """

    _kind = "squared"

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, *, persist=True,
                 rechunk=True, scheduler=None, timeout=DEFAULT_TIMEOUT, split_every=8,
                 line_points=16):
        super().__init__(X, y, l2, fit_intercept, sample_weight, persist=persist,
                         rechunk=rechunk, scheduler=scheduler, timeout=timeout,
                         split_every=split_every, line_points=line_points)


class Logistic(DaskObjective):
    __doc__ = r"""Mean logistic loss over a row-chunked Dask array.

    As :class:`descend.Logistic`: labels {0, 1} or {-1, +1} (the same coding in every chunk),
    evaluated chunk by chunk (see :class:`DaskObjective`).
    """ + _COMMON_DOC + """
    Examples
    --------
    >>> import numpy as np, dask.array as da, descend, descend.dask
    >>> X = da.from_array(np.array([[1.0], [-1.0], [2.0], [-2.0]]), chunks=2)
    >>> f = descend.dask.Logistic(X, np.array([1, 0, 1, 0]), scheduler="sync")
    >>> round(f.value(np.zeros(1)), 6)  # log(2)
    0.693147
    """

    _kind = "log"

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, *, persist=True,
                 rechunk=True, scheduler=None, timeout=DEFAULT_TIMEOUT, split_every=8,
                 line_points=16):
        super().__init__(X, y, l2, fit_intercept, sample_weight, persist=persist,
                         rechunk=rechunk, scheduler=scheduler, timeout=timeout,
                         split_every=split_every, line_points=line_points)

    def _check_labels(self, labels):
        seen = set(np.concatenate(labels).tolist())
        if not (seen <= {0.0, 1.0} or seen <= {-1.0, 1.0}):
            raise ValueError(f"y must hold binary labels {{0, 1}} or {{-1, +1}} (the same in "
                             f"every chunk), got {sorted(seen)[:5]}")


class Softmax(DaskObjective):
    __doc__ = r"""Multinomial logistic regression over a row-chunked Dask array.

    As :class:`descend.Softmax`: the parameters are a K x p matrix flattened row by row,
    evaluated chunk by chunk (see :class:`DaskObjective`).
    """ + _COMMON_DOC.replace(
        "    persist :",
        "    n_classes : int, optional\n"
        "        K; by default ``max(y) + 1`` (one pass over y to find it).\n"
        "    persist :") + """
    Examples
    --------
    >>> import numpy as np, dask.array as da, descend, descend.dask
    >>> f = descend.dask.Softmax(da.from_array(np.eye(3), chunks=(2, 3)), np.array([0, 1, 2]),
    ...                          scheduler="sync")
    >>> round(f.value(np.zeros(9)), 6)  # log(3)
    1.098612
    """

    _kind = "softmax"

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_classes=None,
                 *, persist=True, rechunk=True, scheduler=None, timeout=DEFAULT_TIMEOUT,
                 split_every=8, line_points=16):
        super().__init__(X, y, l2, fit_intercept, sample_weight, n_classes=n_classes,
                         persist=persist, rechunk=rechunk, scheduler=scheduler,
                         timeout=timeout, split_every=split_every, line_points=line_points)

    def _resolve_classes(self, n_classes):
        if n_classes is not None:
            return check_int(n_classes, "n_classes", low=2)
        top = self._compute(self.y.max())
        if not np.isfinite(top) or top != np.round(top) or top < 1:
            raise ValueError("y must hold integer class labels 0, 1, ..., K-1 with at least "
                             f"two classes, got a largest label of {top}")
        return int(top) + 1

    def coef_matrix(self, w):
        """Return the flat parameters `w` as the (n_classes, p) matrix they stand for.

        Examples
        --------
        >>> import numpy as np, dask.array as da, descend.dask
        >>> f = descend.dask.Softmax(da.eye(3, chunks=3), np.arange(3), scheduler="sync")
        >>> f.coef_matrix(np.arange(9.0)).shape
        (3, 3)
        """
        return self._point(w).reshape(self.n_classes, -1)


class LinearLoss(DaskObjective):
    __doc__ = r"""scikit-learn's SGD losses over a row-chunked Dask array.

    As :class:`descend.objectives.LinearLoss` (the losses of margins on -1/+1 labels, and the
    regression losses), with its `loss`, `epsilon` and `l1`: evaluated chunk by chunk (see
    :class:`DaskObjective`). It is the objective the SGD estimators train on dask arrays
    with :func:`descend.dask.minibatch`; the L1 penalty is in its value and is applied by
    the mini-batch runs' proximal step, so :func:`descend.minimize` refuses it with
    ``l1 > 0`` (its full-batch methods would ignore the L1 term's kink).
    """ + _COMMON_DOC.replace(
        "    persist :",
        "    loss : str, default \"squared_error\"\n"
        "        One of :data:`descend.objectives.CLASSIFICATION_LOSSES` or\n"
        "        :data:`descend.objectives.REGRESSION_LOSSES`.\n"
        "    epsilon : float, default 0.1\n"
        "        The threshold of huber and the epsilon-insensitive losses, >= 0.\n"
        "    l1 : float, default 0.0\n"
        "        L1 penalty on the weights, >= 0.\n"
        "    max_slope : float or None, default None\n"
        "        The clip of each row's loss slope (scikit-learn's SGD clips at 1e12);\n"
        "        None keeps the exact gradient.\n"
        "    persist :") + """
    Examples
    --------
    >>> import numpy as np, dask.array as da, descend.dask
    >>> X = da.from_array(np.array([[1.0], [-1.0], [2.0], [-2.0]]), chunks=2)
    >>> f = descend.dask.LinearLoss(X, np.array([1, 0, 1, 0]), loss="hinge", scheduler="sync")
    >>> f.value(np.zeros(1))
    1.0
    """

    _kind = "linear"

    def __init__(self, X, y, loss="squared_error", l2=0.0, fit_intercept=False,
                 sample_weight=None, *, epsilon=0.1, l1=0.0, max_slope=None, persist=True,
                 rechunk=True, scheduler=None, timeout=DEFAULT_TIMEOUT, split_every=8,
                 line_points=16):
        from ..objectives import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

        losses = CLASSIFICATION_LOSSES + REGRESSION_LOSSES
        if not (isinstance(loss, str) and loss in losses):
            raise ValueError(f"loss must be one of {', '.join(map(repr, losses))}, got {loss!r}")
        self.loss = loss
        self.epsilon = check_real(epsilon, "epsilon", low=0.0)
        self._l1 = check_real(l1, "l1", low=0.0)
        self.max_slope = (None if max_slope is None
                          else check_real(max_slope, "max_slope", low=0.0, low_open=True))
        super().__init__(X, y, l2, fit_intercept, sample_weight, persist=persist,
                         rechunk=rechunk, scheduler=scheduler, timeout=timeout,
                         split_every=split_every, line_points=line_points)

    @property
    def l1(self) -> float:
        """The L1 penalty on the weights."""
        return self._l1

    def _spec(self, client):
        return _tasks.Spec(self._kind, self.n_params, self.l2, self.fit_intercept, None,
                           self._threads(client), self.loss, self.epsilon, self._l1,
                           self.max_slope)

    def __descend_objective__(self) -> _core.Objective:
        if self._l1 > 0:
            raise ValueError("descend.minimize cannot run a descend.dask.LinearLoss with "
                             "l1 > 0 (its full-batch methods have no proximal step for it "
                             "here): use descend.dask.minibatch, or l1=0")
        return super().__descend_objective__()
