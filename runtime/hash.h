// Deterministic bucketing, compatible with GrowthBook's hash version 2 so that a site moving
// its experiments keeps every visitor's assignment (SPEC §8).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace attune {

// 32-bit FNV-1a over the UTF-16 code units (as JavaScript's charCodeAt sees them) of the
// concatenation of `parts`, each UTF-8. Invalid UTF-8 bytes count as U+FFFD.
uint32_t fnv1a32Utf16(std::initializer_list<std::string_view> parts);

// GrowthBook v2: fnv1a32(String(fnv1a32(seed + id))) % 10000 / 10000, in [0, 1).
// `seedSuffix` is appended to the seed ("/holdout" for holdout membership, SPEC §8).
double hashBucket(std::string_view seed, std::string_view id, std::string_view seedSuffix = {});

}  // namespace attune
