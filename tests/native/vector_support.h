// Reading the shared vector files (tests/vectors/) in native tests, with attune::Doc so the
// tests do not pull a second JSON library into the binary.
#pragma once

#include <cstdio>
#include <string>

#include "doc.h"

namespace attune_test {

inline std::string readText(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// Loads tests/vectors/<name> into doc; returns false (with a message) when unreadable.
inline bool loadVectors(const std::string& name, attune::Doc& doc, std::string& error) {
  std::string text = readText(std::string(ATTUNE_VECTOR_DIR) + "/" + name);
  if (text.empty()) {
    error = "cannot read " + name;
    return false;
  }
  attune::ParseError err;
  attune::ParseLimits limits;
  limits.maxBytes = 64u << 20;
  limits.maxNodes = 10000000;
  limits.maxDepth = 256;  // some cases test the engine's own depth limits
  if (!doc.parse(text, err, limits)) {
    error = name + ": " + err.message + " at offset " + std::to_string(err.offset);
    return false;
  }
  return true;
}

inline std::string json(const attune::Doc& doc, attune::NodeId id) {
  std::string out;
  if (id != attune::kNoNode) doc.write(id, out);
  return out;
}

// Structural equality where object member order does not matter.
inline bool sameJson(const attune::Doc& a, attune::NodeId x, const attune::Doc& b,
                     attune::NodeId y) {
  using attune::Type;
  if (x == attune::kNoNode || y == attune::kNoNode) return x == y;
  if (a.type(x) != b.type(y)) return false;
  if (a.type(x) != Type::Object) {
    if (a.type(x) != Type::Array) return attune::Doc::equal(a, x, b, y);
    if (a.node(x).count != b.node(y).count) return false;
    for (uint32_t i = 0; i < a.node(x).count; ++i) {
      if (!sameJson(a, a.element(x, i), b, b.element(y, i))) return false;
    }
    return true;
  }
  if (a.node(x).count != b.node(y).count) return false;
  for (attune::NodeId c = a.node(x).firstChild; c != attune::kNoNode; c = a.node(c).next) {
    if (!sameJson(a, c, b, b.member(y, a.key(c)))) return false;
  }
  return true;
}

}  // namespace attune_test
