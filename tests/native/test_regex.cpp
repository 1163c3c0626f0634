// Tests for the linear-time regex engine (runtime/regex.h): the shared JSON vectors (whose
// expectations tests/js/regex_vectors.test.mjs checks against JavaScript itself), precise
// rejections, patterns that are catastrophic for backtracking engines, huge and invalid
// UTF-8 subjects, limits, and the no-allocation scratch contract.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "regex.h"

#ifndef ATTUNE_VECTOR_DIR
#error "ATTUNE_VECTOR_DIR must point at tests/vectors"
#endif

namespace {

using attune::compileRegex;
using attune::RegexLimits;
using attune::RegexProgram;
using attune::RegexScratch;
using attune::regexSearch;

// ---------------------------------------------------------------------------------------
// A minimal JSON reader for the vector file (arrays, objects, strings, booleans, null).
// Local on purpose: the native tests must not depend on nlohmann (ODR) or on other parsers.

struct Vector {
  std::string name, pattern, flags, subject;
  bool expected = false;
  bool error = false;
};

class JsonReader {
 public:
  explicit JsonReader(std::string text) : s_(std::move(text)) {}

  bool readVectors(std::vector<Vector>& out, std::string& err) {
    skipSpace();
    if (!eat('[')) return fail(err, "expected '['");
    skipSpace();
    if (eat(']')) return true;
    for (;;) {
      Vector v;
      if (!readObject(v, err)) return false;
      out.push_back(std::move(v));
      skipSpace();
      if (eat(']')) return true;
      if (!eat(',')) return fail(err, "expected ',' or ']'");
    }
  }

 private:
  bool readObject(Vector& v, std::string& err) {
    skipSpace();
    if (!eat('{')) return fail(err, "expected '{'");
    for (;;) {
      skipSpace();
      std::string key, str;
      if (!readString(key)) return fail(err, "expected a key");
      skipSpace();
      if (!eat(':')) return fail(err, "expected ':'");
      skipSpace();
      if (peek() == '"') {
        if (!readString(str)) return fail(err, "bad string");
        if (key == "name") v.name = str;
        if (key == "pattern") v.pattern = str;
        if (key == "flags") v.flags = str;
        if (key == "subject") v.subject = str;
      } else if (s_.compare(i_, 4, "true") == 0) {
        i_ += 4;
        if (key == "expected") v.expected = true;
        if (key == "error") v.error = true;
      } else if (s_.compare(i_, 5, "false") == 0) {
        i_ += 5;
      } else {
        return fail(err, "unsupported value for key " + key);
      }
      skipSpace();
      if (eat('}')) return true;
      if (!eat(',')) return fail(err, "expected ',' or '}'");
    }
  }

  bool readString(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      c = s_[i_++];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.compare(i_, 2, "\\u") == 0) {
            i_ += 2;
            uint32_t lo;
            if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          out += c;  // \" \\ \/
      }
    }
    return eat('"');
  }

  bool hex4(uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = static_cast<uint32_t>(std::stoul(s_.substr(i_, 4), nullptr, 16));
    i_ += 4;
    return true;
  }

  static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  void skipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool fail(std::string& err, const std::string& what) {
    err = what + " at byte " + std::to_string(i_);
    return false;
  }

  std::string s_;
  size_t i_ = 0;
};

std::vector<Vector> loadVectors() {
  std::ifstream in(std::string(ATTUNE_VECTOR_DIR) + "/regex.json", std::ios::binary);
  REQUIRE(in.good());
  std::stringstream buf;
  buf << in.rdbuf();
  std::vector<Vector> vectors;
  std::string err;
  JsonReader reader(buf.str());
  INFO(err);
  REQUIRE(reader.readVectors(vectors, err));
  return vectors;
}

// ---------------------------------------------------------------------------------------

