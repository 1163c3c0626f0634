// Numbers to text without printf: the shortest round-trip digits of a double (what
// ECMAScript's Number::toString picks) and plain unsigned integers. printf's %e/%g and
// strtod bring musl's long-double code into the Wasm builds, and were the slowest part of
// writing a number; this is exact integer arithmetic on the stack instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attune {

// For a finite v > 0: the fewest decimal digits d1..dn such that 0.d1..dn × 10^point reads
// back as v (round half to even), and of those the closest to v (an exact tie takes the even
// last digit, as V8 does). Writes the digits as ASCII (no leading or trailing zeros, no
// terminator) into `digits` (at least 17 bytes) and returns n.
int shortestDigits(double v, char* digits, int& point);

// The decimal digits of v into buf (at least 20 bytes, no terminator); returns their count.
size_t formatUnsigned(uint64_t v, char* buf);

}  // namespace attune
