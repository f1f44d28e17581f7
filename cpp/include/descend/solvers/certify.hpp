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
/// points are not points where the gradient vanishes, and the test does not apply. On a convex
/// objective (Objective::convex) a vanishing gradient is already a minimum's: the test could
/// only find rounding, and its cost (a dense Hessian, or tens of Hessian-vector products, each
/// a pass over the data) is saved.
template <class Obj>
void certify_minimum(const Obj& f, const VecX& x, Result& r, bool unconstrained,
                     const CurvatureLimits& limits = {}) {
  if (r.status != Status::Converged || !unconstrained || !f.smooth() || f.convex()) return;
  CurvatureEstimate c;
  std::string how;
  double rtol = kCurvatureRtol;
  if (f.has_hessian()) {
    c = estimate_curvature(f, x, r.nhev, limits);
    how = c.dense ? "the Hessian" : "Lanczos on Hessian-vector products";
  } else {
    // No Hessian: differences of the gradient when the gradient is exact; second
    // differences of the value when the gradient is itself a finite-difference estimate
    // (differences of it are noise). A function that fails near x, or whose values cannot
    // resolve the curvature, leaves the run as it is, said in the message.
    const bool exact = f.exact_gradient();
    bool measured = false;
    try {
      measured = exact ? curvature_from_gradients(f, x, limits.gradient_steps, r.njev, c)
                       : curvature_from_values(f, x, limits.gradient_steps, r.nfev, c);
    } catch (const std::invalid_argument&) {  // the user's function refused a nearby point
      measured = false;
    }
    if (!measured) {
      r.message += " (the curvature could not be measured near this point: not checked for a "
                   "saddle point or a maximum)";
      return;
    }
    how = exact ? "differences of the gradient" : "second differences of the value";
    rtol = kDifferencedCurvatureRtol;
  }
  const bool hessian = f.has_hessian();
  if (classify_curvature(c.low, c.high, rtol) == CurvatureKind::Maximum) {
    r.status = Status::Maximum;
    r.message = "the gradient vanished at a maximum (" + how +
                (hessian ? " is negative definite"
                         : f.exact_gradient() ? " show negative curvature in every direction"
                                              : " show negative curvature in every direction "
                                                "probed") +
                "), not a minimum: restart from another point";
  } else if (has_negative_curvature(c.low, c.high, rtol)) {
    r.status = Status::Saddle;
    r.message = "the gradient vanished at a saddle point (" + how +
                (hessian ? " has a negative eigenvalue, "
                         : f.exact_gradient() ? " show a negative eigenvalue, "
                                              : " show a direction of negative curvature, ") +
                format_g(c.low) +
                ", against a largest of " + format_g(c.high) +
                "), not a minimum: restart from another point";
  }
}

}  // namespace descend
