// The byte-level primitives every binary form here shares (compiled config, visitor
// state, contact history): little-endian fixed widths, LEB128 varints, length-prefixed
// bytes. The forms differ in what they write, not in how a number becomes bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace attune {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_ += static_cast<char>(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v));
    u8(static_cast<uint8_t>(v >> 8));
  }
  void fixed32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  // LEB128: most counts, indexes and lengths are small.
  void varint(uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<uint8_t>(v));
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(bits >> (8 * i)));
  }
  // A varint length, then the bytes.
  void bytes(std::string_view s) {
    varint(s.size());
    out_.append(s.data(), s.size());
  }

 protected:
  std::string& out_;
};

}  // namespace attune
