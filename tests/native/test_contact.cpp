// Contact rules (SPEC §6): every cap window across its edges and time zones, scopes, multipliers,
// fatigue, cooldown, quiet hours, the reasons' exact text, bounded memory under a million contacts,
// single-use tokens, pruning that changes no decision, the byte form against hostile input, and no
// allocation on the check path.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "contact.h"
#include "local_time.h"

using attune::CampaignContactRules;
using attune::CampaignContacts;
using attune::CapCount;
using attune::CapPeriod;
using attune::CapRule;
using attune::CapScope;
using attune::ContactHistory;
using attune::ContactKind;
using attune::ContactRules;
using attune::DecisionToken;
using attune::QuietHours;
using attune::RecordOutcome;
using attune::StaleTokens;
using attune::TokenSecret;

namespace {

constexpr double kMinute = 60000.0;
constexpr double kHour = 3600000.0;
constexpr double kDay = 86400000.0;
constexpr int kOffsets[] = {840, -720, 330, 0};

double at(const char* iso) {
  double ms = 0;
  REQUIRE(attune::parseInstant(iso, ms));
  return ms;
}

// Campaign indexes of the fixture.
enum : uint32_t { kSpring = 0, kSummer, kAutumn, kWinter, kPromo };

// Placements hero and sidebar on channel "web", overlay on channel "popup"; spring and summer on
// hero, autumn on sidebar, winter and promo on overlay.
ContactRules fixtureRules() {
  ContactRules r;
  r.channelNames = {"web", "popup"};
  r.placementNames = {"hero", "sidebar", "overlay"};
  const char* ids[] = {"spring", "summer", "autumn", "winter", "promo"};
  const uint32_t placement[] = {0, 0, 1, 2, 2};
  for (int i = 0; i < 5; ++i) {
    CampaignContactRules c;
    c.key = attune::contactKey(ids[i]);
    c.placement = placement[i];
    c.channel = placement[i] == 2 ? 1 : 0;
    r.campaigns.push_back(c);
  }
  return r;
}

CapRule cap(CapScope scope, uint32_t target, uint32_t max, CapPeriod period, double rollingMs = 0,
            CapCount count = CapCount::Impression) {
  CapRule c;
  c.scope = scope;
  c.target = target;
  c.max = max;
  c.period = period;
  c.rollingMs = rollingMs;
  c.count = count;
  return c;
}

void finish(ContactRules& rules, double largestMultiplier = 1) {
  std::string error;
  bool ok = attune::finishContactRules(rules, largestMultiplier, error);
  INFO(error);
  REQUIRE(ok);
}

std::string encoded(const ContactHistory& h) {
  std::string out;
  attune::encodeContacts(h, out);
  return out;
}

bool validUtf8(const char* s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  while (*p) {
    int n = *p < 0x80             ? 0
            : (*p & 0xE0) == 0xC0 ? 1
            : (*p & 0xF0) == 0xE0 ? 2
            : (*p & 0xF8) == 0xF0 ? 3
                                  : -1;
    if (n < 0) return false;
    ++p;
    for (int i = 0; i < n; ++i, ++p) {
      if ((*p & 0xC0) != 0x80) return false;
    }
  }
  return true;
}

// One visitor under one set of rules.
struct Visitor {
  explicit Visitor(const ContactRules& r) : rules(&r) {}
  ContactHistory h;
  const ContactRules* rules;

  void record(uint32_t campaign, ContactKind kind, double t, uint64_t nonce = 0) {
    RecordOutcome o = attune::recordContact(h, *rules, campaign, kind, nonce, t);
    INFO(attune::recordOutcomeName(o));
    REQUIRE(o == RecordOutcome::Recorded);
  }
  void see(uint32_t c, double t) { record(c, ContactKind::Impression, t); }
  void click(uint32_t c, double t) { record(c, ContactKind::Click, t); }
  void dismiss(uint32_t c, double t) { record(c, ContactKind::Dismiss, t); }

  // "" when allowed, else the reason.
  std::string why(uint32_t campaign, double now, int offset = 0, double multiplier = 1) const {
    char buffer[attune::kContactWhyCapacity];
    std::memset(buffer, 'x', sizeof buffer);
    bool ok = attune::contactAllowed(h, *rules, campaign, {now, offset, multiplier}, buffer,
                                     sizeof buffer);
    REQUIRE(std::memchr(buffer, 0, sizeof buffer) != nullptr);
    if (ok) {
      CHECK(buffer[0] == 0);
      return "";
    }
    CHECK(buffer[0] != 0);
    return buffer;
  }
};

}  // namespace

// ---- Windows ------------------------------------------------------------------------------------

TEST_CASE("contact: rolling windows end exactly one duration after a contact", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 2, CapPeriod::Rolling, 12 * kHour));
  finish(r);
  Visitor v(r);
  double t0 = at("2026-11-25T10:00:00Z");
  v.see(kSpring, t0);
  CHECK(v.why(kSpring, t0) == "");
  v.see(kSpring, t0 + kHour);
  CHECK(v.why(kSpring, t0 + kHour) == "cap:campaign 12h 2/2");
  CHECK(v.why(kSpring, t0 + 12 * kHour - 1) == "cap:campaign 12h 2/2");
  CHECK(v.why(kSpring, t0 + 12 * kHour) == "");  // the first is exactly 12h old: out
  CHECK(v.why(kSpring, t0 + 13 * kHour - 1) == "");
  v.see(kSpring, t0 + 12 * kHour);
  CHECK(v.why(kSpring, t0 + 12 * kHour) == "cap:campaign 12h 2/2");
  CHECK(v.why(kSpring, t0 + 13 * kHour) == "");
  CHECK(v.why(kSummer, t0 + kHour) == "");  // a campaign cap is that campaign's only

  // Reason labels use the largest whole unit.
  ContactRules labels = fixtureRules();
  labels.caps.push_back(cap(CapScope::Global, 0, 1, CapPeriod::Rolling, 7 * kDay));
  finish(labels);
  Visitor w(labels);
  w.see(kSpring, t0);
  CHECK(w.why(kSpring, t0) == "cap:global 7d 1/1");
  labels.caps[0].rollingMs = 90 * kMinute;
  CHECK(w.why(kSpring, t0) == "cap:global 90m 1/1");
  labels.caps[0].rollingMs = 45000;
  CHECK(w.why(kSpring, t0) == "cap:global 45s 1/1");
  labels.caps[0].rollingMs = 1500;
  CHECK(w.why(kSpring, t0) == "cap:global 1500ms 1/1");
}

TEST_CASE("contact: day caps reset at local midnight in every offset", "[contact]") {
  for (int offset : kOffsets) {
    INFO("utcOffsetMinutes " << offset);
    ContactRules r = fixtureRules();
    r.caps.push_back(cap(CapScope::Global, 0, 1, CapPeriod::Day));
    finish(r);
    Visitor v(r);
    double midnight = at("2026-11-25T00:00:00Z") - offset * kMinute;  // local Nov 25 00:00
    attune::LocalTime lt = attune::localTime(midnight, offset);
    REQUIRE((lt.hour == 0 && lt.minute == 0 && lt.weekday == 3));
    v.see(kSpring, midnight - 1);  // 23:59:59.999 local on the 24th
    CHECK(v.why(kSummer, midnight - 1, offset) == "cap:global day 1/1");
    CHECK(v.why(kSummer, midnight, offset) == "");
    v.see(kSummer, midnight);
    CHECK(v.why(kAutumn, midnight, offset) == "cap:global day 1/1");
    CHECK(v.why(kAutumn, midnight + kDay - 1, offset) == "cap:global day 1/1");
    CHECK(v.why(kAutumn, midnight + kDay, offset) == "");
  }

  // One history and one instant, read in four offsets: local days differ.
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 1, CapPeriod::Day));
  finish(r);
  Visitor v(r);
  v.see(kSpring, at("2026-11-25T09:00:00Z"));
  double now = at("2026-11-25T11:00:00Z");
  CHECK(v.why(kSpring, now, 0) == "cap:campaign day 1/1");
  CHECK(v.why(kSpring, now, 330) == "cap:campaign day 1/1");      // 14:30 → 16:30
  CHECK(v.why(kSpring, now, 840) == "");                          // 23:00 → 01:00 next day
  CHECK(v.why(kSpring, now, -720) == "cap:campaign day 1/1");     // 21:00 → 23:00 on the 24th
  CHECK(v.why(kSpring, at("2026-11-25T12:00:00Z"), -720) == "");  // local midnight
}

TEST_CASE("contact: week caps reset at local Monday 00:00 in every offset", "[contact]") {
  for (int offset : kOffsets) {
    INFO("utcOffsetMinutes " << offset);
    ContactRules r = fixtureRules();
    r.caps.push_back(cap(CapScope::Channel, 1, 1, CapPeriod::Week));
    finish(r);
    Visitor v(r);
    double monday = at("2026-11-23T00:00:00Z") - offset * kMinute;
    attune::LocalTime lt = attune::localTime(monday, offset);
    REQUIRE((lt.weekday == 1 && lt.hour == 0 && lt.minute == 0));
    v.see(kWinter, monday - 1);  // Sunday 23:59:59.999 local
    CHECK(v.why(kPromo, monday - 1, offset) == "cap:channel popup week 1/1");
    CHECK(v.why(kPromo, monday, offset) == "");
    v.see(kPromo, monday);
    for (double later : {0.0, 3.5 * kDay, 6 * kDay, 7 * kDay - 1}) {
      CHECK(v.why(kWinter, monday + later, offset) == "cap:channel popup week 1/1");
    }
    CHECK(v.why(kWinter, monday + 7 * kDay, offset) == "");
    CHECK(v.why(kSpring, monday + kDay, offset) == "");  // web is another channel
  }
  // +14:00: local Monday 00:00 is Sunday 10:00 UTC, so a Sunday-UTC contact counts.
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 1, CapPeriod::Week));
  finish(r);
  Visitor v(r);
  v.see(kSpring, at("2026-11-22T10:00:00Z"));
  CHECK(v.why(kSpring, at("2026-11-22T12:00:00Z"), 840) == "cap:global week 1/1");
  CHECK(v.why(kSpring, at("2026-11-23T01:00:00Z"), 0) == "");  // UTC: last week
}

