// The page memo of contact checks (contact_check.cpp): resolving a history once per instant,
// counting shared caps once, and skipping caps that cannot be full must decide exactly as the
// plain check does — the same answer and the same reason, byte for byte — on every page shape:
// caps near and far from full, pending impressions, multipliers, quiet hours, fatigue,
// cooldowns, histories naming campaigns the config no longer has, and one memo reused across
// instants, histories, multipliers and rules.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "contact.h"
#include "local_time.h"

using attune::CampaignContactRules;
using attune::CapCount;
using attune::CapPeriod;
using attune::CapRule;
using attune::CapScope;
using attune::ContactCheck;
using attune::ContactHistory;
using attune::ContactKind;
using attune::ContactMemo;
using attune::ContactRules;
using attune::QuietHours;

namespace {

constexpr double kMinute = 60000.0;
constexpr double kHour = 3600000.0;
constexpr double kDay = 86400000.0;

struct Random {
  explicit Random(uint64_t seed) : rng(seed) {}
  std::mt19937_64 rng;
  uint32_t pick(uint64_t n) { return static_cast<uint32_t>(rng() % n); }
  bool chance(int percent) { return pick(100) < static_cast<uint32_t>(percent); }
};

// Campaigns spread over placements; placement p is on channel p % channels.
ContactRules randomRules(Random& r, uint32_t campaigns, uint32_t placements, uint32_t channels,
                         const char* prefix) {
  ContactRules rules;
  for (uint32_t c = 0; c < channels; ++c) rules.channelNames.push_back("ch" + std::to_string(c));
  for (uint32_t p = 0; p < placements; ++p)
    rules.placementNames.push_back("pl" + std::to_string(p));
  for (uint32_t i = 0; i < campaigns; ++i) {
    CampaignContactRules c;
    c.key = attune::contactKey(std::string(prefix) + std::to_string(i));
    c.placement = i < placements ? i : r.pick(placements);
    c.channel = c.placement % channels;
    if (r.chance(20)) {
      c.fatigueImpressions = 1 + r.pick(5);
      c.fatigueSuppressMs = (1 + r.pick(72)) * kHour;
    }
    if (r.chance(20)) c.cooldownAfterDismissMs = (1 + r.pick(72)) * kHour;
    rules.campaigns.push_back(c);
  }
  // Maxes from 1 (full after one contact) to 60 (rarely near full): both the shortcuts and
  // the exact counts run.
  auto max = [&r] { return r.chance(50) ? 1 + r.pick(4) : 5 + r.pick(56); };
  auto period = [&r](double& rolling) {
    rolling = (1 + r.pick(96)) * kHour;
    return static_cast<CapPeriod>(r.pick(5));
  };
  uint32_t caps = r.pick(7);
  for (uint32_t i = 0; i < caps; ++i) {
    CapRule cap;
    cap.scope = static_cast<CapScope>(r.pick(4));
    cap.target = cap.scope == CapScope::Channel     ? r.pick(channels)
                 : cap.scope == CapScope::Placement ? r.pick(placements)
                                                    : r.pick(campaigns);
    cap.max = max();
    cap.period = period(cap.rollingMs);
    cap.count = r.chance(80) ? CapCount::Impression : CapCount::Click;
    rules.caps.push_back(cap);
  }
  // Caps on every channel / placement / campaign, as the config expands target-less caps.
  if (r.chance(50)) {
    CapRule cap;
    cap.scope = r.chance(50) ? CapScope::Placement : CapScope::Campaign;
    cap.max = max();
    cap.period = period(cap.rollingMs);
    uint32_t targets = cap.scope == CapScope::Placement ? placements : campaigns;
    for (uint32_t t = 0; t < targets; ++t) {
      cap.target = t;
      rules.caps.push_back(cap);
    }
  }
  if (r.chance(40)) {
    rules.quietHours.resize(channels);
    QuietHours q{static_cast<int32_t>(r.pick(1440)), static_cast<int32_t>(1 + r.pick(1440))};
    if (q.fromMinute != q.toMinute) rules.quietHours[r.pick(channels)] = q;
  }
  if (r.chance(30)) rules.sessionTimeoutMs = (5 + r.pick(60)) * kMinute;
  std::string error;
  bool ok = attune::finishContactRules(rules, 2, error);
  INFO(error);
  REQUIRE(ok);
  return rules;
}

ContactHistory randomHistory(Random& r, const ContactRules& rules, double& t, int contacts) {
  ContactHistory h;
  for (int i = 0; i < contacts; ++i) {
    uint32_t gap = r.pick(8);
    t += gap == 0 ? r.pick(3) * kDay : gap < 3 ? r.pick(10) * kHour : r.pick(40) * kMinute;
    uint32_t k = r.pick(10);
    ContactKind kind = k < 7   ? ContactKind::Impression
                       : k < 9 ? ContactKind::Click
                               : ContactKind::Dismiss;
    attune::recordContact(h, rules, r.pick(static_cast<uint32_t>(rules.campaigns.size())), kind, 0,
                          t);
  }
  return h;
}

struct Verdict {
  bool allowed;
  std::string why;
};

Verdict check(const ContactHistory& h, const ContactRules& rules, uint32_t campaign,
              const ContactCheck& c) {
  char why[attune::kContactWhyCapacity];
  std::memset(why, 'x', sizeof why);
  bool allowed = attune::contactAllowed(h, rules, campaign, c, why, sizeof why);
  return {allowed, why};
}

// One page: candidates in random order (repeats included, as a page naming one placement
// twice would), each allowed one joining the pending impressions of the later ones. Every
// check through `memo` must equal the plain check. Returns how many were blocked.
int comparePage(Random& r, const ContactHistory& h, const ContactRules& rules, double now,
                int offset, double multiplier, ContactMemo& memo, uint32_t candidates) {
  std::vector<uint32_t> pending;
  int blocked = 0;
  for (uint32_t step = 0; step < candidates; ++step) {
    uint32_t campaign = r.pick(rules.campaigns.size());
    ContactCheck plain{now, offset, multiplier, pending.data(), pending.size(), nullptr};
    ContactCheck memoised = plain;
    memoised.memo = &memo;
    Verdict a = check(h, rules, campaign, plain);
    Verdict b = check(h, rules, campaign, memoised);
    if (a.allowed != b.allowed || a.why != b.why) {
      FAIL("campaign " << campaign << " at step " << step << " with " << pending.size()
                       << " pending, offset " << offset << ", multiplier " << multiplier
                       << ": plain " << (a.allowed ? "allowed" : a.why) << ", memo "
                       << (b.allowed ? "allowed" : b.why));
    }
    if (a.allowed) {
      pending.push_back(campaign);
    } else {
      ++blocked;
    }
  }
  return blocked;
}

}  // namespace

