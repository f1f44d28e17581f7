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

/// A hint that the bytes [p, p + bytes) will be read soon: one prefetch per 64-byte line
/// the range touches, the last included (a range that does not start on a line boundary
/// reaches one line further than bytes / 64 steps from p: a CSR row's last entries were
/// left out, and the row steps then waited for them).
/// On x86 with GCC or Clang it is an asm statement, which the optimiser keeps: a loop of
/// __builtin_prefetch alone has no side effect, and GCC 12 deleted the whole loop (the
/// per-sample SGD steps on shuffled rows ran twice as slow before this was found).
inline void prefetch_range(const void* p, Index bytes) {
  if (bytes <= 0) return;
  constexpr std::uintptr_t kLine = 64;
  const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(p) & ~(kLine - 1);
  const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(p) + std::uintptr_t(bytes) - 1;
  for (std::uintptr_t line = first; line <= last; line += kLine) {
    const char* at = reinterpret_cast<const char*>(line);
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    asm volatile("prefetcht0 %0" : : "m"(*at));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(at);
#else
    (void)at;
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
