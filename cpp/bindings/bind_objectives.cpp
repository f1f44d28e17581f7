// Objectives: the runtime `Objective` interface with its numpy-facing methods, and the
// constructors of the built-in objectives. Every argument of every method is checked here
// (type, length, row indices) before the core sees it. X and y are checked (shape, dtype,
// order) and borrowed, never copied; keep_alive ties their lifetime to the objective's. The
// sample weights are copied by the core (see EmpiricalRisk::set_weights in empirical.hpp).

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include <descend/empirical.hpp>
#include <descend/iterate_average.hpp>
#include <descend/quadratic.hpp>
#include <descend/test_functions.hpp>

#include "conversions.hpp"
#include "data_objective.hpp"
#include "pybind.hpp"
#include "risks.hpp"

namespace descend::bindings {
namespace {

using Params = py::array_t<double, py::array::c_style>;

/// `obj` as a contiguous float64 vector of length n (converted, with the GIL held, when it is
/// another array-like): a TypeError or ValueError naming `name` otherwise.
Params as_params(const py::object& obj, Index n, const char* name) {
  const auto refuse = [&] {
    return py::type_error(std::string(name) + " must be a 1-D array of real numbers, got " +
                          std::string(py::str(py::type::of(obj).attr("__name__"))));
  };
  // Only booleans, integers and reals convert: a complex w would lose its imaginary part.
  const auto any = py::array::ensure(obj);
  if (!any) throw refuse();
  const char kind = any.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') throw refuse();
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(any);
  if (!a) throw refuse();
  if (a.ndim() != 1)
    throw py::value_error(std::string(name) + " must be a 1-D array, got " +
                          std::to_string(a.ndim()) + "-D");
  if (a.shape(0) != n)
    throw py::value_error(std::string(name) + " must have length " + std::to_string(n) +
                          " (the objective's n_params), got " + std::to_string(a.shape(0)));
  return a;
}

/// A read-only view of a checked parameter array, for the core.
Eigen::Map<const VecX> view(const Params& a) { return {a.data(), a.shape(0)}; }

/// `obj` as a non-empty 1-D array of row indices in [0, n): integers only (a float index is a
/// mistake, not something to round).
py::array_t<Index, py::array::c_style> as_rows(const py::object& obj, Index n) {
  const auto any = py::array::ensure(obj);
  if (!any || (any.dtype().kind() != 'i' && any.dtype().kind() != 'u' && any.size() > 0))
    throw py::type_error("rows must be a 1-D array of integer row indices");
  if (any.ndim() != 1) throw py::value_error("rows must be a 1-D array of row indices");
  if (any.size() == 0) throw py::value_error("rows must not be empty");
  // Unsigned indices beyond int64 wrap to negative values here and are refused below.
  const auto rows = py::array_t<Index, py::array::c_style | py::array::forcecast>::ensure(any);
  if (!rows) throw py::type_error("rows must be a 1-D array of integer row indices");
  const Index* r = rows.data();
  for (Index k = 0; k < rows.shape(0); ++k)
    if (r[k] < 0 || r[k] >= n)
      throw py::value_error("rows must hold row indices in [0, " + std::to_string(n) +
                            "), got " + std::to_string(r[k]));
  return rows;
}

void require_hessian(const Objective& f) {
  if (!f.has_hessian()) throw py::type_error(f.name() + " has no Hessian");
}

/// The p x p matrix hessian() fills; a MemoryError saying so when it cannot be allocated.
MatX dense_hessian(Index p) {
  require_dense_matrices_fit(p, 2.0, "the dense Hessian",
                             "use hvp(w, v) instead, or a method that needs only products "
                             "(newton-cg, lbfgs)");
  try {
    return MatX(p, p);
  } catch (const std::bad_alloc&) {
    const auto gigabytes = static_cast<long long>(double(p) * double(p) * 8.0 / 1e9) + 1;
    const std::string message = "the dense Hessian of " + std::to_string(p) +
                                " parameters needs " + std::to_string(gigabytes) +
                                " GB, which cannot be allocated: use hvp(w, v) instead";
    PyErr_SetString(PyExc_MemoryError, message.c_str());
    throw py::error_already_set();
  }
}

/// The generalised linear models (least squares, logistic and the other losses of
/// scikit-learn's SGD), bound as _core.Glm. The kinked losses (hinge, perceptron,
/// epsilon-insensitive) say they are not smooth and give no Hessian: their gradient is a
/// subgradient, and the second derivative they have almost everywhere (0) says nothing a
/// Newton method could use (hessian_sum and hvp_sum still give it).
class GlmHandle final : public DataObjective {
 public:
  GlmHandle(std::unique_ptr<EmpiricalObjective> impl, bool differentiable)
      : DataObjective(std::move(impl)), differentiable_(differentiable) {}
  bool smooth() const override { return differentiable_; }
  bool has_hessian() const override { return differentiable_; }
  bool convex() const override { return true; }  // every loss of losses.hpp is convex

