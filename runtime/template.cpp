#include "template.h"

#include "utf8.h"

namespace attune {
namespace {

bool isTemplateSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '-';
}

// Narrows [begin, end) of `s` past surrounding whitespace.
void trimRange(std::string_view s, size_t& begin, size_t& end) {
  while (begin < end && isTemplateSpace(s[begin])) ++begin;
  while (end > begin && isTemplateSpace(s[end - 1])) --end;
}

void appendNumber(size_t n, std::string& out) {
  char digits[24];
  size_t len = 0;
  do {
    digits[len++] = char('0' + n % 10);
    n /= 10;
  } while (n != 0);
  while (len > 0) out.push_back(digits[--len]);
}

// "'<'" for printable ASCII, "U+00E9" otherwise, so the message itself stays readable.
void describeChar(std::string_view s, size_t at, std::string& out) {
  const unsigned char c = static_cast<unsigned char>(s[at]);
  if (c >= 0x20 && c < 0x7F) {
    out.push_back('\'');
    out.push_back(char(c));
    out.push_back('\'');
    return;
  }
  static const char kHex[] = "0123456789ABCDEF";
  const char32_t cp = decodeUtf8(s, at).cp;
  out += "U+";
  int shift = cp > 0xFFFF ? 16 : 12;
  if (cp > 0xFFFFF) shift = 20;
  for (; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

bool fail(std::string& error, const char* what, size_t offset) {
  error = what;
  error += " at offset ";
  appendNumber(offset, error);
  return false;
}

bool checkPath(std::string_view src, size_t begin, size_t end, std::string& error) {
  if (begin == end) return fail(error, "empty path", begin);
  size_t segmentStart = begin;
  for (size_t i = begin; i <= end; ++i) {
    if (i == end || src[i] == '.') {
      if (i == segmentStart) return fail(error, "empty path segment", i);
      segmentStart = i + 1;
    } else if (!isPathChar(src[i])) {
      error = "invalid character ";
      describeChar(src, i, error);
      error += " in path";
      return fail(error, error.c_str(), i);
    }
  }
  return true;
}

}  // namespace

bool isBlankText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const DecodedChar d = decodeUtf8(s, i);
    if (!d.valid || !isUnicodeWhitespace(d.cp)) return false;
    i += d.size;
  }
  return true;
}

namespace {

bool compileParts(std::string_view src, CompiledTemplate& out, std::string& error,
                  const TemplateLimits& limits) {
  if (src.size() > limits.maxBytes) {
    error = "template is ";
    appendNumber(src.size(), error);
    error += " bytes; the limit is ";
    appendNumber(limits.maxBytes, error);
    return false;
  }
  const size_t invalid = firstInvalidUtf8(src);
  if (invalid != src.size()) return fail(error, "invalid UTF-8", invalid);

  const auto add = [&](const TemplatePart& part) {
    if (out.parts.size() >= limits.maxParts) {
      error = "template has more than ";
      appendNumber(limits.maxParts, error);
      error += " parts";
      return false;
    }
    out.parts.push_back(part);
    return true;
  };
  const auto addLiteral = [&](size_t begin, size_t end) {
    if (begin == end) return true;
    TemplatePart part;
    part.offset = uint32_t(begin);
    part.length = uint32_t(end - begin);
    return add(part);
  };

  size_t literalStart = 0;
  while (true) {
    const size_t open = src.find("{{", literalStart);
    if (open == std::string_view::npos) break;
    const size_t close = src.find("}}", open + 2);
    if (close == std::string_view::npos) return fail(error, "unclosed {{", open);
    const size_t nested = src.find("{{", open + 2);
    if (nested < close) return fail(error, "nested {{", nested);

    const std::string_view inner = src.substr(open + 2, close - open - 2);
    const size_t bar = inner.find('|');
    size_t pathBegin = open + 2;
    size_t pathEnd = bar == std::string_view::npos ? close : open + 2 + bar;
    trimRange(src, pathBegin, pathEnd);
    if (!checkPath(src, pathBegin, pathEnd, error)) return false;

    TemplatePart part;
    part.kind = TemplatePartKind::Path;
    part.offset = uint32_t(pathBegin);
    part.length = uint32_t(pathEnd - pathBegin);
    if (bar != std::string_view::npos) {
      size_t fallbackBegin = open + 2 + bar + 1;
      size_t fallbackEnd = close;
      trimRange(src, fallbackBegin, fallbackEnd);
      part.hasFallback = true;
      part.fallbackOffset = uint32_t(fallbackBegin);
      part.fallbackLength = uint32_t(fallbackEnd - fallbackBegin);
    }
    if (!addLiteral(literalStart, open) || !add(part)) return false;
    literalStart = close + 2;
  }
  return addLiteral(literalStart, src.size());
}

}  // namespace

bool compileTemplate(std::string_view src, CompiledTemplate& out, std::string& error,
                     const TemplateLimits& limits) {
  out.parts.clear();
  out.text.clear();
  error.clear();
  if (!compileParts(src, out, error, limits)) {
    out.parts.clear();  // never leave half a template behind
    return false;
  }
  out.text.assign(src);
  return true;
}

}  // namespace attune
