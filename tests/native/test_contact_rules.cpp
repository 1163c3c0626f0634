// Contact rules wired through the engine: config keys and their errors by JSON path, the
// binary form, the decision order with reasons, page-level pending impressions, reports on
// tokens (authentic, single-use, holdouts), decide-time counting, and no allocation warm.
// The rules' own window semantics are tested in test_contact.cpp; timelines on every host
// in tests/vectors/contacts.json.
#include <catch2/catch.hpp>
#include <string>

#include "allocation_counter.h"
#include "config_compiler.h"
#include "decider.h"
#include "doc.h"
#include "local_time.h"
#include "serialize.h"
#include "visitor_io.h"

namespace {

using attune::compileConfig;
using attune::CompileResult;

const char* kConfig = R"({"version": 1, "consent": {"policy": "optOut"},
  "placements": [{"id": "hero", "default": {"en": {"h": "default"}}},
                 {"id": "side", "default": {"en": {"h": "side default"}}},
                 {"id": "popup", "channel": "popup"}],
  "segments": {"loyal": {"traits.tier": "gold"}},
  "capMultipliers": {"loyal": 2},
  "caps": [{"scope": "global", "max": 5, "per": "day"},
           {"scope": "placement", "max": 2, "per": "12h"},
           {"scope": "channel", "channel": "popup", "max": 1, "per": "session"}],
  "quietHours": {"popup": {"from": "22:00", "to": "08:00"}},
  "campaigns": [
    {"id": "first", "placement": "hero", "priority": 3,
     "caps": [{"max": 1, "per": "lifetime", "count": "click"}],
     "variants": [{"id": "a", "content": {"en": {"h": "First"}}}]},
    {"id": "second", "placement": "hero", "priority": 2, "fatigue": {"impressions": 2, "suppress": "1d"},
     "cooldownAfterDismiss": "3d",
     "variants": [{"id": "a", "content": {"en": {"h": "Second"}}}]},
    {"id": "held", "placement": "side", "holdout": 0.999,
     "variants": [{"id": "a", "content": {"en": {"h": "Held"}}}]},
    {"id": "pop", "placement": "popup",
     "variants": [{"id": "a", "content": {"en": {"h": "Pop"}}}]}
  ]})";

const double kNoon = 1795608000000;  // 2026-11-25T12:00:00Z, a Wednesday