 private:
  bool differentiable_;
};

/// Multinomial logistic regression, bound as _core.Softmax.
class SoftmaxHandle final : public DataObjective {
 public:
  SoftmaxHandle(std::unique_ptr<EmpiricalObjective> impl, Index n_classes)
      : DataObjective(std::move(impl)), n_classes_(n_classes) {}
  Index n_classes() const { return n_classes_; }
  bool convex() const override { return true; }  // the cross-entropy of a linear model

 private:
  Index n_classes_;
};

/// X as the binding receives it: a dense 2-D array, or a CSR matrix as the tuple
/// (data, indices, indptr, n_cols) of its arrays (descend.objectives builds it from scipy).
bool is_csr(const py::object& X) { return py::isinstance<py::tuple>(X); }

/// The CSR arrays, checked for type, contiguity and agreeing lengths (the core checks
/// their contents: monotone indptr, column indices in range, finite values).
struct CsrArrays {
  py::array data, indices, indptr;
  Index n, d;
};

CsrArrays as_csr(const py::object& X) {
  const auto parts = X.cast<py::tuple>();
  if (parts.size() != 4)
    throw std::invalid_argument("a CSR matrix is passed as (data, indices, indptr, n_cols)");
  CsrArrays a{parts[0].cast<py::array>(), parts[1].cast<py::array>(),
              parts[2].cast<py::array>(), 0, parts[3].cast<Index>()};
  for (const py::array* v : {&a.data, &a.indices, &a.indptr})
    if (v->ndim() != 1 || !(v->flags() & py::array::c_style))
      throw std::invalid_argument("the CSR arrays must be contiguous and 1-D");
  const bool int32 = py::isinstance<py::array_t<std::int32_t>>(a.indices) &&
                     py::isinstance<py::array_t<std::int32_t>>(a.indptr);
  const bool int64 = py::isinstance<py::array_t<std::int64_t>>(a.indices) &&
                     py::isinstance<py::array_t<std::int64_t>>(a.indptr);
  if (!int32 && !int64)
    throw py::type_error("X.indices and X.indptr must both be int32 or both int64");
  if (a.indptr.shape(0) < 2) throw std::invalid_argument("X must have at least one row");
  a.n = a.indptr.shape(0) - 1;
  if (a.data.shape(0) != a.indices.shape(0))
    throw std::invalid_argument("X.data and X.indices must have the same length");
  const std::int64_t last =
      int32 ? std::int64_t(static_cast<const std::int32_t*>(a.indptr.data())[a.n])
            : static_cast<const std::int64_t*>(a.indptr.data())[a.n];
  if (last != a.indices.shape(0))
    throw std::invalid_argument("X.indptr[-1] must equal the number of stored entries (" +
                                std::to_string(a.indices.shape(0)) + "), got " +
                                std::to_string(last));
  return a;
}

Index rows_of(const py::object& X) {
  return is_csr(X) ? as_csr(X).n : X.cast<py::array>().shape(0);
}

/// The core objective for X (dense float or double in C or Fortran order, or CSR) with the
/// spec's model; X's scalar type is checked, and the weights (in that type) too.
/// X's values (the dense array, or the CSR values), checked to be float32 or float64.
py::array values_of(const py::object& X) {
  py::array values;
  if (is_csr(X)) {
    values = as_csr(X).data;
  } else {
    values = X.cast<py::array>();
    if (values.ndim() != 2) throw std::invalid_argument("X must be a 2-D array");
  }
  if (!py::isinstance<py::array_t<float>>(values) && !py::isinstance<py::array_t<double>>(values))
    throw py::type_error("X must be float32 or float64");
  return values;
}

std::unique_ptr<EmpiricalObjective> make_data_objective(const py::object& X, RiskSpec spec,
                                                       const py::object& sample_weight) {
  const py::array values = values_of(X);
  const bool float32 = py::isinstance<py::array_t<float>>(values);
  const Index n = rows_of(X);
  if (float32)
    spec.sample_weight = optional_weights<float>(sample_weight, n);
  else
    spec.sample_weight = optional_weights<double>(sample_weight, n);
  if (is_csr(X)) {
    const CsrArrays a = as_csr(X);
    return make_csr_risk(spec, a.data.data(), a.indices.data(), a.indptr.data(), a.n, a.d,
                         float32, py::isinstance<py::array_t<std::int64_t>>(a.indices));
  }
  const Index d = values.shape(1);
  const bool c_order = float32 ? py::array_t<float, py::array::c_style>::check_(values)
                               : py::array_t<double, py::array::c_style>::check_(values);
  const bool f_order = float32 ? py::array_t<float, py::array::f_style>::check_(values)
                               : py::array_t<double, py::array::f_style>::check_(values);
  if (!c_order && !f_order) throw std::invalid_argument("X must be C- or Fortran-contiguous");
  return make_dense_risk(spec, values.data(), n, d, float32, c_order);
}

/// The losses by name: "squared" and "log" (their own policies) and scikit-learn's names of
/// the others (MarginLoss).
RiskSpec glm_spec(const std::string& loss) {
  RiskSpec spec{};
  spec.model = ModelKind::Margin;
  if (loss == "squared")
    spec.model = ModelKind::Squared;
  else if (loss == "log")
    spec.model = ModelKind::Logistic;
  else if (loss == "hinge")
    spec.margin = MarginKind::Hinge;
  else if (loss == "squared_hinge")
    spec.margin = MarginKind::SquaredHinge;
  else if (loss == "modified_huber")
    spec.margin = MarginKind::ModifiedHuber;
  else if (loss == "perceptron")
    spec.margin = MarginKind::Perceptron;
  else if (loss == "huber")
    spec.margin = MarginKind::Huber;
  else if (loss == "epsilon_insensitive")
    spec.margin = MarginKind::EpsilonInsensitive;
  else if (loss == "squared_epsilon_insensitive")
    spec.margin = MarginKind::SquaredEpsilonInsensitive;
  else
    throw std::invalid_argument("unknown loss '" + loss + "'");
  return spec;
}

std::shared_ptr<GlmHandle> make_glm(const std::string& loss, const py::object& X,
                                    const py::array& y, const py::object& sample_weight,
                                    double l2, bool fit_intercept, int n_threads, double l1,
                                    double epsilon, double max_slope) {
  values_of(X);
  RiskSpec spec = glm_spec(loss);
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon))
    throw std::invalid_argument("epsilon must be finite and >= 0");
  if (!(max_slope > 0.0)) throw std::invalid_argument("max_slope must be > 0");
  spec.max_slope = max_slope;
  const Index n = rows_of(X);
  if (py::isinstance<py::array_t<float>>(values_of(X)))
    require_vector<float>(y, n, "y");
  else
    require_vector<double>(y, n, "y");
  spec.fit_intercept = fit_intercept;
  spec.y = y.data();
  spec.l2 = l2;
  spec.l1 = l1;
  spec.n_threads = n_threads;
  spec.epsilon = epsilon;
  const bool differentiable =
      spec.model != ModelKind::Margin || MarginLoss(spec.margin, epsilon).differentiable();
  return std::make_shared<GlmHandle>(make_data_objective(X, spec, sample_weight),
                                     differentiable);
}

