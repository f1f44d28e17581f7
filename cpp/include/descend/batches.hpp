#pragma once
/// Reproducible shuffling: a PRNG written here (std::shuffle and the std distributions differ
/// between standard libraries) and Fisher-Yates.
///
/// The generator is SplitMix64 (Steele, Lea and Flood 2014):
///   state += 0x9E3779B97F4A7C15;  z = state;
///   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
///   return z ^ (z >> 31)
/// Epoch e of a run with seed s starts from state = s ^ (e * 0xD1B54A32D192ED03). Fisher-Yates
/// then swaps, for i = n-1 down to 1, entry i with entry j = floor(r * (i + 1) / 2^64), r the
/// next 64-bit output. permutation(n, s, e) is what epoch e of a shuffled run walks, in
/// consecutive slices of batch_size.

#include <cstdint>
#include <numeric>
#include <vector>

#include "types.hpp"

namespace descend {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// floor(r * bound / 2^64): an index in [0, bound).
  std::uint64_t below(std::uint64_t bound) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  std::uint64_t state_;
};

/// Writes the permutation of 0..n-1 that epoch `epoch` of a run seeded with `seed` uses into
/// out[0..n).
inline void permutation_into(Index n, std::uint64_t seed, std::uint64_t epoch, Index* out) {
  std::iota(out, out + n, Index(0));
  SplitMix64 rng(seed ^ (epoch * 0xD1B54A32D192ED03ULL));
  for (Index i = n - 1; i > 0; --i) {
    const Index j = static_cast<Index>(rng.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(out[i], out[j]);
  }
}

/// The same into a vector (resized to n).
inline void permutation(Index n, std::uint64_t seed, std::uint64_t epoch, std::vector<Index>& out) {
  out.resize(static_cast<std::size_t>(n));
  permutation_into(n, seed, epoch, out.data());
}

}  // namespace descend
