"""The front door: ``minimize(objective, x0, method=..., **options)``.

Each method is one :class:`Method` entry in a registry: its options (each with a default and a
validator that names it in errors) and a ``run`` function that calls the compiled solver.
Adding a method is adding one entry; ``minimize`` itself never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol, Union

import numpy as np

from . import _core
from ._progress import ProgressReporter
from ._result import Result
from ._validation import check_bool, check_int, check_real, check_x0

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Method", "Option", "minimize", "register_method", "methods"]


@dataclass(frozen=True)
class Option:
    """One option of a method: its default, a validator ``check(value, name)`` and a doc line."""

    default: Any
    check: Callable[[Any, str], Any]
    doc: str = ""


@dataclass(frozen=True)
class Method:
    """A solver reachable through :func:`minimize`.

    ``run(objective, x0, options, callback)`` returns the compiled solver's result dict.
    """

    name: str
    summary: str
    options: Mapping[str, Option]
    run: Callable[..., dict]
    needs_hessian: bool = False

    def parse(self, given):
        """Validate the user's options and fill in the defaults."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            valid = ", ".join(sorted(self.options)) or "none"
            raise TypeError(
                f"method {self.name!r} got unexpected option(s) {', '.join(unknown)}; "
                f"its options are: {valid}"
            )
        # Defaults go through the same validators, so every run sees converted values.
        return {key: opt.check(given.get(key, opt.default), key)
                for key, opt in self.options.items()}


_METHODS: dict[str, Method] = {}


def register_method(method, *aliases):
    """Add `method` to the registry under its name (and any aliases); returns it."""
    for name in (method.name, *aliases):
        _METHODS[name] = method
    return method


def methods() -> dict[str, str]:
    """Return ``{name: summary}`` for every method :func:`minimize` accepts.

    Examples
    --------
    >>> import descend
    >>> "gd" in descend.methods()
    True
    """
    return {name: m.summary for name, m in sorted(_METHODS.items())}


# Validators shared by the method definitions.
def positive(value, name):
    """Validate a finite real > 0."""
    return check_real(value, name, low=0.0, low_open=True)


def non_negative(value, name):
    """Validate a finite real >= 0."""
    return check_real(value, name, low=0.0)


#: The largest count the compiled core takes (a signed 64-bit integer).
INT64_MAX = 2**63 - 1


def positive_int(value, name):
    """Validate an integer in [1, 2**63 - 1]."""
    value = check_int(value, name, low=1)
    if value > INT64_MAX:
        raise ValueError(f"{name} must be <= 2**63 - 1, got {value}")
    return value


def _check_objective(objective):
    if not isinstance(objective, _core.Objective):
        raise TypeError(
            "objective must be a descend objective (e.g. descend.LeastSquares, "
            f"descend.Quadratic, a descend.problems function), got {type(objective).__name__}"
        )
    return objective


def as_objective(objective, n, jac=None, hess=None, hessp=None) -> _core.Objective:
    """A descend objective as it is, or Python callables (scipy's conventions) adapted."""
    if isinstance(objective, _core.Objective):
        if jac is not None or hess is not None or hessp is not None:
            raise TypeError("jac, hess and hessp are for Python functions; a descend objective "
                            "provides its own derivatives")
        return objective
    if not callable(objective):
        return _check_objective(objective)  # raises the TypeError
    if jac is None:
        raise ValueError("minimize needs the gradient of a Python function: pass jac=callable "
                         "(x -> gradient) or jac=True (fun returns (value, gradient)), or "
                         "jac='3-point' for finite differences")
    exact_gradient = not isinstance(jac, str)
    if not exact_gradient:
        from ._finite_diff import finite_difference_jac

        jac = finite_difference_jac(objective, jac)
    if not (jac is True or callable(jac)):
        raise TypeError(f"jac must be a callable or True, got {type(jac).__name__}")
    for name, value in (("hess", hess), ("hessp", hessp)):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be a callable or None, got {type(value).__name__}")
    return _core.PyObjective(objective, jac, hess, hessp, n, exact_gradient=exact_gradient)


#: The least default gtol on float32 data: ten float32 epsilons.
FLOAT32_GTOL = 10 * float(np.finfo(np.float32).eps)

