// Decisions: bad visitor input, bounded work on hostile input, reasons, and the promise that
// a warm decision allocates nothing.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "allocation_counter.h"
#include "config_compiler.h"
#include "decider.h"

namespace {

const char* kConfig = R"({"version": 1, "defaultLocale": "en", "consent": {"policy": "optOut"},
  "placements": [{"id": "hero", "default": {"en": {"h": "Welcome"}}}, {"id": "banner"}],
  "segments": {"vip": {"traits.tier": {"$in": ["gold", "platinum"]}}},
  "campaigns": [
    {"id": "evil", "placement": "hero", "priority": 9, "audience": {"traits.bio": {"$regex": "(a+)+$"}},
     "variants": [{"id": "a", "content": {"en": {"h": "never"}}}]},
    {"id": "vip", "placement": "hero", "priority": 5, "audience": {"segments": "vip"},
     "variants": [{"id": "a", "weight": 1, "content": {"en": {"h": "Hi {{name|there}}"}, "de": {"h": "Hallo {{name|du}}"}}},
                  {"id": "b", "weight": 1, "content": {"en": {"h": "Hey {{name|you}}"}}}]},
    {"id": "city", "placement": "banner", "audience": {"geo.country": {"$in": ["DE", "AT"]}},
     "variants": [{"id": "a", "content": {"en": {"t": {"text": "Deals in {{geo.city}}", "fallback": "Deals", "maxLength": 20}}}}]}
  ]})";

std::unique_ptr<attune::Engine> engine() {
  attune::CompileResult r = attune::compileConfig(kConfig);
  REQUIRE(r.problems.empty());
  return std::move(r.engine);
}

std::string decide(attune::Decider& d, const std::string& visitor, bool reasons = false) {
  std::string out;
  d.decidePageJson(visitor, reasons, out);
  return out;
}

}  // namespace

TEST_CASE("decider: bad visitor input is a clear error, never a crash", "[decider]") {
  auto e = engine();
  attune::Decider d(*e);
  CHECK(decide(d, "not json").rfind("{\"error\":\"visitor: ", 0) == 0);
  CHECK(decide(d, "[]") == R"({"error":"visitor: must be a JSON object"})");
  CHECK(decide(d, R"({"id": "v"})").find("visitor.now: is required") != std::string::npos);
  CHECK(decide(d, R"({"now": "tomorrow"})").find("visitor.now: must be an ISO 8601") !=
        std::string::npos);
  CHECK(decide(d, R"({"now": 0, "trait": {}})").find("visitor.trait: unknown key") !=
        std::string::npos);
  CHECK(decide(d, R"({"now": 0, "traits": []})").find("visitor.traits: must be an object") !=
        std::string::npos);
  CHECK(decide(d, R"({"now": 0, "utcOffsetMinutes": 5000})").find("from -840 to 840") !=
        std::string::npos);
  CHECK(
      decide(d, R"({"now": 0, "id": ")" + std::string(300, 'x') + "\"}").find("longer than 256") !=
      std::string::npos);
  std::string deep =
      R"({"now": 0, "traits": )" + std::string(10000, '[') + std::string(10000, ']') + "}";
  CHECK(decide(d, deep).find("nesting deeper than 32 levels") != std::string::npos);
  std::string huge = R"({"now": 0, "name": ")" + std::string(10u << 20, 'x') + "\"}";
  CHECK(decide(d, huge).find("the limit is 1048576") != std::string::npos);
  std::string longTrait = R"({"now": 0, "traits": {"bio": ")" + std::string(20000, 'x') + "\"}}";
  CHECK(decide(d, longTrait).find("string longer than 16384 bytes") != std::string::npos);
  std::string badUtf8 = std::string(R"({"now": 0, "name": "A)") + "\xFF\xFE" + "\"}";
  CHECK(decide(d, badUtf8).find("invalid UTF-8") != std::string::npos);
  // The decider keeps working after every one of those.
  CHECK(decide(d, R"({"now": 0})").find("\"decisions\"") != std::string::npos);
  std::string out;
  d.decideJson("nowhere", R"({"now": 0})", false, out);
  CHECK(out == R"({"error":"unknown placement \"nowhere\""})");
}

