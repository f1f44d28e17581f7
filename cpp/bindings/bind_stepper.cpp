// Update rules as steppers (descend.optimizers): a rule and its state, built by the core's
// registry (RuleParams, make_rule), stepped on numpy arrays in place (step_rule checks the
// step), and pickled as (params, state).

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

/// RuleParams as a tuple of its fields, in declaration order (its pickled form); lr_power,
/// added later, comes last, so that a tuple of the first ten (an older pickle) still loads.
py::tuple params_tuple(const RuleParams& p) {
  return py::make_tuple(p.kind, p.lr, p.momentum, p.weight_decay, p.lr_decay, p.eps, p.alpha,
                        p.beta1, p.beta2, p.initial_accumulator_value, p.lr_power);
}

RuleParams params_from_tuple(const py::tuple& t) {
  if (t.size() != 10 && t.size() != 11) throw std::invalid_argument("not a pickled RuleParams");
  RuleParams p;
  p.kind = t[0].cast<std::string>();
  p.lr = t[1].cast<VecX>();
  p.momentum = t[2].cast<double>();
  p.weight_decay = t[3].cast<double>();
  p.lr_decay = t[4].cast<double>();
  p.eps = t[5].cast<double>();
  p.alpha = t[6].cast<double>();
  p.beta1 = t[7].cast<double>();
  p.beta2 = t[8].cast<double>();
  p.initial_accumulator_value = t[9].cast<double>();
  if (t.size() == 11) p.lr_power = t[10].cast<double>();
  return p;
}

}  // namespace

void bind_stepper(py::module_& m) {
  using namespace pybind11::literals;

  py::class_<RuleParams>(m, "RuleParams")
      .def(py::init<>())
      .def_readwrite("kind", &RuleParams::kind)
      .def_readwrite("lr", &RuleParams::lr)
      .def_readwrite("momentum", &RuleParams::momentum)
      .def_readwrite("weight_decay", &RuleParams::weight_decay)
      .def_readwrite("lr_decay", &RuleParams::lr_decay)
      .def_readwrite("lr_power", &RuleParams::lr_power)
      .def_readwrite("eps", &RuleParams::eps)
      .def_readwrite("alpha", &RuleParams::alpha)
      .def_readwrite("beta1", &RuleParams::beta1)
      .def_readwrite("beta2", &RuleParams::beta2)
      .def_readwrite("initial_accumulator_value", &RuleParams::initial_accumulator_value)
      .def("check", &RuleParams::check)
      .def(py::pickle([](const RuleParams& p) { return params_tuple(p); },
                      [](const py::tuple& t) { return params_from_tuple(t); }));

  m.def("rule_kinds", [] {
    std::vector<std::string> kinds;
    for (const RuleSpec& s : rule_registry()) kinds.push_back(s.kind);
    return kinds;
  });
  m.def("rule_defaults", [](const std::string& kind) { return rule_spec(kind).defaults; },
        "kind"_a);
  m.def("rule_hyperparameters",
        [](const std::string& kind) { return rule_spec(kind).hyperparameters; }, "kind"_a);

  py::class_<Stepper>(m, "Stepper")
      .def(py::init([](const RuleParams& p) { return Stepper{make_rule(p)}; }), "params"_a)
      .def_property_readonly("kind", [](const Stepper& s) { return rule_name(s.rule); })
      .def(
          "step",
          [](Stepper& s, const py::object& params_obj, const py::object& grad_obj, double scale) {
            // Type checks here: the rule writes into params in place, so nothing may be
            // converted (a copy would leave the caller's array unchanged). step_rule checks
            // the rest before it writes.
            if (!py::array_t<double, py::array::c_style>::check_(params_obj) ||
                py::reinterpret_borrow<py::array>(params_obj).ndim() != 1)
              throw py::type_error("params must be a contiguous 1-D float64 numpy array");
            if (!py::array_t<double, py::array::c_style>::check_(grad_obj) ||
                py::reinterpret_borrow<py::array>(grad_obj).ndim() != 1)
              throw py::type_error("grad must be a contiguous 1-D float64 numpy array");
            auto params = py::reinterpret_borrow<py::array>(params_obj);
            const auto grad = py::reinterpret_borrow<py::array>(grad_obj);
            if (!params.writeable()) throw std::invalid_argument("params is not writable");
            Eigen::Map<VecX> x(static_cast<double*>(params.mutable_data()), params.shape(0));
            Eigen::Map<const VecX> g(static_cast<const double*>(grad.data()), grad.shape(0));
            step_rule(s.rule, x, g, scale);
          },
          "params"_a, "grad"_a, "scale"_a = 1.0)
      .def("zero_state", [](Stepper& s) { std::visit([](auto& r) { r.reset(0); }, s.rule); })
      .def("state", [](Stepper& s) { return rule_state(s.rule); })
      .def("set_state", [](Stepper& s, const py::dict& d) { set_rule_state(s.rule, d); })
      .def("params", [](const Stepper& s) { return rule_params(s.rule); })
      .def(py::pickle(
          [](Stepper& s) { return py::make_tuple(params_tuple(rule_params(s.rule)),
                                                 rule_state(s.rule)); },
          [](const py::tuple& t) {
            if (t.size() != 2) throw std::invalid_argument("not a pickled Stepper");
            Stepper s{make_rule(params_from_tuple(t[0].cast<py::tuple>()))};
            set_rule_state(s.rule, t[1].cast<py::dict>());
            return s;
          }));
}

}  // namespace descend::bindings
