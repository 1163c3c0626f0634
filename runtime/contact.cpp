// Contact rules and decision tokens (contact.h): finishing the rules, recording, pruning, the
// byte form, tokens. The check on the decision path is contact_check.cpp.
//
// Byte form of a history (encodeContacts), format 1. Integers are LEB128 varints (canonical:
// no redundant trailing groups), times whole milliseconds since the epoch (0: never):
//
//   u8 format (1)
//   varint campaign count (≤ kMaxContactCampaigns), then per campaign, keys ascending:
//     fixed32 key (little-endian)
//     varint lifetimeImpressions, varint lifetimeClicks, varint impressionsSinceClick
//     varint lastMs, varint lastDismissMs
//     impressions, then clicks: varint count (≤ kMaxKeptContacts), the first time, then
//                               the gap to each next one (≥ 0: times ascend)
//   varint totalImpressions, varint totalClicks
//   varint sessionStartMs, varint lastContactMs
//   varint tokenFloor
//   varint used token count (≤ kMaxUsedTokens), then per token:
//     varint gap (nonce − previous nonce − 1, the first from tokenFloor), u8 kinds (1–15)
//
// Decoding treats the bytes as hostile (a visitor can rewrite their cookie) and checks every
// bound and every invariant the rest of this file relies on.
#include "contact.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "byte_writer.h"
#include "contact_internal.h"
#include "local_time.h"

namespace attune {

namespace {

using namespace contact_detail;

constexpr uint8_t kContactFormat = 1;

// ---- Recording ----------------------------------------------------------------------------------

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void trimFront(std::vector<double>& times, size_t keep) {
  if (times.size() > keep)
    times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(keep));
}

// Keeps the `keep` most recent times, ascending, with `t` among them if it is recent enough.
void keepRecent(std::vector<double>& times, double t, size_t keep) {
  if (keep == 0) {
    times.clear();
    return;
  }
  if (times.size() >= keep && t < times.front()) {
    trimFront(times, keep);
    return;
  }
  times.insert(std::upper_bound(times.begin(), times.end(), t), t);
  trimFront(times, keep);
}

void resetEntry(CampaignContacts& e, uint32_t key) {
  e.key = key;
  e.lifetimeImpressions = 0;
  e.lifetimeClicks = 0;
  e.impressionsSinceClick = 0;
  e.lastMs = 0;
  e.lastDismissMs = 0;
  e.impressions.clear();
  e.clicks.clear();
}

// The entry for `key`, created if needed. A full history forgets its least recently
// contacted campaign and reuses that slot (and its buffers).
CampaignContacts& entryFor(ContactHistory& history, uint32_t key) {
  std::vector<CampaignContacts>& v = history.campaigns;
  auto it = std::lower_bound(v.begin(), v.end(), key,
                             [](const CampaignContacts& e, uint32_t k) { return e.key < k; });
  size_t pos = static_cast<size_t>(it - v.begin());
  if (it != v.end() && it->key == key) return *it;
  if (v.size() < kMaxContactCampaigns) {
    v.insert(it, CampaignContacts{});
    v[pos].key = key;
    return v[pos];
  }
  size_t lru = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i].lastMs < v[lru].lastMs) lru = i;
  }
  resetEntry(v[lru], key);
  if (lru < pos) {
    std::rotate(v.begin() + static_cast<std::ptrdiff_t>(lru),
                v.begin() + static_cast<std::ptrdiff_t>(lru) + 1,
                v.begin() + static_cast<std::ptrdiff_t>(pos));
    --pos;
  } else if (pos < lru) {
    std::rotate(v.begin() + static_cast<std::ptrdiff_t>(pos),
                v.begin() + static_cast<std::ptrdiff_t>(lru),
                v.begin() + static_cast<std::ptrdiff_t>(lru) + 1);
  }
  return v[pos];
}

// ---- Bytes --------------------------------------------------------------------------------------

void putVarint(uint64_t v, std::string& out) {
  ByteWriter(out).varint(v);
}

uint64_t wholeMs(double ms) {
  return ms > 0 && std::isfinite(ms) ? static_cast<uint64_t>(std::floor(ms)) : 0;
}

