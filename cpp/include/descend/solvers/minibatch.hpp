#pragma once
/// The mini-batch loop: each epoch walks the samples in batches (in the order of
/// permutation(n, seed, epoch) when shuffling, in index order otherwise), steps the rule on
/// each batch's mean gradient, then takes the epoch's loss for the history and the stopping
/// rules: with full_loss, the loss and gradient on the full data (exact, one more pass over
/// X); otherwise the mean of the batch losses seen during the epoch (free, as scikit-learn
/// does; the gradient norm is then not known and gtol is not checked). The rules:
///   - a non-finite full loss, or a loss that rose for `divergence_patience` epochs in a row
///     and is above the starting loss                                  -> diverged
///   - ||full gradient|| <= gtol                                       -> converged
///   - the loss improved by less than tol for n_iter_no_change epochs  -> converged
///   - the epochs ran out: max_iter if a tol was set, completed otherwise

#include <cmath>
#include <string>
#include <vector>

#include "../batches.hpp"
#include "full_batch.hpp"

namespace descend {

struct MinibatchParams {
  Index batch_size = 32;        ///< in [1, n]
  Index epochs = 10;            ///< >= 1
  bool shuffle = true;
  std::uint64_t seed = 0;
  bool drop_last = false;
  double tol = -1.0;            ///< < 0: no tolerance (run every epoch)
  Index n_iter_no_change = 5;   ///< >= 1
  double gtol = 0.0;            ///< >= 0
  Index divergence_patience = 5;
  bool full_loss = true;         ///< the epoch loss on the full data, or the running batch mean
  bool keep_state = false;       ///< continue the rule's state (partial_fit) instead of resetting

  void check(Index n) const {
    if (batch_size < 1 || batch_size > n)
      throw std::invalid_argument("batch_size must be in [1, n_samples]");
    if (epochs < 1) throw std::invalid_argument("epochs must be >= 1");
    if (n_iter_no_change < 1) throw std::invalid_argument("n_iter_no_change must be >= 1");
    if (!(gtol >= 0.0)) throw std::invalid_argument("gtol must be >= 0");
  }
};

template <class Obj, class Rule>
Result run_minibatch(const Obj& f, VecX x, Rule& rule, const ScheduleFn& schedule,
                     const MinibatchParams& p, const Callback& callback,
                     const Projection& projection = {}) {
  const Index n = f.n_samples();
  if (n < 1)
    throw std::invalid_argument(f.name() + " is not a sum over samples: batch_size needs a data "
                                "objective such as LeastSquares or Logistic");
  if (x.size() != f.n_params()) throw std::invalid_argument("x0 has the wrong length");
  p.check(n);
  rule.check(x.size());
  if (!p.keep_state) rule.reset(x.size());
  projection.check(x.size());
  projection.apply(x);
  const ProximalStep prox{projection, f.l1(), f.l1_size()};  // L1 penalty, then the set
  Result r;
  Stopwatch clock;
  VecX g(x.size()), gb(x.size());
  std::vector<Index> order;
  if (!p.shuffle) {
    order.resize(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) order[i] = i;
  }

  double fx = f.value_and_gradient(x, g);
  double gnorm = g.norm();
  ++r.nfev;
  ++r.njev;
  r.history.record(fx, gnorm, std::numeric_limits<double>::quiet_NaN(), clock.seconds());
  const double start = fx;
  r.x_best = x;
  r.fun_best = fx;
  double best = fx;
  Index stalled = 0, rises = 0, steps = 0, epoch = 0;
  r.status = Status::Completed;
  if (!std::isfinite(fx)) {
    r.status = Status::Diverged;
    r.message = "the loss at x0 is not finite";
  }
  while (r.status == Status::Completed && epoch < p.epochs) {
    // One epoch: the batches in this epoch's order, each a step of the rule.
    const double factor = checked_factor(schedule, epoch);
    if (p.shuffle) permutation(n, p.seed, static_cast<std::uint64_t>(epoch), order);
    double step = 0.0, running = 0.0;
    Index seen = 0;
    // Rows are visited in random order, which defeats the hardware prefetcher: ask for the
    // rows two batches ahead (at least 16 rows) while this batch computes.
    const Index ahead = std::max<Index>(16, 2 * p.batch_size);
    for (Index begin = 0; begin < n; begin += p.batch_size) {
      const Index m = std::min(p.batch_size, n - begin);
      if (p.drop_last && m < p.batch_size) break;
      const Index next = begin + ahead;
      if (next < n) f.prefetch_rows(order.data() + next, std::min(p.batch_size, n - next));
      running += double(m) * f.batch_value_and_gradient(x, order.data() + begin, m, gb);
      seen += m;
      step = rule.apply(x, gb, factor);
      prox.apply(x, step);
      ++steps;
    }
    ++epoch;
    // The epoch's loss (and gradient norm), for the history and the stopping rules.
    const double previous = fx;
    if (p.full_loss) {
      fx = f.value_and_gradient(x, g);
      gnorm = g.norm();
      ++r.nfev;
      ++r.njev;
    } else {
      fx = running / double(seen);
      gnorm = std::numeric_limits<double>::quiet_NaN();
    }
    r.history.record(fx, gnorm, step, clock.seconds());
    if (!std::isfinite(fx) || (p.full_loss && !std::isfinite(gnorm))) {
      r.status = Status::Diverged;
      r.message = "the loss became non-finite in epoch " + std::to_string(epoch) + ": " +
                  lr_hint(rule.lr.first());
      break;
    }
    if (fx < r.fun_best) {
      r.fun_best = fx;
      r.x_best = x;
    }
    rises = fx > previous ? rises + 1 : 0;
    if (rises >= p.divergence_patience && fx > start) {
      r.status = Status::Diverged;
      r.message = "the loss rose in each of the last " + std::to_string(rises) +
                  " epochs and is above its starting value: " + lr_hint(rule.lr.first());
      break;
    }
    if (p.full_loss && gnorm <= p.gtol) {
      r.status = Status::Converged;
      r.message = "full gradient norm <= gtol after epoch " + std::to_string(epoch);
      break;
    }
    if (p.tol >= 0.0) {
      stalled = (fx > best - p.tol) ? stalled + 1 : 0;
      best = std::min(best, fx);
      if (stalled >= p.n_iter_no_change) {
        r.status = Status::Converged;
        r.message = "the loss improved by less than tol in " + std::to_string(stalled) +
                    " consecutive epochs";
        break;
      }
    }
    if (callback && callback(IterationInfo{epoch, x, fx, gnorm, step})) {
      r.status = Status::Callback;
      r.message = "stopped by the callback after epoch " + std::to_string(epoch);
      break;
    }
  }
  if (r.status == Status::Completed) {
    if (p.tol >= 0.0) {
      r.status = Status::MaxIter;
      r.message = "reached epochs=" + std::to_string(p.epochs) +
                  " before the loss stopped improving by tol";
    } else {
      r.message = "ran all " + std::to_string(p.epochs) + " epochs (" + std::to_string(steps) +
                  " steps)";
    }
  }
  finish(r, std::move(x), fx, gnorm, epoch);
  return r;
}

}  // namespace descend
