#pragma once
/// The data-access policy of the empirical risks for a sparse matrix X (n x d) in compressed
/// sparse row form (scipy.sparse CSR): values (float or double), column indices and row
/// pointers (int32 or int64), borrowed, never copied. See data/dense.hpp for what a data
/// policy provides.
///
/// The arrays are checked once, at construction, in O(nnz): row pointers starting at 0,
/// non-decreasing and ending at nnz; column indices in [0, d); values finite, of magnitude at
/// most sqrt(max of T) / 1e4 (the squares the steps and step sizes sum must not overflow: the
/// limit and the message are those of objectives.py's _check_magnitude for dense X). A
/// corrupt matrix is refused there, so no pass can read out of bounds. Unsorted and duplicate
/// column indices are fine: every kernel sums the stored entries of a row (duplicates add up,
/// as in scipy).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "../parallel.hpp"
#include "../types.hpp"

namespace descend {

template <typename T, typename I>
class CsrRows {
 public:
  using Scalar = T;
  using Matrix = Eigen::SparseMatrix<T, Eigen::RowMajor, I>;
  using Gathered = Matrix;
  static constexpr bool kRowsInPlace = false;
  /// Whether rows are read entry by entry (for_each_in_row), as the lazy sparse steps need.
  static constexpr bool kSparse = true;

  /// values, columns: nnz = row_start[n] entries; row_start: n + 1 row pointers.
  CsrRows(const T* values, const I* columns, const I* row_start, Index n, Index d)
      : X_(n, d, check(values, columns, row_start, n, d, distinct_), row_start, columns,
           values) {}

  /// The largest magnitude a stored value may have.
  static double magnitude_limit() {
    return std::sqrt(double(std::numeric_limits<T>::max())) / 1e4;
  }

  /// Whether every row stores each of its columns once (true of canonical CSR).
  bool rows_distinct() const { return distinct_; }

  Index rows() const { return X_.rows(); }
  Index cols() const { return X_.cols(); }
  /// The bytes an average row takes (its values and column indices), for block sizes.
  Index row_bytes() const {
    const double per_row = double(X_.nonZeros()) / double(X_.rows());
    return std::max<Index>(Index(per_row * double(sizeof(T) + sizeof(I))), 1);
  }

  /// The non-zeros an average row stores, for the threads' work estimates.
  double entries_per_row() const { return double(X_.nonZeros()) / double(X_.rows()); }

  auto block(Index begin, Index m) const { return X_.middleRows(begin, m); }

  void gather(const Index* rows, Index m, Gathered& out) const {
    const I* start = X_.outerIndexPtr();
    Index nnz = 0;
    for (Index k = 0; k < m; ++k) nnz += Index(start[rows[k] + 1] - start[rows[k]]);
    out.resize(m, X_.cols());
    out.resizeNonZeros(nnz);
    I* out_start = out.outerIndexPtr();
    Index at = 0;
    for (Index k = 0; k < m; ++k) {
      out_start[k] = I(at);
      for (I e = start[rows[k]]; e < start[rows[k] + 1]; ++e, ++at) {
        out.innerIndexPtr()[at] = X_.innerIndexPtr()[e];
        out.valuePtr()[at] = X_.valuePtr()[e];
      }
    }
    out_start[m] = I(at);
  }

  /// Calls f(column, value) on each stored entry of row i, in storage order.
  template <class F>
  void for_each_in_row(Index i, F&& f) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr();
    const T* values = X_.valuePtr();
    for (I e = start[i]; e < start[i + 1]; ++e) f(Index(columns[e]), values[e]);
  }

  /// x_i . w over row i's stored entries, in double, in four running sums (the sums of one
  /// chain would wait on each other's additions: a row's 40 entries then cost 40 latencies).
  double row_dot(Index i, const double* w) const { return row_dot_strided<1>(i, w); }

