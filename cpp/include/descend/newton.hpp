#pragma once
/// Newton directions by Cholesky factorisation, with Levenberg-Marquardt damping.
///
/// Solves (H + t D) p = -g with Eigen's LLT; never forms an inverse. t = 0 when H is positive
/// definite; otherwise t starts at 1e-6 and grows fourfold until the factorisation succeeds.
/// D is Marquardt's diagonal, D_ii = |H_ii| (the largest |H_jj| where H_ii = 0; if t reaches
/// 1e12 without success, D = max_j |H_jj| I and t starts again at 1e-6): each
/// coordinate is damped relative to its own curvature, so the iterates change neither when the
/// loss is rescaled nor when one column of the data is. (Damping by t I with t relative to the
/// largest |H_ii| crawled when the curvatures differ by many orders: an intercept beside
/// collinear features scaled by 1e-8 took 1000 iterations.) The t used is returned, for the
/// history.

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// Writes the damped Newton direction into p and returns the damping t (NaN if no damping
/// up to 1e300 made H + t D positive definite, e.g. when H holds NaN).
inline double damped_newton_direction(const MatX& H, const VecX& g, VecX& p) {
  if (!H.allFinite()) return std::nan("");  // (a NaN pivot would pass LLT's test)
  Eigen::LLT<MatX> llt(H);
  if (llt.info() == Eigen::Success) {
    p = -llt.solve(g);
    return 0.0;
  }
  VecX D = H.diagonal().cwiseAbs();
  double top = D.size() ? D.maxCoeff() : 0.0;
  if (!(top > 0.0)) top = H.size() ? H.cwiseAbs().maxCoeff() : 0.0;
  if (!(top > 0.0)) top = 1.0;  // H = 0: no scale to be relative to
  for (Index i = 0; i < D.size(); ++i)
    if (!(D[i] > 0.0)) D[i] = top;  // no curvature of its own: the largest one
  MatX damped = H;
  // Marquardt's damping first; then, should a coordinate's own curvature be too small to
  // reach positive definiteness by t <= 1e12 (a saddle of x y + 1e-14 (x^2 + y^2)), the same
  // damping on every coordinate, relative to the largest curvature.
  for (double t = 1e-6; t <= 1e12; t *= 4.0) {
    damped.diagonal() = H.diagonal() + t * D;
    llt.compute(damped);
    if (llt.info() == Eigen::Success) {
      p = -llt.solve(g);
      return t;
    }
  }
  for (double t = 1e-6; t <= 1e300; t *= 4.0) {
    damped.diagonal() = H.diagonal().array() + t * top;
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
///
/// With a metric (P, a positive diagonal: the inverse of the objective's parameter scales,
/// as the quasi-Newton methods use) the iteration is preconditioned conjugate gradients on
/// the same system: the residual r is the same H p + g and the same test stops it, but each
/// new direction is built from P r instead of r. When the curvatures of the parameters
/// differ by orders of magnitude (the columns of text data: a frequent word's against a rare
/// one's) this takes a fraction of the products. Without one (null, or empty), plain CG.
/// Returns the number of Hessian-vector products.
template <class Hvp>
Index newton_cg_direction(Hvp&& hvp, const VecX& g, VecX& p, Index max_steps, double g0norm,
                          const VecX* metric = nullptr) {
  const Index n = g.size();
  const bool preconditioned = metric && metric->size() == n;
  const double gnorm = g.norm();
  const double ratio = g0norm > 0.0 ? gnorm / g0norm : 1.0;
  const double target = std::min(0.5, std::sqrt(ratio)) * gnorm;
  p = VecX::Zero(n);
  VecX r = -g, z = preconditioned ? VecX(metric->cwiseProduct(r)) : r, d = z, Hd(n);
  double rz = r.dot(z);
  Index products = 0;
  for (Index k = 0; k < max_steps; ++k) {
    hvp(d, Hd);
    ++products;
    const double curvature = d.dot(Hd);
    if (!(curvature > 1e-14 * d.norm() * Hd.norm())) {  // not positive definite along d
      if (k == 0) p = -g;
      break;
    }
    const double alpha = rz / curvature;
    p += alpha * d;
    r -= alpha * Hd;
    if (r.norm() <= target) break;
    if (preconditioned)
      z = metric->cwiseProduct(r);
    else
      z = r;
    const double rz_next = r.dot(z);
    d = z + (rz_next / rz) * d;
    rz = rz_next;
  }
  return products;
}

}  // namespace descend