#: The least default tol (the "stalled" rule) on float32 data: the square of float32's
#: epsilon. Near a gradient of gtol * ||g0|| a converging run still changes its loss by about
#: gtol**2 (>= 100 FLOAT32_TOL) of the decrease so far; changes below FLOAT32_TOL come from
#: steps the float32 arithmetic no longer resolves (a line search that meets the loss's
#: rounding accepts ever smaller steps), which would otherwise repeat until max_iter.
FLOAT32_TOL = float(np.finfo(np.float32).eps) ** 2


def _computes_in_float32(objective):
    X = getattr(objective, "X", None)
    return isinstance(X, np.ndarray) and X.dtype == np.float32


class ObjectiveLike(Protocol):
    """What stands for a descend objective: the :mod:`descend.dask` objectives."""

    def __descend_objective__(self) -> _core.Objective: ...


def _adapt(objective, x0=None, method=None):
    """An object that stands for a descend objective converts itself.

    Objects with a ``__descend_objective__()`` method (the :mod:`descend.dask` objectives)
    return the compiled objective the solvers run; their ``dtype`` attribute says the float
    type they compute in. One with a ``__descend_start__(x0, method)`` method is told the
    start and the method first (a Dask objective then computes the start's evaluation with
    its set-up, in one round trip). Returns (the objective to run, whether it computes in
    float32).
    """
    convert = getattr(type(objective), "__descend_objective__", None)
    if convert is None:
        return objective, None
    start = getattr(objective, "__descend_start__", None)
    if start is not None:
        start(x0, method)
    return convert(objective), getattr(objective, "dtype", None) == np.float32


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    return callback


def _path_recorder(x0, callback):
    """Wrap `callback` so that every iterate is also appended to a list (the run's path)."""
    path = [x0.copy()]

    def record(info):
        path.append(np.array(info.x, dtype=np.float64))
        return callback(info) if callback is not None else None

    return path, record


