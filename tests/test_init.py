"""Initialisers: distributions, reproducibility, bad inputs."""

import numpy as np
import pytest

import descend


@pytest.mark.parametrize("fan_in", [10, 64, 500])
def test_he_variance_is_two_over_fan_in(fan_in):
    w = descend.init.he(fan_in, 100_000, seed=1)
    # The sample variance of n normal draws has relative standard error sqrt(2/n) ~ 0.0045.
    assert w.var() == pytest.approx(2.0 / fan_in, rel=0.03)
    assert abs(w.mean()) < 4 * np.sqrt(2.0 / fan_in / 100_000)


def test_uniform_normal_glorot_and_bias():
    u = descend.init.uniform((200, 300), eps=0.2, seed=0)
    assert u.shape == (200, 300) and np.abs(u).max() <= 0.2
    assert u.var() == pytest.approx(0.2 ** 2 / 3, rel=0.03)
    n = descend.init.normal(50_000, eps=0.3, seed=0)
    assert n.std() == pytest.approx(0.3, rel=0.03)
    g = descend.init.glorot(30, 20, seed=0)
    assert g.shape == (20, 30) and np.abs(g).max() <= np.sqrt(6 / 50)
    assert descend.init.bias((2, 2), 0.1).tolist() == [[0.1, 0.1], [0.1, 0.1]]


def test_seeds_reproduce_and_differ():
    a = descend.init.he(8, (4, 8), seed=3)
    np.testing.assert_array_equal(a, descend.init.he(8, (4, 8), seed=3))
    assert not np.array_equal(a, descend.init.he(8, (4, 8), seed=4))


@pytest.mark.parametrize("call, error, match", [
    (lambda: descend.init.he(0, 3), ValueError, "fan_in must be >= 1"),
    (lambda: descend.init.he(2.5, 3), TypeError, "fan_in must be an integer"),
    (lambda: descend.init.uniform(3, eps=0.0), ValueError, "eps must be > 0"),
    (lambda: descend.init.normal((2, 0)), ValueError, "shape must be >= 1"),
    (lambda: descend.init.normal("big"), TypeError, "shape must be"),
    (lambda: descend.init.uniform(3, seed=-1), ValueError, "seed must be >= 0"),
    (lambda: descend.init.bias(3, value=-1.0), ValueError, "value must be >= 0"),
    (lambda: descend.init.glorot(3, 0), ValueError, "fan_out must be >= 1"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
