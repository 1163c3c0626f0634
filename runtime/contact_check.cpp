// The contact check on the decision path (contact.h: contactAllowed). Kept apart from the rest
// of the contact rules because it is hot: built for speed where the rest is built for size,
// and shaped so that a page decision pays for the history once, not per candidate.
//
// Per instant (a ContactMemo, one per page decision): the window starts (local day, ISO week,
// session), the local minute, each history entry's campaign and each campaign's entry, and the
// count of every shared cap (global, channel, placement; channel and placement caps of one
// window counted together per family). Per candidate: its own entry by index, its caps'
// counts (its own caps from its entry; shared ones from the memo), the page's pending
// impressions in one pass, then fatigue, cooldown and quiet hours. Without a memo the same
// code computes the instant per call.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "contact.h"
#include "contact_internal.h"
#include "local_time.h"

namespace attune {

void ContactMemo::prepare(const ContactRules& rules) {
  generation.assign(rules.caps.size(), 0);
  count.assign(rules.caps.size(), 0);
  entryOf.assign(rules.campaigns.size(), 0);
  entryCampaign.assign(kMaxContactCampaigns, 0);  // a history's entries, without allocating
  perTarget.reserve(std::max(rules.channelNames.size(), rules.placementNames.size()));
  keptChannels = static_cast<uint32_t>(rules.channelNames.size());
  kept.assign(2 * (rules.channelNames.size() + rules.placementNames.size() + 1), 0);
  quietChannel.assign(rules.channelNames.size(), 0);
  current = 1;
  history = nullptr;
}

void ContactMemo::invalidate() {
  history = nullptr;
  if (++current == 0) {  // wrapped: forget every stamp
    std::fill(generation.begin(), generation.end(), 0);
    std::fill(entryOf.begin(), entryOf.end(), 0);
    current = 1;
  }
}

bool ContactMemo::sizedFor(const ContactRules& rules) const {
  return count.size() == rules.caps.size() && entryOf.size() == rules.campaigns.size() &&
         keptChannels == rules.channelNames.size() &&
         kept.size() == 2 * (rules.channelNames.size() + rules.placementNames.size() + 1) &&
         quietChannel.size() == rules.channelNames.size();
}

namespace {

using namespace contact_detail;

// ---- Reasons ------------------------------------------------------------------------------------

// Writes into a fixed buffer, never past it, always NUL-terminated; a cut never splits a
// UTF-8 sequence.
class WhyWriter {
 public:
  WhyWriter(char* buffer, size_t capacity) : buffer_(buffer), capacity_(buffer ? capacity : 0) {
    if (capacity_) buffer_[0] = 0;
  }
  void put(std::string_view s) {
    if (capacity_ == 0 || full_) return;
    size_t room = capacity_ - 1 - length_;
    size_t n = s.size();
    if (n > room) {
      n = room;
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
      full_ = true;
    }
    if (n) std::memcpy(buffer_ + length_, s.data(), n);
    length_ += n;
    buffer_[length_] = 0;
  }
  void number(uint64_t v, int minDigits = 1) {
    char digits[24];
    size_t i = sizeof digits;
    do {
      digits[--i] = static_cast<char>('0' + v % 10);
      v /= 10;
      --minDigits;
    } while (v || minDigits > 0);
    put(std::string_view(digits + i, sizeof digits - i));
  }

