"""Mini-batch rules over dask chunks: the documented order, the state carried, the twin."""

import numpy as np
import pytest
from conftest import make_classification, make_regression

import descend
from descend import reference

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import descend.dask as ddk  # noqa: E402

CHUNKS = (40, 7, 1, 52)


def test_epoch_batches_follow_the_documented_order():
    k, seed, epoch = len(CHUNKS), 3, 2
    batches = ddk.epoch_batches(CHUNKS, 8, seed, epoch)
    offsets = np.concatenate([[0], np.cumsum(CHUNKS)[:-1]])
    expected = []
    for c in descend.permutation(k, seed, epoch).tolist():
        rows = offsets[c] + descend.permutation(CHUNKS[c], ddk.row_seed(seed, epoch, c, k), 0) \
            if CHUNKS[c] > 1 else np.array([offsets[c]])
        expected += [rows[b:b + 8] for b in range(0, CHUNKS[c], 8)]
    assert len(batches) == len(expected)
    for a, b in zip(batches, expected):
        np.testing.assert_array_equal(a, b)
    every = np.sort(np.concatenate(batches))
    np.testing.assert_array_equal(every, np.arange(sum(CHUNKS)))  # each row once an epoch
    # A batch never spans two chunks; drop_last skips each chunk's short batch.
    ends = np.cumsum(CHUNKS)
    for b in batches:
        assert np.searchsorted(ends, b.min(), side="right") == \
            np.searchsorted(ends, b.max(), side="right")
    kept = ddk.epoch_batches(CHUNKS, 8, seed, epoch, drop_last=True)
    assert all(len(b) == 8 for b in kept) and len(kept) == 5 + 0 + 0 + 6
    assert ddk.epoch_batches(CHUNKS, 8, seed, epoch + 1)[0].tolist() != batches[0].tolist()


RULES = {
    "sgd": (dict(lr=0.05), lambda: reference.Rule("gd", 0.05)),
    "momentum": (dict(lr=0.02, momentum=0.9),
                 lambda: reference.Rule("momentum", 0.02, momentum=0.9)),
    "adam": (dict(lr=0.01), lambda: reference.Rule("adam", 0.01, eps=1e-8,
                                                   betas=(0.9, 0.999))),
}


def _problem(kind, weighted):
    if kind == "ls":
        X, y, _ = make_regression(n=sum(CHUNKS), d=4, seed=8)
        cls, twin, dcls = descend.LeastSquares, reference.LeastSquares, ddk.LeastSquares
    else:
        X, y, _ = make_classification(n=sum(CHUNKS), d=4, seed=8)
        cls, twin, dcls = descend.Logistic, reference.Logistic, ddk.Logistic
    sw = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y)) if weighted else None
    opts = dict(l2=0.01, fit_intercept=True, sample_weight=sw)
    return X, y, opts, cls, twin, dcls


@pytest.mark.parametrize("method", list(RULES))
@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_minibatch_replays_its_numpy_twin(method, kind, weighted):
    X, y, opts, cls, twin_cls, dcls = _problem(kind, weighted)
    f = dcls(da.from_array(X, chunks=(CHUNKS, 4)), y, scheduler="threads", **opts)
    options, make_rule = RULES[method]
    r = ddk.minibatch(f, np.zeros(5), method, batch_size=8, epochs=3, seed=5, **options)
    twin = twin_cls(X, y, **opts)
    x, losses = ddk.replay(twin, np.zeros(5), make_rule(), CHUNKS, 8, 3, seed=5)
    # The rule's state crosses the chunks: a run that restarted it per chunk would differ.
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.history.loss, losses, rtol=1e-10)
    assert r.status == "completed" and r.nit == 3 and len(r.history) == 4


def test_minibatch_with_a_schedule_drop_last_and_streaming():
    X, y, opts, cls, twin_cls, dcls = _problem("logistic", False)
    f = dcls(da.from_array(X, chunks=(CHUNKS, 4)), y, scheduler="sync", persist=False, **opts)
    r = ddk.minibatch(f, np.zeros(5), "momentum", lr=0.05, momentum=0.5, batch_size=8,
                      epochs=4, seed=1, drop_last=True, schedule=descend.schedules.step(2, 0.5),
                      epoch_loss="running")
    x, _ = ddk.replay(twin_cls(X, y, **opts), np.zeros(5),
                      reference.Rule("momentum", 0.05, momentum=0.5), CHUNKS, 8, 4, seed=1,
                      drop_last=True, factor=lambda e: 0.5 ** (e // 2))
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-12)
    assert np.isfinite(r.history.loss).all()


def test_minibatch_keeps_a_given_stepper_and_refuses_what_it_cannot_apply():
    X, y, opts, cls, twin_cls, dcls = _problem("ls", False)
    f = dcls(da.from_array(X, chunks=(CHUNKS, 4)), y, scheduler="sync", **opts)
    stepper = descend.optimizers.make_stepper("adam", lr=0.01)
    a = ddk.minibatch(f, np.zeros(5), "adam", stepper=stepper, lr=0.01, batch_size=8, epochs=1)
    assert stepper.state()  # left where the run ended
    b = ddk.minibatch(f, a.x, "adam", stepper=stepper, lr=0.01, batch_size=8, epochs=1)
    both = ddk.minibatch(f, np.zeros(5), "adam", lr=0.01, batch_size=8, epochs=1, seed=0)
    assert not np.allclose(b.x, a.x) and np.allclose(a.x, both.x)
    with pytest.raises(TypeError, match="cannot apply: constraint"):
        ddk.minibatch(f, np.zeros(5), "sgd", batch_size=8, constraint=descend.constraints.Ball(1.0))
    with pytest.raises(ValueError, match="batch_size must be given"):
        ddk.minibatch(f, np.zeros(5), "momentum")  # sgd has batch_size=1 by default
    with pytest.raises(ValueError, match="method must be one of"):
        ddk.minibatch(f, np.zeros(5), "newton", batch_size=8)
    with pytest.raises(TypeError, match="descend.dask objective"):
        ddk.minibatch(descend.LeastSquares(X, y), np.zeros(5), "sgd", batch_size=8)
    r = ddk.minibatch(f, np.zeros(5), "sgd", lr=1e10, batch_size=8, epochs=3)
    assert r.status == "diverged"
