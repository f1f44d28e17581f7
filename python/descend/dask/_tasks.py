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
         "softmax": objectives.Softmax}


@dataclass(frozen=True)
class Spec:
    """What every chunk's objective is built with (small: it travels with every build task)."""

    kind: str
    n_params: int
    l2: float
    fit_intercept: bool
    n_classes: Optional[int] = None
    threads: Any = None  # an int, or {worker address: int} on a distributed cluster


class EmptyChunk:
    """A chunk whose sample weights are all zero: it contributes nothing to any sum."""

    def __init__(self, n_params: int):
        self.n_params = n_params


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
                return EmptyChunk(spec.n_params)
        # l2 is in the batch gradients of a mini-batch run; the sums never include it.
        options = dict(l2=spec.l2, fit_intercept=spec.fit_intercept, sample_weight=sample_weight,
                       n_threads=kernel_threads(spec.threads))
        if spec.kind == "softmax":
            options["n_classes"] = spec.n_classes
        return KINDS[spec.kind](X, y, **options)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{rows}: {exc}") from None


def info(objective, y, kind: str):
    """(sum of the weights, the distinct labels or None) of a chunk."""
    labels = None
    if kind == "log":
        labels = np.unique(np.asarray(y, dtype=np.float64))
    if isinstance(objective, EmptyChunk):
        return 0.0, labels
    return objective.weight_sum(), labels


def sums(objective, what: str, w, v=None):
    """The chunk's unnormalised sums at `w`.

    what: "grad" gives (loss_sum, gradient_sum); "hess" the Hessian sum; "hvp" the Hessian sum
    times `v`; "squares" the weighted column sums of squares sum_i s_i x_ij^2 (w unused).
    """
    if isinstance(objective, EmptyChunk):
        p = objective.n_params
        return {"grad": lambda: (0.0, np.zeros(p)), "hess": lambda: np.zeros((p, p)),
                "hvp": lambda: np.zeros(p), "squares": lambda: 0.0}[what]()
    if what == "squares":
        return column_squares(objective.X, objective.sample_weight)
    if what == "grad":
        return objective.loss_sum(w)
    if what == "hess":
        return objective.hessian_sum(w)
    return objective.hvp_sum(w, v)


def column_squares(X, sample_weight):
    """sum_i s_i x_ij^2 for each column j of a chunk (dense or CSR), in float64."""
    if is_sparse(X):
        squares = X.multiply(X).tocsc().astype(np.float64)
    else:
        squares = np.square(np.asarray(X, dtype=np.float64))
    if sample_weight is None:
        return np.asarray(squares.sum(axis=0), dtype=np.float64).ravel()
    return np.asarray(squares.T @ np.asarray(sample_weight, dtype=np.float64)).ravel()


def stream_sums(spec: Spec, X, y, sample_weight, index: int, start: int, what: str, w, v=None):
    """Build the chunk's objective and return its sums (the streaming mode: nothing kept)."""
    return sums(build(spec, X, y, sample_weight, index, start), what, w, v)


def stream_apply(spec: Spec, X, y, sample_weight, index: int, start: int, fn, *args):
    """``fn(objective, *args)`` on the chunk's objective built on the fly (streaming)."""
    return fn(build(spec, X, y, sample_weight, index, start), *args)


def stream_info(spec: Spec, X, y, sample_weight, index: int, start: int):
    """:func:`info` of a chunk built on the fly (the streaming mode)."""
    return info(build(spec, X, y, sample_weight, index, start), y, spec.kind)


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
