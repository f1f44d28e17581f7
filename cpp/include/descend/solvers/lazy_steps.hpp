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
/// Several outputs (softmax: K blocks of stride p, the weights of output c at c p + j, its
/// intercept at c p + d) take the same forms weight by weight: a row storing column j moves
/// the K weights c p + j, and the running scalars and the column's number are shared by the
/// K (they depend on the step, not the weight). The objective's layout is elementwise for
/// every model (PenaltyLayout: K blocks of elementwise L1/L2), so nothing in it lacks a lazy
/// form; a layout that is not K blocks of d weights (and at most one intercept each) takes
/// the dense update.
///
/// Everything else (adam, rmsprop, per-coordinate rates, constraints, the cases above with a
/// penalty they cannot carry) takes the dense O(n_params) update: there is no exact lazy
/// form. Adam's lazy variant (MinibatchParams::lazy_adam, minimize's "lazy_adam", as
/// torch.optim.SparseAdam) is a different algorithm, run only when asked for: each step
/// moves the moments and weights of the stored columns alone (their gradient plus
/// (l2 + weight_decay) w there) and the intercepts, with the bias corrections of the run's
/// step count t; the other columns' moments neither decay nor move their weights. The intercepts are in every batch, are held as themselves and take the rule's own
/// update (times intercept_share: the share of its move they keep).
///
/// A step copies the batch's entries once (columns, values), brings their columns up to
/// date, computes the margins, asks the objective for the loss slopes and updates the columns
/// from a compact gradient (a single row of distinct columns: slope * x, read in place). The
/// entries are copied a few rows ahead of their step, and their columns' weights asked for
/// then (the rows come in random order, so these loads are the step's stalls otherwise). Per stored entry it reads the weight and, only where the rule
/// needs one, one number of the column's (D_s for L1, M_s for momentum); batches whose columns
/// may repeat also keep a slot per column. flush() (at each epoch's end, and when C or M falls
/// below 1e-200, at most once per few thousand steps) writes back every weight as itself and
/// restarts the scalars: an O(n_params) pass, sequential.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../objective.hpp"
#include "../projections.hpp"
#include "../rules.hpp"

namespace descend {

/// The parameters the lazy steps have updated in this process (the catch-ups and the steps'
/// own updates; not the epochs' flushes, which are O(n_params) by design): a test hook, to
/// show that a step's work does not grow with n_params. Added once per epoch.
inline std::atomic<std::uint64_t>& lazy_parameters_moved() {
  static std::atomic<std::uint64_t> moved{0};
  return moved;
}

template <class Rule>
class LazySteps {
  static constexpr bool kScaled = std::is_same_v<Rule, GradientStep>;  ///< x holds w / C
  static constexpr bool kMomentum =
      std::is_same_v<Rule, Momentum> || std::is_same_v<Rule, Nesterov>;

