// Compiles MongoDB-style condition documents (SPEC §2) into a CondProgram, reporting every
// problem with its JSON path instead of failing on the first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "condition.h"
#include "problem.h"

namespace attune {

using Json = nlohmann::ordered_json;  // ordered: object equality follows key order

struct ConditionLimits {
  uint32_t maxDepth = 16;      // nesting of condition objects and arrays
  uint32_t maxNodes = 500000;  // compiled nodes per engine
  uint32_t maxPathBytes = 256;
  uint32_t maxConstantNodes = 100000;
};

class ConditionCompiler {
 public:
  ConditionCompiler(CondProgram& program, Problems& problems, ConditionLimits limits = {});

  // Compiles a condition object found at `path`. Returns its node index; on problems they
  // are appended and the returned node is a placeholder that is never evaluated.
  uint32_t compile(const Json& condition, const std::string& path);

  // Segment names the last compile() referenced through the `segments` attribute.
  const std::vector<std::string>& segmentReferences() const { return segmentRefs_; }
  // True when the last compile() read anything but the visitor's context-only attributes.
  bool readsProfile() const { return readsProfile_; }

 private:
  uint32_t condition(const Json& c, const std::string& path, uint32_t depth);
  uint32_t value(const Json& v, const std::string& path, uint32_t depth);
  uint32_t op(const std::string& name, const Json& arg, const Json& siblings,
              const std::string& path, uint32_t depth);
  uint32_t node(CondOp op, uint32_t a = 0, uint32_t b = 0, uint8_t flag = 0);
  uint32_t withKids(CondOp op, const std::vector<uint32_t>& kids);
  NodeId constant(const Json& v, uint32_t depth);
  void problem(const std::string& path, const std::string& message);
  void collectSegmentNames(const Json& v);
  uint32_t internPath(const std::string& path);

  CondProgram& p_;
  Problems& problems_;
  ConditionLimits limits_;
  std::vector<std::string> segmentRefs_;
  std::unordered_map<std::string, uint32_t> pathIndex_;
  bool readsProfile_ = false;
  bool ok_ = true;
};

}  // namespace attune
