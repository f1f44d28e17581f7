"""The functions that run in Dask tasks, next to a chunk of rows.

Each is a plain module-level function (pickled by reference, so a worker imports descend to
run it). A chunk's objective is a descend objective built on the chunk's rows with the
kernel's threads capped; the evaluation tasks return the chunk's *unnormalised* sums
(``loss_sum``, ``hessian_sum``, ``hvp_sum``: no penalty, not divided by the weights), which
the driver adds up over a tree of :func:`add` tasks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from dask.sizeof import sizeof

from .. import _core, objectives
from .._sparse import is_sparse

def _nbytes(a) -> int:
    if a is None:
        return 0
    if hasattr(a, "indptr"):  # scipy.sparse CSR
        return int(a.data.nbytes + a.indices.nbytes + a.indptr.nbytes)
    return int(getattr(a, "nbytes", 0))


@sizeof.register(_core.EmpiricalRisk)
def _objective_size(objective) -> int:
    """A chunk objective's memory: the arrays it keeps alive (its X, y and weights).

    Dask's scheduler weighs moving a task's inputs by their size; without this, a chunk
    objective (a compiled object) would look tiny, and a task moved to another worker would
    copy its whole chunk there.
    """
    arguments = getattr(objective, "__dict__", {}).get("_arguments", {})
    return 1024 + sum(_nbytes(arguments.get(k)) for k in ("X", "y", "sample_weight"))


#: The objective classes of the chunks, by kind.
KINDS = {"squared": objectives.LeastSquares, "log": objectives.Logistic,
         "softmax": objectives.Softmax, "linear": objectives.LinearLoss}


@dataclass(frozen=True)
class Spec:
    """What every chunk's objective is built with (small: it travels with every build task)."""

    kind: str
    n_params: int
    l2: float
    fit_intercept: bool
    n_classes: Optional[int] = None
    threads: Any = None  # an int, or {worker address: int} on a distributed cluster
    loss: str = ""  # kind "linear": the loss of descend.objectives.LinearLoss, its epsilon
    epsilon: float = 0.1
    l1: float = 0.0
    max_slope: Optional[float] = None  # the clip of each slope (None: exact)


class EmptyChunk:
    """A chunk whose sample weights are all zero: it contributes nothing to any sum.

    A mini-batch run still steps on its batches (their data gradient is zero; the penalty,
    the rule's momentum and the step count still act, as on a batch of zero-weight rows in
    memory): :meth:`penalty_only` gives the objective those steps run on.
    """

    def __init__(self, n_params: int, n_samples: int = 0, n_features: int = 0,
                 spec: Optional[Spec] = None):
        self.n_params = n_params
        self.n_samples = n_samples
        self.n_features = n_features
        self.spec = spec

    def penalty_only(self):
        """An objective on this chunk's rows whose data loss and gradient are exactly zero
        and whose penalty is the chunk's: an epsilon-insensitive loss on rows of zeros (an
        empty CSR matrix) with targets 0 and an epsilon no parameter reaches, so every batch
        gradient is the penalty's alone. For the models with one output (the softmax model
        has no such form: refused)."""
        import scipy.sparse

        spec = self.spec
        if spec is None or spec.kind == "softmax":
            raise ValueError(
                "a chunk whose sample weights are all zero cannot be stepped on by a "
                "mini-batch run of the softmax model: drop those rows (or give them a "
                "positive weight)")
        X = scipy.sparse.csr_matrix((self.n_samples, self.n_features), dtype=np.float64)
        return objectives.LinearLoss(X, np.zeros(self.n_samples), loss="epsilon_insensitive",
                                     epsilon=_UNREACHABLE, l2=spec.l2, l1=spec.l1,
                                     fit_intercept=spec.fit_intercept, n_threads=1)


#: An epsilon beyond any intercept a run can hold: |b - 0| - epsilon < 0, a zero loss.
_UNREACHABLE = 1e300


def kernel_threads(threads) -> int:
    """The kernel threads a task may use here (a worker's threads x this <= its cores)."""
    if isinstance(threads, dict):
        try:
            from distributed import get_worker

            return int(threads.get(get_worker().address, 1))
        except (ImportError, ValueError):
            return 1
    return max(1, int(threads or 1))


def build(spec: Spec, X, y, sample_weight, index: int, start: int):
    """Build the objective of chunk `index` (its rows begin at `start` of the whole X).

    Bad data is refused with the objective's own ValueError or TypeError, prefixed with the
    chunk and its rows so that the user can find them.
    """
    if not is_sparse(X):  # a scipy.sparse chunk (CSR) is used as it is
        X = np.asarray(X)
    rows = f"chunk {index} (rows {start}:{start + X.shape[0]})"
    try:
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=np.float64)
            if sw.shape == (X.shape[0],) and np.isfinite(sw).all() and (sw >= 0).all() \
                    and not sw.any():
                objectives.LeastSquares(X, np.zeros(X.shape[0]))  # X must still be valid
                return EmptyChunk(spec.n_params, X.shape[0], X.shape[1], spec)
        # l2 is in the batch gradients of a mini-batch run; the sums never include it.
        options = dict(l2=spec.l2, fit_intercept=spec.fit_intercept, sample_weight=sample_weight,
                       n_threads=kernel_threads(spec.threads))
        if spec.kind == "softmax":
            options["n_classes"] = spec.n_classes
        if spec.kind == "linear":
            options.update(loss=spec.loss, epsilon=spec.epsilon, l1=spec.l1,
                           max_slope=spec.max_slope)
        return KINDS[spec.kind](X, y, **options)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{rows}: {exc}") from None


