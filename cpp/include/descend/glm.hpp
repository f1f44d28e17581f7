#pragma once
/// Generalised linear empirical risks over a dense data matrix X (n x d):
///
///   R(w, b) = (1/S) sum_i s_i loss(x_i.w + b, y_i) + (l2/2) ||w||^2,   S = sum_i s_i
///
/// with the intercept b, when fitted, stored as the last parameter and not penalised.
/// X and y are borrowed (float or double, row- or column-major), never copied; the sample
/// weights are copied, divided by their largest (normalised_weights). Every pass walks X
/// in blocks of rows small enough to stay in cache, so a gradient reads X from memory once:
/// z = X_b w + b, then z <- s * loss'(z), then g += X_b' z, on the same cached block.
/// Large passes are split over threads by contiguous row ranges.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "empirical.hpp"
#include "losses.hpp"
#include "objective.hpp"
#include "parallel.hpp"

namespace descend {

template <typename T, int Order, class Loss>
class Glm final : public Objective {
 public:
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>;
  using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// X: n x d data in the memory order `Order`; y: n targets (already in the loss's coding);
  /// sample_weight: n non-negative weights or null (all ones), copied; l2 >= 0;
  /// n_threads <= 0: all cores. X and y must stay valid for the life of the objective (the
  /// binding keeps the arrays).
  Glm(const T* X, Index n, Index d, const T* y, const T* sample_weight, double l2,
      bool fit_intercept, int n_threads, double l1 = 0.0)
      : X_(X, n, d), y_(y), weights_(normalised_weights(sample_weight, n)),
        sw_(weights_.empty() ? nullptr : weights_.data()), n_(n), d_(d),
        p_(d + (fit_intercept ? 1 : 0)), l2_(l2), l1_(l1), fit_intercept_(fit_intercept),
        n_threads_(resolve_threads(n_threads)) {
    weight_sum_ = check_data_and_weigh(n, d, sw_, l2);
    if (!(l1 >= 0.0) || !std::isfinite(l1)) throw std::invalid_argument("l1 must be >= 0");
    // Row-major blocks stay in L1 (the second pass over the block is then nearly free);
    // column-major blocks are taller so each column is read in long contiguous runs.
    const Index row_bytes = d * Index(sizeof(T));
    block_rows_ = Order == Eigen::RowMajor ? std::clamp<Index>(Index(16384) / row_bytes, 8, 4096)
                                           : std::clamp<Index>(Index(262144) / row_bytes, 256, 8192);
  }

  Glm(const Glm&) = delete;  // sw_ points into weights_
  Glm& operator=(const Glm&) = delete;

  Index n_params() const override { return p_; }
  Index n_samples() const override { return n_; }
  bool has_hessian() const override { return true; }
  std::string name() const override { return Loss::kName; }
  double l1() const override { return l1_; }
  PenaltyLayout l1_layout() const override { return {1, p_, d_}; }

  double value(const CVecRef& w) const override { return full_pass(w, nullptr, true); }

  double value_and_gradient(const CVecRef& w, VecRef g) const override {
    return full_pass(w, &g, true);
  }

  void gradient(const CVecRef& w, VecRef g) const override { full_pass(w, &g, false); }

  double batch_value_and_gradient(const CVecRef& w, const Index* rows, Index m,
                                  VecRef g) const override {
    check_size(w, "w");
    check_size(g, "gradient");
    const double weights = batch_weight(rows, m, n_, sw_);
    if (!(weights > 0.0)) {  // only zero-weight samples: the data term contributes nothing
      g.setZero();
      return add_penalty(w, g);
    }
    // Per-thread buffers, reused from call to call: a step allocates nothing.
    thread_local VecT<T> wt, gblock, z, yg, sg;
    thread_local RowMatrix Xg;
    wt = w.head(d_).template cast<T>();
    gblock.resize(d_);
    g.setZero();
    double loss;
    if constexpr (Order == Eigen::RowMajor) {
      // Row-major rows are read in place.
      loss = fused_rows([rows](Index i) { return rows[i]; }, m, wt, intercept_of(w), true, g,
                        gblock);
    } else {
      // Column-major rows are strided: gather them into a contiguous block first.
      Xg.resize(m, d_);
      yg.resize(m);
      if (sw_) sg.resize(m);
      for (Index k = 0; k < m; ++k) {
        Xg.row(k) = X_.row(rows[k]);
        yg(k) = y_[rows[k]];
        if (sw_) sg(k) = sw_[rows[k]];
      }
      z.resize(m);
      VecX acc = VecX::Zero(p_);
      loss = pass_block(Xg, yg.data(), sw_ ? sg.data() : nullptr, wt, intercept_of(w), true,
                        &acc, z, gblock);
      g = acc;
    }
    g /= weights;
    return loss / weights + add_penalty(w, g);
  }

