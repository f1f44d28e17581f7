// The first-order family: schedules, the mini-batch options, the permutation the mini-batch
// loop walks, and the two loops of minimize's first-order methods (steppers:
// bind_stepper.cpp; projections: bind_projection.cpp).

#include <descend/batches.hpp>
#include <descend/huge_pages.hpp>
#include <descend/projections.hpp>
#include <descend/rules.hpp>
#include <descend/schedules.hpp>
#include <descend/solvers/full_batch.hpp>
#include <descend/solvers/minibatch.hpp>

#include "conversions.hpp"
#include "pybind.hpp"

namespace descend::bindings {
namespace {

/// A schedule given as a _core.Schedule, or as a Python callable t -> lr (called with the GIL).
ScheduleFn schedule_function(const py::object& schedule, double lr0) {
  if (py::isinstance<Schedule>(schedule)) return as_function(schedule.cast<Schedule>());
  return [schedule, lr0](Index t) {
    py::gil_scoped_acquire gil;
    const double lr = py::float_(schedule(t));
    return lr / lr0;
  };
}

/// A constraint: None, a _core.Projection, or a Python callable x -> projected x.
Projection to_projection(const py::object& constraint) {
  if (constraint.is_none()) return {};
  if (py::isinstance<Projection>(constraint)) return constraint.cast<Projection>();
  Projection p;
  p.kind = Projection::Kind::Function;
  p.function = [constraint](VecRef x) {
    py::gil_scoped_acquire gil;
    const auto out = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
        constraint(py::array_t<double>(x.size(), x.data())));
    if (!out || out.ndim() != 1 || out.shape(0) != x.size())
      throw std::invalid_argument("the projection must return an array of x's length");
    x = Eigen::Map<const VecX>(out.data(), x.size());
    if (!x.allFinite()) throw std::invalid_argument("the projection returned NaN or infinity");
  };
  return p;
}

/// The stepper's base learning rate (what a Python schedule's rate is divided by).
double base_rate(const Stepper& stepper) {
  return std::visit([](const auto& r) { return r.lr.first(); }, stepper.rule);
}

}  // namespace