TEST_CASE("contact: sessions end after 30 minutes without contact", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 1, CapPeriod::Session));
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  CHECK(v.why(kSpring, t) == "");
  v.see(kSpring, t);
  CHECK(v.h.sessionStartMs == t);
  CHECK(v.why(kSpring, t + 29 * kMinute) == "cap:campaign session 1/1");
  CHECK(v.why(kSpring, t + 30 * kMinute) == "cap:campaign session 1/1");  // a gap of exactly 30
  CHECK(v.why(kSpring, t + 30 * kMinute + 1) == "");
  // Any contact keeps the session going.
  v.click(kSummer, t + 20 * kMinute);
  CHECK(v.why(kSpring, t + 45 * kMinute) == "cap:campaign session 1/1");
  v.dismiss(kAutumn, t + 49 * kMinute);
  CHECK(v.why(kSpring, t + 79 * kMinute) == "cap:campaign session 1/1");
  CHECK(v.h.sessionStartMs == t);
  CHECK(v.why(kSpring, t + 79 * kMinute + 1) == "");
  // The next contact after the gap starts a new session.
  v.see(kSummer, t + 2 * kHour);
  CHECK(v.h.sessionStartMs == t + 2 * kHour);
  CHECK(v.why(kSpring, t + 2 * kHour) == "");
  v.see(kSpring, t + 2 * kHour + kMinute);
  CHECK(v.why(kSpring, t + 2 * kHour + kMinute) == "cap:campaign session 1/1");
  // Conversions are not contacts.
  REQUIRE(attune::recordContact(v.h, r, kSpring, ContactKind::Conversion, 0, t + 3 * kHour) ==
          RecordOutcome::Recorded);
  CHECK(v.h.lastContactMs == t + 2 * kHour + kMinute);
  CHECK(v.why(kSpring, t + 3 * kHour) == "");

  // The timeout is the config's (behavior.sessionTimeout).
  ContactRules shorter = fixtureRules();
  shorter.sessionTimeoutMs = 10 * kMinute;
  shorter.caps.push_back(cap(CapScope::Global, 0, 1, CapPeriod::Session));
  finish(shorter);
  Visitor w(shorter);
  w.see(kWinter, t);
  CHECK(w.why(kPromo, t + 10 * kMinute) == "cap:global session 1/1");
  CHECK(w.why(kPromo, t + 10 * kMinute + 1) == "");
}

TEST_CASE("contact: lifetime caps use exact counters, not kept timestamps", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 3, CapPeriod::Lifetime));
  r.caps.push_back(cap(CapScope::Global, 0, 5, CapPeriod::Lifetime));
  finish(r);
  CHECK(r.keepPerCampaign == 0);  // nothing windowed: no timestamps kept at all
  Visitor v(r);
  double t = at("2020-01-01T00:00:00Z");
  for (int i = 0; i < 3; ++i) v.see(kSpring, t + i * 400 * kDay);
  CHECK(v.why(kSpring, t + 5000 * kDay) == "cap:campaign lifetime 3/3");
  CHECK(v.why(kSummer, t + 5000 * kDay) == "");
  v.see(kSummer, t + 1300 * kDay);
  v.see(kAutumn, t + 1301 * kDay);
  CHECK(v.why(kWinter, t + 1302 * kDay) == "cap:global lifetime 5/5");
  CHECK(v.why(kSpring, t + 1302 * kDay) == "cap:global lifetime 5/5");  // global is checked first
  for (const CampaignContacts& e : v.h.campaigns) CHECK(e.impressions.empty());
  CHECK(v.h.totalImpressions == 5);
}

// ---- Scopes and multipliers ---------------------------------------------------------------------

TEST_CASE("contact: every scope applies at once and the first full one is reported", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kWinter, 1, CapPeriod::Session));  // sorted last
  r.caps.push_back(cap(CapScope::Channel, 1, 3, CapPeriod::Rolling, 12 * kHour));
  r.caps.push_back(cap(CapScope::Global, 0, 5, CapPeriod::Day));
  finish(r);
  REQUIRE(r.caps[0].scope == CapScope::Global);
  REQUIRE(r.caps[2].scope == CapScope::Campaign);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  v.see(kWinter, t);
  CHECK(v.why(kWinter, t) == "cap:campaign session 1/1");
  CHECK(v.why(kPromo, t) == "");
  v.see(kPromo, t + kMinute);
  v.see(kPromo, t + 2 * kMinute);
  CHECK(v.why(kPromo, t + 3 * kMinute) == "cap:channel popup 12h 3/3");
  CHECK(v.why(kWinter, t + 3 * kMinute) == "cap:channel popup 12h 3/3");
  CHECK(v.why(kSpring, t + 3 * kMinute) == "");  // the web channel is not full
  v.see(kSpring, t + 4 * kMinute);
  v.see(kAutumn, t + 5 * kMinute);
  CHECK(v.why(kSummer, t + 6 * kMinute) == "cap:global day 5/5");
  CHECK(v.why(kWinter, t + 6 * kMinute) == "cap:global day 5/5");
  // At +05:00 the next local day has begun and frees the global cap; the channel's 12h window still
  // holds.
  double later = t + 11 * kHour;
  CHECK(v.why(kSummer, later, 300) == "");
  CHECK(v.why(kPromo, later, 300) == "cap:channel popup 12h 3/3");
  CHECK(v.why(kPromo, t + 12 * kHour, 300) == "");  // the first popup contact left the window
}

TEST_CASE("contact: placement caps count every campaign on the placement", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Placement, 0, 2, CapPeriod::Day));
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  v.see(kSpring, t);
  v.see(kAutumn, t);  // sidebar: not hero
  v.see(kWinter, t);
  CHECK(v.why(kSummer, t) == "");
  v.see(kSummer, t + 1);
  CHECK(v.why(kSpring, t + 2) == "cap:placement hero day 2/2");
  CHECK(v.why(kSummer, t + 2) == "cap:placement hero day 2/2");
  CHECK(v.why(kAutumn, t + 2) == "");
  CHECK(v.why(kPromo, t + 2) == "");
}

TEST_CASE("contact: contacts of campaigns no longer configured still count globally", "[contact]") {
  ContactRules before = fixtureRules();
  before.caps.push_back(cap(CapScope::Global, 0, 9, CapPeriod::Day));  // keeps timestamps
  finish(before);
  Visitor old(before);
  double t = at("2026-11-25T10:00:00Z");
  old.see(kSpring, t);
  old.see(kWinter, t);
  // A config edit: spring is gone, a new campaign takes its index.
  ContactRules after = fixtureRules();
  after.campaigns[kSpring].key = attune::contactKey("black-friday");
  after.caps.push_back(cap(CapScope::Global, 0, 2, CapPeriod::Day));
  after.caps.push_back(cap(CapScope::Placement, 0, 1, CapPeriod::Day));
  after.caps.push_back(cap(CapScope::Campaign, kSpring, 1, CapPeriod::Lifetime));
  finish(after);
  Visitor v(after);
  v.h = old.h;
  CHECK(v.why(kSpring, t + 1) == "cap:global day 2/2");
  after.caps[0].max = 3;
  // Not counted for placement or campaign: the old contacts belong to another campaign.
  CHECK(v.why(kSpring, t + 1) == "");
  CHECK(v.why(kSummer, t + 1) == "");
}

TEST_CASE("contact: click caps count clicks only", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 1, CapPeriod::Day, 0, CapCount::Click));
  r.caps.push_back(cap(CapScope::Global, 0, 2, CapPeriod::Lifetime, 0, CapCount::Click));
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  for (int i = 0; i < 5; ++i) v.see(kSpring, t + i);
  CHECK(v.why(kSpring, t + 10) == "");
  v.click(kSpring, t + 10);
  CHECK(v.why(kSpring, t + 11) == "cap:campaign day clicks 1/1");
  CHECK(v.why(kSpring, at("2026-11-26T00:00:00Z")) == "");
  v.click(kWinter, t + 12);
  CHECK(v.why(kSpring, at("2026-11-26T00:00:00Z")) == "cap:global lifetime clicks 2/2");
}