TEST_CASE("decider: catastrophic regex input finishes with the right answer", "[decider][regex]") {
  auto e = engine();
  attune::Decider d(*e);
  std::string bio(16000, 'a');
  bio += '!';
  std::string out = decide(d, R"({"now": 0, "traits": {"bio": ")" + bio + R"("}})", true);
  CHECK(out.find(R"({"campaign":"evil","result":"skipped","reason":"audience"})") !=
        std::string::npos);
}

TEST_CASE("decider: 10,000 Accept-Language entries give a bounded, correct result",
          "[decider][locale]") {
  auto e = engine();
  attune::Decider d(*e);
  std::string header;
  for (int i = 0; i < 10000; ++i) header += "x" + std::to_string(i % 100) + "-zz;q=0.5,";
  header += "de;q=0.9";
  std::string out =
      decide(d, R"({"id": "v", "now": 0, "traits": {"tier": "gold"}, "acceptLanguage": ")" +
                    header + "\"}");
  REQUIRE(out.find("\"decisions\"") != std::string::npos);
  CHECK(out.find("\"locale\":\"en\"") != std::string::npos);  // de lies beyond the bound
  const attune::Doc& ctx = d.context();
  CHECK(ctx.node(ctx.member(d.contextRoot(), "requestedLocales")).count <= 32);
}

TEST_CASE("decider: reasons list every candidate", "[decider][reasons]") {
  auto e = engine();
  attune::Decider d(*e);
  std::string out = decide(
      d, R"({"id": "v", "now": 0, "traits": {"tier": "gold"}, "geo": {"country": "FR"}})", true);
  CHECK(
      out.find(
          R"("reasons":[{"campaign":"evil","result":"skipped","reason":"audience"},{"campaign":"vip","result":"chosen"}])") !=
      std::string::npos);
  CHECK(out.find(R"("reasons":[{"campaign":"city","result":"skipped","reason":"audience"}])") !=
        std::string::npos);
  std::string lean = decide(d, R"({"id": "v", "now": 0})");
  CHECK(lean.find("reasons") == std::string::npos);
}

TEST_CASE("decider: segments and context are visible to conditions", "[decider]") {
  auto e = engine();
  attune::Decider d(*e);
  std::string error;
  REQUIRE(d.setVisitor(R"({"id": "v", "now": "2026-11-25T10:00:00Z", "utcOffsetMinutes": 60,
      "acceptLanguage": "de-AT", "name": " Ada\u0000 ", "traits": {"tier": "gold"}})",
                       error));
  const attune::Doc& ctx = d.context();
  attune::NodeId root = d.contextRoot();
  CHECK(ctx.str(ctx.path(root, "locale")) == "de");
  CHECK(ctx.str(ctx.path(root, "language")) == "de");
  CHECK(ctx.str(ctx.path(root, "requestedLocales.0")) == "de-AT");
  CHECK(ctx.node(ctx.path(root, "time.localHour")).number == 11);
  CHECK(ctx.node(ctx.path(root, "time.localWeekday")).number == 3);
  CHECK(ctx.str(ctx.path(root, "name")) == "Ada");
  CHECK(ctx.str(ctx.path(root, "segments.0")) == "vip");
}

TEST_CASE("decider: a warm page decision does not allocate", "[decider][allocation]") {
  auto e = engine();
  attune::Decider d(*e);
  std::string visitor =
      R"({"id": "visitor-7", "now": 1764064800000, "acceptLanguage": "de-AT,de;q=0.9",
      "name": "Ada", "geo": {"country": "AT", "city": "Wien"}, "traits": {"tier": "gold", "bio": "aaa"}})";
  std::string out;
  out.reserve(4096);
  d.decidePageJson(visitor, true, out);  // warm-up sizes every buffer
  out.clear();
  d.seedTokenEntropy(0);  // the same nonces each time, so the outputs compare equal
  d.decidePageJson(visitor, true, out);
  std::string expected = out;
  attune_test::AllocationCounter counter;
  counter.start();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    d.seedTokenEntropy(0);
    d.decidePageJson(visitor, true, out);
  }
  uint64_t allocations = counter.stop();
  CHECK(out == expected);
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
}

