#pragma once
/// The lectures' small test functions that are not quadratics: a 1-D polynomial
/// (the double well) and the Rosenbrock function in any dimension >= 2.
/// Every method checks the length of every vector (and the shape of H) it is given.

#include <stdexcept>
#include <string>
#include <vector>

#include "objective.hpp"

namespace descend {

/// Throws std::invalid_argument unless `v` has length n ("<what> must have length n, got m").
template <class V>
void require_length(const V& v, Index n, const char* what) {
  if (v.size() != n)
    throw std::invalid_argument(std::string(what) + " must have length " + std::to_string(n) +
                                ", got " + std::to_string(v.size()));
}

/// Throws std::invalid_argument unless H is n x n.
inline void require_square(const Eigen::Ref<MatX>& H, Index n) {
  if (H.rows() != n || H.cols() != n)
    throw std::invalid_argument("H must be " + std::to_string(n) + " x " + std::to_string(n));
}

/// R(w) = sum_k coef[k] w^k for a single parameter w.
class Polynomial1D final : public Objective {
 public:
  explicit Polynomial1D(std::vector<double> coef) : coef_(std::move(coef)) {
    if (coef_.empty()) throw std::invalid_argument("a polynomial needs at least one coefficient");
  }

  Index n_params() const override { return 1; }
  bool has_hessian() const override { return true; }
  std::string name() const override { return "Polynomial1D"; }

  double value(const CVecRef& w) const override { return derivative(w, 0); }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    require_length(g, 1, "gradient");
    g(0) = derivative(w, 1);
    return derivative(w, 0);
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    require_square(H, 1);
    H(0, 0) = derivative(w, 2);
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    require_length(v, 1, "v");
    require_length(out, 1, "out");
    out(0) = derivative(w, 2) * v(0);
  }

  const std::vector<double>& coefficients() const { return coef_; }

 private:
  /// The order-th derivative at w(0), by Horner's rule on the differentiated coefficients.
  double derivative(const CVecRef& w, int order) const {
    require_length(w, 1, "w");
    const double x = w(0);
    double total = 0.0;
    for (int k = static_cast<int>(coef_.size()) - 1; k >= order; --k) {
      double factor = 1.0;  // k (k-1) ... (k-order+1)
      for (int j = 0; j < order; ++j) factor *= double(k - j);
      total = total * x + factor * coef_[k];
    }
    return total;
  }

  std::vector<double> coef_;
};

/// R(w) = sum_{i < p-1} 100 (w_{i+1} - w_i^2)^2 + (1 - w_i)^2, minimum 0 at w = (1, ..., 1).
class Rosenbrock final : public Objective {
 public:
  explicit Rosenbrock(Index dim) : dim_(dim) {
    if (dim < 2) throw std::invalid_argument("Rosenbrock needs dim >= 2");
  }

  Index n_params() const override { return dim_; }
  bool has_hessian() const override { return true; }
  std::string name() const override { return "Rosenbrock"; }

  double value(const CVecRef& w) const override {
    check(w);
    double f = 0.0;
    for (Index i = 0; i + 1 < dim_; ++i) {
      const double a = w(i + 1) - w(i) * w(i);
      const double b = 1.0 - w(i);
      f += 100.0 * a * a + b * b;
    }
    return f;
  }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    check(w);
    require_length(g, dim_, "gradient");
    g.setZero();
    double f = 0.0;
    for (Index i = 0; i + 1 < dim_; ++i) {
      const double a = w(i + 1) - w(i) * w(i);
      const double b = 1.0 - w(i);
      f += 100.0 * a * a + b * b;
      g(i) += -400.0 * w(i) * a - 2.0 * b;
      g(i + 1) += 200.0 * a;
    }
    return f;
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    check(w);
    require_square(H, dim_);
    H.setZero();
    for (Index i = 0; i + 1 < dim_; ++i) {
      H(i, i) += 1200.0 * w(i) * w(i) - 400.0 * w(i + 1) + 2.0;
      H(i, i + 1) += -400.0 * w(i);
      H(i + 1, i) += -400.0 * w(i);
      H(i + 1, i + 1) += 200.0;
    }
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    check(w);
    require_length(v, dim_, "v");
    require_length(out, dim_, "out");
    out.setZero();  // the Hessian is tridiagonal: no dense matrix needed
    for (Index i = 0; i + 1 < dim_; ++i) {
      const double off = -400.0 * w(i);
      out(i) += (1200.0 * w(i) * w(i) - 400.0 * w(i + 1) + 2.0) * v(i) + off * v(i + 1);
      out(i + 1) += off * v(i) + 200.0 * v(i + 1);
    }
  }

 private:
  void check(const CVecRef& w) const { require_length(w, dim_, "w"); }

  Index dim_;
};

/// R(w) = sum_i |w_i - c_i|: not differentiable where w_i = c_i. The gradient returned is a
/// subgradient, sign(w - c) (0 at a kink, which lies in the subdifferential [-1, 1]).
/// Minimum 0 at w = c. No Hessian: subgradient steps with a decaying rate solve it.
class AbsoluteDeviation final : public Objective {
 public:
  explicit AbsoluteDeviation(VecX center) : c_(std::move(center)) {
    if (c_.size() < 1) throw std::invalid_argument("center must not be empty");
  }

  Index n_params() const override { return c_.size(); }
  std::string name() const override { return "AbsoluteDeviation"; }
  bool smooth() const override { return false; }

  double value(const CVecRef& w) const override {
    check(w);
    return (w - c_).lpNorm<1>();
  }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    check(w);
    require_length(g, c_.size(), "gradient");
    g = (w - c_).array().sign();
    return (w - c_).lpNorm<1>();
  }

  const VecX& center() const { return c_; }

 private:
  void check(const CVecRef& w) const { require_length(w, c_.size(), "w"); }

  VecX c_;
};

}  // namespace descend
