// printf-style formatting of messages for the few conversions the runtime uses, so the Wasm
// builds do not link musl's printf (which brings the long-double soft-float code with it).
#pragma once

#include <cstdarg>
#include <cstddef>

namespace attune {

// Like vsnprintf for: %s %c %d %i %u %x %X %%, the length modifiers l, ll, z, and a
// zero-pad flag and width (e.g. %02X, %04lld). Anything else is copied as written. Writes at
// most size - 1 characters and a terminator; returns the length the whole text would have.
int formatTextV(char* buf, size_t size, const char* format, va_list args);
__attribute__((format(printf, 3, 4))) int formatText(char* buf, size_t size, const char* format,
                                                     ...);

}  // namespace attune
