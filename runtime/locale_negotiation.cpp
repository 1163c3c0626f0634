// BCP 47 parsing follows the RFC 5646 ABNF for well-formed tags (not the registry-backed
// "valid" check: unknown but well-formed subtags are kept, so new locales need no update).
#include "locale_negotiation.h"

namespace attune {
namespace {

bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
}
char toUpper(char c) {
  return (c >= 'a' && c <= 'z') ? char(c - 32) : c;
}

bool allAlpha(std::string_view s) {
  for (char c : s)
    if (!isAlpha(c)) return false;
  return true;
}
bool allDigit(std::string_view s) {
  for (char c : s)
    if (!isDigit(c)) return false;
  return true;
}

bool sameTag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '_' ? '-' : toLower(a[i]);
    const char y = b[i] == '_' ? '-' : toLower(b[i]);
    if (x != y) return false;
  }
  return true;
}

bool isOws(char c) {
  return c == ' ' || c == '\t';
}
std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
bool parseQuality(std::string_view s, uint16_t& out) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  if (s.size() > 1 && (s[1] != '.' || s.size() > 5)) return false;
  uint16_t thousandths = 0, scale = 100;
  for (size_t i = 2; i < s.size(); ++i, scale /= 10) {
    if (!isDigit(s[i])) return false;
    thousandths = uint16_t(thousandths + (s[i] - '0') * scale);
  }
  if (s[0] == '1') {
    if (thousandths != 0) return false;
    thousandths = 1000;
  }
  out = thousandths;
  return true;
}

// Parses one Accept-Language element: language-range [ OWS ";" OWS "q=" qvalue ].
bool parseAcceptEntry(std::string_view entry, LanguageTag& tag) {
  const size_t semicolon = entry.find(';');
  const std::string_view range = trimOws(entry.substr(0, semicolon));
  uint16_t quality = 1000;
  bool sawQuality = false;
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : entry.substr(semicolon + 1);
  while (semicolon != std::string_view::npos) {
    const size_t next = params.find(';');
    const std::string_view param = trimOws(params.substr(0, next));
    if (sawQuality || param.size() < 2 || toLower(param[0]) != 'q' || param[1] != '=' ||
        !parseQuality(param.substr(2), quality))
      return false;
    sawQuality = true;
    if (next == std::string_view::npos) break;
    params.remove_prefix(next + 1);
  }
  if (quality == 0 || range == "*" || !parseLanguageTag(range, tag)) return false;
  tag.quality = quality;
  return true;
}

// Rightmost subtag removed, then a singleton left at the end (RFC 4647 §3.4 step 2).
bool truncateTag(std::string_view& tag) {
  const size_t dash = tag.rfind('-');
  if (dash == std::string_view::npos) return false;
  tag = tag.substr(0, dash);
  if (tag.size() >= 2 && tag[tag.size() - 2] == '-') tag.remove_suffix(2);
  return true;
}

// Right-to-left scripts (Bidi_Class R/AL), four letters each.
constexpr std::string_view kRtlScripts =
    "AdlmArabAranArmiAvstChrsCprtElymHatrHebrHungKharLydiMandManiMendNarbNbatNkooOrkhOugrPalm"
    "PhliPhlpPhnxPrtiRohgSamrSarbSogdSogoSyrcThaaYezi";
// Languages whose default script (CLDR likely subtags) is right-to-left, space-delimited.
constexpr std::string_view kRtlLanguages =
    " ar arc azb bal bqi ckb dv fa glk he iw khw ks lrc mzn nqo pnb prs ps rhg sd sdh syr ug ur"
    " yi ";

bool isRtlScript(std::string_view script) {
  for (size_t i = 0; i + 4 <= kRtlScripts.size(); i += 4)
    if (kRtlScripts.substr(i, 4) == script) return true;
  return false;
}

bool isRtlLanguage(std::string_view language) {
  char needle[10];
  if (language.size() > 8) return false;
  needle[0] = ' ';
  for (size_t i = 0; i < language.size(); ++i) needle[i + 1] = language[i];
  needle[language.size() + 1] = ' ';
  return kRtlLanguages.find(std::string_view(needle, language.size() + 2)) !=
         std::string_view::npos;
}

}  // namespace

