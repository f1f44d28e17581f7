#pragma once
/// Pointwise losses of the generalised linear objectives, as small policies.
///
/// Each loss works on a block of m margins z_i = x_i.w + b, in place:
///   derivative(z, y, s, m, want_value)  replaces z_i by s_i * dloss/dz (z_i, y_i) and returns
///                                       sum_i s_i loss(z_i, y_i) when want_value (0 otherwise)
///   curvature(z, y, s, m)               replaces z_i by s_i * d2loss/dz2 (z_i, y_i)
/// s may be null (all weights 1). Sums are accumulated in double whatever T is.
///
/// Each loss holds `max_slope` (infinite by default: the exact derivative): dloss/dz is
/// clipped to [-max_slope, max_slope] before the weight multiplies it, as scikit-learn's SGD
/// clips each slope to [-1e12, 1e12] (its estimators keep going where a squared loss under a
/// large first rate would overflow). The values are never clipped; the curvature neither.
///
/// LinearModel (models/linear.hpp) holds one loss object and calls these through it: the two
/// losses with their own policy (SquaredLoss, LogLoss) are stateless and fully inlined;
/// MarginLoss holds a kind chosen at run time (scikit-learn's other SGD losses), so that all
/// of them share one instantiation of the risk skeleton.

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// v clipped to [-bound, bound] (v itself, bit for bit, when |v| <= bound or bound is
/// infinite; NaN stays NaN).
template <typename T>
inline T clip_slope(T v, double bound) {
  const T b = static_cast<T>(bound);
  return v > b ? b : v < -b ? -b : v;
}

/// loss(z, y) = (z - y)^2 / 2 : least squares.
struct SquaredLoss {
  static constexpr bool kCurvatureNeedsMargin = false;
  static constexpr const char* kName = "LeastSquares";
  static const char* name() { return kName; }
  double max_slope = std::numeric_limits<double>::infinity();

