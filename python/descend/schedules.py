"""Learning-rate schedules: a factor applied to the base learning rate at step t.

t counts epochs in mini-batch runs and iterations in full-batch runs, from 0. Every schedule
may start with a linear warm-up. Pass one as ``minimize(..., schedule=...)``; a name ("step",
"exponential", "inverse", "cosine") picks that schedule with its defaults, and a callable
``t -> lr`` is accepted too (called once per epoch, or per iteration in full-batch runs).

Examples
--------
>>> import descend
>>> s = descend.schedules.inverse(decay=1.0)   # lr0 / (1 + t): start large and reduce
>>> [round(s.factor(t), 3) for t in range(4)]
[1.0, 0.5, 0.333, 0.25]
"""

from __future__ import annotations

from . import _core
from ._validation import check_int, check_real

__all__ = ["constant", "step", "exponential", "inverse", "cosine", "Schedule"]

#: The compiled schedule type; ``schedule.factor(t)`` gives its factor at step t.
Schedule = _core.Schedule


def _make(kind, warmup, **params):
    s = _core.Schedule()
    s.kind = getattr(_core.Schedule.Kind, kind)
    s.warmup = check_int(warmup, "warmup", low=0)
    for name, value in params.items():
        setattr(s, name, value)
    return s


def constant(*, warmup=0):
    """Return the constant schedule (factor 1), optionally after a linear warm-up.

    Examples
    --------
    >>> from descend import schedules
    >>> [schedules.constant(warmup=4).factor(t) for t in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return _make("constant", warmup)


def step(step_size=10, gamma=0.1, *, warmup=0):
    """Return a schedule multiplying the rate by ``gamma`` every ``step_size`` steps.

    Examples
    --------
    >>> from descend import schedules
    >>> [schedules.step(2, 0.5).factor(t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return _make("step", warmup, step_size=check_int(step_size, "step_size", low=1),
                 gamma=check_real(gamma, "gamma", low=0.0, high=1.0, low_open=True))


def exponential(gamma=0.9, *, warmup=0):
    """Return ``gamma ** t``.

    Examples
    --------
    >>> from descend import schedules
    >>> schedules.exponential(0.5).factor(3)
    0.125
    """
    return _make("exponential", warmup,
                 gamma=check_real(gamma, "gamma", low=0.0, high=1.0, low_open=True))


def inverse(decay=1.0, power=1.0, *, warmup=0):
    """Return ``1 / (1 + decay t) ** power``: the lectures' "start large and reduce".

    Examples
    --------
    >>> from descend import schedules
    >>> schedules.inverse(decay=0.5, power=2.0).factor(2)
    0.25
    """
    return _make("inverse", warmup, decay=check_real(decay, "decay", low=0.0),
                 power=check_real(power, "power", low=0.0, low_open=True))


def cosine(period=100, min_factor=0.0, *, warmup=0):
    """Return cosine annealing from 1 to ``min_factor`` over ``period`` steps.

    Examples
    --------
    >>> from descend import schedules
    >>> [round(schedules.cosine(4).factor(t), 3) for t in range(5)]
    [1.0, 0.854, 0.5, 0.146, 0.0]
    """
    return _make("cosine", warmup, period=check_int(period, "period", low=1),
                 min_factor=check_real(min_factor, "min_factor", low=0.0, high=1.0))


_BY_NAME = {"constant": constant, "step": step, "exponential": exponential,
            "inverse": inverse, "cosine": cosine}


def as_schedule(value, name="schedule"):
    """Validate a schedule option: None, a name, a Schedule or a callable ``t -> lr``."""
    if value is None:
        return constant()
    if isinstance(value, _core.Schedule):
        value.check()
        return value
    if isinstance(value, str):
        if value not in _BY_NAME:
            raise ValueError(f"{name} must be one of {', '.join(_BY_NAME)}, a Schedule or a "
                             f"callable t -> lr, got {value!r}")
        return _BY_NAME[value]()
    if callable(value):
        return value
    raise TypeError(f"{name} must be a schedule name, a Schedule or a callable t -> lr, "
                    f"got {type(value).__name__}")
