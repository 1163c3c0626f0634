// Compiled conditions (SPEC §2) and their evaluation.
//
// A condition is compiled once (runtime/compiler/condition_compiler.cpp) into a flat array of
// nodes. Two node families share the array: *conditions* (evaluated over a document root:
// $and/$or/$nor/$not and field tests) and *matchers* (evaluated over one value: equality,
// operator sets, each operator). Evaluation is recursive over nodes whose depth is bounded at
// compile time, and allocates nothing: constants live in a Doc owned by the program, regex
// matching uses caller-provided scratch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "doc.h"
#include "regex.h"

namespace attune {

enum class CondOp : uint8_t {
  // Conditions (over a root value).
  True,
  And,    // kids
  Or,     // kids
  Nor,    // kids
  Not,    // kids[0]
  Field,  // a = path index, b = matcher node
  // Matchers (over one value, which may be missing).
  EqConst,  // a = constant node; arrays match when any element equals
  AllOf,    // kids: every matcher must hold (an operator object)
  Ne,       // a = constant node
  Lt,
  Lte,
  Gt,
  Gte,  // a = constant node (number or string)
  In,   // a = constant array node
  Nin,
  Exists,          // flag = expected
  TypeIs,          // flag = ValueKind
  Regex,           // a = regex index
  NotMatch,        // b = matcher node
  Size,            // b = matcher node, applied to the array length
  ElemMatchValue,  // b = matcher node, applied to each element
  ElemMatchCond,   // b = condition node, each element as a root
  All,             // kids: matchers, each satisfied by some element
  VersionCmp,      // a = string-pool offset of the padded version, b = length; flag = VersionOp
};

enum class VersionOp : uint8_t { Eq, Ne, Gt, Gte, Lt, Lte };

// $type names, in GrowthBook's vocabulary.
enum class ValueKind : uint8_t { Null, Boolean, Number, String, Array, Object };

struct CondNode {
  CondOp op = CondOp::True;
  uint8_t flag = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t kidsBegin = 0;  // range in CondProgram::kids
  uint32_t kidsEnd = 0;
};

struct CondPath {
  uint32_t off = 0;  // dotted path in CondProgram::strings
  uint32_t len = 0;
};

// All compiled conditions of one engine. Flat, so it serialises as plain arrays.
struct CondProgram {
  std::vector<CondNode> nodes;
  std::vector<uint32_t> kids;
  std::vector<CondPath> paths;
  std::string strings;  // paths and padded version constants
  Doc constants;
  std::vector<RegexProgram> regexes;

  size_t maxRegexSize() const;
};

// A value under test: a node of some Doc, or an immediate number ($size lengths).
struct Value {
  const Doc* doc = nullptr;
  NodeId id = kNoNode;  // kNoNode with doc == nullptr and !immediate: missing
  bool immediate = false;
  double number = 0;

  bool missing() const { return !immediate && id == kNoNode; }
};

class CondEvaluator {
 public:
  explicit CondEvaluator(const CondProgram& program);
  // Evaluates condition node `cond` with `root` as the document. No allocation.
  bool test(uint32_t cond, const Doc& doc, NodeId root);
  // Paths into `root` of `doc` are resolved once and remembered until the next call; call
  // it whenever the document is rebuilt (a new visitor). Values may change in place
  // (arrays growing), but the nodes at paths must not move.
  void cacheRoot(const Doc* doc, NodeId root);

 private:
  bool condition(uint32_t n, const Doc& doc, NodeId root);
  bool match(uint32_t n, const Value& v);
  bool matchScalar(const CondNode& node, const Value& v);
  bool anyElement(const CondNode& node, const Value& v);
  bool equalsConst(const Value& v, NodeId constant) const;
  int compareConst(const Value& v, NodeId constant, bool& comparable) const;

  NodeId resolve(uint32_t path, const Doc& doc, NodeId root);

  const CondProgram& p_;
  RegexScratch regexScratch_;
  const Doc* cacheDoc_ = nullptr;
  NodeId cacheRoot_ = kNoNode;
  uint32_t generation_ = 1;
  std::vector<NodeId> cachedNode_;  // per path
  std::vector<uint32_t> cachedGeneration_;
};

}  // namespace attune
