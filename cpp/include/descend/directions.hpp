#pragma once
/// Search directions of the descent loop (solvers/descent.hpp), each a policy with its own
/// state, chosen once per run:
///   template <class Obj> double compute(f, x, g, d, nhev, g0)
///        writes a direction into d (Hessian evaluations counted in nhev) and returns the
///        damping it added to the Hessian (Newton) or 0;
///   void update(s, y)          learns from the step s and the change of gradient y;
///   void reset()               forgets (the loop restarts from -g when d is not a descent
///                              direction);
///   template <class Obj> double first_step(f, x, g, t, lr, nhev)
///                              the line search's first trial step;
///   bool certifies(t, s, y)    whether the last step proves a minimum by itself;
///   static constexpr bool needs_hessian, tracks_damping.
/// Adding a direction is adding one struct here and one entry in descent()'s dispatch.

#include <algorithm>
#include <cmath>
#include <limits>

#include "newton.hpp"
#include "quasi_newton.hpp"
#include "types.hpp"

namespace descend {

/// The first trial step along a descent direction d: -g'd / d'Hd of the local quadratic
/// model when the curvature is known, else min(1, 1/||d||).
template <class Obj>
double exact_step_along(const Obj& f, const VecX& x, const VecX& g, const VecX& d,
                        Index& nhev) {
  const double dnorm = d.norm();
  if (f.has_hessian() && dnorm > 0.0) {
    VecX Hd(d.size());
    f.hvp(x, d, Hd);
    ++nhev;
    const double dHd = d.dot(Hd);
    if (dHd > 0.0 && std::isfinite(dHd)) return -g.dot(d) / dHd;
  }
  return std::min(1.0, 1.0 / dnorm);
}

/// The first trial step along -g: the exact step g'g / g'Hg of the local quadratic model when
/// the curvature is known (it does not change when the data or the loss are rescaled), else
/// min(1, 1/||g||).
template <class Obj>
double exact_steepest_step(const Obj& f, const VecX& x, const VecX& g, Index& nhev) {
  return exact_step_along(f, x, g, -g, nhev);
}

/// What a direction without memory does: nothing to learn or forget, lr as the first trial
/// step, no certificate of its own.
struct MemorylessDirection {
  static constexpr bool tracks_damping = false;
  void update(const VecX&, const VecX&) {}
  void reset() {}
  template <class Obj>
  double first_step(const Obj&, const VecX&, const VecX&, Index, double lr, Index&) {
    return lr;
  }
  bool certifies(Index, const VecX&, const VecX&) const { return false; }
};

/// d = -g: gradient descent, with lr as the (first trial) step.
struct SteepestDirection : MemorylessDirection {
  static constexpr bool needs_hessian = false;
  template <class Obj>
  double compute(const Obj&, const VecX&, const VecX& g, VecX& d, Index&, double) {
    d = -g;
    return 0.0;
  }
};

/// Newton: d solves (H + t I) d = -g by Cholesky, t = 0 when H is positive definite.
struct NewtonDirection : MemorylessDirection {
  static constexpr bool needs_hessian = true, tracks_damping = true;
  MatX H;
  double last_damping = std::numeric_limits<double>::quiet_NaN();

  template <class Obj>
  double compute(const Obj& f, const VecX& x, const VecX& g, VecX& d, Index& nhev, double) {
    H.resize(x.size(), x.size());
    f.hessian(x, H);
    ++nhev;
    last_damping = damped_newton_direction(H, g, d);
    if (!std::isfinite(last_damping)) d = -g;
    return last_damping;
  }
  /// The last step came from an undamped Cholesky factorisation (H positive definite at the
  /// previous iterate) and curved upwards along the step: the point is a minimum without
  /// one more Hessian.
  bool certifies(Index t, const VecX& s, const VecX& y) const {
    return t > 0 && last_damping == 0.0 && s.dot(y) > 0.0;
  }
};

/// Truncated Newton: conjugate gradients on H d = -g with Hessian-vector products only,
/// preconditioned by the inverse of the objective's parameter scales when it has them and
/// has one output (the metric the quasi-Newton methods start from).
struct NewtonCgDirection : MemorylessDirection {
  static constexpr bool needs_hessian = true;
  VecX metric;  ///< P, the inverse of the objective's parameter scales (empty: none)
  bool metric_known = false;

  template <class Obj>
  double compute(const Obj& f, const VecX& x, const VecX& g, VecX& d, Index& nhev,
                 double g0) {
    if (!metric_known) {  // once per run: the objective's scales, when it has them
      metric_known = true;
      VecX scales;
      // One output only: on the multinomial model (one block of weights per class, a flat
      // direction along their common shift) the preconditioned iteration stalled in float32.
      if (f.outputs() == 1 && f.parameter_scales(scales) &&
          scales.size() == g.size() && (scales.array() > 0.0).all() && scales.allFinite())
        metric = scales.cwiseInverse();
    }
    nhev += newton_cg_direction([&](const VecX& v, VecX& out) { f.hvp(x, v, out); }, g, d,
                                std::max<Index>(x.size(), 10), g0, &metric);
    return 0.0;
  }
};

/// The quasi-Newton directions share everything but their memory (Bfgs or Lbfgs).
template <class Memory>
struct QuasiNewtonDirection {
  static constexpr bool needs_hessian = false, tracks_damping = false;
  Memory memory;
  VecX metric;  ///< P, the inverse of the objective's parameter scales (empty: none)
  bool metric_known = false;

  template <class Obj>
  double compute(const Obj& f, const VecX&, const VecX& g, VecX& d, Index&, double) {
    if (!metric_known) {  // once per run: the objective's scales, when it has them
      metric_known = true;
      VecX scales;
      if (f.parameter_scales(scales) && scales.size() == g.size() &&
          (scales.array() > 0.0).all() && scales.allFinite()) {
        metric = scales.cwiseInverse();
        memory.set_metric(metric);
      }
    }
    memory.direction(g, d);
    return 0.0;
  }
  void update(const VecX& s, const VecX& y) { memory.update(s, y); }
  void reset() { memory.reset(); }
  /// The first direction is -P g, with no curvature learnt yet: the exact step along it.
  template <class Obj>
  double first_step(const Obj& f, const VecX& x, const VecX& g, Index t, double, Index& nhev) {
    if (t != 0) return 1.0;
    if (metric.size() == 0) return exact_steepest_step(f, x, g, nhev);
    return exact_step_along(f, x, g, VecX(-metric.cwiseProduct(g)), nhev);
  }
  bool certifies(Index, const VecX&, const VecX&) const { return false; }
};

using BfgsDirection = QuasiNewtonDirection<Bfgs>;
using LbfgsDirection = QuasiNewtonDirection<Lbfgs>;

}  // namespace descend
