"""Newton's method and the quasi-Newton methods of :func:`descend.minimize`, and the line
searches they share with gradient descent."""

from __future__ import annotations

from . import _core
from ._minimize import Method, Option, non_negative, positive, positive_int, register_method

#: The line searches (see ``cpp/include/descend/linesearch.hpp``); None is the full step.
LINE_SEARCHES = ("armijo", "wolfe", "grid", "exact")


def line_search_option(value, name):
    """Validate a line-search name (None, "none" or one of LINE_SEARCHES)."""
    if value is None or value == "none":
        return None
    if not isinstance(value, str) or value.lower() not in LINE_SEARCHES:
        raise ValueError(f"{name} must be None or one of {', '.join(LINE_SEARCHES)}, "
                         f"got {value!r}")
    return value.lower()


def in_open_unit_interval(value, name):
    """Validate a constant in (0, 1), both ends excluded (the line-search constants)."""
    from ._validation import check_real

    return check_real(value, name, low=0.0, high=1.0, low_open=True, high_open=True)


def optional_tol(value, name):
    """None (a rule switched off) or a tolerance >= 0."""
    return None if value is None else non_negative(value, name)


def stopping(gtol, max_iter):
    """The stopping options of a second-order method, with its own defaults."""
    return {
        "tol": Option(1e-15, non_negative, "stop (status 'stalled') when |R_t - R_{t-1}| <= "
                                           "tol (R_0 - R_t): the loss stopped changing"),
        "tol_abs": Option(None, optional_tol, "the lectures' absolute rule: stop (status "
                                              "'stalled') when |R_t - R_{t-1}| <= tol_abs"),
        "gtol": Option(gtol, non_negative, "success when ||g_t|| <= gtol ||g_0||, relative "
                                           "to the gradient at x0"),
        "gtol_abs": Option(0.0, non_negative, "also success when ||g_t|| <= gtol_abs"),
        "max_iter": Option(max_iter, positive_int, "at most this many iterations"),
    }


SEARCH = {
    "c1": Option(1e-4, in_open_unit_interval, "sufficient-decrease constant of the line "
                                              "search"),
    "c2": Option(0.9, in_open_unit_interval, "curvature constant of the Wolfe line search"),
    "max_evals": Option(50, positive_int, "evaluations allowed per line search"),
}


def newton_options(max_iter):
    """The options of the Newton methods: an Armijo line search by default, gtol 1e-8."""
    return {"line_search": Option("armijo", line_search_option,
                                  "None (full steps), armijo, wolfe, grid or exact"),
            **SEARCH, **stopping(1e-8, max_iter)}


def run_descent(direction, objective, x0, options, callback):
    """Call the compiled descent loop with the validated `options`."""
    if getattr(objective, "l1_penalty", 0.0) > 0:
        if direction != "lbfgs":
            raise ValueError("an L1 penalty is not differentiable: use method='lbfgs' "
                             "(orthant-wise L-BFGS) or a first-order method (gd, sgd, momentum, "
                             "...), which handles it by a proximal step")
        if options["line_search"] not in ("wolfe", "armijo"):
            raise ValueError("with an L1 penalty, lbfgs (orthant-wise L-BFGS) backtracks along "
                             "the path projected onto an orthant: line_search must be 'wolfe' "
                             f"(the default) or 'armijo', got {options['line_search']!r}")
    if options["line_search"] == "exact" and not objective.has_hessian:
        raise ValueError("line_search='exact' needs the objective's Hessian (hvp)")
    if options["c1"] >= options["c2"]:
        raise ValueError(f"c1 must be smaller than c2, got c1={options['c1']}, c2={options['c2']}")
    return _core.descent(
        objective, x0, direction, options["line_search"] or "none", options.get("lr", 1.0), options.get("m", 10),
        options["c1"], options["c2"], options["max_evals"], 1e-15 if options["tol"] is None else options["tol"],
        -1.0 if options["tol_abs"] is None else options["tol_abs"], options["gtol"], options["gtol_abs"], options["max_iter"],
        callback,
    )


register_method(Method(
    name="newton",
    summary="Newton's method: Cholesky solves of H p = -g, damped when H is not positive "
            "definite, with a line search",
    options=newton_options(max_iter=100),
    run=lambda f, x0, options, cb: run_descent("newton", f, x0, options, cb),
    needs_hessian=True,
))

register_method(Method(
    name="newton-cg",
    summary="truncated Newton: conjugate gradients on H p = -g with Hessian-vector products "
            "only (no dense Hessian; preconditioned by the objective's parameter scales when "
            "it has them, as the data objectives do), with a line search",
    options=newton_options(max_iter=200),
    run=lambda f, x0, options, cb: run_descent("newton-cg", f, x0, options, cb),
    needs_hessian=True,
))

register_method(Method(
    name="bfgs",
    summary="BFGS: a dense inverse-Hessian approximation from gradient differences, with a "
            "strong Wolfe line search",
    options={"line_search": Option("wolfe", line_search_option, "wolfe, armijo, grid, ..."),
             **SEARCH, **stopping(1e-8, 1000)},
    run=lambda f, x0, options, cb: run_descent("bfgs", f, x0, options, cb),
))

register_method(Method(
    name="lbfgs",
    summary="L-BFGS: the last m curvature pairs and the two-loop recursion, with a strong "
            "Wolfe line search; with an L1 penalty, orthant-wise L-BFGS (OWL-QN: the "
            "pseudo-gradient, steps kept in one orthant, backtracking on the projected path)",
    options={"m": Option(10, positive_int, "number of curvature pairs kept"),
             "line_search": Option("wolfe", line_search_option, "wolfe, armijo, grid, ..."),
             **SEARCH, **stopping(1e-8, 1000)},
    run=lambda f, x0, options, cb: run_descent("lbfgs", f, x0, options, cb),
))


def gd_line_search_options():
    """Options gradient descent takes to use a line search (lr is then the first trial step)."""
    return {"line_search": Option(None, line_search_option,
                                  "None (fixed lr), armijo, wolfe, grid or exact"), **SEARCH}


def run_steepest_descent(objective, x0, options, callback):
    """Gradient descent with a line search along -g."""
    return run_descent("steepest", objective, x0, options, callback)