std::shared_ptr<SoftmaxHandle> make_softmax(const py::object& X, const py::array& y,
                                            Index n_classes, const py::object& sample_weight,
                                            double l2, bool fit_intercept, int n_threads,
                                            double l1) {
  values_of(X);
  if (!py::array_t<std::int64_t, py::array::c_style>::check_(y) || y.ndim() != 1 ||
      y.shape(0) != rows_of(X))
    throw std::invalid_argument("y must be a contiguous int64 array with one label per row of X");
  RiskSpec spec{};
  spec.model = ModelKind::Softmax;
  spec.fit_intercept = fit_intercept;
  spec.n_classes = n_classes;
  spec.y = y.data();
  spec.l2 = l2;
  spec.l1 = l1;
  spec.n_threads = n_threads;
  return std::make_shared<SoftmaxHandle>(make_data_objective(X, spec, sample_weight), n_classes);
}

/// [start, stop) from Python's start and stop (None: n), checked against n.
std::pair<Index, Index> row_range(Index start, const py::object& stop_obj, Index n) {
  const Index stop = stop_obj.is_none() ? n : stop_obj.cast<Index>();
  if (start < 0 || stop > n || start > stop)
    throw py::value_error("start and stop must satisfy 0 <= start <= stop <= n_samples = " +
                          std::to_string(n) + ", got " + std::to_string(start) + " and " +
                          std::to_string(stop));
  return {start, stop};
}

}  // namespace