bool hasProblem(const CompileResult& r, const std::string& path, const std::string& fragment) {
  for (const attune::Problem& p : r.problems) {
    if (p.path == path && p.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string problems(const CompileResult& r) {
  std::string out;
  for (const attune::Problem& p : r.problems) out += p.path + ": " + p.message + "\n";
  return out;
}

// A config with `extra` top-level members and `campaign` members added to one campaign.
std::string withRules(const std::string& extra, const std::string& campaign = "") {
  return R"({"version": 1, "placements": [{"id": "hero"}, {"id": "popup", "channel": "popup"}],
    "segments": {"loyal": {"traits.tier": "gold"}},
    "campaigns": [{"id": "c", "placement": "hero", "variants": [{"id": "a", "content": {"en": {"h": "x"}}}])" +
         (campaign.empty() ? "" : ", " + campaign) + "}]" + (extra.empty() ? "" : ", " + extra) +
         "}";
}

std::unique_ptr<attune::Engine> compiled(const char* config = kConfig) {
  CompileResult r = compileConfig(config);
  INFO(problems(r));
  REQUIRE(r.engine);
  return std::move(r.engine);
}

struct Page {
  attune::Doc doc;
  std::string text;
  std::string campaign(const char* placement) const {
    for (attune::NodeId d = doc.node(doc.member(0, "decisions")).firstChild; d != attune::kNoNode;
         d = doc.node(d).next) {
      if (doc.str(doc.member(d, "placement")) != placement) continue;
      attune::NodeId c = doc.member(d, "campaign");
      return doc.type(c) == attune::Type::String ? std::string(doc.str(c)) : "null";
    }
    return "missing";
  }
  std::string token(const char* placement) const {
    for (attune::NodeId d = doc.node(doc.member(0, "decisions")).firstChild; d != attune::kNoNode;
         d = doc.node(d).next) {
      if (doc.str(doc.member(d, "placement")) != placement) continue;
      attune::NodeId t = doc.member(d, "token");
      return doc.type(t) == attune::Type::String ? std::string(doc.str(t)) : "";
    }
    return "";
  }
  bool hasReason(const std::string& fragment) const {
    return text.find(fragment) != std::string::npos;
  }
};

Page decidePage(attune::Decider& d, double now, const std::string& extra = "") {
  Page page;
  std::string visitor = R"({"now": )" + std::to_string(static_cast<long long>(now)) + extra + "}";
  d.decidePageJson(visitor, true, page.text);
  attune::ParseError err;
  REQUIRE(page.doc.parse(page.text, err));
  INFO(page.text);
  REQUIRE(page.doc.member(0, "error") == attune::kNoNode);
  return page;
}

std::string report(attune::VisitorState& state, const attune::Engine& e, const char* type,
                   const std::string& token, double now,
                   const attune::ReportSettings& settings = {}) {
  attune::Doc scratch;
  std::string error;
  attune::ConsentGate gate = attune::effectiveConsent(e.consentPolicy, state.consent, {});
  std::string props = "{\"token\": \"" + token + "\"}";
  return attune::trackJson(state, e, gate, type, props, now, scratch, error, settings) ? "ok"
                                                                                       : error;
}

}  // namespace

TEST_CASE("contact rules: the config compiles into the engine's rules", "[contact_rules]") {
  auto e = compiled();
  const attune::ContactRules& r = e->contactRules;
  REQUIRE(r.any);
  // The placement cap without a target applies to each of the three placements alone.
  CHECK(r.caps.size() == 1 + 3 + 1 + 1);
  CHECK(r.caps[0].scope == attune::CapScope::Global);
  CHECK(r.channelNames == std::vector<std::string>{"web", "popup"});
  REQUIRE(r.quietHours.size() == 2);
  CHECK_FALSE(r.quietHours[0].active());
  CHECK(r.quietHours[1].fromMinute == 22 * 60);
  CHECK(r.quietHours[1].toMinute == 8 * 60);
  CHECK(r.campaigns[1].fatigueImpressions == 2);
  CHECK(r.campaigns[1].cooldownAfterDismissMs == 3 * 86400000.0);
  CHECK(r.campaigns[3].channel == 1);
  CHECK(r.campaigns[0].key == attune::contactKey("first"));
  CHECK(e->segments[0].capMultiplier == 2);
  CHECK(r.keepPerCampaign == 10);  // the largest windowed max (5) times the multiplier (2)
  // No rules at all: one test on the decision path.
  CHECK_FALSE(compiled(withRules("").c_str())->contactRules.any);
}

TEST_CASE("contact rules: every mistake is named by its JSON path", "[contact_rules]") {
  CHECK(hasProblem(compileConfig(withRules(R"("caps": {})")), "caps", "must be an array"));
  CHECK(hasProblem(compileConfig(withRules(R"("caps": [7])")), "caps[0]", "must be an object"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("caps": [{"scope": "planet", "max": 1, "per": "day"}])")),
      "caps[0].scope", "\"global\", \"channel\""));
  CHECK(hasProblem(
      compileConfig(withRules(R"("caps": [{"scope": "global", "max": 0, "per": "day"}])")),
      "caps[0].max", "whole number from 1"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("caps": [{"scope": "global", "max": 1.5, "per": "day"}])")),
      "caps[0].max", "whole number"));
  CHECK(hasProblem(compileConfig(withRules(R"("caps": [{"scope": "global", "max": 1}])")),
                   "caps[0].per", "is required"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("caps": [{"scope": "global", "max": 1, "per": "fortnight"}])")),
      "caps[0].per", "rolling duration"));
  CHECK(hasProblem(
      compileConfig(
          withRules(R"("caps": [{"scope": "global", "max": 1, "per": "day", "count": "view"}])")),
      "caps[0].count", "\"impression\" or \"click\""));
  CHECK(hasProblem(
      compileConfig(withRules(
          R"("caps": [{"scope": "global", "max": 1, "per": "day", "placement": "hero"}])")),
      "caps[0].placement", "does not apply"));
  CHECK(hasProblem(
      compileConfig(withRules(
          R"("caps": [{"scope": "channel", "channel": "email", "max": 1, "per": "day"}])")),
      "caps[0].channel", "must name a channel of this config, not \"email\""));
  CHECK(hasProblem(
      compileConfig(withRules(
          R"("caps": [{"scope": "campaign", "campaign": "nope", "max": 1, "per": "day"}])")),
      "caps[0].campaign", "must name a campaign"));
  CHECK(hasProblem(compileConfig(withRules(
                       R"("caps": [{"scope": "global", "max": 1, "per": "day", "extra": 1}])")),
                   "caps[0].extra", "unknown key"));
  // Windowed caps keep their timestamps: more than 128 (after the multiplier) is refused.
  CHECK(hasProblem(
      compileConfig(withRules(
          R"("caps": [{"scope": "global", "max": 100, "per": "week"}], "capMultipliers": {"loyal": 2})")),
      "caps[0]", "needs more than 128 kept contacts"));
  CHECK(compileConfig(
            withRules(R"("caps": [{"scope": "global", "max": 1000000, "per": "lifetime"}])"))
            .engine);
  CHECK(hasProblem(compileConfig(withRules(R"("capMultipliers": {"nobody": 2})")),
                   "capMultipliers.nobody", "must name a segment"));
  CHECK(hasProblem(compileConfig(withRules(R"("capMultipliers": {"loyal": 0.5})")),
                   "capMultipliers.loyal", "never tightens"));
  CHECK(hasProblem(compileConfig(withRules(R"("capMultipliers": [])")), "capMultipliers",
                   "must be an object"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("quietHours": {"email": {"from": "22:00", "to": "08:00"}})")),
      "quietHours.email", "must name the channel"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("quietHours": {"popup": {"from": "22:00", "to": "22:00"}})")),
      "quietHours.popup", "are equal"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("quietHours": {"popup": {"from": "25:00", "to": "08:00"}})")),
      "quietHours.popup.from", "HH:MM"));
  CHECK(hasProblem(
      compileConfig(withRules(R"("quietHours": {"popup": {"from": "24:00", "to": "08:00"}})")),
      "quietHours.popup.from", "23:59"));
  CHECK(hasProblem(
      compileConfig(withRules("", R"("caps": [{"scope": "global", "max": 1, "per": "day"}])")),
      "campaigns[0].caps[0].scope", "top-level \"caps\""));
  CHECK(hasProblem(compileConfig(withRules("", R"("caps": {"max": 1})")), "campaigns[0].caps",
                   "must be an array"));
  CHECK(
      hasProblem(compileConfig(withRules("", R"("fatigue": {"impressions": 0, "suppress": "1d"})")),
                 "campaigns[0].fatigue.impressions", "whole number from 1 to 128"));
  CHECK(hasProblem(compileConfig(withRules("", R"("fatigue": {"impressions": 3})")),
                   "campaigns[0].fatigue.suppress", "is required"));
  CHECK(hasProblem(
      compileConfig(withRules("", R"("fatigue": {"impressions": 3, "suppress": "soon"})")),
      "campaigns[0].fatigue.suppress", "duration"));
  CHECK(hasProblem(compileConfig(withRules("", R"("cooldownAfterDismiss": 3)")),
                   "campaigns[0].cooldownAfterDismiss", "duration"));
  // A hostile key is quoted in the path, and the rest of the config is still checked.
  CompileResult hostile = compileConfig(
      withRules(R"("caps": [{"scope": "global", "max": 1, "per": "day", "<script>\"": 1}])"));
  CHECK(hasProblem(hostile, "caps[0][\"<script>\\\"\"]", "unknown key"));
}

TEST_CASE("contact rules: caps without a target expand, within a bound, indexed by campaign",
          "[contact_rules]") {
  std::string campaigns;
  for (int i = 0; i < 1001; ++i) {
    campaigns +=
        std::string(i ? "," : "") + R"({"id": "c)" + std::to_string(i) +
        R"(", "placement": "hero", "variants": [{"id": "a", "content": {"en": {"h": "x"}}}]})";
  }
  std::string caps;
  for (int i = 0; i < 50; ++i)
    caps += std::string(i ? "," : "") + R"({"scope": "campaign", "max": 1, "per": "day"})";
  std::string config = R"({"version": 1, "placements": [{"id": "hero"}], "campaigns": [)" +
                       campaigns + R"(], "caps": [)" + caps + "]}";
  CHECK(hasProblem(compileConfig(config), "caps", "expand to 50050 rules"));
  // 49 of them fit: 49,049 rules, and a decision reads only its campaign's 49.
  caps = caps.substr(caps.find("},") + 2);
  config = R"({"version": 1, "placements": [{"id": "hero"}], "campaigns": [)" + campaigns +
           R"(], "caps": [)" + caps + "]}";
  CompileResult fits = compileConfig(config);
  REQUIRE(fits.engine);
  const attune::ContactRules& rules = fits.engine->contactRules;
  CHECK(rules.caps.size() == 49049);
  CHECK(rules.capsOfStart[1] - rules.capsOfStart[0] == 49);
}

