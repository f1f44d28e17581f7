"""The first-order methods of :func:`descend.minimize`: one composition of an update rule,
a learning-rate schedule and, optionally, mini-batches.

Every rule ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw") runs full-batch
by default, or on mini-batches with ``batch_size=B``; "sgd" is gd with ``batch_size=1`` by
default (the lectures' per-sample SGD).
"""

from __future__ import annotations

import warnings

from . import _core
from ._minimize import Method, Option, non_negative, positive_int, register_method
from ._second_order import gd_line_search_options, run_steepest_descent
from ._validation import check_bool, check_int, check_seed
from .constraints import as_constraint
from .optimizers import as_lr, unit
from .schedules import as_schedule, cosine


class ConvergenceWarning(UserWarning):
    """A run ended at its iteration or epoch limit without meeting its tolerance."""


def optional_tol(value, name):
    """None (the method's default rule) or a tolerance >= 0."""
    return None if value is None else non_negative(value, name)


def optional_batch(value, name):
    """None (full batch) or a batch size >= 1."""
    return None if value is None else check_int(value, name, low=1)


def betas(value, name):
    """A pair (beta1, beta2), each in [0, 1)."""
    try:
        b1, b2 = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (beta1, beta2)") from None
    return (unit(b1, f"{name}[0]"), unit(b2, f"{name}[1]"))


def seed(value, name):
    """A seed: an integer in [0, 2**64 - 1] (not None: runs are reproducible)."""
    if value is None:
        raise TypeError(f"{name} must be an integer in [0, 2**64 - 1], got None")
    return check_seed(value, name)


def flag(value, name):
    """True or False."""
    return check_bool(value, name)


def learning_rate(value, name):
    """A rate > 0 or an array of per-coordinate rates > 0."""
    return as_lr(value, name)


COMMON = {
    "schedule": Option(None, lambda v, n: _schedule_option(v, n),
                       "None (constant), a name, a descend.schedules schedule or t -> lr; "
                       "the name 'cosine' anneals over the whole run (max_iter iterations, "
                       "or epochs)"),
    "weight_decay": Option(0.0, non_negative, "L2 penalty added to the gradient"),
    "batch_size": Option(None, optional_batch, "None (full batch) or the mini-batch size"),
    "epochs": Option(10, positive_int, "mini-batch runs: passes over the data"),
    "shuffle": Option(True, flag, "mini-batch runs: reshuffle at every epoch"),
    "seed": Option(0, seed, "mini-batch runs: the seed of the shuffling"),
    "drop_last": Option(False, flag, "mini-batch runs: skip a last, smaller batch"),
    "n_iter_no_change": Option(5, positive_int, "mini-batch runs: patience of tol, in epochs"),
    "epoch_loss": Option("full", lambda v, n: _choice(v, n, ("full", "running")),
                         "mini-batch runs: 'full' evaluates the loss and gradient on all the "
                         "data after each epoch (one more pass); 'running' takes the mean of "
                         "the epoch's batch losses (free; gtol is then not checked)"),
    "tol": Option(None, optional_tol, "the relative loss rule: full batch, stop (status "
                                      "'stalled') when |R_t - R_{t-1}| <= tol (R_0 - R_t), "
                                      "default 1e-15; mini-batch, when the epoch loss "
                                      "improved on its best by <= tol (R_0 - R_best) for "
                                      "n_iter_no_change epochs (default None: every epoch "
                                      "runs)"),
    "tol_abs": Option(None, optional_tol, "the lectures' absolute rule: stop (status 'stalled' "
                                          "unless gtol holds) when |R_t - R_{t-1}| <= tol_abs "
                                          "(mini-batch: an improvement <= tol_abs, as "
                                          "scikit-learn's tol); default None (off)"),
    "gtol": Option(1e-6, non_negative, "success when ||g_t|| <= gtol ||g_0||, the gradient "
                                       "(or gradient mapping) norm relative to its value at x0"),
    "gtol_abs": Option(0.0, non_negative, "also success when ||g_t|| <= gtol_abs (absolute)"),
    "constraint": Option(None, as_constraint, "a descend.constraints set or a projection "
                                              "callable: projected gradient descent"),
    "max_iter": Option(1000, positive_int, "full batch: at most this many iterations"),
}

#: Each rule: its defaults (torch.optim's) and the options it adds to COMMON.
RULES = {
    "gd": (0.1, {}),
    "momentum": (0.01, {"momentum": Option(0.9, unit, "momentum mu, in [0, 1)")}),
    "nesterov": (0.01, {"momentum": Option(0.9, unit, "momentum mu, in [0, 1)")}),
    "adagrad": (0.01, {"lr_decay": Option(0.0, non_negative, "AdaGrad's rate decay"),
                       "eps": Option(1e-10, lambda v, n: _positive(v, n), "added to sqrt(sum)"),
                       "initial_accumulator_value": Option(0.0, non_negative, "start of sum")}),
    "rmsprop": (0.01, {"alpha": Option(0.99, unit, "smoothing constant, in [0, 1)"),
                       "eps": Option(1e-8, lambda v, n: _positive(v, n), "added to sqrt(v)")}),
    "adam": (0.001, {"betas": Option((0.9, 0.999), betas, "moment decay rates"),
                     "eps": Option(1e-8, lambda v, n: _positive(v, n), "added to sqrt(v)")}),
    "adamw": (0.001, {"betas": Option((0.9, 0.999), betas, "moment decay rates"),
                      "eps": Option(1e-8, lambda v, n: _positive(v, n), "added to sqrt(v)")}),
}


