#pragma once
/// R(w) = 0.5 w'Aw - b'w + c with A symmetric (p x p): gradient Aw - b, Hessian A.

#include <stdexcept>
#include <string>

#include "objective.hpp"

namespace descend {

class Quadratic final : public Objective {
 public:
  /// A must be square and symmetric (checked by the caller, which knows the tolerance);
  /// b has A's size. Both are copied: they are p x p and p, not data.
  Quadratic(MatX A, VecX b, double c) : A_(std::move(A)), b_(std::move(b)), c_(c) {
    if (A_.rows() != A_.cols()) throw std::invalid_argument("A must be square");
    if (b_.size() != A_.rows()) throw std::invalid_argument("b must have A's size");
    if (A_.rows() < 1) throw std::invalid_argument("A must not be empty");
  }

  Index n_params() const override { return A_.rows(); }
  bool has_hessian() const override { return true; }
  std::string name() const override { return "Quadratic"; }

  double value(const CVecRef& w) const override {
    check(w);
    return 0.5 * w.dot(A_ * w) - b_.dot(w) + c_;
  }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    check(w);
    check(g, "gradient");
    g.noalias() = A_ * w;
    const double quad = 0.5 * w.dot(g);
    g -= b_;
    return quad - b_.dot(w) + c_;
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    check(w);
    if (H.rows() != A_.rows() || H.cols() != A_.cols())
      throw std::invalid_argument("H must be " + std::to_string(A_.rows()) + " x " +
                                  std::to_string(A_.rows()));
    H = A_;
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    check(w);
    check(v, "v");
    check(out, "out");
    out.noalias() = A_ * v;
  }

  const MatX& A() const { return A_; }
  const VecX& b() const { return b_; }
  double c() const { return c_; }

 private:
  template <class V>
  void check(const V& v, const char* what = "w") const {
    if (v.size() != A_.rows())
      throw std::invalid_argument(std::string(what) + " must have length " +
                                  std::to_string(A_.rows()) + ", got " + std::to_string(v.size()));
  }

  MatX A_;
  VecX b_;
  double c_;
};

}  // namespace descend