void putTimes(const std::vector<double>& times, std::string& out) {
  putVarint(times.size(), out);
  uint64_t previous = 0;
  for (double t : times) {
    uint64_t ms = wholeMs(t);
    putVarint(ms - previous, out);
    previous = ms;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool byte(uint8_t& v) {
    if (p_ == end_) return false;
    v = *p_++;
    return true;
  }
  bool fixed32(uint32_t& v) {
    if (left() < 4) return false;
    v = static_cast<uint32_t>(p_[0]) | static_cast<uint32_t>(p_[1]) << 8 |
        static_cast<uint32_t>(p_[2]) << 16 | static_cast<uint32_t>(p_[3]) << 24;
    p_ += 4;
    return true;
  }
  // Canonical LEB128 only, so one history has one byte form.
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return malformed();
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return b != 0 || shift == 0 || malformed();
    }
    return false;
  }
  // Why the last read failed.
  const char* problem() const { return malformed_ ? "malformed number" : "truncated"; }

 private:
  bool malformed() {
    malformed_ = true;
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool malformed_ = false;
};

bool fail(std::string& error, const std::string& message) {
  error = "contacts: " + message;
  return false;
}

// "" on success, else what was wrong.
const char* readTime(Reader& r, double& out, bool allowNever) {
  uint64_t v;
  if (!r.varint(v)) return r.problem();
  if (v > static_cast<uint64_t>(kMaxContactTimeMs) || (v == 0 && !allowNever)) {
    return "out of range";
  }
  out = static_cast<double>(v);
  return "";
}

// "" on success, else what was wrong.
const char* readTimes(Reader& r, std::vector<double>& out) {
  uint64_t n;
  if (!r.varint(n)) return r.problem();
  if (n > kMaxKeptContacts) return "more timestamps than kept";
  if (n > r.left()) return "truncated";
  out.reserve(n);
  uint64_t t = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t gap;
    if (!r.varint(gap)) return r.problem();
    if (gap > static_cast<uint64_t>(kMaxContactTimeMs) - t) return "time out of range";
    t += gap;
    if (t == 0) return "time out of range";
    out.push_back(static_cast<double>(t));
  }
  return "";
}

// ---- SipHash-2-4 --------------------------------------------------------------------------------

uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

class SipHasher {
 public:
  SipHasher(uint64_t k0, uint64_t k1)
      : v0_(k0 ^ 0x736f6d6570736575ull),
        v1_(k1 ^ 0x646f72616e646f6dull),
        v2_(k0 ^ 0x6c7967656e657261ull),
        v3_(k1 ^ 0x7465646279746573ull) {}

  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      tail_ |= static_cast<uint64_t>(c) << (8 * (length_ & 7));
      if ((++length_ & 7) == 0) {
        compress(tail_);
        tail_ = 0;
      }
    }
  }
  void addU64(uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
    add(std::string_view(bytes, 8));
  }
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  void addField(std::string_view bytes) {
    addU64(bytes.size());
    add(bytes);
  }
  uint64_t finish() {
    uint64_t b = (static_cast<uint64_t>(length_) << 56) | tail_;
    v3_ ^= b;
    round();
    round();
    v0_ ^= b;
    v2_ ^= 0xff;
    for (int i = 0; i < 4; ++i) round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

 private:
  void round() {
    v0_ += v1_;
    v1_ = rotl(v1_, 13);
    v1_ ^= v0_;
    v0_ = rotl(v0_, 32);
    v2_ += v3_;
    v3_ = rotl(v3_, 16);
    v3_ ^= v2_;
    v0_ += v3_;
    v3_ = rotl(v3_, 21);
    v3_ ^= v0_;
    v2_ += v1_;
    v1_ = rotl(v1_, 17);
    v1_ ^= v2_;
    v2_ = rotl(v2_, 32);
  }
  void compress(uint64_t m) {
    v3_ ^= m;
    round();
    round();
    v0_ ^= m;
  }

  uint64_t v0_, v1_, v2_, v3_;
  uint64_t tail_ = 0;
  uint64_t length_ = 0;
};

// Strict unsigned decimal: 1–10 digits, no leading zero, at most 0xFFFFFFFE.
bool parseIndex(std::string_view s, uint32_t& out) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= 0xFFFFFFFFull) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

bool parseHex(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

void appendDecimal(uint64_t v, std::string& out) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  out.append(digits + i, sizeof digits - i);
}

void appendHex(uint64_t v, int minDigits, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  char digits[16];
  int n = 0;
  do {
    digits[15 - n++] = kHex[v & 15];
    v >>= 4;
  } while (v || n < minDigits);
  out.append(digits + 16 - n, static_cast<size_t>(n));
}

}  // namespace

// ---- Rules --------------------------------------------------------------------------------------

