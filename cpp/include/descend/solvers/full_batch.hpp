#pragma once
/// The full-batch first-order loop: evaluate R and its gradient in one pass, check the
/// stopping rules, let the update rule move w, repeat. Templated over the objective and the
/// rule, so the step is inlined.

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "../objective.hpp"
#include "../projections.hpp"
#include "../result.hpp"
#include "../rules.hpp"
#include "../schedules.hpp"
#include "../stopping.hpp"

namespace descend {

/// The learning-rate factor at step t (a built-in Schedule, or a user's function).
using ScheduleFn = std::function<double(Index)>;

inline ScheduleFn as_function(const Schedule& s) {
  s.check();
  return [s](Index t) { return s.factor(t); };
}

/// The factor at step t, refusing what would silently ruin a run.
inline double checked_factor(const ScheduleFn& schedule, Index t) {
  const double f = schedule(t);
  if (!(f > 0.0) || !std::isfinite(f))
    throw std::invalid_argument("the learning-rate schedule gave a rate that is not a finite "
                                "number > 0 at step " + std::to_string(t));
  return f;
}

inline std::string lr_hint(double lr) {
  char hint[160];
  std::snprintf(hint, sizeof hint,
                "the learning rate lr=%g is too large for this problem; try a smaller one", lr);
  return hint;
}

/// With an active `projection`, this is projected gradient descent: x0 is projected first,
/// and every step is followed by the projection back into the set.
template <class Obj, class Rule>
Result run_full_batch(const Obj& f, VecX x, Rule rule, const ScheduleFn& schedule,
                      const StopCriteria& stop, const Callback& callback,
                      const Projection& projection = {}) {
  stop.check();
  if (x.size() != f.n_params()) throw std::invalid_argument("x0 has the wrong length");
  rule.check(x.size());
  rule.reset(x.size());
  projection.check(x.size());
  projection.apply(x);
  const ProximalStep prox{projection, f.l1(), f.l1_size()};  // L1 penalty, then the set
  Result r;
  Stopwatch clock;
  StopMonitor monitor(stop, lr_hint(rule.lr.first()));
  VecX g(x.size());

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  r.history.record(fx, gnorm, std::numeric_limits<double>::quiet_NaN(), clock.seconds());

  Index t = 0;
  while (!monitor.should_stop(t, fx, gnorm, r.status, r.message)) {
    // Step: the rule moves x from the current gradient, at the scheduled rate.
    const double step = rule.apply(x, g, checked_factor(schedule, t));
    prox.apply(x, step);
    ++t;
    // Evaluate the new iterate: loss and gradient in one pass over the data.
    fx = f.value_and_gradient(x, g);
    gnorm = g.norm();
    ++r.nfev;
    ++r.njev;
    r.history.record(fx, gnorm, step, clock.seconds());
    if (callback && callback(IterationInfo{t, x, fx, gnorm, step})) {
      r.status = Status::Callback;
      r.message = "stopped by the callback at iteration " + std::to_string(t);
      break;
    }
  }
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

}  // namespace descend
