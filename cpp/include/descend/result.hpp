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
  Converged,         ///< a stopping tolerance was met
  MaxIter,           ///< the iteration (or epoch) limit was reached first
  Diverged,          ///< the loss became non-finite or kept growing
  Callback,          ///< the user's callback asked to stop
  Saddle,            ///< stopped at a critical point that is a saddle
  Maximum,           ///< stopped at a critical point that is a maximum
  LineSearchFailed,  ///< no acceptable step could be found
  Completed,         ///< a mini-batch run did all its epochs, with no tolerance to meet
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
  }
  return "unknown";
}

/// Success means the run ended where the user wanted: converged, or stopped on request.
inline bool status_success(Status s) {
  return s == Status::Converged || s == Status::Callback || s == Status::Completed;
}

struct History {
  std::vector<double> loss;       ///< R(w_k)
  std::vector<double> grad_norm;  ///< ||grad R(w_k)||_2
  std::vector<double> step;       ///< the learning rate (step size) that led to w_k; NaN for k = 0
  std::vector<double> time;       ///< seconds since the start of the run when w_k was evaluated
  std::vector<double> damping;    ///< Newton only: the damping t added to the Hessian, or empty

  void record(double f, double gnorm, double lr, double seconds) {
    loss.push_back(f);
    grad_norm.push_back(gnorm);
    step.push_back(lr);
    time.push_back(seconds);
  }
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
