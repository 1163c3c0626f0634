// The compiled binary form: same decisions as the JSON config, and hostile bytes refused.
#include <catch2/catch.hpp>
#include <random>

#include "config_compiler.h"
#include "decider.h"
#include "serialize.h"
#include "vector_support.h"

using attune::Doc;
using attune::kNoNode;
using attune::NodeId;

namespace {

uint32_t fnv(std::string_view bytes) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
  return h;
}

// Rewrites the trailing checksum so a mutation reaches the structural checks.
void reseal(std::string& blob) {
  uint32_t h = fnv(std::string_view(blob).substr(12, blob.size() - 16));
  for (int i = 0; i < 4; ++i) blob[blob.size() - 4 + i] = static_cast<char>(h >> (8 * i));
}

}  // namespace

TEST_CASE("serialize: every decision vector decides the same from the binary form", "[serialize]") {
  Doc cases;
  std::string error;
  if (!attune_test::loadVectors("decisions.json", cases, error)) FAIL(error);
  size_t compared = 0;
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next) {
    INFO(cases.str(cases.member(c, "name")));
    attune::CompileResult compiled =
        attune::compileConfig(attune_test::json(cases, cases.member(c, "config")));
    REQUIRE(compiled.engine);
    std::string blob;
    attune::saveEngine(*compiled.engine, blob);
    attune::Engine loaded;
    REQUIRE(attune::loadEngine(blob, loaded, error));
    std::string again;
    attune::saveEngine(loaded, again);
    CHECK(again == blob);  // deterministic, lossless
    std::string visitor = attune_test::json(cases, cases.member(c, "visitor"));
    std::string fromJson, fromBinary;
    attune::Decider(*compiled.engine).decidePageJson(visitor, true, fromJson);
    attune::Decider(loaded).decidePageJson(visitor, true, fromBinary);
    CHECK(fromJson == fromBinary);
    ++compared;
  }
  CHECK(compared >= 40);
}

TEST_CASE("serialize: truncated, foreign and corrupted blobs are refused with a reason",
          "[serialize]") {
  attune::CompileResult compiled =
      attune::compileConfig(R"({"version": 1, "placements": [{"id": "p"}],
    "campaigns": [{"id": "c", "placement": "p", "audience": {"a": {"$regex": "^x+$"}, "b": {"$in": [1, 2]}},
    "variants": [{"id": "v", "content": {"en": {"t": "Hi {{name|you}}"}}}]}]})");
  REQUIRE(compiled.engine);
  std::string blob;
  attune::saveEngine(*compiled.engine, blob);
  std::string error;
  attune::Engine e1;
  CHECK_FALSE(attune::loadEngine("", e1, error));
  CHECK(error.find("bad magic") != std::string::npos);
  attune::Engine e2;
  CHECK_FALSE(attune::loadEngine(blob.substr(0, blob.size() - 7), e2, error));
  CHECK(error.find("truncated") != std::string::npos);
  std::string flipped = blob;
  flipped[20] = static_cast<char>(flipped[20] ^ 0x40);
  attune::Engine e3;
  CHECK_FALSE(attune::loadEngine(flipped, e3, error));
  CHECK(error.find("checksum") != std::string::npos);
  std::string future = blob;
  future[4] = 9;
  attune::Engine e4;
  CHECK_FALSE(attune::loadEngine(future, e4, error));
  CHECK(error.find("format 9 is not supported") != std::string::npos);
}

TEST_CASE("serialize: 20,000 resealed random mutations never crash a load or a decision",
          "[serialize][fuzz]") {
  attune::CompileResult compiled =
      attune::compileConfig(R"({"version": 1, "placements": [{"id": "p", "maxItems": 2,
      "default": {"en": {"t": "d"}}}], "segments": {"s": {"x": {"$gte": 3}}, "t": {"segments": "s"}},
    "exclusiveGroups": [{"id": "g", "segments": ["s", "t"]}],
    "campaigns": [{"id": "c", "placement": "p", "holdout": 0.2, "schedule": {"hours": {"from": "22:00", "to": "06:00"}},
    "audience": {"$or": [{"a": {"$regex": "^x+$", "$options": "i"}}, {"b": {"$in": [1, [2], {"k": "v"}]}}, {"v": {"$vgt": "1.2"}}]},
    "variants": [{"id": "v", "weight": 2, "content": {"en": {"t": {"text": "Hi {{name|you}}", "maxLength": 5}}}},
                 {"id": "w", "content": {"en": {"t": "{{segments.0}}"}, "de": {"t": "Hallo"}}}]}]})");
  REQUIRE(compiled.engine);
  std::string blob;
  attune::saveEngine(*compiled.engine, blob);
  std::mt19937 rng(12345);
  size_t loaded = 0, refused = 0;
  const std::string visitor = R"({"id": "v1", "now": 0, "name": "Ada", "acceptLanguage": "de",
      "traits": {"x": 5}, "geo": {"a": "xxx"}})";
  for (int i = 0; i < 20000; ++i) {
    std::string m = blob;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t at = 12 + rng() % (m.size() - 16);
      m[at] = static_cast<char>(rng() % 3 == 0 ? 0xFF : rng());
    }
    reseal(m);
    attune::Engine e;
    std::string error;
    if (!attune::loadEngine(m, e, error)) {
      CHECK_FALSE(error.empty());
      ++refused;
      continue;
    }
    ++loaded;
    attune::Decider d(e);
    std::string out;
    d.decidePageJson(visitor, true, out);
    CHECK(!out.empty());
  }
  INFO("loaded " << loaded << ", refused " << refused);
  CHECK(loaded + refused == 20000);
  CHECK(refused > 0);
}
