// Version comparison for $veq/$vne/$vgt/$vgte/$vlt/$vlte, identical to GrowthBook's
// paddedVersionString: "v1.2.3-rc.1+build" → parts padded so plain string order is
// version order, with "~" appended to release versions so they sort after pre-releases.
#pragma once

#include <cstddef>
#include <string_view>

namespace attune {

// Versions are compared on their first kMaxVersionBytes bytes (longer input is cut there).
constexpr size_t kMaxVersionBytes = 128;
// Enough for the padded form of any input of kMaxVersionBytes bytes.
constexpr size_t kPaddedVersionCapacity = 1024;

// Writes the padded form of `version` into buf (capacity kPaddedVersionCapacity) and returns
// its length. No allocation.
size_t paddedVersion(std::string_view version, char* buf);

// <0, 0, >0 like strcmp, comparing the padded forms.
int compareVersions(std::string_view a, std::string_view b);

}  // namespace attune
