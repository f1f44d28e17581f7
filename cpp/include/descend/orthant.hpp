#pragma once
/// The orthant logic of orthant-wise L-BFGS (OWL-QN; Andrew and Gao, 2007) for
/// F(x) = R(x) + l1 sum_{j penalised} |x_j|, where R is smooth (the objective's gradient()
/// leaves the L1 term out, its value() includes it).
///
/// Within one orthant (a fixed sign for every penalised coordinate) F is smooth, and its
/// gradient there is R's plus l1 times the signs. OWL-QN keeps every step inside the orthant
/// it starts in:
///   pseudo_gradient   the minimum-norm subgradient of F: zero exactly at a minimum of F
///   choose_orthant    the sign of x_j, or for x_j = 0 the sign in which F decreases
///   keep_descent_signs  drops the direction's components that would leave that orthant face
///   OrthantProbe      evaluates F at x + a d with the coordinates that changed sign set to 0
///   orthant_backtracking  halves a until the decrease F(x+) <= F(x) + c1 pg'(x+ - x)
/// Coordinates outside the penalty (an intercept) are free: no orthant applies to them.

#include <cmath>

#include "linesearch.hpp"
#include "objective.hpp"
#include "types.hpp"

namespace descend {

/// 1 on the coordinates the L1 penalty covers, 0 elsewhere.
inline VecX penalty_mask(Index n, const PenaltyLayout& layout) {
  VecX mask = VecX::Zero(n);
  layout.for_each(mask, [](auto segment) { segment.setOnes(); });
  return mask;
}

/// The pseudo-gradient of F at x from R's gradient g: on a penalised coordinate, g_j + l1
/// sign(x_j) when x_j != 0; at x_j = 0 the one-sided derivative that is negative (g_j + l1
/// < 0, or g_j - l1 > 0), else 0 (0 is then optimal in that coordinate). Free: g_j.
inline void pseudo_gradient(const VecX& x, const VecX& g, double l1, const VecX& mask,
                            VecX& pg) {
  pg = g;
  for (Index j = 0; j < x.size(); ++j) {
    if (mask[j] == 0.0) continue;
    if (x[j] > 0.0) {
      pg[j] = g[j] + l1;
    } else if (x[j] < 0.0) {
      pg[j] = g[j] - l1;
    } else if (g[j] + l1 < 0.0) {
      pg[j] = g[j] + l1;
    } else if (g[j] - l1 > 0.0) {
      pg[j] = g[j] - l1;
    } else {
      pg[j] = 0.0;
    }
  }
}

/// The orthant of this iteration: xi_j = sign(x_j), or sign(-pg_j) where x_j = 0 (the side
/// on which F decreases; 0 when neither does). Free coordinates get 0 (unused).
inline void choose_orthant(const VecX& x, const VecX& pg, const VecX& mask, VecX& xi) {
  xi.setZero(x.size());
  for (Index j = 0; j < x.size(); ++j) {
    if (mask[j] == 0.0) continue;
    const double v = x[j] != 0.0 ? x[j] : -pg[j];
    xi[j] = v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);
  }
}

/// Zeroes each penalised component of d whose sign is not that of -pg_j (the L-BFGS
/// direction may point out of the orthant face on which F is smooth).
inline void keep_descent_signs(VecX& d, const VecX& pg, const VecX& mask) {
  for (Index j = 0; j < d.size(); ++j)
    if (mask[j] != 0.0 && !(d[j] * pg[j] < 0.0)) d[j] = 0.0;
}

/// Sets to 0 each penalised coordinate of x whose sign is not xi_j (it left the orthant).
inline void project_to_orthant(VecX& x, const VecX& xi, const VecX& mask) {
  for (Index j = 0; j < x.size(); ++j)
    if (mask[j] != 0.0 && !(x[j] * xi[j] > 0.0)) x[j] = 0.0;
}

/// Evaluates F along the projected path x(a) = project(x + a d), keeping the last point.
template <class Obj>
class OrthantProbe {
 public:
  OrthantProbe(const Obj& f, const VecX& x, const VecX& d, const VecX& xi, const VecX& mask,
               Index& nfev)
      : f_(f), x_(x), d_(d), xi_(xi), mask_(mask), nfev_(nfev), x_trial(x.size()),
        g_trial(x.size()) {}

  /// F(x(a)); afterwards x_trial, g_trial (R's gradient) and f_trial describe x(a).
  double operator()(double a) {
    x_trial = x_ + a * d_;
    project_to_orthant(x_trial, xi_, mask_);
    f_trial = f_.value_and_gradient(x_trial, g_trial);
    step = a;
    ++nfev_;
    return f_trial;
  }

 private:
  const Obj& f_;
  const VecX& x_;
  const VecX& d_;
  const VecX& xi_;
  const VecX& mask_;
  Index& nfev_;

 public:
  VecX x_trial, g_trial;
  double f_trial = 0.0, step = 0.0;
};

/// Backtracking on the projected path: a0, a0/2, ... until F(x+) <= F(x) + c1 pg'(x+ - x),
/// pg the pseudo-gradient at x (with Hager and Zhang's approximate form near the rounding
/// floor, as decreases_enough: the slope at x+ along the move is that of F in the orthant,
/// (g+ + l1 xi)'(x+ - x)). Returns whether a step was accepted.
template <class Obj>
bool orthant_backtracking(OrthantProbe<Obj>& phi, const VecX& x, double f0, const VecX& pg,
                          const VecX& xi, double l1, double a0,
                          const LineSearchParams& p) {
  VecX move(x.size());
  double a = a0;
  for (Index k = 0; k < p.max_evals; ++k, a *= 0.5) {
    const double fa = phi(a);
    move = phi.x_trial - x;
    const double slope0 = pg.dot(move);
    if (!(slope0 < 0.0)) continue;  // nothing moved (cannot happen for d != 0)
    const double slope_a = phi.g_trial.dot(move) + l1 * xi.dot(move);  // xi is 0 if free
    if (decreases_enough(fa, slope_a, f0, slope0, 1.0, p.c1)) return true;
  }
  return false;
}

}  // namespace descend