uint32_t contactKey(std::string_view campaignId) {
  uint32_t h = 2166136261u;
  for (unsigned char c : campaignId) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

bool finishContactRules(ContactRules& rules, double largestMultiplier, std::string& error) {
  if (!(largestMultiplier >= 1) || !std::isfinite(largestMultiplier)) {
    error = "largest cap multiplier must be a finite number of at least 1";
    return false;
  }
  if (!(rules.sessionTimeoutMs > 0) || !std::isfinite(rules.sessionTimeoutMs)) {
    error = "session timeout must be a positive duration";
    return false;
  }
  const size_t channels = rules.channelNames.size();
  const size_t placements = rules.placementNames.size();
  const size_t campaigns = rules.campaigns.size();
  if (rules.quietHours.size() > channels) {
    error = "quiet hours given for more channels than there are";
    return false;
  }
  size_t needed = 0;
  for (size_t i = 0; i < rules.caps.size(); ++i) {
    const CapRule& cap = rules.caps[i];
    std::string at = "caps[" + std::to_string(i) + "]: ";
    size_t targets = cap.scope == CapScope::Channel     ? channels
                     : cap.scope == CapScope::Placement ? placements
                                                        : campaigns;
    if (cap.scope != CapScope::Global && cap.target >= targets) {
      error = at + scopeName(cap.scope) + " " + std::to_string(cap.target) + " does not exist";
      return false;
    }
    if (cap.max < 1) {
      error = at + "max must be at least 1";
      return false;
    }
    if (cap.period == CapPeriod::Rolling &&
        (!(cap.rollingMs >= 1000) || !(cap.rollingMs <= 3650 * kDayMs))) {
      error = at + "a rolling window must last from 1s to 3650d";
      return false;
    }
    if (windowed(cap.period)) {
      uint64_t limit = effectiveMax(cap.max, largestMultiplier, false, 0);
      if (limit > kMaxKeptContacts) {
        error = at + "max " + std::to_string(cap.max);
        if (limit != cap.max) error += " with multiplier up to " + std::to_string(limit);
        error += " needs more than " + std::to_string(kMaxKeptContacts) +
                 " kept contacts per campaign; use a lower max or a lifetime cap";
        return false;
      }
      needed = std::max<size_t>(needed, limit);
    }
  }
  bool anyCampaignRule = false;
  for (size_t i = 0; i < campaigns; ++i) {
    const CampaignContactRules& c = rules.campaigns[i];
    std::string at = "campaigns[" + std::to_string(i) + "]: ";
    if (c.placement >= placements) {
      error = at + "placement " + std::to_string(c.placement) + " does not exist";
      return false;
    }
    if (c.channel != kNoChannel && c.channel >= channels) {
      error = at + "channel " + std::to_string(c.channel) + " does not exist";
      return false;
    }
    if (c.fatigueImpressions > 0) {
      if (c.fatigueImpressions > kMaxKeptContacts) {
        error = at + "fatigue impressions must be at most " + std::to_string(kMaxKeptContacts);
        return false;
      }
      if (!(c.fatigueSuppressMs > 0) || !std::isfinite(c.fatigueSuppressMs)) {
        error = at + "fatigue needs a positive suppression period";
        return false;
      }
      needed = std::max<size_t>(needed, c.fatigueImpressions);
      anyCampaignRule = true;
    }
    if (!(c.cooldownAfterDismissMs >= 0) || !std::isfinite(c.cooldownAfterDismissMs)) {
      error = at + "cooldownAfterDismiss must be a non-negative duration";
      return false;
    }
    if (c.cooldownAfterDismissMs > 0) anyCampaignRule = true;
  }
  bool anyQuiet = false;
  for (size_t i = 0; i < rules.quietHours.size(); ++i) {
    const QuietHours& q = rules.quietHours[i];
    if (q.fromMinute == -1 && q.toMinute == -1) continue;
    if (q.fromMinute < 0 || q.fromMinute >= 1440 || q.toMinute < 0 || q.toMinute > 1440 ||
        q.fromMinute == q.toMinute) {
      error = "quietHours[" + std::to_string(i) +
              "]: from must be 00:00–23:59, to 00:00–24:00, and they must differ";
      return false;
    }
    anyQuiet = true;
  }
  rules.byKey.resize(campaigns);
  for (size_t i = 0; i < campaigns; ++i) rules.byKey[i] = static_cast<uint32_t>(i);
  std::sort(rules.byKey.begin(), rules.byKey.end(), [&rules](uint32_t a, uint32_t b) {
    return rules.campaigns[a].key < rules.campaigns[b].key ||
           (rules.campaigns[a].key == rules.campaigns[b].key && a < b);
  });
  for (size_t i = 1; i < campaigns; ++i) {
    uint32_t a = rules.byKey[i - 1], b = rules.byKey[i];
    if (rules.campaigns[a].key == rules.campaigns[b].key) {
      error = "campaigns[" + std::to_string(a) + "] and campaigns[" + std::to_string(b) +
              "] have the same contact key; rename one";
      return false;
    }
  }
  std::stable_sort(rules.caps.begin(), rules.caps.end(),
                   [](const CapRule& a, const CapRule& b) { return a.scope < b.scope; });
  // Per campaign, the caps that apply, in check order: each cap visits only its campaigns.
  std::vector<std::vector<uint32_t>> byChannel(channels), byPlacement(placements);
  for (uint32_t i = 0; i < campaigns; ++i) {
    const CampaignContactRules& c = rules.campaigns[i];
    if (c.channel != kNoChannel) byChannel[c.channel].push_back(i);
    byPlacement[c.placement].push_back(i);
  }
  std::vector<std::vector<uint32_t>> applying(campaigns);
  for (uint32_t k = 0; k < rules.caps.size(); ++k) {
    const CapRule& cap = rules.caps[k];
    switch (cap.scope) {
      case CapScope::Global:
        for (std::vector<uint32_t>& list : applying) list.push_back(k);
        break;
      case CapScope::Channel:
        for (uint32_t i : byChannel[cap.target]) applying[i].push_back(k);
        break;
      case CapScope::Placement:
        for (uint32_t i : byPlacement[cap.target]) applying[i].push_back(k);
        break;
      case CapScope::Campaign:
        applying[cap.target].push_back(k);
        break;
    }
  }
  rules.capsOf.clear();
  rules.capsOfStart.assign(1, 0);
  rules.sharedCapCount.assign(campaigns, 0);
  rules.ownImpressionCapMin.assign(campaigns, UINT32_MAX);
  for (uint32_t i = 0; i < campaigns; ++i) {
    for (uint32_t k : applying[i]) {
      const CapRule& cap = rules.caps[k];
      if (cap.scope != CapScope::Campaign) {
        ++rules.sharedCapCount[i];
      } else if (cap.count == CapCount::Impression) {
        rules.ownImpressionCapMin[i] = std::min(rules.ownImpressionCapMin[i], cap.max);
      }
    }
    rules.capsOf.insert(rules.capsOf.end(), applying[i].begin(), applying[i].end());
    rules.capsOfStart.push_back(static_cast<uint32_t>(rules.capsOf.size()));
  }
  rules.sharedCaps = 0;
  while (rules.sharedCaps < rules.caps.size() &&
         rules.caps[rules.sharedCaps].scope != CapScope::Campaign) {
    ++rules.sharedCaps;
  }
  rules.familyOf.assign(rules.caps.size(), kNoFamily);
  std::vector<std::vector<uint32_t>> families;
  for (uint32_t k = 0; k < rules.caps.size(); ++k) {
    const CapRule& cap = rules.caps[k];
    if (cap.scope != CapScope::Channel && cap.scope != CapScope::Placement) continue;
    for (uint32_t f = 0; f < families.size() && rules.familyOf[k] == kNoFamily; ++f) {
      const CapRule& head = rules.caps[families[f][0]];
      if (head.scope == cap.scope && head.period == cap.period && head.count == cap.count &&
          head.rollingMs == cap.rollingMs) {
        families[f].push_back(k);
        rules.familyOf[k] = f;
      }
    }
    if (rules.familyOf[k] == kNoFamily) {
      rules.familyOf[k] = static_cast<uint32_t>(families.size());
      families.push_back({k});
    }
  }
  rules.familyCaps.clear();
  rules.familyStart.assign(1, 0);
  for (const std::vector<uint32_t>& f : families) {
    rules.familyCaps.insert(rules.familyCaps.end(), f.begin(), f.end());
    rules.familyStart.push_back(static_cast<uint32_t>(rules.familyCaps.size()));
  }
  // The key table: a power of two at least twice the campaigns, so probes stay short.
  size_t slots = 2;
  while (slots < 2 * campaigns) slots *= 2;
  rules.keySlots.assign(slots, kNotFound);
  rules.keyMask = static_cast<uint32_t>(slots - 1);
  for (uint32_t i = 0; i < campaigns; ++i) {
    uint32_t s = keySlot(rules.campaigns[i].key, rules.keyMask);
    while (rules.keySlots[s] != kNotFound) s = (s + 1) & rules.keyMask;
    rules.keySlots[s] = i;
  }
  rules.keepPerCampaign = needed;
  rules.any = !rules.caps.empty() || anyCampaignRule || anyQuiet;
  return true;
}

// ---- Recording ----------------------------------------------------------------------------------

void ContactHistory::clear() {
  campaigns.clear();
  totalImpressions = 0;
  totalClicks = 0;
  sessionStartMs = 0;
  lastContactMs = 0;
  usedTokens.clear();
  tokenFloor = 0;
}

const char* recordOutcomeName(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::Recorded:
      return "recorded";
    case RecordOutcome::Replayed:
      return "replayed";
    case RecordOutcome::Stale:
      return "stale";
    case RecordOutcome::InvalidTime:
      return "invalid_time";
    case RecordOutcome::UnknownCampaign:
      return "unknown_campaign";
  }
  return "?";
}

