#include "condition.h"

#include <algorithm>
#include <cstring>

#include "version.h"

namespace attune {

namespace {

Type typeOf(const Value& v) {
  return v.immediate ? Type::Number : v.doc->type(v.id);
}
double numberOf(const Value& v) {
  return v.immediate ? v.number : v.doc->node(v.id).number;
}

bool isArray(const Value& v) {
  return !v.missing() && typeOf(v) == Type::Array;
}

Value elementValue(const Value& array, NodeId element) {
  Value e;
  e.doc = array.doc;
  e.id = element;
  return e;
}

ValueKind kindOf(Type t) {
  switch (t) {
    case Type::Null:
      return ValueKind::Null;
    case Type::Bool:
      return ValueKind::Boolean;
    case Type::Number:
      return ValueKind::Number;
    case Type::String:
      return ValueKind::String;
    case Type::Array:
      return ValueKind::Array;
    case Type::Object:
      return ValueKind::Object;
  }
  return ValueKind::Null;
}

// Operators that Mongo applies to each element of an array attribute ("any element").
bool elementwise(CondOp op) {
  switch (op) {
    case CondOp::EqConst:
    case CondOp::Lt:
    case CondOp::Lte:
    case CondOp::Gt:
    case CondOp::Gte:
    case CondOp::In:
    case CondOp::Regex:
    case CondOp::VersionCmp:
      return true;
    default:
      return false;
  }
}

}  // namespace

size_t CondProgram::maxRegexSize() const {
  size_t m = 0;
  for (const RegexProgram& r : regexes) m = r.code.size() > m ? r.code.size() : m;
  return m;
}

CondEvaluator::CondEvaluator(const CondProgram& program)
    : p_(program), cachedNode_(program.paths.size()), cachedGeneration_(program.paths.size(), 0) {
  regexScratch_.reserve(program.maxRegexSize());
}

void CondEvaluator::cacheRoot(const Doc* doc, NodeId root) {
  cacheDoc_ = doc;
  cacheRoot_ = root;
  if (++generation_ == 0) {  // wrapped: forget every stamp
    std::fill(cachedGeneration_.begin(), cachedGeneration_.end(), 0);
    generation_ = 1;
  }
}

NodeId CondEvaluator::resolve(uint32_t path, const Doc& doc, NodeId root) {
  if (root == kNoNode) return kNoNode;
  const CondPath& cp = p_.paths[path];
  std::string_view dotted = std::string_view(p_.strings).substr(cp.off, cp.len);
  if (&doc != cacheDoc_ || root != cacheRoot_) return doc.path(root, dotted);
  if (cachedGeneration_[path] != generation_) {
    cachedNode_[path] = doc.path(root, dotted);
    cachedGeneration_[path] = generation_;
  }
  return cachedNode_[path];
}

bool CondEvaluator::test(uint32_t cond, const Doc& doc, NodeId root) {
  return condition(cond, doc, root);
}

bool CondEvaluator::condition(uint32_t n, const Doc& doc, NodeId root) {
  const CondNode& node = p_.nodes[n];
  switch (node.op) {
    case CondOp::True:
      return true;
    case CondOp::And:
      for (uint32_t k = node.kidsBegin; k < node.kidsEnd; ++k) {
        if (!condition(p_.kids[k], doc, root)) return false;
      }
      return true;
    case CondOp::Or:
      for (uint32_t k = node.kidsBegin; k < node.kidsEnd; ++k) {
        if (condition(p_.kids[k], doc, root)) return true;
      }
      return false;
    case CondOp::Nor:
      for (uint32_t k = node.kidsBegin; k < node.kidsEnd; ++k) {
        if (condition(p_.kids[k], doc, root)) return false;
      }
      return true;
    case CondOp::Not:
      return !condition(p_.kids[node.kidsBegin], doc, root);
    case CondOp::Field: {
      Value v;
      v.doc = &doc;
      v.id = resolve(node.a, doc, root);
      return match(node.b, v);
    }
    default:
      return false;  // a matcher is never a condition; the compiler guarantees it
  }
}

bool CondEvaluator::equalsConst(const Value& v, NodeId constant) const {
  const Node& c = p_.constants.node(constant);
  if (v.immediate) return c.type == Type::Number && c.number == v.number;
  const Node& n = v.doc->node(v.id);
  if (n.type != c.type) return false;
  // Scalars inline: this is the hottest comparison ($in lists, plain equality).
  switch (c.type) {
    case Type::String:
      return v.doc->str(v.id) == p_.constants.str(constant);
    case Type::Number:
      return n.number == c.number;
    case Type::Bool:
      return n.boolean == c.boolean;
    case Type::Null:
      return true;
    default:
      return Doc::equal(*v.doc, v.id, p_.constants, constant);
  }
}

int CondEvaluator::compareConst(const Value& v, NodeId constant, bool& comparable) const {
  const Node& c = p_.constants.node(constant);
  Type t = typeOf(v);
  comparable = t == c.type && (t == Type::Number || t == Type::String);
  if (!comparable) return 0;
  if (t == Type::Number) {
    double x = numberOf(v);
    return x < c.number ? -1 : x > c.number ? 1 : 0;
  }
  std::string_view a = v.doc->str(v.id);
  std::string_view b = p_.constants.str(constant);
  int r = a.compare(b);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

// One operator against one non-array-expanded value.
bool CondEvaluator::matchScalar(const CondNode& node, const Value& v) {
  switch (node.op) {
    case CondOp::EqConst:
      return equalsConst(v, node.a);
    case CondOp::Lt:
    case CondOp::Lte:
    case CondOp::Gt:
    case CondOp::Gte: {
      bool comparable;
      int c = compareConst(v, node.a, comparable);
      if (!comparable) return false;
      if (node.op == CondOp::Lt) return c < 0;
      if (node.op == CondOp::Lte) return c <= 0;
      if (node.op == CondOp::Gt) return c > 0;
      return c >= 0;
    }
    case CondOp::In: {
      const Doc& k = p_.constants;
      for (NodeId c = k.node(node.a).firstChild; c != kNoNode; c = k.node(c).next) {
        if (equalsConst(v, c)) return true;
      }
      return false;
    }
    case CondOp::Regex:
      return typeOf(v) == Type::String &&
             regexSearch(p_.regexes[node.a], v.doc->str(v.id), regexScratch_);
    case CondOp::VersionCmp: {
      char numberText[kNumberTextCapacity];
      std::string_view text;
      Type t = typeOf(v);
      if (t == Type::String) {
        text = v.doc->str(v.id);
      } else if (t == Type::Number) {
        text = std::string_view(numberText, formatNumber(numberOf(v), numberText));
      } else {
        return false;
      }
      if (text.empty()) text = "0";
      char padded[kPaddedVersionCapacity];
      size_t n = paddedVersion(text, padded);
      std::string_view mine(padded, n);
      std::string_view theirs = std::string_view(p_.strings).substr(node.a, node.b);
      int c = mine.compare(theirs);
      switch (static_cast<VersionOp>(node.flag)) {
        case VersionOp::Eq:
          return c == 0;
        case VersionOp::Ne:
          return c != 0;
        case VersionOp::Gt:
          return c > 0;
        case VersionOp::Gte:
          return c >= 0;
        case VersionOp::Lt:
          return c < 0;
        case VersionOp::Lte:
          return c <= 0;
      }
      return false;
    }
    default:
      return false;
  }
}

bool CondEvaluator::anyElement(const CondNode& node, const Value& v) {
  if (v.missing()) {
    // A missing attribute equals null (Mongo and GrowthBook agree), and nothing else.
    if (node.op == CondOp::EqConst) return p_.constants.type(node.a) == Type::Null;
    if (node.op == CondOp::In) {
      const Doc& k = p_.constants;
      for (NodeId c = k.node(node.a).firstChild; c != kNoNode; c = k.node(c).next) {
        if (k.type(c) == Type::Null) return true;
      }
    }
    return false;
  }
  if (matchScalar(node, v)) return true;
  if (isArray(v)) {
    for (NodeId e = v.doc->node(v.id).firstChild; e != kNoNode; e = v.doc->node(e).next) {
      if (matchScalar(node, elementValue(v, e))) return true;
    }
  }
  return false;
}

bool CondEvaluator::match(uint32_t n, const Value& v) {
  const CondNode& node = p_.nodes[n];
  if (elementwise(node.op)) return anyElement(node, v);
  switch (node.op) {
    case CondOp::AllOf:
      for (uint32_t k = node.kidsBegin; k < node.kidsEnd; ++k) {
        if (!match(p_.kids[k], v)) return false;
      }
      return true;
    case CondOp::Ne:
    case CondOp::Nin: {
      // The negation of $eq / $in, element-wise included: [1, 5] is not {$ne: 5}.
      CondNode positive = node;
      positive.op = node.op == CondOp::Ne ? CondOp::EqConst : CondOp::In;
      return !anyElement(positive, v);
    }
    case CondOp::Exists: {
      bool present = !v.missing() && typeOf(v) != Type::Null;
      return present == (node.flag != 0);
    }
    case CondOp::TypeIs:
      return !v.missing() && kindOf(typeOf(v)) == static_cast<ValueKind>(node.flag);
    case CondOp::NotMatch:
      return !match(node.b, v);
    case CondOp::Size: {
      if (!isArray(v)) return false;
      Value length;
      length.immediate = true;
      length.number = v.doc->node(v.id).count;
      return match(node.b, length);
    }
    case CondOp::ElemMatchValue:
      if (!isArray(v)) return false;
      for (NodeId e = v.doc->node(v.id).firstChild; e != kNoNode; e = v.doc->node(e).next) {
        if (match(node.b, elementValue(v, e))) return true;
      }
      return false;
    case CondOp::ElemMatchCond:
      if (!isArray(v)) return false;
      for (NodeId e = v.doc->node(v.id).firstChild; e != kNoNode; e = v.doc->node(e).next) {
        if (condition(node.b, *v.doc, e)) return true;
      }
      return false;
    case CondOp::All:
      if (!isArray(v)) return false;
      for (uint32_t k = node.kidsBegin; k < node.kidsEnd; ++k) {
        bool found = false;
        for (NodeId e = v.doc->node(v.id).firstChild; e != kNoNode && !found;
             e = v.doc->node(e).next) {
          found = match(p_.kids[k], elementValue(v, e));
        }
        if (!found) return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace attune
