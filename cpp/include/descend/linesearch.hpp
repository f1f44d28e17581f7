#pragma once
/// Line searches: given x, a descent direction d and phi(a) = R(x + a d), choose a step a.
///
///   none    a = a0 (the full Newton step, or the fixed learning rate)
///   armijo  backtracking a0, a0/2, a0/4, ... until R(x + a d) <= R(x) + c1 a g'd
///   wolfe   strong Wolfe: sufficient decrease and |phi'(a)| <= c2 |phi'(0)| (bracket, then
///           zoom with safeguarded quadratic interpolation; Nocedal and Wright, alg. 3.5-3.6)
///   grid    the lectures' "try several step sizes and keep the best": a0 * 2^k, k = 2..-10
///   exact   for quadratics: a = -g'd / d'Hd (with d = -g: the optimal step g'g / g'Hg)
///
/// Every search leaves the accepted point, its loss and gradient in the probe.

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "objective.hpp"

namespace descend {

enum class LineSearchKind { None, Armijo, Wolfe, Grid, Exact };

inline LineSearchKind parse_line_search(const std::string& name) {
  if (name == "none") return LineSearchKind::None;
  if (name == "armijo") return LineSearchKind::Armijo;
  if (name == "wolfe") return LineSearchKind::Wolfe;
  if (name == "grid") return LineSearchKind::Grid;
  if (name == "exact") return LineSearchKind::Exact;
  throw std::invalid_argument("line_search must be none, armijo, wolfe, grid or exact, got '" +
                              name + "'");
}

struct LineSearchParams {
  double c1 = 1e-4;      ///< sufficient-decrease constant, in (0, c2)
  double c2 = 0.9;       ///< curvature constant of the Wolfe conditions, in (c1, 1)
  Index max_evals = 50;  ///< evaluations allowed per search, >= 1

  void check() const {
    if (!(c1 > 0.0 && c1 < c2 && c2 < 1.0))
      throw std::invalid_argument("line search constants must satisfy 0 < c1 < c2 < 1");
    if (max_evals < 1) throw std::invalid_argument("max_evals must be >= 1");
  }
};

/// Evaluates R and its gradient along x + a d, keeping the last point evaluated.
template <class Obj>
class LineProbe {
 public:
  LineProbe(const Obj& f, const VecX& x, const VecX& d, Index& nfev)
      : f_(f), x_(x), d_(d), nfev_(nfev), x_trial(x.size()), g_trial(x.size()) {}

  /// phi(a); afterwards x_trial, g_trial, f_trial and slope = g_trial'd describe x + a d.
  double operator()(double a) {
    x_trial = x_ + a * d_;
    f_trial = f_.value_and_gradient(x_trial, g_trial);
    slope = g_trial.dot(d_);
    step = a;
    ++nfev_;
    return f_trial;
  }

  const Obj& objective() const { return f_; }
  const VecX& origin() const { return x_; }
  const VecX& direction() const { return d_; }

 private:
  const Obj& f_;
  const VecX& x_;
  const VecX& d_;
  Index& nfev_;

