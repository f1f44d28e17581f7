#pragma once
/// Lazy mini-batch steps on sparse rows: each step costs O(the batch's non-zeros), not
/// O(n_params), and gives the same iterates as the dense update (up to rounding).
///
/// A weight j that no row of the batch stores gets a data gradient of zero, so the dense
/// step moves it by a rule that does not depend on the data. Where that movement has a closed
/// form over any number of steps, the weight is left alone until a batch stores it again (or
/// the epoch ends), and then brought up to date at once. Two running scalars per rule carry
/// the closed form; each weight keeps the values they had when it was last brought up to date.
///
///   sgd (l2, l1, weight_decay): one step is w <- ST(a w, tau), a = 1 - lr (l2 + wd),
///     tau = lr l1, ST the soft threshold. With C_t = prod a and D_t = sum tau_i / C_{i+1},
///     |w|_t / C_t falls by D_t - D_s from step s to t and stops at 0: exact for 0 < a <= 1.
///   adagrad (l1, no l2 or weight_decay): an untouched weight's accumulator and value do not
///     change, and the L1 threshold adds up: |w| falls by D_t - D_s (D = sum tau).
///   momentum, nesterov (no l2, l1 or weight_decay): the velocity decays by mu per step, so
///     over k steps it falls to r v (r = mu^k = M_t / M_s, M_t = prod mu) and the weight moves
///     by v mu (1 - r) / (1 - mu) (nesterov: times -lr mu, lr constant within an epoch). The
///     ratio is taken of the running product, never a difference of running sums (which would
///     lose every digit once M is small).
///
/// Everything else (adam, rmsprop, per-coordinate rates, constraints, the cases above with a
/// penalty they cannot carry) takes the dense O(n_params) update: there is no exact lazy form.
/// The intercepts are in every batch and take the rule's ordinary update.
///
/// When C or M falls below 1e-200 every weight is brought up to date and the scalars restart
/// at 1 (an O(n_params) pass, at most once per few thousand steps), so nothing underflows.

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../objective.hpp"
#include "../projections.hpp"
#include "../rules.hpp"

namespace descend {

template <class Rule>
class LazySteps {
 public:
  /// Whether this rule has an exact lazy form on f with this projection.
  static bool applies(const Objective& f, const Rule& rule, const Projection& projection) {
    if (!f.has_sparse_batches() || projection.active() || !rule.lr.scalar()) return false;
    const PenaltyLayout layout = f.l1_layout();
    if (layout.blocks < 1 || layout.length < 1) return false;
    if constexpr (std::is_same_v<Rule, GradientStep>) {
      return true;
    } else if constexpr (std::is_same_v<Rule, AdaGrad>) {
      return f.l2() == 0.0 && rule.weight_decay == 0.0;
    } else if constexpr (std::is_same_v<Rule, Momentum> || std::is_same_v<Rule, Nesterov>) {
      return f.l2() == 0.0 && f.l1() == 0.0 && rule.weight_decay == 0.0 && rule.mu > 0.0;
    } else {
      return false;
    }
  }

  LazySteps(const Objective& f, Rule& rule)
      : f_(f),
        rule_(rule),
        layout_(f.l1_layout()),
        d_(layout_.length),
        l1_(f.l1()),
        l2_(f.l2()),
        stamp_(static_cast<std::size_t>(d_), 0),
        c_at_(static_cast<std::size_t>(d_), 1.0),
        d_at_(static_cast<std::size_t>(d_), 0.0),
        gradient_(VecX::Zero(f.n_params())) {}

  /// Whether an epoch whose learning rate is `factor` times the rule's keeps the lazy form
  /// exact (sgd needs a = 1 - lr (l2 + wd) > 0; the loop runs the epoch densely otherwise).
  bool usable(double factor) const {
    if constexpr (std::is_same_v<Rule, GradientStep>)
      return 1.0 - factor * rule_.lr.first() * (l2_ + rule_.weight_decay) > 0.0;
    return true;
  }

