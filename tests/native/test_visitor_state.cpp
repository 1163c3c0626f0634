// The visitor's state end to end: events tracked through the shared entry point, decided on,
// stored as a cookie under 4 KB and decided on again with the same answers.
#include <catch2/catch.hpp>

#include "allocation_counter.h"
#include "config_compiler.h"
#include "decider.h"
#include "visitor_io.h"

namespace {

const char* kConfig = R"json({"version": 1, "consent": {"policy": "optOut"},
  "placements": [{"id": "hero", "default": {"en": {"h": "default"}}}, {"id": "banner"}],
  "segments": {"regular": {"behavior.counts.page_view.d30": {"$gte": 100}}},
  "campaigns": [
    {"id": "win-back", "placement": "hero", "priority": 9,
     "audience": {"rfm.monetary": {"$gte": 4}, "lifecycle": "lapsed"},
     "variants": [{"id": "a", "content": {"en": {"h": "We miss you"}}}]},
    {"id": "skier", "placement": "hero", "priority": 5, "audience": {"topInterests.0": "ski"},
     "variants": [{"id": "a", "content": {"en": {"h": "Fresh snow"}}}]},
    {"id": "regulars", "placement": "banner", "priority": 5, "audience": {"segments": "regular"},
     "variants": [{"id": "a", "content": {"en": {"t": "Thanks for coming back"}}}]},
    {"id": "cart", "placement": "banner", "priority": 9, "trigger": {"event": "cart_abandoned", "within": "2d"},
     "variants": [{"id": "a", "content": {"en": {"t": "Your cart is waiting ({{cart.count}} items)"}}}]}
  ]})json";

constexpr double kDay = 86400000.0;
constexpr double kStart = 1764000000000.0;  // 2025-11-24

std::string decide(attune::Decider& d, const attune::VisitorState& state, double now) {
  d.attach(&state);
  d.seedTokenEntropy(0);  // tokens depend on the nonce counter: the same for both states
  std::string out;
  d.decidePageJson(R"({"now": )" + std::to_string(static_cast<long long>(now)) + "}", true, out);
  return out;
}

}  // namespace

TEST_CASE("visitor state: 10,000 events fit a cookie under 4 KB and decide the same",
          "[state][cookie]") {
  attune::CompileResult compiled = attune::compileConfig(kConfig);
  REQUIRE(compiled.engine);
  const attune::Engine& engine = *compiled.engine;
  attune::VisitorState state;
  state.visitorId = "visitor-123e4567-e89b-12d3-a456-426614174000";
  attune::ConsentGate consent;
  attune::Doc scratch;
  std::string error;
  static const char* const kCategories[] = {"ski", "boots", "jackets", "gloves", "goggles", "wax"};
  double now = kStart;
  for (int i = 0; i < 10000; ++i) {
    now = kStart + i * (120 * kDay / 10000);  // 120 days of history
    std::string props;
    const char* type = "page_view";
    switch (i % 10) {
      case 0:
        type = "search";
        props = R"({"query": "powder skis"})";
        break;
      case 1:
        type = "add_to_cart";
        props = R"({"sku": "sku-)" + std::to_string(i % 7) + R"(", "price": 25})";
        break;
      case 2:
        type = "purchase";
        props = R"({"amount": 120, "items": [{"sku": "s", "categories": ["ski"]}]})";
        break;
      case 3:
        type = "email_click";
        break;
      case 4:
        type = i % 1000 == 4 ? "signup" : "custom_event_";
        props = "";
        break;
      default:
        props = std::string(R"({"categories": [")") + kCategories[i % 6] + R"("]})";
    }
    std::string typeName = type;
    if (typeName == "custom_event_") typeName += std::to_string(i % 60);
    REQUIRE(attune::trackJson(state, engine, consent, typeName, props, now, scratch, error));
  }
  // Last activity: a cart left three hours before the decision.
  REQUIRE(attune::trackJson(state, engine, consent, "add_to_cart",
                            R"({"sku": "boots", "price": 300})", now, scratch, error));
  double decideAt = now + 3 * 3600000.0;

  std::string cookie;
  REQUIRE(attune::encodeCookie(state, 4096, cookie));
  CHECK(cookie.size() <= 4096);
  attune::VisitorState restored;
  attune::LoadReport report = attune::decodeCookie(cookie, restored);
  REQUIRE(report.status == attune::LoadStatus::Ok);
  CHECK(restored.visitorId == state.visitorId);
  CHECK(restored.profile.purchases == state.profile.purchases);
  CHECK(restored.profile.sessions == state.profile.sessions);

  attune::Decider decider(engine);
  std::string before = decide(decider, state, decideAt);
  std::string after = decide(decider, restored, decideAt);
  INFO(before);
  CHECK(before == after);
  CHECK(before.find(R"("campaign":"cart")") != std::string::npos);
  CHECK(before.find(R"("campaign":"skier")") != std::string::npos);
  // Sixty days later the big spender has lapsed: the win-back shows, from the cookie too.
  CHECK(decide(decider, state, decideAt + 60 * kDay) ==
        decide(decider, restored, decideAt + 60 * kDay));
  CHECK(decide(decider, restored, decideAt + 60 * kDay).find(R"("campaign":"win-back")") !=
        std::string::npos);
  std::printf("state after 10,000 events: %zu-character cookie (limit 4096)\n", cookie.size());
}

TEST_CASE("visitor state: a warm decision with a profile does not allocate",
          "[state][allocation]") {
  attune::CompileResult compiled = attune::compileConfig(kConfig);
  REQUIRE(compiled.engine);
  attune::VisitorState state;
  state.visitorId = "v";
  attune::ConsentGate consent;
  attune::Doc scratch;
  std::string error;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(attune::trackJson(state, *compiled.engine, consent, "page_view",
                              R"({"categories": ["ski", "wax"]})", kStart + i * 60000.0, scratch,
                              error));
  }
  attune::Decider decider(*compiled.engine);
  decider.attach(&state);
  std::string visitor = R"({"now": 1764003600000, "traits": {"interests": ["hiking"]}})";
  std::string out;
  out.reserve(8192);
  decider.decidePageJson(visitor, true, out);
  std::string expected = out;
  attune_test::AllocationCounter counter;
  counter.start();
  for (int i = 0; i < 50; ++i) {
    out.clear();
    decider.decidePageJson(visitor, true, out);
  }
  uint64_t allocations = counter.stop();
  CHECK(out == expected);
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
}

TEST_CASE("visitor state: bad events through the entry point change nothing", "[state]") {
  attune::CompileResult compiled = attune::compileConfig(kConfig);
  REQUIRE(compiled.engine);
  attune::VisitorState state;
  attune::ConsentGate consent;
  attune::Doc scratch;
  std::string error;
  CHECK_FALSE(attune::trackJson(state, *compiled.engine, consent, "purchase", "[1]", kStart,
                                scratch, error));
  CHECK(error.find("must be an object") != std::string::npos);
  CHECK_FALSE(attune::trackJson(state, *compiled.engine, consent, "purchase",
                                "{\"amount\": ", kStart, scratch, error));
  std::string huge = R"({"query": ")" + std::string(1u << 20, 'q') + "\"}";
  CHECK_FALSE(
      attune::trackJson(state, *compiled.engine, consent, "search", huge, kStart, scratch, error));
  CHECK_FALSE(
      attune::trackJson(state, *compiled.engine, consent, "page_view", "{}", 0, scratch, error));
  CHECK(state.profile.empty());
}
