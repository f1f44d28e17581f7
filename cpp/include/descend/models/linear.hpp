#pragma once
/// The per-block arithmetic of a generalised linear model: one margin z_i = x_i.w + b per
/// row, a pointwise loss (losses.hpp) on it. The parameters are (w, b), b last and only when
/// the intercept is fitted: one output (K = 1) of p = d (+ 1) parameters.
///
/// The model holds its loss (a stateless policy, or MarginLoss with its run-time kind and
/// epsilon) and calls it once per block of rows.
///
/// A model gives the empirical-risk skeleton (empirical.hpp) its arithmetic on one block of
/// rows, whatever the data format (X_b is any Eigen expression: dense rows, a gathered block,
/// a sparse block): the block's sum_i s_i loss_i, and sums of s_i-weighted gradients, Hessians
/// and Hessian-vector products added to accumulators. Normalisation, penalties, threads and
/// data access are the skeleton's.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <Eigen/Core>

#include "../data/products.hpp"
#include "../huge_pages.hpp"
#include "../losses.hpp"
#include "../types.hpp"

namespace descend {

template <typename T, class Loss>
class LinearModel {
 public:
  using Scalar = T;
  using Target = T;  ///< y_i, already in the loss's coding (a real, or -1/+1)
  /// Whether gradient_rows (the fused kernel on rows read in place) exists.
  static constexpr bool kFusedRows = true;
  /// Whether row_slopes (the per-row loss of the lazy sparse steps) exists.
  static constexpr bool kSparseSteps = true;

  /// The default of gradient_rows' ahead: nothing to ask for.
  struct NoAhead {
    void operator()(Index /*k*/, Index /*count*/) const {}
  };

  LinearModel(Index d, bool fit_intercept, Loss loss = Loss())
      : d_(d), fit_intercept_(fit_intercept), loss_(std::move(loss)) {}

  std::string name() const { return loss_.name(); }
  const Loss& loss() const { return loss_; }
  Index outputs() const { return 1; }
  Index params_per_output() const { return d_ + (fit_intercept_ ? 1 : 0); }
  void check_targets(const Target* /*y*/, Index /*n*/) const {}

  /// The data gradient needs no correction (see SoftmaxModel::finish_gradient).
  void finish_gradient(VecX& /*g*/) const {}

  /// Rows per cached block. Row-major blocks stay in L1 (the second pass over the block is
  /// then nearly free); column-major blocks are taller so each column is read in long
  /// contiguous runs.
  Index block_rows(bool row_major, Index row_bytes) const {
    return row_major ? std::clamp<Index>(Index(16384) / row_bytes, 8, 4096)
                     : std::clamp<Index>(Index(262144) / row_bytes, 256, 8192);
  }
  /// Taller blocks for the Hessian: each rank-m update then does enough work per read and
  /// write of H to run near the multiply-add peak.
  Index hessian_block_rows(Index /*block_rows*/) const { return 256; }
  /// Multiply-adds per row of one pass and of one Hessian, for rows of `entries` stored
  /// values (d dense, the non-zeros sparse), to decide how many threads to use.
  double work_per_row(double entries) const { return entries; }
  double hessian_work_per_row(double entries) const { return entries * entries / 8.0; }

  /// A parameter vector (or a direction) in T: the weights and the intercept.
  struct Point {
    VecT<T> w;
    T b;
  };
  Point point(const CVecRef& w) const {
    Point P;
    point_into(w, P);
    return P;
  }
  /// The same into P, reusing its storage (a mini-batch step then allocates nothing).
  void point_into(const CVecRef& w, Point& P) const {
    P.w = w.head(d_).template cast<T>();
    P.b = fit_intercept_ ? static_cast<T>(w(d_)) : T(0);
  }

  /// Buffers one thread reuses from block to block.
  struct Work {
    VecT<T> z, t, gblock;
    MatX U;
  };

  /// One block: returns sum_i s_i loss_i and, when acc is given, adds sum_i s_i loss'_i x~_i.
  template <class Block>
  double gradient_block(const Block& Xb, const T* y, const T* s, const Point& P, bool want_value,
                        VecX* acc, Work& work) const {
    const Index m = Xb.rows();
    margins(Xb, P, work.z);
    const double loss = loss_.derivative(work.z.data(), y, s, m, want_value);
    if (acc) {
      add_transpose_product(Xb, work.z.head(m), *acc, work.gblock);
      if (fit_intercept_) (*acc)(d_) += work.z.head(m).template cast<double>().sum();
    }
    return loss;
  }

