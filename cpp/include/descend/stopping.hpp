#pragma once
/// The stopping rules shared by the iterative solvers, checked after every evaluation:
///   1. a non-finite loss or gradient                      -> diverged
///   2. ||grad R(w_t)|| <= gtol                             -> converged
///   3. |R(w_t) - R(w_{t-1})| <= tol (the lectures' rule)   -> converged
///   4. the loss rose at each of the last `divergence_patience` iterations and is now above
///      the starting loss                                   -> diverged
///   5. t >= max_iter                                       -> max_iter

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "result.hpp"

namespace descend {

struct StopCriteria {
  double tol = 1e-10;             ///< on |R(w_t) - R(w_{t-1})|, >= 0
  double gtol = 1e-6;             ///< on ||grad R(w_t)||, >= 0
  Index max_iter = 1000;          ///< >= 1
  Index divergence_patience = 10; ///< consecutive rises of the loss that count as divergence, >= 1

  void check() const {
    if (!(tol >= 0.0)) throw std::invalid_argument("tol must be >= 0");
    if (!(gtol >= 0.0)) throw std::invalid_argument("gtol must be >= 0");
    if (max_iter < 1) throw std::invalid_argument("max_iter must be >= 1");
    if (divergence_patience < 1) throw std::invalid_argument("divergence_patience must be >= 1");
  }
};

class StopMonitor {
 public:
  /// `divergence_hint` ends the message of a diverged run (e.g. advice on the learning rate).
  StopMonitor(const StopCriteria& c, std::string divergence_hint)
      : c_(c), hint_(std::move(divergence_hint)) {}

  /// Checks the rules for iterate t with loss f and gradient norm gnorm. Returns true when the
  /// run must stop, with status and message filled in.
  bool should_stop(Index t, double f, double gnorm, Status& status, std::string& message) {
    if (!std::isfinite(f) || !std::isfinite(gnorm)) {
      status = Status::Diverged;
      message = std::string(t == 0 ? "the loss or gradient at x0 is not finite"
                                   : "the loss or gradient became non-finite at iteration " +
                                         std::to_string(t)) +
                (t == 0 ? "" : ": " + hint_);
      return true;
    }
    if (t == 0) start_ = f;
    if (gnorm <= c_.gtol) {
      status = Status::Converged;
      message = "gradient norm " + fmt(gnorm) + " <= gtol";
      return true;
    }
    if (t > 0 && std::abs(f - previous_) <= c_.tol) {
      status = Status::Converged;
      message = "loss change " + fmt(std::abs(f - previous_)) + " <= tol";
      return true;
    }
    rises_ = (t > 0 && f > previous_) ? rises_ + 1 : 0;
    previous_ = f;
    if (rises_ >= c_.divergence_patience && f > start_) {
      status = Status::Diverged;
      message = "the loss rose at each of the last " + std::to_string(rises_) +
                " iterations and is above its starting value: " + hint_;
      return true;
    }
    if (t >= c_.max_iter) {
      status = Status::MaxIter;
      message = "reached max_iter=" + std::to_string(c_.max_iter) +
                " before meeting tol or gtol";
      return true;
    }
    return false;
  }

 private:
  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }

  StopCriteria c_;
  std::string hint_;
  double start_ = 0.0;
  double previous_ = std::numeric_limits<double>::quiet_NaN();
  Index rises_ = 0;
};

}  // namespace descend
