"""Neural networks: descend's MLP against scikit-learn's MLPClassifier and a torch CPU loop.

Two groups, the same architecture, solver (Adam), batch size and epochs for every library:

- digits (1,347 training rows), 64-100-10 ReLU, batch 32, 50 epochs: fit time, and every
  library must reach at least 95% test accuracy (a fast wrong answer fails);
- 60,000 x 784 synthetic (MNIST-shaped), hidden (100, 100) ReLU, batch 128, one epoch, X in
  float64 and float32: bound by the matrix products, about 6 n (sum of the weights) = 32
  GFLOP per epoch; the GFLOP/s reached is stored in the benchmark's extra_info and printed.

scikit-learn and torch are optional peers (skipped when missing). torch runs twice, its default
Adam and its fused one, with as many threads as descend (on a loaded machine torch's threads
wait for each other at every operation; bench/sidebyside_mlp.py also runs it on one thread). DESCEND_BENCH_SMOKE=1 (CI's
smoke run) shrinks the sizes so that the file runs in seconds.
"""

import os
import time
import warnings

import numpy as np
import pytest

import descend

SMOKE = bool(os.environ.get("DESCEND_BENCH_SMOKE"))
DIGITS_EPOCHS = 2 if SMOKE else 50
BIG_N = 2_000 if SMOKE else 60_000


def _torch():
    return pytest.importorskip("torch")


def _sklearn_mlp():
    sknn = pytest.importorskip("sklearn.neural_network")
    return sknn.MLPClassifier


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split

    X, y = datasets.load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25,
                                                        random_state=0)
    return np.ascontiguousarray(X_train), X_test, y_train, y_test


def _torch_fit(X, y, hidden, batch, epochs, lr=1e-3, alpha=1e-4, seed=0, fused=None,
               threads=None):
    """A plain torch training loop: Adam on shuffled mini-batches, float64 unless X is not.

    The same network and penalty as the other two: scikit-learn's alpha/2 ||W||^2 over a
    batch is a weight decay of alpha / batch on the weights (not the biases); as many threads
    as descend's (or `threads`). torch's own initialisation (Kaiming's uniform), its default
    Adam (a loop over the parameter tensors on the CPU) or, with fused=True, its fused kernel.
    """
    torch = _torch()
    torch.set_num_threads(threads or descend.get_num_threads())
    torch.manual_seed(seed)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in net.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam([{"params": weights, "weight_decay": alpha / batch},
                                  {"params": biases, "weight_decay": 0.0}], lr=lr, fused=fused)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        order = torch.randperm(len(yt))
        for start in range(0, len(yt), batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(net(Xt[rows]), yt[rows])
            loss.backward()
            optimizer.step()

    def predict(Z):
        with torch.no_grad():
            return net(torch.from_numpy(np.ascontiguousarray(Z, dtype=X.dtype))).argmax(1).numpy()
    return predict


def _torch_fit_fused(X, y, hidden, batch, epochs):
    return _torch_fit(X, y, hidden, batch, epochs, fused=True)


def _descend_fit(X, y, hidden, batch, epochs):
    clf = descend.neural_network.MLPClassifier(hidden, solver="adam", batch_size=batch,
                                               max_iter=epochs, tol=0.0,
                                               n_iter_no_change=epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    return clf.predict


def _sklearn_fit(X, y, hidden, batch, epochs):
    clf = _sklearn_mlp()(hidden, solver="adam", batch_size=batch, max_iter=epochs, tol=0.0,
                         n_iter_no_change=epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    return clf.predict


FITS = {"descend": _descend_fit, "sklearn": _sklearn_fit, "torch": _torch_fit,
        "torch-fused": _torch_fit_fused}


@pytest.mark.parametrize("library", list(FITS))
def test_digits_adam(benchmark, digits, library):
    X_train, X_test, y_train, y_test = digits
    fit = FITS[library]
    fit(X_train[:64], y_train[:64], (100,), 32, 1)  # imports and warm-up (skips a missing peer)
    benchmark.group = f"digits 64-100-10 ReLU, Adam, batch 32, {DIGITS_EPOCHS} epochs"
    predict = benchmark.pedantic(lambda: fit(X_train, y_train, (100,), 32, DIGITS_EPOCHS),
                                 rounds=1 if SMOKE else 3, iterations=1)
    accuracy = float(np.mean(predict(X_test) == y_test))
    benchmark.extra_info["test_accuracy"] = accuracy
    print(f"\n{library}: test accuracy {accuracy:.4f}")
    if not SMOKE:
        assert accuracy >= 0.95


@pytest.fixture(scope="module")
def mnist_shaped():
    """BIG_N x 784 synthetic rows in [0, 1] and 10 classes from a random linear teacher."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(BIG_N, 784))
    y = np.argmax(X @ rng.normal(size=(784, 10)), axis=1)
    return X, y


def _flops(n, sizes):
    """Multiply-adds x 2 of one epoch: forward, weight gradients and adjoints (6 n sum W)."""
    return 6.0 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("library", list(FITS))
def test_mnist_shaped_epoch(benchmark, mnist_shaped, library, dtype):
    X, y = mnist_shaped
    X = X.astype(dtype)
    fit = FITS[library]
    fit(X[:256], y[:256], (100, 100), 128, 1)
    benchmark.group = f"{BIG_N} x 784, (100, 100) ReLU, Adam, batch 128, one epoch"
    rounds = 1 if SMOKE else 3
    start, cpu = time.perf_counter(), time.process_time()
    predict = benchmark.pedantic(lambda: fit(X, y, (100, 100), 128, 1), rounds=rounds,
                                 iterations=1)
    # per epoch, the mean of the rounds (the benchmark's own min and median are per round)
    seconds = (time.perf_counter() - start) / rounds
    cpu = (time.process_time() - cpu) / rounds
    gflops = _flops(len(y), (784, 100, 100, 10)) / seconds / 1e9
    benchmark.extra_info["gflop_per_s"] = gflops
    benchmark.extra_info["cpu_seconds"] = cpu  # all threads: on a loaded machine, wall lies
    accuracy = float(np.mean(predict(X[:5000]) == y[:5000]))
    print(f"\n{library} {dtype}: {seconds:.3f} s ({cpu:.3f} CPU s), {gflops:.1f} GFLOP/s, "
          f"train accuracy {accuracy:.3f}")
    if not SMOKE:
        assert accuracy > 0.5  # one epoch learns the teacher well beyond chance (0.1)