TEST_CASE("contact: cap multipliers raise maxima, floored, never lower them", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 3, CapPeriod::Day));
  r.caps.push_back(cap(CapScope::Campaign, kSummer, 2, CapPeriod::Lifetime));
  finish(r, 2);
  CHECK(r.keepPerCampaign == 6);  // 3 × 2
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  for (int i = 0; i < 3; ++i) v.see(kSpring, t + i);
  CHECK(v.why(kSpring, t + 5, 0, 1) == "cap:campaign day 3/3");
  CHECK(v.why(kSpring, t + 5, 0, 1.5) == "");  // floor(4.5) = 4
  v.see(kSpring, t + 5);
  CHECK(v.why(kSpring, t + 6, 0, 1.5) == "cap:campaign day 4/4");
  CHECK(v.why(kSpring, t + 6, 0, 1.99) == "");  // floor(5.97) = 5
  CHECK(v.why(kSpring, t + 6, 0, 2) == "");
  CHECK(v.why(kSpring, t + 6, 0, 0.5) == "cap:campaign day 4/3");  // never below the max
  CHECK(v.why(kSpring, t + 6, 0, std::nan("")) == "cap:campaign day 4/3");
  CHECK(v.why(kSpring, t + 6, 0, -3) == "cap:campaign day 4/3");
  v.see(kSpring, t + 7);
  v.see(kSpring, t + 8);
  CHECK(v.why(kSpring, t + 9, 0, 2) == "cap:campaign day 6/6");
  // A multiplier beyond what the config declared cannot count past the kept timestamps.
  CHECK(v.why(kSpring, t + 9, 0, 100) == "cap:campaign day 6/6");
  CHECK(v.why(kSpring, t + 9, 0, std::numeric_limits<double>::infinity()) ==
        "cap:campaign day 6/3");
  // Lifetime caps multiply too, and have no kept-timestamp ceiling.
  for (int i = 0; i < 4; ++i) v.see(kSummer, t + i);
  CHECK(v.why(kSummer, t + 9, 0, 1) == "cap:campaign lifetime 4/2");
  CHECK(v.why(kSummer, t + 9, 0, 2.5) == "");  // 5
  v.see(kSummer, t + 10);
  CHECK(v.why(kSummer, t + 11, 0, 2.5) == "cap:campaign lifetime 5/5");
}

// ---- Fatigue, cooldown, quiet hours -------------------------------------------------------------

TEST_CASE("contact: fatigue suppresses after N impressions without a click", "[contact]") {
  ContactRules r = fixtureRules();
  r.campaigns[kSpring].fatigueImpressions = 3;
  r.campaigns[kSpring].fatigueSuppressMs = kDay;
  finish(r);
  CHECK(r.keepPerCampaign == 3);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  v.see(kSpring, t);
  v.see(kSpring, t + kHour);
  CHECK(v.why(kSpring, t + 2 * kHour) == "");
  double third = t + 2 * kHour;
  v.see(kSpring, third);
  CHECK(v.why(kSpring, third) == "fatigue 3/3");
  CHECK(v.why(kSpring, third + kDay - 1) == "fatigue 3/3");
  CHECK(v.why(kSpring, third + kDay) == "");
  CHECK(v.why(kSummer, third) == "");  // fatigue is per campaign
  // A new round of three.
  double round2 = third + kDay;
  v.see(kSpring, round2);
  v.see(kSpring, round2 + 1);
  CHECK(v.why(kSpring, round2 + 2) == "");
  v.see(kSpring, round2 + 2);
  CHECK(v.why(kSpring, round2 + 3) == "fatigue 3/3");
  CHECK(v.why(kSpring, round2 + 2 + kDay) == "");
  // A click ends the streak: two more, a click, two more is not fatigue.
  double round3 = round2 + 2 * kDay;
  v.see(kSpring, round3);
  v.see(kSpring, round3 + 1);
  v.click(kSpring, round3 + 2);
  v.see(kSpring, round3 + 3);
  v.see(kSpring, round3 + 4);
  CHECK(v.h.campaigns.size() == 1);
  CHECK(v.h.campaigns[0].impressionsSinceClick == 2);
  CHECK(v.why(kSpring, round3 + 5) == "");
  v.see(kSpring, round3 + 5);
  CHECK(v.why(kSpring, round3 + 6) == "fatigue 3/3");
  // A click lifts a running suppression.
  v.click(kSpring, round3 + 7);
  CHECK(v.why(kSpring, round3 + 8) == "");
}

TEST_CASE("contact: cooldown after a dismissal names its end", "[contact]") {
  ContactRules r = fixtureRules();
  r.campaigns[kSpring].cooldownAfterDismissMs = 2 * kDay;
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  v.see(kSpring, t - kMinute);
  CHECK(v.why(kSpring, t) == "");
  v.dismiss(kSpring, t);
  CHECK(v.why(kSpring, t) == "cooldown until 2026-11-27T10:00:00Z");
  CHECK(v.why(kSpring, at("2026-11-27T09:59:59.999Z")) == "cooldown until 2026-11-27T10:00:00Z");
  CHECK(v.why(kSpring, at("2026-11-27T10:00:00Z")) == "");
  CHECK(v.why(kSummer, t) == "");
  // A later dismissal (milliseconds kept, sub-millisecond floored) moves the end.
  v.dismiss(kSpring, at("2026-11-28T23:30:00.500Z") + 0.75);
  CHECK(v.why(kSpring, at("2026-11-29T00:00:00Z")) == "cooldown until 2026-11-30T23:30:00.500Z");
  // An earlier one, reported late, does not shorten it.
  v.dismiss(kSpring, at("2026-11-28T00:00:00Z"));
  CHECK(v.why(kSpring, at("2026-11-30T23:30:00.499Z")) ==
        "cooldown until 2026-11-30T23:30:00.500Z");
  CHECK(v.why(kSpring, at("2026-11-30T23:30:00.500Z")) == "");
}

TEST_CASE("contact: quiet hours per channel, crossing midnight or not, in local time",
          "[contact]") {
  ContactRules r = fixtureRules();
  r.quietHours = {QuietHours{720, 840}, QuietHours{1320, 480}};  // web 12–14, popup 22–08
  finish(r);
  Visitor v(r);
  for (int offset : kOffsets) {
    INFO("utcOffsetMinutes " << offset);
    double midnight = at("2026-11-25T00:00:00Z") - offset * kMinute;
    auto local = [&](int hour, int minute) { return midnight + hour * kHour + minute * kMinute; };
    const std::string popup =
        "quiet_hours 22:00\xE2\x80\x93"
        "08:00";
    const std::string web =
        "quiet_hours 12:00\xE2\x80\x93"
        "14:00";
    CHECK(v.why(kWinter, local(21, 59), offset) == "");
    CHECK(v.why(kWinter, local(22, 0), offset) == popup);
    CHECK(v.why(kWinter, local(23, 59), offset) == popup);
    CHECK(v.why(kWinter, local(24, 0), offset) == popup);
    CHECK(v.why(kWinter, local(31, 59), offset) == popup);  // 07:59 next day
    CHECK(v.why(kWinter, local(32, 0) - 1, offset) == popup);
    CHECK(v.why(kWinter, local(32, 0), offset) == "");
    CHECK(v.why(kWinter, local(12, 30), offset) == "");
    CHECK(v.why(kSpring, local(11, 59), offset) == "");
    CHECK(v.why(kSpring, local(12, 0), offset) == web);
    CHECK(v.why(kSpring, local(13, 59), offset) == web);
    CHECK(v.why(kSpring, local(14, 0), offset) == "");
    CHECK(v.why(kSpring, local(23, 0), offset) == "");
  }
  // Until midnight: 24:00.
  r.quietHours[1] = QuietHours{1320, 1440};
  double t = at("2026-11-25T00:00:00Z");
  CHECK(v.why(kPromo, t + 23 * kHour) ==
        "quiet_hours 22:00\xE2\x80\x93"
        "24:00");
  CHECK(v.why(kPromo, t + 24 * kHour) == "");
}

TEST_CASE("contact: reasons follow caps, fatigue, cooldown, quiet hours", "[contact]") {
  ContactRules all = fixtureRules();
  all.caps.push_back(cap(CapScope::Campaign, kWinter, 1, CapPeriod::Day));
  all.campaigns[kWinter].fatigueImpressions = 1;
  all.campaigns[kWinter].fatigueSuppressMs = 7 * kDay;
  all.campaigns[kWinter].cooldownAfterDismissMs = 7 * kDay;
  all.quietHours = {QuietHours{}, QuietHours{1320, 480}};
  finish(all);
  Visitor v(all);
  double t = at("2026-11-25T22:30:00Z");
  v.see(kWinter, t);
  v.dismiss(kWinter, t + kMinute);
  CHECK(v.why(kWinter, t + 2 * kMinute) == "cap:campaign day 1/1");
  // Rules are finished again after each change (finishing builds the per-campaign index).
  all.caps.clear();
  finish(all);
  CHECK(v.why(kWinter, t + 2 * kMinute) == "fatigue 1/1");
  all.campaigns[kWinter].fatigueImpressions = 0;
  finish(all);
  CHECK(v.why(kWinter, t + 2 * kMinute) == "cooldown until 2026-12-02T22:31:00Z");
  all.campaigns[kWinter].cooldownAfterDismissMs = 0;
  finish(all);
  CHECK(v.why(kWinter, t + 2 * kMinute) ==
        "quiet_hours 22:00\xE2\x80\x93"
        "08:00");
  all.quietHours.clear();
  finish(all);
  CHECK(v.why(kWinter, t + 2 * kMinute) == "");
}

