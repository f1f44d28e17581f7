#pragma once
// The factories of the empirical risks, one translation unit per data format
// (risks_dense.cpp, risks_csr.cpp): each instantiates EmpiricalRisk for its format, both
// scalar types and every model, so the compiler inlines each unit's kernels within its own
// budget, and the two units build in parallel. bind_objectives.cpp checks the arrays and
// calls these with raw pointers; nothing here knows about Python.

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>

#include <descend/empirical.hpp>
#include <descend/models/linear.hpp>
#include <descend/models/softmax.hpp>

namespace descend::bindings {

/// Squared and Logistic have their own loss policies (the fast paths); Margin is every other
/// loss of scikit-learn's SGD estimators, one instantiation for all (MarginLoss, its kind
/// chosen at run time).
enum class ModelKind { Squared, Logistic, Softmax, Margin };

/// What every data objective is built with besides X: the model, its targets (float or
/// double in X's type, int64 labels for softmax), the weights (X's type, or null) and the
/// penalties.
struct RiskSpec {
  ModelKind model;
  bool fit_intercept;
  Index n_classes;  ///< softmax only
  const void* y;
  const void* sample_weight;
  double l2, l1;
  int n_threads;
  MarginKind margin = MarginKind::Hinge;  ///< Margin only
  double epsilon = 0.0;                   ///< Margin only: huber's, epsilon-insensitive's
  /// The clip of each loss slope (losses.hpp); infinite: the exact derivative. Not softmax.
  double max_slope = std::numeric_limits<double>::infinity();
};

/// A dense X (n x d) of float (float32) or double, row-major or column-major.
std::unique_ptr<EmpiricalObjective> make_dense_risk(const RiskSpec& spec, const void* X, Index n,
                                                    Index d, bool float32, bool row_major);

/// A CSR X (n x d): values of float or double, indices and indptr of int32 or int64.
std::unique_ptr<EmpiricalObjective> make_csr_risk(const RiskSpec& spec, const void* values,
                                                  const void* indices, const void* indptr,
                                                  Index n, Index d, bool float32, bool int64);

/// The empirical risk of the spec's model over `rows` (a data policy).
template <class Data>
std::unique_ptr<EmpiricalObjective> make_risk(const RiskSpec& spec, Data rows) {
  using T = typename Data::Scalar;
  const auto* sw = static_cast<const T*>(spec.sample_weight);
  const auto build = [&](auto model, const auto* y) {
    return std::unique_ptr<EmpiricalObjective>(new EmpiricalRisk<Data, decltype(model)>(
        rows, model, y, sw, spec.l2, spec.l1, spec.n_threads));
  };
  const auto* y = static_cast<const T*>(spec.y);
  switch (spec.model) {
    case ModelKind::Squared:
      return build(LinearModel<T, SquaredLoss>(rows.cols(), spec.fit_intercept,
                                               SquaredLoss{spec.max_slope}),
                   y);
    case ModelKind::Logistic:
      return build(
          LinearModel<T, LogLoss>(rows.cols(), spec.fit_intercept, LogLoss{spec.max_slope}), y);
    case ModelKind::Margin:
      return build(LinearModel<T, MarginLoss>(
                       rows.cols(), spec.fit_intercept,
                       MarginLoss(spec.margin, spec.epsilon, spec.max_slope)),
                   y);
    case ModelKind::Softmax:
      return build(SoftmaxModel<T>(rows.cols(), spec.fit_intercept, spec.n_classes),
                   static_cast<const std::int64_t*>(spec.y));
  }
  throw std::invalid_argument("unknown model");
}

}  // namespace descend::bindings
