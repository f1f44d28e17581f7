"""Issue 9: nothing a user passes may crash the interpreter, leak a raw pybind11 error, or reach
the compiled core unchecked; everything public pickles and deep-copies."""

import copy
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import make_classification, make_regression
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import descend
from descend import _core, constraints, optimizers, problems, schedules
from descend._validation import check_int, check_n_threads, check_seed

X, Y, _ = make_regression(n=40, d=3)
XC, YC, _ = make_classification(n=40, d=3)
LABELS = np.arange(40) % 3


# --- 1. threads ---------------------------------------------------------------------------

THREAD_FAILURE = textwrap.dedent("""
    import resource
    import numpy as np
    import descend

    X = np.random.default_rng(0).normal(size=(2000, 200))
    f = descend.LeastSquares(X, X[:, 0].copy(), n_threads=64)
    w = np.zeros(200)
    with open("/proc/self/status") as fh:
        size = [int(line.split()[1]) for line in fh if line.startswith("VmSize")][0] * 1024
    # Room for the Hessian's buffers (about 13 MB), not for the 8 MiB stacks of the dozens of
    # threads its pass is split over.
    resource.setrlimit(resource.RLIMIT_AS, (size + (40 << 20), resource.RLIM_INFINITY))
    try:
        f.hessian(w)
    except RuntimeError as exc:
        print("RuntimeError:", exc)
""")


def _stack_of_8_mib():
    import resource

    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    size = 8 << 20 if hard == resource.RLIM_INFINITY else min(8 << 20, hard)
    resource.setrlimit(resource.RLIMIT_STACK, (size, hard))  # glibc's thread stack size


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc")
def test_a_thread_that_cannot_start_raises_instead_of_aborting():
    out = subprocess.run([sys.executable, "-c", THREAD_FAILURE], capture_output=True, text=True,
                         timeout=120, preexec_fn=_stack_of_8_mib)
    assert out.returncode == 0, out.stderr[-2000:]  # was -6: terminate called (SIGABRT)
    assert "RuntimeError: could not start a worker thread" in out.stdout


@pytest.mark.parametrize("make", [
    lambda t: descend.LeastSquares(X, Y, n_threads=t),
    lambda t: descend.Logistic(XC, YC, n_threads=t),
    lambda t: descend.Softmax(X, LABELS, n_threads=t),
], ids=["LeastSquares", "Logistic", "Softmax"])
@pytest.mark.parametrize("n_threads", [2**40, 2**70, 1025])
def test_n_threads_has_an_upper_bound(make, n_threads):
    with pytest.raises(ValueError, match="n_threads must be <= 1024"):
        make(n_threads)


def test_n_threads_up_to_the_cap_is_accepted():
    assert check_n_threads(1024) == 1024
    f = descend.LeastSquares(X, Y, n_threads=1024)
    assert f.value(np.ones(3)) == pytest.approx(descend.LeastSquares(X, Y).value(np.ones(3)))


# --- 2. every argument of every compiled entry point is checked -------------------------------

def _objectives():
    return {
        "LeastSquares": descend.LeastSquares(X, Y, fit_intercept=True),
        "Logistic": descend.Logistic(XC, YC),
        "Softmax": descend.Softmax(X, LABELS),
        "Quadratic": descend.Quadratic(np.diag([1.0, 2.0, 3.0])),
        "double_well": problems.double_well(),
        "rosenbrock": problems.rosenbrock(3),
    }


OBJECTIVES = list(_objectives())

CALLS = {
    "value": (lambda f, good, bad: f.value(bad), "w"),
    "gradient": (lambda f, good, bad: f.gradient(bad), "w"),
    "value_and_gradient": (lambda f, good, bad: f.value_and_gradient(bad), "w"),
    "hessian": (lambda f, good, bad: f.hessian(bad), "w"),
    "hvp_w": (lambda f, good, bad: f.hvp(bad, good), "w"),
    "hvp_v": (lambda f, good, bad: f.hvp(good, bad), "v"),
}


@pytest.mark.parametrize("name", OBJECTIVES)
@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("delta", [-1, 1, 5])
def test_every_method_checks_the_length_of_every_argument(name, call, delta):
    f = _objectives()[name]
    method, argument = CALLS[call]
    good = np.zeros(f.n_params)
    bad = np.zeros(max(f.n_params + delta, 0))
    with pytest.raises(ValueError, match=f"^{argument} must have length {f.n_params} "):
        method(f, good, bad)


