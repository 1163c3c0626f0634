// One thing wrong with an input, located by its JSON path ("campaigns[3].variants[0].weight").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attune {

struct Problem {
  std::string path;
  std::string message;
};

using Problems = std::vector<Problem>;

// At most `maxBytes` of `s`, cut on a UTF-8 boundary with "…" appended when cut, so that
// messages quoting hostile input (a 10 MB id) stay short.
std::string clipped(std::string_view s, size_t maxBytes = 64);

// Appends a JSON array of {"path", "message"} objects.
void writeProblemsJson(const Problems& problems, std::string& out);

}  // namespace attune