TEST_CASE("contact rules: the binary form keeps them, and refuses inconsistent ones",
          "[contact_rules][serialize]") {
  auto e = compiled();
  std::string bytes;
  attune::saveEngine(*e, bytes);
  attune::Engine loaded;
  std::string error;
  REQUIRE(attune::loadEngine(bytes, loaded, error));
  CHECK(loaded.contactRules.caps.size() == e->contactRules.caps.size());
  CHECK(loaded.contactRules.keepPerCampaign == e->contactRules.keepPerCampaign);
  CHECK(loaded.segments[0].capMultiplier == 2);
  // The same decisions with the same history, from either form.
  attune::VisitorState state;
  state.visitorId = "v";
  attune::Decider fromJson(*e), fromBinary(loaded);
  for (attune::Decider* d : {&fromJson, &fromBinary}) d->attach(&state);
  int capped = 0;
  for (int i = 0; i < 4; ++i) {
    fromJson.seedTokenEntropy(i);
    Page a = decidePage(fromJson, kNoon + i * 60000.0);
    fromBinary.seedTokenEntropy(i);
    Page b = decidePage(fromBinary, kNoon + i * 60000.0);
    CHECK(a.text == b.text);
    if (a.token("hero").empty()) {
      ++capped;
      continue;
    }
    REQUIRE(report(state, *e, "impression", a.token("hero"), kNoon + i * 60000.0 + 1) == "ok");
  }
  CHECK(capped == 2);  // the hero placement allows 2 per 12h
  // Damaged rules written into a well-sealed binary are refused with the reason.
  attune::Engine bad = *e;
  bad.contactRules.caps[1].target = 99;
  bytes.clear();  // saveEngine appends
  attune::saveEngine(bad, bytes);
  CHECK_FALSE(attune::loadEngine(bytes, loaded, error));
  CHECK(error.find("contact rules") != std::string::npos);
  bad = *e;
  bad.segments[0].capMultiplier = 0.25;
  bytes.clear();
  attune::saveEngine(bad, bytes);
  CHECK_FALSE(attune::loadEngine(bytes, loaded, error));
  CHECK(error.find("cap multiplier") != std::string::npos);
  bad = *e;
  bad.contactRules.campaigns[0].key ^= 1;
  bytes.clear();
  attune::saveEngine(bad, bytes);
  CHECK_FALSE(attune::loadEngine(bytes, loaded, error));
  CHECK(error.find("do not match campaigns") != std::string::npos);
}