// Fields that read nothing of the visitor are rendered once and kept; fields with paths are
// rendered for each visitor. Both must read the same on every decision.
TEST_CASE("decider: constant content fields are kept, templated ones follow the visitor",
          "[decider][content]") {
  attune::CompileResult r = attune::compileConfig(
      R"({"version": 1, "defaultLocale": "en", "placements": [{"id": "p"}],
          "campaigns": [{"id": "c", "placement": "p", "variants": [{"id": "a", "content": {
            "en": {"h": "Hi {{name|there}}", "b": {"text": "Sale \"now\" on \u00e9t\u00e9 gear", "maxLength": 12},
                   "u": "/sale?a=1&b=2"},
            "de": {"h": "Hallo {{name|du}}", "b": "Ausverkauf", "u": "/de/sale"}}}]}]})");
  REQUIRE(r.problems.empty());
  attune::Decider d(*r.engine);
  const std::string en = R"(,"b":"Sale \"now\"…","u":"/sale?a=1&b=2"})";
  for (int round = 0; round < 3; ++round) {
    std::string ann = decide(d, R"({"now": 0, "name": "Ann"})");
    CHECK(ann.find(R"("content":{"h":"Hi Ann")" + en) != std::string::npos);
    std::string nobody = decide(d, R"({"now": 0})");
    CHECK(nobody.find(R"("content":{"h":"Hi there")" + en) != std::string::npos);
    std::string de = decide(d, R"({"now": 0, "name": "Jörg", "acceptLanguage": "de"})");
    CHECK(de.find(R"("content":{"h":"Hallo Jörg","b":"Ausverkauf","u":"/de/sale"})") !=
          std::string::npos);
  }
}

// The profile part of the context is written only for engines that read it; the others still
// show it to hosts that ask (context(), the profile JSON), and a template can read it.
TEST_CASE("decider: the profile context is there for whoever reads it", "[decider][profile]") {
  const std::string visitor = R"({"now": 0})";
  SECTION("an engine whose conditions read none of it still shows it") {
    auto e = engine();
    attune::Decider d(*e);
    decide(d, visitor);
    std::string profile;
    d.writeProfileJson(profile);
    CHECK(profile.find(R"("lifecycle":"new")") != std::string::npos);
    CHECK(profile.find(R"("behavior":{"counts":{"page_view":{"d1":0)") != std::string::npos);
    const attune::Doc& ctx = d.context();
    CHECK(ctx.str(ctx.path(d.contextRoot(), "lifecycle")) == "new");
    CHECK(ctx.path(d.contextRoot(), "behavior.counts.page_view.d7") != attune::kNoNode);
  }
  SECTION("a template or a condition that reads it gets it") {
    attune::CompileResult r = attune::compileConfig(
        R"({"version": 1, "defaultLocale": "en", "consent": {"policy": "optOut"}, "placements": [{"id": "p"}, {"id": "q"}],
            "campaigns": [
              {"id": "t", "placement": "p", "variants": [{"id": "a", "content": {"en": {"h": "You are {{lifecycle}}"}}}]},
              {"id": "c", "placement": "q", "audience": {"behavior.sessions": {"$lt": 1}},
               "variants": [{"id": "a", "content": {"en": {"h": "First visit"}}}]}]})");
    REQUIRE(r.problems.empty());
    attune::Decider d(*r.engine);
    std::string out = decide(d, visitor);
    CHECK(out.find(R"("h":"You are new")") != std::string::npos);
    CHECK(out.find(R"("h":"First visit")") != std::string::npos);
  }
  SECTION("a visitor that failed to load leaves an empty context") {
    auto e = engine();
    attune::Decider d(*e);
    CHECK(decide(d, "[]").find("error") != std::string::npos);
    const attune::Doc& ctx = d.context();
    CHECK(ctx.path(d.contextRoot(), "lifecycle") == attune::kNoNode);
  }
}