  /// The fused gradient kernel on m rows of a row-major X read in place (row_of(i) is the
  /// index of the i-th row; row k starts at X + k d), four rows at a time: their margins,
  /// then the four derivatives, then g += sum_k c_k x_k in one sweep, while the rows are
  /// still in L1 cache. y and s are indexed by row index. Returns sum_i s_i loss_i; adds the
  /// gradient sum to acc.
  /// (flatten: everything it calls is inlined into it, Eigen's dot products included; GCC
  /// otherwise keeps them out of line in some builds, which costs a quarter of the pass.)
  /// ahead(k, 4) is called once per group of four rows (k the group's first row), and
  /// ahead(k, 1) once per row after the last group: a mini-batch step asks there for the rows
  /// of a later batch, so that those requests overlap this batch's arithmetic.
  template <class RowOf, class Ahead = NoAhead>
  DESCEND_FLATTEN double gradient_rows(const T* X, RowOf row_of, Index m, const T* y,
                                       const T* s, const Point& P, bool want_value, VecX& acc,
                                       Work& work, Ahead ahead = {}) const {
    using Row = Eigen::Map<const VecT<T>>;
    const VecT<T>& wt = P.w;
    const T b = P.b;
    VecT<T>& gblock = work.gblock;
    gblock.setZero(d_);
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
      ahead(i, 4);
      for (int j = 0; j < 4; ++j) {
        yv[j] = y[k[j]];
        if (s) sv[j] = s[k[j]];
      }
      loss += loss_.derivative(c, yv, s ? sv : nullptr, 4, want_value);
      gblock.noalias() += c[0] * r0 + c[1] * r1 + c[2] * r2 + c[3] * r3;
      intercept += double(c[0]) + double(c[1]) + double(c[2]) + double(c[3]);
    }
    for (; i < m; ++i) {
      const Index k = row_of(i);
      const Row r(X + k * d_, d_);
      c[0] = r.dot(wt) + b;
      ahead(i, 1);
      yv[0] = y[k];
      if (s) sv[0] = s[k];
      loss += loss_.derivative(c, yv, s ? sv : nullptr, 1, want_value);
      gblock.noalias() += c[0] * r;
      intercept += double(c[0]);
    }
    acc.head(d_) += gblock.template cast<double>();
    if (fit_intercept_) acc(d_) += intercept;
    return loss;
  }

  /// The lazy sparse steps' loss on given margins: returns sum_k s_k loss(z_k, y_k) over
  /// rows[0..m) and sets slopes[k] = scale s_k loss'(z_k, y_k).
  double row_slopes(const double* margins, const Index* rows, Index m, const T* y, const T* s,
                    double scale, double* slopes) const {
    double loss = 0.0;
    for (Index k = 0; k < m; ++k) {
      const Index i = rows[k];
      T z = static_cast<T>(margins[k]);
      loss += loss_.derivative(&z, y + i, s ? s + i : nullptr, 1, true);
      slopes[k] = scale * double(z);
    }
    return loss;
  }

  /// The fused pass over sparse rows [i0, i0 + m) read from `data` (a CSR policy: row_dot,
  /// add_row): returns sum_i s_i loss_i and, when acc is given, adds sum_i s_i dloss_i/dw to
  /// it (with acc and !want_value the losses are not computed: a gradient alone skips the
  /// logarithms, and the value returned is then meaningless). The rows go by groups small
  /// enough to stay in L1: the group's margins, its loss derivatives in one call, then its
  /// gradient, so each row is read once from memory.
  ///
  /// A pass long enough to pay for it (at least d stored entries: the skeleton hands a
  /// thread's whole chunk in one call) keeps w and the gradient sum interleaved in one buffer,
  /// w_j and g_j side by side: the scatter's g_j is then in the cache line the row dot has
  /// just read for w_j. With w and g apart, the two 8p-byte vectors together outgrow L2 at
  /// p = 2**18 and every rare column costs two misses; interleaved it costs one. The sums are
  /// the same, in the same order (the same bits when acc starts at zero).
  template <class Data>
  double sparse_gradient_rows(const Data& data, Index i0, Index m, const T* y, const T* s,
                              const CVecRef& w, VecX* acc, bool want_value = true) const {
    const double b = fit_intercept_ ? w(d_) : 0.0;
    double loss = 0.0, intercept = 0.0;
    T z[kGroup];
    if (acc && interleaving_pays(data, m)) {
      std::unique_ptr<double[]> buffer(new double[2 * std::size_t(d_)]);  // filled next
      double* wg = buffer.get();
      advise_huge_pages(wg, 2 * std::size_t(d_) * sizeof(double));
      for (Index j = 0; j < d_; ++j) {
        wg[2 * j] = w(j);
        wg[2 * j + 1] = 0.0;
      }
      for (Index first = i0; first < i0 + m; first += kGroup) {
        const Index count = std::min<Index>(kGroup, i0 + m - first);
        for (Index k = 0; k < count; ++k) {
          if (first + k + kAhead < i0 + m)
            data.template prefetch_columns<2>(first + k + kAhead, wg);
          z[k] = static_cast<T>(b + data.template row_dot_strided<2>(first + k, wg));
        }
        loss += loss_.derivative(z, y + first, s ? s + first : nullptr, count, want_value);
        for (Index k = 0; k < count; ++k) {
          const double slope = double(z[k]);
          data.template add_row_strided<2>(first + k, slope, wg + 1);
          intercept += slope;
        }
      }
      double* g = acc->data();
      for (Index j = 0; j < d_; ++j) g[j] += wg[2 * j + 1];
      if (fit_intercept_) (*acc)(d_) += intercept;
      return loss;
    }
    const double* wd = w.data();
    double* g = acc ? acc->data() : nullptr;
    for (Index first = i0; first < i0 + m; first += kGroup) {
      const Index count = std::min<Index>(kGroup, i0 + m - first);
      for (Index k = 0; k < count; ++k) z[k] = static_cast<T>(b + data.row_dot(first + k, wd));
      loss += loss_.derivative(z, y + first, s ? s + first : nullptr, count, want_value || !g);
      if (!g) continue;
      for (Index k = 0; k < count; ++k) {
        const double slope = double(z[k]);
        data.add_row(first + k, slope, g);
        intercept += slope;
      }
    }
    if (g && fit_intercept_) (*acc)(d_) += intercept;
    return loss;
  }