  /// One step on rows[0..m): returns the batch's data loss (without the penalties, which
  /// the caller adds at the epoch's end) and sets `step` to the learning rate used.
  double step(VecRef x, const Index* rows, Index m, double factor, double& step) {
    if constexpr (!std::is_same_v<Rule, GradientStep>)
      if (state_size() != x.size()) rule_.reset(x.size());
    // The batch's distinct columns, brought up to date.
    raw_.clear();
    f_.batch_columns(rows, m, raw_);
    columns_.clear();
    ++now_;
    for (const Index j : raw_) {
      if (stamp_[j] == now_) continue;
      stamp_[j] = now_;
      columns_.push_back(j);
      catch_up(x, j);
    }
    const double loss = f_.batch_data_gradient(x, rows, m, gradient_);
    step = advance(x, factor);
    if (scale_ < 1e-200) flush(x, true);
    return loss;
  }

  /// Brings every weight up to date (at an epoch's end, before x is read).
  void flush(VecRef x, bool restart = false) {
    for (Index j = 0; j < d_; ++j) catch_up(x, j);
    if (restart) {
      scale_ = 1.0;
      sum_ = 0.0;
      std::fill(c_at_.begin(), c_at_.end(), 1.0);
      std::fill(d_at_.begin(), d_at_.end(), 0.0);
    }
  }

  /// The penalties' value at x (the weights must be up to date).
  double penalty_value(const CVecRef& x) const {
    double squares = 0.0, absolutes = 0.0;
    layout_.for_each(x, [&](auto segment) {
      if (l2_ != 0.0) squares += segment.squaredNorm();
      if (l1_ != 0.0) absolutes += segment.template lpNorm<1>();
    });
    return 0.5 * l2_ * squares + l1_ * absolutes;
  }

 private:
  Index state_size() const {
    if constexpr (std::is_same_v<Rule, Momentum>) return rule_.dw.size();
    if constexpr (std::is_same_v<Rule, Nesterov>) return rule_.buf.size();
    if constexpr (std::is_same_v<Rule, AdaGrad>) return rule_.sum.size();
    return 0;
  }

  /// The parameter index of column j in output block k, and of block k's intercept.
  Index at(Index k, Index j) const { return k * layout_.stride + j; }
  bool has_intercepts() const { return layout_.stride > d_; }

  static double shrink(double v, double by) {  // sign(v) max(|v| - by, 0)
    const double magnitude = std::abs(v) - by;
    return magnitude > 0.0 ? std::copysign(magnitude, v) : 0.0;
  }

  /// Applies the steps weight j missed since it was last up to date.
  void catch_up(VecRef x, Index j) {
    const double c = c_at_[j], dsum = d_at_[j];
    if (c == scale_ && dsum == sum_) return;
    for (Index k = 0; k < layout_.blocks; ++k) {
      double& w = x(at(k, j));
      if constexpr (std::is_same_v<Rule, GradientStep> || std::is_same_v<Rule, AdaGrad>) {
        // |w| / C falls by D - D_j and stops at 0; without L1 only the scale changes.
        if (l1_ > 0.0)
          w = scale_ * shrink(w / c, sum_ - dsum);
        else
          w *= scale_ / c;
      } else if constexpr (std::is_same_v<Rule, Momentum> || std::is_same_v<Rule, Nesterov>) {
        double& v = velocity(at(k, j));
        const double r = scale_ / c, mu = rule_.mu;
        const double moved = v * (mu * (1.0 - r) / (1.0 - mu));
        if constexpr (std::is_same_v<Rule, Momentum>)
          w += moved;
        else
          w -= lr_ * rule_.mu * moved;
        v *= r;
      }
    }
    c_at_[j] = scale_;
    d_at_[j] = sum_;
  }

  double& velocity(Index i) {
    if constexpr (std::is_same_v<Rule, Momentum>)
      return rule_.dw(i);
    else if constexpr (std::is_same_v<Rule, Nesterov>)
      return rule_.buf(i);
    else
      return gradient_(i);  // not reached: applies() is false for the other rules
  }