TEST_CASE("contact: the reason buffer is bounded and cut at a UTF-8 boundary", "[contact]") {
  ContactRules r = fixtureRules();
  r.channelNames[1] =
      "\xC3\xBC"
      "berall-\xE2\x82\xAC-\xF0\x9F\x98\x80-" +
      std::string(300, 'x');
  r.caps.push_back(cap(CapScope::Channel, 1, 1, CapPeriod::Day));
  finish(r);
  ContactHistory h;
  double t = at("2026-11-25T10:00:00Z");
  REQUIRE(attune::recordContact(h, r, kWinter, ContactKind::Impression, 0, t) ==
          RecordOutcome::Recorded);
  for (size_t capacity = 0; capacity < 40; ++capacity) {
    INFO("capacity " << capacity);
    std::vector<char> buffer(capacity + 8, '#');
    bool ok = attune::contactAllowed(h, r, kWinter, {t, 0, 1}, capacity ? buffer.data() : nullptr,
                                     capacity);
    CHECK_FALSE(ok);
    CHECK(buffer[capacity] == '#');  // nothing written past the capacity
    if (capacity == 0) continue;
    size_t length = std::strlen(buffer.data());
    CHECK(length < capacity);
    CHECK(validUtf8(buffer.data()));
    std::string full = "cap:channel " + r.channelNames[1] + " day 1/1";
    CHECK(full.compare(0, length, buffer.data(), length) == 0);
    CHECK(length + 4 >= capacity - 1);  // cut at most one sequence short
  }
  char big[512];
  CHECK_FALSE(attune::contactAllowed(h, r, kWinter, {t, 0, 1}, big, sizeof big));
  CHECK(std::string(big) == "cap:channel " + r.channelNames[1] + " day 1/1");
}

TEST_CASE("contact: unknown campaigns and invalid times are refused", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 1, CapPeriod::Day));
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  CHECK(v.why(5, t) == "contact: unknown campaign");
  CHECK(v.why(0xFFFFFFFFu, t) == "contact: unknown campaign");
  CHECK(v.why(kSpring, std::nan("")) == "contact: invalid time");
  CHECK(v.why(kSpring, std::numeric_limits<double>::infinity()) == "contact: invalid time");
  // No rules at all: everything known is allowed.
  ContactRules none = fixtureRules();
  finish(none);
  CHECK_FALSE(none.any);
  Visitor w(none);
  CHECK(w.why(kSpring, std::nan("")) == "");
  CHECK(w.why(9, t) == "contact: unknown campaign");
}

TEST_CASE("contact: finishing rules checks them and names the culprit", "[contact]") {
  auto error = [](ContactRules r, double multiplier = 1) {
    std::string e;
    bool ok = attune::finishContactRules(r, multiplier, e);
    CHECK(ok == e.empty());
    return e;
  };
  ContactRules r = fixtureRules();
  CHECK(error(r) == "");
  r.caps = {cap(CapScope::Channel, 2, 1, CapPeriod::Day)};
  CHECK(error(r) == "caps[0]: channel 2 does not exist");
  r.caps = {cap(CapScope::Global, 0, 1, CapPeriod::Day),
            cap(CapScope::Placement, 3, 1, CapPeriod::Day)};
  CHECK(error(r) == "caps[1]: placement 3 does not exist");
  r.caps = {cap(CapScope::Campaign, 5, 1, CapPeriod::Day)};
  CHECK(error(r) == "caps[0]: campaign 5 does not exist");
  r.caps = {cap(CapScope::Global, 99, 0, CapPeriod::Day)};
  CHECK(error(r) == "caps[0]: max must be at least 1");
  r.caps = {cap(CapScope::Global, 0, 1, CapPeriod::Rolling, 999)};
  CHECK(error(r) == "caps[0]: a rolling window must last from 1s to 3650d");
  r.caps = {cap(CapScope::Global, 0, 1, CapPeriod::Rolling, std::nan(""))};
  CHECK(error(r) == "caps[0]: a rolling window must last from 1s to 3650d");
  r.caps = {cap(CapScope::Global, 0, 128, CapPeriod::Week)};
  CHECK(error(r) == "");
  r.caps = {cap(CapScope::Global, 0, 129, CapPeriod::Week)};
  CHECK(error(r) ==
        "caps[0]: max 129 needs more than 128 kept contacts per "
        "campaign; use a lower max or a "
        "lifetime cap");
  r.caps = {cap(CapScope::Global, 0, 100, CapPeriod::Session)};
  CHECK(error(r, 1.5) ==
        "caps[0]: max 100 with multiplier up to 150 needs "
        "more than 128 kept contacts per "
        "campaign; use a lower max or a lifetime cap");
  r.caps = {cap(CapScope::Global, 0, 1000000, CapPeriod::Lifetime)};
  CHECK(error(r, 1000) == "");
  CHECK(error(r, 0.5) == "largest cap multiplier must be a finite number of at least 1");
  r.caps.clear();
  ContactRules f = fixtureRules();
  f.campaigns[2].fatigueImpressions = 129;
  f.campaigns[2].fatigueSuppressMs = kDay;
  CHECK(error(f) == "campaigns[2]: fatigue impressions must be at most 128");
  f.campaigns[2].fatigueImpressions = 3;
  f.campaigns[2].fatigueSuppressMs = 0;
  CHECK(error(f) == "campaigns[2]: fatigue needs a positive suppression period");
  f = fixtureRules();
  f.campaigns[1].cooldownAfterDismissMs = -1;
  CHECK(error(f) == "campaigns[1]: cooldownAfterDismiss must be a non-negative duration");
  f = fixtureRules();
  f.campaigns[4].placement = 3;
  CHECK(error(f) == "campaigns[4]: placement 3 does not exist");
  f = fixtureRules();
  f.campaigns[4].channel = 2;
  CHECK(error(f) == "campaigns[4]: channel 2 does not exist");
  f = fixtureRules();
  f.campaigns[3].key = f.campaigns[1].key;
  CHECK(error(f) == "campaigns[1] and campaigns[3] have the same contact key; rename one");
  f = fixtureRules();
  f.quietHours = {QuietHours{600, 600}};
  CHECK(error(f).rfind("quietHours[0]: ", 0) == 0);
  f.quietHours = {QuietHours{}, QuietHours{1440, 60}};
  CHECK(error(f).rfind("quietHours[1]: ", 0) == 0);
  f.quietHours = {QuietHours{}, QuietHours{}, QuietHours{}};
  CHECK(error(f) == "quiet hours given for more channels than there are");
  f = fixtureRules();
  f.sessionTimeoutMs = 0;
  CHECK(error(f) == "session timeout must be a positive duration");
}

// ---- Recording, tokens against replays, bounded memory ------------------------------------------

TEST_CASE("contact: recording refuses replays, stale tokens and bad times unchanged", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 10, CapPeriod::Day));
  finish(r);
  ContactHistory h;
  double t = at("2026-11-25T10:00:00Z");
  uint64_t nonce = attune::makeNonce(t, 7);
  auto rec = [&](ContactKind kind, uint64_t n, double when,
                 StaleTokens stale = StaleTokens::Refuse) {
    return attune::recordContact(h, r, kSpring, kind, n, when, stale);
  };
  CHECK(rec(ContactKind::Impression, nonce, t) == RecordOutcome::Recorded);
  std::string before = encoded(h);
  CHECK(rec(ContactKind::Impression, nonce, t + 1) == RecordOutcome::Replayed);
  CHECK(encoded(h) == before);
  CHECK(rec(ContactKind::Click, nonce, t + 2) == RecordOutcome::Recorded);
  CHECK(rec(ContactKind::Dismiss, nonce, t + 3) == RecordOutcome::Recorded);
  CHECK(rec(ContactKind::Conversion, nonce, t + 4) == RecordOutcome::Recorded);
  before = encoded(h);
  for (ContactKind k : {ContactKind::Impression, ContactKind::Click, ContactKind::Dismiss,
                        ContactKind::Conversion}) {
    CHECK(rec(k, nonce, t + 5) == RecordOutcome::Replayed);
  }
  CHECK(encoded(h) == before);
  CHECK(h.totalImpressions == 1);
  CHECK(h.totalClicks == 1);
  REQUIRE(h.usedTokens.size() == 1);
  CHECK(h.usedTokens[0].kinds == 15);
  // Without a token nothing is checked: every report counts.
  CHECK(rec(ContactKind::Impression, 0, t + 6) == RecordOutcome::Recorded);
  CHECK(rec(ContactKind::Impression, 0, t + 6) == RecordOutcome::Recorded);
  CHECK(h.totalImpressions == 3);
  // Bad times and unknown campaigns change nothing.
  before = encoded(h);
  for (double bad :
       {std::nan(""), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), 0.0, 0.5, -1.0, 8.64e15 + 1, 1e300}) {
    CHECK(rec(ContactKind::Impression, attune::makeNonce(t, 9), bad) == RecordOutcome::InvalidTime);
  }
  CHECK(attune::recordContact(h, r, 5, ContactKind::Impression, 99, t) ==
        RecordOutcome::UnknownCampaign);
  CHECK(encoded(h) == before);
  CHECK(rec(ContactKind::Impression, 0, 8.64e15) == RecordOutcome::Recorded);  // the last valid

  // The replay window: 512 nonces, then a batch of the oldest 64 falls below the floor.
  ContactHistory fresh;
  h = fresh;
  std::vector<uint64_t> nonces;
  for (uint32_t i = 0; i < 512; ++i) {
    nonces.push_back(attune::makeNonce(t + i, i));
    REQUIRE(rec(ContactKind::Impression, nonces.back(), t + i) == RecordOutcome::Recorded);
  }
  CHECK(h.usedTokens.size() == 512);
  CHECK(h.tokenFloor == 0);
  nonces.push_back(attune::makeNonce(t + 512, 512));
  CHECK(rec(ContactKind::Impression, nonces.back(), t + 512) == RecordOutcome::Recorded);
  CHECK(h.usedTokens.size() == 513 - 64);
  CHECK(h.tokenFloor == nonces[63]);
  before = encoded(h);
  CHECK(rec(ContactKind::Impression, nonces[0], t + 600) == RecordOutcome::Stale);
  CHECK(rec(ContactKind::Click, nonces[63], t + 600) == RecordOutcome::Stale);  // any kind
  CHECK(rec(ContactKind::Impression, nonces[64], t + 600) == RecordOutcome::Replayed);
  CHECK(rec(ContactKind::Impression, nonces[512], t + 600) == RecordOutcome::Replayed);
  CHECK(encoded(h) == before);
  CHECK(rec(ContactKind::Click, nonces[64], t + 600) == RecordOutcome::Recorded);
  // A tab re-applying its own queued reports counts a stale token once more.
  uint64_t total = h.totalImpressions;
  CHECK(rec(ContactKind::Impression, nonces[5], t + 700, StaleTokens::Count) ==
        RecordOutcome::Recorded);
  CHECK(h.totalImpressions == total + 1);
  CHECK(h.usedTokens.size() == 449);
}