def test_double_well_hvp_checks_v():
    f = problems.double_well()
    with pytest.raises(ValueError, match="v must have length 1"):
        f.hvp([0.5], np.zeros(1000))
    assert f.hvp([0.5], [2.0])[0] == pytest.approx(2.0 * (12 * 0.25 - 10))


def test_quadratic_hvp_names_v():
    with pytest.raises(ValueError, match="^v must have length 2"):
        descend.Quadratic(np.eye(2)).hvp(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("name", OBJECTIVES)
@pytest.mark.parametrize("bad", ["abc", None, [[1.0, 2.0]], {"w": 1}, [object()],
                                 np.ones(3, dtype=complex)],
                         ids=["str", "None", "2-D", "dict", "object", "complex"])
def test_methods_refuse_non_vectors_naming_w(name, bad):
    f = _objectives()[name]
    with pytest.raises((TypeError, ValueError), match="^w must be"):
        f.gradient(bad)


def test_methods_accept_lists_and_other_dtypes():
    f = descend.LeastSquares(X, Y)
    w = np.array([0.5, -1.0, 2.0])
    expected = f.gradient(w)
    np.testing.assert_array_equal(f.gradient(w.tolist()), expected)
    np.testing.assert_array_equal(f.gradient(w.astype(np.float32).astype(np.float64)), expected)
    np.testing.assert_array_equal(f.gradient(np.asfortranarray(w)), expected)
    np.testing.assert_array_equal(f.gradient(np.repeat(w, 2)[::2]), expected)  # strided


@pytest.mark.parametrize("rows, error, match", [
    ([0.0, 1.0], TypeError, "rows must be a 1-D array of integer"),
    ([2**70], TypeError, "rows must be a 1-D array of integer"),
    ("abc", TypeError, "rows must be a 1-D array of integer"),
    (np.array([2**63], dtype=np.uint64), ValueError, r"rows must hold row indices in \[0, 40\)"),
    ([40], ValueError, r"rows must hold row indices in \[0, 40\)"),
    ([-1], ValueError, r"rows must hold row indices in \[0, 40\)"),
    ([[0, 1]], ValueError, "rows must be a 1-D array"),
    ([], ValueError, "rows must not be empty"),
])
@pytest.mark.parametrize("name", ["LeastSquares", "Logistic", "Softmax"])
def test_batch_rows_are_checked(name, rows, error, match):
    f = _objectives()[name]
    with pytest.raises(error, match=match):
        f.batch_value_and_gradient(np.zeros(f.n_params), rows)


def test_batch_rows_of_any_integer_dtype():
    f = descend.LeastSquares(X, Y)
    w = np.ones(3)
    expected = f.batch_value_and_gradient(w, np.array([3, 1, 4]))
    for dtype in (np.int32, np.uint8, np.uint64):
        v, g = f.batch_value_and_gradient(w, np.array([3, 1, 4], dtype=dtype))
        assert v == expected[0]
        np.testing.assert_array_equal(g, expected[1])


HESSIAN_TOO_LARGE = textwrap.dedent("""
    import resource
    import numpy as np
    import descend

    f = descend.problems.rosenbrock(20000)  # a dense Hessian of 3.2 GB
    w = np.ones(20000)
    with open("/proc/self/status") as fh:
        size = [int(line.split()[1]) for line in fh if line.startswith("VmSize")][0] * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + (256 << 20), resource.RLIM_INFINITY))
    try:
        f.hessian(w)
    except MemoryError as exc:
        print("MemoryError:", exc)
    print("hvp", f.hvp(w, w)[:2])  # the way out the message points to
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc")
def test_a_dense_hessian_too_large_is_a_clear_memory_error():
    out = subprocess.run([sys.executable, "-c", HESSIAN_TOO_LARGE], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert ("MemoryError: the dense Hessian of 20000 parameters needs 4 GB, which cannot be "
            "allocated: use hvp(w, v) instead") in out.stdout
    assert "hvp [" in out.stdout


def test_batches_and_hessians_where_there_are_none_are_type_errors():
    with pytest.raises(TypeError, match="Quadratic is not a sum over samples"):
        descend.Quadratic(np.eye(2)).batch_value_and_gradient(np.zeros(2), [0])
    f = problems.absolute_deviation()
    with pytest.raises(TypeError, match="AbsoluteDeviation has no Hessian"):
        f.hessian(np.zeros(2))
    with pytest.raises(TypeError, match="AbsoluteDeviation has no Hessian"):
        f.hvp(np.zeros(2), np.zeros(2))


# --- 3. parameters are copied -------------------------------------------------------------

def test_box_and_ball_copy_their_parameters():
    lower, upper, center = np.zeros(2), np.ones(2), np.array([5.0, 5.0])
    box, ball = constraints.Box(lower, upper), constraints.Ball(1.0, center=center)
    lower[:] = 10.0  # would make lower > upper, bypassing the check
    upper[:] = -10.0
    center[:] = 0.0
    np.testing.assert_array_equal(box.project([2.0, -2.0]), [1.0, 0.0])
    np.testing.assert_allclose(ball.project([5.0, 8.0]), [5.0, 6.0])


@pytest.mark.parametrize("make, attribute", [
    (lambda: constraints.Box([0.0, 0.0], [1.0, 1.0]), "lower"),
    (lambda: constraints.Box([0.0, 0.0], [1.0, 1.0]), "upper"),
    (lambda: constraints.Ball(1.0, center=[0.0, 0.0]), "center"),
])
def test_constraint_parameters_cannot_be_edited_in_place(make, attribute):
    c = make()
    with pytest.raises(ValueError, match="read-only"):
        getattr(c, attribute)[0] = 5.0


@pytest.mark.parametrize("make, attribute, value", [
    (lambda: constraints.Box(0.0, 1.0), "lower", 2.0),
    (lambda: constraints.Box(0.0, 1.0), "upper", -1.0),
    (lambda: constraints.Ball(1.0), "radius", -1.0),
    (lambda: constraints.Ball(1.0), "center", [1.0]),
])
def test_constraint_parameters_cannot_be_rebound(make, attribute, value):
    c = make()
    with pytest.raises(AttributeError, match="read-only: build a new"):
        setattr(c, attribute, value)


@pytest.mark.parametrize("make", [
    lambda sw: descend.LeastSquares(X, Y, sample_weight=sw),
    lambda sw: descend.Logistic(XC, YC, sample_weight=sw),
    lambda sw: descend.Softmax(X, LABELS, sample_weight=sw),
], ids=["LeastSquares", "Logistic", "Softmax"])
def test_sample_weights_are_copied(make):
    sw = np.linspace(0.5, 2.0, 40)
    f = make(sw)
    w = np.full(f.n_params, 0.3)
    before = f.value(w), f.gradient(w), f.batch_value_and_gradient(w, [0, 1, 2])[0]
    sw[:] = -1.0  # a negative weight would give a negative loss
    after = f.value(w), f.gradient(w), f.batch_value_and_gradient(w, [0, 1, 2])[0]
    assert after[0] == before[0] > 0
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]
    assert (f.sample_weight > 0).all()
    with pytest.raises(ValueError, match="read-only"):
        f.sample_weight[0] = -1.0


def test_x_and_y_stay_borrowed():
    Xb, yb = X.copy(), Y.copy()
    f = descend.LeastSquares(Xb, yb)
    assert f.X is Xb and f.y is yb


def test_the_core_checks_the_weights_it_copies():
    # The Python layer checks first; the compiled constructor is the backstop.
    for sw, match in [(np.full(40, -1.0), "finite weights >= 0"),
                      (np.r_[np.nan, np.ones(39)], "finite weights >= 0"),
                      (np.zeros(40), "not be all zero")]:
        with pytest.raises(ValueError, match=match):
            _core.Glm("squared", X, Y, sw, 0.0, False, 1)


# --- 4. read-only attributes --------------------------------------------------------------

READ_ONLY = [
    ("LeastSquares", lambda: descend.LeastSquares(X, Y),
     {"X": X[:5], "y": Y[:5], "l2": 1.0, "l1": 1.0, "fit_intercept": True,
      "sample_weight": np.ones(40), "n_threads": 2}),
    ("Logistic", lambda: descend.Logistic(XC, YC),
     {"X": XC, "y": YC, "l2": 1.0, "l1": 0.5, "fit_intercept": True, "n_threads": 2}),
    ("Softmax", lambda: descend.Softmax(X, LABELS),
     {"X": X, "y": LABELS, "l2": 1.0, "fit_intercept": True, "sample_weight": np.ones(40),
      "n_threads": 2, "n_classes": 4}),
    ("Rosenbrock", lambda: problems.rosenbrock(2), {"dim": 3}),
    ("Quadratic", lambda: descend.Quadratic(np.eye(2)),
     {"A": np.eye(3), "b": [1.0, 1.0], "c": 1.0}),
    ("Polynomial1D", lambda: problems.Polynomial1D([1.0, 2.0]), {"coefficients": [0.0]}),
    ("AbsoluteDeviation", lambda: problems.AbsoluteDeviation([1.0]), {"center": [2.0]}),
]


@pytest.mark.parametrize("name, make, changes", READ_ONLY, ids=[r[0] for r in READ_ONLY])
def test_construction_attributes_are_read_only(name, make, changes):
    f = make()
    w = np.full(f.n_params, 0.1)
    value, text, state = f.value(w), repr(f), pickle.dumps(f)
    for attribute, new in changes.items():
        with pytest.raises(AttributeError, match=f"{name}.{attribute} is read-only"):
            setattr(f, attribute, new)
        with pytest.raises(AttributeError):
            delattr(f, attribute)
    assert f.value(w) == value
    assert repr(f) == text
    assert pickle.loads(pickle.dumps(f)).value(w) == pickle.loads(state).value(w) == value


def test_read_only_message_says_to_build_a_new_objective():
    with pytest.raises(AttributeError, match=r"LeastSquares\.l2 is read-only.*build a new "
                                             r"objective instead"):
        descend.LeastSquares(X, Y).l2 = 3.0


# --- 5. Softmax sizes -----------------------------------------------------------------------

@pytest.mark.parametrize("y, kwargs, match", [
    (np.r_[np.zeros(39), 1e10], {}, r"labels must be integers in \[0, n_classes\)"),
    (np.r_[np.zeros(39), 2.0**70], {}, r"labels must be integers in \[0, n_classes\)"),
    (np.r_[np.zeros(39), 2.0**64], {"n_classes": 3}, "needs n_classes >"),
    (LABELS, {"n_classes": 2**62}, "n_classes must be <= 715827882"),
    (LABELS, {"n_classes": 2**70}, "n_classes must be <="),
    (LABELS, {"n_classes": 2**31 // 4 + 1, "fit_intercept": True}, "n_classes must be <= "),
])
def test_softmax_refuses_classes_beyond_the_parameter_cap(y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        descend.Softmax(X, y, **kwargs)


def test_softmax_cap_is_exact():
    per_class = X.shape[1]
    largest = descend.objectives.MAX_SOFTMAX_PARAMS // per_class
    with pytest.raises(ValueError, match=f"n_classes must be <= {largest}, got {largest + 1}"):
        descend.Softmax(X, LABELS, n_classes=largest + 1)
    # The core refuses it too (int64 overflow of K * p included).
    for n_classes in (largest + 1, 2**62):
        with pytest.raises(ValueError, match="at most 2\\*\\*31"):
            _core.Softmax(X, LABELS.astype(np.int64), n_classes, None, 0.0, False, 1)


# --- 6. integers beyond int64 -----------------------------------------------------------------

def test_check_int_bounds():
    assert check_int(5, "k", low=0) == 5  # the signature other modules use
    assert check_int(np.int64(7), "k", low=0, high=7) == 7
    assert check_int(2**63 - 1, "k") == 2**63 - 1
    with pytest.raises(ValueError, match=r"k must be <= 2\*\*63 - 1"):
        check_int(2**63, "k")
    with pytest.raises(ValueError, match=r"k must be >= -2\*\*63"):
        check_int(-(2**63) - 1, "k")
    with pytest.raises(ValueError, match="k must be <= 10, got 11"):
        check_int(11, "k", high=10)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        check_int(0, "k", low=1, high=10)
    assert check_int(2**64 - 1, "seed", low=0) == 2**64 - 1
    with pytest.raises(ValueError, match=r"seed must be <= 2\*\*64 - 1"):
        check_int(2**64, "seed", low=0)
    assert check_seed(None) is None and check_seed(2**64 - 1) == 2**64 - 1


@pytest.mark.parametrize("call, match", [
    (lambda: descend.permutation(5, 2**64, 0), r"seed must be <= 2\*\*64 - 1"),
    (lambda: descend.permutation(5, 0, 2**64), r"epoch must be <= 2\*\*63 - 1"),
    (lambda: descend.permutation(2**64, 0, 0), r"n must be <= 2\*\*63 - 1"),
    (lambda: descend.init.uniform(3, seed=2**64), r"seed must be <= 2\*\*64 - 1"),
    (lambda: descend.init.normal(3, seed=-1), "seed must be >= 0"),
    (lambda: descend.init.he(2, 3, seed=2**70), "seed must be <="),
    (lambda: descend.init.glorot(2, 3, seed=2**70), "seed must be <="),
    (lambda: descend.init.uniform(2**70, seed=0), "shape must be <="),
    (lambda: descend.init.he(2**70, 3), "fan_in must be <="),
    (lambda: problems.rosenbrock(2**70), "dim must be <="),
    (lambda: schedules.step(step_size=2**70), "step_size must be <="),
    (lambda: schedules.cosine(period=2**70), "period must be <="),
    (lambda: schedules.constant(warmup=2**64), "warmup must be <="),
    (lambda: schedules.step().factor(2**70), "t must be <="),
    (lambda: schedules.step().factor(-1), "t must be >= 0"),
    (lambda: descend.constrained_least_squares(np.eye(2), [1.0, 1.0], 1.0, max_iter=2**70),
     "max_iter must be <="),
])
def test_integers_out_of_range_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_seeds_use_all_64_bits():
    p = descend.permutation(10, 2**64 - 1, 0)
    assert sorted(p.tolist()) == list(range(10))
    a = descend.init.uniform(4, seed=2**64 - 1)
    np.testing.assert_array_equal(a, descend.init.uniform(4, seed=2**64 - 1))


@pytest.mark.parametrize("field, value, error, match", [
    ("warmup", 2**70, ValueError, "warmup must be <="),
    ("warmup", -1, ValueError, "warmup must be >= 0"),
    ("step_size", 1.5, TypeError, "step_size must be an integer"),
    ("period", 0, ValueError, "period must be >= 1"),
    ("gamma", 2.0, ValueError, "gamma must be <= 1.0"),
    ("gamma", "x", TypeError, "gamma must be a real number"),
    ("kind", "linear", ValueError, "kind must be one of"),
    ("kind", 3, ValueError, "kind must be one of"),
])
def test_schedule_fields_are_checked_when_assigned(field, value, error, match):
    s = schedules.step()
    with pytest.raises(error, match=match):
        setattr(s, field, value)
    assert s == schedules.step()  # nothing changed


def test_schedule_fields_can_still_be_assigned():
    s = schedules.constant()
    s.kind = "exponential"
    s.gamma = 0.5
    assert s.factor(2) == 0.25
    s.kind = _core.Schedule.Kind.step
    s.step_size = 3
    assert [s.factor(t) for t in range(4)] == [1.0, 1.0, 1.0, 0.5]


# --- 7. Box bounds broadcast ------------------------------------------------------------------

@pytest.mark.parametrize("lower, upper", [
    (-0.1, 0.2),
    (np.float32(-0.1), [0.2]),
    ([-0.1], 0.2),
    (-np.inf, np.linspace(-1, 1, 10)),
    (np.linspace(-1, 0, 10), 0.5),
    (np.linspace(-1, 0, 10), np.linspace(0, 1, 10)),
])
def test_box_bounds_broadcast_like_numpy_clip(lower, upper):
    x = np.random.default_rng(0).normal(size=10)
    box = constraints.Box(lower, upper)
    np.testing.assert_array_equal(box.project(x),
                                  np.clip(x, np.asarray(lower, float), np.asarray(upper, float)))
    assert box.contains(box.project(x))


BOUNDS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(x=st.integers(1, 12).flatmap(lambda n: arrays(np.float64, n, elements=BOUNDS)),
       data=st.data())
def test_box_broadcasting_matches_numpy_clip(x, data):
    # Each bound is a scalar, a length-1 array, or one bound per coordinate.
    shapes = st.sampled_from([(), (1,), (x.size,)])
    lo_shape, hi_shape = data.draw(shapes), data.draw(shapes)
    lo = data.draw(arrays(np.float64, lo_shape, elements=BOUNDS))
    gap = data.draw(arrays(np.float64, hi_shape, elements=st.floats(0.0, 1e6)))
    hi = lo + gap if lo_shape == hi_shape else lo.max() + gap  # lower <= upper everywhere
    box = constraints.Box(lo, hi)
    np.testing.assert_array_equal(box.project(x), np.clip(x, lo, hi))


def test_scalar_box_in_a_run():
    f = descend.LeastSquares(X, Y, fit_intercept=True)
    r = descend.minimize(f, np.zeros(4), method="gd", lr=0.1, constraint=constraints.Box(-0.1, 0.2))
    assert r.x.shape == (4,)
    assert (r.x >= -0.1).all() and (r.x <= 0.2).all()


@pytest.mark.parametrize("make, n, match", [
    (lambda: constraints.Box([0.0, 0.0, 0.0], 1.0), 2, "lower has length 3 but x has length 2"),
    (lambda: constraints.Box(0.0, [1.0, 1.0]), 3, "upper has length 2 but x has length 3"),
])
def test_box_lengths_are_checked_at_projection(make, n, match):
    box = make()
    with pytest.raises(ValueError, match=match):
        box.project(np.zeros(n))
    with pytest.raises(ValueError, match=match):
        descend.minimize(problems.rosenbrock(n), np.zeros(n), method="gd", lr=1e-3, constraint=box)


@pytest.mark.parametrize("lower, upper, error, match", [
    ([0.0, 0.0, 0.0], [1.0, 1.0], ValueError, "same length or be scalars"),
    (1.0, 0.0, ValueError, "lower <= upper"),
    (0.0, [1.0, -1.0], ValueError, "lower <= upper"),
    (np.nan, 1.0, ValueError, "lower contains NaN"),
    ([[0.0]], 1.0, ValueError, "scalar or a 1-D array"),
    ([], 1.0, ValueError, "lower must not be empty"),
    ("a", 1.0, TypeError, "lower must be a numeric array"),
    (0.0, [1.0, "b"], TypeError, "upper must be a numeric array"),
    (0.0, 1j, TypeError, "upper must be a numeric array, got dtype complex"),
])
def test_box_bad_bounds(lower, upper, error, match):
    with pytest.raises(error, match=match):
        constraints.Box(lower, upper)


# --- 8. everything public pickles and deep-copies ------------------------------------------------

def _round_trips(obj):
    return [pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)]


OBJECTIVE_MAKERS = {
    "LeastSquares": lambda: descend.LeastSquares(X, Y, l2=0.1, l1=0.01, fit_intercept=True,
                                                 sample_weight=np.linspace(1, 2, 40),
                                                 n_threads=2),
    "LeastSquares_float32_F": lambda: descend.LeastSquares(np.asfortranarray(X, np.float32), Y),
    "Logistic": lambda: descend.Logistic(XC, YC, l2=0.5, fit_intercept=True),
    "Softmax": lambda: descend.Softmax(X, LABELS, l2=0.1, fit_intercept=True, n_classes=4),
    "Quadratic": lambda: descend.Quadratic([[2.0, 1.0], [1.0, 3.0]], [1.0, -1.0], 2.0),
    "Polynomial1D": lambda: problems.Polynomial1D([1.0, 2.0, 3.0]),
    "parabola": problems.parabola,
    "double_well": problems.double_well,
    "bowl": problems.bowl,
    "dome": problems.dome,
    "saddle": problems.saddle,
    "rosenbrock": lambda: problems.rosenbrock(4),
    "absolute_deviation": problems.absolute_deviation,
}


@pytest.mark.parametrize("name", OBJECTIVE_MAKERS)
def test_objectives_round_trip(name):
    f = OBJECTIVE_MAKERS[name]()
    w = np.random.default_rng(1).normal(size=f.n_params)
    for g in _round_trips(f):
        assert type(g) is type(f) and repr(g) == repr(f)
        assert g.value(w) == f.value(w)
        np.testing.assert_array_equal(g.gradient(w), f.gradient(w))
        if f.has_hessian:
            np.testing.assert_array_equal(g.hessian(w), f.hessian(w))
            np.testing.assert_array_equal(g.hvp(w, w), f.hvp(w, w))
        if f.n_samples:
            assert g.batch_value_and_gradient(w, [1, 5])[0] == \
                f.batch_value_and_gradient(w, [1, 5])[0]


def _clip_to_half(x):
    return np.clip(x, -0.5, 0.5)


CONSTRAINT_MAKERS = {
    "Box": lambda: constraints.Box([-1.0, 0.0, 0.5], [0.0, 1.0, 2.0]),
    "Box_scalar": lambda: constraints.Box(-0.1, 0.2),
    "Ball": lambda: constraints.Ball(0.5),
    "Ball_center": lambda: constraints.Ball(0.5, center=[1.0, 2.0, 3.0]),
    "NonNegative": constraints.NonNegative,
    "Simplex": constraints.Simplex,
    "Projection": lambda: constraints.Projection(_clip_to_half),
}


@pytest.mark.parametrize("name", CONSTRAINT_MAKERS)
def test_constraints_round_trip(name):
    c = CONSTRAINT_MAKERS[name]()
    x = np.array([3.0, -2.0, 0.25])
    for d in _round_trips(c):
        assert type(d) is type(c) and repr(d) == repr(c)
        np.testing.assert_array_equal(d.project(x), c.project(x))
    if name.startswith(("Box", "Ball")):
        restored = pickle.loads(pickle.dumps(c))
        for attribute in ("lower", "upper", "center"):
            value = getattr(restored, attribute, None)
            if value is not None:  # the copy stays read-only after the round trip
                assert not value.flags.writeable


SCHEDULE_MAKERS = {
    "constant": lambda: schedules.constant(warmup=3),
    "step": lambda: schedules.step(3, 0.5),
    "exponential": lambda: schedules.exponential(0.8, warmup=2),
    "inverse": lambda: schedules.inverse(0.5, 2.0),
    "cosine": lambda: schedules.cosine(7, 0.1, warmup=1),
    "core": _core.Schedule,
}


@pytest.mark.parametrize("name", SCHEDULE_MAKERS)
def test_schedules_round_trip(name):
    s = SCHEDULE_MAKERS[name]()
    for t in _round_trips(s):
        assert isinstance(t, schedules.Schedule)
        assert [t.factor(k) for k in range(12)] == [s.factor(k) for k in range(12)]
        assert t == s


def test_a_round_tripped_schedule_drives_a_run_the_same():
    f = descend.LeastSquares(X, Y)
    s = schedules.cosine(20, 0.1, warmup=2)
    runs = [descend.minimize(f, np.zeros(3), method="gd", lr=0.1, schedule=t, max_iter=30)
            for t in (s, pickle.loads(pickle.dumps(s)))]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)


STEPPERS = [
    lambda: optimizers.SGD(lr=0.1, weight_decay=0.01),
    lambda: optimizers.SGD(lr=[0.1, 0.2, 0.3], momentum=0.5),
    lambda: optimizers.SGD(lr=0.1, momentum=0.5, nesterov=True),
    lambda: optimizers.Momentum(lr=0.1, momentum=0.8),
    lambda: optimizers.Nesterov(lr=0.1),
    lambda: optimizers.AdaGrad(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    lambda: optimizers.RMSProp(lr=0.01, alpha=0.9),
    lambda: optimizers.Adam(lr=0.01, betas=(0.8, 0.99)),
    lambda: optimizers.AdamW(lr=0.01, weight_decay=0.1),
]


@pytest.mark.parametrize("make", STEPPERS, ids=lambda m: type(m()).__name__)
def test_steppers_round_trip_with_their_state(make):
    rng = np.random.default_rng(2)
    opt, w = make(), np.zeros(3)
    for _ in range(5):
        opt.step(w, rng.normal(size=3))
    grads = rng.normal(size=(5, 3))
    copies = _round_trips(opt)
    expected = w.copy()
    for g in grads:
        opt.step(expected, g)
    for other in copies:
        assert type(other) is type(opt) and repr(other) == repr(opt)
        mine = w.copy()
        for g in grads:
            other.step(mine, g)
        np.testing.assert_array_equal(mine, expected)  # the state came along


@pytest.mark.parametrize("state_dict, error, match", [
    (5, TypeError, "state_dict must be a dict"),
    ({"hyperparameters": {}}, TypeError, "state_dict must be a dict"),
    ({"hyperparameters": {"foo": 1}, "state": {}}, ValueError, "unknown hyperparameters"),
    ({"hyperparameters": {"lr": -1.0}, "state": {}}, ValueError, "lr must be > 0"),
    ({"hyperparameters": {}, "state": {"m": [1.0]}}, ValueError, "must have the keys"),
    ({"hyperparameters": {}, "state": {"m": [1.0], "v": [1.0, 2.0], "t": 1}}, ValueError,
     "same length"),
    ({"hyperparameters": {}, "state": {"m": ["a"], "v": [1.0], "t": 1}}, TypeError,
     r"state\['m'\] must be an array"),
    ({"hyperparameters": {}, "state": {"m": [np.nan], "v": [1.0], "t": 1}}, ValueError,
     "finite"),
    ({"hyperparameters": {}, "state": {"m": [1.0], "v": [1.0], "t": 2**70}}, ValueError,
     r"state\['t'\] must be <="),
])
def test_load_state_dict_is_checked(state_dict, error, match):
    opt = optimizers.Adam(lr=0.1)
    w = np.zeros(1)
    opt.step(w, np.ones(1))
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(state_dict)
    after = opt.state_dict()  # unchanged by the failed load
    assert after["hyperparameters"] == before["hyperparameters"]
    np.testing.assert_array_equal(after["state"]["m"], before["state"]["m"])


@pytest.mark.parametrize("call, error, match", [
    (lambda: optimizers.Adam(betas=5), TypeError, "betas must be a pair"),
    (lambda: optimizers.Adam(betas=(0.9,)), ValueError, "betas must be a pair"),
    (lambda: optimizers.AdamW(betas="ab"), TypeError, "betas must be a pair"),
    (lambda: optimizers.SGD(lr=["a", "b"]), TypeError, "lr must be a numeric array"),
    (lambda: optimizers.Adam(lr=np.ones(2, complex)), TypeError, "lr must be a numeric array"),
    (lambda: problems.Polynomial1D([1j]), TypeError, "coefficients must be a numeric array"),
    (lambda: constraints.Projection(lambda x: x * 1j).project([1.0]), TypeError,
     "the projection's result must be a numeric array"),
    (lambda: descend.init.glorot(2, 3, shape=0), ValueError, "shape must be >= 1"),
    (lambda: descend.Softmax(np.eye(3), [0, 1, 2]).coef_matrix(np.ones(5)), ValueError,
     "w must have length 9"),
    (lambda: constraints.Ball(1.0).contains([1.0], tol=-1.0), ValueError, "tol must be >= 0"),
    (lambda: problems.Polynomial1D(["a"]), TypeError, "coefficients must be a numeric array"),
])
def test_other_bad_inputs_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- 9. extreme but finite values ---------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda sw: descend.LeastSquares(X, Y, sample_weight=sw),
    lambda sw: descend.Logistic(XC, YC, sample_weight=sw),
    lambda sw: descend.Softmax(X, LABELS, sample_weight=sw),
], ids=["LeastSquares", "Logistic", "Softmax"])
def test_huge_weights_do_not_overflow(make):
    sw = np.linspace(1.0, 2.0, 40)
    plain, huge = make(sw), make(sw * 1e307)  # the sum of the huge weights overflows
    w = np.full(plain.n_params, 0.2)
    assert np.isfinite(huge.value(w))
    assert huge.value(w) == pytest.approx(plain.value(w), rel=1e-13)
    np.testing.assert_allclose(huge.gradient(w), plain.gradient(w), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(huge.hessian(w), plain.hessian(w), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(huge.sample_weight, sw * 1e307)  # the user's values, kept


def test_float32_weights_near_their_limit():
    X32 = X.astype(np.float32)
    sw = np.full(40, 3e38, dtype=np.float32)
    f, g = descend.LeastSquares(X32, Y, sample_weight=sw), descend.LeastSquares(X32, Y)
    assert f.value(np.ones(3)) == pytest.approx(g.value(np.ones(3)), rel=1e-6)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e154), (np.float64, 1e300),
                                          (np.float32, 1e17)])
@pytest.mark.parametrize("cls", [descend.LeastSquares, descend.Logistic])
def test_data_whose_squares_overflow_is_refused(cls, dtype, scale):
    Xs = (XC * scale).astype(dtype)
    with pytest.raises(ValueError, match="X has entries of magnitude .* rescale X"):
        cls(Xs, YC)


def test_float32_data_is_checked_before_the_cast():
    X32 = X.astype(np.float32)
    with pytest.raises(ValueError, match="y has entries of magnitude .* for float32"):
        descend.LeastSquares(X32, Y * 1e20)  # finite in float64, inf once cast to float32
    sw = np.linspace(1.0, 2.0, 40)
    f = descend.LeastSquares(X32, Y, sample_weight=sw * 1e300)  # beyond float32: rescaled
    g = descend.LeastSquares(X32, Y, sample_weight=sw)
    assert f.sample_weight.dtype == np.float32 and np.isfinite(f.sample_weight).all()
    assert f.value(np.ones(3)) == pytest.approx(g.value(np.ones(3)), rel=1e-6)


def test_large_but_squarable_data_is_accepted():
    f = descend.LeastSquares(X * 1e100, Y * 1e100)
    w = np.ones(3)
    assert np.isfinite(f.value(w)) and np.isfinite(f.hessian(w)).all()
    with pytest.raises(ValueError, match="y has entries of magnitude"):
        descend.LeastSquares(X, Y * 1e200)
