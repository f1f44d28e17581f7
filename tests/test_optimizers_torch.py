"""The steppers give torch.optim's numbers (the issue's promise to a user who switches).

Skipped when torch is not installed. Each case runs 25 steps from the same start with the same
random gradients (and weight decay where the rule takes one) in float64 and compares the iterates.
"""

import numpy as np
import pytest

import descend.optimizers as opt

torch = pytest.importorskip("torch")

CASES = [
    (opt.SGD, dict(lr=0.1), torch.optim.SGD, dict(lr=0.1)),
    (opt.SGD, dict(lr=0.1, weight_decay=0.05), torch.optim.SGD, dict(lr=0.1, weight_decay=0.05)),
    # The lectures' momentum (dw = -lr g + mu dw) equals torch's (buf = mu buf + g) at constant lr.
    (opt.Momentum, dict(lr=0.1, momentum=0.9), torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (opt.SGD, dict(lr=0.1, momentum=0.5, nesterov=True), torch.optim.SGD,
     dict(lr=0.1, momentum=0.5, nesterov=True)),
    (opt.AdaGrad, dict(lr=0.1), torch.optim.Adagrad, dict(lr=0.1)),
    (opt.AdaGrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.5),
     torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.02,
                               initial_accumulator_value=0.5)),
    (opt.RMSProp, dict(lr=0.01), torch.optim.RMSprop, dict(lr=0.01)),
    (opt.RMSProp, dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01), torch.optim.RMSprop,
     dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01)),
    (opt.Adam, dict(lr=0.01), torch.optim.Adam, dict(lr=0.01)),
    (opt.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01), torch.optim.Adam,
     dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    (opt.AdamW, dict(lr=0.01), torch.optim.AdamW, dict(lr=0.01)),
    (opt.AdamW, dict(lr=0.01, weight_decay=0.1), torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("ours, kwargs, theirs, torch_kwargs", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_stepper_matches_torch_optim(ours, kwargs, theirs, torch_kwargs):
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=10)
    w = w0.copy()
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    step, reference = ours(**kwargs), theirs([p], **torch_kwargs)
    for _ in range(25):
        g = rng.normal(size=10)
        step.step(w, g)
        p.grad = torch.tensor(g, dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert not np.allclose(w, w0)  # the steps moved the parameters


# Adam's compiled step takes the square root on the FMA units when all four lanes of a block
# lie in float's range and on the divider otherwise; these cases put both in one vector, and a
# partial last block (67 = 16 blocks of four and 3).
@pytest.mark.parametrize("ours, theirs, kwargs", [
    (opt.Adam, torch.optim.Adam, dict(lr=0.01)),
    (opt.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
], ids=["adam", "adamw"])
def test_adam_over_every_magnitude_matches_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(5)
    n = 67
    scales = 10.0 ** rng.uniform(-30.0, 30.0, size=n)  # v = g^2 from 1e-60 to 1e60
    scales[::9] = 0.0  # and exact zeros: v = 0, a step of 0
    w0 = rng.normal(size=n)
    w = w0.copy()
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    step, reference = ours(**kwargs), theirs([p], **kwargs)
    for _ in range(25):
        g = scales * rng.normal(size=n)
        step.step(w, g)
        p.grad = torch.tensor(g, dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert not np.allclose(w, w0)


def test_adam_large_vector_same_bits_on_any_threads_and_matches_torch():
    """From 2**18 parameters a step is split over the threads: the split changes no bit."""
    import descend

    rng = np.random.default_rng(6)
    n = 300_007
    w0 = rng.normal(size=n)
    grads = [rng.normal(size=n) for _ in range(4)]
    results = []
    for threads in (1, 2):
        descend.set_num_threads(threads)
        try:
            w, step = w0.copy(), opt.Adam(lr=0.01)
            for g in grads:
                step.step(w, g)
        finally:
            descend.set_num_threads(None)
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    reference = torch.optim.Adam([p], lr=0.01)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(results[0], p.detach().numpy(), rtol=1e-12, atol=1e-12)
