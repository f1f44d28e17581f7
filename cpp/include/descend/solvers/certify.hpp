#pragma once
/// What every solver loop does at the end of a run that passed the first-order test: the
/// second-derivative test (curvature.hpp), which turns "converged" into "saddle" or
/// "maximum" where the curvature shows the point is not a minimum.

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
  if (!f.has_hessian()) {
    r.message += " (the objective gives no curvature information: not checked for a saddle "
                 "point or a maximum)";
    return;
  }
  const CurvatureEstimate c = estimate_curvature(f, x, r.nhev, limits);
  const char* how = c.dense ? "the Hessian" : "Lanczos on Hessian-vector products";
  if (classify_curvature(c.low, c.high) == CurvatureKind::Maximum) {
    r.status = Status::Maximum;
    r.message = "the gradient vanished at a maximum (" + std::string(how) +
                " is negative definite), not a minimum: restart from another point";
  } else if (has_negative_curvature(c.low, c.high)) {
    r.status = Status::Saddle;
    r.message = "the gradient vanished at a saddle point (" + std::string(how) +
                " has a negative eigenvalue, " + format_g(c.low) + ", against a largest of " +
                format_g(c.high) + "), not a minimum: restart from another point";
  }
}

}  // namespace descend