 public:
  /// Whether this rule has an exact lazy form on f with this projection; for Adam, whether
  /// its lazy variant was asked for (lazy_adam), which throws std::invalid_argument where it
  /// cannot run (no sparse rows, a constraint, per-coordinate rates, L1, AdamW).
  static bool applies(const Objective& f, const Rule& rule, const Projection& projection,
                      bool lazy_adam = false) {
    if constexpr (std::is_same_v<Rule, Adam>) {
      if (lazy_adam) check_lazy_adam(f, rule, projection);
      return lazy_adam;
    } else if (lazy_adam) {
      throw std::invalid_argument("lazy_adam is a variant of Adam: the rule here is another");
    }
    if (!f.has_sparse_batches() || projection.active() || !rule.lr.scalar()) return false;
    const PenaltyLayout layout = f.l1_layout();
    if (layout.blocks < 1 || layout.length < 1 || layout.stride < layout.length ||
        layout.stride > layout.length + 1 || layout.blocks * layout.stride != f.n_params())
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

  LazySteps(const Objective& f, Rule& rule, double intercept_share = 1.0)
      : f_(f),
        rule_(rule),
        d_(f.l1_layout().length),
        outputs_(f.l1_layout().blocks),
        stride_(f.l1_layout().stride),
        intercept_(f.l1_layout().stride > d_),
        l1_(f.l1()),
        l2_(f.l2()),
        intercept_share_(intercept_share) {
    // One number per column, where the rule's closed form needs one.
    if (kMomentum) at_.assign(std::size_t(d_), 1.0);           // 1 / M_s
    else if (l1_ > 0.0) at_.assign(std::size_t(d_), 0.0);      // D_s
  }

  /// Refuses Adam's lazy variant where it cannot run, saying why.
  static void check_lazy_adam(const Objective& f, const Rule& rule, const Projection& projection) {
    const auto refuse = [](const std::string& why) {
      throw std::invalid_argument("lazy_adam " + why);
    };
    const PenaltyLayout layout = f.l1_layout();
    if (!f.has_sparse_batches())
      refuse("needs sparse rows (LeastSquares, Logistic or Softmax on scipy.sparse data); " +
             f.name() + " here has none: use adam");
    if (layout.blocks < 1 || layout.length < 1 || layout.stride < layout.length ||
        layout.stride > layout.length + 1 || layout.blocks * layout.stride != f.n_params())
      refuse("needs a linear model's parameters (weights, then at most one intercept, per "
             "output)");
    if (projection.active()) refuse("cannot take a constraint: use adam");
    if (!rule.lr.scalar()) refuse("needs a scalar lr");
    if (f.l1() > 0.0) refuse("has no L1 penalty (l1 > 0): use adam, or sgd or adagrad");
    if constexpr (std::is_same_v<Rule, Adam>)
      if (rule.decoupled) refuse("has no decoupled weight decay (adamw)");
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
  ///
  /// The mini-batch loop walks an epoch's order (an array of n_samples rows) in consecutive
  /// slices, and flush() ends each epoch: while the calls follow that pattern, the step reads
  /// the entries of the batches after this one ahead (never past the n-th row) and asks for
  /// their columns' weights, whose loads would otherwise stall the next steps (the weights
  /// are read where the columns are, at random). A call that does not follow it gets no
  /// look-ahead until the next flush; the iterates are the same either way.
  double step(VecRef x, const Index* rows, Index m, double factor, double& step) {
    return outputs_ == 1 ? step_outputs<true>(x, rows, m, factor, step)
                         : step_outputs<false>(x, rows, m, factor, step);
  }

  /// Writes every weight back as itself, up to date, and restarts the running scalars (at
  /// each epoch's end, before x is read); the next step starts a new epoch's order.
  void flush(VecRef x) {
    restart(x);
    lazy_parameters_moved().fetch_add(moved_, std::memory_order_relaxed);
    moved_ = 0;
    position_ = fetched_ = 0;
    ahead_ = true;
    clear_fetched();
  }

  /// The penalties' value at x (flushed).
  double penalty_value(const CVecRef& x) const {
    double squares = 0.0, absolutes = 0.0;
    for (Index c = 0; c < outputs_; ++c) {
      const auto weights = x.segment(c * stride_, d_);
      squares += weights.squaredNorm();
      absolutes += weights.template lpNorm<1>();
    }
    return 0.5 * l2_ * squares + l1_ * absolutes;
  }

 private:
  /// Rows whose entries are read ahead of their step (at least, in whole batches).
  static constexpr Index kAheadRows = 8;

  /// step() with the number of outputs known at compile time when it is one (One: the
  /// loops over the outputs vanish; the weights of column j are at c stride + j otherwise).
  template <bool One>
  double step_outputs(VecRef x, const Index* rows, Index m, double factor, double& step) {
    if constexpr (!std::is_same_v<Rule, GradientStep>)
      if (state_size() != x.size()) rule_.reset(x.size());
    const Index K = One ? 1 : outputs_;
    double* w = x.data();
    const Fetched batch = take(rows, m, w);
    const Index entries = batch.entries;
    const Index* cols = columns_.data() + batch.first;
    const double* vals = values_.data() + batch.first;
    const Index* ends = ends_.data() + batch.ends;  // entry ends, counted from batch.first
    const bool distinct = batch.distinct;
    // The batch's columns: each brought up to date, and, when columns may repeat, given one
    // slot of the compact gradient. The running scalars are read into locals first: writes
    // into x could otherwise alias them and force a reload per entry.
    const double scale = scale_, sum = sum_;
    const Index* touched = cols;  // the distinct columns
    Index count = entries;
    if (distinct) {
      if (needs_catch_up())
        for (Index e = 0; e < entries; ++e) catch_up<One>(w, cols[e], scale, sum);
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
          catch_up<One>(w, cols[e], scale, sum);
        }
        entry_slot_[std::size_t(e)] = slot.index;
      }
      touched = distinct_.data();
      count = Index(distinct_.size());
    }
    // The margins (w = C v under sgd; K per row, row by row), the objective's slopes, then
    // the compact gradient (K per distinct column).
    margins_.resize(std::size_t(m * K));
    slopes_.resize(std::size_t(m * K));
    if constexpr (One) {
      const double b = intercept_ ? w[d_] : 0.0;
      for (Index k = 0, e = 0; k < m; ++k) {
        const Index end = ends[k] - batch.first;
        double dot = 0.0;
        for (; e < end; ++e) dot += vals[e] * w[cols[e]];
        margins_[std::size_t(k)] = b + (kScaled ? scale * dot : dot);
      }
    } else {
      const Index S = stride_;
      for (Index k = 0, e = 0; k < m; ++k) {
        const Index end = ends[k] - batch.first;
        double* z = margins_.data() + k * K;
        for (Index c = 0; c < K; ++c) z[c] = 0.0;
        for (; e < end; ++e) {
          const double v = vals[e];
          const double* wj = w + cols[e];
          for (Index c = 0; c < K; ++c) z[c] += v * wj[c * S];
        }
        for (Index c = 0; c < K; ++c)
          z[c] = (intercept_ ? w[c * S + d_] : 0.0) + (kScaled ? scale * z[c] : z[c]);
      }
    }
    const double loss = f_.batch_slopes(margins_.data(), rows, m, slopes_.data());
    intercept_gradient_.assign(std::size_t(K), 0.0);
    double* ig = intercept_gradient_.data();
    if (distinct && m == 1) {
      // One row of distinct columns: its gradient is slope * x, read in place.
      const double* slope = slopes_.data();
      for (Index c = 0; c < K; ++c) ig[c] = slope[c];
      step = advance<One>(w, factor, ig, touched, count,
                          [vals, slope](Index u, Index c) { return slope[c] * vals[u]; });
    } else {
      gradient_.assign(std::size_t(count * K), 0.0);
      for (Index k = 0, e = 0; k < m; ++k) {
        const Index end = ends[k] - batch.first;
        const double* slope = slopes_.data() + k * K;
        for (Index c = 0; c < K; ++c) ig[c] += slope[c];
        for (; e < end; ++e) {
          double* gu = gradient_.data() +
                       (distinct ? std::size_t(e) : std::size_t(entry_slot_[std::size_t(e)])) *
                           std::size_t(K);
          for (Index c = 0; c < K; ++c) gu[c] += slope[c] * vals[e];
        }
      }
      const double* g = gradient_.data();
      step = advance<One>(w, factor, ig, touched, count,
                          [g, K](Index u, Index c) { return g[u * K + c]; });
    }
    // The catch-ups and the updates of this step (the test hook lazy_parameters_moved()).
    moved_ += std::uint64_t((needs_catch_up() ? 2 : 1) * count * K + (intercept_ ? K : 0));
    if (scale_ < 1e-200) restart(x);
    return loss;
  }

