#pragma once
/// Descent-direction methods: each iteration picks a direction d (steepest descent, Newton,
/// BFGS or L-BFGS), a step a along it by a line search, and moves x <- x + a d.
///
/// Every run that passes the first-order test ends with the second-derivative test
/// (certify.hpp): a run whose gradient vanished at a saddle point or a maximum ends with
/// status "saddle" or "maximum", never success.

#include <cstdio>
#include <limits>
#include <string>

#include "../linesearch.hpp"
#include "../newton.hpp"
#include "../objective.hpp"
#include "../quasi_newton.hpp"
#include "../result.hpp"
#include "../stopping.hpp"
#include "certify.hpp"

namespace descend {

enum class DirectionKind { Steepest, Newton, NewtonCg, Bfgs, Lbfgs };

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

/// The first trial step of a quasi-Newton method, whose first direction is -g: the exact
/// step g'g / g'Hg of the local quadratic model when the curvature is known (it does not
/// change when the data or the loss are rescaled), else min(1, 1/||g||).
template <class Obj>
double first_quasi_newton_step(const Obj& f, const VecX& x, const VecX& g, Index& nhev) {
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

template <class Obj>
Result descent(const Obj& f, VecX x, const DescentParams& p, const Callback& callback = {},
               const InterruptPoller::Check& interrupt = {}) {
  p.check();
  const Index n = f.n_params();
  if (x.size() != n) throw std::invalid_argument("x0 has the wrong length");
  const bool uses_hessian = p.direction == DirectionKind::Newton ||
                            p.direction == DirectionKind::NewtonCg ||
                            p.line_search == LineSearchKind::Exact;
  if (uses_hessian && !f.has_hessian())
    throw std::invalid_argument(f.name() + " has no Hessian");

  Result r;
  Stopwatch clock;
  InterruptPoller poller(interrupt);
  StopMonitor monitor(p.stop, "the steps grew without bound; check the objective and the "
                              "starting point, or use a line search");
  monitor.diagnose = [&] {
    return std::string(f.smooth() ? "the problem may be ill-conditioned or the iterate at the "
                                    "limit of floating-point precision (if x0 was already "
                                    "close to a minimum, gtol relative to ||g0|| may ask too "
                                    "much: pass gtol_abs)"
                                  : "the objective is not differentiable everywhere, and "
                                    "gradient-based directions cannot certify its minimum");
  };
  VecX g(n), d(n), s(n), y(n);
  MatX H;
  Bfgs bfgs(p.direction == DirectionKind::Bfgs ? n : 0);
  Lbfgs lbfgs(p.m);
  const bool track_damping = p.direction == DirectionKind::Newton;
  r.history.with_damping = track_damping;
  double last_damping = std::numeric_limits<double>::quiet_NaN();

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  r.history.record(0, fx, gnorm, std::numeric_limits<double>::quiet_NaN(), clock.seconds());

  Index t = 0;
  while (!monitor.should_stop(t, fx, gnorm, r.status, r.message)) {
    poller.poll();
    // Direction: -g, the (damped) Newton step, or the quasi-Newton step.
    double damping = 0.0;
    switch (p.direction) {
      case DirectionKind::Steepest: d = -g; break;
      case DirectionKind::Newton:
        H.resize(n, n);
        f.hessian(x, H);
        ++r.nhev;
        damping = damped_newton_direction(H, g, d);
        if (!std::isfinite(damping)) d = -g;
        break;
      case DirectionKind::NewtonCg:
        r.nhev += newton_cg_direction([&](const VecX& v, VecX& out) { f.hvp(x, v, out); }, g,
                                      d, std::max<Index>(n, 10), monitor.g0());
        break;
      case DirectionKind::Bfgs: bfgs.direction(g, d); break;
      case DirectionKind::Lbfgs: lbfgs.direction(g, d); break;
    }
    double slope = g.dot(d);
    if (!(slope < 0.0)) {  // not a descent direction: restart from steepest descent
      d = -g;
      slope = -gnorm * gnorm;
      bfgs.reset();
      lbfgs.reset();
    }
    // Step size: the line search leaves the accepted point in the probe.
    double a0 = p.lr;
    if (p.direction == DirectionKind::Bfgs || p.direction == DirectionKind::Lbfgs) {
      a0 = t == 0 ? first_quasi_newton_step(f, x, g, r.nhev) : 1.0;
    }
    LineProbe<Obj> probe(f, x, d, r.nfev);
    bool ok = true;
    switch (p.line_search) {
      case LineSearchKind::None: probe(a0); break;
      case LineSearchKind::Armijo: ok = armijo(probe, fx, slope, a0, p.search); break;
      case LineSearchKind::Wolfe: ok = wolfe(probe, fx, slope, a0, p.search); break;
      case LineSearchKind::Grid: ok = grid(probe, fx, a0); break;
      case LineSearchKind::Exact: ok = exact(f, x, d, slope, probe, r.nhev); break;
    }
    r.njev = r.nfev;  // every evaluation computed the loss and the gradient together
    if (!ok) {
      r.status = Status::LineSearchFailed;
      r.message = "the line search found no step that decreases the loss enough at iteration " +
                  std::to_string(t) + " (the gradient may be inaccurate, or the iterate is "
                  "already at the limit of floating-point precision)";
      break;
    }
    // Move, and feed the quasi-Newton memory with the step and the change of gradient.
    s = probe.x_trial - x;
    y = probe.g_trial - g;
    x = probe.x_trial;
    g = probe.g_trial;
    fx = probe.f_trial;
    gnorm = g.norm();
    if (p.direction == DirectionKind::Bfgs) bfgs.update(s, y);
    if (p.direction == DirectionKind::Lbfgs) lbfgs.update(s, y);
    ++t;
    last_damping = damping;
    r.history.record(t, fx, gnorm, probe.step, clock.seconds(), damping);
    if (callback && callback(IterationInfo{t, x, fx, gnorm, probe.step})) {
      r.status = Status::Callback;
      r.message = "stopped by the callback at iteration " + std::to_string(t);
      break;
    }
  }

  // The second-derivative test at a point where the gradient vanished. Newton's last step
  // came from an undamped Cholesky factorisation (H positive definite at the previous
  // iterate) and, if the curvature along that step is positive too, the point is a minimum
  // without one more Hessian; otherwise the test of certify.hpp decides.
  const bool newton_certified = p.direction == DirectionKind::Newton && t > 0 &&
                                last_damping == 0.0 && s.dot(y) > 0.0;
  if (!newton_certified) certify_minimum(f, x, r, true);
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

}  // namespace descend
