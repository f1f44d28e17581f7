#pragma once
/// The one stop monitor every solver loop uses, checked after every iteration (or epoch).
///
/// Every test is invariant to rescaling the data, the loss and the parameters:
///   1. a non-finite loss or gradient                                        -> diverged
///   2. ||g_t|| <= max(gtol ||g_0||, gtol_abs)    (the first-order condition)  -> converged
///   3. the loss rule held for n_iter_no_change checks in a row               -> stalled
///        change_t <= tol (R_0 - R_best)  or  change_t <= tol_abs
///      where change_t = |R_t - R_{t-1}| (full batch: the lectures' rule, made relative to the
///      decrease achieved so far) or R_best - R_t (mini-batch: the improvement on the best
///      epoch loss, as scikit-learn's SGD counts it). On the full batch the relative rule
///      also needs 10 quiet iterations in which ||g|| did not shrink by 1% (a loss at its
///      floating-point floor stops changing while the iterates still improve). The loss
///      rule never gives success: a run whose loss stopped changing while its gradient had
///      not become small is "stalled", with a message naming the likely cause.
///   4. the loss rose at each of the last `divergence_patience` checks and is above the start
///                                                                           -> diverged
///   5. t >= max_iter                                                         -> max_iter
/// ||g|| is the first-order measure of the problem: the gradient's norm, or the norm of the
/// gradient mapping (x - prox(x - lr g)) / lr for runs with an L1 penalty or a constraint.
/// "converged" is then confirmed or overturned by the second-derivative test (curvature.hpp).

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "result.hpp"

namespace descend {

struct StopCriteria {
  double gtol = 1e-6;             ///< relative: ||g_t|| <= gtol ||g_0||, >= 0
  double gtol_abs = 0.0;          ///< absolute: ||g_t|| <= gtol_abs, >= 0 (0: off)
  double tol = 1e-15;             ///< relative loss rule, see above; < 0: off
  double tol_abs = -1.0;          ///< the lectures' absolute |R_t - R_{t-1}| <= tol_abs; < 0: off
  Index max_iter = 1000;          ///< >= 1
  Index n_iter_no_change = 1;     ///< checks in a row the loss rule must hold, >= 1
  Index divergence_patience = 10; ///< consecutive rises of the loss that count as divergence
  bool improvement = false;       ///< the loss rule on R_best - R_t (mini-batch) not |dR|
  bool gradient_known = true;     ///< false: the gradient is not evaluated (running loss)

  void check() const {
    if (!(gtol >= 0.0)) throw std::invalid_argument("gtol must be >= 0");
    if (!(gtol_abs >= 0.0)) throw std::invalid_argument("gtol_abs must be >= 0");
    if (std::isnan(tol)) throw std::invalid_argument("tol must be a number");
    if (std::isnan(tol_abs)) throw std::invalid_argument("tol_abs must be a number");
    if (max_iter < 1) throw std::invalid_argument("max_iter must be >= 1");
    if (n_iter_no_change < 1) throw std::invalid_argument("n_iter_no_change must be >= 1");
    if (divergence_patience < 1) throw std::invalid_argument("divergence_patience must be >= 1");
  }
};

/// The criteria a caller sets (the loss rules, the gradient tests, the limit); the rest keep
/// their defaults.
inline StopCriteria stop_criteria(double tol, double tol_abs, double gtol, double gtol_abs,
                                  Index max_iter) {
  StopCriteria c;
  c.tol = tol;
  c.tol_abs = tol_abs;
  c.gtol = gtol;
  c.gtol_abs = gtol_abs;
  c.max_iter = max_iter;
  return c;
}

inline std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

/// Polled by the loops so that a long compiled run can be abandoned (Ctrl-C): the function
/// throws to stop the run. Calls are rate-limited to one per 50 ms of wall time; `poll_cheap`
/// looks at the clock only every 1024 calls (for per-sample steps).
class InterruptPoller {
 public:
  using Check = std::function<void()>;
  explicit InterruptPoller(Check check = {}) : check_(std::move(check)) {}
  void poll() {
    if (!check_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
    check_();
  }
  void poll_cheap() {
    if (check_ && (++calls_ & 1023u) == 0) poll();
  }

 private:
  Check check_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  unsigned calls_ = 0;
};

class StopMonitor {
 public:
  /// `divergence_hint` ends the message of a diverged run (e.g. advice on the learning rate);
  /// `unit` names what t counts ("iteration" or "epoch").
  StopMonitor(const StopCriteria& c, std::string divergence_hint, std::string unit = "iteration")
      : c_(c), hint_(std::move(divergence_hint)), unit_(std::move(unit)) {
    c_.check();
  }