def minimize(objective: Union[_core.Objective, ObjectiveLike, Callable[..., Any]],
             x0: ArrayLike, method: str = "gd", *,
             jac: Union[Callable[..., Any], bool, str, None] = None,
             hess: Optional[Callable[..., Any]] = None,
             hessp: Optional[Callable[..., Any]] = None,
             callback: Optional[Callable[[_core.IterationInfo], Any]] = None,
             keep_path: bool = False, verbose: bool = False, **options: Any) -> Result:
    """Minimise an objective from a starting point with the chosen method.

    Parameters
    ----------
    objective : descend.Objective or callable
        A built-in objective (:class:`descend.LeastSquares`, :class:`descend.Logistic`,
        :class:`descend.Quadratic`, :mod:`descend.problems`), or a Python function
        ``fun(x) -> float`` with its derivatives given by `jac`, `hess`, `hessp` (scipy's
        conventions). The compiled loop calls a Python function with the GIL held only for
        the call; exceptions it raises propagate here. An object with a
        ``__descend_objective__()`` method (the :mod:`descend.dask` objectives) is run as the
        objective that method returns.
    x0 : array_like, shape (n_params,)
        Starting point (copied; never modified).
    method : str, default "gd"
        One of :func:`descend.methods`.
    jac : callable, True, "2-point" or "3-point", optional
        For a Python `objective`: ``jac(x) -> gradient``, or True when ``objective(x)``
        returns ``(value, gradient)``. Required. "2-point" (forward) and "3-point" (central)
        estimate the gradient by finite differences, at n + 1 and 2n extra calls of
        `objective` per gradient (not counted in ``nfev``).
    hess, hessp : callable, optional
        For a Python `objective`: ``hess(x) -> (n, n) array`` and ``hessp(x, v) -> H v``,
        needed by ``method="newton"`` (either one) and ``line_search="exact"``.
    callback : callable, optional
        Called as ``callback(info)`` after every iteration with ``info.nit``, ``info.x``,
        ``info.loss``, ``info.grad_norm`` and ``info.step``. Returning True or raising
        ``StopIteration`` stops the run with status ``"callback"`` (a success). Any other
        exception propagates to the caller.
    keep_path : bool, default False
        Also return every iterate as ``Result.path`` (for trajectory plots; it costs one
        Python call per iteration).
    verbose : bool, default False
        Report progress: a tqdm progress bar with the current loss once a run has lasted a
        second (when tqdm is installed), and a closing line through the ``logging`` logger
        named "descend" (shown with e.g. ``logging.basicConfig(level=logging.INFO)``).
    **options
        The method's options (``descend.methods()`` lists the methods; a wrong option name
        raises a TypeError listing the valid ones). For ``"gd"``: ``lr`` (learning rate,
        default 0.1) and the stopping options every method shares: ``gtol`` (success when
        ``||g_t|| <= gtol ||g_0||``, default 1e-6; for an objective with
        ``parameter_scales()``, every data objective, the same must hold of ``g / sqrt(D)``
        in those scales, so that a feature 1e-8 times smaller than the others cannot leave
        its weight far from the optimum while the run reports success), ``gtol_abs`` (or when
        ``||g_t|| <= gtol_abs``, default 0), ``tol`` (status "stalled" when the loss stopped
        changing by ``tol`` times the decrease so far, default 1e-15), ``tol_abs`` (the
        lectures' rule ``|R(w_t) - R(w_{t-1})| <= tol_abs``, off by default) and
        ``max_iter`` (default 1000). On float32 data the defaults (not a value you give)
        are raised to what float32 arithmetic resolves: gtol to at least 10 float32
        epsilons (1.2e-6), and the tol of newton, newton-cg, bfgs and lbfgs to float32's
        epsilon squared (1.4e-14), so that steps the arithmetic no longer resolves end as
        "stalled" instead of repeating until max_iter. A run that passes the gradient test is then checked by
        the second-derivative test: a saddle point or a maximum is reported as such, never
        as success. It uses the Hessian when the objective has one (`hess`, `hessp`, every
        built-in objective) and otherwise Lanczos on differences of the gradient, at most 21
        extra gradient calls (counted in ``njev``); with a finite-difference `jac`, second
        differences of the value along the axes and a few random directions (at most 53
        extra calls of `objective`, counted in ``nfev``). Where the values cannot resolve the
        curvature, the message says it was not checked.

    Returns
    -------
    Result
        The final iterate, its loss and gradient norm, counters, status, message, history.

    Raises
    ------
    TypeError
        For an unknown option or an argument of the wrong type.
    ValueError
        For an unknown method, a bad option value or a bad ``x0``.

    Examples
    --------
    >>> import descend
    >>> r = descend.minimize(descend.problems.parabola(), [0.0], method="gd", lr=0.1)
    >>> r.status, round(float(r.x[0]), 4)
    ('converged', 1.5)
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    spec = _METHODS.get(method.lower())
    if spec is None:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(sorted(_METHODS))}")
    objective, float32 = _adapt(objective, x0, spec.name)
    if isinstance(objective, _core.Objective) or not callable(objective):
        objective = as_objective(objective, 0, jac, hess, hessp)
        x: np.ndarray = check_x0(x0, objective.n_params)
    else:  # a Python function: x0 says how many parameters there are
        x = check_x0(x0, None)
        objective = as_objective(objective, len(x), jac, hess, hessp)
    if spec.needs_hessian and not objective.has_hessian:
        gradient_only = sorted(n for n, m in _METHODS.items() if not m.needs_hessian)
        raise ValueError(
            f"method {spec.name!r} needs the objective's Hessian, which this objective does "
            f"not provide; methods that need only gradients: {', '.join(gradient_only)}")
    opts = spec.parse(options)
    if float32 is None:
        float32 = _computes_in_float32(objective)
    if "gtol" in opts and "gtol" not in options and float32:
        # float32 arithmetic cannot resolve a gradient much below its rounding: the default
        # gtol is then at least ten float32 epsilons (a gtol the user gives is kept).
        opts["gtol"] = max(opts["gtol"], FLOAT32_GTOL)
    if "tol" in opts and "tol" not in options and float32 and opts["tol"] is not None:
        opts["tol"] = max(opts["tol"], FLOAT32_TOL)
    callback = _check_callback(callback)
    path = None
    if check_bool(keep_path, "keep_path"):
        path, callback = _path_recorder(x, callback)
    reporter = None
    if check_bool(verbose, "verbose"):
        reporter = ProgressReporter(spec.name, opts.get("max_iter"), callback)
        callback = reporter
    raw = spec.run(objective, x, opts, callback)
    result = Result._from_core(raw, spec.name, None if path is None else np.array(path))
    if reporter is not None:
        reporter.close(result)
    return result
