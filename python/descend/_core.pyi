# The compiled core, descend._core (cpp/bindings/*.cpp, loaded by _core.py), for type checkers.
#
# Written by hand and held to the module by tests/test_types.py: every public name, every
# parameter name, which parameters have defaults and the scalar types must agree with what
# pybind11 reports. After changing a binding, run that test: it says what to add or remove here.
# Array arguments the core converts (an Eigen vector or matrix, or an array-like it checks
# itself) are ArrayLike; arrays it borrows without conversion (X, y) are numpy arrays.

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, SupportsFloat

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Float64Array = NDArray[np.float64]
_Callback = Callable[[IterationInfo], bool | np.bool_ | None]

#: Which build of the core is loaded: "avx2" or "generic" (set by _core.py).
build: str
#: What the CPU probe descend._cpu found, or None without it (set by _core.py).
_cpu_features: dict[str, bool] | None

class Objective:
    @property
    def n_params(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def has_hessian(self) -> bool: ...
    @property
    def l1_penalty(self) -> float: ...
    def value(self, w: ArrayLike) -> float: ...
    def gradient(self, w: ArrayLike) -> _Float64Array: ...
    def value_and_gradient(self, w: ArrayLike) -> tuple[float, _Float64Array]: ...
    def hessian(self, w: ArrayLike) -> _Float64Array: ...
    def hvp(self, w: ArrayLike, v: ArrayLike) -> _Float64Array: ...
    def batch_value_and_gradient(self, w: ArrayLike, rows: ArrayLike) -> tuple[float, _Float64Array]: ...

# A dense X, or a CSR matrix as the tuple (data, indices, indptr, n_cols) of its arrays.
_DataMatrix = NDArray[Any] | tuple[NDArray[Any], NDArray[Any], NDArray[Any], int]

class EmpiricalRisk(Objective):
    def weight_sum(self, start: int = 0, stop: int | None = None) -> float: ...
    def loss_sum(
        self, w: ArrayLike, start: int = 0, stop: int | None = None
    ) -> tuple[float, _Float64Array]: ...
    def hessian_sum(self, w: ArrayLike, start: int = 0, stop: int | None = None) -> _Float64Array: ...
    def hvp_sum(
        self, w: ArrayLike, v: ArrayLike, start: int = 0, stop: int | None = None
    ) -> _Float64Array: ...

class Glm(EmpiricalRisk):
    def __init__(
        self,
        loss: str,
        X: _DataMatrix,
        y: NDArray[Any],
        sample_weight: NDArray[Any] | None,
        l2: float,
        fit_intercept: bool,
        n_threads: int,
        l1: float = 0.0,
    ) -> None: ...

class Softmax(EmpiricalRisk):
    def __init__(
        self,
        X: _DataMatrix,
        y: NDArray[np.int64],
        n_classes: int,
        sample_weight: NDArray[Any] | None,
        l2: float,
        fit_intercept: bool,
        n_threads: int,
        l1: float = 0.0,
    ) -> None: ...
    @property
    def n_classes(self) -> int: ...

class Mlp(Objective):
    def __init__(
        self,
        X: NDArray[Any],
        y: NDArray[Any],
        hidden: Sequence[int],
        n_outputs: int,
        activation: str,
        loss: str,
        sample_weight: NDArray[Any] | None,
        l2: float,
        n_threads: int,
    ) -> None: ...
    @property
    def sizes(self) -> list[int]: ...
    @property
    def n_weights(self) -> int: ...

class Quadratic(Objective):
    def __init__(self, A: ArrayLike, b: ArrayLike, c: float) -> None: ...
    @property
    def A(self) -> _Float64Array: ...
    @property
    def b(self) -> _Float64Array: ...
    @property
    def c(self) -> float: ...

class Polynomial1D(Objective):
    def __init__(self, coefficients: Sequence[float]) -> None: ...
    @property
    def coefficients(self) -> list[float]: ...

class AbsoluteDeviation(Objective):
    def __init__(self, center: ArrayLike) -> None: ...
    @property
    def center(self) -> _Float64Array: ...

class Rosenbrock(Objective):
    def __init__(self, dim: int) -> None: ...

class PyObjective(Objective):
    def __init__(
        self,
        fun: Callable[[_Float64Array], Any],
        jac: bool | Callable[[_Float64Array], ArrayLike],
        hess: Callable[[_Float64Array], ArrayLike] | None,
        hessp: Callable[[_Float64Array, _Float64Array], ArrayLike] | None,
        n: int,
    ) -> None: ...

class IterationInfo:
    @property
    def nit(self) -> int: ...
    @property
    def x(self) -> _Float64Array: ...
    @property
    def loss(self) -> float: ...
    @property
    def grad_norm(self) -> float: ...
    @property
    def step(self) -> float: ...

class Schedule:
    class Kind:
        __members__: ClassVar[dict[str, Schedule.Kind]]
        constant: ClassVar[Schedule.Kind]
        step: ClassVar[Schedule.Kind]
        exponential: ClassVar[Schedule.Kind]
        inverse: ClassVar[Schedule.Kind]
        cosine: ClassVar[Schedule.Kind]
        def __init__(self, value: int) -> None: ...
        def __eq__(self, other: object) -> bool: ...
        def __ne__(self, other: object) -> bool: ...
        def __hash__(self) -> int: ...
        def __index__(self) -> int: ...
        def __int__(self) -> int: ...
        @property
        def name(self) -> str: ...
        @property
        def value(self) -> int: ...

    kind: Schedule.Kind
    gamma: float
    step_size: int
    decay: float
    power: float
    period: int
    min_factor: float
    warmup: int
    def __init__(self) -> None: ...
    def check(self) -> None: ...
    def factor(self, t: int) -> float: ...

class Projection:
    class Kind:
        __members__: ClassVar[dict[str, Projection.Kind]]
        ball: ClassVar[Projection.Kind]
        box: ClassVar[Projection.Kind]
        nonnegative: ClassVar[Projection.Kind]
        simplex: ClassVar[Projection.Kind]
        def __init__(self, value: int) -> None: ...
        def __eq__(self, other: object) -> bool: ...
        def __ne__(self, other: object) -> bool: ...
        def __hash__(self) -> int: ...
        def __index__(self) -> int: ...
        def __int__(self) -> int: ...
        @property
        def name(self) -> str: ...
        @property
        def value(self) -> int: ...

    kind: Projection.Kind
    radius: float
    def __init__(self) -> None: ...
    @property
    def center(self) -> _Float64Array: ...
    @center.setter
    def center(self, value: ArrayLike) -> None: ...
    @property
    def lower(self) -> _Float64Array: ...
    @lower.setter
    def lower(self, value: ArrayLike) -> None: ...
    @property
    def upper(self) -> _Float64Array: ...
    @upper.setter
    def upper(self, value: ArrayLike) -> None: ...
    def project(self, x: ArrayLike) -> _Float64Array: ...

class RuleParams:
    def __init__(self) -> None: ...
    kind: str
    @property
    def lr(self) -> _Float64Array: ...
    @lr.setter
    def lr(self, value: ArrayLike) -> None: ...
    momentum: float
    weight_decay: float
    lr_decay: float
    eps: float
    alpha: float
    beta1: float
    beta2: float
    initial_accumulator_value: float
    def check(self) -> None: ...
    def __getstate__(self) -> tuple[Any, ...]: ...
    def __setstate__(self, state: tuple[Any, ...], /) -> None: ...

class MinibatchParams:
    def __init__(self) -> None: ...
    batch_size: int
    epochs: int
    n_iter_no_change: int
    divergence_patience: int
    seed: int
    shuffle: bool
    drop_last: bool
    full_loss: bool
    keep_state: bool
    tol: float
    tol_abs: float
    gtol: float
    gtol_abs: float
    def check(self) -> None: ...

class Stepper:
    def __init__(self, params: RuleParams) -> None: ...
    @property
    def kind(self) -> str: ...
    def step(self, params: _Float64Array, grad: _Float64Array, scale: float = 1.0) -> None: ...
    def zero_state(self) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def set_state(self, state: dict[str, Any], /) -> None: ...
    def params(self) -> RuleParams: ...
    def __getstate__(self) -> tuple[tuple[Any, ...], dict[str, Any]]: ...
    def __setstate__(self, state: tuple[Any, ...], /) -> None: ...

def descent(
    objective: Objective,
    x0: ArrayLike,
    direction: str,
    line_search: str,
    lr: float,
    m: int,
    c1: float,
    c2: float,
    max_evals: int,
    tol: float,
    tol_abs: float,
    gtol: float,
    gtol_abs: float,
    max_iter: int,
    callback: _Callback | None,
) -> dict[str, Any]: ...
def build_info() -> dict[str, Any]: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def classify_curvature(low: float, high: float, rtol: float = 1e-08) -> str: ...
def permutation(n: int, seed: int, epoch: int) -> NDArray[np.int64]: ...
def run_full_batch(
    objective: Objective,
    x0: ArrayLike,
    stepper: Stepper,
    schedule: Schedule | Callable[[int], SupportsFloat],
    tol: float,
    tol_abs: float,
    gtol: float,
    gtol_abs: float,
    max_iter: int,
    callback: _Callback | None,
    constraint: Projection | Callable[[_Float64Array], ArrayLike] | None,
) -> dict[str, Any]: ...
def run_minibatch(
    objective: Objective,
    x0: ArrayLike,
    stepper: Stepper,
    schedule: Schedule | Callable[[int], SupportsFloat],
    batch: MinibatchParams,
    callback: _Callback | None,
    constraint: Projection | Callable[[_Float64Array], ArrayLike] | None,
) -> dict[str, Any]: ...
def rule_kinds() -> list[str]: ...
def rule_defaults(kind: str) -> RuleParams: ...
def rule_hyperparameters(kind: str) -> list[str]: ...