void bind_objectives(py::module_& m) {
  using namespace pybind11::literals;

  py::class_<Objective, std::shared_ptr<Objective>>(m, "Objective", R"doc(
The interface every descend objective implements (a compiled object).

Methods take array-likes of floats and return float64 numpy arrays; each checks the length of
every argument against ``n_params`` (a ValueError naming it otherwise) and releases the GIL
while it computes.

- ``value(w)``: R(w)
- ``gradient(w)``: the gradient of R at w
- ``value_and_gradient(w)``: both, in one pass over the data
- ``hessian(w)``: the dense (n_params, n_params) Hessian
- ``hvp(w, v)``: the Hessian-vector product H(w) v
- ``batch_value_and_gradient(w, rows)``: value and gradient on the listed rows (the
  weighted batch mean plus the penalty), for objectives that are sums over samples

Examples
--------
>>> import descend
>>> f = descend.problems.bowl()
>>> isinstance(f, descend.Objective), f.n_params
(True, 2)
)doc")
      .def_property_readonly("n_params", &Objective::n_params, "Length of the parameter vector.")
      .def_property_readonly("n_samples", &Objective::n_samples,
                             "Number of samples (rows of X); 0 if not a sum over samples.")
      .def_property_readonly("has_hessian", &Objective::has_hessian,
                             "Whether hessian() and hvp() are available.")
      .def_property_readonly("convex", &Objective::convex,
                             "Whether the objective is convex by construction (a linear "
                             "model's loss and penalties): a point where its gradient "
                             "vanishes is then a minimum, and no second-derivative test is run.")
      .def_property_readonly("l1_penalty", &Objective::l1,
                             "The L1 penalty value() includes and gradient() leaves out.")
      .def(
          "value",
          [](const Objective& f, const py::object& w_obj) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            py::gil_scoped_release unlocked;
            return f.value(view(w));
          },
          "w"_a, "R(w).")
      .def(
          "gradient",
          [](const Objective& f, const py::object& w_obj) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            VecX g(f.n_params());
            {
              py::gil_scoped_release unlocked;
              f.gradient(view(w), g);
            }
            return g;
          },
          "w"_a, "The gradient of R at w (a new array).")
      .def(
          "value_and_gradient",
          [](const Objective& f, const py::object& w_obj) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            VecX g(f.n_params());
            double v;
            {
              py::gil_scoped_release unlocked;
              v = f.value_and_gradient(view(w), g);
            }
            return std::make_pair(v, std::move(g));
          },
          "w"_a, "(R(w), gradient at w), computed in one pass over the data.")
      .def(
          "hessian",
          [](const Objective& f, const py::object& w_obj) {
            require_hessian(f);
            const auto w = as_params(w_obj, f.n_params(), "w");
            MatX H = dense_hessian(f.n_params());
            {
              py::gil_scoped_release unlocked;
              f.hessian(view(w), H);
            }
            return H;
          },
          "w"_a, "The dense Hessian at w.")
      .def(
          "hvp",
          [](const Objective& f, const py::object& w_obj, const py::object& v_obj) {
            require_hessian(f);
            const auto w = as_params(w_obj, f.n_params(), "w");
            const auto v = as_params(v_obj, f.n_params(), "v");
            VecX out(f.n_params());
            {
              py::gil_scoped_release unlocked;
              f.hvp(view(w), view(v), out);
            }
            return out;
          },
          "w"_a, "v"_a, "The Hessian-vector product H(w) v, without forming H.")
      .def(
          "batch_value_and_gradient",
          [](const Objective& f, const py::object& w_obj, const py::object& rows_obj) {
            if (f.n_samples() < 1)
              throw py::type_error(f.name() + " is not a sum over samples: it has no batches");
            const auto w = as_params(w_obj, f.n_params(), "w");
            const auto rows = as_rows(rows_obj, f.n_samples());
            VecX g(f.n_params());
            double v;
            {
              py::gil_scoped_release unlocked;
              v = f.batch_value_and_gradient(view(w), rows.data(), rows.shape(0), g);
            }
            return std::make_pair(v, std::move(g));
          },
          "w"_a, "rows"_a,
          "(value, gradient) on the listed rows: the weighted batch mean plus the penalty.");

  py::class_<DataObjective, Objective, std::shared_ptr<DataObjective>>(m, "EmpiricalRisk", R"doc(
The base of the objectives over a data matrix X (least squares, logistic, softmax, the
network MLP).

Besides the Objective methods, it gives the unnormalised sums over a range of rows
``[start, stop)`` (all rows by default): no penalty and no division by the total weight, in
the units of the sample weights passed in. Adding them over objectives built on consecutive
chunks of rows gives the sums over all rows, which is how a distributed fit (one objective
per chunk) combines them: R = loss_sum / weight_sum + penalty.

Examples
--------
>>> import numpy as np, descend
>>> X, y = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 2.0])
>>> f = descend.LeastSquares(X, y)
>>> a, b = descend.LeastSquares(X[:1], y[:1]), descend.LeastSquares(X[1:], y[1:])
>>> w = np.array([0.5])
>>> total = a.loss_sum(w)[0] + b.loss_sum(w)[0]
>>> bool(np.isclose(total / (a.weight_sum() + b.weight_sum()), f.value(w)))
True
)doc")
      .def(
          "parameter_scales",
          [](const DataObjective& f) -> py::object {
            VecX scales;
            bool known;
            {
              py::gil_scoped_release unlocked;
              known = f.parameter_scales(scales);
            }
            if (!known) return py::none();
            return py::cast(std::move(scales));
          },
          R"doc(Each parameter's curvature scale D (None when the model has none).

For weight j of each output, feature j's weighted mean square plus l2 (1 for a column of
zeros); 1 for an intercept. The solvers ask the relative first-order test of ``||g / sqrt(D)||``
as well as of ``||g||``, so that rescaling one feature cannot make a run stop far from the
optimum of that feature's weight. One pass over X.

