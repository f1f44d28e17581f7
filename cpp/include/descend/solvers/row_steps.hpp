#pragma once
/// Plain SGD steps (the rule GradientStep) on a linear model, one call per batch: per row one
/// margin dot, one loss slope and one axpy, no gradient vector, no allocation and one virtual
/// call (EmpiricalObjective::row_step, inlined over the data format and the loss), for
/// row-major dense rows and for CSR rows.
///
/// One dense step is w <- ST(a w - lr g_data, tau), a = 1 - lr (l2 + wd), tau = lr l1. The
/// weights are held as v = w / C, C_t = prod a, as scikit-learn's WeightVector does: the
/// decay then costs one scalar product, and
///   v <- ST(v - (lr / C') g_data, tau / C'),   C' = a C,
/// touches only what the rows store (every weight for dense rows; the row's entries for CSR,
/// where the L1 threshold would need the per-column catch-up of lazy_steps.hpp: CSR with L1
/// goes there). The intercept takes the rule's own update (times intercept_share). The
/// iterates are the dense update's up to rounding.
///
/// The running epoch loss of a step adds the penalties before it, as scikit-learn's SGD sums
/// them: on dense rows at the step's point (the norms of w = C v, read before the margin); on
/// CSR rows, as scikit-learn's WeightVector tracks them there, the norms of the weights the
/// previous step wrote (the stored columns of its rows, after it; an O(n_params) pass per
/// step otherwise), times the decays since, and at the first step the norms of all of x0.
/// flush() (each epoch's end; and when C falls below 1e-200, at most once per few
/// thousand steps) writes the weights back as themselves.

#include <cmath>

#include "../empirical.hpp"
#include "../projections.hpp"
#include "../rules.hpp"

namespace descend {

class RowSteps {
 public:
  /// Whether plain SGD on f (an empirical risk, or null) with this rule and projection can
  /// step row by row.
  static bool applies(const EmpiricalObjective* f, const GradientStep& rule,
                      const Projection& projection) {
    if (!f || !f->has_row_steps() || projection.active() || !rule.lr.scalar()) return false;
    const PenaltyLayout layout = f->l1_layout();
    if (layout.blocks != 1 || layout.length < 1 || layout.stride > layout.length + 1)
      return false;
    return f->l1() == 0.0 || f->row_steps_dense();
  }

  RowSteps(const EmpiricalObjective& f, GradientStep& rule, double intercept_share = 1.0)
      : f_(f),
        rule_(rule),
        d_(f.l1_layout().length),
        dense_(f.row_steps_dense()),
        l1_(f.l1()),
        l2_(f.l2()),
        intercept_share_(intercept_share) {}

  /// Whether an epoch whose learning rate is `factor` times the rule's keeps C > 0
  /// (a = 1 - lr (l2 + wd) > 0 at the largest rate; the loop runs the epoch densely
  /// otherwise).
  bool usable(double factor) const {
    return 1.0 - factor * rule_.lr.first() * (l2_ + rule_.weight_decay) > 0.0;
  }

  /// Whether the loss a step returns includes the penalties (with `running` losses asked
  /// for, see the header): always, on dense and CSR rows.
  bool penalties_per_step() const { return true; }

  /// The loss of rows[0..m) at x (flushed), penalties included, x unchanged: the start of a
  /// run with running epoch losses. It also starts the CSR rows' penalty norms at x's.
  double loss(VecRef x, const Index* rows, Index m) {
    RowStep s;
    s.update = false;
    const auto weights = x.head(d_);
    squares_ = l2_ != 0.0 ? weights.squaredNorm() : 0.0;
    absolutes_ = l1_ != 0.0 ? weights.template lpNorm<1>() : 0.0;
    return f_.row_step(x.data(), rows, m, s) + 0.5 * l2_ * squares_ + l1_ * absolutes_;
  }

  /// One step on rows[0..m): returns the batch's loss before the step (with the penalties
  /// when penalties_per_step() and `running`) and sets `step` to the learning rate used.
  /// `later` (a RowStep's ahead, starts and warm) names the rows of later steps to ask for.
  double step(VecRef x, const Index* rows, Index m, double factor, double& step, bool running,
              const RowStep& later = {}) {
    const double rate = factor * rule_.lr.first() * rule_.decay_next();
    ++rule_.t;
    const double wd = rule_.weight_decay;
    const double next = scale_ * (1.0 - rate * (l2_ + wd));
    RowStep s;
    s.scale = scale_;
    s.step = rate / next;
    s.threshold = rate * l1_ / next;
    s.rate = rate;
    s.decay = wd;
    s.intercept_share = intercept_share_;
    s.penalty = running && (l2_ != 0.0 || l1_ != 0.0);
    s.after = next;
    if (s.penalty && !dense_ && squares_ < 0.0) {  // no start: the norms of x now
      const auto weights = x.head(d_);
      squares_ = scale_ * scale_ * weights.squaredNorm();
      absolutes_ = std::abs(scale_) * weights.template lpNorm<1>();
    }
    s.ahead = later.ahead;
    s.m_ahead = later.m_ahead;
    s.starts = later.starts;
    s.m_starts = later.m_starts;
    s.warm = later.warm;
    s.m_warm = later.m_warm;
    double loss = f_.row_step(x.data(), rows, m, s);
    if (s.penalty && dense_) {
      loss += 0.5 * l2_ * s.squares + l1_ * s.absolutes;
    } else if (s.penalty) {
      loss += 0.5 * l2_ * squares_ + l1_ * absolutes_;
      const double a = next / scale_;  // this step's decay
      if (s.moved) {
        squares_ = s.squares;
        absolutes_ = s.absolutes;
      } else {  // no weight written: the previous norms, decayed (scikit-learn's)
        squares_ *= a * a;
        absolutes_ *= std::abs(a);
      }
    }
    scale_ = next;
    if (scale_ < 1e-200) flush(x);
    step = rate;
    return loss;
  }

  /// Writes the weights back as themselves (at each epoch's end, before x is read).
  void flush(VecRef x) {
    if (scale_ != 1.0) x.head(d_) *= scale_;
    scale_ = 1.0;
  }

  /// The penalties' value at x (flushed).
  double penalty_value(const CVecRef& x) const {
    const auto weights = x.head(d_);
    return (l2_ != 0.0 ? 0.5 * l2_ * weights.squaredNorm() : 0.0) +
           (l1_ != 0.0 ? l1_ * weights.template lpNorm<1>() : 0.0);
  }

 private:
  const EmpiricalObjective& f_;
  GradientStep& rule_;
  Index d_;
  bool dense_;
  double l1_, l2_;
  double intercept_share_;
  double scale_ = 1.0;  ///< C
  /// CSR rows: the penalty norms the next step's loss adds (< 0: not started).
  double squares_ = -1.0, absolutes_ = 0.0;
};

}  // namespace descend
