#pragma once
/// What every solver returns: the final iterate, counters, a status with a message, and a
/// per-iteration history (row k describes iterate k, k = 0 .. nit).

#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "types.hpp"

namespace descend {

enum class Status {
  Converged,         ///< the first-order condition holds (relative gtol) and no curvature
                     ///< information says the point is not a minimum
  MaxIter,           ///< the iteration (or epoch) limit was reached first
  Diverged,          ///< the loss became non-finite or kept growing
  Callback,          ///< the user's callback asked to stop
  Saddle,            ///< stopped at a critical point that is a saddle
  Maximum,           ///< stopped at a critical point that is a maximum
  LineSearchFailed,  ///< no acceptable step could be found
  Completed,         ///< a mini-batch run did all its epochs, with no tolerance to meet
  Stalled,           ///< the loss stopped changing while the gradient had not become small
};

inline const char* status_name(Status s) {
  switch (s) {
    case Status::Converged: return "converged";
    case Status::MaxIter: return "max_iter";
    case Status::Diverged: return "diverged";
    case Status::Callback: return "callback";
    case Status::Saddle: return "saddle";
    case Status::Maximum: return "maximum";
    case Status::LineSearchFailed: return "line_search_failed";
    case Status::Completed: return "completed";
    case Status::Stalled: return "stalled";
  }
  return "unknown";
}

/// Success is a promise: the run converged to a point that passed the first-order test (and the
/// second-order test where curvature is known), or the user's callback stopped it. Running out of
/// iterations or epochs, stalling, and every non-minimum are not successes.
inline bool status_success(Status s) {
  return s == Status::Converged || s == Status::Callback;
}

/// The per-iterate record of a run. It never grows without bound: once it holds
/// `max_rows` rows it drops every other row and from then on keeps every second iterate
/// (then every fourth, ...), so a run of any length keeps at most max_rows + 1 rows, always
/// including the first and the last iterate. `iteration` says which iterate each row is.
struct History {
  static constexpr std::size_t max_rows = 100000;

  std::vector<double> iteration;  ///< k, the iterate (or epoch) the row describes
  std::vector<double> loss;       ///< R(w_k)
  std::vector<double> grad_norm;  ///< the first-order measure at w_k (||grad R|| when smooth)
  std::vector<double> step;       ///< the learning rate (step size) that led to w_k; NaN for k = 0
  std::vector<double> time;       ///< seconds since the start of the run when w_k was evaluated
  std::vector<double> damping;    ///< Newton only: the damping t (H + t D), or empty
  bool with_damping = false;

  void record(Index k, double f, double gnorm, double lr, double seconds,
              double damp = std::numeric_limits<double>::quiet_NaN()) {
    pending_ = Row{k, f, gnorm, lr, seconds, damp};
    has_pending_ = true;
    if (k % stride_ != 0) return;  // thinned out (kept as pending in case it is the last)
    push(pending_);
    has_pending_ = false;
    if (loss.size() >= max_rows) thin();
  }

  /// Makes sure the last iterate recorded is in the history (call once at the end).
  void close() {
    if (has_pending_) push(pending_);
    has_pending_ = false;
  }

 private:
  struct Row {
    Index k;
    double f, gnorm, lr, seconds, damp;
  };
  void push(const Row& r) {
    iteration.push_back(double(r.k));
    loss.push_back(r.f);
    grad_norm.push_back(r.gnorm);
    step.push_back(r.lr);
    time.push_back(r.seconds);
    if (with_damping) damping.push_back(r.damp);
  }
  void thin() {
    auto halve = [](std::vector<double>& v) {
      std::size_t j = 0;
      for (std::size_t i = 0; i < v.size(); i += 2) v[j++] = v[i];
      v.resize(j);
    };
    halve(iteration);
    halve(loss);
    halve(grad_norm);
    halve(step);
    halve(time);
    if (with_damping) halve(damping);
    stride_ *= 2;
  }
  Index stride_ = 1;
  Row pending_{};
  bool has_pending_ = false;
};

struct Result {
  VecX x;
  double fun = std::numeric_limits<double>::quiet_NaN();
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
  Index nit = 0, nfev = 0, njev = 0, nhev = 0;
  Status status = Status::MaxIter;
  std::string message;
  History history;
  VecX x_best;  ///< stochastic runs: the iterate with the lowest full loss seen (else empty)
  double fun_best = std::numeric_limits<double>::quiet_NaN();
};

/// Fills in the final iterate of a run and its counters.
inline void finish(Result& r, VecX&& x, double fun, double grad_norm, Index nit) {
  r.history.close();
  r.x = std::move(x);
  r.fun = fun;
  r.grad_norm = grad_norm;
  r.nit = nit;
}

/// What a per-iteration callback sees.
struct IterationInfo {
  Index nit;
  const VecX& x;
  double loss;
  double grad_norm;
  double step;
};

/// Returns true to stop the run. An empty function means no callback (and costs nothing).
using Callback = std::function<bool(const IterationInfo&)>;

/// Seconds since construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace descend
