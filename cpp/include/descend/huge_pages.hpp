#pragma once
/// Large vectors on transparent huge pages, where the system offers them.
///
/// A fresh buffer of several megabytes (a fit's working copy of 2**22 weights is 32 MB) comes
/// from the allocator straight from the kernel, and its first writes then fault it in one
/// 4 KiB page at a time: about 0.5 ms per megabyte on the machines we measure on, more than a
/// pass over the buffer costs once it is mapped. Advising the kernel before the first write
/// (madvise MADV_HUGEPAGE, Linux; honoured where transparent huge pages are in "madvise" or
/// "always" mode) lets it map 2 MiB pages instead: a 32 MB buffer's first fill fell from 16 ms
/// to 3 ms. numpy gives its own large arrays the same advice. Elsewhere, and for buffers below
/// two huge pages, the advice is nothing.

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "types.hpp"

namespace descend {

/// Advises huge pages for the whole 2 MiB pages inside [data, data + bytes); the rest of the
/// range, and a range the kernel refuses, keep their pages (the advice is only a hint).
inline void advise_huge_pages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t(1) << 21;
  if (bytes < 2 * kHuge) return;
  const auto first = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (first + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t end = (first + bytes) & ~(kHuge - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

/// A copy of v whose storage was advised huge pages before the copy wrote it.
inline VecX copy_on_huge_pages(const CVecRef& v) {
  VecX out(v.size());
  advise_huge_pages(out.data(), std::size_t(out.size()) * sizeof(double));
  out = v;
  return out;
}

/// A zero vector of n entries whose storage was advised huge pages before it was zeroed.
inline VecX zeros_on_huge_pages(Index n) {
  VecX out(n);
  advise_huge_pages(out.data(), std::size_t(n) * sizeof(double));
  out.setZero();
  return out;
}

/// `count` such zero vectors (the per-thread partial sums of a pass).
inline std::vector<VecX> zero_parts_on_huge_pages(int count, Index n) {
  std::vector<VecX> parts;
  parts.reserve(std::size_t(count));
  for (int c = 0; c < count; ++c) parts.push_back(zeros_on_huge_pages(n));
  return parts;
}

}  // namespace descend
