#pragma once
// Checks the bindings make on arrays before the core borrows them: the core trusts no size
// it did not check, even though the Python layer validated first.

#include <stdexcept>
#include <string>

#include <descend/result.hpp>
#include <descend/rules.hpp>
#include <descend/stopping.hpp>

#include "pybind.hpp"

namespace descend::bindings {

/// Requires `a` to be a contiguous 1-D array of T with n elements.
template <typename T>
void require_vector(const py::array& a, Index n, const char* name) {
  if (!py::array_t<T, py::array::c_style>::check_(a))
    throw std::invalid_argument(std::string(name) + " must be a contiguous array of X's dtype");
  if (a.ndim() != 1 || a.shape(0) != n)
    throw std::invalid_argument(std::string(name) + " must be 1-D with one entry per row of X");
}

/// The sample weights as a pointer for the core to copy (null for None), checked first.
template <typename T>
const T* optional_weights(const py::object& sample_weight, Index n) {
  if (sample_weight.is_none()) return nullptr;
  const auto w = py::reinterpret_borrow<py::array>(sample_weight);
  require_vector<T>(w, n, "sample_weight");
  return static_cast<const T*>(w.data());
}

/// A Result as a dict of Python values and numpy arrays (the Python layer builds its Result).
py::dict result_to_dict(Result&& r);

/// Wraps a Python callable (or None) as a core Callback; it takes the GIL only for the call.
/// Returning True or raising StopIteration stops the run; other exceptions propagate.
Callback wrap_callback(const py::object& callback);

/// The interrupt check of the compiled loops: takes the GIL, runs Python's signal handlers
/// and throws (KeyboardInterrupt, for Ctrl-C) when one raised.
InterruptPoller::Check python_interrupt();

}  // namespace descend::bindings
