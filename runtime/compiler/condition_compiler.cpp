#include "condition_compiler.h"

#include "json_path.h"
#include "version.h"

namespace attune {

namespace {

bool isOperatorObject(const Json& v) {
  if (!v.is_object() || v.empty()) return false;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key().empty() || it.key()[0] != '$') return false;
  }
  return true;
}

// Attributes that describe the request, not the person (SPEC §7: no purpose needed).
bool isContextual(const std::string& path) {
  std::string head = path.substr(0, path.find('.'));
  // "segments" counts as contextual here: the compiler follows segment references and
  // inherits whether the referenced segments read the profile.
  static const char* const kContextual[] = {"locale", "language",         "script", "region",
                                            "dir",    "requestedLocales", "geo",    "time",
                                            "page",   "segments"};
  for (const char* c : kContextual) {
    if (head == c) return true;
  }
  return false;
}

const char* typeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

}  // namespace

ConditionCompiler::ConditionCompiler(CondProgram& program, Problems& problems,
                                     ConditionLimits limits)
    : p_(program), problems_(problems), limits_(limits) {}

void ConditionCompiler::problem(const std::string& path, const std::string& message) {
  ok_ = false;
  problems_.push_back({path, message});
}

uint32_t ConditionCompiler::node(CondOp op, uint32_t a, uint32_t b, uint8_t flag) {
  CondNode n;
  n.op = op;
  n.a = a;
  n.b = b;
  n.flag = flag;
  p_.nodes.push_back(n);
  return static_cast<uint32_t>(p_.nodes.size() - 1);
}

uint32_t ConditionCompiler::withKids(CondOp op, const std::vector<uint32_t>& kids) {
  uint32_t n = node(op);
  p_.nodes[n].kidsBegin = static_cast<uint32_t>(p_.kids.size());
  p_.kids.insert(p_.kids.end(), kids.begin(), kids.end());
  p_.nodes[n].kidsEnd = static_cast<uint32_t>(p_.kids.size());
  return n;
}

uint32_t ConditionCompiler::compile(const Json& c, const std::string& path) {
  segmentRefs_.clear();
  readsProfile_ = false;
  ok_ = true;
  uint32_t root = condition(c, path, 0);
  if (p_.nodes.size() > limits_.maxNodes) {
    problem(path, "conditions compile to more than " + std::to_string(limits_.maxNodes) +
                      " nodes in total; simplify them");
  }
  return ok_ ? root : node(CondOp::True);
}

uint32_t ConditionCompiler::condition(const Json& c, const std::string& path, uint32_t depth) {
  if (depth > limits_.maxDepth) {
    problem(path, "condition nested deeper than " + std::to_string(limits_.maxDepth) + " levels");
    return 0;
  }
  if (!c.is_object()) {
    problem(path, std::string("must be a condition object, not ") + typeName(c));
    return 0;
  }
  std::vector<uint32_t> parts;
  for (auto it = c.begin(); it != c.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    std::string at = pathKey(path, clipped(key, 300));
    if (key == "$and" || key == "$or" || key == "$nor") {
      if (!v.is_array() || v.empty()) {
        problem(at, "must be a non-empty array of conditions");
        continue;
      }
      std::vector<uint32_t> kids;
      for (size_t i = 0; i < v.size(); ++i)
        kids.push_back(condition(v[i], pathIndex(at, i), depth + 1));
      CondOp op = key == "$and" ? CondOp::And : key == "$or" ? CondOp::Or : CondOp::Nor;
      parts.push_back(withKids(op, kids));
    } else if (key == "$not") {
      parts.push_back(withKids(CondOp::Not, {condition(v, at, depth + 1)}));
    } else if (!key.empty() && key[0] == '$') {
      problem(at, "unknown operator '" + clipped(key) +
                      "' at condition level (expected $and, $or, $nor, " +
                      "$not or an attribute path)");
    } else {
      if (key.size() > limits_.maxPathBytes) {
        problem(at,
                "attribute path longer than " + std::to_string(limits_.maxPathBytes) + " bytes");
        continue;
      }
      if (key.empty() || key.front() == '.' || key.back() == '.' ||
          key.find("..") != std::string::npos) {
        problem(at, "attribute path must be dot-separated non-empty names");
        continue;
      }
      if (!isContextual(key)) readsProfile_ = true;
      if (key == "segments") collectSegmentNames(v);
      uint32_t pathIndexValue = internPath(key);
      uint32_t matcher = value(v, at, depth + 1);
      parts.push_back(node(CondOp::Field, pathIndexValue, matcher));
    }
  }
  if (parts.empty()) return node(CondOp::True);
  if (parts.size() == 1) return parts[0];
  return withKids(CondOp::And, parts);
}