  /// A batch whose entries are in columns_ and values_: `entries` of them from `first`,
  /// its rows' entry ends (in the same numbering) in ends_ from `ends`.
  struct Fetched {
    Index rows, first, entries;
    std::size_t ends;
    bool distinct;
  };

  /// The entries of this step's batch rows[0..m), read ahead at an earlier step when the
  /// calls follow the epoch's order (see step()); and the batches after it read now, their
  /// columns' weights asked for.
  Fetched take(const Index* rows, Index m, const double* w) {
    // The entries of the batches stepped before are done with: drop them, now and then when
    // batches are read ahead (amortised).
    if (head_ == queue_.size())
      clear_fetched();
    else if (queue_[head_].first > 4096 && 2 * std::size_t(queue_[head_].first) > columns_.size())
      compact();
    const Index n = f_.n_samples();
    if (position_ == 0) epoch_rows_ = rows;
    const bool in_order = ahead_ && rows == epoch_rows_ + position_ && position_ + m <= n;
    if (!in_order) ahead_ = false;
    if (head_ == queue_.size() || queue_[head_].rows != m || !in_order) {
      clear_fetched();  // a batch of another size (or out of order): read it now
      fetch(rows, m);
      fetched_ = position_ + m;
    }
    if (in_order) {
      while (fetched_ < n && fetched_ < position_ + m + kAheadRows) {
        const Index count = std::min(m, n - fetched_);
        const std::size_t from = columns_.size();
        fetch(epoch_rows_ + fetched_, count);
        fetched_ += count;
        prefetch_weights(from, w);
      }
    }
    position_ += m;
    return queue_[head_++];  // its entries stay where they are until the next take()
  }

