#pragma once
/// The mini-batch loop: each epoch walks the samples in batches (in the order of
/// permutation(n, seed, epoch) when shuffling, in index order otherwise), steps the rule on
/// each batch's mean gradient, then takes the epoch's loss for the history and the stop
/// monitor (stopping.hpp, with t counting epochs): with full_loss, the loss and gradient on
/// the full data (exact, one more pass over X); otherwise the mean of the batch losses seen
/// during the epoch (free, as scikit-learn does; the gradient is then not known, and such a
/// run never claims convergence). The loss rule here counts the improvement on the best
/// epoch loss, over n_iter_no_change epochs. A run that used all its epochs ends "completed"
/// when no tolerance was asked, "max_iter" when one was: neither is a success, since neither
/// certifies a minimum.
///
/// The start (history entry 0, the monitor's R_0, the first candidate for x_best): with
/// full_loss, the loss and gradient on all the data at x0. With running losses there is no
/// pass over all the rows (for a network it would cost a third of an epoch): the start's loss
/// is the mean loss of the first batch at x0, penalties included, measured as the running
/// epoch losses are (an estimate from batch_size rows). The first step reuses that batch's
/// gradient (lazy sparse steps evaluate it again), so the run takes exactly the steps it took
/// with a full start; nfev stays 0. A non-finite start ends the run "diverged" at x0.
///
/// Plain SGD on a linear model (row-major dense or CSR rows, no constraint; on CSR no L1)
/// steps row by row (row_steps.hpp: one margin, one slope and one axpy per row, the weights
/// held scaled; the dense iterates up to rounding). On sparse rows with sgd (with L1),
/// adagrad, momentum or nesterov, the steps are lazy (lazy_steps.hpp: O(non-zeros) per step,
/// the dense iterates up to rounding). The running epoch loss of the row steps adds the
/// penalties at each step as scikit-learn's SGD does (row_steps.hpp: on CSR rows the norms of
/// the weights the previous step wrote); that of the lazy steps adds them at the epoch's
/// final point.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "../batches.hpp"
#include "../cpu_features.hpp"
#include "../empirical.hpp"
#include "../huge_pages.hpp"
#include "full_batch.hpp"
#include "lazy_steps.hpp"
#include "minibatch_params.hpp"
#include "row_steps.hpp"

