#pragma once
/// Newton directions by Cholesky factorisation, with Levenberg-Marquardt style damping.
///
/// Solves (H + t I) p = -g with Eigen's LLT; never forms an inverse. t = 0 when H is positive
/// definite; otherwise t starts at 1e-6 max(1, max_i |H_ii|) and grows fourfold until the
/// factorisation succeeds. The damping used is returned, for the history.

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

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
  const double scale = std::max(1.0, H.diagonal().cwiseAbs().maxCoeff());
  if (!std::isfinite(scale)) return std::nan("");
  MatX damped = H;
  for (double t = 1e-6 * scale; t < 1e300; t *= 4.0) {
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
/// eta = min(0.5, sqrt(||g||)) (superlinear near the minimum), or when a direction of
/// non-positive curvature appears (then the last iterate, or -g on the first step, is used).
/// Returns the number of Hessian-vector products.
template <class Hvp>
Index newton_cg_direction(Hvp&& hvp, const VecX& g, VecX& p, Index max_steps) {
  const Index n = g.size();
  const double gnorm = g.norm();
  const double target = std::min(0.5, std::sqrt(gnorm)) * gnorm;
  p = VecX::Zero(n);
  VecX r = -g, d = r, Hd(n);
  double rr = r.squaredNorm();
  Index products = 0;
  for (Index k = 0; k < max_steps; ++k) {
    hvp(d, Hd);
    ++products;
    const double curvature = d.dot(Hd);
    if (!(curvature > 1e-14 * d.squaredNorm())) {  // not positive definite along d
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

/// The second-derivative test on a symmetric H: +1 positive semi-definite (a minimum, or flat),
/// -1 negative definite or semi-definite with some curvature (a maximum), 0 indefinite (a saddle).
inline int curvature_sign(const MatX& H) {
  if (Eigen::LLT<MatX>(H).info() == Eigen::Success) return 1;
  const Eigen::VectorXd eig = Eigen::SelfAdjointEigenSolver<MatX>(H, Eigen::EigenvaluesOnly)
                                  .eigenvalues();
  const double tol = 1e-8 * std::max(1.0, eig.cwiseAbs().maxCoeff());
  if (eig.minCoeff() >= -tol) return 1;
  if (eig.maxCoeff() <= tol) return -1;
  return 0;
}

}  // namespace descend
