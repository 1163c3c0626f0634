#include "problem.h"

#include "doc.h"

namespace attune {

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