  /// Called when the loss rule or the iteration limit ends a run without convergence: returns
  /// the likely cause, in words (the loop knows the gradients, steps and objective).
  std::function<std::string()> diagnose;

  /// The first-order measure of the coming should_stop in the objective's parameter scales
  /// (ScaledMeasure; NaN when there are none). The relative gradient test must then hold
  /// for it as well: gnorm alone is dominated by the parameters of the largest curvature
  /// scale, and would let the others stop far from their optimum.
  void set_scaled(double scaled) { scaled_ = scaled; }

  /// Checks the rules for iterate t with loss f and first-order measure gnorm. Returns true
  /// when the run must stop, with status and message filled in.
  bool should_stop(Index t, double f, double gnorm, Status& status, std::string& message) {
    if (!std::isfinite(f) || (c_.gradient_known && !std::isfinite(gnorm))) {
      status = Status::Diverged;
      message = t == 0 ? std::string("the loss or gradient at x0 is not finite")
                       : "the loss or gradient became non-finite at " + unit_ + " " +
                             std::to_string(t) + ": " + hint_;
      return true;
    }
    if (t == 0) {
      start_ = best_ = previous_ = f;
      g0_ = gnorm;
      scaled0_ = scaled_;
      threshold_ = std::max(c_.gtol * g0_, c_.gtol_abs);
    }
    if (c_.gradient_known && gnorm <= threshold_ && scaled_test_holds(gnorm)) {
      status = Status::Converged;
      message = t == 0 ? "the gradient vanishes at x0 (norm " + format_g(gnorm) + ")"
                       : "gradient norm " + format_g(gnorm) + " <= " + gtol_words();
      return true;
    }
    if (t > 0 && loss_rule_holds(f, gnorm)) {
      status = Status::Stalled;
      message = "the loss " + std::string(c_.improvement ? "improved" : "changed") +
                " by less than " + tol_words() + " in " + std::to_string(quiet_) + " " + unit_ +
                (quiet_ > 1 ? "s in a row" : "") + ", but " + gradient_words(gnorm) + cause();
      return true;
    }
    rises_ = (t > 0 && f > previous_) ? rises_ + 1 : 0;
    previous_ = f;
    if (rises_ >= c_.divergence_patience && f > start_) {
      status = Status::Diverged;
      message = "the loss rose at each of the last " + std::to_string(rises_) + " " + unit_ +
                "s and is above its starting value: " + hint_;
      return true;
    }
    if (t >= c_.max_iter) {
      status = Status::MaxIter;
      message = "reached " + std::string(unit_ == "epoch" ? "epochs=" : "max_iter=") +
                std::to_string(c_.max_iter) + " before " + gtol_words() + "; " +
                gradient_words(gnorm) + cause();
      return true;
    }
    return false;
  }

  /// ||g_0||, the reference of the relative gradient test.
  double g0() const { return g0_; }
  double threshold() const { return threshold_; }

