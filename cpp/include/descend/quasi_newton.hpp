#pragma once
/// Quasi-Newton directions: BFGS with a dense inverse-Hessian approximation, and L-BFGS with
/// the last m pairs (s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k) and the two-loop recursion.
/// A pair is kept only when its curvature s'y is positive (else the update would lose
/// positive definiteness).

#include <deque>
#include <vector>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// Dense BFGS: Hinv <- (I - rho s y') Hinv (I - rho y s') + rho s s',  rho = 1 / (y's).
class Bfgs {
 public:
  explicit Bfgs(Index n) : Hinv_(MatX::Identity(n, n)) {}

  void direction(const VecX& g, VecX& d) const { d.noalias() = -(Hinv_ * g); }

  void update(const VecX& s, const VecX& y) {
    const double sy = s.dot(y);
    if (!(sy > 1e-12 * s.norm() * y.norm())) return;
    if (first_) {  // scale the initial matrix to the curvature seen along the first step
      Hinv_ *= sy / y.squaredNorm();
      first_ = false;
    }
    const double rho = 1.0 / sy;
    const VecX Hy = Hinv_ * y;
    const double yHy = y.dot(Hy);
    // Expanded form of the update, symmetric by construction.
    Hinv_.noalias() += (rho * rho * yHy + rho) * (s * s.transpose()) -
                       rho * (Hy * s.transpose() + s * Hy.transpose());
  }

  void reset() {
    Hinv_.setIdentity();
    first_ = true;
  }

 private:
  MatX Hinv_;
  bool first_ = true;
};

/// L-BFGS two-loop recursion over the last m curvature pairs.
class Lbfgs {
 public:
  explicit Lbfgs(Index m) : m_(m) {
    if (m < 1) throw std::invalid_argument("m must be >= 1");
  }

  void direction(const VecX& g, VecX& d) const {
    d = -g;
    const std::size_t k = s_.size();
    std::vector<double> alpha(k);
    for (std::size_t i = k; i-- > 0;) {  // newest to oldest
      alpha[i] = rho_[i] * s_[i].dot(d);
      d -= alpha[i] * y_[i];
    }
    if (k > 0) d *= s_.back().dot(y_.back()) / y_.back().squaredNorm();  // H0 = gamma I
    for (std::size_t i = 0; i < k; ++i) {  // oldest to newest
      const double beta = rho_[i] * y_[i].dot(d);
      d += (alpha[i] - beta) * s_[i];
    }
  }

  void update(const VecX& s, const VecX& y) {
    const double sy = s.dot(y);
    if (!(sy > 1e-12 * s.norm() * y.norm())) return;
    if (static_cast<Index>(s_.size()) == m_) {
      s_.pop_front();
      y_.pop_front();
      rho_.pop_front();
    }
    s_.push_back(s);
    y_.push_back(y);
    rho_.push_back(1.0 / sy);
  }

  void reset() {
    s_.clear();
    y_.clear();
    rho_.clear();
  }

 private:
  Index m_;
  std::deque<VecX> s_, y_;
  std::deque<double> rho_;
};

}  // namespace descend
