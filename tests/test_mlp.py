"""descend.MLP: the compiled network objective against its numpy twin, gradient checks for
every activation and loss, the solvers on it, and the refusal of bad input."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend
from descend.objectives import EmpiricalRisk
from descend.reference import MLP as TwinMLP

ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]
# (loss, K, multi-column targets)
LOSSES = [("softmax", 3, False), ("logistic", 1, False), ("logistic", 3, True),
          ("squared", 1, False), ("squared", 2, True)]
LOSS_IDS = ["softmax", "logistic-binary", "logistic-multilabel", "squared-1", "squared-2"]


def _data(loss, K, multi, n=37, d=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if loss == "softmax":
        y = rng.integers(0, K, size=n)
        y[:K] = np.arange(K)
    elif loss == "logistic":
        y = rng.integers(0, 2, size=(n, K) if multi else n).astype(float)
    else:
        y = rng.normal(size=(n, K) if multi else n)
    return X, y


def _pair(activation, loss, K, multi, hidden=(4, 3), l2=0.0, weights=False, dtype=np.float64):
    X, y = _data(loss, K, multi, dtype=dtype)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X)) if weights else None
    f = descend.MLP(X, y, hidden=hidden, activation=activation, loss=loss, l2=l2,
                    sample_weight=sw)
    twin = TwinMLP(X, y, f.sizes, activation, loss, l2, sample_weight=sw)
    return f, twin


@pytest.mark.parametrize("loss,K,multi", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_parity_with_twin(activation, loss, K, multi):
    f, twin = _pair(activation, loss, K, multi, l2=0.03, weights=True)
    w = f.init(seed=3, scheme="glorot") + 0.05
    v = np.random.default_rng(4).normal(size=f.n_params)
    value, grad = f.value_and_gradient(w)
    t_value, t_grad = twin.value_and_gradient(w)
    assert value == pytest.approx(t_value, rel=1e-12)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=1e-13 * np.abs(t_grad).max())
    t_hvp = twin.hvp(w, v)
    np.testing.assert_allclose(f.hvp(w, v), t_hvp, rtol=1e-10, atol=1e-12 * np.abs(t_hvp).max())
    rows = np.array([5, 0, 5, 11, 36])
    b_value, b_grad = f.batch_value_and_gradient(w, rows)
    t_bvalue, t_bgrad = twin.batch_value_and_gradient(w, rows)
    assert b_value == pytest.approx(t_bvalue, rel=1e-12)
    np.testing.assert_allclose(b_grad, t_bgrad, rtol=1e-10, atol=1e-13 * np.abs(t_bgrad).max())


@pytest.mark.parametrize("loss,K,multi", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_check_grad(activation, loss, K, multi):
    f, _ = _pair(activation, loss, K, multi, hidden=(3,), l2=0.1)
    # Away from relu's kink: biases shift every pre-activation off zero.
    check = descend.check_grad(f, f.init(seed=5, scheme="normal", eps=0.5) + 0.01)
    assert check.rel_error < 1e-6, check


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_hvp_is_the_derivative_of_the_gradient(activation):
    f, _ = _pair(activation, "softmax", 3, False)
    w = f.init(seed=0, scheme="glorot")
    v = np.random.default_rng(2).normal(size=f.n_params)
    h = 1e-5
    fd = (f.gradient(w + h * v) - f.gradient(w - h * v)) / (2 * h)
    np.testing.assert_allclose(f.hvp(w, v), fd, rtol=1e-6, atol=1e-8)


def test_hessian_small_and_refused_large():
    f, _ = _pair("tanh", "squared", 2, True, hidden=(3,), l2=0.1)
    w = f.init(seed=0)
    H = f.hessian(w)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    v = np.random.default_rng(0).normal(size=f.n_params)
    np.testing.assert_allclose(H @ v, f.hvp(w, v), rtol=1e-10, atol=1e-12)
    X, y = _data("softmax", 3, False)
    big = descend.MLP(X, y, hidden=(500,))
    with pytest.raises(ValueError, match="newton-cg"):
        big.hessian(big.init(seed=0))
    with pytest.raises(ValueError, match="newton-cg"):
        descend.minimize(big, big.init(seed=0), method="newton", max_iter=2)


def test_is_an_empirical_risk_with_row_sums():
    f, twin = _pair("tanh", "softmax", 3, False, hidden=(3,), l2=0.1, weights=True)
    assert isinstance(f, EmpiricalRisk)
    w = f.init(seed=0)
    # R = (loss_sum over consecutive ranges) / weight_sum + the penalty on the weights.
    head, g_head = f.loss_sum(w, 0, 20)
    tail, g_tail = f.loss_sum(w, 20)
    total = f.weight_sum(0, 20) + f.weight_sum(20)
    penalty = 0.5 * 0.1 * np.sum(w[:f.n_weights] ** 2)
    assert (head + tail) / total + penalty == pytest.approx(twin.value(w), rel=1e-12)
    gradient = (g_head + g_tail) / total
    gradient[:f.n_weights] += 0.1 * w[:f.n_weights]
    np.testing.assert_allclose(gradient, twin.gradient(w), rtol=1e-10, atol=1e-14)
    assert f.parameter_scales() is None  # a network has no per-feature scale
    X, y = _data("softmax", 3, False)
    big = descend.MLP(X, y, hidden=(500,))
    with pytest.raises(ValueError, match="newton-cg"):
        big.hessian_sum(big.init(seed=0))


def test_float32_matches_float64():
    X, y = _data("softmax", 3, False)
    f64 = descend.MLP(X, y, hidden=(6,), activation="tanh")
    f32 = descend.MLP(X.astype(np.float32), y, hidden=(6,), activation="tanh")
    w = f64.init(seed=1)
    assert f32.value(w) == pytest.approx(f64.value(w), rel=1e-5)
    g64 = f64.gradient(w)
    np.testing.assert_allclose(f32.gradient(w), g64, atol=1e-5 * np.abs(g64).max())
    v = np.ones(f64.n_params)
    h64 = f64.hvp(w, v)
    np.testing.assert_allclose(f32.hvp(w, v), h64, atol=1e-4 * np.abs(h64).max())


def test_threads_and_memory_order_agree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    y = rng.integers(0, 4, size=3000)
    one = descend.MLP(X, y, hidden=(16,), n_threads=1)
    two = descend.MLP(np.asfortranarray(X), y, hidden=(16,), n_threads=2)
    w = one.init(seed=0)
    assert two.value(w) == pytest.approx(one.value(w), rel=1e-12)
    np.testing.assert_allclose(two.gradient(w), one.gradient(w), rtol=1e-9, atol=1e-14)


def test_no_hidden_layer_is_softmax_regression():
    X, y = _data("softmax", 3, False)
    f = descend.MLP(X, y, hidden=())
    g = descend.Softmax(X, y, fit_intercept=True)
    w = np.random.default_rng(0).normal(size=f.n_params)
    (W, b), = f.unpack(w)
    wg = np.hstack([W.T, b[:, None]]).ravel()
    assert f.value(w) == pytest.approx(g.value(wg), rel=1e-12)


def test_pack_unpack_init():
    f = descend.MLP(np.ones((3, 40)), [0, 1, 2], hidden=(50, 20))
    assert f.sizes == (40, 50, 20, 3)
    assert f.n_weights == 40 * 50 + 50 * 20 + 20 * 3
    assert f.n_params == f.n_weights + 50 + 20 + 3
    w = np.arange(f.n_params, dtype=float)
    layers = f.unpack(w)
    assert [W.shape for W, _ in layers] == [(40, 50), (50, 20), (20, 3)]
    assert layers[0][0][0, 1] == 1.0 and layers[0][1][0] == f.n_weights
    np.testing.assert_array_equal(f.pack(layers), w)
    he = f.unpack(f.init(seed=0, scheme="he"))[0][0]
    assert he.var() * 40 / 2 == pytest.approx(1.0, rel=0.1)
    uni = f.init(seed=0, scheme="uniform", eps=0.01)
    assert np.abs(uni).max() <= 0.01
    np.testing.assert_array_equal(f.init(seed=7), f.init(seed=7))
    with pytest.raises(ValueError, match="scheme"):
        f.init(seed=0, scheme="xavier")
    with pytest.raises(ValueError, match="layer 1"):
        f.pack([layers[0], (np.zeros((3, 3)), np.zeros(3)), layers[2]])


def test_pickles():
    X, y = _data("squared", 2, True)
    f = descend.MLP(X, y, hidden=(3,), loss="squared", l2=0.5)
    g = pickle.loads(pickle.dumps(f))
    w = f.init(seed=0)
    assert g.value(w) == f.value(w)
    assert repr(g) == repr(f)


@pytest.mark.parametrize("method,options", [
    ("sgd", dict(lr=0.05, epochs=5)),
    ("momentum", dict(lr=0.05, batch_size=16, epochs=10)),
    ("adam", dict(lr=0.01, batch_size=16, epochs=10)),
    ("gd", dict(lr=0.5, max_iter=50)),
    ("lbfgs", dict(max_iter=50)),
    ("bfgs", dict(max_iter=50)),
    ("newton-cg", dict(max_iter=20)),
    ("newton", dict(max_iter=20)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_solvers_reduce_the_loss(method, options):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = np.argmax(X @ rng.normal(size=(5, 3)), axis=1)  # learnable labels
    f = descend.MLP(X, y, hidden=(6,), activation="tanh", l2=1e-3)
    w0 = f.init(seed=0)
    r = descend.minimize(f, w0, method=method, **options)
    assert np.isfinite(r.fun)
    assert f.value(r.x) < 0.8 * f.value(w0)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(hidden=(0,)), ValueError, "hidden layer size"),
    (dict(hidden=(4, -1)), ValueError, "hidden layer size"),
    (dict(hidden="abc"), (TypeError, ValueError), "hidden"),
    (dict(hidden=2.5), TypeError, "hidden"),
    (dict(activation="softplus"), ValueError, "activation"),
    (dict(loss="hinge"), ValueError, "loss"),
    (dict(l2=-1.0), ValueError, "l2"),
    (dict(n_threads=0), ValueError, "n_threads"),
    (dict(sample_weight=-np.ones(10)), ValueError, "sample_weight"),
    (dict(sample_weight=np.ones(9)), ValueError, "sample_weight"),
])
def test_bad_arguments(kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    y = np.arange(10) % 2
    with pytest.raises(error, match=match):
        descend.MLP(X, y, **kwargs)


def test_bad_data():
    X = np.random.default_rng(0).normal(size=(10, 3))
    y = np.arange(10) % 3
    Xn = X.copy()
    Xn[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        descend.MLP(Xn, y)
    with pytest.raises(ValueError, match="2-D"):
        descend.MLP(X[0], y)
    with pytest.raises(ValueError, match="rows"):
        descend.MLP(X, y[:9])
    with pytest.raises(ValueError, match="labels"):
        descend.MLP(X, y - 1)
    with pytest.raises(ValueError, match="labels"):
        descend.MLP(X, y + 0.5)
    with pytest.raises(ValueError, match="two classes"):
        descend.MLP(X, np.zeros(10))
    with pytest.raises(ValueError, match="1-D"):
        descend.MLP(X, np.ones((10, 2)))
    with pytest.raises(ValueError, match="0/1"):
        descend.MLP(X, y, loss="logistic")
    yn = np.ones(10)
    yn[0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        descend.MLP(X, yn, loss="squared")
    f = descend.MLP(X, y, hidden=(2,))
    with pytest.raises(ValueError, match="length"):
        f.value(np.zeros(3))
    with pytest.raises(ValueError, match="columns"):
        f.predict(np.zeros(f.n_params), np.ones((2, 4)))


def test_core_checks_are_a_backstop():
    # The compiled constructor refuses what the Python layer would have caught.
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="labels"):
        descend._core.Mlp(X, np.array([0, 1, 2, 5]), [3], 3, "relu", "softmax", None, 0.0, 0)
    with pytest.raises(ValueError, match=">= 1"):
        descend._core.Mlp(X, np.array([0, 1, 1, 0]), [0], 2, "relu", "softmax", None, 0.0, 0)
    with pytest.raises(ValueError, match="activation"):
        descend._core.Mlp(X, np.array([0, 1, 1, 0]), [2], 2, "gelu", "softmax", None, 0.0, 0)
    with pytest.raises(ValueError, match="n_outputs"):
        descend._core.Mlp(X, np.ones((4, 3)), [2], 2, "relu", "squared", None, 0.0, 0)


@pytest.mark.parametrize("module", ["descend._mlp", "descend.reference.mlp"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_large_batches_split_over_threads_agree():
    # A gathered batch this large is split over the model's threads (models/mlp.hpp).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 50))
    y = rng.integers(0, 3, size=600)
    one = descend.MLP(X, y, hidden=(100,), n_threads=1, l2=0.01)
    two = descend.MLP(X, y, hidden=(100,), n_threads=2, l2=0.01)
    w = one.init(seed=0)
    rows = rng.permutation(600)[:512]
    v1, g1 = one.batch_value_and_gradient(w, rows)
    v2, g2 = two.batch_value_and_gradient(w, rows)
    assert v2 == pytest.approx(v1, rel=1e-13)
    np.testing.assert_allclose(g2, g1, rtol=1e-11, atol=1e-15)
    t_value, t_grad = TwinMLP(X, y, one.sizes, l2=0.01).batch_value_and_gradient(w, rows)
    assert v2 == pytest.approx(t_value, rel=1e-12)
    np.testing.assert_allclose(g2, t_grad, rtol=1e-10, atol=1e-13 * np.abs(t_grad).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_split_batches_reuse_no_state_across_networks(dtype):
    # The threads of a split batch keep their buffers from step to step (models/mlp.hpp,
    # SplitWork): stepping a network of another shape in between, on the same thread, must
    # leave the next step's gradient unchanged.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(700, 40)).astype(dtype)
    y = rng.integers(0, 4, size=700)
    big = descend.MLP(X, y, hidden=(120, 30), n_threads=2)
    small = descend.MLP(X[:, :20], y, hidden=(200,), loss="softmax", activation="tanh",
                        n_threads=2)
    w, u = big.init(seed=0), small.init(seed=1)
    rows = rng.permutation(700)[:600]
    first = big.batch_value_and_gradient(w, rows)
    small.batch_value_and_gradient(u, rows[:500])
    again = big.batch_value_and_gradient(w, rows)
    assert again[0] == first[0]
    np.testing.assert_array_equal(again[1], first[1])
    twin_value, twin_grad = TwinMLP(X.astype(np.float64), y, big.sizes).batch_value_and_gradient(
        w, rows)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert again[0] == pytest.approx(twin_value, rel=rtol)
    np.testing.assert_allclose(again[1], twin_grad, rtol=rtol,
                               atol=rtol * np.abs(twin_grad).max())


def test_newton_cg_and_the_curvature_analysis():
    # Softmax outputs do not change when every output bias moves by the same amount: at a
    # minimum the Hessian has that zero eigenvalue (biases are not penalised), the rest > 0.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    y = np.argmax(X @ rng.normal(size=(4, 3)), axis=1)
    f = descend.MLP(X, y, hidden=(5,), activation="tanh", l2=1e-2)
    r = descend.minimize(f, f.init(seed=0), method="newton-cg", max_iter=200)
    assert r.grad_norm < 1e-6
    c = descend.analysis.curvature(f, r.x)
    assert c.kind == "inconclusive"
    shift = np.zeros(f.n_params)
    shift[-3:] = 1 / np.sqrt(3)
    np.testing.assert_allclose(f.hvp(r.x, shift), 0.0, atol=1e-10)
    assert c.eigenvalues[1] > 1e-4 and abs(c.eigenvalues[0]) < 1e-8


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(1, 6),
       hidden=st.lists(st.integers(1, 5), max_size=3),
       activation=st.sampled_from(ACTIVATIONS), case=st.sampled_from(LOSSES),
       order=st.sampled_from("CF"), seed=st.integers(0, 2**16))
def test_any_shape_matches_the_twin(n, d, hidden, activation, case, order, seed):
    # Any shape (one row, one column, no hidden layer, more rows than a block of 256) and
    # either memory order: value, gradient and hvp agree with the twin.
    loss, K, multi = case
    if loss == "softmax" and n < K:
        n = K
    X, y = _data(loss, K, multi, n=n, d=d, seed=seed)
    f = descend.MLP(np.asarray(X, order=order), y, hidden=tuple(hidden), activation=activation,
                    loss=loss, l2=0.1)
    twin = TwinMLP(X, y, f.sizes, activation, loss, 0.1)
    w = f.init(seed=seed, scheme="normal", eps=0.5)
    v = np.random.default_rng(seed).normal(size=f.n_params)
    value, grad = f.value_and_gradient(w)
    t_value, t_grad = twin.value_and_gradient(w)
    assert value == pytest.approx(t_value, rel=1e-11)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9,
                               atol=1e-12 * max(1.0, np.abs(t_grad).max()))
    t_hvp = twin.hvp(w, v)
    np.testing.assert_allclose(f.hvp(w, v), t_hvp, rtol=1e-9,
                               atol=1e-11 * max(1.0, np.abs(t_hvp).max()))