def info(objective, y, kind: str):
    """(sum of the weights, the distinct labels or None, the weighted column sums of squares)
    of a chunk: what an objective needs once, in the computation that builds its chunks."""
    labels = None
    if kind == "log":
        labels = np.unique(np.asarray(y, dtype=np.float64))
    if isinstance(objective, EmptyChunk):
        return 0.0, labels, 0.0
    return (objective.weight_sum(), labels,
            column_squares(objective.X, objective.sample_weight))


def sums(objective, what: str, w, v=None):
    """The chunk's unnormalised sums at `w`.

    what: "grad" gives (loss_sum, gradient_sum); "grads" the same at each row of a 2-D `w`
    (k points: a (k,) array of loss sums and a (k, n_params) array of gradient sums, each
    row computed as "grad" computes it); "hess" the Hessian sum; "grad+hess" the loss sum,
    gradient sum and Hessian sum at once (each as "grad" and "hess" compute it); "hvp" the
    Hessian sum times `v`; "squares" the weighted column sums of squares
    sum_i s_i x_ij^2 (w unused).
    """
    if isinstance(objective, EmptyChunk):
        p = objective.n_params
        k = len(w) if what == "grads" else 0
        return {"grad": lambda: (0.0, np.zeros(p)), "hess": lambda: np.zeros((p, p)),
                "grad+hess": lambda: (0.0, np.zeros(p), np.zeros((p, p))),
                "grads": lambda: (np.zeros(k), np.zeros((k, p))),
                "hvp": lambda: np.zeros(p), "squares": lambda: 0.0}[what]()
    if what == "grads":
        parts = [objective.loss_sum(point) for point in w]
        return (np.array([float(loss) for loss, _ in parts]),
                np.array([np.asarray(g, dtype=np.float64) for _, g in parts]))
    if what == "squares":
        return column_squares(objective.X, objective.sample_weight)
    if what == "grad":
        return objective.loss_sum(w)
    if what == "hess":
        return objective.hessian_sum(w)
    if what == "grad+hess":
        loss, grad = objective.loss_sum(w)
        return loss, grad, objective.hessian_sum(w)
    return objective.hvp_sum(w, v)


def column_squares(X, sample_weight):
    """sum_i s_i x_ij^2 for each column j of a chunk (dense or CSR), in float64 (a dense
    chunk without a temporary of its size)."""
    if is_sparse(X):
        squares = X.multiply(X).tocsc().astype(np.float64)
        if sample_weight is None:
            return np.asarray(squares.sum(axis=0), dtype=np.float64).ravel()
        return np.asarray(squares.T @ np.asarray(sample_weight, dtype=np.float64)).ravel()
    X = np.asarray(X)
    if sample_weight is None:
        return np.einsum("ij,ij->j", X, X, dtype=np.float64)
    return np.einsum("ij,ij,i->j", X, X, np.asarray(sample_weight, dtype=np.float64),
                     dtype=np.float64)


def stream_sums(spec: Spec, X, y, sample_weight, index: int, start: int, what: str, w, v=None):
    """Build the chunk's objective and return its sums (the streaming mode: nothing kept)."""
    return sums(build(spec, X, y, sample_weight, index, start), what, w, v)


def stream_apply(spec: Spec, X, y, sample_weight, index: int, start: int, fn, *args):
    """``fn(objective, *args)`` on the chunk's objective built on the fly (streaming)."""
    return fn(build(spec, X, y, sample_weight, index, start), *args)


def stream_info(spec: Spec, X, y, sample_weight, index: int, start: int):
    """:func:`info` of a chunk built on the fly (the streaming mode)."""
    return info(build(spec, X, y, sample_weight, index, start), y, spec.kind)


def worker_address() -> Optional[str]:
    """The address of the distributed worker running this task (None elsewhere)."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def located_info(objective, y, kind: str):
    """(:func:`info` of a persisted chunk, the address of the worker that holds it)."""
    return info(objective, y, kind), worker_address()


def _released() -> bool:
    """Whether the client has let go of the task running here (a look-ahead it no longer
    wants: the distributed worker marks it cancelled). False whenever it cannot tell."""
    try:
        from distributed import get_worker

        worker = get_worker()
        task = worker.state.tasks.get(worker.get_current_task())
        return task is None or task.state in ("cancelled", "released", "forgotten")
    except (ImportError, ValueError, AttributeError, KeyError):
        return False


def group_sums(objectives, what: str, w, v=None, address=None, lookahead=False,
               presum=False):
    """The sums of the chunks one worker holds: a list of each chunk's (or, with `presum`,
    their total, added in their order), and whether the task ran on another worker than
    `address` (its chunks moved: the driver regroups them).

    One task per worker instead of one per chunk: the scheduler handles a few tasks per
    evaluation. A look-ahead (a Hessian computed before the solver asks for it) checks
    between chunks whether the driver still wants it, and stops early (None) when not.
    """
    moved = address is not None and worker_address() != address
    parts = []
    for objective in objectives:
        if lookahead and _released():
            return None, moved
        parts.append(sums(objective, what, w, v))
    return (add(*parts) if presum else parts), moved


def add_groups(*parts):
    """:func:`group_sums` results added (their sums, and whether any moved)."""
    return add(*[p[0] for p in parts]), any(p[1] for p in parts)


def add(*parts):
    """The sum of chunk results: numbers, arrays, or tuples of them added element-wise."""
    total = parts[0]
    for part in parts[1:]:
        if isinstance(total, tuple):
            total = tuple(a + b for a, b in zip(total, part))
        else:
            total = total + part
    return total


def host_cores() -> int:
    """The cores this process may use (its CPU affinity where the platform says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
