#pragma once
/// The data-access policy of the empirical risks for a dense matrix X (n x d) of float or
/// double in row-major (C) or column-major (Fortran) order, borrowed, never copied.
///
/// A data policy gives the empirical-risk skeleton (empirical.hpp) what it needs of X:
///   rows(), cols(), row_bytes()      the shape, and the bytes one row takes
///   entries_per_row()                the values an average row stores (work estimates)
///   block(begin, m)                  rows [begin, begin + m) as an Eigen expression the models
///                                    multiply with (X_b w, X_b' z)
///   gather(rows, m, out)             the listed rows copied into a row-major block
///   kRowsInPlace, row(i), data()     whether row i is a contiguous array (row-major only),
///                                    at data() + i d
///   prefetch(rows, m)                a hint that those rows will be read soon
///   prefetch_row_l2(i)               the same for row i, into L2 (row-major only)
/// A sparse (CSR) policy offers the same with a sparse block.

#include <cstdint>

#include <Eigen/Core>

#include "../types.hpp"

namespace descend {

template <typename T, int Order>
class DenseRows {
 public:
  using Scalar = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>;
  using Gathered = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  static constexpr bool kRowsInPlace = Order == Eigen::RowMajor;
  /// Whether rows are read entry by entry (for_each_in_row), as the lazy sparse steps need.
  static constexpr bool kSparse = false;

  /// X must stay valid for the life of the policy (the binding keeps the array).
  DenseRows(const T* X, Index n, Index d) : X_(X, n, d) {}

  Index rows() const { return X_.rows(); }
  Index cols() const { return X_.cols(); }
  Index row_bytes() const { return X_.cols() * Index(sizeof(T)); }
  /// The values a row stores (all d of them), for the threads' work estimates.
  double entries_per_row() const { return double(X_.cols()); }

  auto block(Index begin, Index m) const { return X_.middleRows(begin, m); }

  /// The values of row-major X, row i at data() + i d (kRowsInPlace).
  const T* data() const { return X_.data(); }

  /// Row i as a pointer to its d contiguous values (row-major X only).
  const T* row(Index i) const {
    static_assert(kRowsInPlace, "only row-major rows are contiguous");
    return X_.data() + i * X_.cols();
  }

  /// The default of gather's ahead: nothing to ask for.
  struct NoAhead {
    void operator()(Index /*k*/, Index /*count*/) const {}
  };

  /// ahead(k, 1) is called after row k is copied (a mini-batch step asks there for a later
  /// batch's rows, empirical.hpp).
  template <class Ahead = NoAhead>
  void gather(const Index* rows, Index m, Gathered& out, Ahead ahead = {}) const {
    out.resize(m, X_.cols());
    for (Index k = 0; k < m; ++k) {
      out.row(k) = X_.row(rows[k]);
      ahead(k, 1);
    }
  }

  /// Nothing to do: a dense row's position is computed, not read.
  void prefetch_starts(const Index* /*rows*/, Index /*m*/) const {}

  /// Adds sum_i s_i x_ij^2 (s null: all ones) to out(j), in double, in storage order.
  void add_column_squares(const T* s, VecX& out) const {
    const Index n = X_.rows(), d = X_.cols();
    if constexpr (Order == Eigen::RowMajor) {
      for (Index i = 0; i < n; ++i) {
        const double si = s ? double(s[i]) : 1.0;
        const T* row = X_.data() + i * d;
        for (Index j = 0; j < d; ++j) out(j) += si * double(row[j]) * double(row[j]);
      }
    } else {
      for (Index j = 0; j < d; ++j) {
        const T* column = X_.data() + j * n;
        double total = 0.0;
        for (Index i = 0; i < n; ++i)
          total += (s ? double(s[i]) : 1.0) * double(column[i]) * double(column[i]);
        out(j) += total;
      }
    }
  }

  void prefetch(const Index* rows, Index m) const {
    if constexpr (kRowsInPlace) {
      for (Index k = 0; k < m; ++k) {
        if (rows[k] < 0 || rows[k] >= X_.rows()) continue;
        prefetch_range(line_of(row(rows[k])), row_span(rows[k]));
      }
    }
  }

  /// A hint that row i (row-major X, 0 <= i < n) will be read a batch or two from now: every
  /// cache line it touches, into L2 (prefetcht1) rather than L1. Issued a few rows at a time
  /// between the current batch's rows (empirical.hpp), these requests overlap the arithmetic;
  /// into L2 they also do not hold up the L1 fill buffers the current rows' loads need.
  void prefetch_row_l2(Index i) const {
    static_assert(kRowsInPlace, "only row-major rows are contiguous");
    const char* line = line_of(row(i));
    const char* end = reinterpret_cast<const char*>(row(i) + X_.cols());
    for (; line < end; line += 64) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
      asm volatile("prefetcht1 %0" : : "m"(*line));  // an asm statement: never optimised away
#elif defined(__GNUC__) || defined(__clang__)
      __builtin_prefetch(line, 0, 2);
#endif
    }
  }

 private:
  /// The start of the 64-byte cache line holding p.
  static const char* line_of(const T* p) {
    return reinterpret_cast<const char*>(reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t(63));
  }
  /// The bytes from row i's first cache line to its end (a row that does not start on a line
  /// boundary touches one line more than row_bytes() / 64).
  Index row_span(Index i) const {
    return Index(reinterpret_cast<const char*>(row(i) + X_.cols()) - line_of(row(i)));
  }

 public:

 private:
  Eigen::Map<const Matrix> X_;
};

}  // namespace descend