TEST_CASE("contact rules: decisions fall through blocked candidates with the rule's numbers",
          "[contact_rules][decider]") {
  auto e = compiled();
  attune::VisitorState state;
  state.visitorId = "v-1";
  attune::Decider d(*e);
  d.attach(&state);
  // 1st page: "first" on hero, "pop" on the popup (the held-out side counts as no contact).
  Page p1 = decidePage(d, kNoon);
  CHECK(p1.campaign("hero") == "first");
  CHECK(p1.campaign("popup") == "pop");
  CHECK(report(state, *e, "impression", p1.token("hero"), kNoon + 1) == "ok");
  CHECK(report(state, *e, "click", p1.token("hero"), kNoon + 2) == "ok");
  CHECK(report(state, *e, "impression", p1.token("popup"), kNoon + 3) == "ok");
  // The lifetime click cap on "first" is full: "second" takes hero; the popup's session cap is
  // full.
  Page p2 = decidePage(d, kNoon + 60000);
  CHECK(p2.campaign("hero") == "second");
  CHECK(p2.hasReason("cap:campaign lifetime clicks 1/1"));
  CHECK(p2.campaign("popup") == "null");
  CHECK(p2.hasReason("cap:channel popup session 1/1"));
  CHECK(report(state, *e, "impression", p2.token("hero"), kNoon + 60001) == "ok");
  // The hero placement cap (2 per 12h) is now full for every hero campaign.
  Page p3 = decidePage(d, kNoon + 120000);
  CHECK(p3.campaign("hero") == "null");
  CHECK(p3.hasReason("cap:placement hero 12h 2/2"));
  // A loyal visitor tolerates twice as many of every cap (hero 2 × 2 = 4; "first"'s one
  // click becomes two), so the top candidate shows again.
  Page loyal = decidePage(d, kNoon + 120000, R"(, "traits": {"tier": "gold"})");
  CHECK(loyal.campaign("hero") == "first");
  // 12 hours after the first impression it left the rolling window again.
  Page later = decidePage(d, kNoon + 12 * 3600000.0 + 1);
  CHECK(later.campaign("hero") == "second");
  // Quiet hours for the popup channel at 23:30 local time in +05:30 (18:00 UTC).
  Page quiet = decidePage(d, kNoon + 6 * 3600000.0 + 31 * 60000.0, R"(, "utcOffsetMinutes": 330)");
  CHECK(
      quiet.hasReason("quiet_hours 22:00\xE2\x80\x93"
                      "08:00"));
}

