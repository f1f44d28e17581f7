#pragma once
/// Multinomial logistic regression (softmax cross-entropy) over a dense data matrix X (n x d):
///
///   R(W) = (1/S) sum_i s_i [ logsumexp(z_i) - z_{i, y_i} ] + (l2/2) ||W_{:, :d}||^2,
///   z_i = W x~_i,   x~_i = (x_i, 1) when the intercept is fitted,
///
/// with labels y_i in 0..K-1 and the parameters a K x p matrix (p = d, or d + 1 with the
/// intercepts in the last column), stored row by row in the parameter vector. The Hessian has
/// a K x K block structure: block (k, l) = (1/S) sum_i s_i (p_ik [k = l] - p_ik p_il) x~_i x~_i'.
/// X and y are borrowed (float or double, row- or column-major); the sample weights are copied
/// (normalised_weights). Passes go over cached row blocks and are split across threads like the
/// binary objectives'. K p is at most kMaxParams (2^31): beyond it one gradient alone would
/// take 16 GiB, and a label such as 1e10 is a mistake, not a class.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "empirical.hpp"
#include "objective.hpp"
#include "parallel.hpp"

namespace descend {

template <typename T, int Order>
class Softmax final : public Objective {
 public:
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>;
  using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMatX = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// The most parameters (n_classes * p) a Softmax objective may have.
  static constexpr Index kMaxParams = Index(1) << 31;

  /// y: n labels in 0..n_classes-1 (checked); sample_weight: n weights >= 0 or null (copied);
  /// n_classes >= 2 with n_classes * p <= kMaxParams.
  Softmax(const T* X, Index n, Index d, const std::int64_t* y, Index n_classes,
          const T* sample_weight, double l2, bool fit_intercept, int n_threads)
      : X_(X, n, d), y_(y), weights_(normalised_weights(sample_weight, n)),
        sw_(weights_.empty() ? nullptr : weights_.data()), n_(n), d_(d), K_(n_classes),
        p_(d + (fit_intercept ? 1 : 0)), l2_(l2), fit_intercept_(fit_intercept),
        n_threads_(resolve_threads(n_threads)) {
    weight_sum_ = check_data_and_weigh(n, d, sw_, l2);
    if (K_ < 2) throw std::invalid_argument("n_classes must be >= 2");
    if (K_ > kMaxParams / p_)  // K p would exceed the cap (or overflow)
      throw std::invalid_argument("n_classes * n_params_per_class must be at most 2**31");
    for (Index i = 0; i < n; ++i)
      if (y_[i] < 0 || y_[i] >= K_) throw std::invalid_argument("y must hold labels 0..n_classes-1");
    const Index row_bytes = d * Index(sizeof(T));
    block_rows_ = std::clamp<Index>(Index(65536) / row_bytes, 16, 2048);
  }

  Softmax(const Softmax&) = delete;  // sw_ points into weights_
  Softmax& operator=(const Softmax&) = delete;

  Index n_params() const override { return K_ * p_; }
  Index n_samples() const override { return n_; }
  Index n_classes() const { return K_; }
  bool has_hessian() const override { return true; }
  std::string name() const override { return "Softmax"; }

  double value(const CVecRef& w) const override { return pass(w, nullptr, true); }
  double value_and_gradient(const CVecRef& w, VecRef g) const override { return pass(w, &g, true); }
  void gradient(const CVecRef& w, VecRef g) const override { pass(w, &g, false); }

