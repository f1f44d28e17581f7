"""Parameter initialisers (the lectures' initialisation), reproducible from a seed.

Each returns a float64 array drawn with ``numpy.random.default_rng(seed)``: the same seed gives
the same array on every platform. Seeds are integers in [0, 2**64 - 1] and shapes positive
integers; anything else is a TypeError or ValueError naming the argument.

Examples
--------
>>> import descend
>>> W = descend.init.he(fan_in=64, shape=(10, 64), seed=0)
>>> W.shape
(10, 64)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple, Union

import numpy as np

from ._validation import check_int, check_real, check_seed

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["uniform", "normal", "he", "glorot", "bias"]

_Shape = Union[int, Tuple[int, ...]]


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(check_int(s, "shape", low=1) for s in shape)
    except TypeError:
        raise TypeError("shape must be an int or a tuple of ints >= 1") from None
    if not shape:
        raise ValueError("shape must not be empty")
    return shape


def _rng(seed):
    return np.random.default_rng(check_seed(seed))


def uniform(shape: _Shape, eps: float = 0.1, seed: Optional[int] = None) -> NDArray[np.float64]:
    """Draw from U(-eps, eps): small random weights that break the symmetry between units.

    Parameters
    ----------
    shape : int or tuple of int
    eps : float, default 0.1
        Half-width, > 0.
    seed : int, optional
        In [0, 2**64 - 1]; fresh entropy when omitted.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import descend
    >>> w = descend.init.uniform(1000, eps=0.5, seed=1)
    >>> bool(abs(w).max() <= 0.5)
    True
    """
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    return _rng(seed).uniform(-eps, eps, size=_shape(shape))


def normal(shape: _Shape, eps: float = 0.1, seed: Optional[int] = None) -> NDArray[np.float64]:
    """Draw from N(0, eps^2).

    Parameters
    ----------
    shape : int or tuple of int
    eps : float, default 0.1
        Standard deviation, > 0.
    seed : int, optional
        In [0, 2**64 - 1]; fresh entropy when omitted.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import descend
    >>> descend.init.normal((2, 3), seed=0).shape
    (2, 3)
    """
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    return _rng(seed).normal(0.0, eps, size=_shape(shape))


def he(fan_in: int, shape: _Shape, seed: Optional[int] = None) -> NDArray[np.float64]:
    """He initialisation for a unit with M = fan_in inputs: N(0, 2 / M).

    The variance 2/M keeps the variance of ReLU activations steady from layer to layer.

    Parameters
    ----------
    fan_in : int
        M, the number of inputs of each unit, >= 1.
    shape : int or tuple of int
    seed : int, optional
        In [0, 2**64 - 1]; fresh entropy when omitted.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import descend
    >>> w = descend.init.he(50, 200_000, seed=0)
    >>> round(float(w.var()) * 50 / 2, 2)
    1.0
    """
    fan_in = check_int(fan_in, "fan_in", low=1)
    return _rng(seed).normal(0.0, np.sqrt(2.0 / fan_in), size=_shape(shape))


def glorot(fan_in: int, fan_out: int, shape: Optional[_Shape] = None,
           seed: Optional[int] = None) -> NDArray[np.float64]:
    """Glorot (Xavier) uniform initialisation: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).

    Parameters
    ----------
    fan_in, fan_out : int
        Inputs and outputs of the layer, >= 1.
    shape : int or tuple of int, optional
        Defaults to (fan_out, fan_in).
    seed : int, optional
        In [0, 2**64 - 1]; fresh entropy when omitted.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import descend
    >>> descend.init.glorot(3, 2, seed=0).shape
    (2, 3)
    """
    fan_in = check_int(fan_in, "fan_in", low=1)
    fan_out = check_int(fan_out, "fan_out", low=1)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _rng(seed).uniform(-limit, limit,
                              size=_shape((fan_out, fan_in) if shape is None else shape))


def bias(shape: _Shape, value: float = 0.01) -> NDArray[np.float64]:
    """Biases set to a small positive constant, so that ReLU units start active.

    Parameters
    ----------
    shape : int or tuple of int
    value : float, default 0.01
        >= 0.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import descend
    >>> descend.init.bias(3).tolist()
    [0.01, 0.01, 0.01]
    """
    return np.full(_shape(shape), check_real(value, "value", low=0.0))