 private:
  char* buffer_;
  size_t capacity_;
  size_t length_ = 0;
  bool full_ = false;
};

ATTUNE_COLD void writeDuration(WhyWriter& w, double ms) {
  static const struct {
    double unit;
    const char* suffix;
  } kUnits[] = {{kDayMs, "d"}, {kHourMs, "h"}, {kMinuteMs, "m"}, {1000.0, "s"}};
  for (const auto& u : kUnits) {
    if (ms >= u.unit && std::fmod(ms, u.unit) == 0) {
      w.number(static_cast<uint64_t>(ms / u.unit));
      w.put(u.suffix);
      return;
    }
  }
  w.number(static_cast<uint64_t>(ms));
  w.put("ms");
}

void writeClock(WhyWriter& w, int minuteOfDay) {
  w.number(static_cast<uint64_t>(minuteOfDay / 60), 2);
  w.put(":");
  w.number(static_cast<uint64_t>(minuteOfDay % 60), 2);
}

// RFC 3339 in UTC, milliseconds only when there are some. Times here are positive.
ATTUNE_COLD void writeInstant(WhyWriter& w, double epochMs) {
  double whole = std::floor(epochMs);
  double days = std::floor(whole / kDayMs);
  int64_t msOfDay = static_cast<int64_t>(whole - days * kDayMs);
  int64_t year;
  unsigned month, day;
  civilFromDays(static_cast<int64_t>(days), year, month, day);
  w.number(static_cast<uint64_t>(year < 0 ? 0 : year), 4);
  w.put("-");
  w.number(month, 2);
  w.put("-");
  w.number(day, 2);
  w.put("T");
  w.number(static_cast<uint64_t>(msOfDay / 3600000), 2);
  w.put(":");
  w.number(static_cast<uint64_t>(msOfDay / 60000 % 60), 2);
  w.put(":");
  w.number(static_cast<uint64_t>(msOfDay / 1000 % 60), 2);
  if (msOfDay % 1000) {
    w.put(".");
    w.number(static_cast<uint64_t>(msOfDay % 1000), 3);
  }
  w.put("Z");
}

// ---- Counting -----------------------------------------------------------------------------------

// The window of a cap: contacts at or after `from` (after, when `strict`).
struct Window {
  CapPeriod period = CapPeriod::Day;
  double from = 0;
  bool strict = false;
  bool empty = false;  // a session that has ended: nothing counts
};

double localDayStart(double nowMs, int utcOffsetMinutes, double& localDays) {
  double offsetMs = utcOffsetMinutes * kMinuteMs;
  localDays = std::floor((nowMs + offsetMs) / kDayMs);
  return localDays * kDayMs - offsetMs;
}

ContactInstant instantOf(const ContactHistory& history, const ContactRules& rules, double nowMs,
                         int utcOffsetMinutes) {
  ContactInstant at;
  double localDays = 0;
  at.dayFrom = localDayStart(nowMs, utcOffsetMinutes, localDays);
  // 1970-01-01 was a Thursday: Monday-based weekday 3.
  double sinceMonday = localDays + 3 - 7 * std::floor((localDays + 3) / 7);
  at.weekFrom = at.dayFrom - sinceMonday * kDayMs;
  at.sessionEnded =
      history.lastContactMs == 0 || nowMs - history.lastContactMs > rules.sessionTimeoutMs;
  at.sessionFrom = history.sessionStartMs;
  double local = nowMs + utcOffsetMinutes * kMinuteMs;
  int minuteOfDay = static_cast<int>((local - std::floor(local / kDayMs) * kDayMs) / kMinuteMs);
  at.minuteOfDay = std::min(minuteOfDay, 1439);
  return at;
}

Window windowOf(const CapRule& cap, const ContactInstant& at, double nowMs) {
  Window w;
  w.period = cap.period;
  switch (cap.period) {
    case CapPeriod::Rolling:
      w.from = nowMs - cap.rollingMs;
      w.strict = true;
      break;
    case CapPeriod::Day:
      w.from = at.dayFrom;
      break;
    case CapPeriod::Week:
      w.from = at.weekFrom;
      break;
    case CapPeriod::Session:
      w.empty = at.sessionEnded;
      w.from = at.sessionFrom;
      break;
    case CapPeriod::Lifetime:
      break;
  }
  return w;
}

uint64_t countIn(const CampaignContacts& e, CapCount count, const Window& w) {
  if (w.period == CapPeriod::Lifetime) {
    return count == CapCount::Impression ? e.lifetimeImpressions : e.lifetimeClicks;
  }
  if (w.empty || e.lastMs < w.from) return 0;
  const std::vector<double>& times = count == CapCount::Impression ? e.impressions : e.clicks;
  if (times.empty() || times.front() > w.from) return times.size();  // all inside
  auto it = w.strict ? std::upper_bound(times.begin(), times.end(), w.from)
                     : std::lower_bound(times.begin(), times.end(), w.from);
  return static_cast<uint64_t>(times.end() - it);
}

const CampaignContacts* findEntry(const ContactHistory& history, uint32_t key) {
  auto it = std::lower_bound(history.campaigns.begin(), history.campaigns.end(), key,
                             [](const CampaignContacts& e, uint32_t k) { return e.key < k; });
  return it != history.campaigns.end() && it->key == key ? &*it : nullptr;
}

// `resolved`: the campaign index of each history entry (campaignOfKey), or null to look
// them up here.
uint64_t scopeCount(const ContactHistory& history, const ContactRules& rules, const CapRule& cap,
                    const CampaignContacts* own, const Window& w, const uint32_t* resolved) {
  if (w.empty) return 0;
  switch (cap.scope) {
    case CapScope::Campaign:
      return own ? countIn(*own, cap.count, w) : 0;
    case CapScope::Global:
      if (w.period == CapPeriod::Lifetime) {
        return cap.count == CapCount::Impression ? history.totalImpressions : history.totalClicks;
      }
      break;
    case CapScope::Channel:
    case CapScope::Placement:
      break;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < history.campaigns.size(); ++i) {
    const CampaignContacts& e = history.campaigns[i];
    if (cap.scope != CapScope::Global) {
      if (w.period != CapPeriod::Lifetime && e.lastMs < w.from) continue;
      uint32_t index = resolved ? resolved[i] : campaignOfKey(rules, e.key);
      if (index == kNotFound) continue;
      const CampaignContactRules& c = rules.campaigns[index];
      uint32_t of = cap.scope == CapScope::Channel ? c.channel : c.placement;
      if (of != cap.target) continue;
    }
    total += countIn(e, cap.count, w);
  }
  return total;
}

// Counts every cap of `capIndex`'s family (same scope, window and count; one per target) in
// one pass over the history, into the memo.
void countFamily(const ContactHistory& history, const ContactRules& rules, uint32_t capIndex,
                 const Window& w, const uint32_t* resolved, ContactMemo& memo) {
  const CapRule& cap = rules.caps[capIndex];
  const bool channel = cap.scope == CapScope::Channel;
  const size_t targets = channel ? rules.channelNames.size() : rules.placementNames.size();
  memo.perTarget.assign(targets, 0);
  if (!w.empty) {
    for (size_t i = 0; i < history.campaigns.size(); ++i) {
      const CampaignContacts& e = history.campaigns[i];
      if (w.period != CapPeriod::Lifetime && e.lastMs < w.from) continue;
      if (resolved[i] == kNotFound) continue;
      const CampaignContactRules& c = rules.campaigns[resolved[i]];
      uint32_t target = channel ? c.channel : c.placement;
      if (target < targets) memo.perTarget[target] += countIn(e, cap.count, w);
    }
  }
  const uint32_t family = rules.familyOf[capIndex];
  for (uint32_t k = rules.familyStart[family]; k < rules.familyStart[family + 1]; ++k) {
    const uint32_t member = rules.familyCaps[k];
    memo.generation[member] = memo.current;
    memo.count[member] =
        rules.caps[member].target < targets ? memo.perTarget[rules.caps[member].target] : 0;
  }
}

bool quietNow(const QuietHours& q, int minuteOfDay) {
  if (!q.active()) return false;
  if (q.fromMinute < q.toMinute) return minuteOfDay >= q.fromMinute && minuteOfDay < q.toMinute;
  return minuteOfDay >= q.fromMinute || minuteOfDay < q.toMinute;
}

template <typename T>
bool sameBounds(const void* const (&bounds)[2], const std::vector<T>& v) {
  return bounds[0] == v.data() && bounds[1] == v.data() + v.size();
}
template <typename T>
void keepBounds(const void* (&bounds)[2], const std::vector<T>& v) {
  bounds[0] = v.data();
  bounds[1] = v.data() + v.size();
}

// Whether the memo was filled for this history, instant, multiplier and rules. Pointers and
// fingerprints only: this runs on every check.
bool memoHolds(const ContactMemo& m, const ContactHistory& h, const ContactRules& rules,
               const ContactCheck& check) {
  return m.history == &h && m.entries == h.campaigns.data() &&
         m.entriesEnd == h.campaigns.data() + h.campaigns.size() && m.nowMs == check.nowMs &&
         m.utcOffsetMinutes == check.utcOffsetMinutes && m.multiplier == check.multiplier &&
         m.totalImpressions == h.totalImpressions && m.totalClicks == h.totalClicks &&
         m.lastContactMs == h.lastContactMs && m.sessionStartMs == h.sessionStartMs &&
         sameBounds(m.rulesCampaigns, rules.campaigns) && sameBounds(m.rulesCaps, rules.caps) &&
         sameBounds(m.rulesChannels, rules.channelNames) &&
         sameBounds(m.rulesPlacements, rules.placementNames);
}

// Fills the memo for this history at this instant: nothing counted yet, the entries resolved.
void refreshMemo(ContactMemo& m, const ContactHistory& h, const ContactRules& rules,
                 const ContactCheck& check) {
  if (!m.sizedFor(rules)) m.prepare(rules);
  m.invalidate();
  m.history = &h;
  m.entries = h.campaigns.data();
  m.entriesEnd = h.campaigns.data() + h.campaigns.size();
  keepBounds(m.rulesCampaigns, rules.campaigns);
  keepBounds(m.rulesCaps, rules.caps);
  keepBounds(m.rulesChannels, rules.channelNames);
  keepBounds(m.rulesPlacements, rules.placementNames);
  m.nowMs = check.nowMs;
  m.utcOffsetMinutes = check.utcOffsetMinutes;
  m.multiplier = check.multiplier;
  m.totalImpressions = h.totalImpressions;
  m.totalClicks = h.totalClicks;
  m.lastContactMs = h.lastContactMs;
  m.sessionStartMs = h.sessionStartMs;
  m.instant = instantOf(h, rules, check.nowMs, check.utcOffsetMinutes);
  if (m.entryCampaign.size() < h.campaigns.size()) m.entryCampaign.resize(h.campaigns.size());
  std::fill(m.kept.begin(), m.kept.end(), 0);
  for (size_t ch = 0; ch < m.quietChannel.size(); ++ch) {
    m.quietChannel[ch] =
        ch < rules.quietHours.size() && quietNow(rules.quietHours[ch], m.instant.minuteOfDay);
  }
  // Raw pointers and locals: the stores below cannot alias the vectors' own fields, so the
  // loop keeps everything in registers (it runs once per page per history entry).
  const CampaignContacts* entries = h.campaigns.data();
  const uint32_t entryCount = static_cast<uint32_t>(h.campaigns.size());
  const CampaignContactRules* campaigns = rules.campaigns.data();
  const size_t channels = m.keptChannels;
  const size_t targets = m.kept.size() / 2 - 1;  // the last pair counts all
  uint64_t* kept = m.kept.data();
  uint32_t* entryCampaign = m.entryCampaign.data();
  uint64_t* entryOf = m.entryOf.data();
  const uint64_t current = uint64_t{m.current} << 32;
  const bool hashed = hasKeyTable(rules);
  const uint32_t* slots = rules.keySlots.data();
  const uint32_t mask = rules.keyMask;
  const size_t campaignCount = rules.campaigns.size();
  uint64_t allImpressions = 0, allClicks = 0;
  for (uint32_t i = 0; i < entryCount; ++i) {
    const CampaignContacts& e = entries[i];
    const uint64_t impressions = e.impressions.size(), clicks = e.clicks.size();
    allImpressions += impressions;
    allClicks += clicks;
    const uint32_t index = hashed ? probeKey(slots, mask, campaigns, campaignCount, e.key)
                                  : campaignOfKey(rules, e.key);
    entryCampaign[i] = index;
    if (index == kNotFound) continue;
    entryOf[index] = current | i;
    const CampaignContactRules& c = campaigns[index];
    const size_t byChannel = c.channel, byPlacement = channels + c.placement;
    if (byChannel < channels) {
      kept[2 * byChannel] += impressions;
      kept[2 * byChannel + 1] += clicks;
    }
    if (byPlacement < targets) {
      kept[2 * byPlacement] += impressions;
      kept[2 * byPlacement + 1] += clicks;
    }
  }
  kept[2 * targets] = allImpressions;
  kept[2 * targets + 1] = allClicks;
}

// At least as many as a windowed shared cap can count in the history (its scope's kept
// timestamps), or UINT64_MAX when unknown.
uint64_t keptUnder(const CapRule& cap, const ContactMemo& m) {
  const size_t targets = m.kept.size() / 2 - 1;
  size_t t = targets;  // all
  switch (cap.scope) {
    case CapScope::Global:
      break;
    case CapScope::Channel:
      if (cap.target >= m.keptChannels) return UINT64_MAX;
      t = cap.target;
      break;
    case CapScope::Placement:
      t = size_t{m.keptChannels} + cap.target;
      if (t >= targets) return UINT64_MAX;
      break;
    case CapScope::Campaign:
      return UINT64_MAX;
  }
  return m.kept[2 * t + (cap.count == CapCount::Impression ? 0 : 1)];
}

// The page's pending impressions (campaigns chosen for earlier placements) as they fall under
// the candidate's caps: one pass, whatever the number of caps.
struct Pending {
  uint64_t all = 0, channel = 0, placement = 0, campaign = 0;
};

Pending pendingFor(const ContactRules& rules, uint32_t campaign, const ContactCheck& check) {
  Pending n;
  const CampaignContactRules& c = rules.campaigns[campaign];
  for (size_t i = 0; i < check.pendingCount; ++i) {
    uint32_t p = check.pending[i];
    if (p >= rules.campaigns.size()) continue;
    const CampaignContactRules& pc = rules.campaigns[p];
    ++n.all;
    n.channel += c.channel != kNoChannel && pc.channel == c.channel;
    n.placement += pc.placement == c.placement;
    n.campaign += p == campaign;
  }
  return n;
}

// How many pending impressions count toward `cap`. A cap in the candidate's list applies to
// the candidate, so its target is the candidate's channel, placement or itself; anything else
// (rules edited after finishing) is counted the long way.
uint64_t pendingUnder(const CapRule& cap, const ContactRules& rules, uint32_t campaign,
                      const Pending& n, const ContactCheck& check) {
  const CampaignContactRules& c = rules.campaigns[campaign];
  switch (cap.scope) {
    case CapScope::Global:
      return n.all;
    case CapScope::Channel:
      if (c.channel != kNoChannel && cap.target == c.channel) return n.channel;
      break;
    case CapScope::Placement:
      if (cap.target == c.placement) return n.placement;
      break;
    case CapScope::Campaign:
      if (cap.target == campaign) return n.campaign;
      break;
  }
  uint64_t count = 0;
  for (size_t i = 0; i < check.pendingCount; ++i) {
    uint32_t p = check.pending[i];
    if (p < rules.campaigns.size() && capApplies(cap, rules.campaigns[p], p)) ++count;
  }
  return count;
}

uint64_t limitOf(const CapRule& cap, const ContactRules& rules, const ContactCheck& check) {
  return check.multiplier > 1
             ? effectiveMax(cap.max, check.multiplier, windowed(cap.period), rules.keepPerCampaign)
             : cap.max;
}

// The exact count of shared cap `capIndex` in the history, through the memo.
uint64_t sharedCount(const ContactHistory& history, const ContactRules& rules, uint32_t capIndex,
                     const ContactCheck& check, ContactMemo& memo) {
  if (memo.generation[capIndex] != memo.current) {
    const CapRule& cap = rules.caps[capIndex];
    Window window = windowOf(cap, memo.instant, check.nowMs);
    if (rules.familyOf.size() == rules.caps.size() && rules.familyOf[capIndex] != kNoFamily) {
      countFamily(history, rules, capIndex, window, memo.entryCampaign.data(), memo);
    } else {
      memo.count[capIndex] =
          scopeCount(history, rules, cap, nullptr, window, memo.entryCampaign.data());
      memo.generation[capIndex] = memo.current;
    }
  }
  return memo.count[capIndex];
}

// How far the fullest shared cap is from full at most: its limit less what the history can
// hold under it (the scope's kept timestamps for windowed caps, the exact count for lifetime
// ones). Once per page: while the page adds fewer impressions than this, no shared cap can
// fill, whatever the candidate.
uint64_t sharedRoomOf(const ContactHistory& history, const ContactRules& rules,
                      const ContactCheck& check, ContactMemo& memo) {
  uint64_t room = UINT64_MAX;
  const uint32_t shared = std::min<uint32_t>(rules.sharedCaps, rules.caps.size());
  for (uint32_t k = 0; k < shared; ++k) {
    const CapRule& cap = rules.caps[k];
    if (cap.scope == CapScope::Campaign) return 0;  // rules changed after finishing
    const uint64_t limit = limitOf(cap, rules, check);
    uint64_t held;
    if (windowed(cap.period)) {
      held = keptUnder(cap, memo);
    } else if (cap.scope == CapScope::Global) {
      held = cap.count == CapCount::Impression ? history.totalImpressions : history.totalClicks;
    } else {
      held = sharedCount(history, rules, k, check, memo);
    }
    room = std::min(room, held < limit ? limit - held : 0);
  }
  return room;
}

// Whether the rules carry what the memo's shortcuts rely on (finishContactRules' tables).
bool planned(const ContactRules& rules) {
  const size_t n = rules.campaigns.size();
  return rules.capsOfStart.size() == n + 1 && rules.sharedCapCount.size() == n &&
         rules.ownImpressionCapMin.size() == n && hasKeyTable(rules);
}

// Refreshes the memo for this history, instant and rules, once per page.
void fillMemo(ContactMemo& memo, const ContactHistory& history, const ContactRules& rules,
              const ContactCheck& check) {
  refreshMemo(memo, history, rules, check);
  memo.planned = planned(rules);
  memo.sharedRoom = memo.planned ? sharedRoomOf(history, rules, check, memo) : 0;
}

// One check's inputs, for the cap-by-cap part.
struct Candidate {
  const ContactHistory& history;
  const ContactRules& rules;
  uint32_t campaign;
  const ContactCheck& check;
  ContactMemo* memo;
  const ContactInstant& at;
  const CampaignContacts* own;
  Pending pending;
  bool pendingCounted;
};

// Whether cap `capIndex` is full for the candidate; when it is, `count` and `limit` say how.
bool capFull(Candidate& x, uint32_t capIndex, uint64_t& count, uint64_t& limit) {
  const ContactRules& rules = x.rules;
  const CapRule& cap = rules.caps[capIndex];
  limit = limitOf(cap, rules, x.check);
  // Far from full, whatever the window holds and the page adds: nothing to count. The bound
  // is the scope's kept timestamps (no window holds more) or, for lifetime caps of a
  // campaign, its exact count.
  uint64_t bound = UINT64_MAX;
  if (cap.scope == CapScope::Campaign) {
    const CampaignContacts* own = x.own;
    bound =
        !own ? 0
        : cap.period == CapPeriod::Lifetime
            ? (cap.count == CapCount::Impression ? own->lifetimeImpressions : own->lifetimeClicks)
        : cap.count == CapCount::Impression ? own->impressions.size()
                                            : own->clicks.size();
  } else if (x.memo && windowed(cap.period)) {
    bound = keptUnder(cap, *x.memo);
  }
  const uint64_t pendingAtMost = cap.count == CapCount::Impression ? x.check.pendingCount : 0;
  if (bound < limit && limit - bound > pendingAtMost) return false;
  if (cap.scope == CapScope::Campaign) {
    count = x.own ? countIn(*x.own, cap.count, windowOf(cap, x.at, x.check.nowMs)) : 0;
  } else if (x.memo) {
    count = sharedCount(x.history, rules, capIndex, x.check, *x.memo);
  } else {
    count = scopeCount(x.history, rules, cap, x.own, windowOf(cap, x.at, x.check.nowMs), nullptr);
  }
  if (cap.count == CapCount::Impression && x.check.pendingCount > 0) {
    if (!x.pendingCounted) {
      x.pending = pendingFor(rules, x.campaign, x.check);
      x.pendingCounted = true;
    }
    count += pendingUnder(cap, rules, x.campaign, x.pending, x.check);
  }
  return count >= limit;
}

ATTUNE_COLD void writeCapReason(WhyWriter& w, const ContactRules& rules, const CapRule& cap,
                                uint64_t count, uint64_t limit) {
  w.put("cap:");
  w.put(scopeName(cap.scope));
  w.put(" ");
  if (cap.scope == CapScope::Channel && cap.target < rules.channelNames.size()) {
    w.put(rules.channelNames[cap.target]);
    w.put(" ");
  } else if (cap.scope == CapScope::Placement && cap.target < rules.placementNames.size()) {
    w.put(rules.placementNames[cap.target]);
    w.put(" ");
  }
  switch (cap.period) {
    case CapPeriod::Rolling:
      writeDuration(w, cap.rollingMs);
      break;
    case CapPeriod::Day:
      w.put("day");
      break;
    case CapPeriod::Week:
      w.put("week");
      break;
    case CapPeriod::Session:
      w.put("session");
      break;
    case CapPeriod::Lifetime:
      w.put("lifetime");
      break;
  }
  if (cap.count == CapCount::Click) w.put(" clicks");
  w.put(" ");
  w.number(count);
  w.put("/");
  w.number(limit);
}

// For a campaign the history does not hold, whether its own caps all have room: they count
// only the page's impressions of it, and its smallest impression cap is above that.
bool ownCapsHaveRoom(const ContactRules& rules, uint32_t campaign, const ContactCheck& check) {
  const uint32_t smallest = rules.ownImpressionCapMin[campaign];
  if (smallest > check.pendingCount) return true;
  uint64_t shown = 0;
  for (size_t i = 0; i < check.pendingCount; ++i) shown += check.pending[i] == campaign;
  return smallest > shown;
}

// Allowed without looking further: a campaign the history does not hold (so no fatigue or
// cooldown either), on a page where no shared cap can fill, with room under its own caps, on a
// channel outside its quiet hours. (A memo filled for these rules and this instant.)
bool quickAllowed(const ContactMemo& memo, const ContactRules& rules, uint32_t campaign,
                  const ContactCheck& check) {
  if (!memo.planned || memo.entryOf[campaign] >> 32 == memo.current ||
      memo.sharedRoom <= check.pendingCount || !ownCapsHaveRoom(rules, campaign, check)) {
    return false;
  }
  const uint32_t channel = rules.campaigns[campaign].channel;
  return channel >= memo.quietChannel.size() || !memo.quietChannel[channel];
}

// Quiet hours on the campaign's channel at this local minute (the reason written).
bool quietFor(const CampaignContactRules& c, const ContactRules& rules, int minuteOfDay,
              WhyWriter& w) {
  if (c.channel == kNoChannel || c.channel >= rules.quietHours.size()) return false;
  const QuietHours& q = rules.quietHours[c.channel];
  if (!q.active() || !quietNow(q, minuteOfDay)) return false;
  w.put("quiet_hours ");
  writeClock(w, q.fromMinute);
  w.put("\xE2\x80\x93");  // en dash
  writeClock(w, q.toMinute);
  return true;
}

}  // namespace

// ---- Checking -----------------------------------------------------------------------------------

namespace {

// Everything but the common case (contactAllowed below): a campaign the history holds, a cap
// near full, quiet hours, bad input, no memo. Out of line and built for size: the common case
// pays for none of its set-up, and the Wasm build stays small.
ATTUNE_COLD bool checkFully(const ContactHistory& history, const ContactRules& rules,
                            uint32_t campaign, const ContactCheck& check, char* why,
                            size_t whyCapacity) {
  WhyWriter w(why, whyCapacity);
  const size_t campaigns = rules.campaigns.size();
  if (campaign >= campaigns) {
    w.put("contact: unknown campaign");
    return false;
  }
  if (!rules.any) return true;
  if (!std::isfinite(check.nowMs)) {
    w.put("contact: invalid time");
    return false;
  }
  const CampaignContactRules& c = rules.campaigns[campaign];
  ContactMemo* memo = check.memo;
  ContactInstant unshared;
  const ContactInstant* at = &unshared;
  const CampaignContacts* own = nullptr;
  if (memo) {
    if (!memoHolds(*memo, history, rules, check)) fillMemo(*memo, history, rules, check);
    at = &memo->instant;
    if (!hasKeyTable(rules)) {
      own = findEntry(history, c.key);  // unfinished rules: entries were not resolved
    } else if (memo->entryOf[campaign] >> 32 == memo->current) {
      const uint32_t i = static_cast<uint32_t>(memo->entryOf[campaign]);
      if (i < history.campaigns.size() && history.campaigns[i].key == c.key)
        own = &history.campaigns[i];
    }
  } else {
    unshared = instantOf(history, rules, check.nowMs, check.utcOffsetMinutes);
    own = findEntry(history, c.key);
  }

  // Caps in check order (shared ones first, then the campaign's own). With a memo and
  // finished rules, whole runs that cannot be full are skipped: the shared caps while even the
  // fullest has more room than the page can add, the campaign's own caps when it has no
  // history and the page has not shown it as often as its smallest impression cap.
  const bool indexed = rules.capsOfStart.size() == campaigns + 1;
  const uint32_t first = indexed ? rules.capsOfStart[campaign] : 0;
  const uint32_t last =
      indexed ? rules.capsOfStart[campaign + 1] : static_cast<uint32_t>(rules.caps.size());
  uint32_t begin = first, end = last;
  if (memo && memo->planned && rules.sharedCapCount[campaign] <= last - first) {
    const uint32_t ownFirst = first + rules.sharedCapCount[campaign];
    if (memo->sharedRoom > check.pendingCount) begin = ownFirst;
    if (!own && ownCapsHaveRoom(rules, campaign, check)) end = ownFirst;
  }
  Candidate x{history, rules, campaign, check, memo, *at, own, Pending(), false};
  for (uint32_t k = begin; k < end; ++k) {
    const uint32_t capIndex = indexed ? rules.capsOf[k] : k;
    if (capIndex >= rules.caps.size()) continue;  // rules changed after finishing: stale index
    const CapRule& cap = rules.caps[capIndex];
    if (!indexed && !capApplies(cap, c, campaign)) continue;
    uint64_t count = 0, limit = 0;
    if (capFull(x, capIndex, count, limit)) {
      writeCapReason(w, rules, cap, count, limit);
      return false;
    }
  }

  if (c.fatigueImpressions > 0 && own && own->impressionsSinceClick >= c.fatigueImpressions) {
    // The latest round's N-th impression; one older than the kept ones is long past.
    uint64_t sinceNth = own->impressionsSinceClick % c.fatigueImpressions;
    if (sinceNth < own->impressions.size()) {
      double nth = own->impressions[own->impressions.size() - 1 - sinceNth];
      if (check.nowMs < nth + c.fatigueSuppressMs) {
        w.put("fatigue ");
        w.number(c.fatigueImpressions);
        w.put("/");
        w.number(c.fatigueImpressions);
        return false;
      }
    }
  }

  if (c.cooldownAfterDismissMs > 0 && own && own->lastDismissMs > 0 &&
      check.nowMs < own->lastDismissMs + c.cooldownAfterDismissMs) {
    w.put("cooldown until ");
    writeInstant(w, own->lastDismissMs + c.cooldownAfterDismissMs);
    return false;
  }

  return !quietFor(c, rules, at->minuteOfDay, w);
}

}  // namespace

bool contactAllowed(const ContactHistory& history, const ContactRules& rules, uint32_t campaign,
                    const ContactCheck& check, char* why, size_t whyCapacity) {
  // The common case in a few dozen instructions: the memo holds for this instant and the
  // campaign is clearly allowed.
  ContactMemo* memo = check.memo;
  if (memo && rules.any && campaign < rules.campaigns.size() && std::isfinite(check.nowMs)) {
    if (!memoHolds(*memo, history, rules, check)) fillMemo(*memo, history, rules, check);
    if (quickAllowed(*memo, rules, campaign, check)) {
      if (why && whyCapacity) why[0] = 0;
      return true;
    }
  }
  return checkFully(history, rules, campaign, check, why, whyCapacity);
}

}  // namespace attune