  /// The same with w's entry j at w[Stride j]: w interleaved with other per-column numbers
  /// (the fused kernels of models/linear.hpp keep a column's weight and its gradient entry in
  /// one cache line). The same sums in the same order as row_dot, whatever the stride.
  template <int Stride>
  double row_dot_strided(Index i, const double* w) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr() + start[i];
    const T* values = X_.valuePtr() + start[i];
    const Index count = Index(start[i + 1] - start[i]);
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    Index e = 0;
    for (; e + 4 <= count; e += 4) {
      s0 += double(values[e]) * w[Stride * Index(columns[e])];
      s1 += double(values[e + 1]) * w[Stride * Index(columns[e + 1])];
      s2 += double(values[e + 2]) * w[Stride * Index(columns[e + 2])];
      s3 += double(values[e + 3]) * w[Stride * Index(columns[e + 3])];
    }
    for (; e < count; ++e) s0 += double(values[e]) * w[Stride * Index(columns[e])];
    return (s0 + s1) + (s2 + s3);
  }

  /// The same for two vectors at once (one read of the row): x_i . u and x_i . v.
  void row_dots(Index i, const double* u, const double* v, double& xu, double& xv) const {
    row_dots_at<1>(i, u, v, xu, xv);
  }

  /// row_dots for u and v interleaved: u_j at uv[Stride j], v_j at uv[Stride j + 1] (the
  /// same sums in the same order as row_dots).
  template <int Stride>
  void row_dots_strided(Index i, const double* uv, double& xu, double& xv) const {
    row_dots_at<Stride>(i, uv, uv + 1, xu, xv);
  }

 private:
  /// x_i . u and x_i . v with u_j at u[Stride j] and v_j at v[Stride j], in two running sums
  /// each (row_dots and row_dots_strided).
  template <int Stride>
  void row_dots_at(Index i, const double* u, const double* v, double& xu, double& xv) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr() + start[i];
    const T* values = X_.valuePtr() + start[i];
    const Index count = Index(start[i + 1] - start[i]);
    double u0 = 0.0, u1 = 0.0, v0 = 0.0, v1 = 0.0;
    Index e = 0;
    for (; e + 2 <= count; e += 2) {
      const double a = double(values[e]), b = double(values[e + 1]);
      const Index j = Stride * Index(columns[e]), k = Stride * Index(columns[e + 1]);
      u0 += a * u[j];
      v0 += a * v[j];
      u1 += b * u[k];
      v1 += b * v[k];
    }
    for (; e < count; ++e) {
      const Index j = Stride * Index(columns[e]);
      u0 += double(values[e]) * u[j];
      v0 += double(values[e]) * v[j];
    }
    xu = u0 + u1;
    xv = v0 + v1;
  }

 public:
  /// g += c x_i over row i's stored entries (repeated columns add up).
  void add_row(Index i, double c, double* g) const { add_row_strided<1>(i, c, g); }

  /// The same with g's entry j at g[Stride j].
  template <int Stride>
  void add_row_strided(Index i, double c, double* g) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr();
    const T* values = X_.valuePtr();
    for (I e = start[i]; e < start[i + 1]; ++e)
      g[Stride * Index(columns[e])] += c * double(values[e]);
  }

  /// g += c x_i as add_row, returning the sum of the squares of scale g_j over the entries
  /// it wrote, each just after its write (a repeated column counts at each), in two running
  /// sums (one chain would wait on each addition's latency: the axpy alone needs none). The
  /// scale is applied before squaring: g may hold w / scale with scale near 1e-200.
  double add_row_squares(Index i, double c, double scale, double* g) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr();
    const T* values = X_.valuePtr();
    double s0 = 0.0, s1 = 0.0;
    I e = start[i];
    const I end = start[i + 1];
    for (; e + 1 < end; e += 2) {
      double& a = g[Index(columns[e])];
      a += c * double(values[e]);
      const double wa = scale * a;
      s0 += wa * wa;
      double& b = g[Index(columns[e + 1])];
      b += c * double(values[e + 1]);
      const double wb = scale * b;
      s1 += wb * wb;
    }
    if (e < end) {
      double& a = g[Index(columns[e])];
      a += c * double(values[e]);
      const double wa = scale * a;
      s0 += wa * wa;
    }
    return s0 + s1;
  }

  /// Adds sum_i s_i x_ij^2 (s null: all ones) to out(j), in double, entry by entry (a
  /// repeated index adds the squares of its parts: a scale, not the exact moment).
  void add_column_squares(const T* s, VecX& out) const {
    for (Index i = 0; i < X_.rows(); ++i) {
      const double si = s ? double(s[i]) : 1.0;
      for_each_in_row(i, [&](Index j, T v) { out(j) += si * double(v) * double(v); });
    }
  }

  /// A hint that base[Stride j] will be read soon for every column j of row i (i < rows()):
  /// the fused kernels ask for a later row's columns while they work on the current one, so
  /// the rare columns' cache misses overlap the arithmetic.
  template <int Stride>
  void prefetch_columns(Index i, const double* base) const {
    const I* start = X_.outerIndexPtr();
    const I* columns = X_.innerIndexPtr();
    for (I e = start[i]; e < start[i + 1]; ++e)
      prefetch_range(base + Stride * Index(columns[e]), 1);
  }

  /// The number of entries row i stores.
  Index row_size(Index i) const {
    return Index(X_.outerIndexPtr()[i + 1]) - Index(X_.outerIndexPtr()[i]);
  }

  /// A hint, ahead of prefetch(), that the listed rows' positions will be read soon: the
  /// row pointers, whose load would otherwise stall the prefetch of the rows themselves.
  void prefetch_starts(const Index* rows, Index m) const {
    for (Index k = 0; k < m; ++k)
      if (rows[k] >= 0 && rows[k] < X_.rows())
        prefetch_range(X_.outerIndexPtr() + rows[k], Index(2 * sizeof(I)));
  }

  /// A hint that the listed rows will be read soon: their values and column indices.
  void prefetch(const Index* rows, Index m) const {
    const I* start = X_.outerIndexPtr();
    for (Index k = 0; k < m; ++k) {
      if (rows[k] < 0 || rows[k] >= X_.rows()) continue;
      const Index first = Index(start[rows[k]]), count = Index(start[rows[k] + 1]) - first;
      prefetch_range(X_.valuePtr() + first, count * Index(sizeof(T)));
      prefetch_range(X_.innerIndexPtr() + first, count * Index(sizeof(I)));
    }
  }

 private:
  /// Checks the three arrays and returns nnz; `distinct` is set to whether every row's
  /// columns are strictly increasing (canonical CSR). The tests are branch-free counts (they
  /// vectorise, and the columns are read once for both): a pass at memory speed; the
  /// offender is looked for only when one fails, for the message.
  static Index check(const T* values, const I* columns, const I* row_start, Index n, Index d,
                     bool& distinct) {
    if (n < 1 || d < 1) throw std::invalid_argument("X must have at least one row and one column");
    if (row_start[0] != 0) throw std::invalid_argument("X.indptr must start at 0");
    for (Index i = 0; i < n; ++i)
      if (row_start[i + 1] < row_start[i])
        throw std::invalid_argument("X.indptr must be non-decreasing (row " + std::to_string(i) +
                                    ")");
    const Index nnz = Index(row_start[n]);
    // Counts of failures, not a bool "all ok": GCC vectorises a sum, not an &= of bools.
    // The pass is at memory speed: the rows are split over the default threads (the
    // objective's own n_threads is not known here; 100 MB of values and indices take some
    // 6 ms on one core).
    const T limit = static_cast<T>(magnitude_limit());
    // 0 <= c < d in one unsigned comparison: a negative c is above I's largest value as U.
    using U = std::make_unsigned_t<I>;
    const U end = U(std::min<std::uint64_t>(std::uint64_t(d),
                                            std::uint64_t(std::numeric_limits<I>::max()) + 1));
    const int chunks = chunks_for(double(nnz), resolve_threads(0), 1 << 20);
    std::vector<Index> bad_values_in(chunks, 0), bad_columns_in(chunks, 0);
    std::vector<Index> unordered_in(chunks, 0);
    parallel_chunks(n, chunks, [&](int c, Index begin, Index stop) {
      Index bad_values = 0, bad_columns = 0, unordered = 0;
      for (Index e = Index(row_start[begin]); e < Index(row_start[stop]); ++e)
        bad_values += !(std::abs(values[e]) <= limit);  // a NaN fails the comparison
      for (Index i = begin; i < stop; ++i) {
        const Index first = Index(row_start[i]), last = Index(row_start[i + 1]);
        if (first < last) bad_columns += !(U(columns[first]) < end);
        for (Index e = first + 1; e < last; ++e) {
          bad_columns += !(U(columns[e]) < end);
          unordered += !(columns[e - 1] < columns[e]);
        }
      }
      bad_values_in[c] = bad_values;
      bad_columns_in[c] = bad_columns;
      unordered_in[c] = unordered;
    });
    Index bad_values = 0, bad_columns = 0, unordered = 0;
    for (int c = 0; c < chunks; ++c) {
      bad_values += bad_values_in[c];
      bad_columns += bad_columns_in[c];
      unordered += unordered_in[c];
    }
    if (bad_values) refuse_values(values, nnz);
    distinct = unordered == 0;
    if (bad_columns)
      for (Index e = 0; e < nnz; ++e)
        if (columns[e] < 0 || Index(columns[e]) >= d)
          throw std::invalid_argument("X.indices must hold column indices in [0, " +
                                      std::to_string(d) + "), got " + std::to_string(columns[e]));
    return nnz;
  }

  /// Throws the error of the first kind a value fails: NaN or infinity, else the magnitude.
  [[noreturn]] static void refuse_values(const T* values, Index nnz) {
    double top = 0.0;
    for (Index e = 0; e < nnz; ++e) {
      if (!std::isfinite(values[e])) throw std::invalid_argument("X contains NaN or infinity");
      top = std::max(top, std::abs(double(values[e])));
    }
    char words[320];
    std::snprintf(words, sizeof words,
                  "X has entries of magnitude %.3g, above %.3g for %s: their squares would "
                  "overflow in the gradient, Hessian and step-size computations; rescale X "
                  "(e.g. with sklearn.preprocessing.StandardScaler)",
                  top, magnitude_limit(), sizeof(T) == 4 ? "float32" : "float64");
    throw std::invalid_argument(words);
  }

  bool distinct_ = true;  // set by check, which runs first (declared before X_)
  Eigen::Map<const Matrix> X_;
};

}  // namespace descend
