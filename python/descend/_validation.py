"""Checks of user input at the Python boundary.

Every function raises a ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind,
wrong value) whose message names the argument and says what was expected.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: The range :func:`check_int` accepts unless told otherwise: the compiled core's int64.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Seeds are the one unsigned quantity: SplitMix64's 64-bit state (see :func:`check_seed`).
UINT64_MAX = 2**64 - 1

#: The most threads a pass may use (``n_threads`` above it is refused; the core caps at it too).
MAX_THREADS = 1024


def _as_numeric_array(value, name):
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr


def as_real_array(value, name):
    """Return `value` as a float64 array (any shape), refusing non-numbers and complex numbers.

    Parameters
    ----------
    value : array_like
    name : str
        The argument's name, for the message.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    TypeError
        If `value` is not an array of booleans, integers or reals.
    """
    return _as_numeric_array(value, name).astype(np.float64, copy=False)


def _all_finite(arr):
    # A sum reads the array once with no boolean temporary; only when it is not finite
    # (a NaN, an inf, or an overflow of huge values) is the exact element-wise check run.
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum(dtype=np.float64)
    if np.isfinite(total):
        return True
    return bool(np.isfinite(arr).all())


def check_matrix(value, name="X", *, allow_float32=True):
    """Return `value` as a 2-D finite float array, borrowed when possible.

    float32 and float64 arrays that are C- or Fortran-contiguous are used as they are; any
    other array (integers, a strided slice) is copied once into a contiguous float64 array.
    """
    arr = _as_numeric_array(value, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got {arr.ndim}-D")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype not in _FLOATS or (arr.dtype == np.float32 and not allow_float32):
        arr = arr.astype(np.float64)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    if not _all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def check_vector(value, name, *, size=None, dtype=np.float64, size_hint=""):
    """Return `value` as a contiguous finite 1-D array of `dtype` (copied only if needed)."""
    arr = _as_numeric_array(value, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got {arr.ndim}-D with shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must not be empty")
    if size is not None and arr.shape[0] != size:
        hint = f" ({size_hint})" if size_hint else ""
        raise ValueError(f"{name} must have length {size}{hint}, got {arr.shape[0]}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not _all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def check_x0(x0, n_params):
    """Return a float64 copy of the starting point (the caller's array is never modified)."""
    arr = check_vector(x0, "x0", size=n_params, size_hint="the objective's n_params")
    return np.array(arr, dtype=np.float64, copy=True)


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Return `value` as a finite float in the given range, or raise naming `name`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def _as_int(value, name):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None


def _describe(bound):
    return {INT64_MAX: "2**63 - 1 (the largest int64)",
            UINT64_MAX: "2**64 - 1 (the largest uint64)"}.get(bound, str(bound))


def check_int(value, name, *, low=None, high=None):
    """Return `value` as an int in [low, high], or raise naming `name`.

    Parameters
    ----------
    value : int
        Any integer (Python or numpy); bools and floats are refused.
    name : str
        The argument's name, for the messages.
    low, high : int, optional
        Inclusive bounds. The value must also fit the core's int64 (``-2**63`` to
        ``2**63 - 1``): a value the compiled core could not take is refused here with a
        message, never by a failed conversion. The one exception is an argument named
        ``seed``, a uint64 (see :func:`check_seed`), which may go up to ``2**64 - 1``.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If `value` is not an integer.
    ValueError
        If it is outside the range.
    """
    value = _as_int(value, name)
    cap = UINT64_MAX if name == "seed" else INT64_MAX
    top = cap if high is None else min(high, cap)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if value > top:
        raise ValueError(f"{name} must be <= {_describe(top)}, got {value}")
    if value < INT64_MIN:
        raise ValueError(f"{name} must be >= -2**63 (the smallest int64), got {value}")
    return value


def check_seed(value, name="seed"):
    """Return `value` as a seed: None, or an int in [0, 2**64 - 1] (SplitMix64's state).

    Parameters
    ----------
    value : int or None
    name : str, default "seed"

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        If `value` is neither None nor an integer.
    ValueError
        If it is negative or needs more than 64 bits.
    """
    if value is None:
        return None
    value = _as_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if value > UINT64_MAX:
        raise ValueError(f"{name} must be <= {_describe(UINT64_MAX)}, got {value}")
    return value


def check_bool(value, name):
    """Return `value` as a bool, refusing anything that is not a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def check_n_threads(value):
    """None means all cores (0 for the core); otherwise an int in [1, MAX_THREADS] (1024)."""
    if value is None:
        return 0
    return check_int(value, "n_threads", low=1, high=MAX_THREADS)