  double batch_value_and_gradient(const CVecRef& w, const Index* rows, Index m,
                                  VecRef g) const override {
    check_size(w, "w");
    check_size(g, "gradient");
    const double weights = batch_weight(rows, m, n_, sw_);
    if (!(weights > 0.0)) {  // only zero-weight samples: the data term contributes nothing
      g.setZero();
      return add_penalty(w, g);
    }
    // Gather the batch into per-thread buffers reused from call to call.
    thread_local Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xg;
    thread_local std::vector<std::int64_t> yg;
    thread_local std::vector<T> sg;
    thread_local MatT Z;
    Xg.resize(m, d_);
    yg.resize(m);
    sg.resize(sw_ ? m : 0);
    for (Index k = 0; k < m; ++k) {
      Xg.row(k) = X_.row(rows[k]);
      yg[k] = y_[rows[k]];
      if (sw_) sg[k] = sw_[rows[k]];
    }
    const Params P = params(w);
    RowMatX G = RowMatX::Zero(K_, p_);
    const double loss = block_gradient(Xg, yg.data(), sw_ ? sg.data() : nullptr, P, true, &G, Z);
    g = Eigen::Map<const VecX>(G.data(), K_ * p_) / weights;
    return loss / weights + add_penalty(w, g);
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    check_size(w, "w");
    if (H.rows() != K_ * p_ || H.cols() != K_ * p_)
      throw std::invalid_argument("H has the wrong shape");
    const Params P = params(w);
    const int chunks = chunks_for(double(n_) * double(d_) * double(d_ * K_ * K_) / 16.0,
                                  n_threads_);
    std::vector<MatX> parts(chunks, MatX::Zero(K_ * p_, K_ * p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      MatT Z;
      MatX prob, U, scaled;
      for (Index i0 = begin; i0 < end; i0 += block_rows_) {
        const Index m = std::min(block_rows_, end - i0);
        auto Xb = X_.middleRows(i0, m);
        probabilities(Xb, P, Z, prob);
        augmented_transpose(Xb, U);  // p x m
        const T* sb = sw_ ? sw_ + i0 : nullptr;
        for (Index k = 0; k < K_; ++k) {
          for (Index l = 0; l <= k; ++l) {
            // a_i = s_i (p_ik [k = l] - p_ik p_il)
            Eigen::ArrayXd a = -prob.col(k).array() * prob.col(l).array();
            if (k == l) a += prob.col(k).array();
            if (sb) a *= Eigen::Map<const VecT<T>>(sb, m).template cast<double>().array();
            scaled = U * a.matrix().asDiagonal();
            parts[c].block(k * p_, l * p_, p_, p_).noalias() += scaled * U.transpose();
          }
        }
      }
    });
    MatX total = sum_parts(parts);
    // Fill the upper blocks from the lower ones, then scale and add the penalty.
    for (Index k = 0; k < K_; ++k)
      for (Index l = 0; l < k; ++l)
        total.block(l * p_, k * p_, p_, p_) = total.block(k * p_, l * p_, p_, p_).transpose();
    H = total / weight_sum_;
    for (Index k = 0; k < K_; ++k) H.diagonal().segment(k * p_, d_).array() += l2_;
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    check_size(w, "w");
    check_size(v, "v");
    check_size(out, "out");
    const Params P = params(w);
    const RowMatX V = Eigen::Map<const RowMatX>(v.data(), K_, p_);
    const int chunks = chunks_for(double(n_) * double(d_) * double(K_), n_threads_);
    std::vector<RowMatX> parts(chunks, RowMatX::Zero(K_, p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      MatT Z;
      MatX prob, U;
      for (Index i0 = begin; i0 < end; i0 += block_rows_) {
        const Index m = std::min(block_rows_, end - i0);
        auto Xb = X_.middleRows(i0, m);
        probabilities(Xb, P, Z, prob);
        augmented_transpose(Xb, U);                 // p x m
        MatX Uv = U.transpose() * V.transpose();    // m x K: (V x~_i)_k
        // r_ik = s_i p_ik (u_ik - sum_l p_il u_il)
        const Eigen::VectorXd mean = (prob.array() * Uv.array()).rowwise().sum();
        MatX R = prob.array() * (Uv.colwise() - mean).array();
        if (sw_)
          R = Eigen::Map<const VecT<T>>(sw_ + i0, m).template cast<double>().asDiagonal() * R;
        parts[c].noalias() += R.transpose() * U.transpose();
      }
    });
    RowMatX total = sum_parts(parts) / weight_sum_;
    total.leftCols(d_) += l2_ * V.leftCols(d_);
    out = Eigen::Map<const VecX>(total.data(), K_ * p_);
  }

 private:
  /// The parameters as the weights in T (K x d) and the intercepts (K, zero when not fitted).
  struct Params {
    MatT Wt;
    VecT<T> bias;
  };

  Params params(const CVecRef& w) const {
    const Eigen::Map<const RowMatX> W(w.data(), K_, p_);
    Params P;
    P.Wt = W.leftCols(d_).template cast<T>();
    P.bias = fit_intercept_ ? VecT<T>(W.col(d_).template cast<T>()) : VecT<T>::Zero(K_);
    return P;
  }

  template <class V>
  void check_size(const V& v, const char* what) const {
    if (v.size() != K_ * p_)
      throw std::invalid_argument(std::string(what) + " must have length " +
                                  std::to_string(K_ * p_) + ", got " + std::to_string(v.size()));
  }

  double add_penalty(const CVecRef& w, VecRef g) const {
    if (l2_ == 0.0) return 0.0;
    double sq = 0.0;
    for (Index k = 0; k < K_; ++k) {
      g.segment(k * p_, d_) += l2_ * w.segment(k * p_, d_);
      sq += w.segment(k * p_, d_).squaredNorm();
    }
    return 0.5 * l2_ * sq;
  }

