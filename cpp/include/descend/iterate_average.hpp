#pragma once
/// Averaged stochastic gradient descent (Polyak-Ruppert), as scikit-learn's `average`:
/// the reported parameters are the mean of the iterates after each step from step `start`
/// on, w_avg = (1 / (T - start + 1)) sum_{t = start}^{T} w_t (w_t: the iterate after step
/// t, t counted from 1 over every step of every epoch), while the steps themselves follow
/// the plain iterates.
///
/// It needs no change to the mini-batch loop: IterateAverage is an empirical risk that
/// forwards every call to another and, on each batch call (the start of step t, made at
/// w_{t-1}), adds w_{t-1} to the running mean when t - 1 >= start. The iterate after the
/// last step is never seen by a batch call: average(x) folds the final x in. The state
/// (steps, count, mean) carries over from run to run (partial_fit), where the next run's
/// first batch call sees that final x again and counts it then, once.
///
/// It says it has no sparse batches, so the loop takes no lazy step (the lazy sparse steps
/// never show the iterate); it forwards the row steps of plain SGD on a linear model, adding
/// each step's iterate to the mean: averaged runs on sparse X update the mean of all the
/// parameters at each step (O(n_params)).

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "empirical.hpp"

namespace descend {

class IterateAverage final : public EmpiricalObjective {
 public:
  /// f: the risk to forward to (kept alive); start >= 1, the first step averaged.
  IterateAverage(std::shared_ptr<EmpiricalObjective> f, Index start)
      : f_(std::move(f)), start_(start), mean_(VecX::Zero(f_ ? f_->n_params() : 0)) {
    if (!f_) throw std::invalid_argument("IterateAverage needs an objective");
    if (start < 1) throw std::invalid_argument("start must be >= 1");
  }

  /// Continue from an earlier run: `steps` taken so far, `count` iterates in `mean`.
  void set_state(Index steps, Index count, const CVecRef& mean) {
    if (steps < 0 || count < 0 || count > steps)
      throw std::invalid_argument("need 0 <= count <= steps");
    if (mean.size() != n_params())
      throw std::invalid_argument("mean must have length " + std::to_string(n_params()));
    steps_ = steps;
    count_ = count;
    mean_ = mean;
  }

  Index start() const { return start_; }
  Index steps() const { return steps_; }
  Index count() const { return count_; }
  const VecX& mean() const { return mean_; }

  /// The averaged parameters once the run ended at x (the iterate after step steps()): the
  /// mean with x folded in when steps() >= start, else x itself (nothing averaged yet).
  VecX average(const CVecRef& x) const {
    if (x.size() != n_params())
      throw std::invalid_argument("x must have length " + std::to_string(n_params()));
    if (steps_ < start_) return x;
    return mean_ + (x - mean_) / double(count_ + 1);
  }

  double batch_value_and_gradient(const CVecRef& w, const Index* rows, Index m,
                                  VecRef g) const override {
    ++steps_;                  // this call begins step steps_, at w = w_{steps_ - 1}
    if (steps_ - 1 >= start_) {  // w_{steps_ - 1} is averaged: running mean, no sum to overflow
      ++count_;
      mean_ += (w - mean_) / double(count_);
    }
    return f_->batch_value_and_gradient(w, rows, m, g);
  }
  bool has_sparse_batches() const override { return false; }

  /// The row steps of the wrapped risk (solvers/row_steps.hpp), each begun as a batch call
  /// is: w_{t-1} (the weights held scaled, w = s.scale v, the intercept as itself) added to
  /// the mean when t - 1 >= start. A call for the loss alone (s.update false) is no step.
  bool has_row_steps() const override { return f_->has_row_steps(); }
  bool row_steps_dense() const override { return f_->row_steps_dense(); }
  double row_step(double* x, const Index* rows, Index m, RowStep& s) const override {
    if (s.update) {
      ++steps_;
      if (steps_ - 1 >= start_) {
        ++count_;
        const Index p = n_params(), d = std::min(f_->l1_layout().length, p);
        const Eigen::Map<const VecX> w(x, p);
        mean_.head(d) += (s.scale * w.head(d) - mean_.head(d)) / double(count_);
        mean_.tail(p - d) += (w.tail(p - d) - mean_.tail(p - d)) / double(count_);
      }
    }
    return f_->row_step(x, rows, m, s);
  }

  // Everything else is the wrapped risk's.
  Index n_params() const override { return f_->n_params(); }
  Index n_samples() const override { return f_->n_samples(); }
  double value(const CVecRef& w) const override { return f_->value(w); }
  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    return f_->value_and_gradient(w, g);
  }
  void gradient(const CVecRef& w, VecRef g) const override { f_->gradient(w, g); }
  bool has_hessian() const override { return f_->has_hessian(); }
  bool smooth() const override { return f_->smooth(); }
  bool convex() const override { return f_->convex(); }
  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override { f_->hessian(w, H); }
  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    f_->hvp(w, v, out);
  }
  double l1() const override { return f_->l1(); }
  PenaltyLayout l1_layout() const override { return f_->l1_layout(); }
  double l2() const override { return f_->l2(); }
  bool parameter_scales(VecX& scales) const override { return f_->parameter_scales(scales); }
  void set_batch_mean_weight(double mean) override { f_->set_batch_mean_weight(mean); }
  void prefetch_rows(const Index* rows, Index m) const override { f_->prefetch_rows(rows, m); }
  void prefetch_row_starts(const Index* rows, Index m) const override {
    f_->prefetch_row_starts(rows, m);
  }
  std::string name() const override { return f_->name(); }
  double weight_sum(Index begin, Index end) const override { return f_->weight_sum(begin, end); }
  double loss_sum(const CVecRef& w, Index begin, Index end, VecRef* g) const override {
    return f_->loss_sum(w, begin, end, g);
  }
  void hessian_sum(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const override {
    f_->hessian_sum(w, begin, end, H);
  }
  void hvp_sum(const CVecRef& w, const CVecRef& v, Index begin, Index end,
               VecRef out) const override {
    f_->hvp_sum(w, v, begin, end, out);
  }

 private:
  std::shared_ptr<EmpiricalObjective> f_;
  Index start_;
  // Updated by the (const) batch calls of the one loop that runs on this objective.
  mutable Index steps_ = 0, count_ = 0;
  mutable VecX mean_;
};

}  // namespace descend