  /// The step itself on the batch's columns and the intercepts (whose data gradients are in
  /// gradient_, zeroed again here), then the running scalars one step on. Returns the rate.
  double advance(VecRef x, double factor) {
    const double lr = factor * rule_.lr.first();
    double rate = lr;
    if constexpr (std::is_same_v<Rule, GradientStep>) {
      const double wd = rule_.weight_decay, tau = lr * l1_;
      visit_touched([&](Index i, bool penalised) {
        const double w = x(i), g = gradient_(i) + (penalised ? l2_ * w : 0.0);
        const double moved = w - lr * (g + wd * w);
        x(i) = penalised && l1_ > 0.0 ? shrink(moved, tau) : moved;
      });
      scale_ *= 1.0 - lr * (l2_ + wd);
      sum_ += tau / scale_;
    } else if constexpr (std::is_same_v<Rule, AdaGrad>) {
      ++rule_.t;
      const double decay = 1.0 / (1.0 + double(rule_.t - 1) * rule_.lr_decay);
      rate = lr * decay;
      const double tau = rate * l1_;
      visit_touched([&](Index i, bool penalised) {
        const double g = gradient_(i);
        rule_.sum(i) += g * g;
        const double moved = x(i) - rate * (g / (std::sqrt(rule_.sum(i)) + rule_.eps));
        x(i) = penalised && l1_ > 0.0 ? shrink(moved, tau) : moved;
      });
      sum_ += tau;
    } else if constexpr (std::is_same_v<Rule, Momentum>) {
      const double mu = rule_.mu;
      visit_touched([&](Index i, bool) {
        rule_.dw(i) = mu * rule_.dw(i) - lr * gradient_(i);
        x(i) += rule_.dw(i);
      });
      scale_ *= mu;
    } else if constexpr (std::is_same_v<Rule, Nesterov>) {
      // As torch: b <- mu b + g (b = g at the first step); w <- w - lr (g + mu b).
      const double mu = rule_.mu;
      const bool started = rule_.started;
      lr_ = lr;
      visit_touched([&](Index i, bool) {
        const double g = gradient_(i);
        rule_.buf(i) = started ? mu * rule_.buf(i) + g : g;
        x(i) -= lr * (g + mu * rule_.buf(i));
      });
      rule_.started = true;
      scale_ *= mu;
    }
    // The touched columns are now up to date as of the next step.
    for (const Index j : columns_) {
      c_at_[j] = scale_;
      d_at_[j] = sum_;
    }
    return rate;
  }

  /// Calls f(i, penalised) on the touched parameters (the batch's columns in every output
  /// block, then the intercepts) and clears their gradient entries after.
  template <class F>
  void visit_touched(F&& f) {
    for (Index k = 0; k < layout_.blocks; ++k) {
      for (const Index j : columns_) {
        f(at(k, j), true);
        gradient_(at(k, j)) = 0.0;
      }
      if (has_intercepts()) {
        for (Index i = at(k, d_); i < at(k, layout_.stride); ++i) {
          f(i, false);
          gradient_(i) = 0.0;
        }
      }
    }
  }

  const Objective& f_;
  Rule& rule_;
  PenaltyLayout layout_;
  Index d_;
  double l1_, l2_;
  std::vector<std::uint64_t> stamp_;  ///< the step at which column j was last listed
  std::vector<double> c_at_, d_at_;   ///< the running scalars when column j was up to date
  double scale_ = 1.0;                ///< C (sgd), M (momentum, nesterov), 1 (adagrad)
  double sum_ = 0.0;                  ///< D (sgd, adagrad), 0 (momentum, nesterov)
  double lr_ = 0.0;                   ///< nesterov: this epoch's rate (flushed before it changes)
  std::uint64_t now_ = 0;
  std::vector<Index> raw_, columns_;
  VecX gradient_;
};

}  // namespace descend
