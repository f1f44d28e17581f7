#pragma once
/// The full-batch first-order loop: evaluate R and its gradient in one pass, check the
/// stopping rules, let the update rule move w, repeat. Templated over the rule, so the step
/// is inlined; the bindings instantiate it with the runtime Objective (one virtual call per
/// pass over the data, never per row).

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
#include "certify.hpp"
#include "run.hpp"

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

/// The first-order measure of a first-order run at x: the norm of the gradient the rule
/// follows, G = g + weight_decay x, or, when an L1 penalty or a constraint is active, of the
/// gradient mapping (x - prox(x - a G)) / a with a = lr (zero exactly at the constrained or
/// L1-penalised critical points). `work` is a buffer of x's size.
template <class Rule>
double first_order_measure(const VecX& x, const VecX& g, const Rule& rule,
                           const ProximalStep& prox, bool proximal, VecX& work) {
  const double wd = rule.weight_decay;
  if (!proximal) {
    if (wd == 0.0) return g.norm();
    work = g + wd * x;
    return work.norm();
  }
  const double a = rule.lr.first();
  work = x - a * (g + wd * x);
  prox.apply(work, a);
  work -= x;
  return work.norm() / a;
}

/// The same vector as first_order_measure's (g, or g + wd x, which it left in `work`) in the
/// objective's parameter scales: NaN for a proximal run (`scaled` is then inactive).
template <class Rule>
double scaled_first_order(const ScaledMeasure& scaled, const VecX& g, const VecX& work,
                          const Rule& rule) {
  return scaled(rule.weight_decay == 0.0 ? g : work);
}

/// The penalty weight decay adds to the objective the rule minimises, wd/2 ||x||^2 (AdamW's
/// decoupled decay too, for the stop monitor's view of the loss).
template <class Rule>
double decay_penalty(const Rule& rule, const VecX& x) {
  return rule.weight_decay == 0.0 ? 0.0 : 0.5 * rule.weight_decay * x.squaredNorm();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Whether a constrained or L1 run ended where the plain gradient vanishes too: a critical
/// point of the objective itself, where the second-derivative test applies as usual.
inline bool unconstrained_critical(const VecX& g, double l1, double threshold) {
  return l1 == 0.0 && g.norm() <= threshold;
}

/// Why a first-order run stopped changing its loss without a small gradient, in words.
inline std::string first_order_stall_cause(bool smooth, double cos_successive, double step,
                                           double gnorm, double f) {
  if (!smooth)
    return "the objective is not differentiable everywhere (subgradient steps): its "
           "subgradient need not vanish at the minimum, so the run cannot certify one; inspect "
           "the loss curve, and use a decaying schedule to settle on the kink";
  if (step * gnorm * gnorm <= 1e-22 * std::abs(f))
    return "each step changes the loss by about lr*||g||^2 = " + format_g(step * gnorm * gnorm) +
           ", below the loss's floating-point resolution: the learning rate lr=" +
           format_g(step) + " (or the schedule's current rate) is too small";
  if (cos_successive < -0.5)
    return "successive gradients point in opposite directions, so the iterates oscillate: the "
           "learning rate lr=" + format_g(step) + " is at or above the stability limit "
           "2/l_max (descend.analysis.lr_range gives it); lower it";
  return "the problem may be ill-conditioned (newton or lbfgs need far fewer steps), or the "
         "iterate is at the limit of floating-point precision (if x0 was already close to a "
         "minimum, gtol relative to ||g0|| may ask too much: pass gtol_abs)";
}

/// With an active `projection`, this is projected gradient descent: x0 is projected first,
/// and every step is followed by the projection back into the set.
template <class Obj, class Rule>
Result run_full_batch(const Obj& f, VecX x, Rule rule, const ScheduleFn& schedule,
                      const StopCriteria& stop, const Callback& callback,
                      const Projection& projection = {},
                      const InterruptPoller::Check& interrupt = {}) {
  stop.check();
  if (x.size() != f.n_params()) throw std::invalid_argument("x0 has the wrong length");
  rule.check(x.size());
  rule.reset(x.size());
  projection.check(x.size());
  projection.apply(x);
  const ProximalStep prox(projection, f);  // L1 penalty, then the set
  const bool proximal = f.l1() > 0.0 || projection.active();
  Result r;
  RunState run(r, stop, lr_hint(rule.lr.first()), callback, interrupt);
  VecX g(x.size()), g_prev(x.size()), work(x.size());
  double step = rule.lr.first();
  run.monitor.diagnose = [&] {
    const double denom = g.norm() * g_prev.norm();
    return first_order_stall_cause(f.smooth(), denom > 0.0 ? g.dot(g_prev) / denom : 0.0, step,
                                   g.norm(), r.fun);
  };

  // Evaluate the starting point.
  double fx = f.value_and_gradient(x, g);
  double gnorm = first_order_measure(x, g, rule, prox, proximal, work);
  ++r.nfev;
  ++r.njev;
  r.fun = fx;
  Index t = 0;
  const ScaledMeasure scaled(f, !proximal);
  run.monitor.set_scaled(scaled_first_order(scaled, g, work, rule));
  bool done = run.begin(fx, gnorm, decay_penalty(rule, x));
  while (!done) {
    run.poll();
    // Step: the rule moves x from the current gradient, at the scheduled rate.
    step = rule.apply(x, g, checked_factor(schedule, t));
    prox.apply(x, step);
    ++t;
    // Evaluate the new iterate: loss and gradient in one pass over the data.
    g_prev.swap(g);
    fx = f.value_and_gradient(x, g);
    gnorm = first_order_measure(x, g, rule, prox, proximal, work);
    run.monitor.set_scaled(scaled_first_order(scaled, g, work, rule));
    r.fun = fx;
    ++r.nfev;
    ++r.njev;
    done = run.next(t, x, fx, gnorm, step, kNaN, decay_penalty(rule, x));
  }
  certify_minimum(f, x, r,
                  rule.weight_decay == 0.0 &&
                      (!proximal || unconstrained_critical(g, f.l1(), run.monitor.threshold())));
  finish(r, std::move(x), fx, gnorm, t);
  return r;
}

}  // namespace descend