  /// The fused Hessian-vector pass over sparse rows [i0, i0 + m): adds sum_i c_i x~_i
  /// (x~_i . v~) to acc (c_i = s_i loss''_i at w), one read of each row for both margins,
  /// by groups as sparse_gradient_rows. A long pass keeps w_j, v_j and the product's entry
  /// j in one 32-byte slot (one cache line a column instead of three), as the gradient does.
  template <class Data>
  void sparse_hvp_rows(const Data& data, Index i0, Index m, const T* y, const T* s,
                       const CVecRef& w, const CVecRef& v, VecX& acc) const {
    const double bw = fit_intercept_ ? w(d_) : 0.0, bv = fit_intercept_ ? v(d_) : 0.0;
    double intercept = 0.0;
    T c[kGroup];
    double zv[kGroup];
    if (interleaving_pays(data, m)) {
      // 4 doubles a column, the buffer aligned to 32 bytes so that no slot straddles a line
      std::unique_ptr<double[]> buffer(new double[4 * std::size_t(d_) + 4]);  // filled next
      double* wv = buffer.get();
      while (reinterpret_cast<std::uintptr_t>(wv) % 32 != 0) ++wv;
      advise_huge_pages(wv, 4 * std::size_t(d_) * sizeof(double));
      for (Index j = 0; j < d_; ++j) {
        wv[4 * j] = w(j);
        wv[4 * j + 1] = v(j);
        wv[4 * j + 2] = 0.0;
        wv[4 * j + 3] = 0.0;
      }
      for (Index first = i0; first < i0 + m; first += kHvpGroup) {
        const Index count = std::min<Index>(kHvpGroup, i0 + m - first);
        for (Index k = 0; k < count; ++k) {
          if (first + k + kAhead < i0 + m)
            data.template prefetch_columns<4>(first + k + kAhead, wv);
          double xw, xv;
          data.template row_dots_strided<4>(first + k, wv, xw, xv);
          c[k] = static_cast<T>(bw + xw);
          zv[k] = bv + xv;
        }
        loss_.curvature(c, y + first, s ? s + first : nullptr, count);
        for (Index k = 0; k < count; ++k) {
          const double scaled = double(c[k]) * zv[k];
          data.template add_row_strided<4>(first + k, scaled, wv + 2);
          intercept += scaled;
        }
      }
      double* out = acc.data();
      for (Index j = 0; j < d_; ++j) out[j] += wv[4 * j + 2];
      if (fit_intercept_) acc(d_) += intercept;
      return;
    }
    const double *wd = w.data(), *vd = v.data();
    double* out = acc.data();
    for (Index first = i0; first < i0 + m; first += kHvpGroup) {
      const Index count = std::min<Index>(kHvpGroup, i0 + m - first);
      for (Index k = 0; k < count; ++k) {
        double xw, xv;
        data.row_dots(first + k, wd, vd, xw, xv);
        c[k] = static_cast<T>(bw + xw);
        zv[k] = bv + xv;
      }
      loss_.curvature(c, y + first, s ? s + first : nullptr, count);
      for (Index k = 0; k < count; ++k) {
        const double scaled = double(c[k]) * zv[k];
        data.add_row(first + k, scaled, out);
        intercept += scaled;
      }
    }
    if (fit_intercept_) acc(d_) += intercept;
  }

