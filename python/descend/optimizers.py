"""Steppers for your own training loops: update rules that move a numpy array in place.

Each optimizer holds its state (momentum buffer, moment estimates, ...) between calls, so it
also trains online on a stream of batches: build an objective on each incoming batch, compute
its gradient, and call ``step``. Keyword arguments and formulas follow torch.optim's.

Each rule's hyperparameters and their defaults are those of the compiled core's rule registry
(:data:`RULE_DEFAULTS`), which also checks their ranges; the classes' signatures state the same
defaults.

Examples
--------
>>> import numpy as np, descend
>>> w = np.zeros(3)
>>> opt = descend.optimizers.Adam(lr=0.1)
>>> for _ in range(200):
...     opt.step(w, 2 * (w - np.array([1.0, 2.0, 3.0])))  # gradient of ||w - c||^2
>>> w.round(2).tolist()
[1.0, 2.0, 3.0]
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import as_real_array, check_bool, check_int, check_real

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"]


def as_lr(value, name="lr"):
    """A learning rate: a number > 0, or an array of per-coordinate rates > 0.

    Parameters
    ----------
    value : float or array_like
    name : str, default "lr"
        The name errors give.

    Returns
    -------
    ndarray
        The rates, 1-D (length 1 for a number).

    Examples
    --------
    >>> from descend.optimizers import as_lr
    >>> as_lr(0.1).tolist(), as_lr([0.1, 0.2]).tolist()
    ([0.1], [0.1, 0.2])
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        rates = as_real_array(value, name).ravel()
        if rates.size == 0 or not np.isfinite(rates).all() or (rates <= 0).any():
            raise ValueError(f"{name} must hold finite rates > 0")
        return rates
    return np.array([check_real(value, name, low=0.0, low_open=True)])


