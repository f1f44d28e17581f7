"""Every bad input a user could pass is refused with a clear error naming the argument."""

import numpy as np
import pytest
from conftest import make_classification, make_regression

import descend

X, Y, _ = make_regression(n=20, d=3)
XC, YC, _ = make_classification(n=20, d=3)


def nan_at(a, index):
    a = np.array(a, dtype=float)
    a[index] = np.nan
    return a


@pytest.mark.parametrize("cls", [descend.LeastSquares, descend.Logistic], ids=["ls", "logistic"])
@pytest.mark.parametrize("args, kwargs, error, match", [
    ((X[0], Y), {}, ValueError, "X must be a 2-D"),
    ((X[None], Y), {}, ValueError, "X must be a 2-D"),
    ((np.zeros((0, 3)), []), {}, ValueError, "X must not be empty"),
    ((np.zeros((5, 0)), np.zeros(5)), {}, ValueError, "X must not be empty"),
    ((nan_at(X, (2, 1)), Y), {}, ValueError, "X contains NaN"),
    ((np.where(X > 1, np.inf, X), Y), {}, ValueError, "X contains NaN"),
    ((X, YC[:-1]), {}, ValueError, "y must have length 20"),
    ((X, YC[:, None].repeat(2, 1)), {}, ValueError, "y must be a 1-D"),
    ((X.astype(object), YC), {}, TypeError, "X must be a numeric"),
    ((X.astype(str), YC), {}, TypeError, "X must be a numeric"),
    (("abc", YC), {}, TypeError, "X must be a numeric"),
    ((X.astype(complex), YC), {}, TypeError, "X must be a numeric"),
    ((X, YC.astype(str)), {}, TypeError, "y must be a numeric"),
    ((X, nan_at(YC, 3)), {}, ValueError, "y contains NaN"),
    ((X, YC), {"l2": -1.0}, ValueError, "l2 must be >= 0"),
    ((X, YC), {"l2": np.nan}, ValueError, "l2 must be finite"),
    ((X, YC), {"l2": "big"}, TypeError, "l2 must be a real"),
    ((X, YC), {"fit_intercept": "yes"}, TypeError, "fit_intercept must be True or False"),
    ((X, YC), {"sample_weight": np.ones(3)}, ValueError, "sample_weight must have length 20"),
    ((X, YC), {"sample_weight": -np.ones(20)}, ValueError, "sample_weight must be >= 0"),
    ((X, YC), {"sample_weight": np.zeros(20)}, ValueError, "sample_weight must not be all zero"),
    ((X, YC), {"sample_weight": nan_at(np.ones(20), 0)}, ValueError, "sample_weight contains"),
    ((X, YC), {"n_threads": 0}, ValueError, "n_threads must be >= 1"),
    ((X, YC), {"n_threads": 1.5}, TypeError, "n_threads must be an integer"),
    ((X, YC), {"n_threads": 2**40}, ValueError, "n_threads must be <= 1024"),
    ((X * 1e160, YC), {}, ValueError, "X has entries of magnitude"),
    ((X, YC), {"sample_weight": np.full(20, np.inf)}, ValueError, "sample_weight contains"),
])
def test_data_objective_bad_inputs(cls, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(*args, **kwargs)


@pytest.mark.parametrize("y", [[0, 1, 2] * 6 + [0, 1], np.linspace(0, 1, 20), [3, 4] * 10,
                               [-1, 0] * 10],
                         ids=["three_classes", "continuous", "three_four", "minus_one_zero"])
def test_logistic_refuses_non_binary_labels(y):
    with pytest.raises(ValueError, match="y must hold binary labels"):
        descend.Logistic(XC, y)


@pytest.mark.parametrize("A, b, c, error, match", [
    (np.array([[1.0, 2.0], [0.0, 1.0]]), None, 0.0, ValueError, "A must be symmetric"),
    (np.ones((2, 3)), None, 0.0, ValueError, "A must be square"),
    (np.ones(3), None, 0.0, ValueError, "A must be a 2-D"),
    (np.eye(2), [1.0, 2.0, 3.0], 0.0, ValueError, "b must have length 2"),
    (np.eye(2), [1.0, np.nan], 0.0, ValueError, "b contains NaN"),
    (nan_at(np.eye(2), (0, 0)), None, 0.0, ValueError, "A contains NaN"),
    (np.eye(2), None, np.inf, ValueError, "c must be finite"),
    (np.eye(2), None, "zero", TypeError, "c must be a real"),
    (np.array([["a", "b"], ["c", "d"]]), None, 0.0, TypeError, "A must be a numeric"),
])
def test_quadratic_bad_inputs(A, b, c, error, match):
    with pytest.raises(error, match=match):
        descend.Quadratic(A, b, c)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0.0}, ValueError, "lr must be > 0"),
    ({"lr": -0.1}, ValueError, "lr must be > 0"),
    ({"lr": np.inf}, ValueError, "lr must be finite"),
    ({"lr": "fast"}, TypeError, "lr must be a real"),
    ({"tol": -1e-3}, ValueError, "tol must be >= 0"),
    ({"gtol": -1.0}, ValueError, "gtol must be >= 0"),
    ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
    ({"max_iter": True}, TypeError, "max_iter must be an integer"),
    ({"learning_rate": 0.1}, TypeError, "unexpected option"),
    ({"method": "newton-raphson-xyz"}, ValueError, "unknown method"),
    ({"method": 3}, TypeError, "method must be a string"),
    ({"callback": 3}, TypeError, "callback must be callable"),
])
def test_minimize_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], **kwargs)


