// libFuzzer target for content templates (runtime/template.h) and the text budgets they feed
// (grapheme truncation with maxLength, visitor-name normalisation: runtime/utf8.h).
//
// Input: one byte of maxLength (0: none), the template source, a NUL byte, the context JSON
// (no NUL: no context). The template is compiled and rendered against the context as the
// Decider does, then through renderTemplateJson (the hosts' entry point) in a request built
// from the same parts, which must give the same text.
// Invariants: a refused template has a reason; rendering a valid template over valid text
// gives valid UTF-8; a missing value without a fallback restores the output; a budget of m
// leaves at most m grapheme clusters, keeps text that fits unchanged and otherwise keeps a
// prefix followed by "…"; applyMaxLength and truncateGraphemes agree, on raw bytes too; a
// normalised name is valid UTF-8 of at most kMaxNameGraphemes clusters, each of at most
// kMaxNameClusterCodePoints code points, and normalises to itself.
#include <cstdint>
#include <string>
#include <string_view>

#include "doc.h"
#include "fuzz_support.h"
#include "template.h"
#include "tools.h"
#include "utf8.h"

namespace {

const std::string_view kEllipsis = "\xE2\x80\xA6";

// The budget laws, for any bytes (invalid UTF-8 bytes are one cluster each).
void checkBudget(std::string_view text, uint32_t m) {
  std::string cut;
  attune::truncateGraphemes(text, m, cut);
  std::string inPlace(text);
  attune::applyMaxLength(inPlace, m);
  FUZZ_CHECK(inPlace == cut);
  FUZZ_CHECK(attune::countGraphemes(cut) <= m);
  if (attune::countGraphemes(text) <= m) {
    FUZZ_CHECK(cut == text);
    return;
  }
  if (m == 0) {
    FUZZ_CHECK(cut.empty());
    return;
  }
  FUZZ_CHECK(cut.size() >= kEllipsis.size() &&
             std::string_view(cut).substr(cut.size() - kEllipsis.size()) == kEllipsis);
  std::string_view kept = std::string_view(cut).substr(0, cut.size() - kEllipsis.size());
  FUZZ_CHECK(text.substr(0, kept.size()) == kept);
}

void checkName(std::string_view raw) {
  std::string name, again;
  attune::normalizeName(raw, name);
  FUZZ_CHECK(attune::isValidUtf8(name));
  FUZZ_CHECK(attune::countGraphemes(name) <= attune::kMaxNameGraphemes);
  for (size_t at = 0; at < name.size();) {  // every cluster within the code point bound
    const size_t end = attune::nextGraphemeBoundary(name, at);
    uint32_t codePoints = 0;
    for (size_t i = at; i < end; i += attune::decodeUtf8(name, i).size) ++codePoints;
    FUZZ_CHECK(codePoints <= attune::kMaxNameClusterCodePoints);
    at = end;
  }
  attune::normalizeName(name, again);
  FUZZ_CHECK(again == name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint32_t maxLength = data[0];
  attune_fuzz::TwoParts in = attune_fuzz::splitAtNul(attune_fuzz::asText(data + 1, size - 1), "");

  checkBudget(in.first, maxLength);
  checkName(in.first);

  attune::Doc context;
  attune::ParseError err;
  const bool hasContext = !in.second.empty() && context.parse(in.second, err);
  attune::CompiledTemplate compiled;
  std::string error;
  const bool compiles = attune::compileTemplate(in.first, compiled, error);

  std::string request = "{\"template\":";
  attune::writeJsonString(in.first, request);
  if (hasContext) {
    request += ",\"context\":";
    context.write(0, request);
  }
  if (maxLength) request += ",\"maxLength\":" + std::to_string(maxLength);
  request += '}';
  std::string answer = attune::renderTemplateJson(request);
  FUZZ_CHECK(attune_fuzz::isJson(answer));

  if (!compiles) {
    FUZZ_CHECK(!error.empty());
    if (attune::isValidUtf8(in.first)) FUZZ_CHECK(attune_fuzz::isErrorObject(answer));
    return 0;
  }
  FUZZ_CHECK(attune::isValidUtf8(in.first));  // compileTemplate refuses anything else

  auto resolve = [&](std::string_view path, std::string& out) {
    return context.appendText(hasContext ? context.path(0, path) : attune::kNoNode, out);
  };
  std::string text = "prefix:";
  attune::RenderStatus status = attune::renderTemplate(compiled, resolve, text);
  if (status == attune::RenderStatus::Missing) {
    FUZZ_CHECK(text == "prefix:");
  } else {
    FUZZ_CHECK(text.compare(0, 7, "prefix:") == 0);
    text.erase(0, 7);
    FUZZ_CHECK(attune::isValidUtf8(text));
    if (maxLength) {
      checkBudget(text, maxLength);
      attune::applyMaxLength(text, maxLength);
    }
  }

  // The hosts' entry point agrees (unless the context's nesting only fits on its own: the
  // request adds a level).
  if (attune_fuzz::isErrorObject(answer)) {
    FUZZ_CHECK(hasContext);
    return 0;
  }
  std::string expected;
  if (status == attune::RenderStatus::Missing) {
    expected = "{\"dropped\":true}";
  } else {
    expected = "{\"text\":";
    attune::writeJsonString(text, expected);
    expected += '}';
  }
  FUZZ_CHECK(answer == expected);
  return 0;
}
