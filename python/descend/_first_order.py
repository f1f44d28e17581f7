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
from .optimizers import HYPERPARAMETERS, RULE_DEFAULTS, make_stepper
from .schedules import as_schedule, cosine


class ConvergenceWarning(UserWarning):
    """A run ended at its iteration or epoch limit without meeting its tolerance."""


def optional_tol(value, name):
    """None (the method's default rule) or a tolerance >= 0."""
    return None if value is None else non_negative(value, name)


def optional_batch(value, name):
    """None (full batch) or a batch size >= 1."""
    return None if value is None else check_int(value, name, low=1)


def seed(value, name):
    """A seed: an integer in [0, 2**64 - 1] (not None: runs are reproducible)."""
    if value is None:
        raise TypeError(f"{name} must be an integer in [0, 2**64 - 1], got None")
    return check_seed(value, name)


def flag(value, name):
    """True or False."""
    return check_bool(value, name)


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
                         "the epoch's batch losses (free; gtol is then not checked) and, with "
                         "no pass over all the data at x0 either, starts the history with the "
                         "first batch's loss at x0"),
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

#: Where minimize's defaults differ from the rules' own (RULE_DEFAULTS, the core's registry):
#: gradient descent starts at the lectures' lr 0.1, and no method decays weights unless asked
#: (COMMON's weight_decay 0, AdamW's too).
MINIMIZE_LR = {"gd": 0.1}


def _rule_options(kind):
    """The options rule `kind` adds to COMMON: its learning rate and hyperparameters, with the
    validators and defaults of :mod:`descend.optimizers`."""
    options = {}
    for name, default in RULE_DEFAULTS[kind].items():
        if name == "weight_decay":
            continue  # in COMMON
        if name == "lr":
            default = MINIMIZE_LR.get(kind, default)
        check, doc = HYPERPARAMETERS[name]
        options[name] = Option(default, check, doc)
    return options


#: Each update rule's options for minimize (what it adds to COMMON), by rule name.
RULE_OPTIONS = {kind: _rule_options(kind) for kind in RULE_DEFAULTS}


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


def stepper_for(kind, options):
    """The compiled stepper of rule `kind` from a method's validated options."""
    return make_stepper(kind, **{name: options[name] for name in RULE_DEFAULTS[kind]})


def minibatch_params(options, keep_state=False, lazy_adam=False):
    """The core's :class:`_core.MinibatchParams` from a method's validated options."""
    p = _core.MinibatchParams()
    p.batch_size = options["batch_size"]
    p.epochs = options["epochs"]
    p.shuffle = options["shuffle"]
    p.seed = options["seed"]
    p.drop_last = options["drop_last"]
    p.tol = _off(options["tol"])
    p.tol_abs = _off(options["tol_abs"])
    p.n_iter_no_change = options["n_iter_no_change"]
    p.gtol = options["gtol"]
    p.gtol_abs = options["gtol_abs"]
    p.full_loss = options["epoch_loss"] == "full"
    p.keep_state = keep_state
    if lazy_adam:
        p.lazy_adam = True
    return p


def run_rule(objective, x0, stepper, options, callback=None, *, keep_state=False,
             lazy_adam=False):
    """Run an update rule: the one path from Python to the first-order loops.

    :func:`descend.minimize` (every first-order method) and the SGD estimators' ``fit`` and
    ``partial_fit`` call this.

    Parameters
    ----------
    objective : descend.Objective
    x0 : ndarray, shape (n_params,)
        The start (float64; copied by the core).
    stepper : _core.Stepper
        The rule (:func:`stepper_for`). It runs as a fresh copy, its own state untouched,
        unless `keep_state`.
    options : dict
        A first-order method's validated options (``Method.parse``): the keys of COMMON.
    callback : callable, optional
    keep_state : bool, default False
        Mini-batch runs only: continue the stepper's state and leave it where the run ended
        (``partial_fit``).
    lazy_adam : bool, default False
        Mini-batch runs of an Adam stepper on sparse rows only: the lazy variant (method
        "lazy_adam", a different algorithm; the core refuses it where it cannot apply).

    Returns
    -------
    dict
        The core's result (``Result._from_core`` makes it a :class:`descend.Result`).

    Examples
    --------
    >>> import numpy as np, descend
    >>> from descend._first_order import run_rule, stepper_for
    >>> options = descend._minimize._METHODS["gd"].parse({"lr": 0.5})
    >>> raw = run_rule(descend.problems.bowl(), np.zeros(2), stepper_for("gd", options), options)
    >>> raw["status"]
    'converged'
    """
    constraint = options["constraint"]
    if constraint is not None and hasattr(constraint, "_core_projection"):
        constraint = constraint._core_projection()
    if options["batch_size"] is None:
        schedule = _schedule_for_run(options["schedule"], options["max_iter"])
        return _core.run_full_batch(objective, x0, stepper, schedule, _full_tol(options),
                                    _off(options["tol_abs"]), options["gtol"],
                                    options["gtol_abs"], options["max_iter"], callback,
                                    constraint)
    if objective.n_samples == 0:
        raise ValueError("batch_size needs an objective that is a sum over samples "
                         "(LeastSquares, Logistic, Softmax)")
    schedule = _schedule_for_run(options["schedule"], options["epochs"])
    return _core.run_minibatch(objective, x0, stepper, schedule,
                               minibatch_params(options, keep_state, lazy_adam), callback,
                               constraint)


def _runner(kind, name):
    def run(objective, x0, options, callback):
        if kind == "gd" and options.get("line_search") is not None:
            if options["constraint"] is not None:
                raise ValueError("line_search cannot be combined with a constraint")
            if options["batch_size"] is not None:
                raise ValueError("line_search works on the full batch: use batch_size=None")
            if len(options["lr"]) != 1:  # the core checks lr's length for the rules
                raise ValueError(f"lr must be a scalar with a line search (its first trial "
                                 f"step), got {len(options['lr'])} rates")
            return run_steepest_descent(objective, x0,
                                        {**options, "lr": float(options["lr"][0])}, callback)
        lazy = name == "lazy_adam"
        if lazy and options["batch_size"] is None:
            raise ValueError("lazy_adam is a mini-batch method on sparse rows: give batch_size "
                             "(it has no full-batch form; on the full batch use adam)")
        raw = run_rule(objective, x0, stepper_for(kind, options), options, callback,
                       lazy_adam=lazy)
        if options["batch_size"] is not None and raw["status"] == "max_iter":
            # Only a run that was asked to meet a tolerance (tol or tol_abs) and did not.
            warnings.warn(f"{name}: {raw['message']}; raise epochs, or loosen tol",
                          ConvergenceWarning, stacklevel=4)
        return raw

    return run


#: The default of the relative loss rule on the full batch: only a loss that stopped changing
#: at the level of rounding counts as stalled.
FULL_BATCH_TOL = 1e-15


def _full_tol(options):
    return FULL_BATCH_TOL if options["tol"] is None else options["tol"]


def _off(value):
    """None (a rule switched off) as the core's negative tolerance."""
    return -1.0 if value is None else value


def _register(kind, summary, batch_default=None, name=None):
    options = {**COMMON, **RULE_OPTIONS[kind]}
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
# A different algorithm, asked for by its own name (never chosen for the user): on sparse
# rows each step moves only the stored columns' moments and weights (solvers/lazy_steps.hpp).
_register("adam", "lazy Adam on sparse rows (as torch.optim.SparseAdam): only the moments and "
                  "weights of the columns a batch stores move, O(non-zeros) a step; a "
                  "different algorithm from adam, whose iterates it does not give",
          batch_default=32, name="lazy_adam")