TEST_CASE("contact memo: shortcuts and shared counts decide as the plain check", "[contact]") {
  Random r(20261207);
  double t0 = 0;
  REQUIRE(attune::parseInstant("2026-11-01T00:00:00Z", t0));
  int blocked = 0, checked = 0;
  for (int scenario = 0; scenario < 400; ++scenario) {
    uint32_t placements = 1 + r.pick(6);
    ContactRules rules = randomRules(r, placements + r.pick(30), placements, 1 + r.pick(3), "c");
    double t = t0;
    ContactHistory h = randomHistory(r, rules, t, static_cast<int>(r.pick(120)));
    ContactMemo memo;
    memo.prepare(rules);
    for (int instant = 0; instant < 6; ++instant) {
      double now = t + r.pick(4 * 24 * 60) * kMinute;
      int offset = static_cast<int>(r.pick(1681)) - 840;
      double multiplier = r.chance(70) ? 1.0 : 1.5 + r.pick(3) * 0.5;
      // Twice at one instant: the second page reuses what the first one memoised.
      for (int again = 0; again < 2; ++again) {
        uint32_t candidates = 4 + r.pick(16);
        blocked += comparePage(r, h, rules, now, offset, multiplier, memo, candidates);
        checked += static_cast<int>(candidates);
      }
      if (r.chance(50)) memo.invalidate();
      // The history grows between instants (as reports arrive): the memo must notice.
      attune::recordContact(h, rules, r.pick(rules.campaigns.size()), ContactKind::Impression, 0,
                            now);
    }
  }
  // Both outcomes, often: the comparison covered full caps as well as skipped ones.
  CHECK(blocked > checked / 10);
  CHECK(blocked < checked * 9 / 10);
}

