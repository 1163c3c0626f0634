// libFuzzer target for locale negotiation (runtime/locale_negotiation.h): Accept-Language
// parsing, BCP 47 canonicalisation and RFC 4647 lookup over a fixed list of locales.
//
// The input is tried as an Accept-Language header, as one language tag, and (split at line
// breaks) as a host's ordered list (navigator.languages); and through negotiateLocaleJson
// wrapped in a fixed request, which must choose what the direct calls chose.
// Invariants: every tag produced is canonical (parsing it again gives the same text), at
// most 64 bytes, and its language/script/region are slices of it; header lists hold at most
// kMaxRequestedLocales distinct tags, best q first, none with q=0; lookup returns an index
// into the list whose tag is a requested tag or one of its truncations.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "doc.h"
#include "fuzz_support.h"
#include "locale_negotiation.h"
#include "tools.h"
#include "utf8.h"

namespace {

// Valid, canonical tags of several shapes (extlang, script, region, variant, extension,
// private use, right-to-left).
const std::vector<std::string_view> kAvailable = {
    "en",     "en-GB",       "de",      "de-AT",     "de-CH-1996",
    "fr-CA",  "zh-Hant-TW",  "zh-Hans", "zh-yue-HK", "sr-Latn",
    "ar",     "ar-EG",       "he",      "fa-IR",     "pt-BR",
    "es-419", "en-x-pirate", "yi",      "sl-rozaj",  "ja-JP-u-ca-japanese"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isSlice(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void checkCanonical(const attune::LanguageTag& tag) {
  std::string_view text = tag.tag();
  FUZZ_CHECK(!text.empty() && text.size() <= attune::LanguageTag::kMaxLength);
  FUZZ_CHECK(!tag.language().empty() && text.substr(0, tag.language().size()) == tag.language());
  FUZZ_CHECK(isSlice(tag.script(), text) && isSlice(tag.region(), text));
  attune::LanguageTag again;
  FUZZ_CHECK(attune::parseLanguageTag(text, again));
  FUZZ_CHECK(again.tag() == text);
  FUZZ_CHECK(attune::isRightToLeft(again) == attune::isRightToLeft(tag));
}

// Lookup's answer is -1 or an index whose tag equals (case-insensitively) a requested tag or
// a prefix of one ending at a subtag boundary.
void checkLookup(const std::vector<attune::LanguageTag>& requested, int found) {
  FUZZ_CHECK(found >= -1 && found < static_cast<int>(kAvailable.size()));
  if (found < 0) return;
  std::string chosen = lower(kAvailable[found]);
  bool explained = false;
  for (const attune::LanguageTag& r : requested) {
    std::string tag = lower(r.tag());
    if (tag == chosen || (tag.size() > chosen.size() &&
                          tag.compare(0, chosen.size(), chosen) == 0 && tag[chosen.size()] == '-'))
      explained = true;
  }
  FUZZ_CHECK(explained);
}

void checkRequested(const std::vector<attune::LanguageTag>& list, bool sorted) {
  FUZZ_CHECK(list.size() <= attune::kMaxRequestedLocales);
  for (size_t i = 0; i < list.size(); ++i) {
    checkCanonical(list[i]);
    FUZZ_CHECK(list[i].quality >= 1 && list[i].quality <= 1000);
    if (sorted && i > 0) FUZZ_CHECK(list[i - 1].quality >= list[i].quality);
    for (size_t j = 0; j < i; ++j) FUZZ_CHECK(list[j].tag() != list[i].tag());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = attune_fuzz::asText(data, size);

  std::vector<attune::LanguageTag> header;
  attune::parseAcceptLanguage(input, header);
  checkRequested(header, true);
  int fromHeader = attune::lookupLocale(header, kAvailable);
  checkLookup(header, fromHeader);

  attune::LanguageTag one;
  if (attune::parseLanguageTag(input, one)) checkCanonical(one);
  std::vector<attune::LanguageTag> single;
  FUZZ_CHECK(attune::appendLanguageTag(input, single) == attune::parseLanguageTag(input, one));

  std::vector<attune::LanguageTag> list;
  for (size_t start = 0; start <= input.size();) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    attune::appendLanguageTag(input.substr(start, end - start), list);
    start = end + 1;
  }
  checkRequested(list, false);
  checkLookup(list, attune::lookupLocale(list, kAvailable));

  // The hosts' entry point, with the header inside a fixed request. JSON text replaces
  // invalid UTF-8, so only valid input must reach the same answer.
  std::string request = "{\"acceptLanguage\":";
  attune::writeJsonString(input, request);
  request += ",\"available\":[";
  for (size_t i = 0; i < kAvailable.size(); ++i) {
    if (i) request += ',';
    attune::writeJsonString(kAvailable[i], request);
  }
  request += "],\"defaultLocale\":\"en\"}";
  std::string answer = attune::negotiateLocaleJson(request);
  attune::Doc doc;
  attune::ParseError err;
  FUZZ_CHECK(doc.parse(answer, err) && doc.type(0) == attune::Type::Object);
  attune::NodeId locale = doc.member(0, "locale");
  FUZZ_CHECK(locale != attune::kNoNode && doc.type(locale) == attune::Type::String);
  if (attune::isValidUtf8(input)) {
    FUZZ_CHECK(doc.str(locale) == (fromHeader >= 0 ? kAvailable[fromHeader] : "en"));
  }
  return 0;
}
