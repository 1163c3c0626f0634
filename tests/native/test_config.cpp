// Config validation (SPEC §1): every problem listed with its JSON path; limits enforced.
#include <catch2/catch.hpp>

#include "config_compiler.h"

using attune::compileConfig;
using attune::CompileResult;

namespace {

bool hasProblem(const CompileResult& r, const std::string& path, const std::string& fragment) {
  for (const attune::Problem& p : r.problems) {
    if (p.path == path && p.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string listProblems(const CompileResult& r) {
  std::string out;
  for (const attune::Problem& p : r.problems) out += p.path + ": " + p.message + "\n";
  return out;
}

const char* kValid = R"({"version": 1, "placements": [{"id": "hero"}],
  "campaigns": [{"id": "c", "placement": "hero", "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]}]})";

}  // namespace

TEST_CASE("config: a minimal config compiles", "[config]") {
  CompileResult r = compileConfig(kValid);
  INFO(listProblems(r));
  REQUIRE(r.engine);
  CHECK(r.problems.empty());
  CHECK(r.engine->campaigns.size() == 1);
}

TEST_CASE("config: every problem is listed with its path", "[config]") {
  CompileResult r = compileConfig(R"({
    "version": 1, "defualtLocale": "en",
    "placements": [{"id": "hero"}, {"id": "hero", "maxItems": 0}],
    "campaigns": [
      {"id": "a", "placement": "nowhere", "priority": "high",
       "variants": [{"id": "v", "weight": -1, "content": {"en": {"t": "x"}}}]},
      {"id": "a", "placement": "hero", "audience": {"x": {"$bogus": 1}},
       "schedule": {"start": "yesterday", "hours": {"from": "25:00", "to": "08:00"}, "daysOfWeek": ["funday"]},
       "variants": [{"id": "v", "weight": 0, "content": {"de": {"t": "x"}}}]}
    ]})");
  INFO(listProblems(r));
  CHECK_FALSE(r.engine);
  CHECK(hasProblem(r, "defualtLocale", "unknown key"));
  CHECK(hasProblem(r, "placements[1].id", "duplicate placement id"));
  CHECK(hasProblem(r, "placements[1].maxItems", "from 1 to"));
  CHECK(hasProblem(r, "campaigns[0].placement", "unknown placement \"nowhere\""));
  CHECK(hasProblem(r, "campaigns[0].priority", "must be a number"));
  CHECK(hasProblem(r, "campaigns[0].variants[0].weight", "must be a non-negative number"));
  CHECK(hasProblem(r, "campaigns[1].id", "duplicate campaign id"));
  CHECK(hasProblem(r, "campaigns[1].audience.x.$bogus", "unknown operator"));
  CHECK(hasProblem(r, "campaigns[1].schedule.start", "ISO 8601"));
  CHECK(hasProblem(r, "campaigns[1].schedule.hours.from", "HH:MM"));
  CHECK(hasProblem(r, "campaigns[1].schedule.daysOfWeek[0]", "must be one of"));
  CHECK(hasProblem(r, "campaigns[1].variants", "weight above 0"));
  CHECK(hasProblem(r, "campaigns[1].variants[0].content", "default locale \"en\""));
  CHECK(r.problems.size() >= 13);
}

TEST_CASE("config: version and top-level shape", "[config]") {
  CHECK(hasProblem(compileConfig("{}"), "version", "is required"));
  CHECK(hasProblem(compileConfig(R"({"version": 2})"), "version", "unsupported schema version 2"));
  CHECK(hasProblem(compileConfig(R"({"version": "1"})"), "version", "integer 1"));
  CHECK(hasProblem(compileConfig("[1, 2]"), "", "must be a JSON object"));
  CHECK(hasProblem(compileConfig(R"({"version": 1, "caps": {}})"), "caps", "must be an array"));
}

TEST_CASE("config: malformed JSON says where", "[config]") {
  CompileResult r = compileConfig("{\"version\": 1,\n \"placements\": [}");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].message.find("invalid JSON") != std::string::npos);
  CHECK(r.problems[0].message.find("line 2") != std::string::npos);
  CHECK(hasProblem(compileConfig(""), "", "invalid JSON"));
  CHECK(hasProblem(compileConfig("{\"version\": 1} trailing"), "", "invalid JSON"));
}

TEST_CASE("config: invalid UTF-8 is rejected, not passed on", "[config]") {
  std::string bad = std::string(R"({"version": 1, "defaultLocale": "en)") + "\xC3\x28" + "\"}";
  CompileResult r = compileConfig(bad);
  CHECK_FALSE(r.engine);
  CHECK(hasProblem(r, "", "UTF-8"));
}

TEST_CASE("config: 10,000-deep nesting is refused before parsing", "[config][limits]") {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  CompileResult r = compileConfig(deep);
  CHECK(hasProblem(r, "", "nests 10000 levels deep"));
  std::string deepAudience =
      R"({"version": 1, "placements": [{"id": "p"}], "campaigns": [{"id": "c",
    "placement": "p", "variants": [{"id": "a", "content": {"en": {"t": "x"}}}], "audience": )";
  for (int i = 0; i < 40; ++i) deepAudience += R"({"$not": )";
  deepAudience += "{}";
  for (int i = 0; i < 40; ++i) deepAudience += "}";
  deepAudience += "}]}";
  CompileResult c = compileConfig(deepAudience);
  INFO(listProblems(c));
  CHECK_FALSE(c.engine);
  CHECK(hasProblem(c,
                   "campaigns[0].audience.$not.$not.$not.$not.$not.$not.$not.$not.$not.$not.$not.$"
                   "not.$not.$not.$not.$not.$not",
                   "deeper than 16 levels"));
}

TEST_CASE("config: a 10 MB config is refused by size", "[config][limits]") {
  std::string big = R"({"version": 1, "defaultLocale": ")" + std::string(10u << 20, 'x') + "\"}";
  CompileResult r = compileConfig(big);
  CHECK(hasProblem(r, "", "the limit is 4194304"));
}