@pytest.mark.parametrize("x0, error, match", [
    ([0.0], ValueError, "x0 must have length 2"),
    ([0.0, 0.0, 0.0], ValueError, "x0 must have length 2"),
    ([[0.0, 0.0]], ValueError, "x0 must be a 1-D"),
    ([np.nan, 0.0], ValueError, "x0 contains NaN"),
    ([np.inf, 0.0], ValueError, "x0 contains NaN"),
    (["a", "b"], TypeError, "x0 must be a numeric"),
    ([], ValueError, "x0 must not be empty"),
    (None, TypeError, "x0 must be a numeric"),
])
def test_minimize_bad_x0(x0, error, match):
    with pytest.raises(error, match=match):
        descend.minimize(descend.problems.bowl(), x0)


def test_minimize_bad_objective():
    with pytest.raises(TypeError, match="objective must be"):
        descend.minimize("rosenbrock", [0.0, 0.0])


@pytest.mark.parametrize("call", [
    lambda f: f.value(np.zeros(5)),
    lambda f: f.gradient(np.zeros(2)),
    lambda f: f.hessian(np.zeros(4)),
    lambda f: f.hvp(np.zeros(3), np.zeros(4)),
    lambda f: f.batch_value_and_gradient(np.zeros(3), [0, 99]),
    lambda f: f.batch_value_and_gradient(np.zeros(3), [-1]),
    lambda f: f.batch_value_and_gradient(np.zeros(3), []),
], ids=["value", "gradient", "hessian", "hvp", "row_too_large", "row_negative", "empty_batch"])
def test_compiled_methods_check_sizes(call):
    f = descend.LeastSquares(X, Y)
    with pytest.raises((ValueError, IndexError)):
        call(f)


def test_compiled_methods_refuse_strings():
    f = descend.LeastSquares(X, Y)
    with pytest.raises(TypeError):
        f.gradient("abc")


@pytest.mark.parametrize("make, match", [
    (lambda: descend.problems.rosenbrock(1), "dim must be >= 2"),
    (lambda: descend.problems.rosenbrock(2.5), "dim must be an integer"),
    (lambda: descend.problems.Polynomial1D([]), "coefficients"),
    (lambda: descend.problems.Polynomial1D([1.0, np.nan]), "coefficients"),
])
def test_problem_bad_inputs(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize("y, kwargs, error, match", [
    ([0.5] * 20, {}, ValueError, "integer class labels"),
    ([-1, 1] * 10, {}, ValueError, "integer class labels"),
    ([0] * 20, {}, ValueError, "at least two classes"),
    ([0, 1, 2, 3] * 5, {"n_classes": 3}, ValueError, "needs n_classes > 3"),
    ([0, 1] * 10, {"n_classes": 1}, ValueError, "n_classes must be >= 2"),
    ([0, 1] * 10, {"n_classes": "two"}, TypeError, "n_classes must be an integer"),
    (["a", "b"] * 10, {}, TypeError, "y must be a numeric"),
    ([0, 1] * 9, {}, ValueError, "y must have length 20"),
])
def test_softmax_bad_labels(y, kwargs, error, match):
    with pytest.raises(error, match=match):
        descend.Softmax(XC, y, **kwargs)


def test_softmax_checks_sizes():
    f = descend.Softmax(XC, np.arange(20) % 3)
    with pytest.raises(ValueError, match="must have length 9"):
        f.gradient(np.zeros(3))
    with pytest.raises(ValueError):
        f.hvp(np.zeros(9), np.zeros(8))