bool parseLanguageTag(std::string_view in, LanguageTag& out) {
  if (in.empty() || in.size() > LanguageTag::kMaxLength) return false;
  out = LanguageTag();
  char* text = out.text_;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i] == '_' ? '-' : in[i];
    if (c != '-' && !isAlpha(c) && !isDigit(c)) return false;  // also rejects '*' and non-ASCII
    text[i] = c;
  }
  out.length_ = uint8_t(in.size());

  // Subtags must appear in this order; each phase accepts at most what the ABNF allows.
  enum Phase { kLanguage, kExtlang, kScript, kRegion, kVariant, kExtension, kPrivateUse };
  Phase phase = kLanguage;
  int extlangs = 0;
  bool extensionHasSubtag = true;  // an extension singleton needs at least one subtag
  size_t start = 0;
  while (start <= in.size()) {
    size_t end = start;
    while (end < in.size() && text[end] != '-') ++end;
    const size_t len = end - start;
    if (len == 0 || len > 8) return false;
    std::string_view sub(text + start, len);
    const auto lower = [&] {
      for (size_t i = start; i < end; ++i) text[i] = toLower(text[i]);
    };

    if (phase == kPrivateUse) {
      lower();
      extensionHasSubtag = true;
    } else if (phase == kLanguage) {
      if (len < 2 || !allAlpha(sub)) return false;  // x-… and i-… (irregular) end up here
      lower();
      out.languageLength_ = uint8_t(len);
      phase = len <= 3 ? kExtlang : kScript;
    } else if (len == 1) {  // singleton: extension or private use
      if (!extensionHasSubtag) return false;
      lower();
      phase = toLower(sub[0]) == 'x' ? kPrivateUse : kExtension;
      extensionHasSubtag = false;
    } else if (phase == kExtension) {  // 2-8 alphanumerics: shorter ones were singletons
      lower();
      extensionHasSubtag = true;
    } else if (phase == kExtlang && len == 3 && allAlpha(sub) && extlangs < 3) {
      lower();
      ++extlangs;
    } else if (phase <= kScript && len == 4 && allAlpha(sub)) {
      text[start] = toUpper(text[start]);
      for (size_t i = start + 1; i < end; ++i) text[i] = toLower(text[i]);
      out.scriptOffset_ = uint8_t(start);
      out.scriptLength_ = uint8_t(len);
      phase = kRegion;
    } else if (phase <= kRegion && ((len == 2 && allAlpha(sub)) || (len == 3 && allDigit(sub)))) {
      for (size_t i = start; i < end; ++i) text[i] = toUpper(text[i]);
      out.regionOffset_ = uint8_t(start);
      out.regionLength_ = uint8_t(len);
      phase = kVariant;
    } else if (phase <= kVariant && (len >= 5 || (len == 4 && isDigit(sub[0])))) {
      lower();
      phase = kVariant;
    } else {
      return false;
    }
    start = end + 1;
  }
  if (!extensionHasSubtag) return false;  // ends with a bare singleton ("de-u", "en-x")

  // Deprecated ISO 639 codes some systems (old Java, Android) still send.
  const std::string_view language = out.language();
  const char* replacement = language == "iw"   ? "he"
                            : language == "in" ? "id"
                            : language == "ji" ? "yi"
                            : language == "jw" ? "jv"
                                               : nullptr;
  if (replacement != nullptr) {
    text[0] = replacement[0];
    text[1] = replacement[1];
  }
  return true;
}

bool appendLanguageTag(std::string_view tag, std::vector<LanguageTag>& out, size_t maxEntries) {
  if (out.size() >= maxEntries) return false;
  LanguageTag parsed;
  if (!parseLanguageTag(tag, parsed)) return false;
  for (const LanguageTag& existing : out)
    if (existing.tag() == parsed.tag()) return false;
  out.push_back(parsed);
  return true;
}

void parseAcceptLanguage(std::string_view header, std::vector<LanguageTag>& out,
                         size_t maxEntries) {
  if (header.size() > kMaxAcceptLanguageBytes) {
    // A cut through the middle of an entry could turn "de-AT" into "de-A": keep only whole ones.
    header = header.substr(0, kMaxAcceptLanguageBytes + 1);
    const size_t lastComma = header.rfind(',');
    header = header.substr(0, lastComma == std::string_view::npos ? 0 : lastComma);
  }
  const size_t first = out.size();
  size_t accepted = 0;
  LanguageTag tag;
  while (!header.empty() && accepted < maxEntries) {
    const size_t comma = header.find(',');
    const std::string_view entry = trimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (entry.empty() || !parseAcceptEntry(entry, tag)) continue;
    bool duplicate = false;
    for (size_t i = first; i < out.size(); ++i) {
      if (out[i].tag() == tag.tag()) {  // "de;q=0.1, de": the best weight counts
        if (tag.quality > out[i].quality) out[i].quality = tag.quality;
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    out.push_back(tag);
    ++accepted;
  }
  // Insertion sort: stable, in place (std::stable_sort may allocate), and n <= maxEntries.
  for (size_t i = first + 1; i < out.size(); ++i) {
    const LanguageTag moving = out[i];
    size_t j = i;
    while (j > first && out[j - 1].quality < moving.quality) {
      out[j] = out[j - 1];
      --j;
    }
    out[j] = moving;
  }
}

int lookupLocale(const LanguageTag* requested, size_t requestedCount,
                 const std::string_view* available, size_t availableCount) {
  for (size_t r = 0; r < requestedCount; ++r) {
    std::string_view candidate = requested[r].tag();
    do {
      for (size_t a = 0; a < availableCount; ++a)
        if (sameTag(candidate, available[a])) return int(a);
    } while (truncateTag(candidate));
  }
  return -1;
}

int lookupLocale(const std::vector<LanguageTag>& requested,
                 const std::vector<std::string_view>& available) {
  return lookupLocale(requested.data(), requested.size(), available.data(), available.size());
}

bool isRightToLeft(const LanguageTag& tag) {
  if (!tag.script().empty()) return isRtlScript(tag.script());
  return isRtlLanguage(tag.language());
}

}  // namespace attune
