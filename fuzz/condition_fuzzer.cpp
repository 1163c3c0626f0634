// libFuzzer target for conditions (SPEC §2): compile + evaluate through the hosts' entry point
// (evalConditionJson), then again the way the Decider does it (paths cached per visitor).
//
// Input: condition JSON, a NUL byte, attributes JSON (no NUL: the attributes are {}).
// Invariants: the answer is "true", "false" or {"error": "..."}; it is the same twice; an
// evaluator with cached path resolution (cacheRoot) agrees with the uncached one.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "condition.h"
#include "condition_compiler.h"
#include "doc.h"
#include "fuzz_support.h"
#include "tools.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attune_fuzz::TwoParts in = attune_fuzz::splitAtNul(attune_fuzz::asText(data, size), "{}");
  std::string answer = attune::evalConditionJson(in.first, in.second);
  FUZZ_CHECK(answer == "true" || answer == "false" || attune_fuzz::isErrorObject(answer));
  FUZZ_CHECK(attune::evalConditionJson(in.first, in.second) == answer);
  if (answer != "true" && answer != "false") return 0;

  // The same condition, compiled and evaluated as the Decider does: cached paths, twice.
  attune::Json condition = attune::Json::parse(in.first.begin(), in.first.end(), nullptr, false);
  FUZZ_CHECK(!condition.is_discarded());
  attune::CondProgram program;
  attune::Problems problems;
  attune::ConditionCompiler compiler(program, problems);
  uint32_t root = compiler.compile(condition, "condition");
  FUZZ_CHECK(problems.empty());
  attune::Doc attributes;
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 16u << 20;
  FUZZ_CHECK(attributes.parse(in.second, err, limits));
  attune::CondEvaluator evaluator(program);
  evaluator.cacheRoot(&attributes, 0);
  const bool expected = answer == "true";
  FUZZ_CHECK(evaluator.test(root, attributes, 0) == expected);
  FUZZ_CHECK(evaluator.test(root, attributes, 0) == expected);  // now from the path cache
  return 0;
}