TEST_CASE("contact: out-of-order reports keep the most recent timestamps sorted", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 3, CapPeriod::Rolling, kDay));
  finish(r);
  REQUIRE(r.keepPerCampaign == 3);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  for (double d : {5.0, 1.0, 4.0, 2.0, 6.0, 3.0, 0.0}) v.see(kSpring, t + d * kMinute);
  REQUIRE(v.h.campaigns.size() == 1);
  const CampaignContacts& e = v.h.campaigns[0];
  CHECK(e.impressions == std::vector<double>{t + 4 * kMinute, t + 5 * kMinute, t + 6 * kMinute});
  CHECK(e.lifetimeImpressions == 7);
  CHECK(e.lastMs == t + 6 * kMinute);
  CHECK(v.h.lastContactMs == t + 6 * kMinute);
  CHECK(v.h.sessionStartMs == t + 5 * kMinute);  // the first report started the session
}

TEST_CASE("contact: a million contacts stay within bounds with exact counts", "[contact]") {
  // 1000 campaigns on two placements; global caps keep 10 timestamps per campaign.
  ContactRules r;
  r.channelNames = {"web"};
  r.placementNames = {"a", "b"};
  for (uint32_t i = 0; i < 1000; ++i) {
    CampaignContactRules c;
    c.key = attune::contactKey("campaign-" + std::to_string(i));
    c.placement = i % 2;
    c.channel = 0;
    r.campaigns.push_back(c);
  }
  r.caps.push_back(cap(CapScope::Global, 0, 10, CapPeriod::Day));
  finish(r);
  REQUIRE(r.keepPerCampaign == 10);

  // A model of what the history must remember: LRU over campaigns, exact counts.
  struct Model {
    uint64_t impressions = 0, clicks = 0;
    double lastMs = 0;
    std::vector<double> recent;  // every impression time (phase A checks the kept tail)
  };
  std::map<uint32_t, Model> model;  // by key, as the history orders them
  uint64_t totalImpressions = 0, totalClicks = 0;
  ContactHistory h;
  std::mt19937_64 rng(20261125);
  double t = at("2026-01-01T00:00:00Z");
  uint64_t lastNonce = 0;
  ContactKind lastKind = ContactKind::Impression;
  uint32_t lastCampaign = 0;

  auto checkBounds = [&]() {
    REQUIRE(h.campaigns.size() <= attune::kMaxContactCampaigns);
    REQUIRE(h.usedTokens.size() <= attune::kMaxUsedTokens);
    REQUIRE(h.totalImpressions == totalImpressions);
    REQUIRE(h.totalClicks == totalClicks);
    REQUIRE(h.campaigns.size() == model.size());
    auto m = model.begin();
    for (const CampaignContacts& e : h.campaigns) {
      REQUIRE(e.impressions.size() <= 10);
      REQUIRE(e.clicks.size() <= 10);
      REQUIRE(e.key == m->first);
      REQUIRE(e.lifetimeImpressions == m->second.impressions);
      REQUIRE(e.lifetimeClicks == m->second.clicks);
      REQUIRE(e.lastMs == m->second.lastMs);
      ++m;
    }
  };

  auto step = [&](uint32_t campaign) {
    t += 1 + static_cast<double>(rng() % 5000);
    uint32_t roll = static_cast<uint32_t>(rng() % 100);
    ContactKind kind = roll < 70   ? ContactKind::Impression
                       : roll < 90 ? ContactKind::Click
                       : roll < 95 ? ContactKind::Dismiss
                                   : ContactKind::Conversion;
    if (roll == 99 && lastNonce) {  // a replay of the previous report never counts
      REQUIRE(attune::recordContact(h, r, lastCampaign, lastKind, lastNonce, t) ==
              RecordOutcome::Replayed);
      return;
    }
    uint64_t nonce = rng() % 3 ? attune::makeNonce(t, static_cast<uint32_t>(rng())) : 0;
    REQUIRE(attune::recordContact(h, r, campaign, kind, nonce, t) == RecordOutcome::Recorded);
    if (nonce) {
      lastNonce = nonce;
      lastKind = kind;
      lastCampaign = campaign;
    }
    if (kind == ContactKind::Conversion) return;
    uint32_t key = r.campaigns[campaign].key;
    if (!model.count(key) && model.size() == attune::kMaxContactCampaigns) {
      auto lru = model.begin();
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->second.lastMs < lru->second.lastMs) lru = it;
      }
      model.erase(lru);
    }
    Model& m = model[key];
    m.lastMs = t;
    if (kind == ContactKind::Impression) {
      ++m.impressions;
      ++totalImpressions;
      m.recent.push_back(t);
      if (m.recent.size() > 10) m.recent.erase(m.recent.begin());
    } else if (kind == ContactKind::Click) {
      ++m.clicks;
      ++totalClicks;
    }
  };

  // Phase A: 200 campaigns (all remembered), skewed towards a few.
  for (int i = 0; i < 400000; ++i) {
    uint32_t c = static_cast<uint32_t>(rng() % 8 ? rng() % 20 : rng() % 200);
    step(c);
    if (i % 100000 == 99999) checkBounds();
  }
  checkBounds();
  for (const CampaignContacts& e : h.campaigns) {
    REQUIRE(e.impressions == model[e.key].recent);
  }
  // Phase B: 1000 campaigns, most of them new to the history at each contact.
  for (int i = 0; i < 600000; ++i) {
    step(static_cast<uint32_t>(rng() % 1000));
    if (i % 100000 == 99999) checkBounds();
  }
  checkBounds();
  CHECK(h.campaigns.size() == attune::kMaxContactCampaigns);
  CHECK(totalImpressions + totalClicks > 850000);
  // The byte form stays bounded too (256 campaigns × 20 timestamps, 512 tokens).
  std::string bytes = encoded(h);
  CHECK(bytes.size() < 256 * 160 + 512 * 11);
  ContactHistory back;
  std::string error;
  REQUIRE(attune::decodeContacts(bytes, back, error));
  CHECK(encoded(back) == bytes);
}

TEST_CASE("contact: no allocation when checking", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 50, CapPeriod::Day));
  r.caps.push_back(cap(CapScope::Channel, 1, 3, CapPeriod::Rolling, 12 * kHour));
  r.caps.push_back(cap(CapScope::Placement, 0, 4, CapPeriod::Week));
  r.caps.push_back(cap(CapScope::Campaign, kSpring, 2, CapPeriod::Session));
  r.caps.push_back(cap(CapScope::Campaign, kSummer, 9, CapPeriod::Lifetime, 0, CapCount::Click));
  r.campaigns[kAutumn].fatigueImpressions = 2;
  r.campaigns[kAutumn].fatigueSuppressMs = kDay;
  r.campaigns[kPromo].cooldownAfterDismissMs = kDay;
  r.quietHours = {QuietHours{720, 840}, QuietHours{1320, 480}};
  finish(r, 2);
  Visitor v(r);
  double t = at("2026-11-25T10:00:00Z");
  for (int i = 0; i < 40; ++i) {
    v.see(static_cast<uint32_t>(i % 5), t + i * kMinute);
    if (i % 7 == 0) v.click(static_cast<uint32_t>(i % 5), t + i * kMinute + 1);
    if (i % 9 == 0) v.dismiss(static_cast<uint32_t>(i % 5), t + i * kMinute + 2);
  }
  char why[attune::kContactWhyCapacity];
  uint32_t blocked = 0, allowed = 0;
  attune_test::AllocationCounter counter;
  counter.start();
  for (int step = 0; step < 200; ++step) {
    for (uint32_t c = 0; c < 6; ++c) {
      double now = t + step * 17 * kMinute;
      int offset = kOffsets[step % 4];
      if (attune::contactAllowed(v.h, r, c, {now, offset, 1.0 + (step % 3) * 0.5}, why,
                                 sizeof why)) {
        ++allowed;
      } else {
        ++blocked;
      }
    }
  }
  uint64_t allocations = counter.stop();
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
  CHECK(blocked > 200);  // every reason path ran
  CHECK(allowed > 50);
}

