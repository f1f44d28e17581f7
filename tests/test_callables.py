"""Python functions as objectives: every method, errors from user code, bad returns."""

import numpy as np
import pytest

import descend
from descend import reference

ROSEN = reference.Rosenbrock(2)
FIRST_ORDER = {"gd": dict(lr=1e-3), "momentum": dict(lr=1e-3, momentum=0.5),
               "nesterov": dict(lr=1e-3, momentum=0.5), "adagrad": dict(lr=0.05),
               "rmsprop": dict(lr=1e-3), "adam": dict(lr=0.01), "adamw": dict(lr=0.01)}


# lazy_adam runs on sparse rows only (tests/test_lazy_adam.py).
@pytest.mark.parametrize("method", sorted(set(descend.methods()) - {"sgd", "lazy_adam"}))
def test_every_method_on_a_python_rosenbrock_agrees_with_the_built_in(method):
    options = dict(FIRST_ORDER.get(method, {}), max_iter=300)
    ours = descend.minimize(ROSEN.value, [-1.2, 1.0], jac=ROSEN.gradient, hess=ROSEN.hessian,
                            method=method, **options)
    built_in = descend.minimize(descend.problems.rosenbrock(), [-1.2, 1.0], method=method,
                                **options)
    assert ours.status == built_in.status and ours.nit == built_in.nit
    np.testing.assert_allclose(ours.x, built_in.x, rtol=0, atol=1e-8)


def test_jac_true_and_hessp():
    def fun(x):
        return ROSEN.value(x), ROSEN.gradient(x)

    r = descend.minimize(fun, [-1.2, 1.0], jac=True, hessp=lambda x, v: ROSEN.hvp(x, v),
                         method="newton")
    assert r.success
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-6)


def test_gradient_methods_need_jac():
    with pytest.raises(ValueError, match="pass jac=callable"):
        descend.minimize(ROSEN.value, [0.0, 0.0])
    with pytest.raises(ValueError, match="needs the objective's Hessian.*gd"):
        descend.minimize(ROSEN.value, [0.0, 0.0], jac=ROSEN.gradient, method="newton")


def test_an_exception_in_fun_propagates_and_the_function_stays_usable():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] == 5:
            raise ZeroDivisionError("boom at call 5")
        return ROSEN.value(x)

    with pytest.raises(ZeroDivisionError, match="boom at call 5"):
        descend.minimize(fun, [-1.2, 1.0], jac=ROSEN.gradient, method="bfgs")
    r = descend.minimize(fun, [-1.2, 1.0], jac=ROSEN.gradient, method="bfgs")
    assert r.success


@pytest.mark.parametrize("jac, error, match", [
    (lambda x: np.ones(3), ValueError, "jac must return a 1-D array of length 2"),
    (lambda x: np.ones((2, 1)), ValueError, "jac must return a 1-D array of length 2"),
    (lambda x: np.array([np.nan, 1.0]), ValueError, "jac returned NaN"),
    (lambda x: "gradient", ValueError, "jac must return"),
])
def test_bad_gradients_are_clear_errors(jac, error, match):
    with pytest.raises(error, match=match):
        descend.minimize(ROSEN.value, [0.0, 0.0], jac=jac)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(fun=lambda x: "x", jac=lambda x: x), TypeError, "fun must return a real number"),
    (dict(fun=lambda x: 1.0, jac=True), TypeError, "must return a pair"),
    (dict(fun=lambda x: 1.0, jac=3), TypeError, "jac must be a callable or True"),
    (dict(fun=lambda x: 1.0, jac=lambda x: x, hess=3), TypeError, "hess must be a callable"),
])
def test_bad_functions(kwargs, error, match):
    fun = kwargs.pop("fun")
    with pytest.raises(error, match=match):
        descend.minimize(fun, [0.0, 0.0], **kwargs)


def test_bad_hessian_shape():
    with pytest.raises(ValueError, match=r"hess must return an array of shape \(2, 2\)"):
        descend.minimize(ROSEN.value, [0.0, 0.0], jac=ROSEN.gradient,
                         hess=lambda x: np.eye(3), method="newton")


def test_derivatives_are_refused_with_a_built_in_objective():
    with pytest.raises(TypeError, match="jac, hess and hessp are for Python functions"):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], jac=lambda x: x)


def test_callback_stops_a_python_run():
    r = descend.minimize(ROSEN.value, [-1.2, 1.0], jac=ROSEN.gradient, method="lbfgs",
                         callback=lambda info: info.nit == 3)
    assert r.status == "callback" and r.nit == 3 and r.success


def test_scipy_style_returns_are_accepted():
    # A one-element array as the value, a list as the (value, gradient) pair, a list gradient.
    base = descend.minimize(ROSEN.value, [-1.2, 1.0], jac=ROSEN.gradient, method="bfgs")
    for kwargs in (dict(fun=lambda x: np.array([ROSEN.value(x)]), jac=ROSEN.gradient),
                   dict(fun=lambda x: [ROSEN.value(x), list(ROSEN.gradient(x))], jac=True)):
        fun = kwargs.pop("fun")
        r = descend.minimize(fun, [-1.2, 1.0], method="bfgs", **kwargs)
        assert r.nit == base.nit
        np.testing.assert_allclose(r.x, base.x, rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="fun must return a real number"):
        descend.minimize(lambda x: np.ones(2), [0.0, 0.0], jac=ROSEN.gradient)


def test_each_function_gets_its_own_copy_of_x():
    def fun(x):
        value = ROSEN.value(x)
        x[:] = 99.0  # a user function that scribbles on its argument
        return value

    def jac(x):
        assert not np.any(x == 99.0)
        return ROSEN.gradient(x)

    r = descend.minimize(fun, [-1.2, 1.0], jac=jac, method="bfgs")
    assert r.success
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("scheme, atol", [("3-point", 1e-6), ("2-point", 1e-4)])
def test_finite_difference_gradients(scheme, atol):
    from descend._finite_diff import finite_difference_jac

    jac = finite_difference_jac(ROSEN.value, scheme)
    for x in ([-1.2, 1.0], [3.0, -40.0], [1e-3, 2e4]):
        x = np.array(x)
        np.testing.assert_allclose(jac(x), ROSEN.gradient(x),
                                   rtol=atol, atol=atol * np.abs(ROSEN.gradient(x)).max())
    r = descend.minimize(ROSEN.value, [-1.2, 1.0], jac=scheme, method="bfgs")
    assert r.success
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e2 * atol)


def test_unknown_finite_difference_scheme():
    with pytest.raises(ValueError, match="'2-point' or '3-point', got 'cs'"):
        descend.minimize(ROSEN.value, [0.0, 0.0], jac="cs")
