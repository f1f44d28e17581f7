// The empirical risks over CSR X (see risks.hpp).

#include <cstdint>

#include <descend/data/csr.hpp>

#include "risks.hpp"

namespace descend::bindings {

namespace {
template <typename T>
std::unique_ptr<EmpiricalObjective> csr(const RiskSpec& spec, const void* values,
                                        const void* indices, const void* indptr, Index n, Index d,
                                        bool int64) {
  const auto* v = static_cast<const T*>(values);
  if (int64)
    return make_risk(spec,
                     CsrRows<T, std::int64_t>(v, static_cast<const std::int64_t*>(indices),
                                              static_cast<const std::int64_t*>(indptr), n, d));
  return make_risk(spec, CsrRows<T, std::int32_t>(v, static_cast<const std::int32_t*>(indices),
                                                  static_cast<const std::int32_t*>(indptr), n, d));
}
}  // namespace

std::unique_ptr<EmpiricalObjective> make_csr_risk(const RiskSpec& spec, const void* values,
                                                  const void* indices, const void* indptr,
                                                  Index n, Index d, bool float32, bool int64) {
  return float32 ? csr<float>(spec, values, indices, indptr, n, d, int64)
                 : csr<double>(spec, values, indices, indptr, n, d, int64);
}

}  // namespace descend::bindings
