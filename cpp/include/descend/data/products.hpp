#pragma once
/// The products the models (models/*.hpp) form with a block of rows X_b, written once for
/// every data format: a dense block goes through Eigen's matrix products, a sparse one walks
/// its stored entries (O(nnz), never a dense temporary of the width of X).

#include <type_traits>

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "../types.hpp"

namespace descend {

/// Whether an Eigen expression is sparse (the models' kernels then walk its stored entries).
template <class Block>
constexpr bool is_sparse_v =
    std::is_base_of_v<Eigen::SparseMatrixBase<std::decay_t<Block>>, std::decay_t<Block>>;

/// Calls f(i, j, x_ij) for each stored entry of a sparse block (i relative to the block).
template <class Block, class F>
void for_each_entry(const Block& Xb, F f) {
  const Eigen::internal::evaluator<Block> entries(Xb);
  for (Index i = 0; i < Xb.outerSize(); ++i)
    for (typename Eigen::internal::evaluator<Block>::InnerIterator it(entries, i); it; ++it)
      f(i, Index(it.col()), it.value());
}

/// acc[0:d] += X_b' z, summed in double. A sparse X_b adds each stored entry straight into
/// acc (O(nnz), no length-d temporary per block); a dense one multiplies in T first.
template <class Block, class Z, typename T>
void add_transpose_product(const Block& Xb, const Z& z, VecX& acc, VecT<T>& buffer) {
  if constexpr (is_sparse_v<Block>) {
    for_each_entry(Xb, [&](Index i, Index j, auto x) { acc(j) += double(z(i)) * double(x); });
  } else {
    buffer.noalias() = Xb.transpose() * z;
    acc.head(Xb.cols()) += buffer.template cast<double>();
  }
}

/// G[:, 0:d] += C' X_b for a K x p matrix G (a map of the accumulator) and C (m x K).
template <class Block, class C, class G>
void add_outer_product(const Block& Xb, const C& c, G& g) {
  if constexpr (is_sparse_v<Block>) {
    for_each_entry(Xb, [&](Index i, Index j, auto x) {
      g.col(j) += c.row(i).transpose().template cast<double>() * double(x);
    });
  } else if constexpr (std::is_same_v<typename C::Scalar, typename Block::Scalar>) {
    g.leftCols(Xb.cols()) += (c.transpose() * Xb).template cast<double>();
  } else {
    g.leftCols(Xb.cols()) += c.transpose() * Xb.template cast<typename C::Scalar>();
  }
}

}  // namespace descend
