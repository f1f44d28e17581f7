"""Plain SGD steps row by row (solvers/row_steps.hpp): on a linear model with row-major dense
or CSR rows, each step is one margin, one loss slope and one axpy, with the weights held
scaled (w = C v). The iterates are the dense update's: the numpy twin's loop, step for step
(1e-10 in float64), for every loss, penalty, intercept, sample weight, batch length, rate
decay and weight decay; and the same as the generic path's (column-major X, which steps
through the batch gradient)."""

import numpy as np
import pytest

import descend
from descend import _core, reference
from descend._minimize import _METHODS
from descend.linear_model._sgd import _run_epochs
from descend.optimizers import make_stepper

sparse = pytest.importorskip("scipy.sparse")

N, D = 157, 9


def _data(kind, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(N, D))
    X[:, 2] *= 3.0
    z = X @ r.normal(size=D)
    if kind == "regression":
        return X, z + 0.3 * r.normal(size=N)
    return X, (z + 0.5 * r.normal(size=N) > 0).astype(float)


# (the objective's constructor, its twin's, the data kind)
OBJECTIVES = {
    "least_squares": (descend.LeastSquares, reference.LeastSquares, "regression"),
    "logistic": (descend.Logistic, reference.Logistic, "classification"),
    "hinge": (lambda *a, **k: descend.objectives.LinearLoss(*a, loss="hinge", **k),
              lambda *a, **k: reference.LinearLoss(*a, loss="hinge", **k), "classification"),
    "modified_huber": (
        lambda *a, **k: descend.objectives.LinearLoss(*a, loss="modified_huber", **k),
        lambda *a, **k: reference.LinearLoss(*a, loss="modified_huber", **k), "classification"),
    "huber": (lambda *a, **k: descend.objectives.LinearLoss(*a, loss="huber", epsilon=0.5, **k),
              lambda *a, **k: reference.LinearLoss(*a, loss="huber", epsilon=0.5, **k),
              "regression"),
    "epsilon_insensitive": (
        lambda *a, **k: descend.objectives.LinearLoss(*a, loss="epsilon_insensitive", **k),
        lambda *a, **k: reference.LinearLoss(*a, loss="epsilon_insensitive", **k),
        "regression"),
}

PENALTIES = [{}, {"l2": 0.05}, {"l1": 0.01}, {"l2": 0.03, "l1": 0.004}]

# (minimize's options of the rule, the twin rule's)
RULES = [
    (dict(lr=0.05), dict()),
    (dict(lr=0.2, lr_decay=0.05), dict(lr_decay=0.05)),
    (dict(lr=0.1, lr_decay=1.0, lr_power=0.25), dict(lr_decay=1.0, lr_power=0.25)),
    (dict(lr=0.05, weight_decay=0.1), dict(weight_decay=0.1)),
]


def _layouts(X, layout):
    if layout == "dense":
        return X
    if layout == "dense32":
        return X.astype(np.float32)
    if layout == "fortran":
        return np.asfortranarray(X)
    return sparse.csr_matrix(X)


def _replay(twin, options, twin_options, batch, epochs, seed=3):
    orders = [descend.permutation(N, seed, e) for e in range(epochs)]
    rule = reference.Rule("gd", options["lr"], **twin_options)
    x, _ = reference.run_minibatch(twin, np.zeros(twin.n_params), rule, batch, epochs, orders)
    return x