RecordOutcome tokenOutcome(const ContactHistory& history, uint64_t tokenNonce, ContactKind kind,
                           StaleTokens stale) {
  if (tokenNonce == 0) return RecordOutcome::Recorded;
  if (tokenNonce <= history.tokenFloor)
    return stale == StaleTokens::Refuse ? RecordOutcome::Stale : RecordOutcome::Recorded;
  const std::vector<UsedToken>& used = history.usedTokens;
  auto it = std::lower_bound(used.begin(), used.end(), tokenNonce,
                             [](const UsedToken& u, uint64_t n) { return u.nonce < n; });
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<unsigned>(kind));
  if (it != used.end() && it->nonce == tokenNonce && (it->kinds & bit))
    return RecordOutcome::Replayed;
  return RecordOutcome::Recorded;
}

RecordOutcome consumeToken(ContactHistory& history, uint64_t tokenNonce, ContactKind kind,
                           StaleTokens stale) {
  RecordOutcome outcome = tokenOutcome(history, tokenNonce, kind, stale);
  if (outcome != RecordOutcome::Recorded || tokenNonce == 0 || tokenNonce <= history.tokenFloor)
    return outcome;
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<unsigned>(kind));
  std::vector<UsedToken>& used = history.usedTokens;
  auto it = std::lower_bound(used.begin(), used.end(), tokenNonce,
                             [](const UsedToken& u, uint64_t n) { return u.nonce < n; });
  if (it != used.end() && it->nonce == tokenNonce) {
    it->kinds |= bit;
  } else {
    used.insert(it, UsedToken{tokenNonce, bit});
    if (used.size() > kMaxUsedTokens) {
      // Forget a batch at once (amortised); the floor keeps them all refused.
      size_t drop = std::min(kUsedTokenEvictBatch, used.size());
      history.tokenFloor = used[drop - 1].nonce;
      used.erase(used.begin(), used.begin() + static_cast<std::ptrdiff_t>(drop));
    }
  }
  return RecordOutcome::Recorded;
}