def as_betas(value, name="betas"):
    """Adam's (beta1, beta2): a pair of numbers, each in [0, 1).

    Parameters
    ----------
    value : pair of float
    name : str, default "betas"
        The name errors give.

    Returns
    -------
    tuple of float

    Raises
    ------
    TypeError
        If `value` is not a pair of numbers.
    ValueError
        If it has another length, or a beta is outside [0, 1).

    Examples
    --------
    >>> from descend.optimizers import as_betas
    >>> as_betas([0.9, 0.99])
    (0.9, 0.99)
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a pair of numbers (beta1, beta2)")
    try:
        pair = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a pair of numbers (beta1, beta2), got "
                        f"{type(value).__name__}") from None
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {len(pair)} values")
    return (in_unit_interval_closed_open(pair[0], f"{name}[0]"),
            in_unit_interval_closed_open(pair[1], f"{name}[1]"))


def in_unit_interval_closed_open(value, name):
    """Validate a constant in [0, 1), 0 included and 1 excluded (momentum, alpha, betas).

    Parameters
    ----------
    value : float
    name : str
        The name errors give.

    Returns
    -------
    float

    Examples
    --------
    >>> from descend.optimizers import in_unit_interval_closed_open
    >>> in_unit_interval_closed_open(0.0, "momentum")
    0.0
    """
    return check_real(value, name, low=0.0, high=1.0, high_open=True)


def _positive(value, name):
    return check_real(value, name, low=0.0, low_open=True)


def _non_negative(value, name):
    return check_real(value, name, low=0.0)


#: Every rule hyperparameter, by its Python name: (validator, doc line). The validators give
#: the named errors; the core checks the same ranges again (RuleParams::check).
HYPERPARAMETERS = {
    "lr": (as_lr, "learning rate, > 0 (or one per coordinate)"),
    "weight_decay": (_non_negative, "L2 penalty added to the gradient"),
    "momentum": (in_unit_interval_closed_open, "momentum mu, in [0, 1)"),
    "lr_decay": (_non_negative, "AdaGrad's rate decay"),
    "lr_power": (_non_negative, "gd: the power of the decay, lr / (1 + (t - 1) lr_decay)^p"),
    "initial_accumulator_value": (_non_negative, "AdaGrad's start of the sum of squares"),
    "alpha": (in_unit_interval_closed_open, "smoothing constant, in [0, 1)"),
    "betas": (as_betas, "moment decay rates (beta1, beta2), each in [0, 1)"),
    "eps": (_positive, "added to the root in the denominator"),
}


def _defaults_of(kind):
    """A rule's hyperparameters and defaults from the core's registry, by Python name."""
    core = _core.rule_defaults(kind)
    out: dict[str, float | tuple[float, float]] = {"lr": float(core.lr[0])}
    for name in _core.rule_hyperparameters(kind):
        if name == "beta1":
            out["betas"] = (core.beta1, core.beta2)
        elif name != "beta2":
            out[name] = getattr(core, name)
    out["weight_decay"] = core.weight_decay
    return out


#: Each rule's hyperparameters with their defaults (torch.optim's), read once from the core's
#: rule registry (``cpp/include/descend/rules.hpp``), the one place they are defined:
#: ``RULE_DEFAULTS["adam"] == {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08,
#: "weight_decay": 0.0}``.
RULE_DEFAULTS = {kind: _defaults_of(kind) for kind in _core.rule_kinds()}


def rule_params(kind, **hyper):
    """The core's :class:`RuleParams` for rule `kind`, from validated hyperparameters.

    Hyperparameters left out take the rule's defaults (:data:`RULE_DEFAULTS`); ones the rule
    does not have are refused.

    Examples
    --------
    >>> from descend.optimizers import rule_params
    >>> p = rule_params("adam", lr=0.1)
    >>> p.kind, p.lr.tolist(), p.beta1, p.eps
    ('adam', [0.1], 0.9, 1e-08)
    """
    defaults = RULE_DEFAULTS[kind]
    unknown = set(hyper) - set(defaults)
    if unknown:
        raise TypeError(f"rule {kind!r} has no hyperparameter(s) {', '.join(sorted(unknown))}")
    p = _core.rule_defaults(kind)
    for name, value in hyper.items():
        value = HYPERPARAMETERS[name][0](value, name)
        if name == "betas":
            p.beta1, p.beta2 = value
        else:
            setattr(p, name, value)
    return p


def make_stepper(kind, **hyper):
    """A compiled stepper (``_core.Stepper``) for rule `kind`, as :func:`rule_params` builds it.

    Examples
    --------
    >>> from descend.optimizers import make_stepper
    >>> make_stepper("momentum", lr=0.1).kind
    'momentum'
    """
    return _core.Stepper(rule_params(kind, **hyper))


class _Optimizer:
    """Shared machinery: build the compiled stepper, step, state, pickling."""

    _kind = ""

    def __init__(self, **hyper):
        self._hyper = hyper
        self._stepper = self._build(hyper)

    def _build(self, h):
        return make_stepper(self._kind, **h)

    def step(self, params, grad):
        """Update ``params`` in place from ``grad``.

        Parameters
        ----------
        params : numpy.ndarray
            A writable, contiguous 1-D float64 array (a copy would leave yours unchanged,
            so anything else is refused).
        grad : numpy.ndarray
            A contiguous 1-D float64 array of the same length.
        """
        self._stepper.step(params, grad)

    def zero_state(self):
        """Forget the state (momentum, moments, step count), keeping the hyperparameters."""
        self._stepper.zero_state()

    def state_dict(self):
        """Return the hyperparameters and state as a dict of plain values and arrays."""
        state = {k: np.array(v) if isinstance(v, np.ndarray) else v
                 for k, v in self._stepper.state().items()}
        return {"hyperparameters": dict(self._hyper), "state": state}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned (checked before anything changes).

        Parameters
        ----------
        state_dict : dict
            ``{"hyperparameters": {...}, "state": {...}}`` as :meth:`state_dict` returns it.
            Hyperparameters left out keep their current values; an empty state starts fresh.

        Raises
        ------
        TypeError
            If it is not such a dict, or a value has the wrong type.
        ValueError
            For unknown or missing keys, bad hyperparameters, or state vectors that are not
            finite or differ in length.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"hyperparameters", "state"}:
            raise TypeError("state_dict must be a dict with the keys 'hyperparameters' and "
                            "'state', as state_dict() returns it")
        hyper, state = state_dict["hyperparameters"], state_dict["state"]
        if not isinstance(hyper, dict) or not isinstance(state, dict):
            raise TypeError("state_dict['hyperparameters'] and state_dict['state'] must be dicts")
        unknown = set(hyper) - set(self._hyper)
        if unknown:
            raise ValueError(f"unknown hyperparameters for {type(self).__name__}: "
                             f"{sorted(unknown)}")
        hyper = {**self._hyper, **hyper}
        stepper = self._build(hyper)  # checks every hyperparameter
        if state:
            stepper.set_state(self._checked_state(state, stepper.state()))
        self._hyper, self._stepper = hyper, stepper

    def _checked_state(self, state, template):
        if set(state) != set(template):
            raise ValueError(f"state_dict['state'] for {type(self).__name__} must have the keys "
                             f"{sorted(template)}, got {sorted(state)}")
        checked, lengths = {}, set()
        for key, value in state.items():
            if key == "t":
                checked[key] = check_int(value, "state['t']", low=0)
            elif key == "started":
                checked[key] = check_bool(value, "state['started']")
            else:
                try:
                    arr = np.array(value, dtype=np.float64, copy=True)
                except (TypeError, ValueError):
                    raise TypeError(f"state[{key!r}] must be an array of numbers") from None
                if arr.ndim != 1 or not np.isfinite(arr).all():
                    raise ValueError(f"state[{key!r}] must be a finite 1-D array")
                lengths.add(arr.size)
                checked[key] = arr
        if len(lengths) > 1:
            raise ValueError("the state vectors must have the same length")
        return checked

    def __getstate__(self):
        return self.state_dict()

    def __setstate__(self, state):
        # Pickling and copy.deepcopy go through state_dict(): the state round-trips exactly.
        self._hyper = dict(state["hyperparameters"])
        self.load_state_dict(state)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper.items())
        return f"{type(self).__name__}({args})"


class SGD(_Optimizer):
    """Stochastic gradient descent, as torch.optim.SGD: ``w -= lr (g + weight_decay w)``.

    With ``momentum > 0`` it is :class:`Momentum` (or :class:`Nesterov` when ``nesterov``).

    Parameters
    ----------
    lr : float or array_like
        Learning rate, > 0; an array gives one rate per coordinate.
    momentum : float, default 0
        In [0, 1).
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    nesterov : bool, default False
        Nesterov momentum.
    lr_decay : float, default 0
        Step t uses ``lr / (1 + (t - 1) lr_decay) ** lr_power``, as :class:`AdaGrad` (with
        ``lr = 1 / (alpha t0)`` and ``lr_decay = 1 / t0``, scikit-learn's "optimal" schedule
        ``1 / (alpha (t0 + t - 1))``). Plain SGD only.
    lr_power : float, default 1
        The power of that decay, >= 0: ``lr_decay=1, lr_power=p`` is scikit-learn's
        "invscaling" ``lr / t ** p``. t counts the steps over the stepper's life.

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.ones(2)
    >>> descend.optimizers.SGD(lr=0.5).step(w, np.array([1.0, -1.0]))
    >>> w.tolist()
    [0.5, 1.5]
    """

    def __new__(cls, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False, lr_decay=0.0,
                lr_power=1.0):
        momentum_rule = (check_bool(nesterov, "nesterov")
                         or in_unit_interval_closed_open(momentum, "momentum") > 0)
        if cls is SGD and momentum_rule and lr_decay != 0.0:
            raise ValueError("lr_decay is for plain SGD: Momentum and Nesterov have none")
        if cls is SGD and momentum_rule and lr_power != 1.0:
            raise ValueError("lr_power is for plain SGD: Momentum and Nesterov have none")
        if cls is SGD and check_bool(nesterov, "nesterov"):
            return Nesterov(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if cls is SGD and in_unit_interval_closed_open(momentum, "momentum") > 0:
            return Momentum(lr=lr, momentum=momentum, weight_decay=weight_decay)
        return super().__new__(cls)

    _kind = "gd"

    def __init__(self, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False, lr_decay=0.0,
                 lr_power=1.0):
        super().__init__(lr=lr, weight_decay=weight_decay, lr_decay=lr_decay,
                         lr_power=lr_power)


class Momentum(_Optimizer):
    """The lectures' momentum: ``dw = -lr g + momentum dw;  w += dw``.

    With a constant rate this equals torch.optim.SGD(momentum=...); in flat directions the
    effective rate tends to ``lr / (1 - momentum)``, in oscillating ones to
    ``lr / (1 + momentum)``.

    Parameters
    ----------
    lr : float or array_like
        Learning rate, > 0.
    momentum : float, default 0.9
        In [0, 1).
    weight_decay : float, default 0
        L2 penalty added to the gradient.

    Examples
    --------
    >>> import numpy as np, descend
    >>> w, opt = np.zeros(1), descend.optimizers.Momentum(lr=0.1, momentum=0.5)
    >>> for _ in range(3):
    ...     opt.step(w, np.array([-1.0]))
    >>> round(float(w[0]), 4)  # 0.1 + 0.15 + 0.175
    0.425
    """

    _kind = "momentum"

    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr=lr, momentum=momentum, weight_decay=weight_decay)


class Nesterov(_Optimizer):
    """Nesterov momentum, as torch.optim.SGD(nesterov=True).

    Parameters
    ----------
    lr : float or array_like
        Learning rate, > 0.
    momentum : float, default 0.9
        In [0, 1).
    weight_decay : float, default 0
        L2 penalty added to the gradient.

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.zeros(1)
    >>> descend.optimizers.Nesterov(lr=0.1, momentum=0.5).step(w, np.array([-1.0]))
    >>> float(w[0])  # lr (g + mu b) with b = g
    0.15000000000000002
    """

    _kind = "nesterov"

    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr=lr, momentum=momentum, weight_decay=weight_decay)


class AdaGrad(_Optimizer):
    """AdaGrad, as torch.optim.Adagrad.

    Parameters
    ----------
    lr : float or array_like, default 0.01
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
    eps : float, default 1e-10

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.zeros(1)
    >>> descend.optimizers.AdaGrad(lr=0.1).step(w, np.array([4.0]))
    >>> round(float(w[0]), 6)  # -lr g / sqrt(g^2)
    -0.1
    """

    _kind = "adagrad"

    def __init__(self, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10):
        super().__init__(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)


class RMSProp(_Optimizer):
    """RMSProp, as torch.optim.RMSprop (not centred, no momentum).

    Parameters
    ----------
    lr : float or array_like, default 0.01
    alpha : float, default 0.99
    eps : float, default 1e-8
    weight_decay : float, default 0

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.zeros(1)
    >>> descend.optimizers.RMSProp(lr=0.01).step(w, np.array([1.0]))
    >>> round(float(w[0]), 4)  # -lr / sqrt(1 - alpha)
    -0.1
    """

    _kind = "rmsprop"

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay)


class Adam(_Optimizer):
    """Adam, as torch.optim.Adam (weight decay added to the gradient).

    Parameters
    ----------
    lr : float or array_like, default 0.001
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.zeros(2)
    >>> descend.optimizers.Adam(lr=0.1).step(w, np.array([3.0, -0.5]))
    >>> w.round(6).tolist()  # the first step is -lr sign(g)
    [-0.1, 0.1]
    """

    _kind = "adam"

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr=lr, betas=as_betas(betas), eps=eps, weight_decay=weight_decay)


class AdamW(Adam):
    """AdamW, as torch.optim.AdamW: Adam with decoupled weight decay ``w *= 1 - lr wd``.

    Parameters
    ----------
    lr : float or array_like, default 0.001
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0.01

    Examples
    --------
    >>> import numpy as np, descend
    >>> w = np.ones(1)
    >>> descend.optimizers.AdamW(lr=0.1, weight_decay=0.5).step(w, np.array([0.0]))
    >>> float(w[0])  # only the decay acts on a zero gradient
    0.95
    """

    _kind = "adamw"

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