Examples
--------
>>> import numpy as np, descend
>>> f = descend.LeastSquares(np.array([[1.0, 0.5], [3.0, 0.0]]), np.ones(2),
...                          fit_intercept=True)
>>> f.parameter_scales().tolist()
[5.0, 0.125, 1.0]
)doc")
      .def("_set_batch_mean_weight", &DataObjective::set_batch_mean_weight, "mean"_a,
           "Divide each mini-batch of m rows by m * mean (default: this objective's own "
           "mean weight S / n). descend.dask gives each chunk's objective the whole data "
           "set's mean, so that a chunk's batches step as the whole set's would.")
      .def(
          "weight_sum",
          [](const DataObjective& f, Index start, const py::object& stop) {
            const auto [begin, end] = row_range(start, stop, f.n_samples());
            return f.weight_sum(begin, end);
          },
          "start"_a = 0, "stop"_a = py::none(), "sum_i s_i over the rows [start, stop).")
      .def(
          "loss_sum",
          [](const DataObjective& f, const py::object& w_obj, Index start, const py::object& stop) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            const auto [begin, end] = row_range(start, stop, f.n_samples());
            VecX g(f.n_params());
            double v;
            {
              py::gil_scoped_release unlocked;
              VecRef ref(g);
              v = f.loss_sum(view(w), begin, end, &ref);
            }
            return std::make_pair(v, std::move(g));
          },
          "w"_a, "start"_a = 0, "stop"_a = py::none(),
          "(sum_i s_i loss_i, sum_i s_i grad loss_i) over the rows [start, stop): no penalty, "
          "not divided by the weights.")
      .def(
          "hessian_sum",
          [](const DataObjective& f, const py::object& w_obj, Index start, const py::object& stop) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            const auto [begin, end] = row_range(start, stop, f.n_samples());
            MatX H = dense_hessian(f.n_params());
            {
              py::gil_scoped_release unlocked;
              f.hessian_sum(view(w), begin, end, H);
            }
            return H;
          },
          "w"_a, "start"_a = 0, "stop"_a = py::none(),
          "sum_i s_i hess loss_i over the rows [start, stop) (no penalty, not divided).")
      .def(
          "hvp_sum",
          [](const DataObjective& f, const py::object& w_obj, const py::object& v_obj,
             Index start, const py::object& stop) {
            const auto w = as_params(w_obj, f.n_params(), "w");
            const auto v = as_params(v_obj, f.n_params(), "v");
            const auto [begin, end] = row_range(start, stop, f.n_samples());
            VecX out(f.n_params());
            {
              py::gil_scoped_release unlocked;
              f.hvp_sum(view(w), view(v), begin, end, out);
            }
            return out;
          },
          "w"_a, "v"_a, "start"_a = 0, "stop"_a = py::none(),
          "(sum_i s_i hess loss_i) v over the rows [start, stop) (no penalty, not divided).");

  py::class_<GlmHandle, DataObjective, std::shared_ptr<GlmHandle>>(m, "Glm")
      .def(py::init(&make_glm), "loss"_a, "X"_a, "y"_a, "sample_weight"_a, "l2"_a,
           "fit_intercept"_a, "n_threads"_a, "l1"_a = 0.0, "epsilon"_a = 0.0,
           "max_slope"_a = std::numeric_limits<double>::infinity(), py::keep_alive<1, 3>(),
           py::keep_alive<1, 4>())
      .def_property_readonly("smooth", &GlmHandle::smooth,
                             "Whether the loss is differentiable (False: hinge, perceptron, "
                             "epsilon_insensitive, whose gradient is a subgradient).");

  // Averaged SGD (iterate_average.hpp): wraps an empirical risk for one mini-batch run.
  py::class_<IterateAverage, Objective, std::shared_ptr<IterateAverage>>(m, "IterateAverage")
      .def(py::init([](std::shared_ptr<DataObjective> f, Index start) {
             return std::make_shared<IterateAverage>(std::move(f), start);
           }),
           "objective"_a, "start"_a, py::keep_alive<1, 2>())
      .def(
          "set_state",
          [](IterateAverage& a, Index steps, Index count, const py::object& mean) {
            const auto v = as_params(mean, a.n_params(), "mean");
            a.set_state(steps, count, view(v));
          },
          "steps"_a, "count"_a, "mean"_a)
      .def_property_readonly("start", &IterateAverage::start)
      .def_property_readonly("steps", &IterateAverage::steps)
      .def_property_readonly("count", &IterateAverage::count)
      .def_property_readonly("mean", [](const IterateAverage& a) { return VecX(a.mean()); })
      .def(
          "average",
          [](const IterateAverage& a, const py::object& x) {
            const auto v = as_params(x, a.n_params(), "x");
            return a.average(view(v));
          },
          "x"_a, "The averaged parameters of a run that ended at x.");

  py::class_<SoftmaxHandle, DataObjective, std::shared_ptr<SoftmaxHandle>>(m, "Softmax")
      .def(py::init(&make_softmax), "X"_a, "y"_a, "n_classes"_a, "sample_weight"_a, "l2"_a,
           "fit_intercept"_a, "n_threads"_a, "l1"_a = 0.0, py::keep_alive<1, 2>(),
           py::keep_alive<1, 3>())
      .def_property_readonly("n_classes", &SoftmaxHandle::n_classes);

  py::class_<Quadratic, Objective, std::shared_ptr<Quadratic>>(m, "Quadratic")
      .def(py::init<MatX, VecX, double>(), "A"_a, "b"_a, "c"_a)
      .def_property_readonly("A", &Quadratic::A)
      .def_property_readonly("b", &Quadratic::b)
      .def_property_readonly("c", &Quadratic::c);

  py::class_<Polynomial1D, Objective, std::shared_ptr<Polynomial1D>>(m, "Polynomial1D")
      .def(py::init<std::vector<double>>(), "coefficients"_a)
      .def_property_readonly("coefficients", &Polynomial1D::coefficients);

  py::class_<AbsoluteDeviation, Objective, std::shared_ptr<AbsoluteDeviation>>(
      m, "AbsoluteDeviation")
      .def(py::init<VecX>(), "center"_a)
      .def_property_readonly("center", &AbsoluteDeviation::center);

  py::class_<Rosenbrock, Objective, std::shared_ptr<Rosenbrock>>(m, "Rosenbrock")
      .def(py::init<Index>(), "dim"_a);
}

}  // namespace descend::bindings