RecordOutcome recordContact(ContactHistory& history, const ContactRules& rules, uint32_t campaign,
                            ContactKind kind, uint64_t tokenNonce, double nowMs,
                            StaleTokens stale) {
  if (campaign >= rules.campaigns.size()) return RecordOutcome::UnknownCampaign;
  if (!std::isfinite(nowMs)) return RecordOutcome::InvalidTime;
  const double t = std::floor(nowMs);
  if (!(t >= 1 && t <= kMaxContactTimeMs)) return RecordOutcome::InvalidTime;
  RecordOutcome token = consumeToken(history, tokenNonce, kind, stale);
  if (token != RecordOutcome::Recorded) return token;
  if (kind == ContactKind::Conversion) return RecordOutcome::Recorded;

  CampaignContacts& e = entryFor(history, rules.campaigns[campaign].key);
  switch (kind) {
    case ContactKind::Impression:
      keepRecent(e.impressions, t, rules.keepPerCampaign);
      e.lifetimeImpressions = saturatingAdd(e.lifetimeImpressions, 1);
      e.impressionsSinceClick = saturatingAdd(e.impressionsSinceClick, 1);
      history.totalImpressions = saturatingAdd(history.totalImpressions, 1);
      break;
    case ContactKind::Click:
      keepRecent(e.clicks, t, rules.keepPerCampaign);
      e.lifetimeClicks = saturatingAdd(e.lifetimeClicks, 1);
      e.impressionsSinceClick = 0;
      history.totalClicks = saturatingAdd(history.totalClicks, 1);
      break;
    case ContactKind::Dismiss:
      e.lastDismissMs = std::max(e.lastDismissMs, t);
      break;
    case ContactKind::Conversion:
      break;
  }
  e.lastMs = std::max(e.lastMs, t);
  if (history.lastContactMs == 0 || t - history.lastContactMs > rules.sessionTimeoutMs) {
    history.sessionStartMs = t;
  }
  history.lastContactMs = std::max(history.lastContactMs, t);
  return RecordOutcome::Recorded;
}

