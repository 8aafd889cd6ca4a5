#pragma once
// FastRandom: the worker-local generator behind randomised balancer choices (SplitMix64).
// A pick draws two or three numbers, so generation must cost a few instructions and never
// touch shared state or the kernel (std::random_device is a syscall on some platforms).

#include <cstdint>

namespace tidegate::upstream::lb {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) for bound > 0. Lemire's multiply-shift: no division, and a bias
  // below bound / 2^64, far under anything a balancer could notice.
  uint64_t below(uint64_t bound) {
    __extension__ using Wide = unsigned __int128;
    return uint64_t((Wide(next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace tidegate::upstream::lb