TEST_CASE("config: limits on templates, regexes, ids", "[config][limits]") {
  std::string longTemplate =
      R"({"version": 1, "placements": [{"id": "p"}], "campaigns": [{"id": "c",
    "placement": "p", "variants": [{"id": "a", "content": {"en": {"t": ")" +
      std::string(5000, 'y') + R"("}}}]}]})";
  CHECK(hasProblem(compileConfig(longTemplate), "campaigns[0].variants[0].content.en.t",
                   "invalid template"));
  std::string longRegex = R"({"version": 1, "segments": {"s": {"page.path": {"$regex": ")" +
                          std::string(300, 'a') + R"("}}}})";
  CHECK(hasProblem(compileConfig(longRegex), "segments.s[\"page.path\"].$regex",
                   "invalid regular expression"));
  CHECK(
      hasProblem(compileConfig(R"({"version": 1, "segments": {"s": {"a": {"$regex": "(a)\\1"}}}})"),
                 "segments.s.a.$regex", "invalid regular expression"));
  std::string longId =
      R"({"version": 1, "placements": [{"id": ")" + std::string(200, 'p') + R"("}]})";
  CHECK(hasProblem(compileConfig(longId), "placements[0].id", "at most 128 bytes"));
}

TEST_CASE("config: segment references and cycles", "[config][segments]") {
  CHECK(hasProblem(compileConfig(R"({"version": 1, "segments": {"a": {"segments": "ghost"}}})"),
                   "segments.a", "unknown segment \"ghost\""));
  CompileResult cycle = compileConfig(R"({"version": 1, "segments": {
      "a": {"segments": "b"}, "b": {"segments": {"$in": ["c"]}}, "c": {"$or": [{"segments": "a"}, {"x": 1}]}}})");
  INFO(listProblems(cycle));
  CHECK_FALSE(cycle.engine);
  bool found = false;
  for (const attune::Problem& p : cycle.problems)
    found = found || p.message.find("segment reference cycle") != std::string::npos;
  CHECK(found);
  CHECK(hasProblem(compileConfig(R"({"version": 1, "segments": {"a": {"segments": "a"}}})"),
                   "segments.a", "cycle: a → a"));
  CompileResult order = compileConfig(
      R"({"version": 1, "segments": {"late": {"segments": "early"}, "early": {"x": 1}}})");
  REQUIRE(order.engine);
  CHECK(order.engine->str(order.engine->segments[0].name) == "early");
}

TEST_CASE("config: exclusive groups are checked", "[config][segments]") {
  CHECK(hasProblem(
      compileConfig(
          R"({"version": 1, "segments": {"a": {"x": 1}}, "exclusiveGroups": [{"id": "g", "segments": ["a", "zz"]}]})"),
      "exclusiveGroups[0].segments[1]", "must name a segment"));
  CHECK(hasProblem(compileConfig(R"({"version": 1, "segments": {"a": {"x": 1}, "b": {"x": 2}},
      "exclusiveGroups": [{"id": "g", "segments": ["a", "b"]}, {"id": "h", "segments": ["b", "a"]}]})"),
                   "exclusiveGroups[1].segments[0]", "already in another exclusive group"));
}

TEST_CASE("config: content needs the default locale and valid locales", "[config][content]") {
  CompileResult r =
      compileConfig(R"({"version": 1, "defaultLocale": "de", "placements": [{"id": "p",
      "default": {"en": {"t": "x"}, "not a tag!": {"t": "y"}, "EN": {"t": "z"}}}]})");
  INFO(listProblems(r));
  CHECK(hasProblem(r, "placements[0].default", "default locale \"de\""));
  CHECK(hasProblem(r, "placements[0].default[\"not a tag!\"]", "not a valid BCP 47"));
  CHECK(hasProblem(r, "placements[0].default.EN", "duplicate locale"));
}

