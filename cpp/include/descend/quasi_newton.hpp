#pragma once
/// Quasi-Newton directions: BFGS with a dense inverse-Hessian approximation, and L-BFGS with
/// the last m pairs (s_k = x_{k+1} - x_k, y_k = g_{k+1} - g_k) and the two-loop recursion.
/// A pair is kept only when its curvature s'y is positive (else the update would lose
/// positive definiteness).
///
/// Both start from a diagonal metric P (set_metric; the identity by default): the inverse
/// of the objective's parameter scales, when it gives them. The first direction is then -P g
/// and the initial inverse Hessian gamma P, which makes the iterates those of the method on
/// rescaled parameters: a feature 1e8 times larger or smaller than the others does not slow
/// it down (with P = I the iterates are the textbook ones).

#include <deque>
#include <vector>
#include <stdexcept>

#include "types.hpp"

namespace descend {

/// Dense BFGS: Hinv <- (I - rho s y') Hinv (I - rho y s') + rho s s',  rho = 1 / (y's).
class Bfgs {
 public:
  explicit Bfgs(Index n) : Hinv_(MatX::Identity(n, n)), metric_(VecX::Ones(n)) {}

  void set_metric(const VecX& P) {
    metric_ = P;
    reset();
  }

  void direction(const VecX& g, VecX& d) const { d.noalias() = -(Hinv_ * g); }

  void update(const VecX& s, const VecX& y) {
    const double sy = s.dot(y);
    if (!(sy > 1e-12 * s.norm() * y.norm())) return;
    if (first_) {  // scale the initial matrix to the curvature seen along the first step
      Hinv_ *= sy / y.dot(metric_.cwiseProduct(y));
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
    Hinv_ = metric_.asDiagonal();
    first_ = true;
  }

 private:
  MatX Hinv_;
  VecX metric_;
  bool first_ = true;
};

/// L-BFGS two-loop recursion over the last m curvature pairs.
class Lbfgs {
 public:
  explicit Lbfgs(Index m) : m_(m) {
    if (m < 1) throw std::invalid_argument("m must be >= 1");
  }

  /// The diagonal P of the initial inverse Hessian gamma P (empty: the identity).
  void set_metric(const VecX& P) { metric_ = P; }

  void direction(const VecX& g, VecX& d) const {
    d = -g;
    const std::size_t k = s_.size();
    std::vector<double> alpha(k);
    for (std::size_t i = k; i-- > 0;) {  // newest to oldest
      alpha[i] = rho_[i] * s_[i].dot(d);
      d -= alpha[i] * y_[i];
    }
    if (metric_.size() == 0) {
      if (k > 0) d *= s_.back().dot(y_.back()) / y_.back().squaredNorm();  // H0 = gamma I
    } else {  // H0 = gamma P, gamma = s'y / y'Py (P alone before the first pair)
      const double gamma =
          k > 0 ? s_.back().dot(y_.back()) / y_.back().dot(metric_.cwiseProduct(y_.back()))
                : 1.0;
      d = gamma * metric_.cwiseProduct(d);
    }
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
  VecX metric_;
  std::deque<VecX> s_, y_;
  std::deque<double> rho_;
};

}  // namespace descend
