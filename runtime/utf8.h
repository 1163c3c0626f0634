// UTF-8 decoding, grapheme clusters, length budgets and visitor-name normalisation.
//
// Everything here reads std::string_view input and writes into caller-owned strings, so a
// caller that reuses (clear()s) its output strings never allocates once they are warm.
//
// Grapheme clusters follow UAX #29 extended grapheme clusters (Unicode 17 property data,
// generated from ICU 78): GB3–GB13 including Hangul syllables (GB6–8), SpacingMark (GB9a),
// Prepend (GB9b), Indic conjuncts (GB9c), emoji ZWJ sequences (GB11) and regional-indicator
// flags (GB12/13). Approximations: Extended_Pictographic gaps of up to 64 code points inside
// the emoji blocks count as pictographic, and unassigned code points between two ranges of
// the same class take that class. Invalid UTF-8 bytes are one cluster each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace attune {

constexpr char32_t kReplacementChar = 0xFFFD;

struct DecodedChar {
  char32_t cp;    // U+FFFD when invalid
  uint32_t size;  // bytes consumed (1 for an invalid byte)
  bool valid;
};

// Decodes the code point starting at `pos` (< s.size()). Overlong forms, surrogates,
// values above U+10FFFF, stray continuation bytes and truncated sequences are invalid: they
// decode as U+FFFD and consume exactly one byte, so the next call resynchronises.
inline DecodedChar decodeUtf8(std::string_view s, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1, true};
  const size_t left = s.size() - pos;
  const DecodedChar bad{kReplacementChar, 1, false};
  const auto cont = [&](size_t i) { return (byte(pos + i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !cont(1)) return bad;
    return {char32_t((b0 & 0x1F) << 6 | (byte(pos + 1) & 0x3F)), 2, true};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return bad;
    const uint8_t b1 = byte(pos + 1);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return bad;  // overlong/surrogate
    return {char32_t((b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (byte(pos + 2) & 0x3F)), 3, true};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return bad;
    const uint8_t b1 = byte(pos + 1);
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return bad;  // overlong/>10FFFF
    return {char32_t((b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (byte(pos + 2) & 0x3F) << 6 |
                     (byte(pos + 3) & 0x3F)),
            4, true};
  }
  return bad;
}

bool isValidUtf8(std::string_view s);
// Byte offset of the first invalid sequence, or s.size() when `s` is valid.
size_t firstInvalidUtf8(std::string_view s);

// Appends `cp` encoded as UTF-8; surrogates and values above U+10FFFF append U+FFFD.
void appendUtf8(char32_t cp, std::string& out);

// Incremental grapheme segmentation: feed code points in order; feed() tells whether a
// cluster boundary falls before the code point just fed (always true for the first one).
class GraphemeBreaker {
 public:
  bool feed(char32_t cp, bool valid = true);
  void reset() { *this = GraphemeBreaker(); }

 private:
  uint8_t prev_ = 0xFF;  // class of the previous code point; 0xFF = start of text
  uint8_t regionalRun_ = 0;
  uint8_t emoji_ = 0;     // 1: ExtPict Extend*, 2: ... followed by ZWJ (GB11)
  uint8_t conjunct_ = 0;  // 1: InCB consonant [Extend]*, 2: ... with a linker (GB9c)
};

// End offset of the grapheme cluster that starts at `pos` (< s.size()).
size_t nextGraphemeBoundary(std::string_view s, size_t pos);

size_t countGraphemes(std::string_view s);

// Number of leading bytes of `s` to keep so that, followed by "…", the text has at most
// `maxGraphemes` clusters; trailing whitespace before the cut is dropped. Returns false when
// `s` already fits (nothing to cut). maxGraphemes = 0 keeps nothing and drops the ellipsis.
bool graphemeCut(std::string_view s, uint32_t maxGraphemes, size_t& keepBytes);

// Appends `in` unchanged when it has at most `maxGraphemes` clusters, else its first
// (maxGraphemes - 1) clusters (trailing whitespace trimmed) followed by "…" (U+2026).
// Never splits a UTF-8 sequence or a cluster. maxGraphemes = 0 appends nothing.
void truncateGraphemes(std::string_view in, uint32_t maxGraphemes, std::string& out);

// In-place variant of truncateGraphemes, for text a template just rendered.
void applyMaxLength(std::string& text, uint32_t maxGraphemes);

constexpr uint32_t kMaxNameGraphemes = 64;
constexpr uint32_t kMaxNameClusterCodePoints = 16;

// Replaces `out` with the visitor's first name made safe to show (SPEC §3). Removed: invalid
// UTF-8; C0 controls other than whitespace, DEL and C1; bidi controls (U+061C, U+200E/F,
// U+202A–202E, U+2066–2069); zero-width and invisible characters (U+00AD, U+034F, U+180E,
// U+200B, U+2060–2065, U+206A–206F, U+FEFF, U+FFF9–FFFB); U+FFFC, U+FFFD, U+E0001,
// noncharacters and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0. Every run of Unicode
// whitespace becomes one space and the ends are trimmed. ZWJ/ZWNJ survive only between two
// visible characters; combining marks with no base are dropped. The result keeps at most
// kMaxNameGraphemes clusters of at most kMaxNameClusterCodePoints code points each (extra
// stacked marks are dropped). No case folding or Unicode normalisation (NFC) is applied.
// An empty result means "unknown".
void normalizeName(std::string_view in, std::string& out);

bool isUnicodeWhitespace(char32_t cp);

}  // namespace attune
