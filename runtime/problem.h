// One thing wrong with an input, located by its JSON path ("campaigns[3].variants[0].weight").
#pragma once

#include <string>
#include <vector>

namespace attune {

struct Problem {
  std::string path;
  std::string message;
};

using Problems = std::vector<Problem>;

// Appends a JSON array of {"path", "message"} objects.
void writeProblemsJson(const Problems& problems, std::string& out);

}  // namespace attune