  void prefetch_rows(const Index* rows, Index m) const override {
    if constexpr (Order == Eigen::RowMajor) {
      const Index bytes = d_ * Index(sizeof(T));
      for (Index k = 0; k < m; ++k) {
        if (rows[k] < 0 || rows[k] >= n_) continue;
        const char* row = reinterpret_cast<const char*>(X_.data() + rows[k] * d_);
        for (Index offset = 0; offset < bytes; offset += 64) __builtin_prefetch(row + offset);
      }
    }
  }

  void hessian(const CVecRef& w, Eigen::Ref<MatX> H) const override {
    check_size(w, "w");
    if (H.rows() != p_ || H.cols() != p_) throw std::invalid_argument("H has the wrong shape");
    const VecT<T> wt = w.head(d_).template cast<T>();
    const T b = intercept_of(w);
    const int chunks = chunks_for(double(n_) * double(d_) * double(d_) / 8.0, n_threads_);
    std::vector<MatX> parts(chunks, MatX::Zero(p_, p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      // Taller blocks than the gradient's: each rank-m update then does enough work per
      // read and write of H to run near the multiply-add peak.
      const Index rows = kHessianBlockRows;
      MatX U(p_, rows);
      VecT<T> z(rows);
      for (Index i0 = begin; i0 < end; i0 += rows) {
        const Index m = std::min(rows, end - i0);
        auto Xb = X_.middleRows(i0, m);
        if (Loss::kCurvatureNeedsMargin) margins(Xb, wt, b, z);
        Loss::curvature(z.data(), y_ + i0, sw_ ? sw_ + i0 : nullptr, m);
        // U = [X_b'; 1'] diag(sqrt(c)), so U U' = sum_i c_i x~_i x~_i' (a rank-m update).
        const Eigen::ArrayXd root = z.head(m).template cast<double>().array().sqrt();
        U.topLeftCorner(d_, m) =
            Xb.transpose().template cast<double>() * root.matrix().asDiagonal();
        if (fit_intercept_) U.row(d_).head(m) = root.matrix().transpose();
        parts[c].template selfadjointView<Eigen::Lower>().rankUpdate(U.leftCols(m));
      }
    });
    const MatX lower = sum_parts(parts);
    H = lower.template selfadjointView<Eigen::Lower>();
    H /= weight_sum_;
    H.diagonal().head(d_).array() += l2_;
  }

  void hvp(const CVecRef& w, const CVecRef& v, VecRef out) const override {
    check_size(w, "w");
    check_size(v, "v");
    check_size(out, "out");
    const VecT<T> wt = w.head(d_).template cast<T>();
    const VecT<T> vt = v.head(d_).template cast<T>();
    const T b = intercept_of(w);
    const T vb = intercept_of(v);
    const int chunks = chunks_for(double(n_) * double(d_), n_threads_);
    std::vector<VecX> parts(chunks, VecX::Zero(p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      VecT<T> z(block_rows_), t(block_rows_), gblock(d_);
      for (Index i0 = begin; i0 < end; i0 += block_rows_) {
        const Index m = std::min(block_rows_, end - i0);
        auto Xb = X_.middleRows(i0, m);
        if (Loss::kCurvatureNeedsMargin) margins(Xb, wt, b, z);
        Loss::curvature(z.data(), y_ + i0, sw_ ? sw_ + i0 : nullptr, m);
        margins(Xb, vt, vb, t);  // t = X_b v + v_b
        t.head(m).array() *= z.head(m).array();
        gblock.noalias() = Xb.transpose() * t.head(m);
        parts[c].head(d_) += gblock.template cast<double>();
        if (fit_intercept_) parts[c](d_) += t.head(m).template cast<double>().sum();
      }
    });
    out = sum_parts(parts) / weight_sum_;
    out.head(d_) += l2_ * v.head(d_);
  }

 private:
  template <class V>
  void check_size(const V& v, const char* what) const {
    if (v.size() != p_)
      throw std::invalid_argument(std::string(what) + " must have length " + std::to_string(p_) +
                                  ", got " + std::to_string(v.size()));
  }

  T intercept_of(const CVecRef& w) const { return fit_intercept_ ? static_cast<T>(w(d_)) : T(0); }

  /// z[0:m] = X_b w + b.
  template <class Rows>
  void margins(const Rows& Xb, const VecT<T>& wt, T b, VecT<T>& z) const {
    const Index m = Xb.rows();
    z.head(m).noalias() = Xb * wt;
    if (fit_intercept_) z.head(m).array() += b;
  }

  /// Adds the L2 penalty's gradient to g and returns the penalties' value (L1 included:
  /// its non-smooth part is left to the solvers' proximal step).
  double add_penalty(const CVecRef& w, VecRef g) const {
    if (l2_ != 0.0) g.head(d_) += l2_ * w.head(d_);
    return penalty_value(w);
  }

  double penalty_value(const CVecRef& w) const {
    double value = 0.0;
    if (l2_ != 0.0) value += 0.5 * l2_ * w.head(d_).squaredNorm();
    if (l1_ != 0.0) value += l1_ * w.head(d_).template lpNorm<1>();
    return value;
  }