TEST_CASE("config: field objects and holdout ranges", "[config][content]") {
  CompileResult r =
      compileConfig(R"({"version": 1, "placements": [{"id": "p"}], "campaigns": [{"id": "c",
      "placement": "p", "holdout": 1, "variants": [{"id": "a", "content": {"en": {
        "t": {"text": "x", "maxLength": 0, "color": "red"}, "u": 5, "w": {"text": "{{ unclosed"}}}}]}]})");
  INFO(listProblems(r));
  CHECK(hasProblem(r, "campaigns[0].holdout", "up to (not including) 1"));
  CHECK(hasProblem(r, "campaigns[0].variants[0].content.en.t.maxLength", "from 1 to 100000"));
  CHECK(hasProblem(r, "campaigns[0].variants[0].content.en.t.color", "unknown key"));
  CHECK(hasProblem(r, "campaigns[0].variants[0].content.en.u", "template string"));
  CHECK(hasProblem(r, "campaigns[0].variants[0].content.en.w.text", "invalid template"));
}

TEST_CASE("config: candidates are ordered by priority, ties by config order", "[config]") {
  CompileResult r = compileConfig(R"({"version": 1, "placements": [{"id": "p"}], "campaigns": [
      {"id": "low", "placement": "p", "priority": 1, "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]},
      {"id": "high", "placement": "p", "priority": 9, "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]},
      {"id": "low2", "placement": "p", "priority": 1, "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]}]})");
  REQUIRE(r.engine);
  const attune::Engine& e = *r.engine;
  REQUIRE(e.candidates.size() == 3);
  CHECK(e.str(e.campaigns[e.candidates[0]].id) == "high");
  CHECK(e.str(e.campaigns[e.candidates[1]].id) == "low");
  CHECK(e.str(e.campaigns[e.candidates[2]].id) == "low2");
}

TEST_CASE("config: behaviour settings and triggers are validated", "[config][behavior]") {
  CompileResult ok = compileConfig(R"({"version": 1, "interestHalfLife": "7d",
      "sensitiveInterests": ["health", "religion", "health"],
      "behavior": {"sessionTimeout": "45m", "cartAbandonAfter": "2h", "lapsedReturnAfter": "60d",
                   "lifecycle": {"activeDays": 14, "lapsedDays": 60},
                   "rfm": {"recencyDays": [3, 10, 30, 90], "frequency": [2, 4, 8, 16], "monetary": [10, 100, 1000, 10000]},
                   "interestWeights": {"view": 2, "purchase": 10}},
      "placements": [{"id": "p"}],
      "campaigns": [{"id": "c", "placement": "p", "trigger": {"event": "purchase", "within": "7d", "category": "ski"},
                     "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]}]})");
  INFO(listProblems(ok));
  REQUIRE(ok.engine);
  const attune::ProfileSettings& s = ok.engine->profileSettings;
  CHECK(s.interestHalfLifeMs == 7 * 86400000.0);
  CHECK(s.sessionTimeoutMs == 45 * 60000.0);
  CHECK(s.cartAbandonAfterMs == 2 * 3600000.0);
  CHECK(s.lapsedReturnAfterDays == 60);
  CHECK(s.lifecycleActiveDays == 14);
  CHECK(s.rfmMonetary[3] == 10000);
  CHECK(s.viewWeight == 2);
  CHECK(s.sensitiveInterests == std::vector<std::string>{"health", "religion"});
  const attune::CampaignDef& c = ok.engine->campaigns[0];
  CHECK(c.hasTrigger);
  CHECK(ok.engine->str(c.triggerEvent) == "purchase");
  CHECK(ok.engine->str(c.triggerCategory) == "ski");
  CHECK(c.triggerWithinMs == 7 * 86400000.0);

  CompileResult bad = compileConfig(R"({"version": 1, "interestHalfLife": "fortnight",
      "behavior": {"sessionTimeout": "0m", "lifecycle": {"activeDays": 90, "lapsedDays": 30},
                   "rfm": {"recencyDays": [30, 10, 3, 1]}, "surprise": 1},
      "placements": [{"id": "p"}],
      "campaigns": [{"id": "c", "placement": "p", "trigger": {"event": "Not Valid", "within": "2x"},
                     "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]},
                    {"id": "d", "placement": "p", "trigger": {"event": "welcome", "within": "1d", "category": "ski"},
                     "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]},
                    {"id": "e", "placement": "p", "trigger": {"event": "welcome"},
                     "variants": [{"id": "a", "content": {"en": {"t": "x"}}}]}]})");
  INFO(listProblems(bad));
  CHECK_FALSE(bad.engine);
  CHECK(hasProblem(bad, "interestHalfLife", "must be a duration"));
  CHECK(hasProblem(bad, "behavior.sessionTimeout", "must be a duration"));
  CHECK(hasProblem(bad, "behavior.lifecycle.lapsedDays", "greater than activeDays"));
  CHECK(hasProblem(bad, "behavior.rfm.recencyDays", "four increasing"));
  CHECK(hasProblem(bad, "behavior.surprise", "unknown key"));
  CHECK(hasProblem(bad, "campaigns[0].trigger.event", "built-in trigger or an event type"));
  CHECK(hasProblem(bad, "campaigns[0].trigger.within", "must be a duration"));
  CHECK(hasProblem(bad, "campaigns[1].trigger.category", "only applies to the purchase trigger"));
  CHECK(hasProblem(bad, "campaigns[2].trigger.within", "is required"));
}
