// Locale negotiation: BCP 47 tags, Accept-Language and RFC 4647 lookup (SPEC §5).
//
// No heap allocation: a LanguageTag holds its normalised text in a fixed buffer, and the
// functions only append to caller-owned vectors (reused across decisions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace attune {

// A well-formed BCP 47 (RFC 5646) language tag in canonical case: language and extlangs
// lower case, script Title case, region upper case, variants/extensions/private use lower.
// `_` is accepted as a separator and written as `-` (hosts often pass POSIX-style `de_AT`).
// The deprecated codes iw, in, ji, jw become he, id, yi, jv. Rejected: empty input, a tag
// over kMaxLength bytes, non-ASCII, `*`, malformed or misplaced subtags, private-use-only
// tags (`x-foo`) and the irregular grandfathered tags (`i-klingon`, `en-GB-oed`); regular
// grandfathered tags (`zh-min-nan`, `art-lojban`) follow the ordinary grammar.
struct LanguageTag {
  static constexpr size_t kMaxLength = 64;

  std::string_view tag() const { return {text_, length_}; }
  // Primary language subtag only ("zh" for zh-yue-HK); script and region are empty if absent.
  std::string_view language() const { return {text_, languageLength_}; }
  std::string_view script() const { return {text_ + scriptOffset_, scriptLength_}; }
  std::string_view region() const { return {text_ + regionOffset_, regionLength_}; }
  // Accept-Language weight in thousandths (1000 for q=1 and for tags given without one).
  uint16_t quality = 1000;

 private:
  friend bool parseLanguageTag(std::string_view in, LanguageTag& out);
  char text_[kMaxLength] = {};
  uint8_t length_ = 0;
  uint8_t languageLength_ = 0;
  uint8_t scriptOffset_ = 0;
  uint8_t scriptLength_ = 0;
  uint8_t regionOffset_ = 0;
  uint8_t regionLength_ = 0;
};

// Parses and normalises `in`. On failure returns false and leaves `out` unspecified.
bool parseLanguageTag(std::string_view in, LanguageTag& out);

constexpr size_t kMaxAcceptLanguageBytes = 8192;
constexpr size_t kMaxRequestedLocales = 32;

// For a host's own ordered list (navigator.languages): appends the tag when it is valid, not
// already in `out` and `out` holds fewer than `maxEntries` tags. Returns whether it did.
bool appendLanguageTag(std::string_view tag, std::vector<LanguageTag>& out,
                       size_t maxEntries = kMaxRequestedLocales);

// Appends the header's acceptable language ranges to `out`, best first (stable by q; equal
// q keeps header order). Only the first kMaxAcceptLanguageBytes bytes are read, cut back to
// the last complete entry. Entries with q=0, `*`, invalid tags, invalid q-values or any
// parameter other than q are skipped; a tag already listed is not repeated. At most
// `maxEntries` acceptable entries are taken, in header order, before sorting.
void parseAcceptLanguage(std::string_view header, std::vector<LanguageTag>& out,
                         size_t maxEntries = kMaxRequestedLocales);

// RFC 4647 §3.4 lookup: for each requested tag in order, try it and then its truncations
// (zh-Hant-TW, zh-Hant, zh; a singleton left at the end goes too: de-x-foo → de), comparing
// case-insensitively (and `_` equal to `-`) with `available`. Returns the index in
// `available` of the first match, or -1 (the caller then uses its default locale).
// No likely-subtag inference: zh-TW does not match zh-Hant.
int lookupLocale(const std::vector<LanguageTag>& requested,
                 const std::vector<std::string_view>& available);
int lookupLocale(const LanguageTag* requested, size_t requestedCount,
                 const std::string_view* available, size_t availableCount);

// Text direction of a tag: an explicit script decides (Arab, Hebr, Thaa, Syrc, Nkoo, Adlm,
// Rohg, Mand, Samr and the other right-to-left scripts → rtl; any other script, e.g. Latn
// or Cyrl, → ltr); without a script the language decides (ar, he, iw, fa, ur, ps, sd, yi,
// dv, ckb, ug, syr and the others in locale.cpp → rtl).
bool isRightToLeft(const LanguageTag& tag);

}  // namespace attune