namespace descend {

template <class Obj, class Rule>
Result run_minibatch(const Obj& f, VecX x, Rule& rule, const ScheduleFn& schedule,
                     const MinibatchParams& p, const Callback& callback,
                     const Projection& projection = {},
                     const InterruptPoller::Check& interrupt = {}) {
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
  const ProximalStep prox(projection, f);  // L1 penalty, then the set
  const bool proximal = f.l1() > 0.0 || projection.active();
  Result r;
  RunState run(r, p.criteria(), lr_hint(rule.lr.first()), callback, interrupt, "epoch");
  run.monitor.diagnose = [&] {
    if (!p.full_loss) return std::string();
    if (!f.smooth()) return first_order_stall_cause(false, 0.0, 0.0, 0.0, 0.0);
    return std::string("with a constant learning rate, mini-batch steps settle where the "
                       "batch-gradient noise balances the descent: a decaying schedule, larger "
                       "batches or a full-batch method get closer to the minimum");
  };
  VecX g(x.size()), gb(x.size()), work(x.size());
  std::vector<Index> order;
  if (!p.shuffle) {
    order.resize(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) order[i] = i;
  }

  // A data objective spreads the next batches' prefetches over each batch's work.
  const EmpiricalObjective* empirical = nullptr;
  if constexpr (std::is_polymorphic_v<Obj>) empirical = dynamic_cast<const EmpiricalObjective*>(&f);

  // Plain SGD on a linear model: steps row by row (row_steps.hpp). Otherwise sparse rows
  // and a rule with an exact lazy form: steps that cost O(non-zeros).
  std::optional<RowSteps> by_rows;
  if constexpr (std::is_same_v<Rule, GradientStep>)
    if (RowSteps::applies(empirical, rule, projection))
      by_rows.emplace(*empirical, rule, p.intercept_share);
  std::optional<LazySteps<Rule>> lazy;
  if (!by_rows && LazySteps<Rule>::applies(f, rule, projection, p.lazy_adam))
    lazy.emplace(f, rule, p.intercept_share);
  // The intercepts' share of each step (MinibatchParams::intercept_share) on the other
  // paths: one intercept after each block's penalised weights, moved back towards its old
  // value after the rule's step.
  const PenaltyLayout layout = f.l1_layout();
  const bool share_intercepts = p.intercept_share != 1.0 && layout.blocks >= 1 &&
                                layout.stride == layout.length + 1 &&
                                layout.blocks * layout.stride == x.size();
  VecX intercepts_before(share_intercepts ? layout.blocks : 0);

  // The start (see the header): with full epoch losses the loss and first-order measure on
  // all the data; otherwise the first batch's loss at x0, its gradient kept in gb for the
  // first step (the later epochs' gradients are not known either).
  if (p.shuffle) permutation(n, p.seed, 0, order);
  double fx, gnorm = std::numeric_limits<double>::quiet_NaN();
  bool first_batch_ready = false;  // gb holds the first batch's gradient at x0
  double first_batch_loss = 0.0;
  const ScaledMeasure scaled(f, !proximal && p.full_loss);
  if (p.full_loss) {
    fx = f.value_and_gradient(x, g);
    gnorm = first_order_measure(x, g, rule, prox, proximal, work);
    run.monitor.set_scaled(scaled_first_order(scaled, g, work, rule));
    ++r.nfev;
    ++r.njev;
  } else if (by_rows) {
    // The row steps evaluate the first batch again: its loss alone now.
    fx = by_rows->loss(x, order.data(), p.batch_size);
  } else {
    // p.check(n) made batch_size <= n: the first batch is a full one, even with drop_last.
    fx = first_batch_loss = f.batch_value_and_gradient(x, order.data(), p.batch_size, gb);
    first_batch_ready = true;
  }
  r.x_best = copy_on_huge_pages(x);  // later epochs copy into the same storage
  r.fun_best = fx;
  Index steps = 0, epoch = 0;
  double step = 0.0;
  bool done = run.begin(fx, gnorm, decay_penalty(rule, x));
  while (!done) {
    run.poll();
    // One epoch: the batches in this epoch's order, each a step of the rule.
    const double factor = checked_factor(schedule, epoch);
    if (p.shuffle && epoch > 0)  // epoch 0's order was drawn for the start
      permutation(n, p.seed, static_cast<std::uint64_t>(epoch), order);
    double running = 0.0;
    Index seen = 0;
    // Ask for the rows two batches ahead (at least 16 rows) while this batch computes, and
    // for the positions of those after them (CSR row pointers) before that: rows visited in
    // random order defeat the hardware prefetcher. A data objective spreads those requests
    // over the batch's arithmetic (batch_value_and_gradient_ahead); measured, that also beats
    // leaving rows in index order to the hardware alone.
    const Index ahead = std::max<Index>(16, 2 * p.batch_size);
    const bool lazy_epoch = lazy && lazy->usable(factor);
    const bool row_epoch = by_rows && by_rows->usable(factor);
    // The rows whose weights a row step asks for (sparse rows), halfway to those prefetched,
    // when the weights are more than 4 times a core's L2 cache: below that most are found in
    // the caches, and the requests only queue behind the rows' own. Measured, log-loss epochs
    // on text-like rows (40 stored entries), 2 MiB of L2, weights of 2**k columns without /
    // with the requests: k = 12: 38 / 46 ms, 18: 49 / 56, 19: 50 / 58, 20: 63 / 63,
    // 21: 86 / 71, 22: 104 / 78.
    static const double l2_bytes = double(l2_cache_bytes());
    const bool warm_weights = double(x.size()) * double(sizeof(double)) > 4.0 * l2_bytes;
    const Index warm_ahead = ahead / 2;
    for (Index begin = 0; begin < n; begin += p.batch_size) {
      const Index m = std::min(p.batch_size, n - begin);
      if (p.drop_last && m < p.batch_size) break;
      const Index next = begin + ahead, after = begin + 2 * ahead;
      const Index m_next = next < n ? std::min(p.batch_size, n - next) : 0;
      const Index m_after = after < n ? std::min(p.batch_size, n - after) : 0;
      const Index* rows = order.data() + begin;
      if (!row_epoch && m_after > 0) f.prefetch_row_starts(order.data() + after, m_after);
      if (row_epoch) {
        // The step itself asks for the later rows (one call into the objective per step).
        RowStep later;
        later.ahead = order.data() + next;
        later.m_ahead = m_next;
        later.starts = order.data() + after;
        later.m_starts = m_after;
        const Index warm = begin + warm_ahead;
        later.warm = order.data() + warm;
        later.m_warm = warm_weights && warm < n ? std::min(p.batch_size, n - warm) : 0;
        running += double(m) * by_rows->step(x, rows, m, factor, step, !p.full_loss, later);
      } else if (lazy_epoch) {
        if (m_next > 0) f.prefetch_rows(order.data() + next, m_next);
        running += double(m) * lazy->step(x, rows, m, factor, step);
      } else {
        double loss;
        if (first_batch_ready) {
          if (m_next > 0) f.prefetch_rows(order.data() + next, m_next);
          loss = first_batch_loss;
        } else if (empirical && m_next > 0) {
          loss = empirical->batch_value_and_gradient_ahead(x, rows, m, gb, order.data() + next,
                                                           m_next);
        } else {
          if (m_next > 0) f.prefetch_rows(order.data() + next, m_next);
          loss = f.batch_value_and_gradient(x, rows, m, gb);
        }
        running += double(m) * loss;
        if (share_intercepts)
          for (Index k = 0; k < layout.blocks; ++k)
            intercepts_before[k] = x[k * layout.stride + layout.length];
        step = rule.apply(x, gb, factor);
        prox.apply(x, step);
        if (share_intercepts)
          for (Index k = 0; k < layout.blocks; ++k) {
            double& b = x[k * layout.stride + layout.length];
            b = intercepts_before[k] + p.intercept_share * (b - intercepts_before[k]);
          }
      }
      first_batch_ready = false;
      seen += m;
      ++steps;
      run.poll_cheap();
    }
    ++epoch;
    // Lazy steps leave the weights no batch touched behind: bring them up to date, and add
    // the penalties (which the lazy batch losses leave out) at the epoch's final point.
    double running_penalty = 0.0;
    if (lazy_epoch) {
      lazy->flush(x);
      if (!p.full_loss) running_penalty = lazy->penalty_value(x);
    }
    if (row_epoch) {
      by_rows->flush(x);
      if (!p.full_loss && !by_rows->penalties_per_step())
        running_penalty = by_rows->penalty_value(x);
    }
    // The epoch's loss (and first-order measure), for the history and the stop monitor.
    if (p.full_loss) {
      fx = f.value_and_gradient(x, g);
      gnorm = first_order_measure(x, g, rule, prox, proximal, work);
      run.monitor.set_scaled(scaled_first_order(scaled, g, work, rule));
      ++r.nfev;
      ++r.njev;
    } else {
      fx = running / double(seen) + running_penalty;
      gnorm = std::numeric_limits<double>::quiet_NaN();
    }
    // With running losses the start's loss is one batch's: never held against the epochs
    // (a lucky first batch would keep x_best at x0), so the first epoch replaces it.
    const bool start_estimated = !p.full_loss && epoch == 1;
    if (std::isfinite(fx) && (fx < r.fun_best || start_estimated)) {
      r.fun_best = fx;
      r.x_best = x;
    }
    done = run.next(epoch, x, fx, gnorm, step, kNaN, decay_penalty(rule, x));
  }
  if (r.status == Status::MaxIter && !p.has_tol()) {
    r.status = Status::Completed;
    r.message = "ran all " + std::to_string(p.epochs) + " epochs (" + std::to_string(steps) +
                " steps) without a certified minimum: " + run.monitor.gradient_words(gnorm);
  }
  certify_minimum(f, x, r,
                  rule.weight_decay == 0.0 && p.full_loss &&
                      (!proximal || unconstrained_critical(g, f.l1(), run.monitor.threshold())));
  finish(r, std::move(x), fx, gnorm, epoch);
  return r;
}

}  // namespace descend