void pruneContacts(ContactHistory& history, const ContactRules& rules, double nowMs,
                   size_t maxTokens) {
  if (std::isfinite(nowMs)) {
    double horizon = 0;
    bool sessionCap = false;
    for (const CapRule& cap : rules.caps) {
      switch (cap.period) {
        case CapPeriod::Rolling:
          horizon = std::max(horizon, cap.rollingMs);
          break;
        case CapPeriod::Day:
          horizon = std::max(horizon, kDayMs);
          break;
        case CapPeriod::Week:
          horizon = std::max(horizon, 7 * kDayMs);
          break;
        case CapPeriod::Session:
          sessionCap = true;
          break;
        case CapPeriod::Lifetime:
          break;
      }
    }
    for (const CampaignContactRules& c : rules.campaigns) {
      if (c.fatigueImpressions > 0) horizon = std::max(horizon, c.fatigueSuppressMs);
    }
    // Times at or before `cut` can no longer count anywhere: the current local day (week)
    // began less than 24 hours (7 days) ago whatever the visitor's offset, now or later.
    double cut = nowMs - horizon;
    if (sessionCap && history.lastContactMs > 0 &&
        nowMs - history.lastContactMs <= rules.sessionTimeoutMs) {
      cut = std::min(cut, history.sessionStartMs - 1);
    }
    auto dropOld = [cut](std::vector<double>& times) {
      times.erase(times.begin(), std::upper_bound(times.begin(), times.end(), cut));
    };
    auto stillRead = [&](const CampaignContacts& e) {
      if (!e.impressions.empty() || !e.clicks.empty()) return true;
      uint32_t index = campaignOfKey(rules, e.key);
      if (index == kNotFound) return false;
      const CampaignContactRules& c = rules.campaigns[index];
      if (c.fatigueImpressions > 0 && e.impressionsSinceClick > 0) return true;
      if (c.cooldownAfterDismissMs > 0 && e.lastDismissMs > 0 &&
          nowMs < e.lastDismissMs + c.cooldownAfterDismissMs) {
        return true;
      }
      for (const CapRule& cap : rules.caps) {
        if (cap.period == CapPeriod::Lifetime && cap.scope != CapScope::Global &&
            capApplies(cap, c, index)) {
          return true;
        }
      }
      return false;
    };
    for (CampaignContacts& e : history.campaigns) {
      dropOld(e.impressions);
      dropOld(e.clicks);
    }
    history.campaigns.erase(
        std::remove_if(history.campaigns.begin(), history.campaigns.end(),
                       [&](const CampaignContacts& e) { return !stillRead(e); }),
        history.campaigns.end());
  }
  std::vector<UsedToken>& used = history.usedTokens;
  if (used.size() > maxTokens) {
    size_t drop = used.size() - maxTokens;
    history.tokenFloor = used[drop - 1].nonce;
    used.erase(used.begin(), used.begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

// ---- Bytes --------------------------------------------------------------------------------------

void encodeContacts(const ContactHistory& history, std::string& out) {
  out.clear();
  out += static_cast<char>(kContactFormat);
  putVarint(history.campaigns.size(), out);
  for (const CampaignContacts& e : history.campaigns) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>(e.key >> (8 * i));
    putVarint(e.lifetimeImpressions, out);
    putVarint(e.lifetimeClicks, out);
    putVarint(e.impressionsSinceClick, out);
    putVarint(wholeMs(e.lastMs), out);
    putVarint(wholeMs(e.lastDismissMs), out);
    putTimes(e.impressions, out);
    putTimes(e.clicks, out);
  }
  putVarint(history.totalImpressions, out);
  putVarint(history.totalClicks, out);
  putVarint(wholeMs(history.sessionStartMs), out);
  putVarint(wholeMs(history.lastContactMs), out);
  putVarint(history.tokenFloor, out);
  putVarint(history.usedTokens.size(), out);
  uint64_t previous = history.tokenFloor;
  for (const UsedToken& u : history.usedTokens) {
    putVarint(u.nonce - previous - 1, out);
    out += static_cast<char>(u.kinds);
    previous = u.nonce;
  }
}

bool decodeContacts(std::string_view bytes, ContactHistory& out, std::string& error) {
  out.clear();
  error.clear();
  auto bad = [&](const std::string& message) {
    out.clear();
    return fail(error, message);
  };
  Reader r(bytes);
  uint8_t format;
  if (!r.byte(format)) return bad("empty");
  if (format != kContactFormat) return bad("unknown format " + std::to_string(format));
  uint64_t count;
  if (!r.varint(count)) return bad(r.problem());
  if (count > kMaxContactCampaigns) return bad("more than 256 campaigns");
  if (count * 9 > r.left()) return bad("truncated");  // every campaign takes at least 9 bytes
  out.campaigns.resize(count);
  uint64_t sumImpressions = 0, sumClicks = 0;
  double latest = 0;
  for (uint64_t i = 0; i < count; ++i) {
    CampaignContacts& e = out.campaigns[i];
    std::string at = "campaign " + std::to_string(i) + ": ";
    if (!r.fixed32(e.key)) return bad("truncated");
    if (i > 0 && e.key <= out.campaigns[i - 1].key) return bad(at + "keys not ascending");
    if (!r.varint(e.lifetimeImpressions) || !r.varint(e.lifetimeClicks) ||
        !r.varint(e.impressionsSinceClick)) {
      return bad(at + "counters: " + r.problem());
    }
    if (const char* problem = readTime(r, e.lastMs, false); *problem) {
      return bad(at + "last contact time: " + problem);
    }
    if (const char* problem = readTime(r, e.lastDismissMs, true); *problem) {
      return bad(at + "dismissal time: " + problem);
    }
    if (const char* problem = readTimes(r, e.impressions); *problem) {
      return bad(at + "impressions: " + problem);
    }
    if (const char* problem = readTimes(r, e.clicks); *problem) {
      return bad(at + "clicks: " + problem);
    }
    if (e.impressions.size() > e.lifetimeImpressions || e.clicks.size() > e.lifetimeClicks) {
      return bad(at + "more timestamps than lifetime contacts");
    }
    if (e.impressionsSinceClick > e.lifetimeImpressions) {
      return bad(at + "fatigue streak above lifetime impressions");
    }
    if ((!e.impressions.empty() && e.impressions.back() > e.lastMs) ||
        (!e.clicks.empty() && e.clicks.back() > e.lastMs) || e.lastDismissMs > e.lastMs) {
      return bad(at + "a contact after its last contact time");
    }
    if (e.lifetimeImpressions > UINT64_MAX - sumImpressions ||
        e.lifetimeClicks > UINT64_MAX - sumClicks) {
      return bad(at + "counter overflow");
    }
    sumImpressions += e.lifetimeImpressions;
    sumClicks += e.lifetimeClicks;
    latest = std::max(latest, e.lastMs);
  }
  if (!r.varint(out.totalImpressions) || !r.varint(out.totalClicks)) return bad(r.problem());
  if (out.totalImpressions < sumImpressions || out.totalClicks < sumClicks) {
    return bad("totals below the campaigns' lifetime counts");
  }
  if (const char* problem = readTime(r, out.sessionStartMs, true); *problem) {
    return bad(std::string("session start: ") + problem);
  }
  if (const char* problem = readTime(r, out.lastContactMs, true); *problem) {
    return bad(std::string("last contact time: ") + problem);
  }
  if ((out.sessionStartMs == 0) != (out.lastContactMs == 0) ||
      out.sessionStartMs > out.lastContactMs || out.lastContactMs < latest) {
    return bad("session times inconsistent with the contacts");
  }
  uint64_t tokens;
  if (!r.varint(out.tokenFloor) || !r.varint(tokens)) return bad(r.problem());
  if (tokens > kMaxUsedTokens) return bad("more than 512 used tokens");
  if (tokens * 2 > r.left()) return bad("truncated");
  out.usedTokens.resize(tokens);
  uint64_t previous = out.tokenFloor;
  for (uint64_t i = 0; i < tokens; ++i) {
    uint64_t gap;
    uint8_t kinds;
    if (!r.varint(gap) || !r.byte(kinds)) return bad(r.problem());
    if (previous == UINT64_MAX || gap > UINT64_MAX - previous - 1) {
      return bad("token " + std::to_string(i) + ": nonce out of range");
    }
    previous += gap + 1;
    if (kinds == 0 || kinds > 15) return bad("token " + std::to_string(i) + ": bad kinds");
    out.usedTokens[i] = UsedToken{previous, kinds};
  }
  if (r.left()) {
    return bad(std::to_string(r.left()) + (r.left() == 1 ? " trailing byte" : " trailing bytes"));
  }
  return true;
}

// ---- Tokens -------------------------------------------------------------------------------------

uint64_t sipHash24(uint64_t k0, uint64_t k1, std::string_view bytes) {
  SipHasher h(k0, k1);
  h.add(bytes);
  return h.finish();
}

TokenSecret deriveTokenSecret(std::string_view secretText) {
  TokenSecret base;
  TokenSecret key;
  key.k0 = sipHash24(base.k0, base.k1, secretText);
  key.k1 = sipHash24(base.k1, base.k0, secretText);
  return key;
}

uint64_t makeNonce(double nowMs, uint32_t entropy) {
  const double kLastMs = 17592186044415.0;  // 2^44 − 1: the year 2527
  uint64_t ms = 0;
  if (nowMs > 0 && !std::isnan(nowMs)) {
    ms = static_cast<uint64_t>(std::min(std::floor(nowMs), kLastMs));
  }
  uint64_t nonce = ms << 20 | (entropy & 0xFFFFFu);
  return nonce ? nonce : 1;
}

uint64_t tokenCheck(const TokenSecret& secret, std::string_view visitorId,
                    std::string_view campaignId, std::string_view variantId, uint64_t nonce) {
  SipHasher h(secret.k0, secret.k1);
  h.addField("attune-token-2");
  h.addField(visitorId);
  h.addField(campaignId);
  h.addField(variantId);
  h.addU64(nonce);
  return h.finish();
}

void appendToken(const DecisionToken& token, std::string& out) {
  out += "t2.";
  appendDecimal(token.campaign, out);
  out += '.';
  if (token.variant == kHoldoutVariant) {
    out += 'h';
  } else {
    appendDecimal(token.variant, out);
  }
  out += '.';
  appendHex(token.nonce, 1, out);
  out += '.';
  appendHex(token.check, 16, out);
}

bool parseToken(std::string_view text, DecisionToken& out) {
  if (text.size() > kMaxTokenBytes || text.substr(0, 3) != "t2.") return false;
  std::string_view parts[4];
  std::string_view rest = text.substr(3);
  for (int i = 0; i < 4; ++i) {
    size_t dot = rest.find('.');
    if ((dot == std::string_view::npos) != (i == 3)) return false;
    parts[i] = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  DecisionToken t;
  if (!parseIndex(parts[0], t.campaign)) return false;
  if (parts[1] == "h") {
    t.variant = kHoldoutVariant;
  } else if (!parseIndex(parts[1], t.variant)) {
    return false;
  }
  if (parts[2].size() > 1 && parts[2][0] == '0') return false;
  if (!parseHex(parts[2], t.nonce) || t.nonce == 0) return false;
  if (parts[3].size() != 16 || !parseHex(parts[3], t.check)) return false;
  out = t;
  return true;
}

bool tokenAuthentic(const DecisionToken& token, const TokenSecret& secret,
                    std::string_view visitorId, std::string_view campaignId,
                    std::string_view variantId) {
  return (tokenCheck(secret, visitorId, campaignId, variantId, token.nonce) ^ token.check) == 0;
}

// ---- Config helpers -----------------------------------------------------------------------------

bool parseCapScope(std::string_view text, CapScope& out) {
  static const CapScope kScopes[] = {CapScope::Global, CapScope::Channel, CapScope::Placement,
                                     CapScope::Campaign};
  for (CapScope s : kScopes) {
    if (text == scopeName(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

bool parseCapCount(std::string_view text, CapCount& out) {
  if (text == "impression") {
    out = CapCount::Impression;
  } else if (text == "click") {
    out = CapCount::Click;
  } else {
    return false;
  }
  return true;
}

bool parseCapPeriod(std::string_view text, CapPeriod& period, double& rollingMs) {
  rollingMs = 0;
  if (text == "day") {
    period = CapPeriod::Day;
  } else if (text == "week") {
    period = CapPeriod::Week;
  } else if (text == "session") {
    period = CapPeriod::Session;
  } else if (text == "lifetime") {
    period = CapPeriod::Lifetime;
  } else if (parseDuration(text, rollingMs)) {
    period = CapPeriod::Rolling;
  } else {
    return false;
  }
  return true;
}

}  // namespace attune