  /// Z = X_b W' + 1 b' (m x K), then prob = softmax of each row, in double.
  template <class Rows>
  void probabilities(const Rows& Xb, const Params& P, MatT& Z, MatX& prob) const {
    const Index m = Xb.rows();
    Z.noalias() = Xb * P.Wt.transpose();
    Z.rowwise() += P.bias.transpose();
    prob = Z.template cast<double>();
    for (Index i = 0; i < m; ++i) {
      const double top = prob.row(i).maxCoeff();
      prob.row(i) = (prob.row(i).array() - top).exp();
      prob.row(i) /= prob.row(i).sum();
    }
  }

  /// U = [X_b'; 1'] in double (p x m).
  template <class Rows>
  void augmented_transpose(const Rows& Xb, MatX& U) const {
    U.resize(p_, Xb.rows());
    U.topRows(d_) = Xb.transpose().template cast<double>();
    if (fit_intercept_) U.row(d_).setOnes();
  }

  /// One block: returns sum_i s_i loss_i and adds sum_i s_i (p_i - e_{y_i}) x~_i' to G (K x p).
  template <class Rows>
  double block_gradient(const Rows& Xb, const std::int64_t* yb, const T* sb, const Params& P,
                        bool want_value, RowMatX* G, MatT& Z) const {
    const Index m = Xb.rows();
    Z.noalias() = Xb * P.Wt.transpose();
    Z.rowwise() += P.bias.transpose();
    double loss = 0.0;
    for (Index i = 0; i < m; ++i) {
      // Stable log-sum-exp: shift by the largest score.
      double top = static_cast<double>(Z(i, 0));
      for (Index k = 1; k < K_; ++k) top = std::max(top, static_cast<double>(Z(i, k)));
      double total = 0.0;
      for (Index k = 0; k < K_; ++k) total += std::exp(static_cast<double>(Z(i, k)) - top);
      const double lse = top + std::log(total);
      const double weight = sb ? static_cast<double>(sb[i]) : 1.0;
      if (want_value) loss += weight * (lse - static_cast<double>(Z(i, yb[i])));
      for (Index k = 0; k < K_; ++k) {
        const double prob = std::exp(static_cast<double>(Z(i, k)) - lse);
        Z(i, k) = static_cast<T>(weight * (prob - (k == yb[i] ? 1.0 : 0.0)));
      }
    }
    if (G) {
      const MatT part = Z.transpose() * Xb;  // K x d
      G->leftCols(d_) += part.template cast<double>();
      if (fit_intercept_) G->col(d_) += Z.colwise().sum().transpose().template cast<double>();
    }
    return loss;
  }

  double pass(const CVecRef& w, VecRef* g, bool want_value) const {
    check_size(w, "w");
    if (g) check_size(*g, "gradient");
    const Params P = params(w);
    const int chunks = chunks_for(double(n_) * double(d_) * double(K_), n_threads_);
    std::vector<double> losses(chunks, 0.0);
    std::vector<RowMatX> parts(g ? chunks : 0, RowMatX::Zero(K_, p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      MatT Z;
      RowMatX* G = g ? &parts[c] : nullptr;
      for (Index i0 = begin; i0 < end; i0 += block_rows_) {
        const Index m = std::min(block_rows_, end - i0);
        losses[c] += block_gradient(X_.middleRows(i0, m), y_ + i0, sw_ ? sw_ + i0 : nullptr, P,
                                    want_value, G, Z);
      }
    });
    double loss = sum_parts(losses) / weight_sum_;
    if (g) {
      const RowMatX total = sum_parts(parts);
      *g = Eigen::Map<const VecX>(total.data(), K_ * p_) / weight_sum_;
      loss += add_penalty(w, *g);
    } else if (l2_ != 0.0) {
      for (Index k = 0; k < K_; ++k) loss += 0.5 * l2_ * w.segment(k * p_, d_).squaredNorm();
    }
    return loss;
  }

  Eigen::Map<const Matrix> X_;
  const std::int64_t* y_;
  std::vector<T> weights_;  ///< the normalised copy of the sample weights (empty: none)
  const T* sw_;             ///< weights_.data(), or null
  Index n_, d_, K_, p_;
  double l2_;
  bool fit_intercept_;
  int n_threads_;
  double weight_sum_ = 0.0;
  Index block_rows_ = 256;
};

}  // namespace descend