TEST_CASE("contact memo: one memo across histories, multipliers and rules", "[contact]") {
  Random r(7);
  double t = 0;
  REQUIRE(attune::parseInstant("2026-11-20T00:00:00Z", t));
  ContactRules a = randomRules(r, 12, 3, 2, "a");
  ContactRules b = randomRules(r, 20, 4, 3, "b");
  ContactMemo memo;  // never prepared: the first check sizes it
  for (int round = 0; round < 200; ++round) {
    const ContactRules& rules = round % 3 == 0 ? b : a;
    double start = t;
    ContactHistory h = randomHistory(r, rules, start, static_cast<int>(r.pick(60)));
    double now = start + r.pick(600) * kMinute;
    // A visitor in a segment with a multiplier, then one without, at the same instant.
    comparePage(r, h, rules, now, 60, 2.0, memo, 8);
    comparePage(r, h, rules, now, 60, 1.0, memo, 8);
    // The same history object, changed in place at the same instant, each kind of report.
    for (ContactKind kind : {ContactKind::Impression, ContactKind::Click, ContactKind::Dismiss}) {
      attune::recordContact(h, rules, r.pick(4), kind, 0, now);
      comparePage(r, h, rules, now, 60, 1.0, memo, 8);
    }
  }
}

TEST_CASE("contact memo: large configs and histories naming removed campaigns", "[contact]") {
  Random r(99);
  double t = 0;
  REQUIRE(attune::parseInstant("2026-11-20T00:00:00Z", t));
  // 3,000 campaigns; the history was recorded under an older config whose campaigns partly
  // differ (ids "old…"), so some of its entries resolve to nothing.
  ContactRules now = randomRules(r, 3000, 32, 4, "c");
  ContactRules before = now;
  for (uint32_t i = 0; i < before.campaigns.size(); i += 2)
    before.campaigns[i].key = attune::contactKey("old" + std::to_string(i));
  std::string error;
  REQUIRE(attune::finishContactRules(before, 2, error));
  for (int scenario = 0; scenario < 20; ++scenario) {
    double start = t;
    ContactHistory h = randomHistory(r, before, start, 400);
    CHECK(h.campaigns.size() == attune::kMaxContactCampaigns);
    ContactMemo memo;
    memo.prepare(now);
    comparePage(r, h, now, start + kHour, 0, 1.0, memo, 200);
  }
}

TEST_CASE("contact memo: a warm page of checks does not allocate", "[contact]") {
  Random r(3);
  double t = 0;
  REQUIRE(attune::parseInstant("2026-11-20T00:00:00Z", t));
  ContactRules rules = randomRules(r, 40, 8, 3, "c");
  ContactHistory h = randomHistory(r, rules, t, 100);
  ContactMemo memo;
  memo.prepare(rules);
  std::vector<uint32_t> pending;
  pending.reserve(64);
  char why[attune::kContactWhyCapacity];
  auto page = [&](double now) {
    pending.clear();
    memo.invalidate();
    for (uint32_t c = 0; c < 40; ++c) {
      ContactCheck check{now, 120, 1.5, pending.data(), pending.size(), &memo};
      if (attune::contactAllowed(h, rules, c, check, why, sizeof why)) pending.push_back(c);
    }
  };
  page(t);
  attune_test::AllocationCounter counter;
  counter.start();
  for (int i = 0; i < 50; ++i) page(t + i * 7 * kMinute);
  uint64_t allocations = counter.stop();
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
}