void bind_first_order(py::module_& m) {
  using namespace pybind11::literals;

  py::class_<Schedule> schedule(m, "Schedule");
  py::enum_<Schedule::Kind>(schedule, "Kind")
      .value("constant", Schedule::Kind::Constant)
      .value("step", Schedule::Kind::Step)
      .value("exponential", Schedule::Kind::Exponential)
      .value("inverse", Schedule::Kind::Inverse)
      .value("cosine", Schedule::Kind::Cosine);
  schedule.def(py::init<>())
      .def_readwrite("kind", &Schedule::kind)
      .def_readwrite("gamma", &Schedule::gamma)
      .def_readwrite("step_size", &Schedule::step_size)
      .def_readwrite("decay", &Schedule::decay)
      .def_readwrite("power", &Schedule::power)
      .def_readwrite("period", &Schedule::period)
      .def_readwrite("min_factor", &Schedule::min_factor)
      .def_readwrite("warmup", &Schedule::warmup)
      .def("check", &Schedule::check)
      .def("factor", &Schedule::factor, "t"_a);

  py::class_<MinibatchParams>(m, "MinibatchParams")
      .def(py::init<>())
      .def_readwrite("batch_size", &MinibatchParams::batch_size)
      .def_readwrite("epochs", &MinibatchParams::epochs)
      .def_readwrite("shuffle", &MinibatchParams::shuffle)
      .def_readwrite("intercept_share", &MinibatchParams::intercept_share)
      .def_readwrite("seed", &MinibatchParams::seed)
      .def_readwrite("drop_last", &MinibatchParams::drop_last)
      .def_readwrite("tol", &MinibatchParams::tol)
      .def_readwrite("tol_abs", &MinibatchParams::tol_abs)
      .def_readwrite("n_iter_no_change", &MinibatchParams::n_iter_no_change)
      .def_readwrite("gtol", &MinibatchParams::gtol)
      .def_readwrite("gtol_abs", &MinibatchParams::gtol_abs)
      .def_readwrite("divergence_patience", &MinibatchParams::divergence_patience)
      .def_readwrite("full_loss", &MinibatchParams::full_loss)
      .def_readwrite("keep_state", &MinibatchParams::keep_state)
      .def_readwrite("lazy_adam", &MinibatchParams::lazy_adam)
      .def("check", py::overload_cast<>(&MinibatchParams::check, py::const_));

  // A test hook: the parameters the lazy sparse steps have updated in this process
  // (solvers/lazy_steps.hpp lazy_parameters_moved; not the epochs' flushes).
  m.def("_lazy_parameters_moved", [] { return lazy_parameters_moved().load(); });

  m.def(
      "permutation",
      [](Index n, std::uint64_t seed, std::uint64_t epoch) {
        if (n < 1) throw std::invalid_argument("n must be >= 1");
        // numpy allocates (a MemoryError naming the size when it cannot); the core fills it.
        py::array_t<Index> a(static_cast<py::ssize_t>(n));
        Index* out = a.mutable_data();
        {
          py::gil_scoped_release unlocked;
          permutation_into(n, seed, epoch, out);
        }
        return a;
      },
      "n"_a, "seed"_a, "epoch"_a);

  // The two loops of minimize's first-order methods. The stepper's rule runs as a fresh copy
  // (its state reset), or, for a mini-batch run with keep_state (partial_fit), in place.
  m.def(
      "run_full_batch",
      [](const Objective& f, const Eigen::Ref<const VecX>& start, const Stepper& stepper,
         const py::object& schedule, double tol, double tol_abs, double gtol, double gtol_abs, Index max_iter,
         const py::object& callback, const py::object& constraint) {
        VecX x0 = copy_on_huge_pages(start);  // the run's iterate (2**22 weights: 32 MB)
        const Projection projection = to_projection(constraint);
        const ScheduleFn factor = schedule_function(schedule, base_rate(stepper));
        const Callback cb = wrap_callback(callback);  // both destroyed after the GIL is back
        const InterruptPoller::Check interrupt = python_interrupt();
        const StopCriteria stop = stop_criteria(tol, tol_abs, gtol, gtol_abs, max_iter);
        Result r;
        {
          py::gil_scoped_release unlocked;
          r = std::visit(
              [&](const auto& rule) {
                return run_full_batch(f, std::move(x0), rule, factor, stop, cb, projection,
                                      interrupt);
              },
              stepper.rule);
        }
        return result_to_dict(std::move(r));
      },
      "objective"_a, "x0"_a, "stepper"_a, "schedule"_a, "tol"_a, "tol_abs"_a, "gtol"_a,
      "gtol_abs"_a, "max_iter"_a, "callback"_a, "constraint"_a);

  m.def(
      "run_minibatch",
      [](const Objective& f, const Eigen::Ref<const VecX>& start, Stepper& stepper,
         const py::object& schedule, const MinibatchParams& batch, const py::object& callback,
         const py::object& constraint) {
        VecX x0 = copy_on_huge_pages(start);  // the run's iterate (2**22 weights: 32 MB)
        const Projection projection = to_projection(constraint);
        const ScheduleFn factor = schedule_function(schedule, base_rate(stepper));
        const Callback cb = wrap_callback(callback);  // both destroyed after the GIL is back
        const InterruptPoller::Check interrupt = python_interrupt();
        AnyRule copy = batch.keep_state ? AnyRule{} : stepper.rule;
        AnyRule& rule_used = batch.keep_state ? stepper.rule : copy;
        Result r;
        {
          py::gil_scoped_release unlocked;
          r = std::visit(
              [&](auto& rule) {
                return run_minibatch(f, std::move(x0), rule, factor, batch, cb, projection,
                                     interrupt);
              },
              rule_used);
        }
        return result_to_dict(std::move(r));
      },
      "objective"_a, "x0"_a, "stepper"_a, "schedule"_a, "batch"_a, "callback"_a,
      "constraint"_a);
}

}  // namespace descend::bindings
