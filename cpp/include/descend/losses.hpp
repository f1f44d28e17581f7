#pragma once
/// Pointwise losses of the generalised linear objectives, as small policies.
///
/// Each loss works on a block of m margins z_i = x_i.w + b, in place:
///   derivative(z, y, s, m, want_value)  replaces z_i by s_i * dloss/dz (z_i, y_i) and returns
///                                       sum_i s_i loss(z_i, y_i) when want_value (0 otherwise)
///   curvature(z, y, s, m)               replaces z_i by s_i * d2loss/dz2 (z_i, y_i)
/// s may be null (all weights 1). Sums are accumulated in double whatever T is.

#include <algorithm>
#include <cmath>

#include "types.hpp"

namespace descend {

/// loss(z, y) = (z - y)^2 / 2 : least squares.
struct SquaredLoss {
  static constexpr bool kCurvatureNeedsMargin = false;
  static constexpr const char* kName = "LeastSquares";

  template <typename T>
  static double derivative(T* z, const T* y, const T* s, Index m, bool want_value) {
    double total = 0.0;
    for (Index i = 0; i < m; ++i) {
      const T r = z[i] - y[i];
      const T sr = s ? s[i] * r : r;
      if (want_value) total += static_cast<double>(sr) * static_cast<double>(r);
      z[i] = sr;
    }
    return 0.5 * total;
  }

  template <typename T>
  static void curvature(T* z, const T* /*y*/, const T* s, Index m) {
    for (Index i = 0; i < m; ++i) z[i] = s ? s[i] : T(1);
  }
};

/// loss(z, y) = log(1 + exp(-y z)) with y in {-1, +1} : logistic regression.
/// Written with e = exp(-|y z|) <= 1, so nothing overflows and no log(0) is taken:
///   loss = max(-y z, 0) + log1p(e),   sigmoid(-y z) = (y z >= 0 ? e : 1) / (1 + e).
struct LogLoss {
  static constexpr bool kCurvatureNeedsMargin = true;
  static constexpr const char* kName = "Logistic";

  template <typename T>
  static double derivative(T* z, const T* y, const T* s, Index m, bool want_value) {
    double total = 0.0;
    for (Index i = 0; i < m; ++i) {
      const double margin = static_cast<double>(y[i]) * static_cast<double>(z[i]);
      const double e = std::exp(-std::abs(margin));
      const double weight = s ? static_cast<double>(s[i]) : 1.0;
      if (want_value) total += weight * (std::max(-margin, 0.0) + std::log1p(e));
      const double sigmoid_neg = (margin >= 0.0 ? e : 1.0) / (1.0 + e);
      z[i] = static_cast<T>(-weight * static_cast<double>(y[i]) * sigmoid_neg);
    }
    return total;
  }

  template <typename T>
  static void curvature(T* z, const T* y, const T* s, Index m) {
    for (Index i = 0; i < m; ++i) {
      const double margin = static_cast<double>(y[i]) * static_cast<double>(z[i]);
      const double e = std::exp(-std::abs(margin));
      const double weight = s ? static_cast<double>(s[i]) : 1.0;
      // sigmoid(m) * sigmoid(-m) = e / (1 + e)^2
      z[i] = static_cast<T>(weight * e / ((1.0 + e) * (1.0 + e)));
    }
  }
};

}  // namespace descend
