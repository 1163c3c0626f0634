// libFuzzer target for campaign configs (SPEC §1): bytes → compileConfig (validation and
// compilation, runtime/compiler/config_compiler.h), then for a config that compiles, a page
// decision for a fixed visitor with a stored profile, the binary form (serialize.h) round
// trip, and the same decisions from the loaded engine.
//
// Invariants: a refused config lists problems, each with a message and a JSON path (empty
// for the document itself), as well-formed JSON; a compiled one decides to well-formed JSON
// (twice: the second time with the first decision's impressions in the contact history, so
// caps and fatigue see them); its binary form loads back and saves to the same bytes; the
// loaded engine decides exactly as the compiled one (the lean build behaves like the full).
//
// An input starting with "ATNC" is a compiled config's binary form instead (what the lean
// build loads): its length and checksum are rewritten to match (a fuzzer cannot forge
// FNV-1a), then loadEngine must refuse it with a reason or load an engine that decides to
// well-formed JSON and saves to bytes that load and save again identically.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "config_compiler.h"
#include "decider.h"
#include "doc.h"
#include "fuzz_support.h"
#include "problem.h"
#include "profile.h"
#include "serialize.h"
#include "state_blob.h"
#include "visitor_io.h"

namespace {

constexpr double kNowMs = 1795600800000.0;  // 2026-11-25T10:00:00Z, the visitor's "now"

// Every visitor field, and consent to every purpose, so that every campaign's audience,
// trigger and purposes are evaluated.
const std::string_view kVisitor =
    R"({"id":"visitor-42","now":"2026-11-25T10:00:00Z","utcOffsetMinutes":60,)"
    R"("acceptLanguage":"de-AT,de;q=0.9,en;q=0.5,ar;q=0.1","geo":{"country":"AT","region":"9",)"
    R"("city":"Wien"},"name":"Ada","traits":{"tier":"gold","points":42,"vip":true,)"
    R"("birthday":"11-25","interests":["ski","hiking"],"email":"ada@example.com"},)"
    R"("page":{"url":"https://shop.example/ski?utm_source=newsletter","path":"/ski",)"
    R"("categories":["ski"],"referrer":"https://www.google.com/","utm":{"source":"newsletter"}},)"
    R"("consent":{"storage":true,"personalization":true,"measurement":true,"marketing":true,)"
    R"("sensitive":true}})";

// A returning customer: sessions, page views, a cart, a purchase, a custom event.
attune::VisitorState makeVisitorState() {
  attune::VisitorState state;
  state.visitorId = "visitor-42";
  state.consent.present = true;
  state.consent.purposes = 0x1F;
  state.consent.updatedMs = kNowMs - 40 * attune::kMsPerDay;
  state.consent.source = "banner";
  state.consent.policyVersion = 1;
  attune::ProfileSettings settings;
  attune::ConsentGate all;
  all.granted[4] = true;
  struct Event {
    double daysAgo;
    const char* type;
    const char* props;
  };
  const Event events[] = {
      {60, "page_view", R"({"categories":["ski"]})"},
      {45, "purchase", R"({"amount":120,"items":[{"sku":"S1","price":120,"categories":["ski"]}]})"},
      {3, "page_view", R"({"categories":["hiking"]})"},
      {2, "search", R"({"query":"boots"})"},
      {1, "add_to_cart", R"({"sku":"B2","price":89.5,"quantity":2,"categories":["hiking"]})"},
      {1, "newsletter_open", "{}"},
      {0.1, "page_view", R"({"categories":["ski"]})"},
  };
  for (const Event& e : events) {
    attune::Doc doc;
    attune::ParseError err;
    FUZZ_CHECK(doc.parse(e.props, err));
    std::string error;
    FUZZ_CHECK(attune::trackEvent(state.profile, settings, all, e.type, doc, 0,
                                  kNowMs - e.daysAgo * attune::kMsPerDay, error));
  }
  return state;
}

const attune::VisitorState& visitorState() {
  static const attune::VisitorState state = makeVisitorState();
  return state;
}

// Two decisions: the page, then the page again after its impressions were recorded.
std::string decide(const attune::Engine& engine) {
  attune::VisitorState state = visitorState();
  attune::Decider decider(engine);
  decider.seedTokenEntropy(7);
  decider.attach(&state);
  std::string out;
  decider.decidePageJson(kVisitor, true, out);
  FUZZ_CHECK(attune_fuzz::isJson(out));
  attune::recordShown(state, engine, decider.shown(), kNowMs);
  out += '\n';
  size_t second = out.size();
  decider.decidePageJson(kVisitor, true, out);
  FUZZ_CHECK(attune_fuzz::isJson(std::string_view(out).substr(second)));
  return out;
}

// The binary form with its payload length and checksum made to match the bytes present.
std::string resealedEngine(std::string_view input) {
  std::string s(input);
  if (s.size() < 16) return s;
  attune_fuzz::putFixed32(s, 8, static_cast<uint32_t>(s.size() - 16));
  attune_fuzz::putFixed32(s, s.size() - 4,
                          attune_fuzz::fnv1a(std::string_view(s).substr(12, s.size() - 16)));
  return s;
}

void exerciseBinary(std::string_view input) {
  attune::Engine engine;
  std::string error;
  if (!attune::loadEngine(resealedEngine(input), engine, error)) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  decide(engine);
  std::string saved, again;
  attune::saveEngine(engine, saved);
  attune::Engine reloaded;
  FUZZ_CHECK(attune::loadEngine(saved, reloaded, error));
  attune::saveEngine(reloaded, again);
  FUZZ_CHECK(again == saved);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  visitorState();  // built (and checked) once, outside every input's run
  // The fixed visitor must be valid input, or no config would ever reach a decision.
  attune::CompileResult minimal = attune::compileConfig(
      R"({"version":1,"placements":[{"id":"hero"}],"campaigns":[{"id":"c","placement":"hero",)"
      R"("variants":[{"id":"a","content":{"en":{"headline":"Hi {{name}}"}}}]}]})");
  FUZZ_CHECK(minimal.engine != nullptr);
  std::string page = decide(*minimal.engine);
  FUZZ_CHECK(page.find("\"error\"") == std::string::npos &&
             page.find("Hi Ada") != std::string::npos);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 4 && std::memcmp(data, "ATNC", 4) == 0) {
    exerciseBinary(attune_fuzz::asText(data, size));
    return 0;
  }
  attune::CompileResult result = attune::compileConfig(attune_fuzz::asText(data, size));
  if (!result.engine) {
    FUZZ_CHECK(!result.problems.empty());
    // An empty path is the document itself (invalid JSON, not an object, too large).
    for (const attune::Problem& p : result.problems) FUZZ_CHECK(!p.message.empty());
    std::string problems;
    attune::writeProblemsJson(result.problems, problems);
    FUZZ_CHECK(attune_fuzz::isJson(problems));
    return 0;
  }
  FUZZ_CHECK(result.problems.empty());
  const std::string decisions = decide(*result.engine);

  std::string binary, again, error;
  attune::saveEngine(*result.engine, binary);
  attune::Engine loaded;
  FUZZ_CHECK(attune::loadEngine(binary, loaded, error));
  attune::saveEngine(loaded, again);
  FUZZ_CHECK(again == binary);
  FUZZ_CHECK(decide(loaded) == decisions);
  return 0;
}