  /// One cached block of rows: returns sum_i s_i loss_i and, when acc is given, adds
  /// sum_i s_i loss'_i x~_i to it.
  template <class Rows>
  double pass_block(const Rows& Xb, const T* yb, const T* sb, const VecT<T>& wt, T b,
                    bool want_value, VecX* acc, VecT<T>& z, VecT<T>& gblock) const {
    const Index m = Xb.rows();
    margins(Xb, wt, b, z);
    const double loss = Loss::derivative(z.data(), yb, sb, m, want_value);
    if (acc) {
      gblock.noalias() = Xb.transpose() * z.head(m);
      acc->head(d_) += gblock.template cast<double>();
      if (fit_intercept_) (*acc)(d_) += z.head(m).template cast<double>().sum();
    }
    return loss;
  }

  /// The gradient pass over m rows of row-major X (row_of(i) is the index of the i-th), four
  /// rows at a time: their margins, then the four derivatives, then g += sum_k c_k x_k in one
  /// sweep, while the rows are still in L1 cache. Returns sum_i s_i loss_i; adds the gradient
  /// sum to acc.
  template <class RowOf>
  double fused_rows(RowOf row_of, Index m, const VecT<T>& wt, T b, bool want_value,
                    Eigen::Ref<VecX> acc, VecT<T>& gblock) const {
    using Row = Eigen::Map<const VecT<T>>;
    const T* X = X_.data();
    gblock.setZero();
    double loss = 0.0, intercept = 0.0;
    T c[4], yv[4], sv[4];
    Index i = 0;
    for (; i + 4 <= m; i += 4) {
      const Index k[4] = {row_of(i), row_of(i + 1), row_of(i + 2), row_of(i + 3)};
      const Row r0(X + k[0] * d_, d_), r1(X + k[1] * d_, d_), r2(X + k[2] * d_, d_),
          r3(X + k[3] * d_, d_);
      c[0] = r0.dot(wt) + b;
      c[1] = r1.dot(wt) + b;
      c[2] = r2.dot(wt) + b;
      c[3] = r3.dot(wt) + b;
      for (int j = 0; j < 4; ++j) {
        yv[j] = y_[k[j]];
        if (sw_) sv[j] = sw_[k[j]];
      }
      loss += Loss::derivative(c, yv, sw_ ? sv : nullptr, 4, want_value);
      gblock.noalias() += c[0] * r0 + c[1] * r1 + c[2] * r2 + c[3] * r3;
      intercept += double(c[0]) + double(c[1]) + double(c[2]) + double(c[3]);
    }
    for (; i < m; ++i) {
      const Index k = row_of(i);
      const Row r(X + k * d_, d_);
      c[0] = r.dot(wt) + b;
      yv[0] = y_[k];
      if (sw_) sv[0] = sw_[k];
      loss += Loss::derivative(c, yv, sw_ ? sv : nullptr, 1, want_value);
      gblock.noalias() += c[0] * r;
      intercept += double(c[0]);
    }
    acc.head(d_) += gblock.template cast<double>();
    if (fit_intercept_) acc(d_) += intercept;
    return loss;
  }

  /// A pass over all rows: the value (when want_value) and the gradient (when g is given).
  double full_pass(const CVecRef& w, VecRef* g, bool want_value) const {
    check_size(w, "w");
    if (g) check_size(*g, "gradient");
    const VecT<T> wt = w.head(d_).template cast<T>();
    const T b = intercept_of(w);
    const int chunks = chunks_for(double(n_) * double(d_), n_threads_);
    std::vector<double> losses(chunks, 0.0);
    std::vector<VecX> parts(g ? chunks : 0, VecX::Zero(p_));
    parallel_chunks(n_, chunks, [&](int c, Index begin, Index end) {
      VecT<T> z(block_rows_), gblock(d_);
      VecX* acc = g ? &parts[c] : nullptr;
      for (Index i0 = begin; i0 < end; i0 += block_rows_) {
        const Index m = std::min(block_rows_, end - i0);
        if (Order == Eigen::RowMajor && acc)  // the fused kernel, on rows in place
          losses[c] += fused_rows([i0](Index i) { return i0 + i; }, m, wt, b, want_value, *acc,
                                  gblock);
        else
          losses[c] += pass_block(X_.middleRows(i0, m), y_ + i0, sw_ ? sw_ + i0 : nullptr, wt,
                                  b, want_value, acc, z, gblock);
      }
    });
    double loss = sum_parts(losses) / weight_sum_;
    if (g) {
      *g = sum_parts(parts) / weight_sum_;
      loss += add_penalty(w, *g);
    } else {
      loss += penalty_value(w);
    }
    return loss;
  }

  Eigen::Map<const Matrix> X_;
  const T* y_;
  std::vector<T> weights_;  ///< the normalised copy of the sample weights (empty: none)
  const T* sw_;             ///< weights_.data(), or null
  Index n_, d_, p_;
  double l2_, l1_;
  bool fit_intercept_;
  int n_threads_;
  double weight_sum_ = 0.0;
  Index block_rows_ = 256;
  static constexpr Index kHessianBlockRows = 256;
};

}  // namespace descend