// One entry per distinct path, so the evaluator resolves each path once per visitor.
uint32_t ConditionCompiler::internPath(const std::string& path) {
  auto found = pathIndex_.find(path);
  if (found != pathIndex_.end()) return found->second;
  CondPath cp;
  cp.off = static_cast<uint32_t>(p_.strings.size());
  cp.len = static_cast<uint32_t>(path.size());
  p_.strings += path;
  p_.paths.push_back(cp);
  uint32_t index = static_cast<uint32_t>(p_.paths.size() - 1);
  pathIndex_.emplace(path, index);
  return index;
}

void ConditionCompiler::collectSegmentNames(const Json& v) {
  if (v.is_string()) {
    segmentRefs_.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const Json& e : v) collectSegmentNames(e);
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "$regex" || it.key() == "$options" || it.key() == "$type") continue;
      collectSegmentNames(it.value());
    }
  }
}

NodeId ConditionCompiler::constant(const Json& v, uint32_t depth) {
  Doc& k = p_.constants;
  if (depth > limits_.maxDepth || k.size() >= limits_.maxConstantNodes) return k.addNull();
  switch (v.type()) {
    case Json::value_t::null:
      return k.addNull();
    case Json::value_t::boolean:
      return k.addBool(v.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return k.addNumber(v.get<double>());
    case Json::value_t::string:
      return k.addString(v.get_ref<const std::string&>());
    case Json::value_t::array: {
      NodeId a = k.addArray();
      for (const Json& e : v) {
        NodeId c = constant(e, depth + 1);
        k.append(a, c);
      }
      return a;
    }
    case Json::value_t::object: {
      NodeId o = k.addObject();
      for (auto it = v.begin(); it != v.end(); ++it) {
        NodeId c = constant(it.value(), depth + 1);
        k.append(o, c, it.key());
      }
      return o;
    }
    default:
      return k.addNull();
  }
}

uint32_t ConditionCompiler::value(const Json& v, const std::string& path, uint32_t depth) {
  if (depth > limits_.maxDepth) {
    problem(path, "condition nested deeper than " + std::to_string(limits_.maxDepth) + " levels");
    return 0;
  }
  if (!isOperatorObject(v)) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it.key().empty() && it.key()[0] == '$') {
          problem(path, "mixes operators and plain keys ('" + clipped(it.key()) +
                            "'); use only operators, or only a literal object");
          return 0;
        }
      }
    }
    return node(CondOp::EqConst, constant(v, depth));
  }
  if (v.contains("$options") && !v.contains("$regex")) {
    problem(pathKey(path, "$options"), "$options needs a $regex beside it");
  }
  std::vector<uint32_t> ops;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "$options") continue;
    ops.push_back(op(it.key(), it.value(), v, pathKey(path, clipped(it.key())), depth));
  }
  if (ops.size() == 1) return ops[0];
  return withKids(CondOp::AllOf, ops);
}

