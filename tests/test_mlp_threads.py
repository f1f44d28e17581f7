"""The network's thread count on small mini-batches, and Adam's step on never-moved weights.

A digits-sized step (32 rows of a 64-100-10 network, about 0.7 M multiply-adds) is below the
work from which models/mlp.hpp splits a gathered batch (MlpModel::kSplitWork per thread), so
it runs on the calling thread whatever the thread count: the fit is then the same bits on one
thread and on two. Adam's compiled step takes the square root of a block of four on the FMA
units when every lane is 0 or in float's range (rules.hpp, adam_sqrt): a weight whose gradient
has always been exactly zero (an input column of zeros, as the digits' corner pixels) must stay
exactly where it started, and the others must still match torch.optim.
"""

import warnings

import numpy as np
import pytest

import descend
import descend.optimizers as opt

sklearn = pytest.importorskip("sklearn")

from descend import neural_network as dnn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402


def _fit_digits(threads):
    X, y = load_digits(return_X_y=True)
    X = np.ascontiguousarray(X[:600] / 16.0)
    descend.set_num_threads(threads)
    try:
        clf = dnn.MLPClassifier((100,), batch_size=32, max_iter=3, tol=0.0, n_iter_no_change=10,
                                random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y[:600])
    finally:
        descend.set_num_threads(None)
    return clf


def test_digits_sized_batches_same_bits_on_one_and_two_threads():
    one, two = _fit_digits(1), _fit_digits(2)
    for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert one.loss_curve_ == two.loss_curve_
    assert one.loss_curve_[-1] < one.loss_curve_[0]  # it trained


def test_digits_zero_pixels_keep_their_weights_exactly():
    # Pixels that are 0 in every training row give the first layer's weights from them an
    # exactly zero gradient (the penalty is 0 here): Adam's v stays 0, the step is 0.
    X, y = load_digits(return_X_y=True)
    X = np.ascontiguousarray(X[:600] / 16.0)
    zero_columns = np.flatnonzero(~X.any(axis=0))
    assert zero_columns.size > 0
    objective = descend.MLP(X, y[:600], hidden=(100,))
    w0 = objective.init(seed=0)
    result = descend.minimize(objective, w0, method="adam", batch_size=32, epochs=2, lr=1e-3,
                              seed=0)
    start, end = objective.unpack(w0)[0][0], objective.unpack(result.x)[0][0]
    np.testing.assert_array_equal(end[zero_columns], start[zero_columns])
    assert not np.allclose(end, start)


def test_adam_blocks_with_zero_lanes_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n = 403  # 100 blocks of four and 3
    scales = 10.0 ** rng.uniform(-6.0, 2.0, size=n)  # v in float's range
    scales[1::4] = 0.0  # one zero lane in every block: the FMA square root with a zero lane
    scales[200:240] = 0.0  # whole blocks of zeros
    w0 = rng.normal(size=n)
    w = w0.copy()
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    step, reference = opt.Adam(lr=0.01), torch.optim.Adam([p], lr=0.01)
    for _ in range(25):
        g = scales * rng.normal(size=n)
        step.step(w, g)
        p.grad = torch.tensor(g, dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(w[scales == 0.0], w0[scales == 0.0])
    assert not np.allclose(w[scales > 0], w0[scales > 0])
