"""First-order family: rules, schedules and mini-batches against their numpy twins, the
lectures' momentum facts, reproducibility, streams, bad inputs."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import assert_close, make_classification, make_regression

import descend
from descend import reference

RULES = {
    "gd": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.8},
    "nesterov": {"lr": 0.05, "momentum": 0.8},
    "adagrad": {"lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "rmsprop": {"lr": 0.01, "alpha": 0.9},
    "adam": {"lr": 0.05, "betas": (0.8, 0.99)},
    "adamw": {"lr": 0.05, "weight_decay": 0.1},
}


def make_twin(kind, lr, **options):
    """The numpy twin of rule `kind`, with the library's defaults (the core's registry) for
    the hyperparameters not given; weight_decay is 0 unless given, as in minimize."""
    defaults = {k: v for k, v in descend.optimizers.RULE_DEFAULTS[kind].items()
                if k not in ("lr", "weight_decay")}
    return reference.Rule(kind, lr, **{**defaults, **options})


def twin_rule(method, options):
    kind = "gd" if method == "sgd" else method
    opts = {k: v for k, v in options.items() if k != "lr"}
    return make_twin(kind, options["lr"], **opts)


def problem(kind="ls", n=240):
    if kind == "ls":
        X, y, _ = make_regression(n=n, d=5, seed=1)
        return descend.LeastSquares(X, y, l2=0.01), reference.LeastSquares(X, y, l2=0.01)
    X, y, _ = make_classification(n=n, d=5, seed=1)
    return (descend.Logistic(X, y, fit_intercept=True),
            reference.Logistic(X, y, fit_intercept=True))


@pytest.mark.parametrize("method", list(RULES))
@pytest.mark.parametrize("kind", ["ls", "logistic"])
def test_full_batch_rule_matches_its_twin(method, kind):
    f, twin = problem(kind)
    x0 = np.full(f.n_params, 0.3)
    r = descend.minimize(f, x0, method=method, max_iter=25, tol=0.0, gtol=0.0, **RULES[method])
    x, losses = reference.run_full_batch(twin, x0, twin_rule(method, RULES[method]), 25)
    assert r.nit == 25
    assert_close(r.x, x)
    assert_close(r.history.loss, losses)


@pytest.mark.parametrize("method", list(RULES))
@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffled", "cyclic"])
def test_minibatch_rule_matches_its_twin(method, shuffle):
    f, twin = problem("logistic")
    n, epochs, batch = f.n_samples, 3, 32
    x0 = np.zeros(f.n_params)
    r = descend.minimize(f, x0, method=method, batch_size=batch, epochs=epochs,
                         shuffle=shuffle, seed=7, **RULES[method])
    orders = [descend.permutation(n, 7, e) if shuffle else np.arange(n) for e in range(epochs)]
    x, losses = reference.run_minibatch(twin, x0, twin_rule(method, RULES[method]), batch,
                                        epochs, orders)
    assert r.status == "completed" and not r.success and r.nit == epochs
    assert_close(r.x, x)
    assert_close(r.history.loss, losses)


def test_drop_last_and_per_coordinate_rates_match_the_twin():
    f, twin = problem("ls", n=100)
    lr = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    x0 = np.zeros(5)
    r = descend.minimize(f, x0, method="sgd", lr=lr, batch_size=30, epochs=4, drop_last=True,
                         seed=3)
    orders = [descend.permutation(100, 3, e) for e in range(4)]
    x, _ = reference.run_minibatch(twin, x0, reference.Rule("gd", lr), 30, 4, orders,
                                   drop_last=True)
    assert_close(r.x, x)


@pytest.mark.parametrize("name, make, params", [
    ("step", lambda: descend.schedules.step(2, 0.5), dict(step_size=2, gamma=0.5)),
    ("exponential", lambda: descend.schedules.exponential(0.8), dict(gamma=0.8)),
    ("inverse", lambda: descend.schedules.inverse(0.5, 2.0), dict(decay=0.5, power=2.0)),
    ("cosine", lambda: descend.schedules.cosine(6, 0.1), dict(period=6, min_factor=0.1)),
    ("constant", lambda: descend.schedules.constant(warmup=3), dict(warmup=3)),
    ("cosine", lambda: descend.schedules.cosine(6, warmup=2), dict(period=6, warmup=2)),
])
def test_schedules_match_their_twins(name, make, params):
    s = make()
    for t in range(12):
        assert s.factor(t) == pytest.approx(reference.schedule_factor(name, t, **params),
                                            rel=1e-15)
    f, twin = problem("ls")
    x0 = np.zeros(5)
    r = descend.minimize(f, x0, method="momentum", lr=0.05, schedule=s, batch_size=40,
                         epochs=5, seed=1)
    orders = [descend.permutation(f.n_samples, 1, e) for e in range(5)]
    x, _ = reference.run_minibatch(twin, x0, make_twin("momentum", 0.05), 40, 5, orders,
                                   factor=lambda e: reference.schedule_factor(name, e, **params))
    assert_close(r.x, x)
    assert_close(r.history.lr[1:], [0.05 * s.factor(e) for e in range(5)])


def test_start_large_and_reduce_is_one_argument():
    f, _ = problem("ls")
    r = descend.minimize(f, np.zeros(5), method="sgd", lr=0.1, schedule="inverse", epochs=4)
    assert_close(r.history.lr[1:], [0.1, 0.05, 0.1 / 3, 0.025])


def test_a_callable_schedule_is_called_once_per_epoch():
    calls = []

    def lr(t):
        calls.append(t)
        return 0.05 / (1 + t)

    f, _ = problem("ls")
    r = descend.minimize(f, np.zeros(5), method="sgd", lr=0.05, schedule=lr, batch_size=10,
                         epochs=3)
    assert calls == [0, 1, 2] and r.status == "completed"


@pytest.mark.parametrize("bad", [lambda t: -0.1, lambda t: float("nan"), lambda t: 0.0])
def test_a_schedule_returning_a_bad_rate_is_refused(bad):
    f, _ = problem("ls")
    with pytest.raises(ValueError, match="schedule gave a rate"):
        descend.minimize(f, np.zeros(5), method="sgd", schedule=bad, epochs=2)


def test_schedule_exceptions_propagate():
    def broken(t):
        raise KeyError("no rate")

    f, _ = problem("ls")
    with pytest.raises(KeyError, match="no rate"):
        descend.minimize(f, np.zeros(5), method="sgd", schedule=broken, epochs=2)


@pytest.mark.parametrize("mu", [0.5, 0.9])
def test_momentum_effective_rate_in_flat_and_oscillating_directions(mu):
    lr, steps = 0.01, 400
    flat = descend.optimizers.Momentum(lr=lr, momentum=mu)
    w = np.zeros(1)
    for _ in range(steps):
        before = w.copy()
        flat.step(w, np.array([1.0]))  # a constant gradient: a flat direction
    assert (before - w)[0] == pytest.approx(lr / (1 - mu), rel=1e-9)
    swing = descend.optimizers.Momentum(lr=lr, momentum=mu)
    w = np.zeros(1)
    for t in range(steps):
        before = w.copy()
        swing.step(w, np.array([(-1.0) ** t]))  # an alternating gradient: oscillation
    assert abs((w - before)[0]) == pytest.approx(lr / (1 + mu), rel=1e-9)


def test_same_seed_same_run_and_other_seed_other_batches():
    f, _ = problem("logistic")
    run = lambda seed: descend.minimize(f, np.zeros(6), method="adam", lr=0.05, batch_size=16,
                                        epochs=2, seed=seed)
    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert not np.array_equal(descend.permutation(50, 1, 0), descend.permutation(50, 2, 0))
    assert not np.array_equal(descend.permutation(50, 1, 0), descend.permutation(50, 1, 1))


def test_permutation_is_the_documented_generator():
    for n, seed, epoch in [(1, 0, 0), (7, 0, 0), (100, 12345, 3), (33, 2**63, 9)]:
        np.testing.assert_array_equal(descend.permutation(n, seed, epoch),
                                      reference.splitmix64_permutation(n, seed, epoch))


def test_batch_of_all_samples_equals_full_batch_gd():
    f, _ = problem("ls")
    full = descend.minimize(f, np.zeros(5), method="gd", lr=0.1, max_iter=6, tol=0.0, gtol=0.0)
    batch = descend.minimize(f, np.zeros(5), method="sgd", lr=0.1, batch_size=f.n_samples,
                             epochs=6)
    assert_close(batch.x, full.x)
    assert_close(batch.history.loss, full.history.loss)


def test_tol_patience_stops_and_the_epoch_limit_warns_once():
    f, _ = problem("ls")
    r = descend.minimize(f, np.zeros(5), method="sgd", lr=0.01, batch_size=8, epochs=200,
                         tol=1e-3, n_iter_no_change=3)
    # The tol rule ends the run early, but an SGD run at a constant rate is not at a
    # minimum: it stalls at the noise floor and says so (no success).
    assert r.status == "stalled" and r.nit < 200 and "tol" in r.message and not r.success
    assert "noise" in r.message
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(5):
            r = descend.minimize(f, np.zeros(5), method="sgd", lr=1e-4, batch_size=8, epochs=2,
                                 tol=1e-12)
    assert r.status == "max_iter" and not r.success and "epochs=2" in r.message
    found = [w for w in caught if issubclass(w.category, descend.ConvergenceWarning)]
    assert len(found) == 1 and str(found[0].message).startswith("sgd:")


def test_best_iterate_is_kept():
    f, _ = problem("logistic")
    r = descend.minimize(f, np.zeros(6), method="sgd", lr=2.0, batch_size=1, epochs=5)
    assert r.fun_best == pytest.approx(min(r.history.loss[1:]) if
                                       min(r.history.loss[1:]) < r.history.loss[0]
                                       else r.history.loss[0])
    assert f.value(r.x_best) == pytest.approx(r.fun_best)
    assert descend.minimize(f, np.zeros(6), method="gd").x_best is None


def test_best_iterate_with_running_losses_is_never_held_to_one_lucky_batch():
    # With epoch_loss="running" the start's loss is the first batch's. Here that batch is
    # one row whose loss at x0 is 0; the epochs' mean losses are larger, yet x_best must be
    # an epoch's end, not x0.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.normal(size=200)
    first = int(descend.permutation(200, seed=0, epoch=0)[0])
    y[first] = 0.0
    X[first] = 0.0
    f = descend.LeastSquares(X, y)
    r = descend.minimize(f, np.zeros(3), method="sgd", lr=0.01, epochs=5, seed=0,
                         epoch_loss="running")
    assert r.history.loss[0] == 0.0
    assert r.fun_best == pytest.approx(min(r.history.loss[1:]))
    assert np.linalg.norm(r.x_best) > 1.0


def test_minibatch_divergence_is_reported():
    f, _ = problem("ls")
    r = descend.minimize(f, np.zeros(5), method="sgd", lr=50.0, batch_size=4, epochs=50)
    assert r.status == "diverged" and not r.success and "learning rate" in r.message


def test_callback_runs_once_per_epoch():
    f, _ = problem("ls")
    seen = []
    descend.minimize(f, np.zeros(5), method="sgd", batch_size=10, epochs=4,
                     callback=lambda info: seen.append(info.nit))
    assert seen == [1, 2, 3, 4]


def test_streaming_training_keeps_the_state_between_batches():
    # One optimizer, an objective built on each incoming batch: the same as a loop over them.
    X, y, coef = make_regression(n=600, d=4, seed=9)
    opt = descend.optimizers.Momentum(lr=0.05, momentum=0.9)
    twin = reference.Rule("momentum", 0.05, momentum=0.9)
    w, w_twin = np.zeros(4), np.zeros(4)
    for start in list(range(0, 600, 20)) * 3:  # the stream: 90 batches of 20 rows
        batch = descend.LeastSquares(X[start:start + 20], y[start:start + 20])
        opt.step(w, batch.gradient(w))
        w_twin = twin.step(w_twin, batch.gradient(w_twin))
    assert_close(w, w_twin)
    assert np.abs(w - coef).max() < 0.05
    restored = pickle.loads(pickle.dumps(opt))
    a, b = w.copy(), w.copy()
    g = np.ones(4)
    opt.step(a, g)
    restored.step(b, g)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls, kwargs, kind, twin_kwargs", [
    (descend.optimizers.SGD, dict(lr=0.1, weight_decay=0.01), "gd", dict(weight_decay=0.01)),
    (descend.optimizers.Momentum, dict(lr=0.1, momentum=0.5), "momentum", dict(momentum=0.5)),
    (descend.optimizers.SGD, dict(lr=0.1, momentum=0.5, nesterov=True), "nesterov",
     dict(momentum=0.5)),
    (descend.optimizers.AdaGrad, dict(lr=0.1), "adagrad", {}),
    (descend.optimizers.RMSProp, dict(lr=0.1), "rmsprop", {}),
    (descend.optimizers.Adam, dict(lr=0.1), "adam", {}),
    (descend.optimizers.AdamW, dict(lr=0.1), "adamw", dict(weight_decay=0.01)),
])
def test_steppers_match_the_twin_and_reset(cls, kwargs, kind, twin_kwargs):
    opt = cls(**kwargs)
    twin_ = make_twin(kind, kwargs["lr"], **twin_kwargs)
    r = np.random.default_rng(0)
    w, w_twin = np.ones(6), np.ones(6)
    for _ in range(10):
        g = r.normal(size=6)
        opt.step(w, g)
        w_twin = twin_.step(w_twin, g)
    assert_close(w, w_twin)
    state = opt.state_dict()
    opt.zero_state()
    fresh, fresh_twin = np.ones(6), np.ones(6)
    opt.step(fresh, np.ones(6))
    make_twin(kind, kwargs["lr"], **twin_kwargs).step(fresh_twin, np.ones(6))
    opt.load_state_dict(state)
    assert "hyperparameters" in state and repr(opt).startswith(type(opt).__name__)


@pytest.mark.parametrize("params, grad, error, match", [
    (np.ones(3)[::2], np.ones(2), TypeError, "params must be a contiguous"),
    (np.ones(3, dtype=np.float32), np.ones(3), TypeError, "params must be a contiguous"),
    ([1.0, 2.0, 3.0], np.ones(3), TypeError, "params must be a contiguous"),
    (np.ones(3), np.ones(4), ValueError, "grad must have the length"),
    (np.ones(3), np.ones(3, dtype=np.int64), TypeError, "grad must be a contiguous"),
])
def test_stepper_bad_arrays(params, grad, error, match):
    with pytest.raises(error, match=match):
        descend.optimizers.Adam().step(params, grad)


def test_stepper_refuses_read_only_params():
    w = np.ones(3)
    w.flags.writeable = False
    with pytest.raises(ValueError, match="not writable"):
        descend.optimizers.SGD(lr=0.1).step(w, np.ones(3))


@pytest.mark.parametrize("make, error, match", [
    (lambda: descend.optimizers.Momentum(momentum=1.0), ValueError, "momentum must be"),
    (lambda: descend.optimizers.Momentum(momentum=-0.1), ValueError, "momentum must be"),
    (lambda: descend.optimizers.Adam(betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be"),
    (lambda: descend.optimizers.Adam(betas=(-0.1, 0.9)), ValueError, r"betas\[0\] must be"),
    (lambda: descend.optimizers.Adam(eps=0.0), ValueError, "eps must be > 0"),
    (lambda: descend.optimizers.RMSProp(alpha=1.0), ValueError, "alpha must be"),
    (lambda: descend.optimizers.SGD(lr=0.0), ValueError, "lr must be > 0"),
    (lambda: descend.optimizers.SGD(lr=[0.1, -1.0]), ValueError, "lr must hold"),
    (lambda: descend.optimizers.AdaGrad(lr_decay=-1.0), ValueError, "lr_decay must be"),
])
def test_optimizer_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("options, error, match", [
    ({"method": "sgd", "batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"method": "sgd", "batch_size": 10_000}, ValueError, "batch_size must be <= n_samples"),
    ({"method": "sgd", "batch_size": 2.5}, TypeError, "batch_size must be an integer"),
    ({"method": "momentum", "momentum": 1.0}, ValueError, "momentum must be"),
    ({"method": "momentum", "momentum": -0.5}, ValueError, "momentum must be"),
    ({"method": "adam", "betas": (0.9, 1.5)}, ValueError, r"betas\[1\] must be"),
    ({"method": "adam", "betas": 0.9}, TypeError, "betas must be a pair"),
    ({"method": "adam", "eps": 0.0}, ValueError, "eps must be > 0"),
    ({"method": "rmsprop", "eps": -1.0}, ValueError, "eps must be > 0"),
    ({"method": "sgd", "epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"method": "sgd", "seed": -1}, ValueError, "seed must be >= 0"),
    ({"method": "sgd", "shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    ({"method": "gd", "lr": [0.1, 0.2]}, ValueError, "one rate per parameter"),
    ({"method": "gd", "schedule": "linear"}, ValueError, "schedule must be one of"),
    ({"method": "gd", "schedule": 3}, TypeError, "schedule must be"),
    ({"method": "gd", "line_search": "armijo", "batch_size": 4}, ValueError,
     "line_search works on the full batch"),
])
def test_minimize_first_order_bad_options(options, error, match):
    f, _ = problem("ls")
    with pytest.raises(error, match=match):
        descend.minimize(f, np.zeros(5), **options)


def test_batches_need_a_data_objective():
    with pytest.raises(ValueError, match="sum over samples"):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], method="sgd")


@pytest.mark.parametrize("make, match", [
    (lambda: descend.schedules.step(0), "step_size must be >= 1"),
    (lambda: descend.schedules.exponential(1.5), "gamma must be <= 1"),
    (lambda: descend.schedules.inverse(power=0.0), "power must be > 0"),
    (lambda: descend.schedules.cosine(min_factor=2.0), "min_factor must be <= 1"),
    (lambda: descend.schedules.constant(warmup=-1), "warmup must be >= 0"),
    (lambda: descend.permutation(0, 0, 0), "n must be >= 1"),
])
def test_schedule_and_permutation_bad_inputs(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_running_epoch_loss_needs_no_extra_pass():
    f, _ = problem("ls")
    full = descend.minimize(f, np.zeros(5), method="sgd", lr=0.01, batch_size=10, epochs=3)
    running = descend.minimize(f, np.zeros(5), method="sgd", lr=0.01, batch_size=10, epochs=3,
                               epoch_loss="running")
    np.testing.assert_array_equal(full.x, running.x)  # the same steps
    assert running.nfev == 0 and full.nfev == 4  # not even a pass over all the rows at x0
    assert np.isnan(running.history.grad_norm).all()
    assert running.history.loss[-1] > 0
    # The start's entry is the first batch's loss at x0 (the batch of epoch 0's order), and
    # its gradient made the first step: the first epoch's running loss counts that batch.
    first = descend.permutation(f.n_samples, 0, 0)[:10]
    start, _ = f.batch_value_and_gradient(np.zeros(5), first)
    assert running.history.loss[0] == start
    assert full.history.loss[0] == pytest.approx(f.value(np.zeros(5)), rel=1e-12)
    assert running.history.loss[0] != full.history.loss[0]
    unshuffled = descend.minimize(f, np.zeros(5), method="sgd", lr=0.01, batch_size=10,
                                  epochs=1, shuffle=False, epoch_loss="running")
    assert unshuffled.history.loss[0] == f.batch_value_and_gradient(np.zeros(5),
                                                                    np.arange(10))[0]
    with pytest.raises(ValueError, match="epoch_loss must be one of"):
        descend.minimize(f, np.zeros(5), method="sgd", epoch_loss="exact")


# --- each rule's defaults and checks are defined once, in the core ---------------------------

def test_rule_defaults_come_from_the_core_registry():
    """optimizers' signatures, minimize's options and the registry agree (minimize's own
    choices aside: gd's lr 0.1, no weight decay unless asked)."""
    import inspect

    from descend import _core
    from descend._first_order import RULE_OPTIONS

    table = descend.optimizers.RULE_DEFAULTS
    assert list(table) == _core.rule_kinds() == ["gd", "momentum", "nesterov", "adagrad",
                                                 "rmsprop", "adam", "adamw"]
    classes = {"gd": descend.optimizers.SGD, "momentum": descend.optimizers.Momentum,
               "nesterov": descend.optimizers.Nesterov, "adagrad": descend.optimizers.AdaGrad,
               "rmsprop": descend.optimizers.RMSProp, "adam": descend.optimizers.Adam,
               "adamw": descend.optimizers.AdamW}
    for kind, cls in classes.items():
        signature = inspect.signature(cls.__init__).parameters
        for name, default in table[kind].items():
            assert signature[name].default == default, (kind, name)
        for name, option in RULE_OPTIONS[kind].items():
            expected = 0.1 if (kind, name) == ("gd", "lr") else table[kind][name]
            assert option.default == expected, (kind, name)
    assert "weight_decay" not in RULE_OPTIONS["adamw"]  # COMMON's, default 0


@pytest.mark.parametrize("field, value, match", [
    ("momentum", 1.0, r"momentum must be in \[0, 1\)"),
    ("alpha", -0.1, r"alpha must be in \[0, 1\)"),
    ("beta2", 1.0, r"betas\[1\] must be in \[0, 1\)"),
    ("eps", 0.0, "eps must be > 0"),
    ("eps", np.inf, "eps must be > 0 and finite"),
    ("weight_decay", -1.0, "weight_decay must be >= 0"),
    ("lr_decay", np.nan, "lr_decay must be >= 0"),
    ("initial_accumulator_value", -1.0, "initial_accumulator_value must be >= 0"),
    ("lr", np.array([0.1, -0.1]), "lr must be > 0"),
    ("lr", np.array([]), "lr must hold at least one rate"),
    ("kind", "sgd", "unknown update rule 'sgd'; the rules are gd, momentum"),
])
def test_the_core_registry_refuses_bad_hyperparameters(field, value, match):
    """The backstop: the compiled module refuses what the Python layer refuses, by itself."""
    from descend import _core

    p = _core.rule_defaults("adam")
    setattr(p, field, value)
    with pytest.raises(ValueError, match=match):
        _core.Stepper(p)


def test_the_core_checks_a_step_and_the_minibatch_options():
    from descend import _core

    p = _core.rule_defaults("gd")
    p.lr = np.array([0.1, 0.2])
    stepper = _core.Stepper(p)
    with pytest.raises(ValueError, match=r"one rate per parameter \(3\), got 2"):
        stepper.step(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        stepper.step(np.ones(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="grad contains NaN"):
        stepper.step(np.ones(2), np.array([1.0, np.nan]))
    batch = _core.MinibatchParams()
    batch.check()
    for field, value, match in [("batch_size", 0, "batch_size must be >= 1"),
                                ("epochs", 0, "epochs must be >= 1"),
                                ("tol", np.nan, "tol must be a number"),
                                ("gtol", -1.0, "gtol must be >= 0")]:
        bad = _core.MinibatchParams()
        setattr(bad, field, value)
        with pytest.raises(ValueError, match=match):
            bad.check()


def test_rule_params_and_steppers_pickle():
    from descend import _core

    p = descend.optimizers.rule_params("adam", lr=[0.1, 0.2], betas=(0.8, 0.9))
    q = pickle.loads(pickle.dumps(p))
    assert (q.kind, q.lr.tolist(), q.beta1, q.beta2) == ("adam", [0.1, 0.2], 0.8, 0.9)
    stepper = _core.Stepper(q)
    w = np.ones(2)
    stepper.step(w, np.ones(2))
    again = pickle.loads(pickle.dumps(stepper))
    assert again.state()["t"] == 1 and again.params().beta1 == 0.8
    with pytest.raises(TypeError, match="no hyperparameter"):
        descend.optimizers.rule_params("gd", momentum=0.5)
