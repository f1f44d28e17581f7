#pragma once
/// The second-derivative test, shared by every solver's termination and by
/// descend.analysis.curvature (through the binding of classify_curvature), so the two never
/// disagree about what a point is.
///
/// At a critical point with Hessian eigenvalues l_min <= ... <= l_max, an eigenvalue counts
/// as zero when |l| <= rtol * max(|l_min|, |l_max|): the rule is relative, so it does not
/// change when the loss is rescaled (Quadratic(-1e-9 I) is a maximum, as Quadratic(-I) is).
///   all > 0: minimum;   all < 0: maximum;   both signs: saddle;
///   a zero eigenvalue with the rest of one sign (or all zero): inconclusive.
///
/// At the end of a run the test uses the dense Hessian (a Cholesky factorisation, then the
/// eigenvalues only when it fails) up to `dense_limit` parameters, and otherwise Lanczos with
/// at most `lanczos_steps` Hessian-vector products from a fixed pseudo-random start. Lanczos'
/// extreme Ritz values lie inside [l_min, l_max], so a negative curvature it reports is real;
/// one it does not find within its steps goes unnoticed (the cost stays bounded).

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "batches.hpp"
#include "types.hpp"

namespace descend {

enum class CurvatureKind { Minimum, Maximum, Saddle, Inconclusive };

constexpr double kCurvatureRtol = 1e-8;  ///< the default rtol of the test

inline const char* curvature_name(CurvatureKind k) {
  switch (k) {
    case CurvatureKind::Minimum: return "minimum";
    case CurvatureKind::Maximum: return "maximum";
    case CurvatureKind::Saddle: return "saddle";
    case CurvatureKind::Inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

/// The second-derivative test on the extreme eigenvalues (low <= high).
inline CurvatureKind classify_curvature(double low, double high, double rtol = kCurvatureRtol) {
  const double zero = rtol * std::max(std::abs(low), std::abs(high));
  if (low > zero) return CurvatureKind::Minimum;
  if (high < -zero) return CurvatureKind::Maximum;
  if (low < -zero && high > zero) return CurvatureKind::Saddle;
  return CurvatureKind::Inconclusive;
}

/// True when some eigenvalue is clearly negative: the point cannot be a minimum.
inline bool has_negative_curvature(double low, double high, double rtol = kCurvatureRtol) {
  return low < -rtol * std::max(std::abs(low), std::abs(high));
}

struct CurvatureEstimate {
  double low = 0.0, high = 0.0;  ///< extreme eigenvalues (or Ritz values)
  bool dense = true;             ///< from the dense Hessian, or from Lanczos
};

/// Lanczos with full reorthogonalisation (two Gram-Schmidt passes) on v -> H v: the extreme
/// Ritz values after at most `steps` products. `hvp(v, out)` writes H v.
template <class Hvp>
CurvatureEstimate lanczos_extremes(Hvp&& hvp, Index n, Index steps, Index& products) {
  steps = std::min(steps, n);
  MatX Q(n, steps);
  SplitMix64 rng(0x5DEECE66DULL);
  VecX q(n);
  for (Index i = 0; i < n; ++i)
    q(i) = double(rng.next() >> 11) * 0x1.0p-53 - 0.5;  // uniform on [-0.5, 0.5)
  Q.col(0) = q / q.norm();
  VecX w(n), alpha(steps), beta(steps);
  Index k = 0;
  for (; k < steps; ++k) {
    hvp(Q.col(k), w);
    ++products;
    alpha(k) = Q.col(k).dot(w);
    for (int pass = 0; pass < 2; ++pass)
      w -= Q.leftCols(k + 1) * (Q.leftCols(k + 1).transpose() * w);
    beta(k) = w.norm();
    const double scale = std::max(std::abs(alpha(k)), k > 0 ? beta(k - 1) : 0.0);
    if (k + 1 == steps || !(beta(k) > 1e-12 * scale)) {
      ++k;
      break;
    }
    Q.col(k + 1) = w / beta(k);
  }
  MatX T = MatX::Zero(k, k);
  for (Index i = 0; i < k; ++i) {
    T(i, i) = alpha(i);
    if (i + 1 < k) T(i, i + 1) = T(i + 1, i) = beta(i);
  }
  const VecX ritz = Eigen::SelfAdjointEigenSolver<MatX>(T, Eigen::EigenvaluesOnly).eigenvalues();
  return CurvatureEstimate{ritz(0), ritz(k - 1), false};
}

/// The extreme eigenvalues of a dense symmetric H (Cholesky first: when it succeeds, H is
/// positive definite and only that is reported, as low = high = +1 relative).
inline CurvatureEstimate dense_extremes(const MatX& H) {
  if (H.size() > 0 && Eigen::LLT<MatX>(H).info() == Eigen::Success) {
    const double d = H.diagonal().maxCoeff();
    return CurvatureEstimate{d, d, true};  // positive definite: a minimum, whatever the values
  }
  const VecX eig = Eigen::SelfAdjointEigenSolver<MatX>(H, Eigen::EigenvaluesOnly).eigenvalues();
  return CurvatureEstimate{eig(0), eig(eig.size() - 1), true};
}

struct CurvatureLimits {
  Index dense_limit = 300;   ///< dense Hessian up to this many parameters
  Index lanczos_steps = 30;  ///< Hessian-vector products of the Lanczos test
  Index gradient_steps = 20;  ///< gradient differences, for an objective with no Hessian
};

/// The curvature of f at x, as cheaply as the limits allow. Counts Hessian evaluations
/// (a dense Hessian or one product each) in nhev.
template <class Obj>
CurvatureEstimate estimate_curvature(const Obj& f, const VecX& x, Index& nhev,
                                     const CurvatureLimits& limits = {}) {
  const Index n = x.size();
  if (n <= limits.dense_limit) {
    MatX H(n, n);
    f.hessian(x, H);
    ++nhev;
    return dense_extremes(H);
  }
  return lanczos_extremes([&](const auto& v, VecX& out) { f.hvp(x, v, out); }, n,
                          limits.lanczos_steps, nhev);
}

/// The relative zero of the test when the curvature comes from forward differences of
/// gradients: their error is the step h times the third derivative plus the rounding of the
/// gradient over h, which at a point far from 0 (h grows with ||x||) reaches a few 1e-4 of
/// the largest eigenvalue. A negative eigenvalue counts only beyond 1e-3 of the largest; a
/// milder saddle goes unnoticed, as a run without the test would.
constexpr double kDifferencedCurvatureRtol = 1e-3;

/// The curvature of f at x for an objective with a gradient and no Hessian: Lanczos on the
/// forward differences H v ~ (g(x + h v) - g(x)) / h, h = sqrt(eps) (1 + ||x||_inf), at most
/// `steps` gradients plus one. Returns false (and leaves `c` alone) when a gradient near x is
/// not finite: the test then says nothing. Counts the gradients in njev.
template <class Obj>
bool curvature_from_gradients(const Obj& f, const VecX& x, Index steps, Index& njev,
                              CurvatureEstimate& c) {
  const Index n = x.size();
  VecX g0(n), gh(n), moved(n);
  f.gradient(x, g0);
  ++njev;
  if (!g0.allFinite()) return false;
  const double h = std::sqrt(std::numeric_limits<double>::epsilon()) *
                   (1.0 + (n > 0 ? x.cwiseAbs().maxCoeff() : 0.0));
  bool finite = true;
  Index products = 0;
  const CurvatureEstimate estimate = lanczos_extremes(
      [&](const auto& v, VecX& out) {
        moved = x + h * v;
        f.gradient(moved, gh);
        out = (gh - g0) / h;
        if (!out.allFinite()) {  // keep Lanczos finite; the estimate is thrown away below
          finite = false;
          out.setZero();
        }
      },
      n, steps, products);
  njev += products;
  if (!finite) return false;
  c = estimate;
  return true;
}

/// The curvature of f at x from values alone, for an objective whose gradient is itself a
/// finite-difference estimate (differences of it would be noise): the second differences
/// q(v) = (f(x + h v) - 2 f(x) + f(x - h v)) / h^2, h = eps^(1/4) (1 + ||x||_inf), along the
/// first `steps` coordinate axes and `steps / 4 + 1` pseudo-random unit directions. Each is a
/// Rayleigh quotient v'Hv, so their least and largest lie inside [l_min, l_max], as Lanczos'
/// Ritz values do. A quotient within the values' rounding (about 1e3 eps |f(x)| / h^2)
/// counts as zero. Returns false when a value is not finite or no quotient is measurable.
/// Counts the values in nfev.
template <class Obj>
bool curvature_from_values(const Obj& f, const VecX& x, Index steps, Index& nfev,
                           CurvatureEstimate& c) {
  const Index n = x.size();
  if (n == 0) return false;
  const double eps = std::numeric_limits<double>::epsilon();
  const double h = std::pow(eps, 0.25) * (1.0 + x.cwiseAbs().maxCoeff());
  const double f0 = f.value(x);
  ++nfev;
  if (!std::isfinite(f0)) return false;
  const double noise = 1e3 * eps * std::abs(f0) / (h * h);
  VecX v(n), moved(n);
  double low = std::numeric_limits<double>::infinity(), high = -low;
  bool measured = false;
  SplitMix64 rng(0x5DEECE66DULL);
  const Index axes = std::min(steps, n), random = steps / 4 + 1;
  for (Index k = 0; k < axes + random; ++k) {
    if (k < axes) {
      v.setZero();
      v(k) = 1.0;
    } else {
      for (Index i = 0; i < n; ++i) v(i) = double(rng.next() >> 11) * 0x1.0p-53 - 0.5;
      v /= v.norm();
    }
    moved = x + h * v;
    const double up = f.value(moved);
    moved = x - h * v;
    const double down = f.value(moved);
    nfev += 2;
    if (!std::isfinite(up) || !std::isfinite(down)) return false;
    double q = (up - 2.0 * f0 + down) / (h * h);
    if (std::abs(q) <= noise) q = 0.0;
    measured = measured || q != 0.0;
    low = std::min(low, q);
    high = std::max(high, q);
  }
  if (!measured) return false;
  c = CurvatureEstimate{low, high, false};
  return true;
}

}  // namespace descend
