// The shared vectors, run natively through the same entry points the Wasm module exports.
// Node, Chromium and workerd run the same files (tests/js/run_vectors.mjs).
#include <catch2/catch.hpp>

#include "config_compiler.h"
#include "decider.h"
#include "hash.h"
#include "tcf.h"
#include "tools.h"
#include "vector_support.h"

using attune::Doc;
using attune::kNoNode;
using attune::NodeId;
using attune::Type;
using attune_test::json;
using attune_test::loadVectors;
using attune_test::sameJson;

namespace {

bool expectsError(const Doc& doc, NodeId expected) {
  return doc.type(expected) == Type::Object && doc.member(expected, "error") != kNoNode;
}

// Compares a JSON answer with the case's expectation; {"error": true} matches any error.
void checkAnswer(const Doc& cases, NodeId c, const std::string& answer) {
  NodeId expected = cases.member(c, "expected");
  Doc got;
  attune::ParseError err;
  REQUIRE(got.parse(answer, err));
  if (expectsError(cases, expected)) {
    CHECK(got.member(0, "error") != kNoNode);
  } else {
    INFO("got " << answer << ", expected " << json(cases, expected));
    CHECK(sameJson(got, 0, cases, expected));
  }
}

size_t forEachCase(const char* file, void (*run)(const Doc&, NodeId)) {
  Doc cases;
  std::string error;
  if (!loadVectors(file, cases, error)) FAIL(error);
  REQUIRE(cases.type(0) == Type::Array);
  size_t n = 0;
  for (NodeId c = cases.node(0).firstChild; c != kNoNode; c = cases.node(c).next, ++n) {
    INFO(file << ": " << cases.str(cases.member(c, "name")));
    run(cases, c);
  }
  return n;
}

// A timeline case replays its steps through simulateJson; `expect` maps "<step>.<path>" to
// the value in that step's result and "<member>.<path>" to one in the answer's top level
// ("kpi.campaigns.0.variants.0.impressions"); "*" asks only that the value be present.
void checkTimeline(const Doc& cases, NodeId c) {
  std::string answer = attune::simulateJson(json(cases, cases.member(c, "request")));
  Doc got;
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 16u << 20;
  REQUIRE(got.parse(answer, err, limits));
  INFO(answer);
  NodeId steps = got.member(0, "steps");
  REQUIRE(steps != kNoNode);
  NodeId expect = cases.member(c, "expect");
  for (NodeId e = cases.node(expect).firstChild; e != kNoNode; e = cases.node(e).next) {
    std::string_view key = cases.key(e);
    bool stepKey = !key.empty() && key[0] >= '0' && key[0] <= '9';
    NodeId value = got.path(stepKey ? steps : 0, key);
    INFO("expect " << key << " = " << json(cases, e) << ", got " << json(got, value));
    if (cases.type(e) == Type::String && cases.str(e) == "*") {
      CHECK(value != kNoNode);
    } else {
      CHECK(sameJson(got, value, cases, e));
    }
  }
}

}  // namespace

TEST_CASE("vectors: conditions", "[vectors]") {
  size_t n = forEachCase("conditions.json", [](const Doc& cases, NodeId c) {
    std::string answer = attune::evalConditionJson(json(cases, cases.member(c, "condition")),
                                                   json(cases, cases.member(c, "attributes")));
    checkAnswer(cases, c, answer);
  });
  CHECK(n >= 150);
}

TEST_CASE("vectors: locale negotiation", "[vectors]") {
  size_t n = forEachCase("locale.json", [](const Doc& cases, NodeId c) {
    checkAnswer(cases, c, attune::negotiateLocaleJson(json(cases, cases.member(c, "request"))));
  });
  CHECK(n >= 40);
}

TEST_CASE("vectors: templates", "[vectors]") {
  size_t n = forEachCase("templates.json", [](const Doc& cases, NodeId c) {
    checkAnswer(cases, c, attune::renderTemplateJson(json(cases, cases.member(c, "request"))));
  });
  CHECK(n >= 40);
}

TEST_CASE("vectors: GrowthBook-compatible hash", "[vectors]") {
  size_t n = forEachCase("hash.json", [](const Doc& cases, NodeId c) {
    double got =
        attune::hashBucket(cases.str(cases.member(c, "seed")), cases.str(cases.member(c, "id")));
    CHECK(got == cases.node(cases.member(c, "expected")).number);
  });
  CHECK(n >= 40);
}

TEST_CASE("vectors: whole decisions", "[vectors]") {
  size_t n = forEachCase("decisions.json", [](const Doc& cases, NodeId c) {
    attune::CompileResult compiled = attune::compileConfig(json(cases, cases.member(c, "config")));
    INFO("config problems: " << compiled.problems.size());
    REQUIRE(compiled.engine);
    attune::Decider decider(*compiled.engine);
    std::string out;
    decider.decidePageJson(json(cases, cases.member(c, "visitor")), false, out);
    Doc got;
    attune::ParseError err;
    REQUIRE(got.parse(out, err));
    INFO(out);
    NodeId decisions = got.member(0, "decisions");
    REQUIRE(decisions != kNoNode);
    NodeId expected = cases.member(c, "expected");
    CHECK(got.node(decisions).count == cases.node(expected).count);
    for (NodeId d = got.node(decisions).firstChild; d != kNoNode; d = got.node(d).next) {
      NodeId want = cases.member(expected, got.str(got.member(d, "placement")));
      REQUIRE(want != kNoNode);
      for (NodeId field = cases.node(want).firstChild; field != kNoNode;
           field = cases.node(field).next) {
        std::string_view key = cases.key(field);
        INFO("field " << key);
        if (key == "items") {
          NodeId items = got.member(d, "items");
          REQUIRE(items != kNoNode);
          REQUIRE(got.node(items).count == cases.node(field).count);
          for (uint32_t i = 0; i < got.node(items).count; ++i) {
            CHECK(got.str(got.member(got.element(items, i), "campaign")) ==
                  cases.str(cases.element(field, i)));
          }
        } else {
          CHECK(sameJson(got, got.member(d, key), cases, field));
        }
      }
    }
  });
  CHECK(n >= 40);
}

TEST_CASE("vectors: behaviour timelines (profile, triggers, state)", "[vectors][profile]") {
  size_t n = forEachCase("profile.json", checkTimeline);
  CHECK(n >= 30);
}

TEST_CASE("vectors: contact rules (caps, fatigue, cooldown, quiet hours, tokens)",
          "[vectors][contacts]") {
  size_t n = forEachCase("contacts.json", checkTimeline);
  CHECK(n >= 50);
}

TEST_CASE("vectors: IAB TCF v2.2 strings", "[vectors][tcf]") {
  size_t n = forEachCase("tcf.json", [](const Doc& cases, NodeId c) {
    NodeId vendor = cases.member(c, "vendorId");
    std::string answer;
    attune::describeTcString(cases.str(cases.member(c, "tcString")),
                             vendor == kNoNode ? 0 : cases.node(vendor).number,
                             attune::TcfMapping(), answer);
    Doc got;
    attune::ParseError err;
    REQUIRE(got.parse(answer, err));
    NodeId expected = cases.member(c, "expected");
    if (expectsError(cases, expected)) {
      CHECK(got.member(0, "error") != kNoNode);
      return;
    }
    INFO(answer);
    for (NodeId field = cases.node(expected).firstChild; field != kNoNode;
         field = cases.node(field).next) {
      INFO("field " << cases.key(field));
      CHECK(sameJson(got, got.member(0, cases.key(field)), cases, field));
    }
  });
  CHECK(n >= 30);
}