TEST_CASE("contact rules: later placements of one page count the earlier ones",
          "[contact_rules][decider]") {
  auto e = compiled(R"({"version": 1, "consent": {"policy": "optOut"},
    "placements": [{"id": "a"}, {"id": "b"}, {"id": "c", "maxItems": 2}],
    "caps": [{"scope": "global", "max": 2, "per": "day"}],
    "campaigns": [
      {"id": "x", "placement": "a", "variants": [{"id": "v", "content": {"en": {"h": "x"}}}]},
      {"id": "y", "placement": "b", "variants": [{"id": "v", "content": {"en": {"h": "y"}}}]},
      {"id": "z1", "placement": "c", "variants": [{"id": "v", "content": {"en": {"h": "z"}}}]},
      {"id": "z2", "placement": "c", "variants": [{"id": "v", "content": {"en": {"h": "z"}}}]}]})");
  attune::VisitorState state;
  state.visitorId = "v";
  attune::Decider d(*e);
  d.attach(&state);
  Page page = decidePage(d, kNoon);
  CHECK(page.campaign("a") == "x");
  CHECK(page.campaign("b") == "y");
  CHECK(page.campaign("c") == "null");
  CHECK(page.hasReason("cap:global day 2/2"));
  REQUIRE(d.shown().size() == 2);
  // Decide-time counting records exactly what showed; a later report of them is a replay.
  attune::recordShown(state, *e, d.shown(), kNoon);
  CHECK(state.contacts.totalImpressions == 2);
  CHECK(report(state, *e, "impression", page.token("a"), kNoon + 5) ==
        "token: this impression was already reported");
  // A click on it is still its first click.
  CHECK(report(state, *e, "click", page.token("a"), kNoon + 6) == "ok");
  // The next page: the day cap is full everywhere.
  Page next = decidePage(d, kNoon + 1000);
  CHECK(next.campaign("a") == "null");
  CHECK(d.shown().empty());
}

