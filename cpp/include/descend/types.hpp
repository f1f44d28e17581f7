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

/// A hint that the bytes [p, p + bytes) will be read soon: one prefetch per 64-byte line.
/// On x86 with GCC or Clang it is an asm statement, which the optimiser keeps: a loop of
/// __builtin_prefetch alone has no side effect, and GCC 12 deleted the whole loop (the
/// per-sample SGD steps on shuffled rows ran twice as slow before this was found).
inline void prefetch_range(const void* p, Index bytes) {
  const char* start = static_cast<const char*>(p);
  for (Index offset = 0; offset < bytes; offset += 64) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    asm volatile("prefetcht0 %0" : : "m"(*(start + offset)));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(start + offset);
#else
    (void)start;
#endif
  }
}

using VecX = Eigen::VectorXd;
using MatX = Eigen::MatrixXd;
/// A writable view of a double vector (a VecX, a numpy array, a segment).
using VecRef = Eigen::Ref<VecX>;
/// A read-only view of a double vector.
using CVecRef = Eigen::Ref<const VecX>;

template <typename T>
using VecT = Eigen::Matrix<T, Eigen::Dynamic, 1>;

}  // namespace descend