  /// How far the first-order test is from holding, in words.
  std::string gradient_words(double gnorm) const {
    if (!c_.gradient_known)
      return "the gradient was not evaluated (epoch_loss='running'), so no minimum is certified";
    std::string words = "the gradient norm is still " +
                        format_g(g0_ > 0.0 ? gnorm / g0_ : gnorm) +
                        (g0_ > 0.0 ? " of its value at x0" : "") + " (gtol = " +
                        format_g(c_.gtol) + ")";
    if (scaled_ > c_.gtol * scaled0_ && scaled0_ > 0.0)
      words += ", and " + format_g(scaled_ / scaled0_) +
               " measured in the parameters' own scales (each component divided by the root "
               "of its feature's mean square)";
    return words;
  }

 private:
  std::string gtol_words() const {
    std::string s = "gtol * ||g0|| = " + format_g(c_.gtol) + " * " + format_g(g0_);
    if (c_.gtol_abs > 0.0) s += " (or gtol_abs = " + format_g(c_.gtol_abs) + ")";
    return s;
  }
  std::string tol_words() const {
    if (c_.tol_abs >= 0.0 && c_.tol < 0.0) return "tol_abs = " + format_g(c_.tol_abs);
    std::string s = "tol = " + format_g(c_.tol) + " of the decrease so far";
    if (c_.tol_abs >= 0.0) s += " (or tol_abs = " + format_g(c_.tol_abs) + ")";
    return s;
  }
  /// The loss rule, counted in streaks. Mini-batch: the improvement on the best loss, as
  /// scikit-learn counts it. Full batch: tol_abs is the lectures' rule as it stands; the
  /// relative tol also asks that the first-order measure did not shrink by 1% over the last
  /// `kGradientWindow` quiet iterations (a loss at its floating-point floor stops changing
  /// while gradient descent still makes progress in x).
  bool loss_rule_holds(double f, double gnorm) {
    const double change = c_.improvement ? best_ - f : std::abs(f - previous_);
    const double progress = start_ - std::min(best_, f);
    const bool relative = c_.tol >= 0.0 && change <= c_.tol * progress;
    const bool absolute = c_.tol_abs >= 0.0 && change <= c_.tol_abs;
    best_ = std::min(best_, f);
    if (c_.improvement) {
      quiet_ = (relative || absolute) ? quiet_ + 1 : 0;
      return quiet_ >= c_.n_iter_no_change;
    }
    absolute_streak_ = absolute ? absolute_streak_ + 1 : 0;
    if (!relative) {
      relative_streak_ = 0;
    } else if (relative_streak_ == 0 || !(gnorm >= 0.99 * streak_gnorm_) ||
               !c_.gradient_known) {
      relative_streak_ = 1;  // a new streak, or the gradient is still shrinking: start again
      streak_gnorm_ = gnorm;
    } else {
      ++relative_streak_;
    }
    const Index needed = std::max<Index>(c_.n_iter_no_change, kGradientWindow);
    quiet_ = absolute_streak_ >= c_.n_iter_no_change ? absolute_streak_ : relative_streak_;
    return absolute_streak_ >= c_.n_iter_no_change || relative_streak_ >= needed;
  }

  static constexpr Index kGradientWindow = 10;

  /// The relative test in the parameters' own scales (none given: holds); the user's
  /// absolute gtol_abs, when it is what passed, is taken as it is.
  bool scaled_test_holds(double gnorm) const {
    if (c_.gtol_abs > 0.0 && gnorm <= c_.gtol_abs) return true;
    return !(scaled_ > c_.gtol * scaled0_);
  }

  std::string cause() const {
    if (!diagnose) return "";
    const std::string why = diagnose();
    return why.empty() ? "" : ": " + why;
  }

  StopCriteria c_;
  std::string hint_, unit_;
  double start_ = 0.0, best_ = 0.0, g0_ = 0.0, threshold_ = 0.0;
  double previous_ = std::numeric_limits<double>::quiet_NaN();
  double streak_gnorm_ = 0.0;
  double scaled_ = std::numeric_limits<double>::quiet_NaN(), scaled0_ = scaled_;
  Index rises_ = 0, quiet_ = 0, absolute_streak_ = 0, relative_streak_ = 0;
};

}  // namespace descend