TEST_CASE("contact rules: reports need an authentic, unused token", "[contact_rules][tokens]") {
  auto e = compiled();
  attune::VisitorState state;
  state.visitorId = "v-1";
  attune::Decider d(*e);
  d.attach(&state);
  Page page = decidePage(d, kNoon);
  std::string token = page.token("hero");
  REQUIRE(token.rfind("t2.0.0.", 0) == 0);
  // Another visitor cannot spend it.
  attune::VisitorState other;
  other.visitorId = "v-2";
  CHECK(report(other, *e, "impression", token, kNoon) ==
        "token: not issued by this config to this visitor");
  // An edited check, campaign or nonce fails; so does text that is no token at all.
  std::string edited = token;
  edited.back() = edited.back() == '0' ? '1' : '0';
  CHECK(report(state, *e, "impression", edited, kNoon) ==
        "token: not issued by this config to this visitor");
  std::string moved = "t2.1.0." + token.substr(7);
  CHECK(report(state, *e, "impression", moved, kNoon) ==
        "token: not issued by this config to this visitor");
  CHECK(report(state, *e, "impression", "t2.99.0.1.0000000000000000", kNoon) ==
        "token: not issued by this config to this visitor");
  for (const char* junk : {"t1.0.0.deadbeef", "", "<script>", "t2.0.0.0.0000000000000000"}) {
    CHECK(
        report(state, *e, "impression", junk, kNoon).find("token: not an Attune decision token") ==
        0);
  }
  CHECK(state.contacts.empty());
  CHECK(state.profile.empty());  // a refused report changes nothing, the profile included
  // Each kind counts once.
  CHECK(report(state, *e, "impression", token, kNoon + 1) == "ok");
  CHECK(report(state, *e, "impression", token, kNoon + 2) ==
        "token: this impression was already reported");
  CHECK(report(state, *e, "dismiss", token, kNoon + 3) == "ok");
  CHECK(report(state, *e, "dismiss", token, kNoon + 4) ==
        "token: this dismissal was already reported");
  CHECK(report(state, *e, "conversion", token, kNoon + 5) == "ok");
  CHECK(report(state, *e, "conversion", token, kNoon + 6) ==
        "token: this conversion was already reported");
  CHECK(state.contacts.totalImpressions == 1);
  // A token from an engine keyed with another secret is refused by the default key, and
  // accepted with its own.
  attune::Decider keyed(*e);
  attune::TokenSecret secret = attune::deriveTokenSecret("edge secret from the environment");
  keyed.setTokenSecret(secret);
  keyed.attach(&state);
  std::string keyedToken = decidePage(keyed, kNoon + 10).token("hero");
  attune::VisitorState copy = state;
  CHECK(report(copy, *e, "impression", keyedToken, kNoon + 11) ==
        "token: not issued by this config to this visitor");
  attune::ReportSettings settings;
  settings.secret = secret;
  CHECK(report(copy, *e, "impression", keyedToken, kNoon + 11, settings) == "ok");
}

TEST_CASE("contact rules: holdout reports are measured but not counted as contacts",
          "[contact_rules][tokens]") {
  auto e = compiled();
  attune::VisitorState state;
  state.visitorId = "v-1";
  attune::Decider d(*e);
  d.attach(&state);
  Page page = decidePage(d, kNoon);
  std::string token = page.token("side");
  REQUIRE(token.rfind("t2.2.h.", 0) == 0);  // 99.9% holdout: this visitor is control
  CHECK(d.shown().size() == 2);             // hero and popup, not the held-out side
  CHECK(report(state, *e, "impression", token, kNoon + 1) == "ok");
  CHECK(report(state, *e, "impression", token, kNoon + 2) ==
        "token: this impression was already reported");
  CHECK(state.contacts.totalImpressions == 0);
  CHECK(state.profile.counters.size() == 1);  // the profile still counts the event
}

TEST_CASE("contact rules: a warm decision with caps and a history does not allocate",
          "[contact_rules][decider]") {
  auto e = compiled();
  attune::VisitorState state;
  state.visitorId = "v-1";
  attune::Decider d(*e);
  d.attach(&state);
  for (int i = 0; i < 6; ++i) {
    Page p = decidePage(d, kNoon + i * 1000.0);
    for (const char* placement : {"hero", "popup"}) {
      if (!p.token(placement).empty())
        report(state, *e, "impression", p.token(placement), kNoon + i * 1000.0);
    }
  }
  CHECK(state.contacts.totalImpressions == 3);
  std::string visitor = R"({"now": 1795608100000})";
  std::string out;
  out.reserve(8192);
  d.decidePageJson(visitor, true, out);
  attune_test::AllocationCounter counter;
  counter.start();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    d.decidePageJson(visitor, true, out);
  }
  uint64_t allocations = counter.stop();
  CHECK(out.find("cap:") != std::string::npos);
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
}

