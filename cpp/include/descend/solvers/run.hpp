#pragma once
/// The skeleton every solver loop shares: the clock, the interrupt poller (Ctrl-C), the one
/// stop monitor, the history and the user's callback. A loop evaluates its start and calls
/// begin(); then, for each iteration, moves x, evaluates the new iterate and calls next(),
/// until one of them returns true; then certify_minimum() and finish().

#include <limits>
#include <string>
#include <utility>

#include "../result.hpp"
#include "../stopping.hpp"

namespace descend {

/// The first-order measure in the objective's parameter scales, ||g / sqrt(D)|| with D from
/// Objective::parameter_scales, for StopMonitor::set_scaled; NaN when the objective gives
/// no scales (or `active` is false: a constrained or L1 run, whose measure is the gradient
/// mapping).
class ScaledMeasure {
 public:
  template <class Obj>
  ScaledMeasure(const Obj& f, bool active) {
    VecX scales;
    if (!active || !f.parameter_scales(scales) || scales.size() != f.n_params()) return;
    if (!(scales.array() > 0.0).all() || !scales.allFinite()) return;
    inverse_root_ = scales.array().sqrt().inverse().matrix();
    active_ = true;
  }

  double operator()(const VecX& g) const {
    if (!active_) return std::numeric_limits<double>::quiet_NaN();
    return g.cwiseProduct(inverse_root_).norm();
  }

 private:
  VecX inverse_root_;
  bool active_ = false;
};

class RunState {
 public:
  /// `unit` names what an iteration is ("iteration" or "epoch"); `divergence_hint` ends the
  /// message of a diverged run. The callback and the interrupt check may be empty.
  RunState(Result& r, const StopCriteria& criteria, std::string divergence_hint,
           const Callback& callback, const InterruptPoller::Check& interrupt,
           std::string unit = "iteration")
      : monitor(criteria, std::move(divergence_hint), unit), r_(r), callback_(callback),
        poller_(interrupt), unit_(std::move(unit)) {}

  /// Records the start (iterate 0) and checks it; true when the run ends there. `penalty` is
  /// what the update rule adds to the objective (weight decay, wd/2 ||x||^2): the monitor
  /// judges R + penalty, the function the run minimises, and the history keeps R.
  bool begin(double f, double gnorm, double penalty = 0.0) {
    r_.history.record(0, f, gnorm, std::numeric_limits<double>::quiet_NaN(), clock_.seconds());
    return monitor.should_stop(0, f + penalty, gnorm, r_.status, r_.message);
  }

  /// Records iterate t, hands it to the callback, then checks the stopping rules; true when
  /// the run ends at t.
  bool next(Index t, const VecX& x, double f, double gnorm, double step,
            double damping = std::numeric_limits<double>::quiet_NaN(), double penalty = 0.0) {
    r_.history.record(t, f, gnorm, step, clock_.seconds(), damping);
    if (callback_ && callback_(IterationInfo{t, x, f, gnorm, step})) {
      r_.status = Status::Callback;
      r_.message = "stopped by the callback after " + unit_ + " " + std::to_string(t);
      return true;
    }
    return monitor.should_stop(t, f + penalty, gnorm, r_.status, r_.message);
  }

  /// Ends the run early with a status of the loop's own (e.g. a failed line search).
  void fail(Status status, std::string message) {
    r_.status = status;
    r_.message = std::move(message);
  }

  void poll() { poller_.poll(); }
  void poll_cheap() { poller_.poll_cheap(); }

  StopMonitor monitor;

 private:
  Result& r_;
  const Callback& callback_;
  InterruptPoller poller_;
  Stopwatch clock_;
  std::string unit_;
};

}  // namespace descend
