"""The multilayer-perceptron objective: :class:`MLP`, a compiled empirical risk.

The arithmetic lives in ``cpp/include/descend/models/mlp.hpp`` (one more model of the
empirical-risk skeleton, so sample weights, row blocks, threads and batches come with it);
this module validates the arguments and converts the flat parameter vector to and from the
layers. Its numpy twin is :class:`descend.reference.MLP`.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from . import init as _init
from ._validation import check_int, check_matrix, check_n_threads, check_real, check_vector

__all__ = ["MLP", "ACTIVATIONS", "LOSSES", "INIT_SCHEMES"]

#: The hidden layers' activations.
ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
#: The output losses.
LOSSES = ("softmax", "logistic", "squared")
#: The starting points :meth:`MLP.init` draws.
INIT_SCHEMES = ("he", "glorot", "uniform", "normal")


def _check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_hidden(hidden):
    """The hidden widths as a tuple of ints >= 1 (an int is one layer; () none)."""
    if isinstance(hidden, (numbers.Integral, np.integer)) and not isinstance(hidden, bool):
        hidden = (hidden,)
    try:
        widths = tuple(hidden)
    except TypeError:
        raise TypeError(f"hidden must be an int or a sequence of ints, got "
                        f"{type(hidden).__name__}") from None
    return tuple(check_int(h, "hidden layer size", low=1) for h in widths)


def _check_targets(y, loss, n, dtype, n_outputs):
    """The targets in the core's coding and the number of outputs K."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"y must hold numbers, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or (loss == "softmax" and arr.ndim != 1):
        raise ValueError(f"y must be 1-D{'' if loss == 'softmax' else ' or 2-D'} with one "
                         f"entry per row of X, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"y must have {n} rows (one per row of X), got {arr.shape[0]}")
    if arr.ndim == 2 and arr.shape[1] < 1:
        raise ValueError("y must have at least one column")
    if not np.isfinite(arr.astype(np.float64)).all():
        raise ValueError("y contains NaN or infinity")
    if loss == "softmax":
        if (arr != np.round(arr)).any() or (arr < 0).any():
            raise ValueError("y must hold integer class labels 0, 1, ..., K-1 for loss='softmax'")
        top = int(arr.max())
        K = top + 1 if n_outputs is None else check_int(n_outputs, "n_outputs", low=2)
        if K < 2:
            raise ValueError("y must contain at least two classes (labels 0 and 1)")
        if top >= K:
            raise ValueError(f"y holds label {top}, which needs n_outputs > {top}")
        return np.ascontiguousarray(arr, dtype=np.int64), K
    Y = np.ascontiguousarray(arr.reshape(n, -1), dtype=dtype)
    if loss == "logistic" and not np.isin(Y, (0, 1)).all():
        raise ValueError("y must hold 0/1 targets for loss='logistic'")
    if n_outputs is not None and check_int(n_outputs, "n_outputs", low=1) != Y.shape[1]:
        raise ValueError(f"n_outputs={n_outputs} does not match y's {Y.shape[1]} columns")
    return Y, Y.shape[1]


def _argument(name, doc):
    """A read-only property giving what the objective was built with (``_arguments[name]``)."""
    return property(lambda self: self._arguments[name], doc=doc)


class MLP(_core.Mlp):
    r"""A fully connected neural network's empirical risk (multilayer perceptron).

    .. math::
        R(w) = \frac{1}{S} \sum_i s_i\, \ell(f_w(x_i), y_i) + \frac{l_2}{2} \sum_l \|W_l\|^2,
        \qquad f_w(x) = W_{L-1}' \sigma(\dots \sigma(W_0' x + b_0) \dots) + b_{L-1}

    Layer l maps ``sizes[l]`` inputs to ``sizes[l + 1]`` outputs (``sizes = (d, *hidden, K)``);
    the hidden layers apply ``activation``, the last layer feeds ``loss``:

    - ``"softmax"``: cross-entropy of the softmax of the K outputs, y class labels 0..K-1;
    - ``"logistic"``: the sum over the K outputs of the logistic loss, y 0/1 (1-D: K = 1,
      binary; 2-D: multilabel);
    - ``"squared"``: half the squared error summed over the K outputs, y real (1-D: K = 1).

    The parameters are one flat float64 vector: every weight matrix first, then every bias,
    ``[W_0 | ... | W_{L-1} | b_0 | ... | b_{L-1}]``, with ``W_l`` of shape
    ``(sizes[l], sizes[l+1])`` stored row by row (scikit-learn's ``coefs_[l]``) and ``b_l`` of
    length ``sizes[l+1]`` (its ``intercepts_[l]``); :meth:`unpack` and :meth:`pack` convert.
    The L2 penalty covers the weights, not the biases.

    Gradients are computed by backpropagation over blocks of 256 rows (matrix products over
    the block, threaded over blocks for full-batch passes); ``hvp`` is exact, by Pearlmutter's
    R-operator; ``hessian`` (method="newton") is built from ``n_params`` products and refused
    beyond 2000 parameters (use newton-cg or lbfgs). A float32 X computes the products in
    float32; losses and gradient sums are accumulated in float64.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        float64 or float32 (C or Fortran order, borrowed); other types are copied to float64.
    y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        Targets as described above (converted to int64 labels, or to X's dtype).
    hidden : int or sequence of int, default (100,)
        Widths of the hidden layers, each >= 1; ``()`` gives a linear model.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
    loss : {"softmax", "logistic", "squared"}, default "softmax"
    l2 : float, default 0.0
        Ridge penalty on the weights, >= 0.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights, not all zero (copied).
    n_threads : int, optional
        Threads for full passes over X, 1 to 1024; all cores by default.
    n_outputs : int, optional
        K; by default the number of columns of y, or ``max(y) + 1`` for softmax.

    Raises
    ------
    ValueError, TypeError
        For a bad shape, a NaN or infinity, labels that are not 0..K-1, 0/1 targets that are
        not 0 or 1, hidden sizes below 1, or an unknown activation or loss.

    Examples
    --------
    >>> import numpy as np, descend
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> f = descend.MLP(X, [0, 1, 1, 0], hidden=(8,), activation="tanh")
    >>> f.sizes, f.n_params
    ((2, 8, 2), 42)
    >>> r = descend.minimize(f, f.init(seed=0), method="lbfgs", max_iter=500)
    >>> f.predict(r.x, X).argmax(axis=1).tolist()
    [0, 1, 1, 0]
    """

    _arguments: dict  # what the objective was built with, validated (set in __init__)

    def __init__(self, X, y, hidden=(100,), activation="relu", loss="softmax", l2=0.0,
                 sample_weight=None, n_threads=None, n_outputs=None):
        X = check_matrix(X, "X")
        hidden = _check_hidden(hidden)
        activation = _check_choice(activation, "activation", ACTIVATIONS)
        loss = _check_choice(loss, "loss", LOSSES)
        l2 = check_real(l2, "l2", low=0.0)
        targets, K = _check_targets(y, loss, X.shape[0], X.dtype, n_outputs)
        if sample_weight is not None:
            sw = check_vector(sample_weight, "sample_weight", size=X.shape[0],
                              size_hint="one per row of X")
            if (sw < 0).any():
                raise ValueError("sample_weight must be >= 0")
            if not sw.max() > 0:
                raise ValueError("sample_weight must not be all zero")
            sample_weight = (sw / sw.max()).astype(X.dtype)
            sample_weight.flags.writeable = False
        threads = check_n_threads(n_threads)
        super().__init__(X, targets, list(hidden), K, activation, loss, sample_weight, l2,
                         threads)
        self.__dict__["_arguments"] = dict(
            X=X, y=targets, hidden=hidden, activation=activation, loss=loss, l2=l2,
            sample_weight=sample_weight, n_threads=n_threads, n_outputs=K)

    # ---- what the objective was built with (read-only) ----
    X = _argument("X", "The data matrix (borrowed).")
    y = _argument("y", "The targets in the core's coding: int64 labels, or an (n, K) array in "
                       "X's dtype.")
    hidden = _argument("hidden", "The hidden layers' widths.")
    activation = _argument("activation", "The hidden layers' activation.")
    loss = _argument("loss", "The output loss.")
    l2 = _argument("l2", "The ridge penalty on the weights.")
    sample_weight = _argument("sample_weight", "A read-only copy of the sample weights (divided "
                                               "by the largest), or None.")
    n_threads = _argument("n_threads", "The n_threads asked for (None: all cores).")
    n_outputs = _argument("n_outputs", "K, the outputs of the last layer.")

    @property
    def sizes(self):
        """``(n_features, *hidden, n_outputs)``: the widths of every layer, input first."""
        return tuple(int(s) for s in super().sizes)

    # ---- the flat parameter vector ----
    def unpack(self, w):
        """Split a flat parameter vector into its layers.

        Parameters
        ----------
        w : array_like, shape (n_params,)

        Returns
        -------
        list of (ndarray, ndarray)
            ``(W_l, b_l)`` per layer, ``W_l`` of shape ``(sizes[l], sizes[l+1])`` and ``b_l`` of
            length ``sizes[l+1]`` (copies).

        Examples
        --------
        >>> import numpy as np, descend
        >>> f = descend.MLP(np.ones((2, 3)), [0, 1], hidden=(4,))
        >>> [(W.shape, b.shape) for W, b in f.unpack(np.zeros(f.n_params))]
        [((3, 4), (4,)), ((4, 2), (2,))]
        """
        w = check_vector(w, "w", size=self.n_params, size_hint="the objective's n_params")
        sizes = self.sizes
        layers, start, bias = [], 0, self.n_weights
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            W = w[start:start + fan_in * fan_out].reshape(fan_in, fan_out).copy()
            b = w[bias:bias + fan_out].copy()
            layers.append((W, b))
            start += fan_in * fan_out
            bias += fan_out
        return layers

    def pack(self, layers):
        """Join per-layer weights and biases into the flat parameter vector.

        Parameters
        ----------
        layers : sequence of (array_like, array_like)
            ``(W_l, b_l)`` per layer, shapes as :meth:`unpack` returns them.

        Returns
        -------
        ndarray, shape (n_params,)

        Examples
        --------
        >>> import numpy as np, descend
        >>> f = descend.MLP(np.ones((2, 3)), [0, 1], hidden=(4,))
        >>> w = np.arange(f.n_params, dtype=float)
        >>> bool((f.pack(f.unpack(w)) == w).all())
        True
        """
        sizes = self.sizes
        layers = list(layers)
        if len(layers) != len(sizes) - 1:
            raise ValueError(f"layers must hold {len(sizes) - 1} (W, b) pairs, got {len(layers)}")
        weights, biases = [], []
        for l, (pair, fan_in, fan_out) in enumerate(zip(layers, sizes[:-1], sizes[1:])):
            W, b = (np.asarray(a, dtype=np.float64) for a in pair)
            if W.shape != (fan_in, fan_out) or b.shape != (fan_out,):
                raise ValueError(f"layer {l} must have W of shape {(fan_in, fan_out)} and b of "
                                 f"shape {(fan_out,)}, got {W.shape} and {b.shape}")
            weights.append(W.ravel())
            biases.append(b)
        return np.concatenate(weights + biases)

    def init(self, seed=None, scheme="he", eps=0.1):
        """Draw a starting point layer by layer with :mod:`descend.init`; biases are zero.

        Parameters
        ----------
        seed : int, optional
            In [0, 2**64 - 1]; each layer draws from its own stream derived from it.
        scheme : {"he", "glorot", "uniform", "normal"}, default "he"
            ``"he"``: N(0, 2 / fan_in) (for ReLU); ``"glorot"``: U(-a, a) with
            a = sqrt(6 / (fan_in + fan_out)); ``"uniform"``: U(-eps, eps); ``"normal"``:
            N(0, eps^2).
        eps : float, default 0.1
            The scale of "uniform" and "normal", > 0.

        Returns
        -------
        ndarray, shape (n_params,)

        Examples
        --------
        >>> import numpy as np, descend
        >>> f = descend.MLP(np.ones((2, 50)), [0, 1], hidden=(30,))
        >>> w = f.init(seed=0)
        >>> W0, b0 = f.unpack(w)[0]
        >>> W0.shape, float(abs(b0).max())
        ((50, 30), 0.0)
        """
        scheme = _check_choice(scheme, "scheme", INIT_SCHEMES)
        streams = np.random.SeedSequence(seed).spawn(len(self.sizes) - 1)
        layers = []
        for stream, fan_in, fan_out in zip(streams, self.sizes[:-1], self.sizes[1:]):
            s = int(stream.generate_state(1, np.uint64)[0])
            shape = (fan_in, fan_out)
            if scheme == "he":
                W = _init.he(fan_in, shape, seed=s)
            elif scheme == "glorot":
                W = _init.glorot(fan_in, fan_out, shape, seed=s)
            elif scheme == "uniform":
                W = _init.uniform(shape, eps=eps, seed=s)
            else:
                W = _init.normal(shape, eps=eps, seed=s)
            layers.append((W, np.zeros(fan_out)))
        return self.pack(layers)

    def predict(self, w, X):
        """The network's outputs on new rows: probabilities (softmax, logistic) or values.

        Computed in numpy (float64) from :meth:`unpack`.

        Parameters
        ----------
        w : array_like, shape (n_params,)
        X : array_like, shape (n_rows, n_features)

        Returns
        -------
        ndarray, shape (n_rows, n_outputs)

        Examples
        --------
        >>> import numpy as np, descend
        >>> f = descend.MLP(np.ones((2, 3)), [0, 1], hidden=(4,))
        >>> f.predict(np.zeros(f.n_params), np.ones((1, 3))).tolist()
        [[0.5, 0.5]]
        """
        from .reference.mlp import forward, output_transform

        X = check_matrix(X, "X")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have {self.sizes[0]} columns, got {X.shape[1]}")
        outputs = forward(self.unpack(w), X, self.activation)[-1]
        return output_transform(outputs, self.loss)

    def __reduce__(self):
        a = self._arguments
        y = a["y"]
        return (type(self), (a["X"], y, a["hidden"], a["activation"], a["loss"], a["l2"],
                             a["sample_weight"], a["n_threads"], a["n_outputs"]))

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}, loss={self.loss!r}, "
                f"l2={self.l2}, dtype={self.X.dtype})")
