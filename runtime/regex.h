// A linear-time regular-expression engine for `$regex` conditions.
//
// Why not std::regex: it backtracks (a pattern like `(a+)+$` can hang a page or an edge
// worker), it recurses per character (stack overflow on long subjects) and it is large in
// Wasm. This engine compiles a pattern once, at config load, into a Thompson NFA and runs
// it as a set simulation: every search costs at most O(program size x subject length),
// whatever the pattern, and uses no recursion and no heap allocation once the caller's
// scratch space has been reserved.
//
// Syntax and semantics are JavaScript's RegExp with the `u` flag, restricted to what can be
// matched in linear time (no backreferences, no lookaround). See docs for the full list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace attune {

// Consuming opcodes come first: the search tests `op <= Any` to recognise them.
enum class RegexOp : uint32_t {
  Char,             // consume code point `a`
  Class,            // consume a code point in ranges[a, a + b)
  AnyButLine,       // `.`: consume any code point except \n \r U+2028 U+2029
  Any,              // consume any code point (`[^]`, `[\s\S]`)
  Split,            // continue at both `a` and `b`
  Jump,             // continue at `a`
  LineStart,        // `^`: only at the start of the subject
  LineEnd,          // `$`: only at the end of the subject
  WordBoundary,     // `\b`
  NotWordBoundary,  // `\B`
  Match,
};

// Three 32-bit words, no padding: a program serialises byte-for-byte.
struct RegexInst {
  RegexOp op = RegexOp::Match;
  uint32_t a = 0;
  uint32_t b = 0;
};
struct RegexClassRange {
  uint32_t lo, hi;  // inclusive code point range
};
static_assert(std::is_trivially_copyable<RegexInst>::value && sizeof(RegexInst) == 12,
              "RegexInst must stay padding-free POD");
static_assert(std::is_trivially_copyable<RegexClassRange>::value && sizeof(RegexClassRange) == 8,
              "RegexClassRange must stay padding-free POD");

struct RegexProgram {
  std::vector<RegexInst> code;
  std::vector<RegexClassRange> ranges;  // classes: sorted, disjoint, case-closed when `i`
  bool caseInsensitive = false;         // only changes which code points are word chars
  bool anchoredStart = false;           // every match must start at offset 0
  // Search acceleration derived from `code`: a match can only begin at a code point whose
  // UTF-8 encoding starts with a byte b where bit (b % 64) of firstBytes[b / 64] is set,
  // so the search skips other bytes while no match is in progress. Off by default: a
  // program restored without these fields still searches correctly, only slower.
  bool useFirstBytes = false;
  uint64_t firstBytes[4] = {0, 0, 0, 0};
};

struct RegexLimits {
  uint32_t maxPatternBytes = 256;
  uint32_t maxProgramSize = 2000;  // instructions, after expanding counted repetition
  uint32_t maxRepeat = 100;        // largest n or m in {n}, {n,}, {n,m}
  uint32_t maxGroupDepth = 32;     // nesting of (...) and [...] (bounds compiler recursion)
};

// Compiles `pattern` (UTF-8, JavaScript `u`-flag syntax). On failure returns false and a
// precise English message naming the construct and its byte offset in the pattern.
bool compileRegex(std::string_view pattern, bool caseInsensitive, RegexProgram& out,
                  std::string& error, const RegexLimits& limits = {});

// Checks that a program read back from a serialised engine is safe to run: valid opcodes,
// jump targets and fall-throughs inside the code, class references inside `ranges`, and
// ranges sorted and disjoint. compileRegex output always passes.
bool validateRegexProgram(const RegexProgram& p, std::string& error);

// Work space for regexSearch. Reusable across programs and calls; it grows only in
// reserve(), so after reserve(largest program size) searches never allocate.
class RegexScratch {
 public:
  void reserve(size_t programSize);
  size_t capacity() const { return stack_.size(); }

 private:
  friend bool regexSearch(const RegexProgram&, std::string_view, RegexScratch&);
  // Two sparse sets of program counters (current and next position) and the explicit stack
  // used to follow epsilon edges without recursion.
  std::vector<uint32_t> denseA_, sparseA_, denseB_, sparseB_, stack_;
};

// Unanchored search, like JavaScript's RegExp.prototype.test(subject). `subject` is UTF-8;
// each maximal invalid subsequence counts as one U+FFFD (as TextDecoder does). Allocates
// only if scratch.reserve(p.code.size()) was not called before.
bool regexSearch(const RegexProgram& p, std::string_view subject, RegexScratch& scratch);

}  // namespace attune
