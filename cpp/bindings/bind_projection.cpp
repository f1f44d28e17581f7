// Constraint sets (descend.constraints) as the core's Projection: conversion only.

#include <descend/projections.hpp>

#include "pybind.hpp"

namespace descend::bindings {

void bind_projection(py::module_& m) {
  using namespace pybind11::literals;

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
