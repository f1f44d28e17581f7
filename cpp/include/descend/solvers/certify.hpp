#pragma once
/// What every solver loop does at the end of a run that passed the first-order test: the
/// second-derivative test (curvature.hpp), which turns "converged" into "saddle" or
/// "maximum" where the curvature shows the point is not a minimum.

#include <stdexcept>
#include <string>

#include "../curvature.hpp"
#include "../result.hpp"
#include "../stopping.hpp"

namespace descend {

/// `unconstrained` is false for runs with a constraint or an L1 penalty: their critical
/// points are not points where the gradient vanishes, and the test does not apply.
template <class Obj>
void certify_minimum(const Obj& f, const VecX& x, Result& r, bool unconstrained,
                     const CurvatureLimits& limits = {}) {
  if (r.status != Status::Converged || !unconstrained || !f.smooth()) return;
  CurvatureEstimate c;
  std::string how;
  double rtol = kCurvatureRtol;
  if (f.has_hessian()) {
    c = estimate_curvature(f, x, r.nhev, limits);
    how = c.dense ? "the Hessian" : "Lanczos on Hessian-vector products";
  } else {
    // No Hessian: differences of the gradient, when the gradient is exact (differences of a
    // finite-difference gradient are noise). A gradient that fails near x leaves the run as
    // it is, said in the message.
    const char* unchecked = " (the objective gives no curvature information: not checked for "
                            "a saddle point or a maximum)";
    if (!f.exact_gradient()) {
      r.message += unchecked;
      return;
    }
    bool measured = false;
    try {
      measured = curvature_from_gradients(f, x, limits.gradient_steps, r.njev, c);
    } catch (const std::invalid_argument&) {  // the user's gradient refused a nearby point
      measured = false;
    }
    if (!measured) {
      r.message += unchecked;
      return;
    }
    how = "differences of the gradient";
    rtol = kDifferencedCurvatureRtol;
  }
  const bool hessian = f.has_hessian();
  if (classify_curvature(c.low, c.high, rtol) == CurvatureKind::Maximum) {
    r.status = Status::Maximum;
    r.message = "the gradient vanished at a maximum (" + how +
                (hessian ? " is negative definite" : " show negative curvature in every "
                                                     "direction") +
                "), not a minimum: restart from another point";
  } else if (has_negative_curvature(c.low, c.high, rtol)) {
    r.status = Status::Saddle;
    r.message = "the gradient vanished at a saddle point (" + how +
                (hessian ? " has" : " show") + " a negative eigenvalue, " + format_g(c.low) +
                ", against a largest of " + format_g(c.high) +
                "), not a minimum: restart from another point";
  }
}

}  // namespace descend
