// Update rules as steppers (descend.optimizers): a rule and its state, built by the core's
// registry (make_rule), stepped on numpy arrays in place, and pickled as (params, state).

#include <descend/rules.hpp>

#include "conversions.hpp"
#include "pybind.hpp"

namespace descend::bindings {
namespace {

/// The rule's named state (copies), through the rule's own state visitor.
py::dict rule_state(AnyRule& rule) {
  py::dict d;
  std::visit([&](auto& r) { r.state([&](const char* name, auto& value) { d[name] = value; }); },
             rule);
  return d;
}

void set_rule_state(AnyRule& rule, const py::dict& d) {
  std::visit(
      [&](auto& r) {
        r.state([&](const char* name, auto& value) {
          if (!d.contains(name))
            throw std::invalid_argument(std::string("the state has no '") + name + "' entry");
          value = d[name].cast<std::decay_t<decltype(value)>>();
        });
      },
      rule);
  // The state vectors must agree in length with each other.
  Index length = -1;
  std::visit(
      [&](auto& r) {
        r.state([&](const char*, auto& value) {
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, VecX>) {
            if (length >= 0 && value.size() != length)
              throw std::invalid_argument("the state vectors differ in length");
            length = value.size();
          }
        });
      },
      rule);
}

py::tuple params_tuple(const RuleParams& p) {
  return py::make_tuple(p.kind, p.lr, p.momentum, p.weight_decay, p.lr_decay, p.eps, p.alpha,
                        p.beta1, p.beta2, p.initial_accumulator);
}

Stepper make_stepper(const std::string& kind, const VecX& lr, double momentum,
                     double weight_decay, double lr_decay, double eps, double alpha, double beta1,
                     double beta2, double initial_accumulator) {
  RuleParams p;
  p.kind = kind;
  p.lr = lr;
  p.momentum = momentum;
  p.weight_decay = weight_decay;
  p.lr_decay = lr_decay;
  p.eps = eps;
  p.alpha = alpha;
  p.beta1 = beta1;
  p.beta2 = beta2;
  p.initial_accumulator = initial_accumulator;
  return Stepper{make_rule(p)};
}

}  // namespace

void bind_stepper(py::module_& m) {
  using namespace pybind11::literals;

  py::class_<Stepper>(m, "Stepper")
      .def(py::init(&make_stepper), "kind"_a, "lr"_a, "momentum"_a, "weight_decay"_a,
           "lr_decay"_a, "eps"_a, "alpha"_a, "beta1"_a, "beta2"_a, "initial_accumulator"_a)
      .def_property_readonly("kind", [](const Stepper& s) { return rule_name(s.rule); })
      .def(
          "step",
          [](Stepper& s, const py::object& params_obj, const py::object& grad_obj, double scale) {
            // Checks first: the rule writes into params in place, so nothing may be converted.
            if (!py::array_t<double, py::array::c_style>::check_(params_obj) ||
                py::reinterpret_borrow<py::array>(params_obj).ndim() != 1)
              throw py::type_error("params must be a contiguous 1-D float64 numpy array");
            if (!py::array_t<double, py::array::c_style>::check_(grad_obj) ||
                py::reinterpret_borrow<py::array>(grad_obj).ndim() != 1)
              throw py::type_error("grad must be a contiguous 1-D float64 numpy array");
            auto params = py::reinterpret_borrow<py::array>(params_obj);
            const auto grad = py::reinterpret_borrow<py::array>(grad_obj);
            if (!params.writeable()) throw std::invalid_argument("params is not writable");
            if (grad.shape(0) != params.shape(0))
              throw std::invalid_argument("grad must have the length of params");
            if (!std::isfinite(scale) || !(scale > 0.0))
              throw std::invalid_argument("scale must be a finite number > 0");
            const Index n = params.shape(0);
            Eigen::Map<VecX> x(static_cast<double*>(params.mutable_data()), n);
            Eigen::Map<const VecX> g(static_cast<const double*>(grad.data()), n);
            if (!g.allFinite())  // a step would spoil params and the rule's state for good
              throw std::invalid_argument("grad contains NaN or infinity");
            std::visit(
                [&](auto& r) {
                  if (!r.lr.scalar() && r.lr.rates.size() != n)
                    throw std::invalid_argument("params must have one entry per learning rate");
                  r.apply(x, g, scale);
                },
                s.rule);
          },
          "params"_a, "grad"_a, "scale"_a = 1.0)
      .def("zero_state", [](Stepper& s) { std::visit([](auto& r) { r.reset(0); }, s.rule); })
      .def("state", [](Stepper& s) { return rule_state(s.rule); })
      .def("set_state", [](Stepper& s, const py::dict& d) { set_rule_state(s.rule, d); })
      .def("params", [](const Stepper& s) { return params_tuple(rule_params(s.rule)); })
      .def(py::pickle(
          [](Stepper& s) { return py::make_tuple(params_tuple(rule_params(s.rule)),
                                                 rule_state(s.rule)); },
          [](const py::tuple& t) {
            if (t.size() != 2) throw std::invalid_argument("not a pickled Stepper");
            const auto p = t[0].cast<py::tuple>();
            if (p.size() != 10) throw std::invalid_argument("not a pickled Stepper");
            Stepper s = make_stepper(p[0].cast<std::string>(), p[1].cast<VecX>(),
                                     p[2].cast<double>(), p[3].cast<double>(),
                                     p[4].cast<double>(), p[5].cast<double>(),
                                     p[6].cast<double>(), p[7].cast<double>(),
                                     p[8].cast<double>(), p[9].cast<double>());
            set_rule_state(s.rule, t[1].cast<py::dict>());
            return s;
          }));
}

}  // namespace descend::bindings
