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
