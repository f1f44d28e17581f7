#pragma once
// The one place the bindings include pybind11, so every binding file uses the same casters.

#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace descend::bindings {

void bind_objectives(py::module_& m);
void bind_solvers(py::module_& m);
void bind_first_order(py::module_& m);
void bind_callables(py::module_& m);
void bind_stepper(py::module_& m);
void bind_projection(py::module_& m);
void bind_mlp(py::module_& m);

}  // namespace descend::bindings
