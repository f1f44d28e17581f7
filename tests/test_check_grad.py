"""check_grad: accepts right gradients (objectives and callables), locates a wrong coordinate."""

import numpy as np
import pytest

import descend
from descend import reference


def _cubic(x):
    return np.sum(x ** 3) + x[0] * x[-1]


def _cubic_grad(x):
    g = 3 * x ** 2
    g[0] += x[-1]
    g[-1] += x[0]
    return g


def test_right_gradients_pass():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    assert descend.check_grad(_cubic, x, jac=_cubic_grad).rel_error < 1e-8
    rosen = reference.Rosenbrock(4)
    assert descend.check_grad(rosen.value, x, jac=rosen.gradient).rel_error < 1e-8
    for f in (descend.problems.rosenbrock(4), descend.problems.bowl(),
              descend.LeastSquares(np.arange(12.0).reshape(3, 4) / 7, [1.0, 0.0, 2.0], l2=0.5)):
        assert descend.check_grad(f, x[:f.n_params]).rel_error < 1e-7


@pytest.mark.parametrize("wrong", [0, 2, 3])
def test_a_wrong_coordinate_is_caught_and_located(wrong):
    x = np.array([0.5, -1.0, 2.0, 0.25])

    def bad(x):
        g = _cubic_grad(x)
        g[wrong] *= 1.01  # a 1% error in one coordinate
        return g

    r = descend.check_grad(_cubic, x, jac=bad)
    assert r.rel_error > 1e-4
    assert r.worst == wrong
    np.testing.assert_allclose(r.numeric, _cubic_grad(x), rtol=1e-7)


def test_a_sign_error_in_a_built_in_style_gradient_is_caught():
    rosen = reference.Rosenbrock(3)
    r = descend.check_grad(rosen.value, [-1.2, 1.0, 0.5], jac=lambda x: -rosen.gradient(x))
    assert r.rel_error > 1.0


def test_scipy_style_functions():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    pair = descend.check_grad(lambda z: (_cubic(z), _cubic_grad(z)), x, jac=True)
    assert pair.rel_error < 1e-8
    one_element = descend.check_grad(lambda z: np.array([_cubic(z)]), x, jac=_cubic_grad)
    assert one_element.rel_error < 1e-8
    wrong_pair = descend.check_grad(lambda z: (_cubic(z), 2 * _cubic_grad(z)), x, jac=True)
    assert wrong_pair.rel_error > 0.1


@pytest.mark.parametrize("fit_intercept", [False, True], ids=["no-intercept", "intercept"])
@pytest.mark.parametrize("kind", ["LeastSquares", "Logistic"])
def test_an_l1_penalty_is_left_out_of_the_differences(kind, fit_intercept):
    # value() includes l1 ||w||_1 but gradient() is the smooth part's: check_grad must
    # difference the smooth part, also at zero coordinates (the kinks of |w_i|) and with an
    # unpenalised intercept last.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30) if kind == "LeastSquares" else (rng.random(30) > 0.5).astype(float)
    make = getattr(descend, kind)
    f = make(X, y, l1=0.1, l2=0.01, fit_intercept=fit_intercept)
    smooth = make(X, y, l2=0.01, fit_intercept=fit_intercept)
    w = np.array([0.5, 0.0, -0.3, 0.0, -0.7][:f.n_params])
    r = descend.check_grad(f, w)
    assert r.rel_error < 1e-7
    np.testing.assert_allclose(r.numeric, smooth.gradient(w), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(r.analytic, smooth.gradient(w))


def test_float32_objectives_get_a_step_their_rounding_allows():
    # float32 values carry ~1e-7 relative rounding: with h = 1e-6 the differences would be
    # off by ~10%; the default step for float32 data is 1e-3.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    f = descend.LeastSquares(X, rng.normal(size=40), fit_intercept=True)
    assert descend.check_grad(f, np.zeros(4)).rel_error < 1e-3
    assert descend.check_grad(f, np.zeros(4), eps=1e-6).rel_error > 1e-3  # the old default


@pytest.mark.parametrize("fun, jac, error, match", [
    (lambda z: np.nan, lambda z: np.ones(2), ValueError, "fun is not finite"),
    (lambda z: float(z[0]) * 1e308 * 10, lambda z: np.ones(2), ValueError, "fun is not finite"),
    (lambda z: "a", lambda z: np.ones(2), TypeError, "fun's value must be real"),
    (lambda z: z, lambda z: np.ones(2), TypeError, "fun must return a scalar"),
    (lambda z: 1j, lambda z: np.ones(2), TypeError, "fun's value must be real"),
    (lambda z: z @ z, lambda z: "ab", TypeError, "the gradient must be real"),
    (lambda z: z @ z, lambda z: [np.inf, 0.0], ValueError, "the gradient is not finite"),
    (lambda z: z @ z, lambda z: np.ones(3), ValueError, "the gradient has shape"),
], ids=["nan-value", "overflow", "string-value", "vector-value", "complex-value",
        "string-gradient", "inf-gradient", "long-gradient"])
def test_bad_function_outputs_are_refused_by_name(fun, jac, error, match):
    with pytest.raises(error, match=match):
        descend.check_grad(fun, np.array([0.5, -1.0]), jac=jac)


@pytest.mark.parametrize("x, eps, error, match", [
    ("ab", None, TypeError, "x must be a numeric"),
    ([1.0], None, ValueError, "x must have length 2"),
    ([np.nan, 1.0], None, ValueError, "x contains NaN"),
    ([1.0, 1.0], 1e300, ValueError, "choose a smaller eps"),
    ([1.0, 1.0], 0.0, ValueError, "eps must be > 0"),
    ([1e10, 1.0], 1e300, ValueError, "no usable step"),
    ([1.0, 1.0], 1e-300, ValueError, "no usable step"),
])
def test_bad_points_and_steps_are_refused_by_name(x, eps, error, match):
    with pytest.raises(error, match=match):
        descend.check_grad(descend.problems.rosenbrock(), x, eps=eps)


def test_the_point_is_not_modified():
    x = np.array([0.5, -1.0])
    descend.check_grad(lambda z: z @ z, x, jac=lambda z: z.__imul__(2))  # jac scribbles on z
    np.testing.assert_array_equal(x, [0.5, -1.0])