  /// Adds sum_i c_i x~_i x~_i' (c_i = s_i loss''_i) to the lower triangle of H (p x p).
  template <class Block>
  void hessian_block(const Block& Xb, const T* y, const T* s, const Point& P, MatX& H,
                     Work& work) const {
    const Index m = Xb.rows();
    curvatures(Xb, y, s, P, work.z);
    if constexpr (is_sparse_v<Block>) {
      sparse_hessian_block(Xb, work.z, H);
    } else {
      // U = [X_b'; 1'] diag(sqrt(c)), so U U' = sum_i c_i x~_i x~_i' (a rank-m update).
      const Eigen::ArrayXd root = work.z.head(m).template cast<double>().array().sqrt();
      work.U.resize(params_per_output(), m);
      work.U.topRows(d_) = Xb.transpose().template cast<double>() * root.matrix().asDiagonal();
      if (fit_intercept_) work.U.row(d_) = root.matrix().transpose();
      H.template selfadjointView<Eigen::Lower>().rankUpdate(work.U);
    }
  }

  /// Adds sum_i c_i x~_i (x~_i . v~) to acc, for the direction V.
  template <class Block>
  void hvp_block(const Block& Xb, const T* y, const T* s, const Point& P, const Point& V,
                 VecX& acc, Work& work) const {
    const Index m = Xb.rows();
    curvatures(Xb, y, s, P, work.z);
    margins(Xb, V, work.t);  // t = X_b v + v_b
    work.t.head(m).array() *= work.z.head(m).array();
    add_transpose_product(Xb, work.t.head(m), acc, work.gblock);
    if (fit_intercept_) acc(d_) += work.t.head(m).template cast<double>().sum();
  }

 private:
  /// Rows per group of the sparse fused passes (their margins on the stack): few enough that
  /// the cache lines of a group's columns are still in L1 when its scatter comes.
  static constexpr Index kGroup = 16, kHvpGroup = 8;
  /// How many rows ahead the interleaved passes ask for the columns' cache lines.
  static constexpr Index kAhead = 4;

  /// Whether a sparse pass over m rows is long enough for the interleaved buffer (its O(d)
  /// fill and read-back cost less than the pass's own scatter).
  template <class Data>
  bool interleaving_pays(const Data& data, Index m) const {
    return double(m) * data.entries_per_row() >= double(d_);
  }

  /// The lower triangle of sum_i c_i x~_i x~_i' from the stored entries of each row: O(sum of
  /// nnz_i^2), never a dense p x m block. Duplicate entries of a column add up, as they do in
  /// every other product.
  template <class Block>
  void sparse_hessian_block(const Block& Xb, const VecT<T>& c, MatX& H) const {
    using Entries = Eigen::internal::evaluator<Block>;
    const Entries entries(Xb);
    for (Index i = 0; i < Xb.rows(); ++i) {
      const double ci = double(c(i));
      if (ci == 0.0) continue;
      for (typename Entries::InnerIterator a(entries, i); a; ++a) {
        const Index j = a.col();
        const double scaled = ci * double(a.value());
        for (typename Entries::InnerIterator b(entries, i); b; ++b)
          if (b.col() <= j) H(j, b.col()) += scaled * double(b.value());
        if (fit_intercept_) H(d_, j) += scaled;
      }
      if (fit_intercept_) H(d_, d_) += ci;
    }
  }

  /// z[0:m] = X_b w + b (z grows to the largest block seen).
  template <class Block>
  void margins(const Block& Xb, const Point& P, VecT<T>& z) const {
    const Index m = Xb.rows();
    if (z.size() < m) z.resize(m);
    z.head(m).noalias() = Xb * P.w;
    if (fit_intercept_) z.head(m).array() += P.b;
  }

  /// z[0:m] = s_i loss''(x~_i . w~, y_i).
  template <class Block>
  void curvatures(const Block& Xb, const T* y, const T* s, const Point& P, VecT<T>& z) const {
    const Index m = Xb.rows();
    if (Loss::kCurvatureNeedsMargin)
      margins(Xb, P, z);
    else if (z.size() < m)
      z.resize(m);
    loss_.curvature(z.data(), y, s, m);
  }

  Index d_;
  bool fit_intercept_;
  Loss loss_;
};

}  // namespace descend
