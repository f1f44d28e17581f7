// The network objectives over dense X (see risks_mlp.hpp).

#include "risks_mlp.hpp"

#include <descend/data/dense.hpp>

namespace descend::bindings {

namespace {
template <class Data>
std::unique_ptr<EmpiricalObjective> build(const MlpSpec& spec, Data rows) {
  using T = typename Data::Scalar;
  std::vector<Index> sizes{rows.cols()};
  sizes.insert(sizes.end(), spec.hidden.begin(), spec.hidden.end());
  sizes.push_back(spec.n_outputs);
  MlpModel<T> model(sizes, spec.activation, spec.loss, rows.rows(), spec.labels,
                    static_cast<const T*>(spec.targets), spec.n_threads);
  const std::int64_t* ids = model.row_ids();  // shared by the model's copies
  return std::unique_ptr<EmpiricalObjective>(new EmpiricalRisk<Data, MlpModel<T>>(
      rows, model, ids, static_cast<const T*>(spec.sample_weight), spec.l2, 0.0,
      spec.n_threads));
}

template <typename T>
std::unique_ptr<EmpiricalObjective> dense(const MlpSpec& spec, const void* X, Index n, Index d,
                                          bool row_major) {
  const auto* data = static_cast<const T*>(X);
  if (row_major) return build(spec, DenseRows<T, Eigen::RowMajor>(data, n, d));
  return build(spec, DenseRows<T, Eigen::ColMajor>(data, n, d));
}
}  // namespace

std::unique_ptr<EmpiricalObjective> make_mlp_risk(const MlpSpec& spec, const void* X, Index n,
                                                  Index d, bool float32, bool row_major) {
  return float32 ? dense<float>(spec, X, n, d, row_major)
                 : dense<double>(spec, X, n, d, row_major);
}

}  // namespace descend::bindings
