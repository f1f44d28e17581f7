#pragma once
/// The per-block arithmetic of multinomial logistic regression (softmax cross-entropy):
/// K scores z_i = W x~_i per row (x~_i = (x_i, 1) when the intercept is fitted), and
///   loss_i = logsumexp(z_i) - z_{i, y_i},   labels y_i in 0..K-1.
/// The parameters are a K x p matrix (p = d, or d + 1 with the intercepts in the last column)
/// stored row by row. The Hessian has a K x K block structure:
///   block (k, l) = sum_i s_i (p_ik [k = l] - p_ik p_il) x~_i x~_i'.
/// See models/linear.hpp for what a model provides to the skeleton (empirical.hpp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "../data/products.hpp"
#include "../types.hpp"

namespace descend {

template <typename T>
class SoftmaxModel {
 public:
  using Scalar = T;
  using Target = std::int64_t;  ///< the class label
  using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMatX = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  static constexpr bool kFusedRows = false;
  /// No one-margin row steps (kSparseSteps); the lazy sparse steps take row_slopes' K
  /// slopes per row (kOutputSlopes, solvers/lazy_steps.hpp).
  static constexpr bool kSparseSteps = false;
  static constexpr bool kOutputSlopes = true;

  /// The most parameters (K p) a softmax model may have: beyond it one gradient alone would
  /// take 16 GiB, and a label such as 1e10 is a mistake, not a class.
  static constexpr Index kMaxParams = Index(1) << 31;

  SoftmaxModel(Index d, bool fit_intercept, Index n_classes)
      : d_(d), p_(d + (fit_intercept ? 1 : 0)), K_(n_classes), fit_intercept_(fit_intercept) {
    if (K_ < 2) throw std::invalid_argument("n_classes must be >= 2");
    if (K_ > kMaxParams / p_)  // K p would exceed the cap (or overflow)
      throw std::invalid_argument("n_classes * n_params_per_class must be at most 2**31");
  }

  std::string name() const { return "Softmax"; }
  Index outputs() const { return K_; }
  Index params_per_output() const { return p_; }
  void check_targets(const Target* y, Index n) const {
    for (Index i = 0; i < n; ++i)
      if (y[i] < 0 || y[i] >= K_) throw std::invalid_argument("y must hold labels 0..n_classes-1");
  }

  /// The lazy sparse steps' loss on given scores (K per row, row by row): returns
  /// sum_k s_k loss_k over rows[0..m) and sets slopes[k K + c] = scale s_k (p_kc - [c = y_k]).
  double row_slopes(const double* margins, const Index* rows, Index m, const Target* y,
                    const T* s, double scale, double* slopes) const {
    double loss = 0.0;
    for (Index r = 0; r < m; ++r) {
      const Index i = rows[r];
      const double* z = margins + r * K_;
      double* out = slopes + r * K_;
      double top = z[0];  // stable log-sum-exp, as gradient_block
      for (Index k = 1; k < K_; ++k) top = std::max(top, z[k]);
      double total = 0.0;
      for (Index k = 0; k < K_; ++k) {
        out[k] = std::exp(z[k] - top);
        total += out[k];
      }
      const double weight = s ? static_cast<double>(s[i]) : 1.0;
      loss += weight * (top + std::log(total) - z[y[i]]);
      for (Index k = 0; k < K_; ++k)
        out[k] = scale * (weight * (out[k] / total - (k == y[i] ? 1.0 : 0.0)));
    }
    return loss;
  }

  /// Centres the data gradient (a K x p matrix) over the classes, column by column. Each
  /// column of it sums to zero over the classes exactly (sum_k (p_ik - [k = y_i]) = 0), so
  /// this removes only rounding; but without it the rounding, divided by the zero curvature
  /// of a shift common to all classes, walks the intercepts away (to 1e6 within a Newton run
  /// on float32 data), where the scores z = W x + b lose every digit.
  void finish_gradient(VecX& g) const {
    Eigen::Map<RowMatX> G(g.data(), K_, p_);
    G.rowwise() -= G.colwise().mean();
  }

  Index block_rows(bool /*row_major*/, Index row_bytes) const {
    return std::clamp<Index>(Index(65536) / row_bytes, 16, 2048);
  }
  Index hessian_block_rows(Index block_rows) const { return block_rows; }
  double work_per_row(double entries) const { return entries * double(K_); }
  double hessian_work_per_row(double entries) const {
    return entries * entries * double(K_ * K_) / 16.0;
  }

  /// Parameters (or a direction) in T: the weights (K x d) and the intercepts (K, zero when
  /// not fitted).
  struct Point {
    MatT W;
    VecT<T> bias;
  };
  Point point(const CVecRef& w) const {
    Point P;
    point_into(w, P);
    return P;
  }
  /// The same into P, reusing its storage (a mini-batch step then allocates nothing).
  void point_into(const CVecRef& w, Point& P) const {
    const Eigen::Map<const RowMatX> all(w.data(), K_, p_);
    P.W = all.leftCols(d_).template cast<T>();
    if (fit_intercept_)
      P.bias = all.col(d_).template cast<T>();
    else
      P.bias.setZero(K_);
  }

  struct Work {
    MatT Z, Zv;
    MatX prob, U, scaled;
    Eigen::VectorXd e;
  };

