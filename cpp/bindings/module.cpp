#include "pybind.hpp"

PYBIND11_MODULE(DESCEND_MODULE_NAME, m) {
  m.doc() = "descend's compiled core (internal: use the descend package instead)";
  descend::bindings::bind_objectives(m);
  descend::bindings::bind_solvers(m);
  descend::bindings::bind_stepper(m);
  descend::bindings::bind_projection(m);
  descend::bindings::bind_first_order(m);
  descend::bindings::bind_callables(m);
  descend::bindings::bind_mlp(m);
}
