// Regression tests for what the fuzzers (fuzz/) found: one case per finding, each the minimal
// form of the reproducer that is also kept in fuzz/corpus/<target>/regression-*. Each would
// fail (or abort under ASan+UBSan, tests/native in build-asan) without its fix.
#include <catch2/catch.hpp>
#include <string>

#include "doc.h"
#include "profile.h"
#include "state_blob.h"

using attune::DayCount;
using attune::EventCounter;
using attune::LoadStatus;
using attune::VisitorState;

namespace {

constexpr double kDay = attune::kMsPerDay;

}  // namespace

// cookie_fuzzer: a blob may hold any finite last-seen time; folding day buckets for a cookie
// cast it to a day number, undefined behaviour past int64 (UBSan: "4.6e+109 is outside the
// range of representable values of type 'long'").
TEST_CASE("fuzz regression: cookie compaction with a last-seen time beyond every day number",
          "[fuzz_regression][cookie]") {
  VisitorState state;
  state.visitorId = "v1";
  state.profile.firstSeenMs = 20000 * kDay;
  state.profile.lastSeenMs = 4.6e117;  // finite, so the decoder accepts it
  state.profile.sessions = 1;
  EventCounter views;
  views.type = "page_view";
  views.lifetime = 200;
  views.firstMs = 20000 * kDay;
  views.lastMs = 20199 * kDay;
  for (int32_t d = 20000; d < 20200; d += 2) views.days.push_back(DayCount{d, 2});
  state.profile.counters.push_back(views);

  std::string full, cookie;
  attune::encodeState(state, full);
  attune::base64UrlEncode(full, cookie);
  const size_t budget = cookie.size() - 1;  // the full state does not fit: compaction runs
  REQUIRE(attune::encodeCookie(state, budget, cookie));
  REQUIRE(cookie.size() <= budget);
  VisitorState loaded;
  REQUIRE(attune::decodeCookie(cookie, loaded).status == LoadStatus::Ok);
  REQUIRE(loaded.profile.lastSeenMs == state.profile.lastSeenMs);
  REQUIRE(loaded.profile.counters.size() == 1);
  // Seen "today" that far ahead, every bucket is older than the longest window: all dropped,
  // the lifetime count stays.
  CHECK(loaded.profile.counters[0].days.empty());
  CHECK(loaded.profile.counters[0].lifetime == 200);
}

// cookie_fuzzer (the edge step: a loaded cookie, then track()): counting an event's day
// bucket cast the stored last-seen time to an int32 day number, undefined behaviour for a
// huge finite value (UBSan: "4.6e+109 is outside the range of representable values of type
// 'int'"), and "today - 90" could then overflow too. Day numbers are now clamped to ±1e9.
TEST_CASE("fuzz regression: tracking for a profile last seen beyond every day number",
          "[fuzz_regression][profile]") {
  attune::Profile profile;
  profile.firstSeenMs = 20000 * kDay;
  profile.lastSeenMs = 4.6e117;
  profile.sessions = 1;
  attune::Doc props;
  attune::ParseError err;
  REQUIRE(props.parse(R"({"categories":["ski"]})", err));
  std::string error;
  const double now = 20400 * kDay;
  REQUIRE(attune::trackEvent(profile, attune::ProfileSettings(), attune::ConsentGate(), "page_view",
                             props, 0, now, error));
  REQUIRE(profile.counters.size() == 1);
  CHECK(profile.counters[0].lifetime == 1);
  // "Today" is the far future, so the bucket for now is outside every window.
  CHECK(profile.counters[0].days.empty());
  // The context still builds: no day arithmetic overflows.
  attune::Doc ctx;
  attune::NodeId root = ctx.addObject();
  attune::writeProfileContext(profile, attune::ProfileSettings(), attune::ConsentGate(), now,
                              attune::kNoNode, ctx, root);
  std::string json;
  ctx.write(root, json);
  CHECK(json.find("\"behavior\"") != std::string::npos);
}
