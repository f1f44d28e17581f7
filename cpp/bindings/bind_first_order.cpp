// The first-order family: schedules, the permutation the mini-batch loop walks, and the runs
// of minimize's first-order methods (steppers: bind_stepper.cpp; projections:
// bind_projection.cpp).

#include <descend/batches.hpp>
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

  m.def(
      "run_first_order",
      [](const Objective& f, VecX x0, Stepper& stepper, const py::object& schedule,
         double tol, double tol_abs, double gtol, double gtol_abs, Index max_iter,
         const py::object& batch, const py::object& callback, const py::object& constraint) {
        const Projection projection = to_projection(constraint);
        const double lr0 = std::visit([](const auto& r) { return r.lr.first(); }, stepper.rule);
        const ScheduleFn factor = schedule_function(schedule, lr0);
        const Callback cb = wrap_callback(callback);  // both destroyed after the GIL is back
        const InterruptPoller::Check interrupt = python_interrupt();
        Result r;
        if (batch.is_none()) {
          const StopCriteria stop = stop_criteria(tol, tol_abs, gtol, gtol_abs, max_iter);
          py::gil_scoped_release unlocked;
          r = std::visit(
              [&](const auto& rule) {
                return run_full_batch(f, std::move(x0), rule, factor, stop, cb, projection,
                                      interrupt);
              },
              stepper.rule);
        } else {
          const auto b = batch.cast<py::dict>();
          MinibatchParams p;
          p.batch_size = b["batch_size"].cast<Index>();
          p.epochs = b["epochs"].cast<Index>();
          p.shuffle = b["shuffle"].cast<bool>();
          p.seed = b["seed"].cast<std::uint64_t>();
          p.drop_last = b["drop_last"].cast<bool>();
          p.tol = b["tol"].is_none() ? -1.0 : b["tol"].cast<double>();
          p.tol_abs = tol_abs;
          p.n_iter_no_change = b["n_iter_no_change"].cast<Index>();
          p.full_loss = b["epoch_loss"].cast<std::string>() == "full";
          p.keep_state = b.contains("keep_state") && b["keep_state"].cast<bool>();
          p.gtol = gtol;
          p.gtol_abs = gtol_abs;
          // A fresh copy of the rule, or (keep_state, for partial_fit) the stepper's own.
          AnyRule copy = stepper.rule;
          AnyRule& rule_used = p.keep_state ? stepper.rule : copy;
          py::gil_scoped_release unlocked;
          r = std::visit(
              [&](auto& rule) {
                return run_minibatch(f, std::move(x0), rule, factor, p, cb, projection,
                                     interrupt);
              },
              rule_used);
        }
        return result_to_dict(r);
      },
      "objective"_a, "x0"_a, "stepper"_a, "schedule"_a, "tol"_a, "tol_abs"_a, "gtol"_a,
      "gtol_abs"_a, "max_iter"_a,
      "batch"_a, "callback"_a, "constraint"_a);

}

}  // namespace descend::bindings
