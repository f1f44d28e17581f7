#pragma once
/// The options of a mini-batch run (run_minibatch, minibatch.hpp), as one struct with its own
/// validation, bound to Python as _core.MinibatchParams (as Schedule is).

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../stopping.hpp"
#include "../types.hpp"

namespace descend {

struct MinibatchParams {
  Index batch_size = 32;        ///< in [1, n]
  Index epochs = 10;            ///< >= 1
  bool shuffle = true;
  std::uint64_t seed = 0;
  bool drop_last = false;
  double tol = -1.0;            ///< relative loss rule (stopping.hpp); < 0: off
  double tol_abs = -1.0;        ///< absolute loss rule (scikit-learn's tol); < 0: off
  Index n_iter_no_change = 5;   ///< >= 1
  double gtol = 1e-6;           ///< relative to the full gradient at x0, >= 0
  double gtol_abs = 0.0;        ///< >= 0
  Index divergence_patience = 5;
  bool full_loss = true;         ///< the epoch loss on the full data, or the running batch mean
  bool keep_state = false;       ///< continue the rule's state (partial_fit) instead of resetting
  /// The share of each step the intercepts take, in (0, 1]: their new value is the old one
  /// plus intercept_share times the rule's move (scikit-learn's SGD takes 0.01 on sparse
  /// rows, its SPARSE_INTERCEPT_DECAY); 1 everywhere else.
  double intercept_share = 1.0;
  /// Adam's lazy variant on sparse rows (solvers/lazy_steps.hpp; minimize's "lazy_adam"): a
  /// different algorithm, never chosen for the user. Refused where it cannot run.
  bool lazy_adam = false;

  /// The checks that need no data.
  void check() const {
    if (batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
    if (epochs < 1) throw std::invalid_argument("epochs must be >= 1");
    if (n_iter_no_change < 1) throw std::invalid_argument("n_iter_no_change must be >= 1");
    if (divergence_patience < 1)
      throw std::invalid_argument("divergence_patience must be >= 1");
    if (std::isnan(tol)) throw std::invalid_argument("tol must be a number (< 0: off)");
    if (std::isnan(tol_abs)) throw std::invalid_argument("tol_abs must be a number (< 0: off)");
    if (!(gtol >= 0.0)) throw std::invalid_argument("gtol must be >= 0");
    if (!(gtol_abs >= 0.0)) throw std::invalid_argument("gtol_abs must be >= 0");
    if (!(intercept_share > 0.0 && intercept_share <= 1.0))
      throw std::invalid_argument("intercept_share must be in (0, 1]");
  }

  /// All the checks, for data of n samples.
  void check(Index n) const {
    check();
    if (batch_size > n)
      throw std::invalid_argument("batch_size must be <= n_samples (" + std::to_string(n) +
                                  "), got " + std::to_string(batch_size));
  }

  bool has_tol() const { return tol >= 0.0 || tol_abs >= 0.0; }

  StopCriteria criteria() const {
    StopCriteria c = stop_criteria(tol, tol_abs, gtol, gtol_abs, epochs);
    c.n_iter_no_change = n_iter_no_change;
    c.divergence_patience = divergence_patience;
    c.improvement = true;
    c.gradient_known = full_loss;
    return c;
  }
};

}  // namespace descend
