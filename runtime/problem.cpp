#include "problem.h"

#include "doc.h"

namespace attune {

std::string clipped(std::string_view s, size_t maxBytes) {
  if (s.size() <= maxBytes) return std::string(s);
  size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "\u2026";
}

void writeProblemsJson(const Problems& problems, std::string& out) {
  out += '[';
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) out += ',';
    out += "{\"path\":";
    writeJsonString(problems[i].path, out);
    out += ",\"message\":";
    writeJsonString(problems[i].message, out);
    out += '}';
  }
  out += ']';
}

}  // namespace attune