  /// Reads the entries of rows[0..m) after those already fetched.
  void fetch(const Index* rows, Index m) {
    Fetched batch;
    batch.rows = m;
    batch.first = Index(columns_.size());
    batch.ends = ends_.size();
    batch.distinct = f_.batch_entries(rows, m, columns_, values_, ends_);
    batch.entries = Index(columns_.size()) - batch.first;
    queue_.push_back(batch);
  }

  /// Asks for the weights (and the per-column numbers) of the entries fetched from `from`.
  void prefetch_weights(std::size_t from, const double* w) const {
    for (std::size_t e = from; e < columns_.size(); ++e) {
      const Index j = columns_[e];
      if (!at_.empty()) prefetch_range(at_.data() + j, 1);
      for (Index c = 0, i = j; c < outputs_; ++c, i += stride_) {
        prefetch_range(w + i, 1);
        if constexpr (std::is_same_v<Rule, AdaGrad>) prefetch_range(rule_.sum.data() + i, 1);
        if constexpr (std::is_same_v<Rule, Momentum>) prefetch_range(rule_.dw.data() + i, 1);
        if constexpr (std::is_same_v<Rule, Adam>) {
          prefetch_range(rule_.m.data() + i, 1);
          prefetch_range(rule_.v.data() + i, 1);
        }
        if constexpr (std::is_same_v<Rule, Nesterov>) prefetch_range(rule_.buf.data() + i, 1);
      }
    }
  }

  void clear_fetched() {
    columns_.clear();
    values_.clear();
    ends_.clear();
    queue_.clear();
    head_ = 0;
  }

  /// Moves the batches not yet stepped to the front of the buffers.
  void compact() {
    const Index shift = queue_[head_].first;
    const std::size_t ends_shift = queue_[head_].ends;
    columns_.erase(columns_.begin(), columns_.begin() + shift);
    values_.erase(values_.begin(), values_.begin() + shift);
    ends_.erase(ends_.begin(), ends_.begin() + std::ptrdiff_t(ends_shift));
    for (Index& end : ends_) end -= shift;
    queue_.erase(queue_.begin(), queue_.begin() + std::ptrdiff_t(head_));
    head_ = 0;
    for (Fetched& batch : queue_) {
      batch.first -= shift;
      batch.ends -= ends_shift;
    }
  }

  /// Whether a stored column may owe missed steps (sgd under L2 alone owes none: the scale
  /// carries them).
  bool needs_catch_up() const { return kMomentum || l1_ > 0.0; }