// Compiles (requiring success) and searches.
bool search(const std::string& pattern, const std::string& subject, bool ci = false) {
  RegexProgram p;
  std::string err;
  const bool ok = compileRegex(pattern, ci, p, err);
  INFO("pattern: " << pattern << " error: " << err);
  REQUIRE(ok);
  RegexScratch scratch;
  return regexSearch(p, subject, scratch);
}

// Compiles (requiring failure) and returns the message.
std::string rejection(const std::string& pattern, const RegexLimits& limits = {}) {
  RegexProgram p;
  std::string err;
  INFO("pattern: " << pattern);
  REQUIRE_FALSE(compileRegex(pattern, false, p, err, limits));
  REQUIRE_FALSE(err.empty());
  REQUIRE(p.code.empty());
  return err;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("regex: shared vectors agree with JavaScript semantics", "[regex]") {
  const std::vector<Vector> vectors = loadVectors();
  REQUIRE(vectors.size() >= 150);
  size_t matches = 0, errors = 0;
  RegexScratch scratch;  // one scratch reused across all programs
  for (const Vector& v : vectors) {
    INFO("vector: " << v.name << "  pattern: " << v.pattern);
    REQUIRE((v.flags.empty() || v.flags == "i"));
    RegexProgram p;
    std::string err;
    const bool ok = compileRegex(v.pattern, v.flags == "i", p, err);
    INFO("error: " << err);
    if (v.error) {
      ++errors;
      CHECK_FALSE(ok);
      CHECK_FALSE(err.empty());
      continue;
    }
    ++matches;
    REQUIRE(ok);
    std::string invalid;
    CHECK(attune::validateRegexProgram(p, invalid));
    CHECK(regexSearch(p, v.subject, scratch) == v.expected);
  }
  CHECK(matches >= 150);
  CHECK(errors >= 30);
}

TEST_CASE("regex: unsupported and invalid constructs are rejected precisely", "[regex]") {
  struct Case {
    const char* pattern;
    const char* message;
  };
  const Case cases[] = {
      {"a(?=b)", "lookahead (?= at offset 1 is not supported: the engine is linear-time"},
      {"a(?!b)", "negative lookahead (?! at offset 1 is not supported: the engine is linear-time"},
      {"(?<=a)b", "lookbehind (?<= at offset 0 is not supported: the engine is linear-time"},
      {"(?<!a)b",
       "negative lookbehind (?<! at offset 0 is not supported: the engine is linear-time"},
      {"(a)\\1", "backreference \\1 at offset 3 is not supported: the engine is linear-time"},
      {"(?<x>a)\\k<x>",
       "named backreference \\k at offset 7 is not supported: the engine is linear-time"},
      {"abc[def", "unterminated character class: '[' at offset 3 has no closing ']'"},
      {"x(abc", "unterminated group: '(' at offset 1 has no matching ')'"},
      {"abc)", "unmatched ')' at offset 3: it closes no group"},
      {"a{3,2}", "numbers out of order in quantifier {3,2} at offset 1"},
      {"a{101}", "repeat count 101 in quantifier at offset 1 exceeds the limit of 100"},
      {"a{2,500}", "repeat count 500 in quantifier at offset 1 exceeds the limit of 100"},
      {"a{,5}", "incomplete quantifier '{' at offset 1: expected {n}, {n,} or {n,m}"},
      {"a{", "incomplete quantifier '{' at offset 1"},
      {"{", "lone '{' at offset 0"},
      {"a}", "lone '}' at offset 1: write \\} for a literal brace"},
      {"a]", "lone ']' at offset 1: write \\] for a literal bracket"},
      {"*a", "nothing to repeat: quantifier '*' at offset 0 has no preceding atom"},
      {"a|?", "nothing to repeat: quantifier '?' at offset 2 has no preceding atom"},
      {"a+*", "nothing to repeat: quantifier '*' at offset 2 follows another quantifier"},
      {"a+?+", "nothing to repeat: quantifier '+' at offset 3 follows another quantifier"},
      {"^*", "quantifier '*' at offset 1 cannot apply to the assertion ^"},
      {"a$?", "quantifier '?' at offset 2 cannot apply to the assertion $"},
      {"\\b{2}", "quantifier '{' at offset 2 cannot apply to the assertion \\b"},
      {"\\p{L}", "Unicode property escape \\p at offset 0 is not supported"},
      {"\\q", "invalid escape \\q at offset 0"},
      {"\\x4g", "invalid escape \\x at offset 0: expected two hex digits"},
      {"\\u12", "invalid escape \\u at offset 0"},
      {"\\u{110000}", "invalid escape \\u{ at offset 0"},
      {"\\01", "octal escape \\01 at offset 0 is not supported"},
      {"\\c1", "invalid control escape \\c at offset 0: expected a letter A-Z"},
      {"ab\\", "pattern ends with a lone backslash at offset 2"},
      {"[z-a]", "range out of order in character class at offset 1"},
      {"[\\d-z]", "invalid range at offset 1: a class escape"},
      {"[a-\\s]", "invalid range at offset 1: a class escape"},
      {"[\\1]", "invalid escape \\1 at offset 1 in a character class"},
      {"[\\B]", "\\B at offset 1 is not valid inside a character class"},
      {"(?i:a)", "inline modifiers (?i at offset 0 are not supported; use the i option instead"},
      {"(?P<n>a)", "invalid group: '(?' must be followed by ':', '<name>', '=' or '!' at offset 0"},
      {"(?<a>x)(?<a>y)", "duplicate group name at offset 10: every name must be unique"},
      {"(?<>x)", "empty group name at offset 0"},
      {"(?<1a>x)", "invalid group name at offset 3"},
      {"(?<a-b>x)", "invalid group name at offset 4"},
      {"(?<abc", "unterminated group name: '(?<' at offset 0 has no '>'"},
      {"\xC3\xA9\xFF", "invalid UTF-8 in pattern at offset 2"},
      {"a\xE2\x82", "invalid UTF-8 in pattern at offset 1"},
      {"\xED\xA0\x80", "invalid UTF-8 in pattern at offset 0"},  // an encoded surrogate
  };
  for (const Case& c : cases) {
    INFO("pattern: " << c.pattern);
    CHECK_THAT(rejection(c.pattern), Catch::StartsWith(c.message));
  }
  // Offsets are in bytes of the UTF-8 pattern, not in code points.
  CHECK(rejection("é😀(?=x)") ==
        "lookahead (?= at offset 6 is not supported: the engine is "
        "linear-time");
}

TEST_CASE("regex: size limits bound the pattern and the expanded program", "[regex]") {
  CHECK(rejection(std::string(257, 'a')) == "pattern is 257 bytes; the limit is 256");
  CHECK(search(std::string(256, 'a'), std::string(300, 'a')));

  // Counted repetition multiplies the program; it is bounded before being materialised.
  CHECK_THAT(rejection("((a{100}){100}){100}"),
             Catch::StartsWith("pattern compiles to more than 2000 instructions"));
  CHECK_THAT(rejection("(?:[a-z]{50}){50}"),
             Catch::StartsWith("pattern compiles to more than 2000 instructions"));
  CHECK_THAT(rejection("(?:(?:(?:(?:a{100}){100}){100}){100}){100}"),
             Catch::StartsWith("pattern compiles to more than 2000 instructions"));

  RegexLimits tiny;
  tiny.maxPatternBytes = 8;
  tiny.maxProgramSize = 10;
  tiny.maxRepeat = 5;
  CHECK(rejection("abcdefghi", tiny) == "pattern is 9 bytes; the limit is 8");
  CHECK(rejection("a{6}", tiny) ==
        "repeat count 6 in quantifier at offset 1 exceeds the limit of 5");
  CHECK_THAT(rejection("(ab){5}", tiny),
             Catch::StartsWith("pattern compiles to more than 10 instructions"));
  RegexProgram p;
  std::string err;
  REQUIRE(compileRegex("a{5}b{4}", false, p, err, tiny));  // 9 + Match = exactly 10
  CHECK(p.code.size() == 10);
  REQUIRE_FALSE(compileRegex("a{5}b{5}", false, p, err, tiny));

  RegexLimits shallow;
  shallow.maxGroupDepth = 3;
  CHECK(search("(((a)))", "a"));
  RegexProgram q;
  REQUIRE(compileRegex("(((a)))", false, q, err, shallow));
  CHECK(rejection("((((a))))", shallow) == "groups and classes nested deeper than 3 at offset 3");
  CHECK(rejection("((([a])))", shallow) == "groups and classes nested deeper than 3 at offset 3");

  // A deeply nested pattern (large limits) is rejected, not a stack overflow.
  RegexLimits big;
  big.maxPatternBytes = 1u << 20;
  big.maxProgramSize = 1u << 20;
  const std::string deep = repeat("(", 100000) + "a" + repeat(")", 100000);
  CHECK_THAT(rejection(deep, big), Catch::StartsWith("groups and classes nested deeper than 32"));
}

TEST_CASE("regex: catastrophic backtracking patterns run in linear time", "[regex]") {
  const std::string a100k(100000, 'a');
  const std::string a10k(10000, 'a');
  CHECK_FALSE(search("(a+)+$", a100k + "!"));
  CHECK(search("(a+)+$", "!" + a100k));
  CHECK_FALSE(search("^(a+)+$", a100k + "!"));
  CHECK_FALSE(search("(a|aa)*b", a100k));
  CHECK(search("(a|aa)*b", a100k + "b"));
  CHECK_FALSE(search("^(a|a)*$", a100k + "x"));
  CHECK(search("(.*a){20}", a100k));
  CHECK_FALSE(search("(.*a){20}", repeat("ab", 19) + std::string(100000, 'b')));
  CHECK(search("(.*a){20}", repeat("ba", 20)));
  CHECK_FALSE(search("(x+x+)+y", std::string(100000, 'x')));
  CHECK_FALSE(search("^(\\w+\\s?)+$", repeat("word ", 20000) + "!"));
  CHECK_FALSE(search("(a*)*b", a100k));
  CHECK_FALSE(search("^(a?){25}a{25}$", std::string(24, 'a')));
  CHECK(search("^(a?){25}a{25}$", std::string(25, 'a')));
  CHECK_FALSE(search("^(\\d+)*$", repeat("1234567890", 10000) + "x"));
  CHECK(search("(\\d+)*$", repeat("1234567890", 10000) + "x"));  // empty match at the end
  // The classic e-mail ReDoS.
  const std::string email =
      "^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|"
      "([a-z]{2,3}[.]{1}[a-z]{2,3}))$";
  CHECK(search(email, "john.doe@example.com"));
  CHECK_FALSE(search(email, a10k + "!"));
  // Largest allowed repetition of a nested star against a long subject.
  CHECK_FALSE(search("^(?:a*b*){100}c$", a10k));
}

TEST_CASE("regex: 1 MB subjects", "[regex]") {
  const std::string mb(1u << 20, 'a');
  CHECK(search("^[a-z]+$", mb));
  CHECK_FALSE(search("^[a-z]+$", mb + "A"));
  CHECK(search("^[a-z]+$", mb + "A", true));
  CHECK(search("needle", mb + "needle"));
  CHECK_FALSE(search("needle", mb + "needl"));
  CHECK_FALSE(search("(a|aa)*b", mb));
  CHECK(search("a$", mb));
  CHECK_FALSE(search("^b", mb));  // anchored: stops after the first position
  std::string mixed;
  for (int i = 0; i < 1 << 16; ++i) mixed += "é😀€a";
  REQUIRE(mixed.size() > 600000);
  CHECK(search("^(?:é😀€a)+$", mixed));
  CHECK(search("^(?:....)+$", mixed));
  CHECK_FALSE(search("^(?:...)+$", mixed));
  CHECK(search("^(?:É😀€A)+$", mixed, true));
  const std::string junk(1u << 20, '\xFF');  // 1 MB of invalid UTF-8
  CHECK(search("^\\uFFFD+$", junk));
  CHECK_FALSE(search("a", junk));
}

TEST_CASE("regex: invalid UTF-8 subjects decode like TextDecoder", "[regex]") {
  // Each maximal ill-formed subsequence is one U+FFFD (counts checked against Node's
  // TextDecoder): ff:1, e2 82:1, ed a0 80:3, c0 af:2, f4 90 80 80:4, f0 9f 98:1.
  struct Case {
    const char* bytes;
    int replacements;
  };
  const Case cases[] = {{"\xFF", 1},
                        {"\xE2\x82", 1},
                        {"\xED\xA0\x80", 3},
                        {"\xC0\xAF", 2},
                        {"\xF4\x90\x80\x80", 4},
                        {"\xF0\x9F\x98", 1},
                        {"\x80", 1},
                        {"\xE0\x80\x9F", 3},
                        {"\xC3", 1},
                        {"\xF8\x88\x80\x80", 4}};
  for (const Case& c : cases) {
    INFO("bytes: " << c.bytes);
    const std::string exactly = "^\\uFFFD{" + std::to_string(c.replacements) + "}$";
    CHECK(search(exactly, c.bytes));
    CHECK(search("^.{" + std::to_string(c.replacements) + "}$", c.bytes));
  }
  CHECK(search("^a\\uFFFDb$",
               "a\xE2\x82"
               "b"));                              // the truncated sequence is one character
  CHECK(search("^\\uFFFD$", "\xEF\xBF\xBD"));      // a real U+FFFD is the same character
  CHECK_FALSE(search("\\uD800", "\xED\xA0\x80"));  // encoded surrogates never decode as such
  CHECK(search("\\bword\\b", "\xFFword\xFF"));
  CHECK(search("a\\x00b", std::string("a\0b", 3)));  // NUL bytes are ordinary characters
  CHECK(search(std::string("^a\0b$", 5), std::string("a\0b", 3)));
}

TEST_CASE("regex: case-insensitive folding is simple case folding of JS /iu", "[regex]") {
  CHECK(search("straße", "STRAẞE", true));
  CHECK_FALSE(search("straße", "STRASSE", true));  // full folding (ß -> ss) is not used
  CHECK(search("^[à-þ]+$", "ÀÉÎÕÜ", true));
  CHECK(search("^[à-þ]+$", "÷", true));           // U+00F7 lies inside the range
  CHECK_FALSE(search("^[à-þ]+$", "×", true));     // U+00D7 is not its case partner
  CHECK(search("^\\w+$", "\xE2\x84\xAA", true));  // KELVIN SIGN is a word char under i
  CHECK(search("^[^\\W]$", "ſ", true));
  CHECK_FALSE(search("^[^\\W]$", "ſ", false));
  CHECK(search("^ǅ$", "Ǆ", true));  // title-case digraph class {Ǆ ǅ ǆ}
  CHECK(search("^ǅ$", "ǆ", true));
  CHECK(search("ΐ", "\xE1\xBF\x93", true));  // U+1FD3 folds to U+0390
  // Documented gap: scripts outside Latin/Greek/Cyrillic match only themselves under i.
  CHECK_FALSE(search("ա", "Ա", true));  // Armenian (JavaScript /iu: true)
  CHECK_FALSE(search("ạ", "Ạ", true));  // Latin Extended Additional (JavaScript: true)
  CHECK(search("ա", "ա", true));
}

TEST_CASE("regex: extensions over JavaScript's u-mode syntax", "[regex]") {
  // JavaScript rejects these identity escapes with the u flag; they can only mean the
  // character itself and are common in configs written for non-unicode RegExps.
  CHECK(search("^a\\-b$", "a-b"));
  CHECK(search("^\\@\\#\\:\\=\\!\\<\\>\\~\\'\\\"\\,\\;\\%\\&\\`$", "@#:=!<>~'\",;%&`"));
  // A lone surrogate escape is valid syntax but can never match a UTF-8 subject.
  CHECK_FALSE(search("\\uD83D", "😀"));
  CHECK_FALSE(search("[\\uD800-\\uDFFF]", "😀\xED\xA0\x80"));
}

TEST_CASE("regex: compiled programs are plain data", "[regex]") {
  RegexProgram p;
  std::string err;
  REQUIRE(compileRegex("^(?:[a-zäöü]+|\\d{2,4})$", true, p, err));
  CHECK(p.anchoredStart);
  CHECK(p.caseInsensitive);
  REQUIRE(attune::validateRegexProgram(p, err));

  // A byte-for-byte copy (what the binary engine serialiser does) behaves identically,
  // with or without the optional first-byte filter.
  RegexProgram unanchored;
  REQUIRE(compileRegex("(?:[a-zäöü]+|\\d{2,4})!$", true, unanchored, err));
  CHECK(unanchored.useFirstBytes);
  RegexScratch scratch;
  for (const RegexProgram* original : {&p, &unanchored}) {
    for (bool withFilter : {false, true}) {
      RegexProgram copy;
      copy.caseInsensitive = original->caseInsensitive;
      copy.anchoredStart = original->anchoredStart;
      if (withFilter) {
        copy.useFirstBytes = original->useFirstBytes;
        std::memcpy(copy.firstBytes, original->firstBytes, sizeof copy.firstBytes);
      }
      copy.code.resize(original->code.size());
      copy.ranges.resize(original->ranges.size());
      std::memcpy(copy.code.data(), original->code.data(),
                  original->code.size() * sizeof(attune::RegexInst));
      std::memcpy(copy.ranges.data(), original->ranges.data(),
                  original->ranges.size() * sizeof(attune::RegexClassRange));
      for (const char* s : {"ÄPFEL", "1234", "12345", "a1", "", "xx ÄPFEL!", "§ 123!", "12!3"}) {
        INFO(s << " filter " << withFilter);
        CHECK(regexSearch(copy, s, scratch) == regexSearch(*original, s, scratch));
      }
    }
  }
  CHECK(regexSearch(p, "ÄPFEL", scratch));
  CHECK_FALSE(regexSearch(p, "12345", scratch));
  CHECK(regexSearch(unanchored, "§ 123!", scratch));
  CHECK_FALSE(regexSearch(unanchored, "12!3", scratch));

  // Compilation is deterministic: same pattern, same bytes.
  RegexProgram again;
  REQUIRE(compileRegex("^(?:[a-zäöü]+|\\d{2,4})$", true, again, err));
  REQUIRE(again.code.size() == p.code.size());
  CHECK(std::memcmp(again.code.data(), p.code.data(), p.code.size() * sizeof(p.code[0])) == 0);

  // validateRegexProgram catches corrupted programs before they can be run.
  RegexProgram bad = p;
  bad.code[1] = {attune::RegexOp::Jump, 99999, 0};
  CHECK_FALSE(attune::validateRegexProgram(bad, err));
  CHECK(err == "regex instruction 1 jumps outside the program");
  bad = p;
  for (auto& in : bad.code)
    if (in.op == attune::RegexOp::Class) in.b = 1000;
  CHECK_FALSE(attune::validateRegexProgram(bad, err));
  bad = p;
  bad.code.back() = {attune::RegexOp::Char, 'a', 0};
  CHECK_FALSE(attune::validateRegexProgram(bad, err));
  CHECK_THAT(err, Catch::EndsWith("falls off the end of the program"));
  bad = p;
  bad.code[0].op = static_cast<attune::RegexOp>(77);
  CHECK_FALSE(attune::validateRegexProgram(bad, err));
  bad = p;
  bad.ranges[0] = {10, 5};
  CHECK_FALSE(attune::validateRegexProgram(bad, err));
  CHECK_FALSE(attune::validateRegexProgram(RegexProgram{}, err));
  RegexScratch s2;
  CHECK_FALSE(regexSearch(RegexProgram{}, "anything", s2));  // empty program: no match
}

TEST_CASE("regex: searching does not allocate once scratch is reserved", "[regex]") {
  attune_test::AllocationCounter counter;
  const bool counterLive = attune_test::AllocationCounter::live();
  if (!counterLive) WARN("sanitizer build: allocation counting skipped");

  const char* patterns[] = {"(a|aa)*b", "^(?:[a-z]{2,5}\\d?)+$", "\\bfoo\\b", "(.*a){20}", "é+😀",
                            ""};
  std::vector<RegexProgram> programs;
  size_t largest = 0;
  for (const char* pat : patterns) {
    RegexProgram p;
    std::string err;
    REQUIRE(compileRegex(pat, true, p, err));
    largest = std::max(largest, p.code.size());
    programs.push_back(std::move(p));
  }
  RegexScratch scratch;
  scratch.reserve(largest);
  REQUIRE(scratch.capacity() == largest);
  const std::string subjects[] = {std::string(20000, 'a'), "xx FOO yy", "ÉÉ😀", "",
                                  std::string(5000, '\xFF') + "aab"};
  counter.start();
  size_t found = 0;
  for (int round = 0; round < 3; ++round)
    for (const RegexProgram& p : programs)
      for (const std::string& s : subjects) found += regexSearch(p, s, scratch) ? 1 : 0;
  const uint64_t allocations = counter.stop();
  if (counterLive) CHECK(allocations == 0);
  CHECK(found > 0);
  CHECK(scratch.capacity() == largest);  // reserve() did not grow during searches

  // An unreserved scratch still works: it grows on first use.
  RegexScratch fresh;
  counter.start();
  const bool freshFound = regexSearch(programs[0], "aab", fresh);
  const uint64_t grew = counter.stop();
  CHECK(freshFound);
  if (counterLive) CHECK(grew > 0);  // the counter does see search-time growth
  CHECK(fresh.capacity() == programs[0].code.size());
}

TEST_CASE("regex: the first-byte filter never hides a match", "[regex]") {
  struct Case {
    const char* pattern;
    bool ci;
    const char* subject;
    bool expected;
  };
  const Case cases[] = {
      {"é", false, "caf\xC3\xA9", true},          // two-byte lead byte
      {"€", false, "10 \xE2\x82\xAC", true},      // three-byte
      {"😀", false, "hi \xF0\x9F\x98\x80", true},  // four-byte
      {"[\\u0100-\\u{10FFFF}]", false, "abc\xF4\x8F\xBF\xBF", true},
      {"\\uFFFD", false, "abc\xFF", true},  // ill-formed bytes are U+FFFD
      {"[^a]", false, "aaa\xE2\x82", true},
      {"\\bk", true, "x \xE2\x84\xAA", true},  // KELVIN SIGN, via case closure
      {"s$", true, "pas\xC5\xBF", true},       // LONG S
      {"\\bfoo", false, "xfoo foo", true},
      {"\\bfoo", false, "xfoo", false},
      {"(?:a|$)b", false, "xxb", false},
      {"(?:^|,)id=", false, "x,id=1", true},
      {"x*$", false, "abc", true},  // empty match possible: no filter
  };
  for (const Case& c : cases) {
    INFO("pattern: " << c.pattern << " subject: " << c.subject);
    CHECK(search(c.pattern, c.subject, c.ci) == c.expected);
  }
  RegexProgram p;
  std::string err;
  REQUIRE(compileRegex("x*$", false, p, err));
  CHECK_FALSE(p.useFirstBytes);
  REQUIRE(compileRegex("^abc", false, p, err));
  CHECK_FALSE(p.useFirstBytes);  // anchored programs stop after offset 0 anyway
  REQUIRE(compileRegex("a.c", false, p, err));
  CHECK(p.useFirstBytes);
  CHECK(p.firstBytes[0] == 0);
  CHECK(p.firstBytes[1] == (uint64_t{1} << ('a' - 64)));
}