uint32_t ConditionCompiler::op(const std::string& name, const Json& arg, const Json& siblings,
                               const std::string& path, uint32_t depth) {
  auto comparison = [&](CondOp o) {
    if (!arg.is_number() && !arg.is_string()) {
      problem(path, std::string("must be a number or a string, not ") + typeName(arg));
      return 0u;
    }
    return node(o, constant(arg, depth + 1));
  };
  if (name == "$eq") return node(CondOp::EqConst, constant(arg, depth + 1));
  if (name == "$ne") return node(CondOp::Ne, constant(arg, depth + 1));
  if (name == "$lt") return comparison(CondOp::Lt);
  if (name == "$lte") return comparison(CondOp::Lte);
  if (name == "$gt") return comparison(CondOp::Gt);
  if (name == "$gte") return comparison(CondOp::Gte);
  if (name == "$in" || name == "$nin") {
    if (!arg.is_array()) {
      problem(path, std::string("must be an array, not ") + typeName(arg));
      return 0;
    }
    return node(name == "$in" ? CondOp::In : CondOp::Nin, constant(arg, depth + 1));
  }
  if (name == "$exists") {
    if (!arg.is_boolean()) {
      problem(path, std::string("must be true or false, not ") + typeName(arg));
      return 0;
    }
    return node(CondOp::Exists, 0, 0, arg.get<bool>() ? 1 : 0);
  }
  if (name == "$type") {
    static const char* const kNames[] = {"null", "boolean", "number", "string", "array", "object"};
    if (arg.is_string()) {
      for (uint8_t i = 0; i < 6; ++i) {
        if (arg.get_ref<const std::string&>() == kNames[i]) return node(CondOp::TypeIs, 0, 0, i);
      }
    }
    problem(path,
            "must be one of \"string\", \"number\", \"boolean\", \"array\", \"object\", \"null\"");
    return 0;
  }
  if (name == "$regex") {
    if (!arg.is_string()) {
      problem(path, std::string("must be a string (a regular expression), not ") + typeName(arg));
      return 0;
    }
    bool insensitive = false;
    if (siblings.contains("$options")) {
      const Json& options = siblings["$options"];
      if (!options.is_string() ||
          options.get_ref<const std::string&>().find_first_not_of('i') != std::string::npos) {
        problem(path.substr(0, path.size() - 7) + ".$options",
                "only the option \"i\" (case-insensitive) is supported");
      } else {
        insensitive = !options.get_ref<const std::string&>().empty();
      }
    }
    RegexProgram program;
    std::string error;
    if (!compileRegex(arg.get_ref<const std::string&>(), insensitive, program, error)) {
      problem(path, "invalid regular expression: " + error);
      return 0;
    }
    p_.regexes.push_back(std::move(program));
    return node(CondOp::Regex, static_cast<uint32_t>(p_.regexes.size() - 1));
  }
  if (name == "$not") return node(CondOp::NotMatch, 0, value(arg, path, depth + 1));
  if (name == "$size") return node(CondOp::Size, 0, value(arg, path, depth + 1));
  if (name == "$elemMatch") {
    if (!arg.is_object()) {
      problem(path, std::string("must be an object, not ") + typeName(arg));
      return 0;
    }
    if (isOperatorObject(arg)) return node(CondOp::ElemMatchValue, 0, value(arg, path, depth + 1));
    return node(CondOp::ElemMatchCond, 0, condition(arg, path, depth + 1));
  }
  if (name == "$all") {
    if (!arg.is_array()) {
      problem(path, std::string("must be an array, not ") + typeName(arg));
      return 0;
    }
    std::vector<uint32_t> kids;
    for (size_t i = 0; i < arg.size(); ++i)
      kids.push_back(value(arg[i], pathIndex(path, i), depth + 1));
    return withKids(CondOp::All, kids);
  }
  static const char* const kVersionOps[] = {"$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte"};
  for (uint8_t i = 0; i < 6; ++i) {
    if (name != kVersionOps[i]) continue;
    std::string text;
    if (arg.is_string()) {
      text = arg.get<std::string>();
    } else if (arg.is_number()) {
      std::string number;
      writeJsonNumber(arg.get<double>(), number);
      text = number;
    } else {
      problem(path, std::string("must be a version string, not ") + typeName(arg));
      return 0;
    }
    if (text.empty()) text = "0";
    char padded[kPaddedVersionCapacity];
    size_t n = paddedVersion(text, padded);
    uint32_t off = static_cast<uint32_t>(p_.strings.size());
    p_.strings.append(padded, n);
    return node(CondOp::VersionCmp, off, static_cast<uint32_t>(n), i);
  }
  problem(path, "unknown operator '" + clipped(name) +
                    "' (supported: $eq $ne $lt $lte $gt $gte $in $nin $exists $type $regex "
                    "$options $elemMatch $size $all $not $veq $vne $vgt $vgte $vlt $vlte)");
  return 0;
}

}  // namespace attune
