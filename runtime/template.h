// Content templates (SPEC §5): literal text with {{path}} and {{path|fallback}} placeholders.
//
// Syntax. A placeholder runs from "{{" to the first "}}" after it. Inside, whitespace around
// the path and around the fallback is trimmed: "{{ name | there }}" has path "name" and
// fallback "there"; "{{name|}}" has an empty fallback. Only the first '|' separates, so a
// fallback may contain '|', '{' and single '}' but not "}}" or "{{". A path is one or more
// segments of [A-Za-z0-9_$-] joined by '.'. Everything outside placeholders, including a
// lone '{' or '}' and a "}}" with no opening, is literal text. There are no escapes.
//
// Output is plain text: values are inserted as they are (no HTML escaping, which belongs to
// the rendering surface, and no template expansion of values).
//
// Compiling allocates; rendering only appends to the caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attune {

enum class TemplatePartKind : uint8_t { Literal, Path };

// Trivially copyable: offsets point into CompiledTemplate::text, so a compiled template
// serialises as its two flat arrays.
struct TemplatePart {
  TemplatePartKind kind = TemplatePartKind::Literal;
  bool hasFallback = false;
  uint32_t offset = 0;  // literal text, or the path
  uint32_t length = 0;
  uint32_t fallbackOffset = 0;
  uint32_t fallbackLength = 0;
};

struct CompiledTemplate {
  std::vector<TemplatePart> parts;
  std::string text;  // the template source; parts refer to slices of it

  std::string_view slice(uint32_t offset, uint32_t length) const {
    return std::string_view(text).substr(offset, length);
  }
  bool hasPaths() const {
    for (const TemplatePart& p : parts)
      if (p.kind == TemplatePartKind::Path) return true;
    return false;
  }
};

struct TemplateLimits {
  uint32_t maxBytes = 4096;
  uint32_t maxParts = 128;  // literal runs and placeholders together
};

// Compiles `src` into `out`. On error returns false with a message naming the byte offset:
// "unclosed {{ at offset 6", "nested {{ at offset 9", "empty path at offset 2",
// "empty path segment at offset 5", "invalid character '<' in path at offset 4",
// "invalid UTF-8 at offset 3", "template is 5000 bytes; the limit is 4096",
// "template has more than 128 parts".
bool compileTemplate(std::string_view src, CompiledTemplate& out, std::string& error,
                     const TemplateLimits& limits = {});

enum class RenderStatus { Ok, Missing };

// True when `s` is empty or only Unicode whitespace: such a value counts as missing.
bool isBlankText(std::string_view s);

// Renders `t`, appending to `out`. `resolve(std::string_view path, std::string& out)` appends
// the value's text and returns true, or returns false when the value is missing; a value
// that is empty or only whitespace is missing too (never "Hello !"). A missing value uses the
// placeholder's own fallback; without one the result is Missing and `out` is restored to its
// length on entry (the caller then uses the field's fallback text or drops the variant).
template <class Resolver>
RenderStatus renderTemplate(const CompiledTemplate& t, Resolver&& resolve, std::string& out) {
  const size_t start = out.size();
  for (const TemplatePart& part : t.parts) {
    if (part.kind == TemplatePartKind::Literal) {
      out.append(t.text, part.offset, part.length);
      continue;
    }
    const size_t mark = out.size();
    if (resolve(t.slice(part.offset, part.length), out) &&
        !isBlankText(std::string_view(out).substr(mark)))
      continue;
    out.resize(mark);
    if (!part.hasFallback) {
      out.resize(start);
      return RenderStatus::Missing;
    }
    out.append(t.text, part.fallbackOffset, part.fallbackLength);
  }
  return RenderStatus::Ok;
}

}  // namespace attune
