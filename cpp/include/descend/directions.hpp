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

/// The first trial step along -g: the exact step g'g / g'Hg of the local quadratic model when
/// the curvature is known (it does not change when the data or the loss are rescaled), else
/// min(1, 1/||g||).
template <class Obj>
double exact_steepest_step(const Obj& f, const VecX& x, const VecX& g, Index& nhev) {
  const double gnorm = g.norm();
  if (f.has_hessian() && gnorm > 0.0) {
    VecX Hg(g.size());
    f.hvp(x, g, Hg);
    ++nhev;
    const double gHg = g.dot(Hg);
    if (gHg > 0.0 && std::isfinite(gHg)) return gnorm * gnorm / gHg;
  }
  return std::min(1.0, 1.0 / gnorm);
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

/// Truncated Newton: conjugate gradients on H d = -g with Hessian-vector products only.
struct NewtonCgDirection : MemorylessDirection {
  static constexpr bool needs_hessian = true;
  template <class Obj>
  double compute(const Obj& f, const VecX& x, const VecX& g, VecX& d, Index& nhev,
                 double g0) {
    nhev += newton_cg_direction([&](const VecX& v, VecX& out) { f.hvp(x, v, out); }, g, d,
                                std::max<Index>(x.size(), 10), g0);
    return 0.0;
  }
};

/// The quasi-Newton directions share everything but their memory (Bfgs or Lbfgs).
template <class Memory>
struct QuasiNewtonDirection {
  static constexpr bool needs_hessian = false, tracks_damping = false;
  Memory memory;

  template <class Obj>
  double compute(const Obj&, const VecX&, const VecX& g, VecX& d, Index&, double) {
    memory.direction(g, d);
    return 0.0;
  }
  void update(const VecX& s, const VecX& y) { memory.update(s, y); }
  void reset() { memory.reset(); }
  /// The first direction is -g, with no curvature learnt yet: the exact step along it.
  template <class Obj>
  double first_step(const Obj& f, const VecX& x, const VecX& g, Index t, double, Index& nhev) {
    return t == 0 ? exact_steepest_step(f, x, g, nhev) : 1.0;
  }
  bool certifies(Index, const VecX&, const VecX&) const { return false; }
};

using BfgsDirection = QuasiNewtonDirection<Bfgs>;
using LbfgsDirection = QuasiNewtonDirection<Lbfgs>;

}  // namespace descend
