#pragma once
// The bindings' one type-erased data objective (bound as _core.EmpiricalRisk): every handle
// over a data matrix (Glm, Softmax in bind_objectives.cpp, Mlp in bind_mlp.cpp) derives it and
// overrides only what is its own. In a named namespace, not an anonymous one: the handles of
// both translation units must derive the same class for pybind11 to see the base.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <descend/empirical.hpp>

namespace descend::bindings {

/// Forwards every call to a concrete empirical risk chosen at construction (by scalar type,
/// memory order and model): the one place the data objectives' templates are erased.
class DataObjective : public EmpiricalObjective {
 public:
  explicit DataObjective(std::unique_ptr<EmpiricalObjective> impl) : impl_(std::move(impl)) {}

  Index n_params() const override { return impl_->n_params(); }
  Index n_samples() const override { return impl_->n_samples(); }
  double value(const CVecRef& w) const override { return impl_->value(w); }
  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    return impl_->value_and_gradient(w, g);
  }
  void gradient(const CVecRef& w, VecRef g) const override { impl_->gradient(w, g); }
  bool has_hessian() const override { return impl_->has_hessian(); }
  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override { impl_->hessian(w, H); }
  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    impl_->hvp(w, v, out);
  }
  double batch_value_and_gradient(const CVecRef& w, const Index* rows, Index m,
                                  VecRef g) const override {
    return impl_->batch_value_and_gradient(w, rows, m, g);
  }
  double batch_value_and_gradient_ahead(const CVecRef& w, const Index* rows, Index m, VecRef g,
                                        const Index* next, Index m_next) const override {
    return impl_->batch_value_and_gradient_ahead(w, rows, m, g, next, m_next);
  }
  void prefetch_rows(const Index* rows, Index m) const override { impl_->prefetch_rows(rows, m); }
  void prefetch_row_starts(const Index* rows, Index m) const override {
    impl_->prefetch_row_starts(rows, m);
  }
  double l2() const override { return impl_->l2(); }
  bool has_sparse_batches() const override { return impl_->has_sparse_batches(); }
  bool batch_entries(const Index* rows, Index m, std::vector<Index>& columns,
                     std::vector<double>& values, std::vector<Index>& ends) const override {
    return impl_->batch_entries(rows, m, columns, values, ends);
  }
  double batch_slopes(const double* margins, const Index* rows, Index m,
                      double* slopes) const override {
    return impl_->batch_slopes(margins, rows, m, slopes);
  }
  bool has_row_steps() const override { return impl_->has_row_steps(); }
  bool row_steps_dense() const override { return impl_->row_steps_dense(); }
  double row_step(double* x, const Index* rows, Index m, RowStep& s) const override {
    return impl_->row_step(x, rows, m, s);
  }
  double l1() const override { return impl_->l1(); }
  PenaltyLayout l1_layout() const override { return impl_->l1_layout(); }
  std::string name() const override { return impl_->name(); }
  double weight_sum(Index begin, Index end) const override { return impl_->weight_sum(begin, end); }
  void set_batch_mean_weight(double mean) override { impl_->set_batch_mean_weight(mean); }
  bool parameter_scales(VecX& scales) const override { return impl_->parameter_scales(scales); }
  double loss_sum(const CVecRef& w, Index begin, Index end, VecRef* g) const override {
    return impl_->loss_sum(w, begin, end, g);
  }
  void hessian_sum(const CVecRef& w, Index begin, Index end, Eigen::Ref<MatX> H) const override {
    impl_->hessian_sum(w, begin, end, H);
  }
  void hvp_sum(const CVecRef& w, const CVecRef& v, Index begin, Index end,
               VecRef out) const override {
    impl_->hvp_sum(w, v, begin, end, out);
  }

 private:
  std::unique_ptr<EmpiricalObjective> impl_;
};

}  // namespace descend::bindings
