// Python functions as objectives: the C++ loops call back into Python, taking the GIL only
// for each call. Every value the user's functions return is checked before the core uses it;
// exceptions they raise propagate to the caller of minimize with their traceback.

#include <cmath>
#include <string>

#include <descend/objective.hpp>

#include "pybind.hpp"

namespace descend::bindings {
namespace {

class PyObjective final : public Objective {
 public:
  /// fun(x) -> float, or (float, gradient) when jac is True; jac(x) -> gradient;
  /// hess(x) -> (n, n) matrix; hessp(x, v) -> H v. hess and hessp may be None. `scales`:
  /// the parameters' curvature scales (Objective::parameter_scales), n finite values > 0,
  /// or None. `exact_gradient`: false when jac is a finite-difference estimate. `outputs`:
  /// the number of outputs whose parameter blocks make up x (Objective::outputs). `convex`:
  /// the caller knows the function is convex (Objective::convex; descend.dask's objectives).
  PyObjective(py::object fun, py::object jac, py::object hess, py::object hessp, Index n,
              const py::object& scales, bool exact_gradient, Index outputs, bool convex)
      : fun_(std::move(fun)), jac_(std::move(jac)), hess_(std::move(hess)),
        hessp_(std::move(hessp)), n_(n), outputs_(outputs), jac_in_fun_(jac_.is(py::bool_(true))),
        exact_gradient_(exact_gradient), convex_(convex) {
    if (n < 1) throw std::invalid_argument("x0 must not be empty");
    if (outputs < 1 || n % outputs != 0)
      throw std::invalid_argument("outputs must be >= 1 and divide n");
    if (!scales.is_none()) {
      scales_.resize(n);
      read_vector(scales, scales_, "parameter_scales");
      if (!(scales_.array() > 0.0).all())
        throw std::invalid_argument("parameter_scales must be finite and > 0");
      has_scales_ = true;
    }
  }

  bool parameter_scales(VecX& scales) const override {
    if (has_scales_) scales = scales_;
    return has_scales_;
  }
  Index outputs() const override { return outputs_; }
  bool convex() const override { return convex_; }

  ~PyObjective() override {
    py::gil_scoped_acquire gil;  // the Python references may be dropped from any thread
    fun_ = py::object();
    jac_ = py::object();
    hess_ = py::object();
    hessp_ = py::object();
  }

  Index n_params() const override { return n_; }
  bool has_hessian() const override { return !hess_.is_none() || !hessp_.is_none(); }
  bool exact_gradient() const override { return exact_gradient_; }
  std::string name() const override { return "a Python function"; }

  double value(const CVecRef& w) const override {
    py::gil_scoped_acquire gil;
    py::object out = fun_(to_numpy(w));
    if (jac_in_fun_) return scalar(first_of_pair(out), "fun");
    return scalar(out, "fun");
  }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    py::gil_scoped_acquire gil;
    const py::array x = to_numpy(w);
    if (jac_in_fun_) {
      py::object out = fun_(x);
      const double v = scalar(first_of_pair(out), "fun");
      read_vector(py::object(out[py::int_(1)]), g, "the gradient returned by fun");
      return v;
    }
    const double v = scalar(fun_(x), "fun");
    read_vector(jac_(to_numpy(w)), g, "jac");  // its own copy: fun may have changed x
    return v;
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    py::gil_scoped_acquire gil;
    if (hess_.is_none()) {  // only hessp: assemble H from Hessian-vector products
      hessian_from_products(*this, w, H);
      return;
    }
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
        hess_(to_numpy(w)));
    if (!a || a.ndim() != 2 || a.shape(0) != n_ || a.shape(1) != n_)
      throw std::invalid_argument("hess must return an array of shape (" + std::to_string(n_) +
                                  ", " + std::to_string(n_) + ")");
    H = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        a.data(), n_, n_);
    if (!H.allFinite()) throw std::invalid_argument("hess returned NaN or infinity");
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    if (hessp_.is_none()) {
      MatX H(n_, n_);
      hessian(w, H);
      out.noalias() = H * v;
      return;
    }
    py::gil_scoped_acquire gil;
    read_vector(hessp_(to_numpy(w), to_numpy(v)), out, "hessp");
  }

 private:
  py::array to_numpy(const CVecRef& w) const {
    if (w.size() != n_)
      throw std::invalid_argument("x must have length " + std::to_string(n_));
    return py::array_t<double>(n_, w.data());  // a copy the user's function may keep
  }

  static py::object first_of_pair(const py::object& out) {
    if (!(py::isinstance<py::tuple>(out) || py::isinstance<py::list>(out)) || py::len(out) != 2)
      throw py::type_error("with jac=True, fun must return a pair (value, gradient)");
    return out[py::int_(0)];
  }

  static double scalar(const py::object& out, const char* who) {
    try {
      // A one-element array counts as its element, as in scipy.
      if (py::isinstance<py::array>(out) && py::len(out.attr("ravel")()) == 1)
        return py::float_(out.attr("item")());
      return py::float_(out);
    } catch (py::error_already_set&) {
      throw py::type_error(std::string(who) + " must return a real number, got " +
                           std::string(py::str(py::type::of(out).attr("__name__"))));
    }
  }

  void read_vector(const py::object& out, VecRef target, const char* who) const {
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(out);
    if (!a || a.ndim() != 1 || a.shape(0) != n_)
      throw std::invalid_argument(std::string(who) + " must return a 1-D array of length " +
                                  std::to_string(n_));
    target = Eigen::Map<const VecX>(a.data(), n_);
    if (!target.allFinite())
      throw std::invalid_argument(std::string(who) + " returned NaN or infinity");
  }

  py::object fun_, jac_, hess_, hessp_;
  Index n_;
  Index outputs_;
  bool jac_in_fun_;
  bool exact_gradient_;
  bool convex_;
  VecX scales_;
  bool has_scales_ = false;
};

}  // namespace

void bind_callables(py::module_& m) {
  using namespace pybind11::literals;
  py::class_<PyObjective, Objective, std::shared_ptr<PyObjective>>(m, "PyObjective")
      .def(py::init<py::object, py::object, py::object, py::object, Index, py::object, bool,
                    Index, bool>(),
           "fun"_a, "jac"_a, "hess"_a, "hessp"_a, "n"_a, "scales"_a = py::none(),
           "exact_gradient"_a = true, "outputs"_a = 1, "convex"_a = false);
}

}  // namespace descend::bindings