@pytest.mark.parametrize("name", list(OBJECTIVES))
@pytest.mark.parametrize("penalty", PENALTIES, ids=["none", "l2", "l1", "l2+l1"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("batch", [1, 6])
def test_row_steps_replay_the_twin(name, penalty, weighted, batch):
    make, make_twin, kind = OBJECTIVES[name]
    X, y = _data(kind)
    s = np.random.default_rng(7).uniform(0.2, 3.0, size=N) if weighted else None
    twin = make_twin(X, y, fit_intercept=True, sample_weight=s, **penalty)
    for options, twin_options in RULES[:2] if batch == 1 else RULES[:1]:
        expected = _replay(twin, options, twin_options, batch, 3)
        for layout in ("dense", "csr", "fortran"):
            f = make(_layouts(X, layout), y, fit_intercept=True, sample_weight=s, **penalty)
            r = descend.minimize(f, np.zeros(f.n_params), method="sgd", batch_size=batch,
                                 epochs=3, seed=3, epoch_loss="running", **options)
            np.testing.assert_allclose(r.x, expected, rtol=0, atol=1e-10, err_msg=layout)


@pytest.mark.parametrize("options, twin_options", RULES, ids=["constant", "optimal-like",
                                                              "invscaling", "weight_decay"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["b", "no_b"])
@pytest.mark.parametrize("layout", ["dense", "dense32", "csr"])
def test_rates_decays_and_layouts(options, twin_options, fit_intercept, layout):
    X, y = _data("classification", seed=1)
    twin = reference.Logistic(X, y, l2=0.02, fit_intercept=fit_intercept)
    expected = _replay(twin, options, twin_options, 1, 4)
    f = descend.Logistic(_layouts(X, layout), y.astype(np.float32) if layout == "dense32" else y,
                         l2=0.02, fit_intercept=fit_intercept)
    r = descend.minimize(f, np.zeros(f.n_params), method="sgd", batch_size=1, epochs=4, seed=3,
                         epoch_loss="running", **options)
    tol = 1e-4 * np.abs(expected).max() if layout == "dense32" else 1e-10
    np.testing.assert_allclose(r.x, expected, rtol=0, atol=tol)


@pytest.mark.parametrize("penalty", PENALTIES, ids=["none", "l2", "l1", "l2+l1"])
def test_the_running_loss_adds_the_penalty_at_each_step_on_dense_rows(penalty):
    # The running epoch loss is the mean of the batch losses, each with the penalties at its
    # own point, as the batch calls give it: the row steps (C-order X) and the batch calls
    # (Fortran-order X, the generic path) report the same loss, and the tol rule sees it.
    X, y = _data("classification", seed=2)
    runs = []
    for layout in ("dense", "fortran"):
        f = descend.Logistic(_layouts(X, layout), y, fit_intercept=True, **penalty)
        runs.append(descend.minimize(f, np.zeros(f.n_params), method="sgd", lr=0.1,
                                     lr_decay=0.01, batch_size=1, epochs=5, seed=9,
                                     epoch_loss="running"))
    np.testing.assert_allclose(runs[0].history.loss, runs[1].history.loss, rtol=1e-12)
    np.testing.assert_allclose(runs[0].x, runs[1].x, rtol=0, atol=1e-12)
    # The start is the first batch's loss at x0, the first epoch's the mean of its batches.
    f = descend.Logistic(X, y, fit_intercept=True, **penalty)
    first = descend.permutation(N, 9, 0)[0]
    value, _ = f.batch_value_and_gradient(np.zeros(f.n_params), np.array([first]))
    assert runs[0].history.loss[0] == pytest.approx(value, rel=1e-14)


def test_a_strong_decay_restarts_the_scale_and_stays_exact():
    # lr l2 = 0.45: C falls below 1e-200 after ~770 steps and is written back mid-epoch.
    r = np.random.default_rng(5)
    X = r.normal(size=(1200, 6))
    y = (X @ r.normal(size=6) > 0).astype(float)
    twin = reference.Logistic(X, y, l2=0.9, fit_intercept=True)
    orders = [descend.permutation(1200, 1, e) for e in range(2)]
    expected, _ = reference.run_minibatch(twin, np.zeros(7), reference.Rule("gd", 0.5), 1, 2,
                                          orders)
    for layout in ("dense", "csr"):
        f = descend.Logistic(_layouts(X, layout), y, l2=0.9, fit_intercept=True)
        res = descend.minimize(f, np.zeros(7), method="sgd", lr=0.5, batch_size=1, epochs=2,
                               seed=1, epoch_loss="running")
        np.testing.assert_allclose(res.x, expected, rtol=1e-10, atol=1e-13)


def test_a_rate_that_would_flip_the_scale_steps_densely():
    # lr l2 = 1.2 > 1: a = 1 - lr l2 < 0, no scaled form; the epoch takes the generic path,
    # which still replays the twin.
    X, y = _data("regression", seed=4)
    twin = reference.LeastSquares(X, y, l2=2.0)
    orders = [descend.permutation(N, 2, 0)]
    expected, _ = reference.run_minibatch(twin, np.zeros(D), reference.Rule("gd", 0.6), 1, 1,
                                          orders)
    f = descend.LeastSquares(X, y, l2=2.0)
    res = descend.minimize(f, np.zeros(D), method="sgd", lr=0.6, batch_size=1, epochs=1, seed=2,
                           epoch_loss="running")
    np.testing.assert_allclose(res.x, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_averaged_row_steps_keep_the_mean_of_the_iterates(layout):
    # IterateAverage forwards the row steps: the mean of w_t (t >= start), the weights read
    # through the scale, the intercept as itself.

    X, y = _data("classification", seed=6)
    f = descend.Logistic(_layouts(X, layout), y, l2=0.01, fit_intercept=True)
    start, epochs = 40, 2
    averaged = _core.IterateAverage(f, start)
    options = _METHODS["gd"].parse({"lr": 0.1, "lr_decay": 0.01, "batch_size": 1,
                                    "epochs": epochs, "seed": 8, "epoch_loss": "running",
                                    "tol": None})
    raw = _run_epochs(averaged, np.zeros(D + 1), make_stepper("gd", lr=0.1, lr_decay=0.01),
                      options)
    # The twin: every iterate after steps start.. of the same run.
    twin = reference.Logistic(X, y, l2=0.01, fit_intercept=True)
    rule = reference.Rule("gd", 0.1, lr_decay=0.01)
    x, iterates = np.zeros(D + 1), []
    for e in range(epochs):
        order = descend.permutation(N, 8, e)
        for i in order:
            _, g = twin.batch_value_and_gradient(x, [i])
            x = rule.step(x, np.asarray(g))
            iterates.append(x)
    mean = np.mean(iterates[start - 1:], axis=0)
    np.testing.assert_allclose(raw["x"], x, rtol=0, atol=1e-10)
    np.testing.assert_allclose(averaged.average(raw["x"]), mean, rtol=0, atol=1e-10)
