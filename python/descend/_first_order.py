"""The first-order methods of :func:`descend.minimize`."""

from __future__ import annotations

from . import _core
from ._minimize import Method, Option, non_negative, positive, positive_int, register_method
from ._second_order import gd_line_search_options, run_steepest_descent

#: Stopping options shared by the iterative methods.
STOPPING = {
    "tol": Option(1e-10, non_negative, "stop when |R(w_t) - R(w_{t-1})| <= tol"),
    "gtol": Option(1e-6, non_negative, "stop when ||grad R(w_t)|| <= gtol"),
    "max_iter": Option(1000, positive_int, "at most this many iterations"),
}


def _run_gd(objective, x0, o, callback):
    if o["line_search"] is not None:  # steepest descent with a line search
        return run_steepest_descent(objective, x0, o, callback)
    return _core.gradient_descent(
        objective, x0, o["lr"], o["tol"], o["gtol"], o["max_iter"], callback
    )


register_method(
    Method(
        name="gd",
        summary="batch gradient descent: a constant learning rate, or a line search along -g",
        options={"lr": Option(0.1, positive, "learning rate (first trial step with a line "
                                             "search), > 0"),
                 **STOPPING, **gd_line_search_options()},
        run=_run_gd,
    )
)