// ---- Pruning ------------------------------------------------------------------------------------

TEST_CASE("contact: pruning changes no later decision and bounds tokens", "[contact]") {
  std::mt19937_64 rng(7);
  auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  const double t0 = at("2026-11-01T00:00:00Z");
  int shrunk = 0;
  for (int scenario = 0; scenario < 1500; ++scenario) {
    ContactRules r = fixtureRules();
    int capCount = pick(4);
    for (int i = 0; i < capCount; ++i) {
      CapScope scope = static_cast<CapScope>(pick(4));
      uint32_t target = scope == CapScope::Channel     ? pick(2)
                        : scope == CapScope::Placement ? pick(3)
                                                       : pick(5);
      CapPeriod period = static_cast<CapPeriod>(pick(5));
      double rolling = (1 + pick(72)) * kHour;
      r.caps.push_back(cap(scope, target, 1 + pick(6), period, rolling,
                           pick(4) ? CapCount::Impression : CapCount::Click));
    }
    if (pick(2)) {
      uint32_t c = pick(5);
      r.campaigns[c].fatigueImpressions = 1 + pick(4);
      r.campaigns[c].fatigueSuppressMs = (1 + pick(96)) * kHour;
    }
    if (pick(2)) r.campaigns[pick(5)].cooldownAfterDismissMs = (1 + pick(96)) * kHour;
    if (pick(3) == 0) r.sessionTimeoutMs = (5 + pick(60)) * kMinute;
    finish(r, 2);
    ContactHistory h;
    double t = t0;
    int contacts = static_cast<int>(pick(60));
    for (int i = 0; i < contacts; ++i) {
      uint32_t gap = pick(8);
      t += gap == 0 ? pick(5) * kDay : gap < 3 ? pick(14) * kHour : pick(90) * kMinute;
      ContactKind kind = static_cast<ContactKind>(pick(4));
      uint32_t campaign = pick(5);
      uint64_t nonce = attune::makeNonce(t, pick(1 << 20));
      attune::recordContact(h, r, campaign, kind, nonce, t);
    }
    uint32_t wait = pick(3);
    double now = t + (wait == 0   ? pick(120) * kMinute
                      : wait == 1 ? pick(48 * 60) * kMinute
                                  : pick(10) * kDay);
    ContactHistory pruned = h;
    attune::pruneContacts(pruned, r, now, 8);
    CHECK(pruned.usedTokens.size() <= 8);
    CHECK(pruned.totalImpressions == h.totalImpressions);
    if (encoded(pruned).size() < encoded(h).size()) ++shrunk;
    for (double later :
         {0.0, 1.0, 29 * kMinute, 31 * kMinute, 13 * kHour, kDay, 3 * kDay, 8 * kDay}) {
      for (int offset : kOffsets) {
        for (double multiplier : {1.0, 2.0}) {
          for (uint32_t c = 0; c < 5; ++c) {
            char a[attune::kContactWhyCapacity], b[attune::kContactWhyCapacity];
            bool x =
                attune::contactAllowed(h, r, c, {now + later, offset, multiplier}, a, sizeof a);
            bool y = attune::contactAllowed(pruned, r, c, {now + later, offset, multiplier}, b,
                                            sizeof b);
            if (x != y || std::strcmp(a, b) != 0) {
              FAIL("scenario " << scenario << " campaign " << c << " +" << later << "ms offset "
                               << offset << ": " << a << " vs " << b);
            }
          }
        }
      }
    }
    // Tokens below the raised floor stay refused.
    for (const attune::UsedToken& u : h.usedTokens) {
      for (int k = 0; k < 4; ++k) {
        if (!(u.kinds >> k & 1)) continue;
        ContactHistory copy = pruned;
        RecordOutcome o =
            attune::recordContact(copy, r, 0, static_cast<ContactKind>(k), u.nonce, now);
        CHECK((o == RecordOutcome::Replayed || o == RecordOutcome::Stale));
      }
    }
  }
  CHECK(shrunk > 500);
}

TEST_CASE("contact: pruning keeps a live session, fatigue streaks and cooldowns", "[contact]") {
  // A session cap alone: every contact of the live session stays, however old.
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 12, CapPeriod::Session));
  finish(r);
  Visitor v(r);
  double t = at("2026-11-25T08:00:00Z");
  for (int i = 0; i < 12; ++i) v.see(static_cast<uint32_t>(i % 5), t + i * 20 * kMinute);
  double now = t + 11 * 20 * kMinute + 10 * kMinute;
  CHECK(v.why(kSpring, now) == "cap:global session 12/12");
  attune::pruneContacts(v.h, r, now, 512);
  CHECK(v.why(kSpring, now) == "cap:global session 12/12");
  // Once the session is over nothing is needed any more.
  attune::pruneContacts(v.h, r, now + kHour, 512);
  CHECK(v.h.campaigns.empty());
  CHECK(v.h.totalImpressions == 12);

  // A fatigue streak outlives its timestamps: the round continues after pruning.
  ContactRules f = fixtureRules();
  f.campaigns[kSpring].fatigueImpressions = 3;
  f.campaigns[kSpring].fatigueSuppressMs = kHour;
  finish(f);
  Visitor w(f);
  for (int i = 0; i < 4; ++i) w.see(kSpring, t + i * kMinute);
  attune::pruneContacts(w.h, f, t + 2 * kDay, 512);
  REQUIRE(w.h.campaigns.size() == 1);
  CHECK(w.h.campaigns[0].impressions.empty());
  CHECK(w.h.campaigns[0].impressionsSinceClick == 4);
  w.see(kSpring, t + 2 * kDay);
  w.see(kSpring, t + 2 * kDay + 1);
  CHECK(w.why(kSpring, t + 2 * kDay + 2) == "fatigue 3/3");

  // A running cooldown keeps its campaign; an expired one does not.
  ContactRules c = fixtureRules();
  c.campaigns[kSummer].cooldownAfterDismissMs = kDay;
  finish(c);
  Visitor x(c);
  x.dismiss(kSummer, t);
  x.dismiss(kAutumn, t);
  attune::pruneContacts(x.h, c, t + kHour, 512);
  REQUIRE(x.h.campaigns.size() == 1);
  CHECK(x.why(kSummer, t + kHour) == "cooldown until 2026-11-26T08:00:00Z");
  attune::pruneContacts(x.h, c, t + kDay, 512);
  CHECK(x.h.campaigns.empty());

  // Lifetime caps on a campaign, channel or placement keep the counters they read.
  ContactRules l = fixtureRules();
  l.caps.push_back(cap(CapScope::Channel, 1, 2, CapPeriod::Lifetime));
  finish(l);
  Visitor y(l);
  y.see(kWinter, t);
  y.see(kSpring, t);
  attune::pruneContacts(y.h, l, t + 30 * kDay, 512);
  REQUIRE(y.h.campaigns.size() == 1);
  CHECK(y.h.campaigns[0].key == attune::contactKey("winter"));
  y.see(kPromo, t + 31 * kDay);
  CHECK(y.why(kWinter, t + 31 * kDay) == "cap:channel popup lifetime 2/2");
}

// ---- Byte form ----------------------------------------------------------------------------------

namespace {

ContactHistory richHistory(const ContactRules& r) {
  ContactHistory h;
  double t = at("2026-11-20T08:00:00Z");
  for (int i = 0; i < 60; ++i) {
    ContactKind kind = static_cast<ContactKind>(i % 4);
    attune::recordContact(h, r, static_cast<uint32_t>(i % 5), kind,
                          i % 3 ? attune::makeNonce(t, static_cast<uint32_t>(i)) : 0, t);
    t += (i % 6) * 7 * kMinute + 1;
  }
  return h;
}

}  // namespace

