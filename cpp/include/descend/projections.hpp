#pragma once
/// Euclidean projections onto convex sets, for projected gradient descent (step, then
/// project back): x <- argmin_{z in C} ||z - x||.
///   Ball(r, c)       c + (x - c) min(1, r / ||x - c||)
///   Box(lo, hi)      clip(x, lo, hi); each bound has x's length or length 1 (one bound for
///                    every coordinate), as numpy.clip and scipy.optimize.Bounds broadcast
///   NonNegative      max(x, 0)
///   Simplex          {z >= 0, sum z = 1}: max(x - theta, 0) with theta from the sorted x
///                    (Held, Wolfe and Crowder 1974; Duchi et al. 2008)

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "objective.hpp"
#include "types.hpp"

namespace descend {

struct Projection {
  enum class Kind { None, Ball, Box, NonNegative, Simplex, Function } kind = Kind::None;
  double radius = 1.0;
  VecX center, lower, upper;  ///< Ball: center (empty = 0); Box: the bounds (length n or 1)
  std::function<void(VecRef)> function;        ///< Function: a user's projection

  bool active() const { return kind != Kind::None; }

  /// Throws std::invalid_argument unless the set's parameters fit an x of length n.
  void check(Index n) const {
    if (kind == Kind::Ball && !(radius >= 0.0))
      throw std::invalid_argument("the ball needs a radius >= 0");
    if (kind == Kind::Ball && center.size() != 0 && center.size() != n)
      throw std::invalid_argument("the ball's center has length " +
                                  std::to_string(center.size()) + " but x has length " +
                                  std::to_string(n));
    if (kind == Kind::Box)
      for (const VecX* bound : {&lower, &upper})
        if (bound->size() != n && bound->size() != 1)
          throw std::invalid_argument(
              std::string(bound == &lower ? "lower" : "upper") + " has length " +
              std::to_string(bound->size()) + " but x has length " + std::to_string(n) +
              " (a bound must have x's length or be a scalar)");
  }

  void apply(VecRef x) const {
    switch (kind) {
      case Kind::None: break;
      case Kind::Ball: {
        if (center.size() == 0) {
          const double norm = safe_norm(x);
          if (norm > radius) x *= radius / norm;
        } else {
          const double norm = safe_norm(x - center);
          if (norm > radius) x = center + (x - center) * (radius / norm);
        }
        break;
      }
      case Kind::Box: {
        if (lower.size() == 1) x = x.cwiseMax(lower(0));
        else x = x.cwiseMax(lower);
        if (upper.size() == 1) x = x.cwiseMin(upper(0));
        else x = x.cwiseMin(upper);
        break;
      }
      case Kind::NonNegative: x = x.cwiseMax(0.0); break;
      case Kind::Simplex: project_simplex(x); break;
      case Kind::Function: function(x); break;
    }
  }

  /// ||v||, rescaled when the squares overflow (entries beyond ~1e154).
  template <class V>
  static double safe_norm(const V& v) {
    const double norm = v.norm();
    return std::isfinite(norm) ? norm : v.stableNorm();
  }

  static void project_simplex(VecRef x) {
    // The projection is unchanged by adding a constant to every entry, so the sorted values
    // are taken relative to the largest: the first candidate always qualifies and the sums
    // stay small, which keeps the result on the simplex when the entries are large.
    const Index n = x.size();
    std::vector<double> u(x.data(), x.data() + n);
    std::sort(u.begin(), u.end(), std::greater<double>());
    const double top = u[0];
    double sum = 0.0, theta = 0.0;
    for (Index j = 0; j < n; ++j) {
      sum += u[j] - top;
      const double t = (sum - 1.0) / double(j + 1);
      if (u[j] - top - t > 0.0) theta = t;
    }
    x = ((x.array() - top) - theta).cwiseMax(0.0);
  }
};

/// The proximal operator of t ||x||_1 (soft thresholding): sign(x) max(|x| - t, 0).
inline void soft_threshold(VecRef x, double t) {
  x = x.array().sign() * (x.array().abs() - t).cwiseMax(0.0);
}

/// What follows each first-order step: the L1 penalty's proximal step on the penalised
/// coordinates (threshold step * l1), then the projection onto the constraint set.
/// Holds references only: it is built and used while the GIL is released.
struct ProximalStep {
  ProximalStep(const Projection& projection, const Objective& f)
      : set(projection), l1(f.l1()), layout(f.l1_layout()) {}

  const Projection& set;
  double l1;
  PenaltyLayout layout;

  void apply(VecRef x, double step) const {
    if (l1 > 0.0) layout.for_each(x, [&](auto segment) { soft_threshold(segment, step * l1); });
    set.apply(x);
  }
};

}  // namespace descend