def _schedule_option(value, name):
    """A schedule option, validated; a name stays a name until the run's length is known."""
    if value is None:
        return None
    schedule = as_schedule(value, name)
    return value if isinstance(value, str) else schedule


def _schedule_for_run(value, length):
    """The schedule of a run of `length` steps (iterations, or epochs): 'cosine' by name
    anneals over the whole run instead of its default period, so that it never reaches a
    rate of zero before the run ends."""
    if value == "cosine":
        return cosine(period=length)
    return as_schedule(value)


def _choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _positive(value, name):
    from ._minimize import positive

    return positive(value, name)


def _stepper(kind, o):
    b1, b2 = o.get("betas", (0.9, 0.999))
    return _core.Stepper("sgd" if kind == "gd" else kind, o["lr"], o.get("momentum", 0.0),
                         o["weight_decay"], o.get("lr_decay", 0.0), o.get("eps", 1e-8),
                         o.get("alpha", 0.99), b1, b2, o.get("initial_accumulator_value", 0.0))


def _runner(kind, name):
    def run(objective, x0, o, callback):
        if len(o["lr"]) not in (1, len(x0)):
            raise ValueError(f"lr must be a scalar or have one rate per parameter "
                             f"({len(x0)}), got {len(o['lr'])}")
        constraint = o["constraint"]
        if constraint is not None and hasattr(constraint, "_core_projection"):
            constraint = constraint._core_projection()
        if kind == "gd" and o.get("line_search") is not None:
            if o["constraint"] is not None:
                raise ValueError("line_search cannot be combined with a constraint")
            if o["batch_size"] is not None:
                raise ValueError("line_search works on the full batch: use batch_size=None")
            return run_steepest_descent(objective, x0, {**o, "lr": float(o["lr"][0])},
                                        callback)
        batch = None
        if o["batch_size"] is not None:
            n = objective.n_samples
            if n == 0:
                raise ValueError("batch_size needs an objective that is a sum over samples "
                                 "(LeastSquares, Logistic, Softmax)")
            if o["batch_size"] > n:
                raise ValueError(f"batch_size must be <= n_samples ({n}), got {o['batch_size']}")
            batch = {key: o[key] for key in ("batch_size", "epochs", "shuffle", "seed",
                                             "drop_last", "tol", "n_iter_no_change", "epoch_loss")}
        schedule = _schedule_for_run(o["schedule"],
                                     o["max_iter"] if batch is None else o["epochs"])
        raw = _core.run_first_order(objective, x0, _stepper(kind, o), schedule, _full_tol(o),
                                    _off(o["tol_abs"]), o["gtol"], o["gtol_abs"], o["max_iter"],
                                    batch, callback, constraint)
        if batch is not None and raw["status"] == "max_iter":
            # Only a run that was asked to meet a tolerance (tol or tol_abs) and did not.
            warnings.warn(f"{name}: {raw['message']}; raise epochs, or loosen tol",
                          ConvergenceWarning, stacklevel=4)
        return raw

    return run


#: The default of the relative loss rule on the full batch: only a loss that stopped changing
#: at the level of rounding counts as stalled.
FULL_BATCH_TOL = 1e-15


def _full_tol(o):
    return FULL_BATCH_TOL if o["tol"] is None else o["tol"]


def _off(value):
    """None (a rule switched off) as the core's negative tolerance."""
    return -1.0 if value is None else value


def _register(kind, summary, batch_default=None, name=None):
    lr_default, extra = RULES[kind]
    options = {"lr": Option(lr_default, learning_rate, "learning rate, > 0 (or one per "
                                                       "coordinate)"),
               **COMMON, **extra}
    if batch_default is not None:
        options["batch_size"] = Option(batch_default, optional_batch, "mini-batch size")
    if kind == "gd" and name is None:
        options.update(gd_line_search_options())
    register_method(Method(name=name or kind, summary=summary, options=options,
                           run=_runner(kind, name or kind)))


_register("gd", "gradient descent: full batch (optionally with a line search) or mini-batch")
_register("gd", "stochastic gradient descent: gd on mini-batches, batch_size=1 by default",
          batch_default=1, name="sgd")
_register("momentum", "gradient descent with the lectures' momentum dw = -lr g + mu dw")
_register("nesterov", "Nesterov momentum (torch.optim.SGD(nesterov=True))")
_register("adagrad", "AdaGrad (torch.optim.Adagrad)")
_register("rmsprop", "RMSProp (torch.optim.RMSprop)")
_register("adam", "Adam (torch.optim.Adam)")
_register("adamw", "AdamW: Adam with decoupled weight decay (torch.optim.AdamW)")