TEST_CASE("contact: the byte form round-trips and follows its layout", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 4, CapPeriod::Day));
  finish(r);
  ContactHistory h = richHistory(r);
  std::string bytes = encoded(h);
  ContactHistory back;
  std::string error;
  REQUIRE(attune::decodeContacts(bytes, back, error));
  CHECK(error.empty());
  REQUIRE(back.campaigns.size() == h.campaigns.size());
  for (size_t i = 0; i < h.campaigns.size(); ++i) {
    const CampaignContacts &a = h.campaigns[i], &b = back.campaigns[i];
    CHECK(a.key == b.key);
    CHECK(a.lifetimeImpressions == b.lifetimeImpressions);
    CHECK(a.lifetimeClicks == b.lifetimeClicks);
    CHECK(a.impressionsSinceClick == b.impressionsSinceClick);
    CHECK(a.lastMs == b.lastMs);
    CHECK(a.lastDismissMs == b.lastDismissMs);
    CHECK(a.impressions == b.impressions);
    CHECK(a.clicks == b.clicks);
  }
  CHECK(back.totalImpressions == h.totalImpressions);
  CHECK(back.sessionStartMs == h.sessionStartMs);
  CHECK(back.lastContactMs == h.lastContactMs);
  CHECK(back.tokenFloor == h.tokenFloor);
  REQUIRE(back.usedTokens.size() == h.usedTokens.size());
  for (size_t i = 0; i < h.usedTokens.size(); ++i) {
    CHECK(back.usedTokens[i].nonce == h.usedTokens[i].nonce);
    CHECK(back.usedTokens[i].kinds == h.usedTokens[i].kinds);
  }
  CHECK(encoded(back) == bytes);
  // Decisions read the decoded history as the original.
  for (uint32_t c = 0; c < 5; ++c) {
    char a[attune::kContactWhyCapacity], b[attune::kContactWhyCapacity];
    double now = h.lastContactMs + kMinute;
    CHECK(attune::contactAllowed(h, r, c, {now, 60, 1}, a, sizeof a) ==
          attune::contactAllowed(back, r, c, {now, 60, 1}, b, sizeof b));
    CHECK(std::string(a) == b);
  }

  // The documented layout, written independently.
  ContactHistory small;
  CampaignContacts e;
  e.key = 0x04030201;
  e.lifetimeImpressions = 300;
  e.lifetimeClicks = 1;
  e.impressionsSinceClick = 2;
  e.lastMs = 1000;
  e.lastDismissMs = 0;
  e.impressions = {900, 1000};
  e.clicks = {950};
  small.campaigns.push_back(e);
  small.totalImpressions = 301;
  small.totalClicks = 1;
  small.sessionStartMs = 900;
  small.lastContactMs = 1000;
  small.tokenFloor = 5;
  small.usedTokens = {{6, 1}, {10, 3}};
  const unsigned char expected[] = {
      1,                          // format
      1,                          // one campaign
      0x01, 0x02, 0x03, 0x04,     // key
      0xAC, 0x02, 1,    2,        // 300, 1, 2
      0xE8, 0x07, 0,              // lastMs 1000, never dismissed
      2,    0x84, 0x07, 100,      // impressions 900, +100
      1,    0xB6, 0x07,           // clicks 950
      0xAD, 0x02, 1,              // totals 301, 1
      0x84, 0x07, 0xE8, 0x07,     // session 900, last contact 1000
      5,                          // floor
      2,    0,    1,    3,    3,  // tokens 6 (gap 0) impression, 10 (gap 3) both
  };
  CHECK(encoded(small) == std::string(reinterpret_cast<const char*>(expected), sizeof expected));
  REQUIRE(attune::decodeContacts(encoded(small), back, error));

  ContactHistory empty;
  CHECK(encoded(empty) == std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8));
  REQUIRE(attune::decodeContacts(encoded(empty), back, error));
  CHECK(back.empty());
}

TEST_CASE("contact: decoding refuses malformed bytes with precise errors", "[contact]") {
  auto decodeError = [](const std::string& bytes) {
    ContactHistory out;
    out.totalClicks = 77;  // must be reset on failure
    std::string error;
    bool ok = attune::decodeContacts(bytes, out, error);
    CHECK(ok == error.empty());
    if (!ok) {
      CHECK(out.campaigns.empty());
      CHECK(out.totalClicks == 0);
    }
    return error;
  };
  auto bytes = [](std::initializer_list<int> b) {
    std::string s;
    for (int v : b) s += static_cast<char>(v);
    return s;
  };
  // A valid base: one campaign, then the tail.
  auto one = [&](std::initializer_list<int> entry, std::initializer_list<int> tail) {
    std::string s = bytes({1, 1});
    s += bytes(entry);
    s += bytes(tail);
    return s;
  };
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 0, 1, 10, 0}, {1, 0, 10, 10, 0, 0})) == "");
  CHECK(decodeError("") == "contacts: empty");
  CHECK(decodeError(bytes({2})) == "contacts: unknown format 2");
  CHECK(decodeError(bytes({1})) == "contacts: truncated");
  CHECK(decodeError(bytes({1, 0x81, 0x02})) == "contacts: more than 256 campaigns");
  CHECK(decodeError(bytes({1, 0x80, 0x00})) == "contacts: malformed number");  // overlong
  CHECK(decodeError(bytes({1, 0x80})) == "contacts: truncated");
  CHECK(decodeError(bytes({1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02})) ==
        "contacts: malformed number");  // beyond 64 bits
  CHECK(decodeError(bytes({1, 5, 0, 0})) == "contacts: truncated");
  CHECK(decodeError(bytes({1, 0, 0, 0, 0, 0, 0, 0, 0})) == "contacts: 1 trailing byte");
  CHECK(decodeError(bytes({1, 0, 0, 0, 0, 0, 0, 0x81, 0x04})) ==
        "contacts: more than 512 used tokens");
  CHECK(decodeError(bytes({1, 0, 0, 0, 0, 0, 0, 1, 0, 0})) == "contacts: token 0: bad kinds");
  CHECK(decodeError(bytes({1, 0, 0, 0, 0, 0, 0, 1, 0, 16})) == "contacts: token 0: bad kinds");
  CHECK(decodeError(bytes({1, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                           0x01, 1, 0, 1})) == "contacts: token 0: nonce out of range");
  CHECK(decodeError(bytes({1, 0, 0, 0, 5, 0, 0, 0})) ==
        "contacts: session times inconsistent with the contacts");
  CHECK(decodeError(bytes({1, 0, 0, 0, 9, 5, 0, 0})) ==
        "contacts: session times inconsistent with the contacts");
  // Campaign entries.
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, {1, 0, 10, 10, 0, 0})) ==
        "contacts: campaign 0: last contact time: out of range");
  CHECK(decodeError(one({1, 0, 0, 0, 0, 0, 0, 10, 0, 1, 10, 0}, {1, 0, 10, 10, 0, 0})) ==
        "contacts: campaign 0: more timestamps than lifetime contacts");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 2, 10, 0, 1, 10, 0}, {1, 0, 10, 10, 0, 0})) ==
        "contacts: campaign 0: fatigue streak above lifetime impressions");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 11, 1, 10, 0}, {1, 0, 10, 10, 0, 0})) ==
        "contacts: campaign 0: a contact after its last contact time");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 0, 1, 11, 0}, {1, 0, 10, 11, 0, 0})) ==
        "contacts: campaign 0: a contact after its last contact time");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 0, 1, 0, 0}, {1, 0, 10, 10, 0, 0})) ==
        "contacts: campaign 0: impressions: time out of range");
  CHECK(decodeError(one({1, 0, 0, 0, 0x81, 1, 0, 0, 10, 0, 0x81, 1, 0}, {})) ==
        "contacts: campaign 0: impressions: more timestamps than kept");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 0, 1, 10, 0}, {0, 0, 10, 10, 0, 0})) ==
        "contacts: totals below the campaigns' lifetime counts");
  CHECK(decodeError(one({1, 0, 0, 0, 1, 0, 0, 10, 0, 1, 10, 0}, {1, 0, 10, 9, 0, 0})) ==
        "contacts: session times inconsistent with the contacts");
  // A time beyond JavaScript's last Date.
  std::string far;
  {
    ContactHistory h;
    h.sessionStartMs = h.lastContactMs = 8.64e15;
    far = encoded(h);
    ContactHistory back;
    std::string error;
    CHECK(attune::decodeContacts(far, back, error));
    REQUIRE(far.size() == 22);
    REQUIRE(static_cast<unsigned char>(far[12]) == 0x80);  // lastContact's low 7 bits: 0
    far[12] = static_cast<char>(0x81);                     // +1 ms
  }
  CHECK(decodeError(far) == "contacts: last contact time: out of range");
  // Two campaigns out of order.
  std::string two = bytes({1, 2}) + bytes({2, 0, 0, 0, 1, 0, 0, 10, 0, 0, 0}) +
                    bytes({1, 0, 0, 0, 1, 0, 0, 10, 0, 0, 0}) + bytes({2, 0, 10, 10, 0, 0});
  CHECK(decodeError(two) == "contacts: campaign 1: keys not ascending");
  two[13] = 2;  // the same key twice
  CHECK(decodeError(two) == "contacts: campaign 1: keys not ascending");
  // Every cut of a valid form is refused, never read past.
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 4, CapPeriod::Day));
  finish(r);
  std::string full = encoded(richHistory(r));
  for (size_t n = 0; n < full.size(); ++n) {
    CHECK_FALSE(decodeError(full.substr(0, n)).empty());
  }
  CHECK(decodeError(full) == "");
  CHECK(decodeError(full + "ab") == "contacts: 2 trailing bytes");
  CHECK(decodeError(full + '\0') == "contacts: 1 trailing byte");
}

TEST_CASE("contact: 200,000 mutated byte forms never crash and re-encode exactly", "[contact]") {
  ContactRules r = fixtureRules();
  r.caps.push_back(cap(CapScope::Global, 0, 4, CapPeriod::Day));
  finish(r);
  std::vector<std::string> seeds = {encoded(richHistory(r)), encoded(ContactHistory{})};
  {
    Visitor v(r);
    v.see(kSpring, at("2026-11-25T10:00:00Z"));
    seeds.push_back(encoded(v.h));
  }
  std::mt19937_64 rng(99);
  size_t accepted = 0;
  ContactHistory out;
  std::string error;
  for (int i = 0; i < 200000; ++i) {
    std::string s = seeds[i % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t pos = s.empty() ? 0 : rng() % s.size();
      switch (rng() % 6) {
        case 0:
          if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
          break;
        case 1:
          if (!s.empty()) s[pos] = static_cast<char>(rng());
          break;
        case 2:
          s.resize(pos);
          break;
        case 3:
          s.insert(pos, 1, static_cast<char>(rng()));
          break;
        case 4:
          if (!s.empty()) s.erase(pos, 1 + rng() % 3);
          break;
        case 5:
          if (!s.empty()) s[pos] = static_cast<char>(rng() % 2 ? 0xFF : 0x80);
          break;
      }
    }
    if (attune::decodeContacts(s, out, error)) {
      ++accepted;
      // Accepted means canonical and within every bound.
      REQUIRE(encoded(out) == s);
      REQUIRE(out.campaigns.size() <= attune::kMaxContactCampaigns);
      REQUIRE(out.usedTokens.size() <= attune::kMaxUsedTokens);
      char why[attune::kContactWhyCapacity];
      for (uint32_t c = 0; c < 5; ++c) {
        attune::contactAllowed(out, r, c, {out.lastContactMs, 0, 1}, why, sizeof why);
      }
      attune::recordContact(out, r, kSpring, ContactKind::Impression, 12345, 1e12);
    } else {
      REQUIRE(error.rfind("contacts: ", 0) == 0);
      REQUIRE(out.campaigns.empty());
    }
  }
  CHECK(accepted > 100);
  CHECK(accepted < 200000);
}

