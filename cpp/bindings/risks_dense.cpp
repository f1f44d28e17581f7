// The empirical risks over dense X (see risks.hpp).

#include <descend/data/dense.hpp>

#include "risks.hpp"

namespace descend::bindings {

namespace {
template <typename T>
std::unique_ptr<EmpiricalObjective> dense(const RiskSpec& spec, const void* X, Index n, Index d,
                                          bool row_major) {
  const auto* data = static_cast<const T*>(X);
  if (row_major) return make_risk(spec, DenseRows<T, Eigen::RowMajor>(data, n, d));
  return make_risk(spec, DenseRows<T, Eigen::ColMajor>(data, n, d));
}
}  // namespace

std::unique_ptr<EmpiricalObjective> make_dense_risk(const RiskSpec& spec, const void* X, Index n,
                                                    Index d, bool float32, bool row_major) {
  return float32 ? dense<float>(spec, X, n, d, row_major) : dense<double>(spec, X, n, d, row_major);
}

}  // namespace descend::bindings
