// The first-order family: update rules as steppers (descend.optimizers), the permutation
// the mini-batch loop walks, and the runs of minimize's first-order methods.

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

/// An update rule with its state, for users' own loops and for minimize.
struct Stepper {
  AnyRule rule;
};

Stepper make_stepper(const std::string& kind, const VecX& lr, double momentum,
                     double weight_decay, double lr_decay, double eps, double alpha, double beta1,
                     double beta2, double initial_accumulator) {
  LearningRate rate{lr};
  Stepper s;
  if (kind == "sgd") s.rule = GradientStep{rate, weight_decay};
  else if (kind == "momentum") s.rule = Momentum{rate, momentum, weight_decay, {}};
  else if (kind == "nesterov") s.rule = Nesterov{rate, momentum, weight_decay, {}, {}, false};
  else if (kind == "adagrad")
    s.rule = AdaGrad{rate, lr_decay, eps, weight_decay, initial_accumulator, {}, {}, 0};
  else if (kind == "rmsprop") s.rule = RMSProp{rate, alpha, eps, weight_decay, {}, {}};
  else if (kind == "adam" || kind == "adamw")
    s.rule = Adam{rate, beta1, beta2, eps, weight_decay, kind == "adamw", {}, {}, {}, 0};
  else throw std::invalid_argument("unknown rule '" + kind + "'");
  std::visit([&](auto& r) { r.check(lr.size() == 1 ? 1 : lr.size()); }, s.rule);
  return s;
}

/// The named state vectors of a rule (copies), and the step count where it has one.
py::dict rule_state(const AnyRule& rule) {
  py::dict d;
  std::visit(
      [&](const auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, Momentum>) d["dw"] = r.dw;
        if constexpr (std::is_same_v<R, Nesterov>) {
          d["buf"] = r.buf;
          d["started"] = r.started;
        }
        if constexpr (std::is_same_v<R, AdaGrad>) {
          d["sum"] = r.sum;
          d["t"] = r.t;
        }
        if constexpr (std::is_same_v<R, RMSProp>) d["v"] = r.v;
        if constexpr (std::is_same_v<R, Adam>) {
          d["m"] = r.m;
          d["v"] = r.v;
          d["t"] = r.t;
        }
      },
      rule);
  return d;
}

void set_rule_state(AnyRule& rule, const py::dict& d) {
  auto vec = [&](const char* key) { return d[key].cast<VecX>(); };
  std::visit(
      [&](auto& r) {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, Momentum>) r.dw = vec("dw");
        if constexpr (std::is_same_v<R, Nesterov>) {
          r.buf = vec("buf");
          r.started = d["started"].cast<bool>();
        }
        if constexpr (std::is_same_v<R, AdaGrad>) {
          r.sum = vec("sum");
          r.t = d["t"].cast<Index>();
        }
        if constexpr (std::is_same_v<R, RMSProp>) r.v = vec("v");
        if constexpr (std::is_same_v<R, Adam>) {
          r.m = vec("m");
          r.v = vec("v");
          r.t = d["t"].cast<Index>();
          if (r.m.size() != r.v.size()) throw std::invalid_argument("m and v differ in length");
        }
      },
      rule);
}

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

  py::class_<Stepper>(m, "Stepper")
      .def(py::init(&make_stepper), "kind"_a, "lr"_a, "momentum"_a, "weight_decay"_a,
           "lr_decay"_a, "eps"_a, "alpha"_a, "beta1"_a, "beta2"_a, "initial_accumulator"_a)
      .def_property_readonly("kind", [](const Stepper& s) { return rule_name(s.rule); })
      .def(
          "step",
          [](Stepper& s, const py::object& params_obj, const py::object& grad_obj, double scale) {
            // Checks first: the rule writes into params in place, so nothing may be converted.
            if (!py::isinstance<py::array>(params_obj) ||
                !py::array_t<double, py::array::c_style>::check_(params_obj) ||
                py::reinterpret_borrow<py::array>(params_obj).ndim() != 1)
              throw py::type_error("params must be a contiguous 1-D float64 numpy array");
            if (!py::isinstance<py::array>(grad_obj))
              throw py::type_error("grad must be a contiguous 1-D float64 numpy array");
            const auto params = py::reinterpret_borrow<py::array>(params_obj);
            const auto grad = py::reinterpret_borrow<py::array>(grad_obj);
            if (!params.writeable()) throw std::invalid_argument("params is not writable");
            auto params_w = py::reinterpret_borrow<py::array>(params_obj);
            if (!py::array_t<double, py::array::c_style>::check_(grad) || grad.ndim() != 1)
              throw py::type_error("grad must be a contiguous 1-D float64 numpy array");
            if (grad.shape(0) != params.shape(0))
              throw std::invalid_argument("grad must have the length of params");
            const Index n = params.shape(0);
            Eigen::Map<VecX> x(static_cast<double*>(params_w.mutable_data()), n);
            Eigen::Map<const VecX> g(static_cast<const double*>(grad.data()), n);
            std::visit(
                [&](auto& r) {
                  if (!r.lr.scalar() && r.lr.rates.size() != n)
                    throw std::invalid_argument("params must have one entry per learning rate");
                  r.apply(x, g, scale);
                },
                s.rule);
          },
          "params"_a, "grad"_a, "scale"_a = 1.0)
      .def("zero_state", [](Stepper& s) {
        std::visit([](auto& r) { r.reset(0); }, s.rule);
      })
      .def("state", [](const Stepper& s) { return rule_state(s.rule); })
      .def("set_state", [](Stepper& s, const py::dict& d) { set_rule_state(s.rule, d); });

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
        std::vector<Index> out;
        permutation(n, seed, epoch, out);
        py::array_t<Index> a(static_cast<py::ssize_t>(n));
        std::copy(out.begin(), out.end(), a.mutable_data());
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
          StopCriteria stop;
          stop.tol = tol;
          stop.tol_abs = tol_abs;
          stop.gtol = gtol;
          stop.gtol_abs = gtol_abs;
          stop.max_iter = max_iter;
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

  py::class_<Projection> projection(m, "Projection");
  py::enum_<Projection::Kind>(projection, "Kind")
      .value("ball", Projection::Kind::Ball)
      .value("box", Projection::Kind::Box)
      .value("nonnegative", Projection::Kind::NonNegative)
      .value("simplex", Projection::Kind::Simplex);
  projection.def(py::init<>())
      .def_readwrite("kind", &Projection::kind)
      .def_readwrite("radius", &Projection::radius)
      .def_readwrite("center", &Projection::center)
      .def_readwrite("lower", &Projection::lower)
      .def_readwrite("upper", &Projection::upper)
      .def(
          "project",
          [](const Projection& p, VecX x) {
            p.check(x.size());
            p.apply(x);
            return x;
          },
          "x"_a);
}

}  // namespace descend::bindings
