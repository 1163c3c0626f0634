#include "hash.h"

#include "utf8.h"

namespace attune {

namespace {

constexpr uint32_t kOffset = 0x811c9dc5u;
constexpr uint32_t kPrime = 0x01000193u;

uint32_t mixUnit(uint32_t h, uint32_t unit) {
  return (h ^ unit) * kPrime;
}

uint32_t mixUtf8(uint32_t h, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    DecodedChar d = decodeUtf8(s, i);
    i += d.size;
    uint32_t cp = d.cp;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      h = mixUnit(h, 0xD800 + (cp >> 10));
      h = mixUnit(h, 0xDC00 + (cp & 0x3FF));
    } else {
      h = mixUnit(h, cp);
    }
  }
  return h;
}

}  // namespace

uint32_t fnv1a32Utf16(std::initializer_list<std::string_view> parts) {
  uint32_t h = kOffset;
  for (std::string_view p : parts) h = mixUtf8(h, p);
  return h;
}

double hashBucket(std::string_view seed, std::string_view id, std::string_view seedSuffix) {
  uint32_t inner = fnv1a32Utf16({seed, seedSuffix, id});
  char digits[10];  // String(inner), written backwards from the end
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = static_cast<char>('0' + inner % 10);
    inner /= 10;
  } while (inner);
  uint32_t outer = fnv1a32Utf16({std::string_view(digits + sizeof digits - n, n)});
  return static_cast<double>(outer % 10000u) / 10000.0;
}

}  // namespace attune
