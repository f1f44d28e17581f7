#pragma once
/// Descent-direction methods: each iteration picks a direction d (a policy of
/// directions.hpp: steepest descent, Newton, Newton-CG, BFGS or L-BFGS), a step a along it by
/// a line search (chosen once, linesearch.hpp), and moves x <- x + a d. The loop is the
/// skeleton of run.hpp; every run that passes the first-order test ends with the
/// second-derivative test (certify.hpp), so a run whose gradient vanished at a saddle point
/// or a maximum ends with status "saddle" or "maximum", never success.
///
/// With an L1 penalty (f.l1() > 0) only L-BFGS runs, as orthant-wise L-BFGS (OWL-QN,
/// orthant.hpp): the other directions need a differentiable objective.

#include <cstdio>
#include <limits>
#include <string>

#include "../directions.hpp"
#include "../linesearch.hpp"
#include "../objective.hpp"
#include "../orthant.hpp"
#include "../result.hpp"
#include "../stopping.hpp"
#include "certify.hpp"
#include "run.hpp"

namespace descend {

/// The message of a run whose line search found no acceptable step at iteration t.
inline std::string line_search_failed_words(Index t) {
  return "the line search found no step that decreases the loss enough at iteration " +
         std::to_string(t) +
         " (the gradient may be inaccurate, or the iterate already at the limit of "
         "floating-point precision)";
}

enum class DirectionKind { Steepest, Newton, NewtonCg, Bfgs, Lbfgs };

inline DirectionKind parse_direction(const std::string& name) {
  if (name == "steepest") return DirectionKind::Steepest;
  if (name == "newton") return DirectionKind::Newton;
  if (name == "newton-cg") return DirectionKind::NewtonCg;
  if (name == "bfgs") return DirectionKind::Bfgs;
  if (name == "lbfgs") return DirectionKind::Lbfgs;
  throw std::invalid_argument("direction must be steepest, newton, newton-cg, bfgs or lbfgs, "
                              "got '" + name + "'");
}

struct DescentParams {
  DirectionKind direction = DirectionKind::Newton;
  LineSearchKind line_search = LineSearchKind::Armijo;
  double lr = 1.0;  ///< the first trial step (the fixed step without a line search), > 0
  Index m = 10;     ///< L-BFGS memory, >= 1
  LineSearchParams search;
  StopCriteria stop;