// ---- Tokens -------------------------------------------------------------------------------------

TEST_CASE("contact: SipHash-2-4 matches the reference vectors", "[contact]") {
  const uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
  CHECK(attune::sipHash24(k0, k1, "") == 0x726fdb47dd0e0e31ull);
  std::string message;
  for (int i = 0; i < 15; ++i) message += static_cast<char>(i);
  CHECK(attune::sipHash24(k0, k1, message) == 0xa129ca6149be45e5ull);
}

TEST_CASE("contact: tokens round-trip and refuse tampering and other visitors", "[contact]") {
  const TokenSecret secret = attune::deriveTokenSecret("edge-secret-2026");
  const std::vector<std::string> campaignIds = {"spring", "summer", "autumn", "winter"};
  const std::vector<std::string> variantIds = {"a", "b"};
  double now = at("2026-11-25T10:00:00Z");
  DecisionToken t;
  t.campaign = 3;
  t.variant = 1;
  t.nonce = attune::makeNonce(now, 0xABCDE);
  t.check = attune::tokenCheck(secret, "visitor-42", "winter", "b", t.nonce);
  std::string text;
  attune::appendToken(t, text);
  CHECK(text.rfind("t2.3.1.", 0) == 0);
  CHECK(text.size() <= attune::kMaxTokenBytes);
  DecisionToken parsed;
  REQUIRE(attune::parseToken(text, parsed));
  CHECK(parsed.campaign == 3);
  CHECK(parsed.variant == 1);
  CHECK(parsed.nonce == t.nonce);
  CHECK(parsed.check == t.check);
  CHECK(attune::tokenAuthentic(parsed, secret, "visitor-42", "winter", "b"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, secret, "visitor-43", "winter", "b"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, secret, "", "winter", "b"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, secret, "visitor-42", "winter-sale", "b"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, secret, "visitor-42", "winter", "a"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, TokenSecret{}, "visitor-42", "winter", "b"));
  CHECK_FALSE(attune::tokenAuthentic(parsed, attune::deriveTokenSecret("edge-secret-2027"),
                                     "visitor-42", "winter", "b"));
  // Field boundaries are part of the check.
  CHECK(attune::tokenCheck(secret, "ab", "c", "", 1) !=
        attune::tokenCheck(secret, "a", "bc", "", 1));

  // Every single-character edit either fails to parse or fails the check, the verifier looking the
  // ids up by the parsed indexes as the decider would.
  const std::string alphabet = "0123456789abcdefhtABCDEF.x-\xC3\x00";
  int tried = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    for (char c : alphabet) {
      if (c == text[pos]) continue;
      std::string edited = text;
      edited[pos] = c;
      DecisionToken e;
      if (!attune::parseToken(edited, e)) continue;
      ++tried;
      bool known = e.campaign < campaignIds.size() && e.variant < variantIds.size();
      if (!known) continue;
      CHECK_FALSE(attune::tokenAuthentic(e, secret, "visitor-42", campaignIds[e.campaign],
                                         variantIds[e.variant]));
    }
  }
  CHECK(tried > 100);

  // Holdout decisions.
  DecisionToken h{2, attune::kHoldoutVariant, attune::makeNonce(now, 1), 0};
  h.check = attune::tokenCheck(secret, "v", "autumn", "", h.nonce);
  std::string holdout;
  attune::appendToken(h, holdout);
  CHECK(holdout.rfind("t2.2.h.", 0) == 0);
  REQUIRE(attune::parseToken(holdout, parsed));
  CHECK(parsed.variant == attune::kHoldoutVariant);
  CHECK(attune::tokenAuthentic(parsed, secret, "v", "autumn", ""));
}

TEST_CASE("contact: token parsing is strict about hostile text", "[contact]") {
  const std::string check(16, 'a');
  DecisionToken out;
  CHECK(attune::parseToken("t2.0.0.1." + check, out));
  CHECK(attune::parseToken("t2.4294967294.h.ffffffffffffffff." + check, out));
  CHECK(out.campaign == 4294967294u);
  CHECK(out.nonce == UINT64_MAX);
  const std::vector<std::string> bad = {
      "",
      "t2",
      "t2.",
      "t1.0.0.1." + check,
      "T2.0.0.1." + check,
      "t2.0.0.1." + check + ".",
      "t2.0.0.1." + check + "0",
      "t2.0.0.1." + check.substr(1),
      "t2.0.0.1." + std::string(16, 'A'),
      "t2.0.0.1." + std::string(15, 'a') + "g",
      "t2.00.0.1." + check,
      "t2.01.0.1." + check,
      "t2.0.01.1." + check,
      "t2.0.0.01." + check,
      "t2.0.0.0." + check,
      "t2.0.0.." + check,
      "t2..0.1." + check,
      "t2.0..1." + check,
      "t2.-1.0.1." + check,
      "t2.+1.0.1." + check,
      "t2. 1.0.1." + check,
      "t2.4294967295.0.1." + check,
      "t2.99999999999.0.1." + check,
      "t2.0.H.1." + check,
      "t2.0.hh.1." + check,
      "t2.0.0.1ffffffffffffffff." + check,
      "t2.0.0.A." + check,
      "t2.0.0.1.\xC3\xA9" + std::string(14, 'a'),
      "t2.0.0.1." + check + std::string(100, 'a'),
      std::string("t2.0.0.1.") + std::string(7, 'a') + '\0' + std::string(8, 'a'),
      std::string(100000, 't'),
  };
  for (const std::string& s : bad) {
    INFO("token " << s.substr(0, 80));
    CHECK_FALSE(attune::parseToken(s, out));
  }
}

TEST_CASE("contact: nonces carry the time and the host's entropy", "[contact]") {
  double t = at("2026-11-25T10:00:00.123Z");
  uint64_t n = attune::makeNonce(t, 0x12345678);
  CHECK(n >> 20 == static_cast<uint64_t>(t));
  CHECK((n & 0xFFFFF) == 0x45678);
  CHECK(attune::makeNonce(t + 1, 0) > attune::makeNonce(t, 0xFFFFF));
  CHECK(attune::makeNonce(0, 0) == 1);  // never 0: 0 means "no token"
  CHECK(attune::makeNonce(std::nan(""), 5) == 5);
  CHECK(attune::makeNonce(-5, 5) == 5);
  CHECK(attune::makeNonce(1e300, 0) >> 20 == (uint64_t{1} << 44) - 1);
}

TEST_CASE("contact: config words for caps", "[contact]") {
  CapScope scope;
  CHECK((attune::parseCapScope("global", scope) && scope == CapScope::Global));
  CHECK((attune::parseCapScope("channel", scope) && scope == CapScope::Channel));
  CHECK((attune::parseCapScope("placement", scope) && scope == CapScope::Placement));
  CHECK((attune::parseCapScope("campaign", scope) && scope == CapScope::Campaign));
  CHECK_FALSE(attune::parseCapScope("Global", scope));
  CHECK_FALSE(attune::parseCapScope("", scope));
  CapCount count;
  CHECK((attune::parseCapCount("impression", count) && count == CapCount::Impression));
  CHECK((attune::parseCapCount("click", count) && count == CapCount::Click));
  CHECK_FALSE(attune::parseCapCount("clicks", count));
  CapPeriod period;
  double ms = -1;
  CHECK((attune::parseCapPeriod("day", period, ms) && period == CapPeriod::Day && ms == 0));
  CHECK((attune::parseCapPeriod("week", period, ms) && period == CapPeriod::Week));
  CHECK((attune::parseCapPeriod("session", period, ms) && period == CapPeriod::Session));
  CHECK((attune::parseCapPeriod("lifetime", period, ms) && period == CapPeriod::Lifetime));
  CHECK((attune::parseCapPeriod("12h", period, ms) && period == CapPeriod::Rolling &&
         ms == 12 * kHour));
  CHECK((attune::parseCapPeriod("7d", period, ms) && ms == 7 * kDay));
  for (const char* bad : {"", "month", "0h", "12", "h", "-1d", "1.5h", "Day", "99999d"}) {
    INFO(bad);
    CHECK_FALSE(attune::parseCapPeriod(bad, period, ms));
  }
  CHECK(std::string(attune::recordOutcomeName(RecordOutcome::Replayed)) == "replayed");
  CHECK(attune::contactKey("winter") == attune::contactKey(std::string("winter")));
  CHECK(attune::contactKey("winter") != attune::contactKey("winteR"));
  CHECK(attune::contactKey("") == 2166136261u);
}
