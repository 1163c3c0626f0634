// Tests for BCP 47 parsing, Accept-Language, RFC 4647 lookup and text direction
// (runtime/locale_negotiation.h). The shared vectors (tests/vectors/locale.json) run through
// negotiateLocaleJson in test_vectors.cpp.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "locale_negotiation.h"

using namespace attune;

namespace {

std::string normalised(std::string_view in) {
  LanguageTag tag;
  if (!parseLanguageTag(in, tag)) return "<invalid>";
  return std::string(tag.tag());
}

std::vector<std::string> accept(std::string_view header, size_t maxEntries = 32) {
  std::vector<LanguageTag> tags;
  parseAcceptLanguage(header, tags, maxEntries);
  std::vector<std::string> out;
  for (const LanguageTag& t : tags) out.emplace_back(t.tag());
  return out;
}

int lookup(std::string_view header, std::vector<std::string_view> available) {
  std::vector<LanguageTag> requested;
  parseAcceptLanguage(header, requested);
  return lookupLocale(requested, available);
}

bool rtl(std::string_view tag) {
  LanguageTag parsed;
  REQUIRE(parseLanguageTag(tag, parsed));
  return isRightToLeft(parsed);
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("language tags are case-normalised", "[locale]") {
  CHECK(normalised("en") == "en");
  CHECK(normalised("EN") == "en");
  CHECK(normalised("en-us") == "en-US");
  CHECK(normalised("ZH-HANT-tw") == "zh-Hant-TW");
  CHECK(normalised("sr-latn-rs") == "sr-Latn-RS");
  CHECK(normalised("es-419") == "es-419");
  CHECK(normalised("de-CH-1996") == "de-CH-1996");
  CHECK(normalised("sl-ROZAJ-BISKE") == "sl-rozaj-biske");
  CHECK(normalised("en-US-U-CA-Gregory") == "en-US-u-ca-gregory");
  CHECK(normalised("de-X-Private-1") == "de-x-private-1");
  CHECK(normalised("zh-YUE-hk") == "zh-yue-HK");    // extlang
  CHECK(normalised("zh-min-nan") == "zh-min-nan");  // regular grandfathered: ordinary grammar
  CHECK(normalised("art-lojban") == "art-lojban");
  CHECK(normalised("haw") == "haw");
  CHECK(normalised("de-u-co-phonebk-x-a") == "de-u-co-phonebk-x-a");
  CHECK(normalised("en-a-bbb-b-ccc") == "en-a-bbb-b-ccc");  // two extensions
}

TEST_CASE("underscores and deprecated codes are accepted and rewritten", "[locale]") {
  CHECK(normalised("de_AT") == "de-AT");
  CHECK(normalised("zh_hant_TW") == "zh-Hant-TW");
  CHECK(normalised("iw") == "he");
  CHECK(normalised("iw-IL") == "he-IL");
  CHECK(normalised("in-ID") == "id-ID");
  CHECK(normalised("ji") == "yi");
  CHECK(normalised("jw") == "jv");
}

TEST_CASE("language tag parts are exposed", "[locale]") {
  LanguageTag t;
  REQUIRE(parseLanguageTag("zh-hant-tw-x-foo", t));
  CHECK(t.tag() == "zh-Hant-TW-x-foo");
  CHECK(t.language() == "zh");
  CHECK(t.script() == "Hant");
  CHECK(t.region() == "TW");
  REQUIRE(parseLanguageTag("es-419", t));
  CHECK(t.script().empty());
  CHECK(t.region() == "419");
  REQUIRE(parseLanguageTag("zh-yue", t));
  CHECK(t.language() == "zh");
  CHECK(t.region().empty());
  // Copies are independent: the parts live inside the tag.
  LanguageTag copy = t;
  REQUIRE(parseLanguageTag("fr-CA", t));
  CHECK(copy.tag() == "zh-yue");
  CHECK(t.tag() == "fr-CA");
}

TEST_CASE("malformed language tags are rejected", "[locale]") {
  const char* bad[] = {
      "",
      "*",
      "e",
      "-",
      "en-",
      "-en",
      "en--US",
      "en US",
      " en",
      "en ",
      "x-foo",
      "i-klingon",
      "i-default",
      "en-GB-oed",
      "sgn-BE-FR",
      "123",
      "1en",
      "abcdefghi",
      "en-abcdefghi",
      "en-US-US",
      "en-Latn-Latn",
      "en-Latn-US-Latn",
      "de-u",
      "de-x",
      "de-u-x-a",
      "en-u-c",
      "en-a-b",
      "d\xC3\xA9",
      "de-\xC3\x84T",
      "en-US.UTF-8",
      "de@euro",
      "en-*",
      "en_",
      "en-1",
      "en-12",
      "en-US-123",
      "en-abc-def-ghi-jkl",
      "en-US-abc",
  };
  for (const char* b : bad) {
    INFO(b);
    CHECK(normalised(b) == "<invalid>");
  }
  CHECK(normalised(std::string("en\0", 3)) == "<invalid>");
  std::string longest = "en";
  while (longest.size() + 9 <= LanguageTag::kMaxLength) longest += "-abcdefgh";
  longest += "-abcdefg";
  REQUIRE(longest.size() == LanguageTag::kMaxLength);
  CHECK(normalised(longest) == longest);
  CHECK(normalised(longest + "h") == "<invalid>");  // 65 bytes, otherwise well-formed
  CHECK(normalised(std::string(10000, 'a')) == "<invalid>");
}

TEST_CASE("Accept-Language is sorted by q, stably", "[locale][accept]") {
  CHECK(accept("de-AT,de;q=0.9,en;q=0.5") == Strings{"de-AT", "de", "en"});
  CHECK(accept("en;q=0.5, fr;q=0.9, de") == Strings{"de", "fr", "en"});
  CHECK(accept("fr;q=0.8, en;q=0.8, de;q=0.8") == Strings{"fr", "en", "de"});
  CHECK(accept("a1;q=1, en") == Strings{"en"});
  CHECK(accept("fr;q=1.000, de;q=1., en;q=0.001") == Strings{"fr", "de", "en"});
  std::vector<LanguageTag> tags;
  parseAcceptLanguage("en;q=0.123, de;q=1, fr;q=0.5", tags);
  REQUIRE(tags.size() == 3);
  CHECK(tags[0].quality == 1000);
  CHECK(tags[1].quality == 500);
  CHECK(tags[2].quality == 123);
}

TEST_CASE("Accept-Language skips what is not acceptable or not valid", "[locale][accept]") {
  CHECK(accept("").empty());
  CHECK(accept("*").empty());
  CHECK(accept("*;q=0.5, de").size() == 1);
  CHECK(accept("de;q=0, fr;q=0.0, it;q=0.000, en") == Strings{"en"});
  CHECK(accept("de;q=2, fr;q=1.5, it;q=1.001, es;q=0.1234, pt;q=.5, nl;q=, sv;q=abc, en") ==
        Strings{"en"});
  CHECK(accept("de;q=-0.5, fr;q=0.5x, en") == Strings{"en"});
  CHECK(accept("de;level=1, fr;q=0.5;q=0.4, it;, en") == Strings{"en"});
  CHECK(accept("de;Q=0.5, fr ; q=0.7 ") == Strings{"fr", "de"});
  CHECK(accept("de;q = 0.5, en") == Strings{"en"});  // no spaces around '='
  CHECK(accept(",,, de ,,\t, en ,") == Strings{"de", "en"});
  CHECK(accept("!!, 123, d\xC3\xA9, en-, i-klingon, en-GB-oed, fr") == Strings{"fr"});
  CHECK(accept("de_AT, EN-gb") == Strings{"de-AT", "en-GB"});
  CHECK(accept("de;q=0.1, fr;q=0.5, de, fr") == Strings{"de", "fr"});  // best weight counts
  CHECK(accept(std::string_view("de\0, en", 7)) == Strings{"en"});
}

TEST_CASE("Accept-Language appends to the caller's list", "[locale][accept]") {
  std::vector<LanguageTag> tags;
  REQUIRE(appendLanguageTag("xx", tags));
  parseAcceptLanguage("fr;q=0.5, de", tags);
  REQUIRE(tags.size() == 3);
  CHECK(tags[0].tag() == "xx");  // earlier entries are left alone
  CHECK(tags[1].tag() == "de");
  CHECK(tags[2].tag() == "fr");
}

TEST_CASE("Accept-Language is bounded", "[locale][accept]") {
  CHECK(accept("aa, ab, ac, ad", 2) == Strings{"aa", "ab"});
  CHECK(accept("aa;q=0.1, ab, ac", 2) == Strings{"ab", "aa"});  // the first two, then sorted

  std::string huge;
  for (int i = 0; i < 10000; ++i) {
    huge += char('a' + i % 26);
    huge += char('a' + (i / 26) % 26);
    huge += ";q=0." + std::to_string(i % 10) + ", ";
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<LanguageTag> tags;
  for (int round = 0; round < 100; ++round) {
    tags.clear();
    parseAcceptLanguage(huge, tags);
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  CHECK(tags.size() == kMaxRequestedLocales);
  CHECK(ms < 500);  // 100 parses
  for (size_t i = 1; i < tags.size(); ++i) CHECK(tags[i - 1].quality >= tags[i].quality);

  // Only the first 8 KB count, and an entry cut at that boundary is not half-read.
  std::string padded(8185, ' ');
  padded += ",de-AT-1996,fr";
  REQUIRE(padded.size() > kMaxAcceptLanguageBytes);
  CHECK(accept(padded).empty());
  std::string justFits(kMaxAcceptLanguageBytes - 3, ' ');
  justFits += ",de,fr";
  CHECK(accept(justFits) == Strings{"de"});
  CHECK(accept(std::string(1 << 20, ',') + "de").empty());
}

TEST_CASE("lookup follows RFC 4647 truncation", "[locale][lookup]") {
  CHECK(lookup("zh-Hant-TW", {"zh-Hans", "zh-Hant", "zh"}) == 1);
  CHECK(lookup("zh-Hant-TW", {"en", "zh"}) == 1);
  CHECK(lookup("zh-TW", {"zh-Hant"}) == -1);  // no likely-subtag inference
  CHECK(lookup("de-AT", {"en", "de"}) == 1);
  CHECK(lookup("de-CH-1996", {"de", "de-CH"}) == 1);
  CHECK(lookup("de-x-foo", {"de"}) == 0);
  CHECK(lookup("de-x-foo", {"de-x", "de"}) == 1);  // the singleton never stands alone
  CHECK(lookup("en-US-u-ca-gregory", {"en", "en-US"}) == 1);
  CHECK(lookup("en-US-u-ca-gregory", {"en-US-u-ca-gregory", "en"}) == 0);
  CHECK(lookup("de-AT, fr", {"fr", "de"}) == 1);  // a range's truncations before the next range
  CHECK(lookup("ja, ko", {"en", "de"}) == -1);
  CHECK(lookup("", {"en"}) == -1);
  CHECK(lookup("en", {}) == -1);
  CHECK(lookup("DE-at", {"de-AT"}) == 0);
  CHECK(lookup("de-AT", {"DE_at"}) == 0);  // available compared loosely too
  CHECK(lookup("de", {"de-AT"}) == -1);    // lookup never extends a range
}

TEST_CASE("appendLanguageTag builds a bounded, duplicate-free list", "[locale]") {
  std::vector<LanguageTag> tags;
  CHECK(appendLanguageTag("de-AT", tags));
  CHECK_FALSE(appendLanguageTag("de_at", tags));  // same tag once normalised
  CHECK_FALSE(appendLanguageTag("*", tags));
  CHECK_FALSE(appendLanguageTag("", tags));
  CHECK(appendLanguageTag("en", tags, 2));
  CHECK_FALSE(appendLanguageTag("fr", tags, 2));  // full
  REQUIRE(tags.size() == 2);
  CHECK(tags[0].quality == 1000);
}

TEST_CASE("text direction", "[locale][rtl]") {
  for (const char* t :
       {"ar",         "ar-EG",    "he",       "iw",      "fa",       "fa-IR",    "ur",
        "ps",         "sd",       "yi",       "dv",      "ckb",      "ug",       "syr",
        "ks",         "mzn",      "pnb",      "prs",     "rhg",      "nqo",      "ku-Arab",
        "ku-Arab-IQ", "az-Arab",  "uz-Arab",  "pa-Arab", "ms-Arab",  "ff-Adlm",  "und-Hebr",
        "man-Nkoo",   "myz-Mand", "smp-Samr", "dv-Thaa", "aii-Syrc", "rhg-Rohg", "sog-Sogd"}) {
    INFO(t);
    CHECK(rtl(t));
  }
  for (const char* t :
       {"en",      "de-AT",   "zh-Hant-TW", "ja",      "hi",      "ku",     "ku-Latn", "az-Latn",
        "uz-Cyrl", "ar-Latn", "he-Latn",    "fa-Cyrl", "pa",      "pa-IN",  "ms",      "tr",
        "ru",      "und",     "ff",         "ff-Latn", "ur-Latn", "sd-Deva"}) {
    INFO(t);
    CHECK_FALSE(rtl(t));
  }
}
