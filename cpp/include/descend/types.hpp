#pragma once
/// Common types of the descend core: every parameter vector and matrix is double precision;
/// only the data X (and y) of the empirical objectives may be float32.

#include <Eigen/Core>

#include <cstdint>

/// Asks the compiler to inline every call inside a hot kernel (GCC and Clang).
#if defined(__GNUC__) || defined(__clang__)
#define DESCEND_FLATTEN __attribute__((flatten))
#else
#define DESCEND_FLATTEN
#endif

namespace descend {

using Index = Eigen::Index;
using VecX = Eigen::VectorXd;
using MatX = Eigen::MatrixXd;
/// A writable view of a double vector (a VecX, a numpy array, a segment).
using VecRef = Eigen::Ref<VecX>;
/// A read-only view of a double vector.
using CVecRef = Eigen::Ref<const VecX>;

template <typename T>
using VecT = Eigen::Matrix<T, Eigen::Dynamic, 1>;

}  // namespace descend