TEST_CASE("experiments: assignment sticks across config edits that keep the seed",
          "[contact_rules][experiments]") {
  // The same campaign before and after an edit: renamed (seed kept), new priority, new
  // content, another campaign added before it, caps added. Weights unchanged.
  auto before = compiled(R"({"version": 1, "consent": {"policy": "optOut"},
    "placements": [{"id": "hero"}],
    "campaigns": [{"id": "spring", "placement": "hero", "holdout": 0.2,
      "variants": [{"id": "a", "content": {"en": {"h": "A"}}}, {"id": "b", "content": {"en": {"h": "B"}}}]}]})");
  auto after = compiled(R"({"version": 1, "consent": {"policy": "optOut"},
    "placements": [{"id": "hero"}, {"id": "side"}],
    "caps": [{"scope": "global", "max": 100, "per": "day"}],
    "campaigns": [
      {"id": "other", "placement": "side", "variants": [{"id": "x", "content": {"en": {"h": "X"}}}]},
      {"id": "spring-2026", "seed": "spring", "placement": "hero", "priority": 7, "holdout": 0.2,
       "variants": [{"id": "a", "content": {"en": {"h": "A, new copy"}}}, {"id": "b", "content": {"en": {"h": "B, new copy"}}}]}]})");
  attune::Decider a(*before), b(*after);
  int holdouts = 0, variantB = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string visitor = R"({"now": 1795608000000, "id": "visitor-)" + std::to_string(i) + "\"}";
    std::string x, y;
    a.decideJson("hero", visitor, false, x);
    b.decideJson("hero", visitor, false, y);
    attune::Doc dx, dy;
    attune::ParseError err;
    REQUIRE(dx.parse(x, err));
    REQUIRE(dy.parse(y, err));
    bool heldX = dx.node(dx.member(0, "holdout")).boolean;
    INFO(x << "\n" << y);
    CHECK(heldX == dy.node(dy.member(0, "holdout")).boolean);
    if (heldX) {
      ++holdouts;
      continue;
    }
    std::string_view vx = dx.str(dx.member(0, "variant")), vy = dy.str(dy.member(0, "variant"));
    CHECK(vx == vy);
    variantB += vx == "b";
  }
  // The split is what the config says (20% holdout, then half and half), within noise.
  CHECK(holdouts > 320);
  CHECK(holdouts < 480);
  CHECK(variantB > 700);
  CHECK(variantB < 900);
}

TEST_CASE("contact rules: an edge page decides and counts only the placements it carries",
          "[contact_rules][decider]") {
  auto e = compiled();
  attune::VisitorState state;
  state.visitorId = "v-1";
  attune::Decider d(*e);
  d.attach(&state);
  std::string error;
  REQUIRE(d.setVisitor(R"({"now": 1795608000000})", error));
  attune::Doc ids;
  attune::ParseError err;
  REQUIRE(ids.parse(R"(["hero", "nope", 7, "hero"])", err));
  std::string out;
  d.writePlacements(ids, 0, false, out);
  attune::Doc page;
  REQUIRE(page.parse(out, err));
  attune::NodeId decisions = page.member(0, "decisions");
  REQUIRE(page.node(decisions).count == 4);
  CHECK(page.str(page.member(page.element(decisions, 0), "campaign")) == "first");
  CHECK(page.str(page.member(page.element(decisions, 1), "error")) == "unknown placement");
  CHECK(page.str(page.member(page.element(decisions, 1), "placement")) == "nope");
  CHECK(page.type(page.member(page.element(decisions, 2), "placement")) == attune::Type::Null);
  // The same placement twice in one page: the first showing counts against the second
  // (hero allows 2 per 12 h, so both show; the popup, not carried, is not counted).
  CHECK(page.str(page.member(page.element(decisions, 3), "campaign")) == "first");
  attune::recordShown(state, *e, d.shown(), d.nowMs());
  CHECK(state.contacts.totalImpressions == 2);
}
