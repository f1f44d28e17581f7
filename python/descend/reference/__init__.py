"""Plain numpy twins of every compiled kernel, written for clarity rather than speed.

The tests hold the compiled core and these twins together; read them to see exactly what the
C++ computes.
"""

from .descent import damped_newton_direction, descent
from .gd import gradient_descent
from .lazy import run_lazy_adam, run_minibatch_lazy
from .projections import project_ball, project_box, project_nonnegative, project_simplex
from .rules import (
    Rule,
    run_full_batch,
    run_minibatch,
    schedule_factor,
    splitmix64_permutation,
)
from .toolkit import (
    ball_least_squares,
    curvature_numbers,
    init_glorot,
    init_he,
    init_normal,
    init_uniform,
    power_iteration,
)
from .objectives import (LeastSquares, LinearLoss, Logistic, Polynomial1D, Quadratic, Rosenbrock,
                         Softmax)
from .mlp import MLP

__all__ = [
    "LeastSquares",
    "LinearLoss",
    "Logistic",
    "MLP",
    "Polynomial1D",
    "Quadratic",
    "Rule",
    "Rosenbrock",
    "Softmax",
    "ball_least_squares",
    "curvature_numbers",
    "damped_newton_direction",
    "descent",
    "gradient_descent",
    "init_glorot",
    "init_he",
    "init_normal",
    "init_uniform",
    "power_iteration",
    "project_ball",
    "project_box",
    "project_nonnegative",
    "project_simplex",
    "run_full_batch",
    "run_lazy_adam",
    "run_minibatch",
    "run_minibatch_lazy",
    "schedule_factor",
    "splitmix64_permutation",
]
