// Solvers: each binding converts its arguments, releases the GIL for the whole run and
// converts the Result back. Nothing else.

#include <descend/curvature.hpp>
#include <descend/solvers/descent.hpp>

#include "conversions.hpp"
#include "pybind.hpp"

namespace descend::bindings {

namespace {

/// The snapshot handed to a Python callback (x is a copy the callback may keep).
struct IterationSnapshot {
  Index nit;
  VecX x;
  double loss, grad_norm, step;
};

py::array_t<double> to_numpy(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

/// v as a numpy array that owns v's storage: moved there, not copied (a fit's 2**22 weights
/// are 32 MB, whose copy would cost more than an SGD epoch's share of them).
py::array_t<double> take_as_numpy(VecX&& v) {
  if (v.size() == 0) return py::array_t<double>(0);
  auto* owner = new VecX(std::move(v));
  const py::capsule free_when_done(owner, [](void* p) { delete static_cast<VecX*>(p); });
  return py::array_t<double>(owner->size(), owner->data(), free_when_done);
}

}  // namespace

py::dict result_to_dict(Result&& r) {
  py::dict d;
  d["x"] = take_as_numpy(std::move(r.x));
  d["fun"] = r.fun;
  d["grad_norm"] = r.grad_norm;
  d["nit"] = r.nit;
  d["nfev"] = r.nfev;
  d["njev"] = r.njev;
  d["nhev"] = r.nhev;
  d["status"] = status_name(r.status);
  d["success"] = status_success(r.status);
  d["message"] = r.message;
  py::dict h;
  h["iteration"] = to_numpy(r.history.iteration);
  h["loss"] = to_numpy(r.history.loss);
  h["grad_norm"] = to_numpy(r.history.grad_norm);
  h["step"] = to_numpy(r.history.step);
  h["time"] = to_numpy(r.history.time);
  if (!r.history.damping.empty()) h["damping"] = to_numpy(r.history.damping);
  d["history"] = h;
  if (r.x_best.size() > 0) {
    d["x_best"] = take_as_numpy(std::move(r.x_best));
    d["fun_best"] = r.fun_best;
  }
  return d;
}

Callback wrap_callback(const py::object& callback) {
  if (callback.is_none()) return {};
  return [callback](const IterationInfo& info) -> bool {
    py::gil_scoped_acquire gil;
    try {
      py::object out =
          callback(IterationSnapshot{info.nit, info.x, info.loss, info.grad_norm, info.step});
      if (out.is_none()) return false;
      if (py::isinstance<py::bool_>(out)) return out.cast<bool>();
      const std::string type = py::str(py::type::of(out).attr("__name__"));
      if (type == "bool_" || type == "bool") return PyObject_IsTrue(out.ptr()) == 1;  // numpy
      throw py::type_error("callback must return None, True or False (True stops the run), "
                           "got " + type);
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_StopIteration)) return true;
      throw;
    }
  };
}

InterruptPoller::Check python_interrupt() {
  return [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

void bind_solvers(py::module_& m) {
  using namespace pybind11::literals;

  py::class_<IterationSnapshot>(m, "IterationInfo")
      .def_readonly("nit", &IterationSnapshot::nit)
      .def_readonly("x", &IterationSnapshot::x)
      .def_readonly("loss", &IterationSnapshot::loss)
      .def_readonly("grad_norm", &IterationSnapshot::grad_norm)
      .def_readonly("step", &IterationSnapshot::step)
      .def("__repr__", [](const IterationSnapshot& s) {
        return "IterationInfo(nit=" + std::to_string(s.nit) +
               ", loss=" + std::to_string(s.loss) +
               ", grad_norm=" + std::to_string(s.grad_norm) + ")";
      });

  m.def(
      "descent",
      [](const Objective& f, VecX x0, const std::string& direction,
         const std::string& line_search, double lr, Index m, double c1, double c2,
         Index max_evals, double tol, double tol_abs, double gtol, double gtol_abs,
         Index max_iter, const py::object& callback) {
        DescentParams p;
        p.direction = parse_direction(direction);
        p.line_search = parse_line_search(line_search);
        p.lr = lr;
        p.m = m;
        p.search = LineSearchParams{c1, c2, max_evals};
        p.stop = stop_criteria(tol, tol_abs, gtol, gtol_abs, max_iter);
        const Callback cb = wrap_callback(callback);
        const InterruptPoller::Check interrupt = python_interrupt();
        Result r;
        {
          py::gil_scoped_release unlocked;
          r = descent(f, std::move(x0), p, cb, interrupt);
        }
        return result_to_dict(std::move(r));
      },
      "objective"_a, "x0"_a, "direction"_a, "line_search"_a, "lr"_a, "m"_a, "c1"_a, "c2"_a,
      "max_evals"_a, "tol"_a, "tol_abs"_a, "gtol"_a, "gtol_abs"_a, "max_iter"_a, "callback"_a);

  m.def(
      "classify_curvature",
      [](double low, double high, double rtol) {
        if (!(low <= high)) throw std::invalid_argument("low must be <= high");
        if (!(rtol >= 0.0)) throw std::invalid_argument("tol must be >= 0");
        return std::string(curvature_name(classify_curvature(low, high, rtol)));
      },
      "low"_a, "high"_a, "rtol"_a = kCurvatureRtol,
      "The second-derivative test on the extreme eigenvalues (descend/curvature.hpp).");
}

}  // namespace descend::bindings