 public:
  VecX x_trial, g_trial;
  double f_trial = 0.0, slope = 0.0, step = 0.0;
};

/// The sufficient-decrease test, with Hager and Zhang's approximate form: close to a
/// minimiser the loss differences drown in rounding (|R(x + a d) - R(x)| of the order of
/// eps |R(x)|) while the slopes are still exact, so a step is also accepted when the loss did
/// not rise beyond rounding and its slope shows it did not overshoot the minimum along d:
/// phi'(a) <= (1 - 2 c1) |phi'(0)|. Without it, line searches fail at the last iterations
/// of a converging run.
inline bool decreases_enough(double fa, double slope_a, double f0, double slope0, double a,
                             double c1) {
  if (!std::isfinite(fa)) return false;
  if (fa <= f0 + c1 * a * slope0) return true;
  return fa <= f0 + 1e-14 * std::abs(f0) && slope_a <= (2.0 * c1 - 1.0) * slope0;
}

/// Backtracking: halve a from a0 until the sufficient-decrease (Armijo) condition holds.
template <class Probe>
bool armijo(Probe& phi, double f0, double slope0, double a0, const LineSearchParams& p) {
  double a = a0;
  for (Index k = 0; k < p.max_evals; ++k, a *= 0.5) {
    const double fa = phi(a);
    if (decreases_enough(fa, phi.slope, f0, slope0, a, p.c1)) return true;
  }
  return false;
}

/// Strong Wolfe line search (bracketing phase, then zoom).
template <class Probe>
bool wolfe(Probe& phi, double f0, double slope0, double a0, const LineSearchParams& p) {
  double lo = 0.0, f_lo = f0, slope_lo = slope0;
  double hi = 0.0, f_hi = 0.0;
  bool bracketed = false;
  double a = a0;
  Index evals = 0;
  // Bracketing: grow a until it overshoots the decrease condition or the slope turns.
  while (evals < p.max_evals) {
    const double fa = phi(a);
    ++evals;
    const bool decrease = decreases_enough(fa, phi.slope, f0, slope0, a, p.c1);
    if (decrease && std::abs(phi.slope) <= -p.c2 * slope0) return true;
    if (!decrease || (evals > 1 && fa >= f_lo)) {
      hi = a;
      f_hi = fa;
      bracketed = true;
      break;
    }
    if (phi.slope >= 0.0) {
      hi = lo;
      f_hi = f_lo;
      lo = a;
      f_lo = fa;
      slope_lo = phi.slope;
      bracketed = true;
      break;
    }
    lo = a;
    f_lo = fa;
    slope_lo = phi.slope;
    a *= 2.0;
  }
  if (!bracketed) return false;
  // Zoom: shrink [lo, hi] (lo always satisfies the decrease condition) until Wolfe holds.
  while (evals < p.max_evals) {
    const double width = hi - lo;
    // Minimiser of the quadratic through (lo, f_lo, slope_lo) and (hi, f_hi), kept inside
    // the middle 80% of the interval; bisection when that fails.
    double trial = lo + 0.5 * width;
    if (std::isfinite(f_hi)) {
      const double curvature = f_hi - f_lo - slope_lo * width;
      if (curvature > 0.0) trial = lo - slope_lo * width * width / (2.0 * curvature);
    }
    const double left = std::min(lo, hi) + 0.1 * std::abs(width);
    const double right = std::max(lo, hi) - 0.1 * std::abs(width);
    if (!(trial >= left && trial <= right)) trial = lo + 0.5 * width;
    const double fa = phi(trial);
    ++evals;
    const bool decrease = decreases_enough(fa, phi.slope, f0, slope0, trial, p.c1);
    if (decrease && std::abs(phi.slope) <= -p.c2 * slope0) return true;
    if (!decrease || fa >= f_lo) {
      hi = trial;
      f_hi = fa;
    } else {
      if (phi.slope * (hi - lo) >= 0.0) {
        hi = lo;
        f_hi = f_lo;
      }
      lo = trial;
      f_lo = fa;
      slope_lo = phi.slope;
    }
    if (std::abs(hi - lo) <= 1e-16 * std::max(1.0, std::abs(lo))) break;
  }
  // Out of evaluations: accept the best point found if it decreased R enough.
  if (lo > 0.0 && f_lo <= f0 + p.c1 * lo * slope0) {
    phi(lo);
    return true;
  }
  return false;
}

/// The lectures' grid: try a0 * 2^k for k = 2, 1, 0, -1, ..., -10 and keep the lowest loss.
template <class Probe>
bool grid(Probe& phi, double f0, double a0) {
  double best_a = 0.0, best_f = f0;
  for (int k = 2; k >= -10; --k) {
    const double a = a0 * std::ldexp(1.0, k);
    const double fa = phi(a);
    if (std::isfinite(fa) && fa < best_f) {
      best_f = fa;
      best_a = a;
    }
  }
  if (best_a == 0.0) return false;
  if (phi.step != best_a) phi(best_a);  // leave the probe at the best point
  return true;
}

/// The exact minimiser along d of the local quadratic model: a = -g'd / d'Hd (exact for a
/// quadratic objective). Fails when the curvature along d is not positive.
template <class Probe>
bool exact(Probe& phi, double slope0, Index& nhev) {
  const VecX& d = phi.direction();
  VecX Hd(d.size());
  phi.objective().hvp(phi.origin(), d, Hd);
  ++nhev;
  const double curvature = d.dot(Hd);
  if (!(curvature > 0.0)) return false;
  phi(-slope0 / curvature);
  return true;
}

/// A line search chosen once per run: (probe, R(x), g'd, first trial step, nhev) -> found.
template <class Probe>
using LineSearchFn = std::function<bool(Probe&, double, double, double, Index&)>;

template <class Probe>
LineSearchFn<Probe> make_line_search(LineSearchKind kind, const LineSearchParams& p) {
  switch (kind) {
    case LineSearchKind::None:
      return [](Probe& phi, double, double, double a0, Index&) { phi(a0); return true; };
    case LineSearchKind::Armijo:
      return [p](Probe& phi, double f0, double slope0, double a0, Index&) {
        return armijo(phi, f0, slope0, a0, p);
      };
    case LineSearchKind::Wolfe:
      return [p](Probe& phi, double f0, double slope0, double a0, Index&) {
        return wolfe(phi, f0, slope0, a0, p);
      };
    case LineSearchKind::Grid:
      return [](Probe& phi, double f0, double, double a0, Index&) { return grid(phi, f0, a0); };
    case LineSearchKind::Exact:
      return [](Probe& phi, double, double slope0, double, Index& nhev) {
        return exact(phi, slope0, nhev);
      };
  }
  throw std::invalid_argument("unknown line search");
}

}  // namespace descend
