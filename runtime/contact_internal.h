// Helpers shared by the two halves of the contact rules: contact.cpp (finishing rules,
// recording, bytes, tokens: cold, built for size in Wasm) and contact_check.cpp (the check on
// the decision path: hot, built for speed). Not part of the runtime's interface.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "contact.h"

// Cold code on the decision path: out of line, placed apart and built for size (clang's
// minsize also in the -O3 Wasm build), so the hot code around it stays small and fast.
#if defined(__clang__)
#define ATTUNE_COLD __attribute__((cold, minsize, noinline))
#elif defined(__GNUC__)
#define ATTUNE_COLD __attribute__((cold, noinline))
#else
#define ATTUNE_COLD
#endif

namespace attune {
namespace contact_detail {

constexpr double kMinuteMs = 60000.0;
constexpr double kHourMs = 3600000.0;
constexpr double kDayMs = 86400000.0;
constexpr uint32_t kNoChannel = 0xFFFFFFFFu;
constexpr uint32_t kNotFound = 0xFFFFFFFFu;

inline bool windowed(CapPeriod period) {
  return period != CapPeriod::Lifetime;
}

inline const char* scopeName(CapScope scope) {
  switch (scope) {
    case CapScope::Global:
      return "global";
    case CapScope::Channel:
      return "channel";
    case CapScope::Placement:
      return "placement";
    case CapScope::Campaign:
      return "campaign";
  }
  return "?";
}

// max × multiplier, floored, never below max. Windowed caps cannot count beyond the kept
// timestamps, so they stop there (finishContactRules sized `keep` for the largest multiplier
// the config allows: this only bites a caller passing a larger one).
inline uint64_t effectiveMax(uint32_t max, double multiplier, bool isWindowed, size_t keep) {
  uint64_t limit = max;
  if (multiplier > 1 && std::isfinite(multiplier)) {
    double scaled = std::floor(static_cast<double>(max) * multiplier);
    if (scaled >= 4294967295.0) {
      limit = 4294967295u;
    } else if (scaled > static_cast<double>(limit)) {
      limit = static_cast<uint64_t>(scaled);
    }
  }
  if (isWindowed) limit = std::min<uint64_t>(limit, std::max<uint64_t>(max, keep));
  return limit;
}

// The slot of `key` in ContactRules::keySlots: contact keys are FNV-1a hashes already, so
// their bits are well mixed; the fold only brings the high half into small tables.
inline uint32_t keySlot(uint32_t key, uint32_t mask) {
  return (key ^ (key >> 16)) & mask;
}

// Probes a key table (ContactRules::keySlots) for `key`: the campaign's index or kNotFound.
// Open addressing with linear probing; the table is at most half full, so a miss ends at an
// empty slot within a few steps.
inline uint32_t probeKey(const uint32_t* slots, uint32_t mask,
                         const CampaignContactRules* campaigns, size_t campaignCount,
                         uint32_t key) {
  // finishContactRules leaves at least half the slots empty, so every probe sequence ends.
  for (uint32_t s = keySlot(key, mask);; s = (s + 1) & mask) {
    const uint32_t index = slots[s];
    if (index >= campaignCount) return kNotFound;  // an empty slot (or a stale table)
    if (campaigns[index].key == key) return index;
  }
}

inline bool hasKeyTable(const ContactRules& rules) {
  return !rules.keySlots.empty() && rules.keySlots.size() == size_t{rules.keyMask} + 1;
}

// The config's index of the campaign with this key, or kNotFound (a campaign since removed).
inline uint32_t campaignOfKey(const ContactRules& rules, uint32_t key) {
  if (hasKeyTable(rules)) {
    return probeKey(rules.keySlots.data(), rules.keyMask, rules.campaigns.data(),
                    rules.campaigns.size(), key);
  }
  auto it = std::lower_bound(
      rules.byKey.begin(), rules.byKey.end(), key,
      [&rules](uint32_t index, uint32_t k) { return rules.campaigns[index].key < k; });
  return it != rules.byKey.end() && rules.campaigns[*it].key == key ? *it : kNotFound;
}

inline bool capApplies(const CapRule& cap, const CampaignContactRules& c, uint32_t campaign) {
  switch (cap.scope) {
    case CapScope::Global:
      return true;
    case CapScope::Channel:
      return c.channel != kNoChannel && cap.target == c.channel;
    case CapScope::Placement:
      return cap.target == c.placement;
    case CapScope::Campaign:
      return cap.target == campaign;
  }
  return false;
}

}  // namespace contact_detail
}  // namespace attune
