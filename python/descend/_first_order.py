"""The first-order methods of :func:`descend.minimize`."""

from __future__ import annotations

from . import _core
from ._minimize import Method, Option, non_negative, positive, positive_int, register_method

#: Stopping options shared by the iterative methods.
STOPPING = {
    "tol": Option(1e-10, non_negative, "stop when |R(w_t) - R(w_{t-1})| <= tol"),
    "gtol": Option(1e-6, non_negative, "stop when ||grad R(w_t)|| <= gtol"),
    "max_iter": Option(1000, positive_int, "at most this many iterations"),
}


def _run_gd(objective, x0, o, callback):
    return _core.gradient_descent(
        objective, x0, o["lr"], o["tol"], o["gtol"], o["max_iter"], callback
    )


register_method(
    Method(
        name="gd",
        summary="batch gradient descent with a constant learning rate",
        options={"lr": Option(0.1, positive, "learning rate, > 0"), **STOPPING},
        run=_run_gd,
    )
)