  /// Writes every weight back as itself and restarts the running scalars (flush(), and in
  /// the middle of an epoch when C or M gets small).
  void restart(VecRef x) {
    double* w = x.data();
    for (Index j = 0; j < d_; ++j) {
      catch_up<false>(w, j, scale_, sum_);
      if (kScaled)
        for (Index c = 0; c < outputs_; ++c) w[c * stride_ + j] *= scale_;
    }
    scale_ = inverse_ = 1.0;
    sum_ = 0.0;
    std::fill(at_.begin(), at_.end(), kMomentum ? 1.0 : 0.0);
  }

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
    if constexpr (std::is_same_v<Rule, Adam>) return rule_.m.size();
    return 0;
  }

  static double shrink(double v, double by) {  // sign(v) max(|v| - by, 0)
    const double magnitude = std::abs(v) - by;
    return magnitude > 0.0 ? std::copysign(magnitude, v) : 0.0;
  }

  /// Applies the steps column j missed since it was last up to date (scale, sum: the
  /// running scalars at present), to each of its outputs' weights (One: a single output).
  template <bool One>
  void catch_up(double* x, Index j, double scale, double sum) {
    const Index K = One ? 1 : outputs_;
    if constexpr (kMomentum) {
      double& inverse = at_[std::size_t(j)];
      if (inverse == inverse_) return;  // up to date
      const double r = scale * inverse;  // mu^k
      const double mu = rule_.mu;
      const double share = mu * (1.0 - r) / (1.0 - mu);
      for (Index c = 0; c < K; ++c) {
        const Index i = One ? j : c * stride_ + j;
        double& v = velocity(i);
        const double moved = v * share;
        if constexpr (std::is_same_v<Rule, Momentum>)
          x[i] += moved;
        else
          x[i] -= lr_ * mu * moved;
        v *= r;
      }
      inverse = inverse_;
    } else {
      // |v| falls by D - D_s and stops at 0 (without L1 nothing is owed: the scale is C's).
      if (l1_ > 0.0) {
        double& seen = at_[std::size_t(j)];
        const double by = sum - seen;
        for (Index c = 0; c < K; ++c) {
          const Index i = One ? j : c * stride_ + j;
          x[i] = shrink(x[i], by);
        }
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

  /// The step itself on the distinct columns columns[0..count) (g(u, c): column u's gradient
  /// for output c) and the intercepts (ig: their gradients), then the running scalars one
  /// step on. Returns the rate.
  template <bool One, class Gradient>
  double advance(double* x, double factor, const double* ig, const Index* columns, Index count,
                 Gradient g) {
    const Index K = One ? 1 : outputs_;
    const Index S = One ? 0 : stride_;
    const double lr = factor * rule_.lr.first();
    const double l1 = l1_, l2 = l2_;
    double rate = lr;
    if constexpr (std::is_same_v<Rule, GradientStep>) {
      // w <- ST(a w - lr g, tau), with w = C v and C' = a C: v <- ST(v - lr g / C', tau / C').
      rate = lr * rule_.decay_next();  // the rule's own decay (lr_decay, lr_power), per step
      ++rule_.t;
      const double wd = rule_.weight_decay, tau = rate * l1;
      const double next = scale_ * (1.0 - rate * (l2 + wd));
      const double step_v = rate / next, threshold = tau / next;
      for (Index u = 0; u < count; ++u) {
        double* xj = x + columns[u];
        for (Index c = 0; c < K; ++c) {
          const double moved = xj[c * S] - step_v * g(u, c);
          xj[c * S] = l1 > 0.0 ? shrink(moved, threshold) : moved;
        }
      }
      if (intercept_)
        for (Index c = 0; c < K; ++c) {
          double& b = x[c * S + d_];
          b -= intercept_share_ * rate * (ig[c] + wd * b);
        }
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
      for (Index u = 0; u < count; ++u)
        for (Index c = 0; c < K; ++c) update(c * S + columns[u], g(u, c), true);
      if (intercept_)
        for (Index c = 0; c < K; ++c) {
          const Index i = c * S + d_;
          const double before = x[i];
          update(i, ig[c], false);
          x[i] = before + intercept_share_ * (x[i] - before);
        }
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
      for (Index u = 0; u < count; ++u)
        for (Index c = 0; c < K; ++c) update(c * S + columns[u], g(u, c));
      if (intercept_)
        for (Index c = 0; c < K; ++c) {
          const Index i = c * S + d_;
          const double before = x[i];
          update(i, ig[c]);
          x[i] = before + intercept_share_ * (x[i] - before);
        }
      if constexpr (std::is_same_v<Rule, Nesterov>) rule_.started = true;
      lr_ = lr;
      scale_ *= mu;
      inverse_ = 1.0 / scale_;
      // The touched columns are up to date as of the next step.
      for (Index u = 0; u < count; ++u) at_[std::size_t(columns[u])] = inverse_;
    }
    if constexpr (std::is_same_v<Rule, Adam>) {
      // The lazy variant (a different algorithm, see the header): the stored columns and the
      // intercepts alone, with the bias corrections of the run's step count.
      ++rule_.t;
      const double b1 = rule_.beta1, b2 = rule_.beta2, eps = rule_.eps;
      const double k1 = 1.0 / (1.0 - std::pow(b1, double(rule_.t)));
      const double k2 = 1.0 / std::sqrt(1.0 - std::pow(b2, double(rule_.t)));
      const double wd = rule_.weight_decay, decay = l2 + wd;
      double* mo = rule_.m.data();
      double* ve = rule_.v.data();
      const auto update = [&](Index i, double gi) {
        mo[i] = b1 * mo[i] + (1.0 - b1) * gi;
        ve[i] = b2 * ve[i] + (1.0 - b2) * gi * gi;
        x[i] -= lr * ((mo[i] * k1) / (std::sqrt(ve[i]) * k2 + eps));
      };
      for (Index u = 0; u < count; ++u)
        for (Index c = 0; c < K; ++c) {
          const Index i = c * S + columns[u];
          update(i, g(u, c) + decay * x[i]);
        }
      if (intercept_)
        for (Index c = 0; c < K; ++c) {
          const Index i = c * S + d_;
          const double before = x[i];
          update(i, ig[c] + wd * x[i]);
          x[i] = before + intercept_share_ * (x[i] - before);
        }
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
  Index outputs_, stride_;  ///< K blocks of stride parameters: d weights, then an intercept
  bool intercept_;
  double l1_, l2_;
  double intercept_share_;
  std::vector<double> at_;  ///< per column: D_s (sgd, adagrad with L1), 1 / M_s (momentum)
  double scale_ = 1.0;      ///< C (sgd), M (momentum, nesterov), 1 (adagrad)
  double inverse_ = 1.0;    ///< 1 / M (momentum, nesterov)
  double sum_ = 0.0;        ///< D (sgd, adagrad)
  double lr_ = 0.0;         ///< nesterov: this epoch's rate (flushed before it changes)
  std::vector<Slot> slots_;  ///< per column, only for batches whose columns may repeat
  std::uint32_t now_ = 0;
  // The batches read ahead (this step's first): their entries and rows' entry ends, in
  // fetch order; queue_[head_] is the next to step. An epoch's position (rows stepped) and
  // the rows fetched so far, in the order that starts at epoch_rows_.
  std::vector<Index> columns_, ends_;
  std::vector<double> values_;
  std::vector<Fetched> queue_;
  std::size_t head_ = 0;
  const Index* epoch_rows_ = nullptr;
  Index position_ = 0, fetched_ = 0;
  bool ahead_ = true;
  // The current batch: each entry's slot, its distinct columns (when they may repeat), the
  // margins, slopes and compact gradient, reused from step to step (a step allocates nothing).
  std::vector<Index> distinct_;
  std::vector<double> margins_, slopes_, gradient_, intercept_gradient_;
  std::uint64_t moved_ = 0;  ///< parameters updated since the last flush (the test hook)
  std::vector<std::uint32_t> entry_slot_;
};

}  // namespace descend
