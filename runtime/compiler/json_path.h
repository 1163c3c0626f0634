// Building the JSON paths that problems are reported at.
#pragma once

#include <string>

namespace attune {

inline std::string pathKey(const std::string& base, const std::string& key) {
  bool plain = !key.empty();
  for (char c : key) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '$' || c == '-';
    plain = plain && word;
  }
  if (!plain) {
    std::string quoted = base + "[\"";
    for (char c : key) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\"]";
  }
  return base.empty() ? key : base + "." + key;
}

inline std::string pathIndex(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

}  // namespace attune
