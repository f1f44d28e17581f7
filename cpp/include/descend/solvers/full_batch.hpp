#pragma once
/// The full-batch first-order loop: evaluate R and its gradient in one pass, check the
/// stopping rules, let the update rule move w, repeat. Templated over the objective and the
/// rule, so the step is inlined.

#include <cstdio>
#include <string>

#include "../objective.hpp"
#include "../result.hpp"
#include "../rules.hpp"
#include "../stopping.hpp"

namespace descend {

template <class Obj, class Rule>
Result run_full_batch(const Obj& f, VecX x, Rule rule, const StopCriteria& stop,
                      const Callback& callback, const std::string& divergence_hint) {
  stop.check();
  rule.check();
  if (x.size() != f.n_params()) throw std::invalid_argument("x0 has the wrong length");
  Result r;
  Stopwatch clock;
  StopMonitor monitor(stop, divergence_hint);
  VecX g(x.size());

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  r.history.record(fx, gnorm, std::numeric_limits<double>::quiet_NaN(), clock.seconds());

  Index t = 0;
  while (!monitor.should_stop(t, fx, gnorm, r.status, r.message)) {
    // Step: the rule moves x from the current gradient.
    const double step = rule.apply(x, g);
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
  r.x = std::move(x);
  r.fun = fx;
  r.grad_norm = gnorm;
  r.nit = t;
  return r;
}

/// Batch gradient descent with a constant learning rate.
template <class Obj>
Result gradient_descent(const Obj& f, VecX x0, double lr, const StopCriteria& stop,
                        const Callback& callback = {}) {
  char hint[160];
  std::snprintf(hint, sizeof hint,
                "the learning rate lr=%g is too large for this problem; try a smaller one", lr);
  return run_full_batch(f, std::move(x0), GradientStep{lr}, stop, callback, hint);
}

}  // namespace descend