  void check() const {
    if (!(lr > 0.0) || !std::isfinite(lr)) throw std::invalid_argument("lr must be > 0");
    if (m < 1) throw std::invalid_argument("m must be >= 1");
    search.check();
    stop.check();
  }
};

/// The descent loop with the direction policy `dir`.
template <class Obj, class Direction>
Result descent_with(const Obj& f, VecX x, Direction dir, const DescentParams& p,
                    const Callback& callback, const InterruptPoller::Check& interrupt) {
  const Index n = f.n_params();
  if ((Direction::needs_hessian || p.line_search == LineSearchKind::Exact) && !f.has_hessian())
    throw std::invalid_argument(f.name() + " has no Hessian");
  const auto line_search = make_line_search<LineProbe<Obj>>(p.line_search, p.search);

  Result r;
  r.history.with_damping = Direction::tracks_damping;
  RunState run(r, p.stop, "the steps grew without bound; check the objective and the "
                          "starting point, or use a line search", callback, interrupt);
  run.monitor.diagnose = [&] {
    return std::string(f.smooth() ? "the problem may be ill-conditioned or the iterate at the "
                                    "limit of floating-point precision (if x0 was already "
                                    "close to a minimum, gtol relative to ||g0|| may ask too "
                                    "much: pass gtol_abs)"
                                  : "the objective is not differentiable everywhere, and "
                                    "gradient-based directions cannot certify its minimum");
  };
  VecX g(n), d(n), s(n), y(n);

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  Index t = 0;
  const ScaledMeasure scaled(f, true);
  run.monitor.set_scaled(scaled(g));
  bool done = run.begin(fx, gnorm);
  while (!done) {
    run.poll();
    // Direction: the policy's, or -g (and a fresh memory) when that is not a descent one.
    const double damping = dir.compute(f, x, g, d, r.nhev, run.monitor.g0());
    double slope = g.dot(d);
    if (!(slope < 0.0)) {
      d = -g;
      slope = -gnorm * gnorm;
      dir.reset();
    }
    // Step size: the line search leaves the accepted point in the probe.
    LineProbe<Obj> probe(f, x, d, r.nfev);
    const double first_trial = dir.first_step(f, x, g, t, p.lr, r.nhev);
    const bool found = line_search(probe, fx, slope, first_trial, r.nhev);
    r.njev = r.nfev;  // every evaluation computed the loss and the gradient together
    if (!found && std::isfinite(probe.f_trial) && probe.step > first_trial &&
        probe.f_trial <= fx + p.search.c1 * probe.step * slope) {
      // The last trial, longer than the first, decreased the loss enough and still failed:
      // the search kept finding lower losses at ever longer steps and never bracketed a
      // minimum along d. (A search that shrank its step to nothing instead met rounding
      // noise in the loss: that is a failed search, not an unbounded objective.)
      run.fail(Status::Diverged,
               "the loss kept decreasing along the search direction up to a step of " +
                   format_g(probe.step) + " at iteration " + std::to_string(t) +
                   " (R = " + format_g(probe.f_trial) + "): the objective looks unbounded "
                   "below");
      break;
    }
    if (!found) {
      run.fail(Status::LineSearchFailed, line_search_failed_words(t));
      break;
    }
    // Move, and let the direction learn from the step and the change of gradient.
    s = probe.x_trial - x;
    y = probe.g_trial - g;
    x = probe.x_trial;
    g = probe.g_trial;
    fx = probe.f_trial;
    gnorm = g.norm();
    dir.update(s, y);
    ++t;
    run.monitor.set_scaled(scaled(g));
    done = run.next(t, x, fx, gnorm, probe.step, damping);
  }
  if (!dir.certifies(t, s, y)) certify_minimum(f, x, r, true);
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

/// Orthant-wise L-BFGS (Andrew and Gao, 2007) for F = R + l1 ||x_pen||_1: the L-BFGS memory
/// learns from R's gradients (s = x+ - x, y = g+ - g), is applied to the pseudo-gradient pg
/// (the minimum-norm subgradient of F), and the direction keeps the components of the sign
/// of -pg only; the step backtracks along the path projected onto the orthant chosen at the
/// start of the iteration (orthant.hpp). The first-order measure is ||pg||, which vanishes
/// exactly at a minimum of F (zeros included): "converged" means F's optimality condition
/// holds to gtol. The metric P of the parameter scales makes it scale-invariant as L-BFGS.
template <class Obj>
Result orthant_wise_lbfgs(const Obj& f, VecX x, const DescentParams& p,
                          const Callback& callback, const InterruptPoller::Check& interrupt) {
  const Index n = f.n_params();
  const double l1 = f.l1();
  const VecX mask = penalty_mask(n, f.l1_layout());
  LbfgsDirection dir{Lbfgs(p.m)};
  Result r;
  RunState run(r, p.stop, "the steps grew without bound; check the objective and the "
                          "starting point", callback, interrupt);
  run.monitor.diagnose = [] {
    return std::string("the problem may be ill-conditioned or the iterate at the limit of "
                       "floating-point precision (if x0 was already close to a minimum, gtol "
                       "relative to ||pg0|| may ask too much: pass gtol_abs)");
  };
  VecX g(n), pg(n), d(n), xi(n), s(n), y(n);
  double fx = f.value_and_gradient(x, g);  // F (L1 term included) and R's gradient
  ++r.nfev;
  ++r.njev;
  pseudo_gradient(x, g, l1, mask, pg);
  double gnorm = pg.norm();
  Index t = 0;
  const ScaledMeasure scaled(f, true);
  run.monitor.set_scaled(scaled(pg));
  bool done = run.begin(fx, gnorm);
  while (!done) {
    run.poll();
    choose_orthant(x, pg, mask, xi);
    dir.compute(f, x, pg, d, r.nhev, run.monitor.g0());
    keep_descent_signs(d, pg, mask);
    if (!(pg.dot(d) < 0.0)) {  // not a descent direction: forget, restart from -P pg
      dir.reset();
      dir.compute(f, x, pg, d, r.nhev, run.monitor.g0());
      keep_descent_signs(d, pg, mask);
    }
    OrthantProbe<Obj> probe(f, x, d, xi, mask, r.nfev);
    const double first_trial = dir.first_step(f, x, pg, t, p.lr, r.nhev);
    const bool found = pg.dot(d) < 0.0 &&
                       orthant_backtracking(probe, x, fx, pg, xi, l1, first_trial, p.search);
    r.njev = r.nfev;
    if (!found) {
      run.fail(Status::LineSearchFailed, line_search_failed_words(t));
      break;
    }
    s = probe.x_trial - x;
    y = probe.g_trial - g;
    x = probe.x_trial;
    g = probe.g_trial;
    fx = probe.f_trial;
    pseudo_gradient(x, g, l1, mask, pg);
    gnorm = pg.norm();
    dir.update(s, y);
    ++t;
    run.monitor.set_scaled(scaled(pg));
    done = run.next(t, x, fx, gnorm, probe.step);
  }
  if (r.status == Status::Converged)
    r.message += " (the pseudo-gradient: the minimum-norm subgradient of the objective with "
                 "its L1 term, zero exactly at its minimum)";
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

/// Chooses the direction policy once and runs the loop.
template <class Obj>
Result descent(const Obj& f, VecX x, const DescentParams& p, const Callback& callback = {},
               const InterruptPoller::Check& interrupt = {}) {
  p.check();
  if (x.size() != f.n_params()) throw std::invalid_argument("x0 has the wrong length");
  if (f.l1() > 0.0) {  // the other line-search methods need a differentiable objective
    if (p.direction != DirectionKind::Lbfgs)
      throw std::invalid_argument(
          "an L1 penalty is not differentiable: use method='lbfgs' (orthant-wise L-BFGS) or "
          "a first-order method (gd, sgd, momentum, ...), which handles it by a proximal step");
    if (p.line_search != LineSearchKind::Wolfe && p.line_search != LineSearchKind::Armijo)
      throw std::invalid_argument(
          "with an L1 penalty, lbfgs (orthant-wise L-BFGS) backtracks along the path "
          "projected onto an orthant: line_search must be 'wolfe' (the default) or 'armijo'");
    return orthant_wise_lbfgs(f, std::move(x), p, callback, interrupt);
  }
  const Index n = f.n_params();
  const std::string matrix_free =
      "use method='newton-cg' (Hessian-vector products only) or 'lbfgs' (m vector pairs)";
  if (p.direction == DirectionKind::Newton)  // H, its damped copy and the factor
    require_dense_matrices_fit(n, 3.0, "newton", matrix_free);
  if (p.direction == DirectionKind::Bfgs)  // the inverse-Hessian approximation and its update
    require_dense_matrices_fit(n, 2.0, "bfgs", matrix_free);
  switch (p.direction) {
    case DirectionKind::Steepest:
      return descent_with(f, std::move(x), SteepestDirection{}, p, callback, interrupt);
    case DirectionKind::Newton:
      return descent_with(f, std::move(x), NewtonDirection{}, p, callback, interrupt);
    case DirectionKind::NewtonCg:
      return descent_with(f, std::move(x), NewtonCgDirection{}, p, callback, interrupt);
    case DirectionKind::Bfgs:
      return descent_with(f, std::move(x), BfgsDirection{Bfgs(n)}, p, callback, interrupt);
    case DirectionKind::Lbfgs:
      return descent_with(f, std::move(x), LbfgsDirection{Lbfgs(p.m)}, p, callback, interrupt);
  }
  throw std::invalid_argument("unknown direction");
}

}  // namespace descend
