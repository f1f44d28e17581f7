#pragma once
/// Newton directions by Cholesky factorisation, with Levenberg-Marquardt style damping.
///
/// Solves (H + t I) p = -g with Eigen's LLT; never forms an inverse. t = 0 when H is positive
/// definite; otherwise t starts at 1e-6 max_i |H_ii| (relative to the Hessian's own scale, so
/// the iterates do not change when the loss is rescaled) and grows fourfold until the
/// factorisation succeeds. The damping used is returned, for the history.

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// Writes the damped Newton direction into p and returns the damping t (NaN if no damping
/// up to 1e300 made H + t I positive definite, e.g. when H holds NaN).
inline double damped_newton_direction(const MatX& H, const VecX& g, VecX& p) {
  Eigen::LLT<MatX> llt(H);
  if (llt.info() == Eigen::Success) {
    p = -llt.solve(g);
    return 0.0;
  }
  double scale = H.diagonal().cwiseAbs().maxCoeff();
  if (!std::isfinite(scale)) return std::nan("");
  if (!(scale > 0.0)) scale = H.cwiseAbs().maxCoeff();
  if (!(scale > 0.0)) scale = 1.0;  // H = 0: no scale to be relative to
  MatX damped = H;
  for (double t = 1e-6 * scale; t < 1e300 * scale; t *= 4.0) {
    damped.diagonal() = H.diagonal().array() + t;
    llt.compute(damped);
    if (llt.info() == Eigen::Success) {
      p = -llt.solve(g);
      return t;
    }
  }
  return std::nan("");
}

/// The truncated Newton (Newton-CG) direction: conjugate gradients on H p = -g using only
/// Hessian-vector products, stopped when the residual is below eta ||g|| with
/// eta = min(0.5, sqrt(||g|| / ||g0||)) (superlinear near the minimum; relative to the first
/// gradient g0, so rescaling the loss changes nothing), or when a direction of non-positive
/// curvature appears (then the last iterate, or -g on the first step, is used).
/// Returns the number of Hessian-vector products.
template <class Hvp>
Index newton_cg_direction(Hvp&& hvp, const VecX& g, VecX& p, Index max_steps, double g0norm) {
  const Index n = g.size();
  const double gnorm = g.norm();
  const double ratio = g0norm > 0.0 ? gnorm / g0norm : 1.0;
  const double target = std::min(0.5, std::sqrt(ratio)) * gnorm;
  p = VecX::Zero(n);
  VecX r = -g, d = r, Hd(n);
  double rr = r.squaredNorm();
  Index products = 0;
  for (Index k = 0; k < max_steps; ++k) {
    hvp(d, Hd);
    ++products;
    const double curvature = d.dot(Hd);
    if (!(curvature > 1e-14 * d.norm() * Hd.norm())) {  // not positive definite along d
      if (k == 0) p = -g;
      break;
    }
    const double alpha = rr / curvature;
    p += alpha * d;
    r -= alpha * Hd;
    const double rr_next = r.squaredNorm();
    if (std::sqrt(rr_next) <= target) break;
    d = r + (rr_next / rr) * d;
    rr = rr_next;
  }
  return products;
}

}  // namespace descend
