#pragma once
/// Descent-direction methods: each iteration picks a direction d (steepest descent, Newton,
/// BFGS or L-BFGS), a step a along it by a line search, and moves x <- x + a d.
///
/// Newton, BFGS and L-BFGS end with the second-derivative test: a run whose gradient vanished
/// at a saddle point or a maximum ends with status "saddle" or "maximum", never success.

#include <cstdio>
#include <limits>
#include <string>

#include "../linesearch.hpp"
#include "../newton.hpp"
#include "../objective.hpp"
#include "../quasi_newton.hpp"
#include "../result.hpp"
#include "../stopping.hpp"

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

template <class Obj>
Result descent(const Obj& f, VecX x, const DescentParams& p, const Callback& callback = {}) {
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
  StopMonitor monitor(p.stop, "the steps grew without bound; check the objective and the "
                              "starting point, or use a line search");
  VecX g(n), d(n), s(n), y(n);
  MatX H;
  Bfgs bfgs(p.direction == DirectionKind::Bfgs ? n : 0);
  Lbfgs lbfgs(p.m);
  const bool track_damping = p.direction == DirectionKind::Newton;

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  r.history.record(fx, gnorm, std::numeric_limits<double>::quiet_NaN(), clock.seconds());
  if (track_damping) r.history.damping.push_back(std::numeric_limits<double>::quiet_NaN());

  Index t = 0;
  while (!monitor.should_stop(t, fx, gnorm, r.status, r.message)) {
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
                                      d, std::max<Index>(n, 10));
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
      a0 = (t == 0) ? std::min(1.0, 1.0 / gnorm) : 1.0;
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
    r.history.record(fx, gnorm, probe.step, clock.seconds());
    if (track_damping) r.history.damping.push_back(damping);
    if (callback && callback(IterationInfo{t, x, fx, gnorm, probe.step})) {
      r.status = Status::Callback;
      r.message = "stopped by the callback at iteration " + std::to_string(t);
      break;
    }
  }

  // The second-derivative test at a point where the gradient vanished. Newton's last step
  // came from an undamped Cholesky factorisation (H positive definite at the previous
  // iterate) and, if the curvature along that step is positive too, the point is a minimum
  // without one more Hessian; otherwise the Hessian at x decides.
  const bool newton_certified = p.direction == DirectionKind::Newton && t > 0 &&
                                r.history.damping.back() == 0.0 && s.dot(y) > 0.0;
  if (r.status == Status::Converged && p.direction != DirectionKind::Steepest &&
      !newton_certified && f.has_hessian()) {
    H.resize(n, n);
    f.hessian(x, H);
    ++r.nhev;
    const int sign = curvature_sign(H);
    if (sign == 0) {
      r.status = Status::Saddle;
      r.message = "the gradient vanished at a saddle point (the Hessian has eigenvalues of "
                  "both signs), not a minimum: restart from another point";
    } else if (sign < 0) {
      r.status = Status::Maximum;
      r.message = "the gradient vanished at a maximum (the Hessian is negative definite), "
                  "not a minimum: restart from another point";
    }
  }
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

}  // namespace descend