  template <typename T>
  double derivative(T* z, const T* y, const T* s, Index m, bool want_value) const {
    double total = 0.0;
    for (Index i = 0; i < m; ++i) {
      const T r = z[i] - y[i];
      const T sr = s ? s[i] * r : r;
      if (want_value) total += static_cast<double>(sr) * static_cast<double>(r);
      const T slope = clip_slope(r, max_slope);
      z[i] = s ? s[i] * slope : slope;
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
  static const char* name() { return kName; }
  double max_slope = std::numeric_limits<double>::infinity();

  template <typename T>
  double derivative(T* z, const T* y, const T* s, Index m, bool want_value) const {
    double total = 0.0;
    for (Index i = 0; i < m; ++i) {
      const double margin = static_cast<double>(y[i]) * static_cast<double>(z[i]);
      const double e = std::exp(-std::abs(margin));
      const double weight = s ? static_cast<double>(s[i]) : 1.0;
      if (want_value) total += weight * (std::max(-margin, 0.0) + std::log1p(e));
      const double sigmoid_neg = (margin >= 0.0 ? e : 1.0) / (1.0 + e);
      z[i] = static_cast<T>(weight *
                            clip_slope(-static_cast<double>(y[i]) * sigmoid_neg, max_slope));
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

/// The pointwise losses of scikit-learn's SGD estimators besides the squared error and the
/// log-loss, as functions of the margin z = x.w + b and the target y (classification:
/// y in {-1, +1}; regression: y real). Each gives value, slope (d/dz) and curvature (d2/dz2).
/// Where a loss has a kink the slope is the one scikit-learn's SGD takes there (a
/// subgradient); where the second derivative jumps, curvature is its value almost
/// everywhere (the generalised Hessian of the C^1 losses; 0 for the kinked ones).
namespace margin {

/// max(0, t - y z): the hinge (t = 1) and the perceptron (t = 0). Slope -y where y z <= t
/// (the kink y z = t included, as scikit-learn), else 0. Kinked: curvature 0.
struct Hinge {
  double t;
  double value(double z, double y) const { return y * z <= t ? t - y * z : 0.0; }
  double slope(double z, double y) const { return y * z <= t ? -y : 0.0; }
  double curvature(double /*z*/, double /*y*/) const { return 0.0; }
};

/// max(0, 1 - y z)^2: slope -2 y (1 - y z) where y z < 1; curvature 2 there (C^1).
struct SquaredHinge {
  double value(double z, double y) const {
    const double r = 1.0 - y * z;
    return r > 0.0 ? r * r : 0.0;
  }
  double slope(double z, double y) const {
    const double r = 1.0 - y * z;
    return r > 0.0 ? -2.0 * y * r : 0.0;
  }
  double curvature(double z, double y) const { return 1.0 - y * z > 0.0 ? 2.0 : 0.0; }
};

/// Zhang's modified Huber loss: 0 for y z >= 1, (1 - y z)^2 for -1 <= y z < 1, -4 y z
/// below (C^1: the slope -4 y meets at y z = -1); curvature 2 on the quadratic piece.
struct ModifiedHuber {
  double value(double z, double y) const {
    const double a = y * z;
    return a >= 1.0 ? 0.0 : a >= -1.0 ? (1.0 - a) * (1.0 - a) : -4.0 * a;
  }
  double slope(double z, double y) const {
    const double a = y * z;
    return a >= 1.0 ? 0.0 : a >= -1.0 ? -2.0 * y * (1.0 - a) : -4.0 * y;
  }
  double curvature(double z, double y) const {
    const double a = y * z;
    return (a >= -1.0 && a < 1.0) ? 2.0 : 0.0;
  }
};

/// Huber's loss with threshold e on the residual r = z - y: r^2 / 2 for |r| <= e, then
/// e |r| - e^2 / 2 (C^1); slope r clipped to [-e, e]; curvature 1 for |r| <= e.
struct Huber {
  double e;
  double value(double z, double y) const {
    const double r = z - y, a = std::abs(r);
    return a <= e ? 0.5 * r * r : e * a - 0.5 * e * e;
  }
  double slope(double z, double y) const { return std::clamp(z - y, -e, e); }
  double curvature(double z, double y) const { return std::abs(z - y) <= e ? 1.0 : 0.0; }
};

/// max(0, |z - y| - e): slope sign(z - y) beyond the tube |z - y| > e, 0 inside it and on
/// its edges (as scikit-learn). Kinked: curvature 0.
struct EpsilonInsensitive {
  double e;
  double value(double z, double y) const { return std::max(std::abs(z - y) - e, 0.0); }
  double slope(double z, double y) const {
    const double r = z - y;
    return r > e ? 1.0 : r < -e ? -1.0 : 0.0;
  }
  double curvature(double /*z*/, double /*y*/) const { return 0.0; }
};

/// max(0, |z - y| - e)^2: slope 2 sign(r) (|r| - e) beyond the tube (C^1); curvature 2 there.
struct SquaredEpsilonInsensitive {
  double e;
  double value(double z, double y) const {
    const double a = std::max(std::abs(z - y) - e, 0.0);
    return a * a;
  }
  double slope(double z, double y) const {
    const double r = z - y;
    return r > e ? 2.0 * (r - e) : r < -e ? 2.0 * (r + e) : 0.0;
  }
  double curvature(double z, double y) const { return std::abs(z - y) > e ? 2.0 : 0.0; }
};

}  // namespace margin

/// Which loss a MarginLoss computes.
enum class MarginKind {
  Hinge,
  SquaredHinge,
  ModifiedHuber,
  Perceptron,
  Huber,
  EpsilonInsensitive,
  SquaredEpsilonInsensitive
};

/// The losses of namespace margin behind one policy, the kind chosen at run time: the switch
/// on the kind is taken once per call (a block of rows), outside the loop over its rows,
/// and each branch runs that loss's loop inlined.
/// `epsilon` (>= 0) is the threshold of huber and the two epsilon-insensitive losses;
/// `max_slope` (> 0, infinite by default) the clip of each slope (see the header).
class MarginLoss {
 public:
  static constexpr bool kCurvatureNeedsMargin = true;

  MarginLoss(MarginKind kind, double epsilon,
             double max_slope = std::numeric_limits<double>::infinity())
      : kind_(kind), epsilon_(epsilon), max_slope_(max_slope) {
    if (!(epsilon >= 0.0) || !std::isfinite(epsilon))
      throw std::invalid_argument("epsilon must be finite and >= 0");
    if (!(max_slope > 0.0)) throw std::invalid_argument("max_slope must be > 0");
  }

  MarginKind kind() const { return kind_; }
  double epsilon() const { return epsilon_; }
  double max_slope() const { return max_slope_; }

  const char* name() const {
    switch (kind_) {
      case MarginKind::Hinge: return "Hinge";
      case MarginKind::SquaredHinge: return "SquaredHinge";
      case MarginKind::ModifiedHuber: return "ModifiedHuber";
      case MarginKind::Perceptron: return "Perceptron";
      case MarginKind::Huber: return "Huber";
      case MarginKind::EpsilonInsensitive: return "EpsilonInsensitive";
      case MarginKind::SquaredEpsilonInsensitive: return "SquaredEpsilonInsensitive";
    }
    return "MarginLoss";
  }

  /// Whether the loss is continuously differentiable (its gradient vanishes at a minimum):
  /// false for the kinked hinge, perceptron and epsilon-insensitive losses.
  bool differentiable() const {
    return kind_ != MarginKind::Hinge && kind_ != MarginKind::Perceptron &&
           kind_ != MarginKind::EpsilonInsensitive;
  }

  template <typename T>
  double derivative(T* z, const T* y, const T* s, Index m, bool want_value) const {
    return visit(
        [&](const auto& loss) { return slopes(loss, z, y, s, m, want_value, max_slope_); });
  }

  template <typename T>
  void curvature(T* z, const T* y, const T* s, Index m) const {
    visit([&](const auto& loss) {
      for (Index i = 0; i < m; ++i) {
        const double c = loss.curvature(double(z[i]), double(y[i]));
        z[i] = static_cast<T>(s ? double(s[i]) * c : c);
      }
      return 0.0;
    });
  }

 private:
  /// Calls f with the pointwise loss of this kind.
  template <class F>
  double visit(F&& f) const {
    switch (kind_) {
      case MarginKind::Hinge: return f(margin::Hinge{1.0});
      case MarginKind::SquaredHinge: return f(margin::SquaredHinge{});
      case MarginKind::ModifiedHuber: return f(margin::ModifiedHuber{});
      case MarginKind::Perceptron: return f(margin::Hinge{0.0});
      case MarginKind::Huber: return f(margin::Huber{epsilon_});
      case MarginKind::EpsilonInsensitive: return f(margin::EpsilonInsensitive{epsilon_});
      case MarginKind::SquaredEpsilonInsensitive:
        return f(margin::SquaredEpsilonInsensitive{epsilon_});
    }
    throw std::logic_error("unknown MarginKind");
  }

  /// z_i <- s_i loss'(z_i, y_i); returns sum_i s_i loss(z_i, y_i) when want_value.
  template <class Loss, typename T>
  static double slopes(const Loss& loss, T* z, const T* y, const T* s, Index m,
                       bool want_value, double max_slope) {
    double total = 0.0;
    for (Index i = 0; i < m; ++i) {
      const double zi = double(z[i]), yi = double(y[i]);
      const double weight = s ? double(s[i]) : 1.0;
      if (want_value) total += weight * loss.value(zi, yi);
      z[i] = static_cast<T>(weight * clip_slope(loss.slope(zi, yi), max_slope));
    }
    return total;
  }

  MarginKind kind_;
  double epsilon_;
  double max_slope_;
};

}  // namespace descend