  /// One block: returns sum_i s_i loss_i and, when acc is given, adds
  /// sum_i s_i (p_i - e_{y_i}) x~_i' to it (a K x p matrix stored row by row).
  template <class Block>
  double gradient_block(const Block& Xb, const Target* y, const T* s, const Point& P,
                        bool want_value, VecX* acc, Work& work) const {
    const Index m = Xb.rows();
    scores(Xb, P, work.Z);
    MatT& Z = work.Z;
    work.e.resize(K_);
    double loss = 0.0;
    for (Index i = 0; i < m; ++i) {
      // Stable log-sum-exp: shift by the largest score; each exponential is taken once.
      double top = static_cast<double>(Z(i, 0));
      for (Index k = 1; k < K_; ++k) top = std::max(top, static_cast<double>(Z(i, k)));
      double total = 0.0;
      for (Index k = 0; k < K_; ++k) {
        work.e(k) = std::exp(static_cast<double>(Z(i, k)) - top);
        total += work.e(k);
      }
      const double weight = s ? static_cast<double>(s[i]) : 1.0;
      if (want_value)
        loss += weight * (top + std::log(total) - static_cast<double>(Z(i, y[i])));
      for (Index k = 0; k < K_; ++k)
        Z(i, k) = static_cast<T>(weight * (work.e(k) / total - (k == y[i] ? 1.0 : 0.0)));
    }
    if (acc) {
      Eigen::Map<RowMatX> G(acc->data(), K_, p_);
      add_outer_product(Xb, Z, G);  // G[:, :d] += Z' X_b
      if (fit_intercept_) G.col(d_) += Z.colwise().sum().transpose().template cast<double>();
    }
    return loss;
  }

  /// Adds the block's K x K blocks (k >= l) of sum_i s_i (p_ik [k = l] - p_ik p_il) x~_i x~_i'
  /// to the lower part of H (K p x K p).
  template <class Block>
  void hessian_block(const Block& Xb, const Target* /*y*/, const T* s, const Point& P, MatX& H,
                     Work& work) const {
    const Index m = Xb.rows();
    probabilities(Xb, P, work);
    augmented_transpose(Xb, work.U);  // p x m
    for (Index k = 0; k < K_; ++k) {
      for (Index l = 0; l <= k; ++l) {
        Eigen::ArrayXd a = -work.prob.col(k).array() * work.prob.col(l).array();
        if (k == l) a += work.prob.col(k).array();
        if (s) a *= Eigen::Map<const VecT<T>>(s, m).template cast<double>().array();
        work.scaled = work.U * a.matrix().asDiagonal();
        H.block(k * p_, l * p_, p_, p_).noalias() += work.scaled * work.U.transpose();
      }
    }
  }

  /// Adds sum_i s_i (diag(p_i) - p_i p_i') (V x~_i) x~_i' to acc (K x p, row by row).
  template <class Block>
  void hvp_block(const Block& Xb, const Target* /*y*/, const T* s, const Point& P, const Point& V,
                 VecX& acc, Work& work) const {
    const Index m = Xb.rows();
    probabilities(Xb, P, work);
    scores(Xb, V, work.Zv);  // m x K: (V x~_i)_k
    const MatX Uv = work.Zv.template cast<double>();
    // r_ik = s_i p_ik (u_ik - sum_l p_il u_il)
    const Eigen::VectorXd mean = (work.prob.array() * Uv.array()).rowwise().sum();
    MatX R = work.prob.array() * (Uv.colwise() - mean).array();
    if (s) R = Eigen::Map<const VecT<T>>(s, m).template cast<double>().asDiagonal() * R;
    Eigen::Map<RowMatX> out(acc.data(), K_, p_);
    add_outer_product(Xb, R, out);
    if (fit_intercept_) out.col(d_) += R.colwise().sum().transpose();
  }

 private:
  /// Z = X_b W' + 1 b' (m x K).
  template <class Block>
  void scores(const Block& Xb, const Point& P, MatT& Z) const {
    Z.noalias() = Xb * P.W.transpose();
    Z.rowwise() += P.bias.transpose();
  }

  /// work.prob = the softmax of each row of X_b W' + 1 b', in double.
  template <class Block>
  void probabilities(const Block& Xb, const Point& P, Work& work) const {
    scores(Xb, P, work.Z);
    work.prob = work.Z.template cast<double>();
    for (Index i = 0; i < work.prob.rows(); ++i) {
      const double top = work.prob.row(i).maxCoeff();
      work.prob.row(i) = (work.prob.row(i).array() - top).exp();
      work.prob.row(i) /= work.prob.row(i).sum();
    }
  }

  /// U = [X_b'; 1'] in double (p x m). (A sparse block is added entry by entry: duplicate
  /// entries of a column add up, where a sparse-to-dense copy would keep only one.)
  template <class Block>
  void augmented_transpose(const Block& Xb, MatX& U) const {
    U.resize(p_, Xb.rows());
    if constexpr (is_sparse_v<Block>) {
      U.setZero();
      for_each_entry(Xb, [&](Index i, Index j, auto x) { U(j, i) += double(x); });
    } else {
      U.topRows(d_) = Xb.transpose().template cast<double>();
    }
    if (fit_intercept_) U.row(d_).setOnes();
  }

  Index d_, p_, K_;
  bool fit_intercept_;
};

}  // namespace descend
