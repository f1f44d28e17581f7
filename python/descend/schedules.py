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

import copyreg

from . import _core
from ._validation import check_int, check_real

__all__ = ["constant", "step", "exponential", "inverse", "cosine", "Schedule"]

_KINDS = ("constant", "step", "exponential", "inverse", "cosine")


def _check_kind(value, name):
    if isinstance(value, _core.Schedule.Kind):
        return value
    if isinstance(value, str) and value in _KINDS:
        return getattr(_core.Schedule.Kind, value)
    raise ValueError(f"{name} must be one of {', '.join(_KINDS)}, got {value!r}")


# Each field, with the check its assignment goes through (the compiled type would otherwise
# give a raw conversion error for an integer beyond int64 or a string).
_FIELDS = {
    "kind": _check_kind,
    "gamma": lambda v, n: check_real(v, n, low=0.0, high=1.0, low_open=True),
    "step_size": lambda v, n: check_int(v, n, low=1),
    "decay": lambda v, n: check_real(v, n, low=0.0),
    "power": lambda v, n: check_real(v, n, low=0.0, low_open=True),
    "period": lambda v, n: check_int(v, n, low=1),
    "min_factor": lambda v, n: check_real(v, n, low=0.0, high=1.0),
    "warmup": lambda v, n: check_int(v, n, low=0),
}


def _field(name, check):
    base = getattr(_core.Schedule, name)

    def get(self):
        return base.__get__(self)

    def set_(self, value):
        base.__set__(self, check(value, name))

    return property(get, set_, doc=f"The schedule's {name} (checked when assigned).")


class Schedule(_core.Schedule):
    """A learning-rate schedule: ``factor(t)`` multiplies the base rate at step t.

    Build one with :func:`constant`, :func:`step`, :func:`exponential`, :func:`inverse` or
    :func:`cosine`. Its fields (``kind``, ``gamma``, ``step_size``, ``decay``, ``power``,
    ``period``, ``min_factor``, ``warmup``) may be assigned, each checked as the functions
    check it. A schedule pickles and deep-copies (for Dask, multiprocessing, estimators).

    Examples
    --------
    >>> import pickle, descend
    >>> s = descend.schedules.step(2, 0.5)
    >>> pickle.loads(pickle.dumps(s)).factor(4)
    0.25
    """

    def factor(self, t):
        """Return the factor at step `t`.

        Parameters
        ----------
        t : int
            The step (epoch or iteration), >= 0.

        Returns
        -------
        float
        """
        return super().factor(check_int(t, "t", low=0))

    def _fields(self):
        return {name: getattr(self, name) for name in _FIELDS}

    def __reduce__(self):
        fields = self._fields()
        fields["kind"] = fields["kind"].name
        return (_rebuild, (type(self), fields))

    def __eq__(self, other):
        if not isinstance(other, _core.Schedule):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable

    def __repr__(self):
        fields = self._fields()
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items() if k != "kind")
        return f"Schedule(kind={fields['kind'].name!r}, {args})"


for _name, _check in _FIELDS.items():
    setattr(Schedule, _name, _field(_name, _check))
del _name, _check


def _rebuild(cls, fields):
    """Unpickle a Schedule: a new one with the same fields, each checked again."""
    s = cls()
    for name, value in fields.items():
        setattr(s, name, value)
    return s


def _reduce_core(schedule):
    # A _core.Schedule built directly pickles as the public Schedule with the same fields.
    fields = {name: getattr(schedule, name) for name in _FIELDS}
    fields["kind"] = fields["kind"].name
    return (_rebuild, (Schedule, fields))


copyreg.pickle(_core.Schedule, _reduce_core)


def _make(kind, warmup, **params):
    s = Schedule()
    s.kind = kind
    s.warmup = warmup
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
