#pragma once
/// Small pieces shared by the empirical risks over a data matrix (glm.hpp, softmax.hpp).

#include <cmath>
#include <stdexcept>
#include <vector>

#include "types.hpp"

namespace descend {

/// Checks the arguments every empirical risk shares and returns S, the sum of the sample
/// weights (n when there are none).
template <typename T>
double check_data_and_weigh(Index n, Index d, const T* sample_weight, double l2) {
  if (n < 1 || d < 1) throw std::invalid_argument("X must have at least one row and one column");
  if (!(l2 >= 0.0) || !std::isfinite(l2)) throw std::invalid_argument("l2 must be >= 0");
  if (!sample_weight) return static_cast<double>(n);
  double total = 0.0;
  for (Index i = 0; i < n; ++i) total += static_cast<double>(sample_weight[i]);
  if (!(total > 0.0)) throw std::invalid_argument("sample_weight must sum to > 0");
  return total;
}

/// Checks a batch's row indices against n and returns the batch's total sample weight.
template <typename T>
double batch_weight(const Index* rows, Index m, Index n, const T* sample_weight) {
  if (m < 1) throw std::invalid_argument("a batch needs at least one row");
  double total = 0.0;
  for (Index k = 0; k < m; ++k) {
    const Index r = rows[k];
    if (r < 0 || r >= n) throw std::out_of_range("batch row index out of range");
    total += sample_weight ? static_cast<double>(sample_weight[r]) : 1.0;
  }
  return total;
}

/// The sum of per-thread partial results (at least one).
template <class V>
V sum_parts(const std::vector<V>& parts) {
  V total = parts.front();
  for (std::size_t c = 1; c < parts.size(); ++c) total += parts[c];
  return total;
}

}  // namespace descend
