#pragma once
/// Lazy mini-batch steps on sparse rows: each step costs O(the batch's non-zeros), not
/// O(n_params), and gives the same iterates as the dense update (up to rounding).
///
/// A weight j that no row of the batch stores gets a data gradient of zero, so the dense
/// step moves it by a rule that does not depend on the data. Where that movement has a closed
/// form over any number of steps, the weight is left alone until a batch stores it again (or
/// the epoch ends), and then brought up to date at once. Two running scalars carry the closed
/// form; each column keeps the values they had when it was last brought up to date.
///
///   sgd (l2, l1, weight_decay): one step is w <- ST(a w, tau), a = 1 - lr (l2 + wd),
///     tau = lr l1, ST the soft threshold. The weights are held as v = w / C, C_t = prod a
///     (scikit-learn's WeightVector does this for L2): decay is then free, and with
///     D_t = sum tau_i / C_{i+1} an untouched |v| falls by D_t - D_s from step s to t and
///     stops at 0 (exact for 0 < a <= 1).
///   adagrad (l1, no l2 or weight_decay): an untouched weight's accumulator and value do not
///     change, and the L1 threshold adds up: |w| falls by D_t - D_s (D = sum tau).
///   momentum, nesterov (no l2, l1 or weight_decay): the velocity decays by mu per step, so
///     over k steps it falls to r v (r = mu^k = M_t / M_s, M_t = prod mu) and the weight moves
///     by v mu (1 - r) / (1 - mu) (nesterov: times -lr mu, lr constant within an epoch). The
///     ratio is taken of the running product, never a difference of running sums (which would
///     lose every digit once M is small).
///
/// Everything else (adam, rmsprop, per-coordinate rates, constraints, several outputs, the
/// cases above with a penalty they cannot carry) takes the dense O(n_params) update: there
/// is no exact lazy form. The intercept is in every batch, is held as itself and takes the
/// rule's own update.
///
/// A step copies the batch's entries once (columns, values), brings their columns up to
/// date, computes the margins, asks the objective for the loss slopes and updates the columns
/// from a compact gradient. Per stored entry it reads the weight and, only where the rule
/// needs one, one number of the column's (D_s for L1, M_s for momentum); batches whose columns
/// may repeat also keep a slot per column. flush() (at each epoch's end, and when C or M falls
/// below 1e-200, at most once per few thousand steps) writes back every weight as itself and
/// restarts the scalars: an O(n_params) pass, sequential.

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
  static constexpr bool kScaled = std::is_same_v<Rule, GradientStep>;  ///< x holds w / C
  static constexpr bool kMomentum =
      std::is_same_v<Rule, Momentum> || std::is_same_v<Rule, Nesterov>;

 public:
  /// Whether this rule has an exact lazy form on f with this projection.
  static bool applies(const Objective& f, const Rule& rule, const Projection& projection) {
    if (!f.has_sparse_batches() || projection.active() || !rule.lr.scalar()) return false;
    const PenaltyLayout layout = f.l1_layout();
    if (layout.blocks != 1 || layout.length < 1 || layout.stride > layout.length + 1)
      return false;
    if constexpr (std::is_same_v<Rule, GradientStep>) {
      return true;
    } else if constexpr (std::is_same_v<Rule, AdaGrad>) {
      return f.l2() == 0.0 && rule.weight_decay == 0.0;
    } else if constexpr (kMomentum) {
      return f.l2() == 0.0 && f.l1() == 0.0 && rule.weight_decay == 0.0 && rule.mu > 0.0;
    } else {
      return false;
    }
  }

  LazySteps(const Objective& f, Rule& rule)
      : f_(f),
        rule_(rule),
        d_(f.l1_layout().length),
        intercept_(f.l1_layout().stride > d_),
        l1_(f.l1()),
        l2_(f.l2()) {
    // One number per column, where the rule's closed form needs one.
    if (kMomentum) at_.assign(std::size_t(d_), 1.0);           // 1 / M_s
    else if (l1_ > 0.0) at_.assign(std::size_t(d_), 0.0);      // D_s
  }

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
    columns_.clear();
    values_.clear();
    ends_.clear();
    const bool distinct = f_.batch_entries(rows, m, columns_, values_, ends_);
    const Index entries = Index(columns_.size());
    const Index* cols = columns_.data();
    const double* vals = values_.data();
    double* w = x.data();
    // The batch's columns: each brought up to date, and, when columns may repeat, given one
    // slot of the compact gradient. The running scalars are read into locals first: writes
    // into x could otherwise alias them and force a reload per entry.
    const double scale = scale_, sum = sum_;
    if (distinct) {
      for (Index e = 0; e < entries; ++e) catch_up(w, cols[e], scale, sum);
      distinct_.assign(cols, cols + entries);
    } else {
      if (slots_.empty()) slots_.resize(std::size_t(d_));
      const std::uint32_t now = next_stamp();
      distinct_.clear();
      entry_slot_.resize(std::size_t(entries));
      for (Index e = 0; e < entries; ++e) {
        Slot& slot = slots_[std::size_t(cols[e])];
        if (slot.listed != now) {
          slot.listed = now;
          slot.index = std::uint32_t(distinct_.size());
          distinct_.push_back(cols[e]);
          catch_up(w, cols[e], scale, sum);
        }
        entry_slot_[std::size_t(e)] = slot.index;
      }
    }
    // The margins (w = C v under sgd), the objective's slopes, then the compact gradient.
    const double b = intercept_ ? w[d_] : 0.0;
    margins_.resize(std::size_t(m));
    slopes_.resize(std::size_t(m));
    for (Index k = 0, e = 0; k < m; ++k) {
      double dot = 0.0;
      for (; e < ends_[std::size_t(k)]; ++e) dot += vals[e] * w[cols[e]];
      margins_[std::size_t(k)] = b + (kScaled ? scale * dot : dot);
    }
    const double loss = f_.batch_slopes(margins_.data(), rows, m, slopes_.data());
    gradient_.assign(distinct_.size(), 0.0);
    double intercept_gradient = 0.0;
    for (Index k = 0, e = 0; k < m; ++k) {
      const double slope = slopes_[std::size_t(k)];
      intercept_gradient += slope;
      for (; e < ends_[std::size_t(k)]; ++e)
        gradient_[distinct ? std::size_t(e) : entry_slot_[std::size_t(e)]] += slope * vals[e];
    }
    step = advance(w, factor, intercept_gradient);
    if (scale_ < 1e-200) flush(x);
    return loss;
  }

  /// Writes every weight back as itself, up to date, and restarts the running scalars (at
  /// each epoch's end, before x is read).
  void flush(VecRef x) {
    double* w = x.data();
    for (Index j = 0; j < d_; ++j) {
      catch_up(w, j, scale_, sum_);
      if (kScaled) w[j] *= scale_;
    }
    scale_ = inverse_ = 1.0;
    sum_ = 0.0;
    std::fill(at_.begin(), at_.end(), kMomentum ? 1.0 : 0.0);
  }

  /// The penalties' value at x (flushed).
  double penalty_value(const CVecRef& x) const {
    const auto weights = x.head(d_);
    return 0.5 * l2_ * weights.squaredNorm() + l1_ * weights.template lpNorm<1>();
  }

 private:
  /// Marks a column as listed in the current batch (batches whose columns may repeat).
  struct Slot {
    std::uint32_t listed = 0, index = 0;
  };

  std::uint32_t next_stamp() {
    if (++now_ == 0) {  // wrapped after 2^32 steps: forget the old stamps
      for (Slot& slot : slots_) slot.listed = 0;
      now_ = 1;
    }
    return now_;
  }

  Index state_size() const {
    if constexpr (std::is_same_v<Rule, Momentum>) return rule_.dw.size();
    if constexpr (std::is_same_v<Rule, Nesterov>) return rule_.buf.size();
    if constexpr (std::is_same_v<Rule, AdaGrad>) return rule_.sum.size();
    return 0;
  }

  static double shrink(double v, double by) {  // sign(v) max(|v| - by, 0)
    const double magnitude = std::abs(v) - by;
    return magnitude > 0.0 ? std::copysign(magnitude, v) : 0.0;
  }

  /// Applies the steps column j missed since it was last up to date (scale, sum: the
  /// running scalars at present).
  void catch_up(double* x, Index j, double scale, double sum) {
    if constexpr (kMomentum) {
      double& inverse = at_[std::size_t(j)];
      if (inverse == inverse_) return;  // up to date
      const double r = scale * inverse;  // mu^k
      const double mu = rule_.mu;
      double& v = velocity(j);
      const double moved = v * (mu * (1.0 - r) / (1.0 - mu));
      if constexpr (std::is_same_v<Rule, Momentum>)
        x[j] += moved;
      else
        x[j] -= lr_ * mu * moved;
      v *= r;
      inverse = inverse_;
    } else {
      // |v| falls by D - D_s and stops at 0 (without L1 nothing is owed: the scale is C's).
      if (l1_ > 0.0) {
        double& seen = at_[std::size_t(j)];
        x[j] = shrink(x[j], sum - seen);
        seen = sum;
      }
    }
  }

  double& velocity(Index i) {
    if constexpr (std::is_same_v<Rule, Momentum>)
      return rule_.dw(i);
    else
      return rule_.buf(i);
  }

  /// The step itself on the distinct columns (gradient_ by slot) and the intercept, then the
  /// running scalars one step on. Returns the rate.
  double advance(double* x, double factor, double intercept_gradient) {
    const double lr = factor * rule_.lr.first();
    const double l1 = l1_, l2 = l2_;
    const Index count = Index(distinct_.size());
    const Index* columns = distinct_.data();
    const double* g = gradient_.data();
    double rate = lr;
    if constexpr (std::is_same_v<Rule, GradientStep>) {
      // w <- ST(a w - lr g, tau), with w = C v and C' = a C: v <- ST(v - lr g / C', tau / C').
      rate = lr * rule_.decay_next();  // the rule's own lr_decay, step by step
      ++rule_.t;
      const double wd = rule_.weight_decay, tau = rate * l1;
      const double next = scale_ * (1.0 - rate * (l2 + wd));
      const double step_v = rate / next, threshold = tau / next;
      for (Index u = 0; u < count; ++u) {
        const double moved = x[columns[u]] - step_v * g[u];
        x[columns[u]] = l1 > 0.0 ? shrink(moved, threshold) : moved;
      }
      if (intercept_) x[d_] -= rate * (intercept_gradient + wd * x[d_]);
      scale_ = next;
      sum_ += threshold;
    } else if constexpr (std::is_same_v<Rule, AdaGrad>) {
      ++rule_.t;
      const double decay = 1.0 / (1.0 + double(rule_.t - 1) * rule_.lr_decay);
      rate = lr * decay;
      const double tau = rate * l1, eps = rule_.eps;
      double* acc = rule_.sum.data();
      const auto update = [&](Index i, double gi, bool penalised) {
        acc[i] += gi * gi;
        const double moved = x[i] - rate * (gi / (std::sqrt(acc[i]) + eps));
        x[i] = penalised && l1 > 0.0 ? shrink(moved, tau) : moved;
      };
      for (Index u = 0; u < count; ++u) update(columns[u], g[u], true);
      if (intercept_) update(d_, intercept_gradient, false);
      sum_ += tau;
    } else if constexpr (kMomentum) {
      const double mu = rule_.mu;
      const auto update = [&](Index i, double gi) {
        if constexpr (std::is_same_v<Rule, Momentum>) {
          double* dw = rule_.dw.data();
          dw[i] = mu * dw[i] - lr * gi;
          x[i] += dw[i];
        } else {  // as torch: b <- mu b + g (b = g at the first step); w -= lr (g + mu b)
          double* b = rule_.buf.data();
          b[i] = rule_.started ? mu * b[i] + gi : gi;
          x[i] -= lr * (gi + mu * b[i]);
        }
      };
      for (Index u = 0; u < count; ++u) update(columns[u], g[u]);
      if (intercept_) update(d_, intercept_gradient);
      if constexpr (std::is_same_v<Rule, Nesterov>) rule_.started = true;
      lr_ = lr;
      scale_ *= mu;
      inverse_ = 1.0 / scale_;
      // The touched columns are up to date as of the next step.
      for (Index u = 0; u < count; ++u) at_[std::size_t(columns[u])] = inverse_;
    }
    if constexpr (!kMomentum) {
      if (l1 > 0.0)
        for (Index u = 0; u < count; ++u) at_[std::size_t(columns[u])] = sum_;
    }
    return rate;
  }

  const Objective& f_;
  Rule& rule_;
  Index d_;
  bool intercept_;
  double l1_, l2_;
  std::vector<double> at_;  ///< per column: D_s (sgd, adagrad with L1), 1 / M_s (momentum)
  double scale_ = 1.0;      ///< C (sgd), M (momentum, nesterov), 1 (adagrad)
  double inverse_ = 1.0;    ///< 1 / M (momentum, nesterov)
  double sum_ = 0.0;        ///< D (sgd, adagrad)
  double lr_ = 0.0;         ///< nesterov: this epoch's rate (flushed before it changes)
  std::vector<Slot> slots_;  ///< per column, only for batches whose columns may repeat
  std::uint32_t now_ = 0;
  // The current batch: its entries (and each one's slot), its distinct columns, margins,
  // slopes and compact gradient, reused from step to step (a step allocates nothing).
  std::vector<Index> columns_, ends_, distinct_;
  std::vector<double> values_, margins_, slopes_, gradient_;
  std::vector<std::uint32_t> entry_slot_;
};

}  // namespace descend
