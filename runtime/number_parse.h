// Text to number without strtod: a JSON number read into the nearest double, as JavaScript's
// Number() and JSON.parse read it. strtod brings musl's long-double arithmetic into the Wasm
// builds (emulated in software there); this is exact integer arithmetic on the stack.
#pragma once

#include <string_view>

namespace attune {

// `text` must be exactly one JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
// else false. Rounds to nearest, ties to even; too large gives ±infinity (for the caller to
// refuse), too small ±0. Any number of digits is read correctly.
bool parseJsonNumber(std::string_view text, double& out);

}  // namespace attune
