// A stable 64-bit hash (FNV-1a, then a final avalanche): the same bytes give the same value in
// every process and build, so rate-limit counters can be named by it across replicas.
#pragma once

#include <cstdint>
#include <string_view>

namespace tollgate {

inline uint64_t Mix64(uint64_t h) {  // splitmix64 finaliser: spreads FNV's weak low bits
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

inline uint64_t StableHash(std::string_view data, uint64_t seed = 0xcbf29ce484222325ULL) {
  uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

// Combines two hashes, order-sensitive.
inline uint64_t HashCombine(uint64_t a, uint64_t b) {
  return Mix64(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

}  // namespace tollgate
