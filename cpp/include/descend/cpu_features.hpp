#pragma once
/// What the CPU and the operating system let this process use, asked of the CPU itself
/// (cpuid and xgetbv on x86-64), so the same answer comes on Linux, macOS and Windows.
///
/// AVX, AVX2 and FMA need both the CPU's flag and the operating system's support for the
/// 256-bit register state: cpuid leaf 1 ECX bit 27 (OSXSAVE) and xgetbv(0) bits 1 and 2 (SSE
/// and AVX state saved on a context switch); AVX-512F also needs bits 5 to 7 (opmask and the
/// upper ZMM state).

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define DESCEND_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace descend {

struct CpuFeatures {
  bool sse2 = false;
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool neon = false;  ///< Advanced SIMD: always there on AArch64
};

#ifdef DESCEND_X86
namespace detail {

/// cpuid(leaf, subleaf) into r[0..3] = EAX, EBX, ECX, EDX; false if the leaf is not supported.
inline bool cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
  int regs[4];
  __cpuid(regs, static_cast<int>(leaf & 0x80000000u));  // the basic or the extended range
  if (static_cast<unsigned>(regs[0]) < leaf) return false;
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int k = 0; k < 4; ++k) r[k] = static_cast<unsigned>(regs[k]);
  return true;
#else
  if (__get_cpuid_max(leaf & 0x80000000u, nullptr) < leaf) return false;  // basic or extended
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
  return true;
#endif
}

/// The XCR0 register: which register states the operating system saves (call only when
/// cpuid reports OSXSAVE).
inline std::uint64_t xcr0() {
#if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#else
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (std::uint64_t(edx) << 32) | eax;
#endif
}

}  // namespace detail
#endif

/// The features of the CPU this runs on that the operating system has enabled.
inline CpuFeatures cpu_features() {
  CpuFeatures f;
#ifdef DESCEND_X86
  unsigned r1[4] = {0, 0, 0, 0};
  if (!detail::cpuid(1, 0, r1)) return f;
  f.sse2 = (r1[3] >> 26) & 1u;
  const bool osxsave = (r1[2] >> 27) & 1u;
  const std::uint64_t xcr = osxsave ? detail::xcr0() : 0;
  const bool ymm_state = (xcr & 0x6) == 0x6;    // XMM and YMM
  const bool zmm_state = (xcr & 0xE6) == 0xE6;  // and opmask, ZMM_Hi256, Hi16_ZMM
  f.avx = ymm_state && ((r1[2] >> 28) & 1u);
  f.fma = f.avx && ((r1[2] >> 12) & 1u);
  unsigned r7[4] = {0, 0, 0, 0};
  if (detail::cpuid(7, 0, r7)) {
    f.avx2 = f.avx && ((r7[1] >> 5) & 1u);
    f.avx512f = f.avx && zmm_state && ((r7[1] >> 16) & 1u);
  }
#elif defined(__aarch64__) || defined(_M_ARM64)
  f.neon = true;
#endif
  return f;
}

/// The size in bytes of one core's L2 cache (cpuid leaf 0x80000006, ECX bits 31-16 in KiB,
/// which Intel and AMD both report), or `fallback` where the CPU does not say.
inline std::size_t l2_cache_bytes(std::size_t fallback = std::size_t(1) << 20) {
#ifdef DESCEND_X86
  unsigned r[4] = {0, 0, 0, 0};
  if (detail::cpuid(0x80000006u, 0, r) && (r[2] >> 16) != 0)
    return std::size_t(r[2] >> 16) << 10;
#endif
  return fallback;
}

}  // namespace descend
