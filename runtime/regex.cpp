// Linear-time regex: parser -> small AST -> Thompson NFA program -> set simulation.
//
// The simulation keeps, per subject position, the set of live program counters (a sparse
// set, so insertion and membership are O(1) and clearing is free). Each instruction enters
// each set at most once, which bounds a search by O(program size x subject code points)
// and makes empty loops such as `(a*)*` terminate without special cases. Only test()
// semantics are needed, so there are no capture slots and greedy/lazy are the same program.
#include "regex.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace attune {
namespace {

using Ranges = std::vector<RegexClassRange>;

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kReplacement = 0xFFFD;
constexpr uint32_t kNoCodePoint = 0xFFFFFFFFu;  // before the start / after the end
constexpr uint32_t kInfinite = 0xFFFFFFFFu;     // open upper bound of a quantifier
constexpr const char* kLinear = " is not supported: the engine is linear-time";

// ---------------------------------------------------------------------------------------
// UTF-8

// Decodes the code point at s[i] (i < n). Returns the number of bytes consumed (>= 1). An
// ill-formed sequence yields U+FFFD for its maximal subpart, as the WHATWG TextDecoder and
// Unicode's "U+FFFD substitution of maximal subparts" do, with `valid` set to false.
inline size_t decodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t& cp, bool& valid) {
  const uint32_t c = s[i];
  valid = true;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  valid = false;
  cp = kReplacement;
  if (c < 0xC2 || c > 0xF4) return 1;
  size_t need;
  uint32_t lo = 0x80, hi = 0xBF, value;
  if (c < 0xE0) {
    need = 1;
    value = c & 0x1F;
  } else if (c < 0xF0) {
    need = 2;
    value = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else {
    need = 3;
    value = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  }
  size_t len = 1;
  for (size_t k = 0; k < need; ++k) {
    if (i + len >= n) return len;
    const uint32_t b = s[i + len];
    if (b < lo || b > hi) return len;
    value = (value << 6) | (b & 0x3F);
    ++len;
    lo = 0x80;
    hi = 0xBF;
  }
  valid = true;
  cp = value;
  return len;
}

// ---------------------------------------------------------------------------------------
// Character sets: sorted, disjoint, non-adjacent inclusive ranges.

void normalize(Ranges& r) {
  std::sort(r.begin(), r.end(),
            [](const RegexClassRange& x, const RegexClassRange& y) { return x.lo < y.lo; });
  size_t out = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (out > 0 && r[i].lo <= r[out - 1].hi + 1) {
      r[out - 1].hi = std::max(r[out - 1].hi, r[i].hi);
    } else {
      r[out++] = r[i];
    }
  }
  r.resize(out);
}

void complement(Ranges& r) {
  Ranges out;
  uint32_t next = 0;
  for (const RegexClassRange& x : r) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    next = x.hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  r.swap(out);
}

bool contains(const RegexClassRange* r, size_t count, uint32_t c) {
  if (count <= 4) {
    for (size_t i = 0; i < count; ++i)
      if (c >= r[i].lo && c <= r[i].hi) return true;
    return false;
  }
  size_t lo = 0, hi = count;  // first range with r.lo > c, minus one
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (r[mid].lo <= c) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo > 0 && c <= r[lo - 1].hi;
}

// Simple case folding, JavaScript `iu` semantics (Canonicalize = simple case folding).
// Every code point whose fold class contains a code point in U+0000..U+052F is listed
// (Latin, IPA, Greek, Cyrillic, plus their out-of-block relatives such as U+212A KELVIN
// SIGN, U+1E9E CAPITAL SHARP S, U+1C80.. Cyrillic small letter variants). Each run maps
// lo, lo+stride, ..., hi to code point + delta, the smallest member of its fold class.
// Generated from Node 20 (Unicode 17, ICU 78) by comparing `new RegExp('^x$', 'iu')` over
// all code points; classes untouched by this table match only themselves.
struct FoldRun {
  uint16_t lo, hi;
  int32_t delta;
  uint8_t stride;
};
constexpr FoldRun kFoldRuns[] = {
    {0x0061, 0x007A, -32, 1},    {0x00E0, 0x00F6, -32, 1},    {0x00F8, 0x00FE, -32, 1},
    {0x0101, 0x012F, -1, 2},     {0x0133, 0x0137, -1, 2},     {0x013A, 0x0148, -1, 2},
    {0x014B, 0x0177, -1, 2},     {0x0178, 0x0178, -121, 1},   {0x017A, 0x017E, -1, 2},
    {0x017F, 0x017F, -300, 1},   {0x0183, 0x0185, -1, 2},     {0x0188, 0x0188, -1, 1},
    {0x018C, 0x018C, -1, 1},     {0x0192, 0x0192, -1, 1},     {0x0199, 0x0199, -1, 1},
    {0x01A1, 0x01A5, -1, 2},     {0x01A8, 0x01A8, -1, 1},     {0x01AD, 0x01AD, -1, 1},
    {0x01B0, 0x01B0, -1, 1},     {0x01B4, 0x01B6, -1, 2},     {0x01B9, 0x01B9, -1, 1},
    {0x01BD, 0x01BD, -1, 1},     {0x01C5, 0x01C5, -1, 1},     {0x01C6, 0x01C6, -2, 1},
    {0x01C8, 0x01C8, -1, 1},     {0x01C9, 0x01C9, -2, 1},     {0x01CB, 0x01CB, -1, 1},
    {0x01CC, 0x01CC, -2, 1},     {0x01CE, 0x01DC, -1, 2},     {0x01DD, 0x01DD, -79, 1},
    {0x01DF, 0x01EF, -1, 2},     {0x01F2, 0x01F2, -1, 1},     {0x01F3, 0x01F3, -2, 1},
    {0x01F5, 0x01F5, -1, 1},     {0x01F6, 0x01F6, -97, 1},    {0x01F7, 0x01F7, -56, 1},
    {0x01F9, 0x021F, -1, 2},     {0x0220, 0x0220, -130, 1},   {0x0223, 0x0233, -1, 2},
    {0x023C, 0x023C, -1, 1},     {0x023D, 0x023D, -163, 1},   {0x0242, 0x0242, -1, 1},
    {0x0243, 0x0243, -195, 1},   {0x0247, 0x024F, -1, 2},     {0x0253, 0x0253, -210, 1},
    {0x0254, 0x0254, -206, 1},   {0x0256, 0x0257, -205, 1},   {0x0259, 0x0259, -202, 1},
    {0x025B, 0x025B, -203, 1},   {0x0260, 0x0260, -205, 1},   {0x0263, 0x0263, -207, 1},
    {0x0268, 0x0268, -209, 1},   {0x0269, 0x0269, -211, 1},   {0x026F, 0x026F, -211, 1},
    {0x0272, 0x0272, -213, 1},   {0x0275, 0x0275, -214, 1},   {0x0280, 0x0280, -218, 1},
    {0x0283, 0x0283, -218, 1},   {0x0288, 0x0288, -218, 1},   {0x0289, 0x0289, -69, 1},
    {0x028A, 0x028B, -217, 1},   {0x028C, 0x028C, -71, 1},    {0x0292, 0x0292, -219, 1},
    {0x0371, 0x0373, -1, 2},     {0x0377, 0x0377, -1, 1},     {0x0399, 0x0399, -84, 1},
    {0x039C, 0x039C, -743, 1},   {0x03AC, 0x03AC, -38, 1},    {0x03AD, 0x03AF, -37, 1},
    {0x03B1, 0x03B8, -32, 1},    {0x03B9, 0x03B9, -116, 1},   {0x03BA, 0x03BB, -32, 1},
    {0x03BC, 0x03BC, -775, 1},   {0x03BD, 0x03C1, -32, 1},    {0x03C2, 0x03C2, -31, 1},
    {0x03C3, 0x03CB, -32, 1},    {0x03CC, 0x03CC, -64, 1},    {0x03CD, 0x03CE, -63, 1},
    {0x03D0, 0x03D0, -62, 1},    {0x03D1, 0x03D1, -57, 1},    {0x03D5, 0x03D5, -47, 1},
    {0x03D6, 0x03D6, -54, 1},    {0x03D7, 0x03D7, -8, 1},     {0x03D9, 0x03EF, -1, 2},
    {0x03F0, 0x03F0, -86, 1},    {0x03F1, 0x03F1, -80, 1},    {0x03F3, 0x03F3, -116, 1},
    {0x03F4, 0x03F4, -92, 1},    {0x03F5, 0x03F5, -96, 1},    {0x03F8, 0x03F8, -1, 1},
    {0x03F9, 0x03F9, -7, 1},     {0x03FB, 0x03FB, -1, 1},     {0x03FD, 0x03FF, -130, 1},
    {0x0430, 0x044F, -32, 1},    {0x0450, 0x045F, -80, 1},    {0x0461, 0x0481, -1, 2},
    {0x048B, 0x04BF, -1, 2},     {0x04C2, 0x04CE, -1, 2},     {0x04CF, 0x04CF, -15, 1},
    {0x04D1, 0x052F, -1, 2},     {0x1C80, 0x1C80, -6254, 1},  {0x1C81, 0x1C81, -6253, 1},
    {0x1C82, 0x1C82, -6244, 1},  {0x1C83, 0x1C84, -6242, 1},  {0x1C85, 0x1C85, -6243, 1},
    {0x1C86, 0x1C86, -6236, 1},  {0x1C87, 0x1C87, -6181, 1},  {0x1E9E, 0x1E9E, -7615, 1},
    {0x1FBE, 0x1FBE, -7289, 1},  {0x1FD3, 0x1FD3, -7235, 1},  {0x1FE3, 0x1FE3, -7219, 1},
    {0x2126, 0x2126, -7549, 1},  {0x212A, 0x212A, -8415, 1},  {0x212B, 0x212B, -8294, 1},
    {0x2C62, 0x2C62, -10743, 1}, {0x2C64, 0x2C64, -10727, 1}, {0x2C65, 0x2C65, -10795, 1},
    {0x2C66, 0x2C66, -10792, 1}, {0x2C6D, 0x2C6D, -10780, 1}, {0x2C6E, 0x2C6E, -10749, 1},
    {0x2C6F, 0x2C6F, -10783, 1}, {0x2C70, 0x2C70, -10782, 1}, {0x2C7E, 0x2C7F, -10815, 1},
    {0xA78D, 0xA78D, -42280, 1}, {0xA7AA, 0xA7AA, -42308, 1}, {0xA7AB, 0xA7AB, -42319, 1},
    {0xA7AC, 0xA7AC, -42315, 1}, {0xA7AD, 0xA7AD, -42305, 1}, {0xA7AE, 0xA7AE, -42308, 1},
    {0xA7B0, 0xA7B0, -42258, 1}, {0xA7B1, 0xA7B1, -42282, 1}, {0xA7B2, 0xA7B2, -42261, 1},
    {0xA7C5, 0xA7C5, -42307, 1}, {0xA7CB, 0xA7CB, -42343, 1}, {0xA7DC, 0xA7DC, -42561, 1},
};

uint32_t foldOf(const FoldRun& run, uint32_t c) {
  return static_cast<uint32_t>(static_cast<int32_t>(c) + run.delta);
}

// Adds to `r` every code point that is case-equivalent to a member: first the class
// representatives of members, then every code point whose representative is now present.
void closeUnderCase(Ranges& r) {
  Ranges add;
  for (const FoldRun& run : kFoldRuns)
    for (uint32_t c = run.lo; c <= run.hi; c += run.stride)
      if (contains(r.data(), r.size(), c)) add.push_back({foldOf(run, c), foldOf(run, c)});
  r.insert(r.end(), add.begin(), add.end());
  normalize(r);
  add.clear();
  for (const FoldRun& run : kFoldRuns)
    for (uint32_t c = run.lo; c <= run.hi; c += run.stride)
      if (contains(r.data(), r.size(), foldOf(run, c))) add.push_back({c, c});
  r.insert(r.end(), add.begin(), add.end());
  normalize(r);
}

inline bool isLineTerminator(uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

inline bool isWordChar(uint32_t c, bool caseInsensitive) {
  if (c < 128) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  // With `iu`, JavaScript's WordCharacters also holds the characters folding into \w.
  return caseInsensitive && (c == 0x017F || c == 0x212A);
}

void addDigits(Ranges& r) {
  r.push_back({'0', '9'});
}

void addWordChars(Ranges& r, bool caseInsensitive) {
  r.push_back({'0', '9'});
  r.push_back({'A', 'Z'});
  r.push_back({'_', '_'});
  r.push_back({'a', 'z'});
  if (caseInsensitive) {
    r.push_back({0x017F, 0x017F});
    r.push_back({0x212A, 0x212A});
  }
}

// JavaScript's \s: WhiteSpace and LineTerminator.
void addSpaces(Ranges& r) {
  static constexpr RegexClassRange kSpaces[] = {
      {0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
      {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
  r.insert(r.end(), std::begin(kSpaces), std::end(kSpaces));
}

// ---------------------------------------------------------------------------------------
// Parser: JavaScript `u`-mode syntax into an AST.

enum class Kind : uint8_t { Empty, Set, Assert, Concat, Alt, Repeat };

struct AstNode {
  Kind kind = Kind::Empty;
  RegexOp op = RegexOp::Match;  // Set: Char/Class/AnyButLine/Any; Assert: the assertion
  uint32_t a = 0, b = 0;        // operands of `op`
  uint32_t min = 0, max = 0;    // Repeat
  std::vector<uint32_t> kids;   // Concat, Alt, Repeat (one kid)
};

// JavaScript (u mode) lets \ escape only syntax characters and '/'. Any other ASCII
// punctuation is accepted too: it can only mean the character itself, and patterns written
// for non-unicode RegExps (`\-`, `\:`, `\@`) are common in configs.
bool isIdentityEscape(uint32_t c) {
  return c < 128 && ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
                     (c >= '{' && c <= '~'));
}

int hexValue(uint32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

class Parser {
 public:
  Parser(std::string_view pattern, bool caseInsensitive, const RegexLimits& limits,
         RegexProgram& prog, std::vector<AstNode>& nodes, std::string& error)
      : src_(pattern),
        ci_(caseInsensitive),
        limits_(limits),
        prog_(prog),
        nodes_(nodes),
        error_(error) {}

  // Returns the root node, or kFailed with error_ set.
  uint32_t parse() {
    if (!decodePattern()) return kFailed;
    const uint32_t root = parseDisjunction(0);
    if (root == kFailed) return kFailed;
    if (pos_ < cps_.size()) {  // only a ')' stops the top-level disjunction early
      return fail("unmatched ')'", pos_, ": it closes no group");
    }
    return root;
  }

  static constexpr uint32_t kFailed = 0xFFFFFFFFu;

 private:
  bool decodePattern() {
    const auto* s = reinterpret_cast<const unsigned char*>(src_.data());
    for (size_t i = 0; i < src_.size();) {
      uint32_t cp;
      bool valid;
      const size_t len = decodeUtf8(s, src_.size(), i, cp, valid);
      if (!valid) {
        error_ = "invalid UTF-8 in pattern at offset " + std::to_string(i);
        return false;
      }
      cps_.push_back(cp);
      offsets_.push_back(static_cast<uint32_t>(i));
      i += len;
    }
    offsets_.push_back(static_cast<uint32_t>(src_.size()));
    return true;
  }

  uint32_t offsetAt(size_t index) const { return offsets_[std::min(index, cps_.size())]; }
  bool more() const { return pos_ < cps_.size(); }
  uint32_t peek(size_t ahead = 0) const {
    return pos_ + ahead < cps_.size() ? cps_[pos_ + ahead] : kNoCodePoint;
  }
  // Every message reads "<what> at offset N<detail>"; built in one place to keep the
  // parser small in Wasm.
  uint32_t fail(std::string_view what, size_t index, std::string_view detail = {}) {
    if (error_.empty()) {
      error_.append(what);
      error_ += " at offset ";
      error_ += std::to_string(offsetAt(index));
      error_.append(detail);
    }
    return kFailed;
  }
  bool failed(std::string_view what, size_t index, std::string_view detail = {}) {
    fail(what, index, detail);
    return false;
  }
  // `text` with its '#' replaced by `c` (for messages naming a quantifier or escape).
  static std::string with(std::string_view text, uint32_t c) {
    std::string out(text);
    out[out.find('#')] = static_cast<char>(c);
    return out;
  }

  uint32_t add(AstNode node) {
    nodes_.push_back(std::move(node));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }
  uint32_t addAssert(RegexOp op) {
    AstNode n;
    n.kind = Kind::Assert;
    n.op = op;
    return add(std::move(n));
  }
  // A set of code points becomes the cheapest matching instruction.
  uint32_t addSet(Ranges set, bool negated) {
    normalize(set);
    if (ci_) closeUnderCase(set);
    if (negated) complement(set);
    AstNode n;
    n.kind = Kind::Set;
    if (set.size() == 1 && set[0].lo == 0 && set[0].hi == kMaxCodePoint) {
      n.op = RegexOp::Any;
    } else if (set.size() == 1 && set[0].lo == set[0].hi) {
      n.op = RegexOp::Char;
      n.a = set[0].lo;
    } else {
      n.op = RegexOp::Class;
      n.a = static_cast<uint32_t>(prog_.ranges.size());
      n.b = static_cast<uint32_t>(set.size());
      prog_.ranges.insert(prog_.ranges.end(), set.begin(), set.end());
    }
    return add(std::move(n));
  }

  uint32_t parseDisjunction(uint32_t depth) {
    std::vector<uint32_t> alternatives;
    for (;;) {
      const uint32_t alt = parseAlternative(depth);
      if (alt == kFailed) return kFailed;
      alternatives.push_back(alt);
      if (peek() != '|') break;
      ++pos_;
    }
    if (alternatives.size() == 1) return alternatives[0];
    AstNode n;
    n.kind = Kind::Alt;
    n.kids = std::move(alternatives);
    return add(std::move(n));
  }

  uint32_t parseAlternative(uint32_t depth) {
    std::vector<uint32_t> terms;
    while (more() && peek() != '|' && peek() != ')') {
      const uint32_t term = parseTerm(depth);
      if (term == kFailed) return kFailed;
      terms.push_back(term);
    }
    if (terms.size() == 1) return terms[0];
    AstNode n;
    n.kind = terms.empty() ? Kind::Empty : Kind::Concat;
    n.kids = std::move(terms);
    return add(std::move(n));
  }

  uint32_t parseTerm(uint32_t depth) {
    const size_t start = pos_;
    const uint32_t c = peek();
    uint32_t atom;
    bool quantifiable = true;
    if (c == '^' || c == '$') {
      ++pos_;
      atom = addAssert(c == '^' ? RegexOp::LineStart : RegexOp::LineEnd);
      quantifiable = false;
    } else if (c == '\\' && (peek(1) == 'b' || peek(1) == 'B')) {
      const bool word = peek(1) == 'b';
      pos_ += 2;
      atom = addAssert(word ? RegexOp::WordBoundary : RegexOp::NotWordBoundary);
      quantifiable = false;
    } else {
      atom = parseAtom(depth);
      if (atom == kFailed) return kFailed;
    }
    const uint32_t q = peek();
    if (q != '*' && q != '+' && q != '?' && q != '{') return atom;
    if (!quantifiable) {
      return fail(with("quantifier '#'", q), pos_,
                  " cannot apply to the assertion " + describeAssertion(start));
    }
    return parseQuantifier(atom);
  }

  std::string describeAssertion(size_t index) const {
    const uint32_t c = cps_[index];
    if (c == '\\') return cps_[index + 1] == 'b' ? "\\b" : "\\B";
    return c == '^' ? "^" : "$";
  }

  uint32_t parseQuantifier(uint32_t atom) {
    const size_t start = pos_;
    const uint32_t q = cps_[pos_++];
    uint32_t min = 0, max = kInfinite;
    if (q == '+') {
      min = 1;
    } else if (q == '?') {
      max = 1;
    } else if (q == '{') {
      if (!parseBraces(start, min, max)) return kFailed;
    }
    if (peek() == '?') ++pos_;  // lazy: same language, same test() result
    const uint32_t next = peek();
    if (next == '*' || next == '+' || next == '?' || next == '{') {
      return fail(with("nothing to repeat: quantifier '#'", next), pos_,
                  " follows another quantifier");
    }
    AstNode n;
    n.kind = Kind::Repeat;
    n.min = min;
    n.max = max;
    n.kids.push_back(atom);
    return add(std::move(n));
  }

  // Reads a decimal number, saturating far above any limit.
  bool readNumber(uint32_t& value) {
    if (peek() < '0' || peek() > '9') return false;
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = std::min<uint64_t>(v * 10 + (cps_[pos_++] - '0'), 0xFFFFFFFEu);
    }
    value = static_cast<uint32_t>(v);
    return true;
  }

  bool parseBraces(size_t start, uint32_t& min, uint32_t& max) {
    const char* incomplete = "incomplete quantifier '{'";
    const char* shape = ": expected {n}, {n,} or {n,m}; write \\{ for a literal brace";
    if (!readNumber(min)) return failed(incomplete, start, shape);
    max = min;
    if (peek() == ',') {
      ++pos_;
      max = kInfinite;
      if (peek() != '}' && !readNumber(max)) {
        return failed(incomplete, start, shape);
      }
    }
    if (peek() != '}') return failed(incomplete, start, shape);
    ++pos_;
    if (max != kInfinite && max < min) {
      return failed("numbers out of order in quantifier {" + std::to_string(min) + "," +
                        std::to_string(max) + "}",
                    start);
    }
    const uint32_t biggest = max == kInfinite ? min : max;
    if (biggest > limits_.maxRepeat) {
      return failed("repeat count " + std::to_string(biggest) + " in quantifier", start,
                    " exceeds the limit of " + std::to_string(limits_.maxRepeat));
    }
    return true;
  }

  uint32_t parseAtom(uint32_t depth) {
    const size_t start = pos_;
    const uint32_t c = cps_[pos_++];
    switch (c) {
      case '.': {
        AstNode n;
        n.kind = Kind::Set;
        n.op = RegexOp::AnyButLine;  // no cased line terminators: `i` changes nothing
        return add(std::move(n));
      }
      case '(':
        return parseGroup(start, depth);
      case ')':
        return fail("unmatched ')'", start, ": it closes no group");
      case '[':
        return parseClass(start, depth);
      case '\\':
        return parseAtomEscape(start);
      case '*':
      case '+':
      case '?':
        return fail(with("nothing to repeat: quantifier '#'", c), start, " has no preceding atom");
      case '{':
        return fail("lone '{'", start,
                    ": write \\{ for a literal brace, or put {n}, {n,} or {n,m} after an atom");
      case '}':
        return fail("lone '}'", start, ": write \\} for a literal brace");
      case ']':
        return fail("lone ']'", start, ": write \\] for a literal bracket");
      default:
        return addSet({{c, c}}, false);
    }
  }

  uint32_t parseGroup(size_t start, uint32_t depth) {
    if (depth + 1 > limits_.maxGroupDepth) {
      return fail("groups and classes nested deeper than " + std::to_string(limits_.maxGroupDepth),
                  start);
    }
    if (peek() == '?') {
      const uint32_t k = peek(1);
      const uint32_t k2 = peek(2);
      if (k == '=') return fail("lookahead (?=", start, kLinear);
      if (k == '!') return fail("negative lookahead (?!", start, kLinear);
      if (k == '<' && k2 == '=') return fail("lookbehind (?<=", start, kLinear);
      if (k == '<' && k2 == '!') return fail("negative lookbehind (?<!", start, kLinear);
      if (k == ':') {
        pos_ += 2;
      } else if (k == '<') {
        pos_ += 2;
        if (!parseGroupName(start)) return kFailed;
      } else if (k == 'i' || k == 'm' || k == 's' || k == '-') {
        return fail(with("inline modifiers (?#", k), start,
                    " are not supported; use the i option instead");
      } else {
        return fail("invalid group: '(?' must be followed by ':', '<name>', '=' or '!'", start);
      }
    }
    const uint32_t inner = parseDisjunction(depth + 1);
    if (inner == kFailed) return kFailed;
    if (peek() != ')') {
      return fail("unterminated group: '('", start, " has no matching ')'");
    }
    ++pos_;
    return inner;
  }

  // Group names only need to be valid and unique: nothing refers to them.
  bool parseGroupName(size_t start) {
    const size_t nameStart = pos_;
    auto isStart = [](uint32_t c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_' ||
             (c >= 128 && c != kNoCodePoint);
    };
    while (more() && peek() != '>') {
      const uint32_t c = peek();
      const bool first = pos_ == nameStart;
      if (!(isStart(c) || (!first && ((c >= '0' && c <= '9'))))) {
        return failed("invalid group name", pos_,
                      ": names are letters, digits, '$' and '_' (not starting with a digit)");
      }
      ++pos_;
    }
    if (!more()) return failed("unterminated group name: '(?<'", start, " has no '>'");
    if (pos_ == nameStart) return failed("empty group name", start);
    std::vector<uint32_t> name(cps_.begin() + static_cast<std::ptrdiff_t>(nameStart),
                               cps_.begin() + static_cast<std::ptrdiff_t>(pos_));
    ++pos_;  // '>'
    for (const auto& seen : groupNames_) {
      if (seen == name) {
        return failed("duplicate group name", nameStart, ": every name must be unique");
      }
    }
    groupNames_.push_back(std::move(name));
    return true;
  }

  // Parses one escape after '\' (already consumed; `start` is the backslash). Class
  // escapes (\d \w \s and negations) add their set and set `isClass`; any other escape
  // yields a single code point.
  bool parseEscape(size_t start, bool inClass, uint32_t& cp, Ranges& set, bool& isClass) {
    isClass = false;
    if (!more()) return failed("pattern ends with a lone backslash", start);
    const uint32_t c = cps_[pos_++];
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S': {
        Ranges r;
        if (c == 'd' || c == 'D') addDigits(r);
        if (c == 'w' || c == 'W') addWordChars(r, ci_);
        if (c == 's' || c == 'S') addSpaces(r);
        if (c == 'D' || c == 'W' || c == 'S') {
          normalize(r);
          complement(r);
        }
        set.insert(set.end(), r.begin(), r.end());
        isClass = true;
        return true;
      }
      case 'p':
      case 'P':
        return failed(with("Unicode property escape \\#", c), start, " is not supported");
      case 'k':
        return failed("named backreference \\k", start, kLinear);
      case 't':
        cp = '\t';
        return true;
      case 'n':
        cp = '\n';
        return true;
      case 'r':
        cp = '\r';
        return true;
      case 'f':
        cp = '\f';
        return true;
      case 'v':
        cp = '\v';
        return true;
      case 'b':
        if (inClass) {
          cp = '\b';
          return true;
        }
        break;  // handled as an assertion by parseTerm
      case 'B':
        if (inClass) return failed("\\B", start, " is not valid inside a character class");
        break;
      case 'c': {
        const uint32_t l = peek();
        if (!((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z'))) {
          return failed("invalid control escape \\c", start, ": expected a letter A-Z");
        }
        ++pos_;
        cp = l % 32;
        return true;
      }
      case '0':
        if (peek() >= '0' && peek() <= '9') {
          return failed(with("octal escape \\0#", peek()), start,
                        " is not supported; write \\x or \\u escapes");
        }
        cp = 0;
        return true;
      case 'x': {
        const int h1 = hexValue(peek()), h2 = hexValue(peek(1));
        if (h1 < 0 || h2 < 0) {
          return failed("invalid escape \\x", start, ": expected two hex digits");
        }
        pos_ += 2;
        cp = static_cast<uint32_t>(h1 * 16 + h2);
        return true;
      }
      case 'u':
        return parseUnicodeEscape(start, cp);
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      if (inClass) {
        return failed(with("invalid escape \\#", c), start, " in a character class");
      }
      return failed(with("backreference \\#", c), start, kLinear);
    }
    if (isIdentityEscape(c)) {
      cp = c;
      return true;
    }
    if (c >= 0x20 && c < 0x7F) return failed(with("invalid escape \\#", c), start);
    return failed("invalid escape after '\\'", start);
  }

  bool parseUnicodeEscape(size_t start, uint32_t& cp) {
    const char* shape = ": expected \\uHHHH or \\u{H...} (at most 10FFFF)";
    if (peek() == '{') {
      ++pos_;
      uint64_t v = 0;
      size_t digits = 0;
      while (hexValue(peek()) >= 0) {
        v = std::min<uint64_t>(v * 16 + static_cast<uint64_t>(hexValue(cps_[pos_++])), 0x7FFFFFFF);
        ++digits;
      }
      if (digits == 0 || peek() != '}' || v > kMaxCodePoint) {
        return failed("invalid escape \\u{", start, shape);
      }
      ++pos_;
      cp = static_cast<uint32_t>(v);
      return true;
    }
    if (!readHex4(cp)) return failed("invalid escape \\u", start, shape);
    // A surrogate pair written as two escapes is one code point, as in JavaScript's u mode.
    if (cp >= 0xD800 && cp <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
      const size_t save = pos_;
      pos_ += 2;
      uint32_t low;
      if (readHex4(low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        pos_ = save;
      }
    }
    return true;
  }

  bool readHex4(uint32_t& cp) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int h = hexValue(peek(k));
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    cp = v;
    return true;
  }

  uint32_t parseAtomEscape(size_t start) {
    uint32_t cp = 0;
    Ranges set;
    bool isClass;
    if (!parseEscape(start, false, cp, set, isClass)) return kFailed;
    if (!isClass) set.push_back({cp, cp});
    return addSet(std::move(set), false);
  }

  // One class atom: a code point, or (isClass) a class escape whose set went into `set`.
  bool parseClassAtom(size_t classStart, uint32_t& cp, Ranges& set, bool& isClass) {
    isClass = false;
    if (!more()) {
      return failed("unterminated character class: '['", classStart, " has no closing ']'");
    }
    const size_t start = pos_;
    const uint32_t c = cps_[pos_++];
    if (c != '\\') {
      cp = c;
      return true;
    }
    return parseEscape(start, true, cp, set, isClass);
  }

  uint32_t parseClass(size_t start, uint32_t depth) {
    if (depth + 1 > limits_.maxGroupDepth) {
      return fail("groups and classes nested deeper than " + std::to_string(limits_.maxGroupDepth),
                  start);
    }
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++pos_;
    }
    Ranges set;
    for (;;) {
      if (!more()) {
        return fail("unterminated character class: '['", start, " has no closing ']'");
      }
      if (peek() == ']') break;
      const size_t atomStart = pos_;
      uint32_t lo;
      bool loIsClass;
      if (!parseClassAtom(start, lo, set, loIsClass)) return kFailed;
      if (peek() == '-' && peek(1) != ']' && peek(1) != kNoCodePoint) {
        ++pos_;  // '-'
        uint32_t hi;
        bool hiIsClass;
        if (!parseClassAtom(start, hi, set, hiIsClass)) return kFailed;
        if (loIsClass || hiIsClass) {
          return fail("invalid range", atomStart,
                      ": a class escape (\\d \\w \\s ...) cannot be a range endpoint; put '-' "
                      "first or last, or escape it");
        }
        if (hi < lo) return fail("range out of order in character class", atomStart);
        set.push_back({lo, hi});
      } else if (!loIsClass) {
        set.push_back({lo, lo});
      }
    }
    ++pos_;  // ']'
    return addSet(std::move(set), negated);
  }

  std::string_view src_;
  bool ci_;
  const RegexLimits& limits_;
  RegexProgram& prog_;
  std::vector<AstNode>& nodes_;
  std::string& error_;
  std::vector<uint32_t> cps_;      // pattern code points
  std::vector<uint32_t> offsets_;  // byte offset of each code point (+ end)
  size_t pos_ = 0;
  std::vector<std::vector<uint32_t>> groupNames_;
};

// ---------------------------------------------------------------------------------------
// Code generation. Sizes are computed first, saturating, so that a pattern like
// `((a{100}){100}){100}` is rejected without ever materialising its program.

uint64_t programSize(const std::vector<AstNode>& nodes, uint32_t id, uint64_t cap) {
  const AstNode& n = nodes[id];
  switch (n.kind) {
    case Kind::Empty:
      return 0;
    case Kind::Set:
    case Kind::Assert:
      return 1;
    case Kind::Concat:
    case Kind::Alt: {
      uint64_t total = n.kind == Kind::Alt ? 2 * (n.kids.size() - 1) : 0;
      for (uint32_t kid : n.kids) {
        total += programSize(nodes, kid, cap);
        if (total > cap) return cap + 1;
      }
      return total;
    }
    case Kind::Repeat: {
      const uint64_t x = programSize(nodes, n.kids[0], cap);
      if (x > cap) return cap + 1;
      uint64_t total = n.min * x;
      if (n.max == kInfinite) {
        total += n.min == 0 ? x + 2 : 1;
      } else {
        total += (n.max - n.min) * (x + 1);
      }
      return std::min(total, cap + 1);
    }
  }
  return cap + 1;
}

class Emitter {
 public:
  explicit Emitter(const std::vector<AstNode>& nodes, std::vector<RegexInst>& code)
      : nodes_(nodes), code_(code) {}

  void emit(uint32_t id) {
    const AstNode& n = nodes_[id];
    switch (n.kind) {
      case Kind::Empty:
        return;
      case Kind::Set:
      case Kind::Assert:
        code_.push_back({n.op, n.a, n.b});
        return;
      case Kind::Concat:
        for (uint32_t kid : n.kids) emit(kid);
        return;
      case Kind::Alt: {
        std::vector<size_t> jumps;
        for (size_t k = 0; k < n.kids.size(); ++k) {
          if (k + 1 < n.kids.size()) {
            const size_t split = code_.size();
            code_.push_back({RegexOp::Split, here() + 1, 0});
            emit(n.kids[k]);
            jumps.push_back(code_.size());
            code_.push_back({RegexOp::Jump, 0, 0});
            code_[split].b = here();
          } else {
            emit(n.kids[k]);
          }
        }
        for (size_t j : jumps) code_[j].a = here();
        return;
      }
      case Kind::Repeat:
        emitRepeat(n);
        return;
    }
  }

 private:
  uint32_t here() const { return static_cast<uint32_t>(code_.size()); }

  void emitRepeat(const AstNode& n) {
    const uint32_t x = n.kids[0];
    if (n.max == kInfinite) {
      if (n.min == 0) {  // L: split(L+1, end); x; jump L; end:
        const uint32_t loop = here();
        code_.push_back({RegexOp::Split, loop + 1, 0});
        emit(x);
        code_.push_back({RegexOp::Jump, loop, 0});
        code_[loop].b = here();
      } else {  // x{min-1} then L: x; split(L, end)
        for (uint32_t k = 0; k + 1 < n.min; ++k) emit(x);
        const uint32_t loop = here();
        emit(x);
        code_.push_back({RegexOp::Split, loop, here() + 1});
      }
      return;
    }
    for (uint32_t k = 0; k < n.min; ++k) emit(x);
    // Optional copies, nested: split(next, end) x split(next, end) x ... end:
    std::vector<size_t> splits;
    for (uint32_t k = n.min; k < n.max; ++k) {
      splits.push_back(code_.size());
      code_.push_back({RegexOp::Split, here() + 1, 0});
      emit(x);
    }
    for (size_t s : splits) code_[s].b = here();
  }

  const std::vector<AstNode>& nodes_;
  std::vector<RegexInst>& code_;
};

// True when every match must begin with `^` (so a search can stop after offset 0).
bool anchoredAtStart(const std::vector<AstNode>& nodes, uint32_t id) {
  const AstNode& n = nodes[id];
  switch (n.kind) {
    case Kind::Assert:
      return n.op == RegexOp::LineStart;
    case Kind::Concat:
      return anchoredAtStart(nodes, n.kids[0]);
    case Kind::Alt:
      for (uint32_t kid : n.kids)
        if (!anchoredAtStart(nodes, kid)) return false;
      return true;
    case Kind::Repeat:
      return n.min > 0 && anchoredAtStart(nodes, n.kids[0]);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// First-byte filter

void markByte(RegexProgram& p, uint32_t b) {
  p.firstBytes[b / 64] |= uint64_t{1} << (b % 64);
}

// Marks the UTF-8 lead byte of every code point in [lo, hi]. Code points of one encoded
// length have monotonic lead bytes, so each length band is one byte interval.
void markLeadBytes(RegexProgram& p, uint32_t lo, uint32_t hi) {
  struct Band {
    uint32_t lo, hi, shift, tag;
  };
  constexpr Band kBands[] = {{0, 0x7F, 0, 0},
                             {0x80, 0x7FF, 6, 0xC0},
                             {0x800, 0xFFFF, 12, 0xE0},
                             {0x10000, 0x10FFFF, 18, 0xF0}};
  for (const Band& band : kBands) {
    const uint32_t a = std::max(lo, band.lo), z = std::min(hi, band.hi);
    if (a > z) continue;
    for (uint32_t b = band.tag | (a >> band.shift); b <= (band.tag | (z >> band.shift)); ++b)
      markByte(p, b);
  }
  // Ill-formed subject bytes decode to U+FFFD and may begin with any non-ASCII byte.
  if (lo <= kReplacement && kReplacement <= hi)
    for (uint32_t b = 0x80; b <= 0xFF; ++b) markByte(p, b);
}

// Sets the first-byte filter when it can help: every way into the program must consume a
// code point from a known set before reaching Match. Assertions are treated as passable,
// which can only add bytes, never remove one.
void computeFirstBytes(RegexProgram& p) {
  std::vector<uint8_t> seen(p.code.size(), 0);
  std::vector<uint32_t> stack{0};
  seen[0] = 1;
  while (!stack.empty()) {
    const uint32_t pc = stack.back();
    stack.pop_back();
    const RegexInst& in = p.code[pc];
    uint32_t targets[2] = {pc + 1, 0};
    size_t count = 0;
    switch (in.op) {
      case RegexOp::Match:
      case RegexOp::AnyButLine:
      case RegexOp::Any:
        return;  // the filter would pass (nearly) everything
      case RegexOp::Char:
        markLeadBytes(p, in.a, in.a);
        break;
      case RegexOp::Class:
        for (uint32_t k = 0; k < in.b; ++k)
          markLeadBytes(p, p.ranges[in.a + k].lo, p.ranges[in.a + k].hi);
        break;
      case RegexOp::Jump:
        targets[0] = in.a;
        count = 1;
        break;
      case RegexOp::Split:
        targets[0] = in.a;
        targets[1] = in.b;
        count = 2;
        break;
      default:  // assertions
        count = 1;
        break;
    }
    for (size_t k = 0; k < count; ++k) {
      if (!seen[targets[k]]) {
        seen[targets[k]] = 1;
        stack.push_back(targets[k]);
      }
    }
  }
  p.useFirstBytes = true;
}

// ---------------------------------------------------------------------------------------
// Search

static_assert(RegexOp::Char < RegexOp::Any && RegexOp::Class < RegexOp::Any &&
                  RegexOp::AnyButLine < RegexOp::Any && RegexOp::Any < RegexOp::Split &&
                  RegexOp::Any < RegexOp::Jump && RegexOp::Any < RegexOp::LineStart &&
                  RegexOp::Any < RegexOp::LineEnd && RegexOp::Any < RegexOp::WordBoundary &&
                  RegexOp::Any < RegexOp::NotWordBoundary && RegexOp::Any < RegexOp::Match,
              "consuming opcodes must precede all others");

struct SparseSet {
  uint32_t* dense;
  uint32_t* sparse;
  uint32_t size;
  bool has(uint32_t pc) const { return sparse[pc] < size && dense[sparse[pc]] == pc; }
  void insert(uint32_t pc) {
    sparse[pc] = size;
    dense[size++] = pc;
  }
};

struct Position {
  uint32_t prev;  // code point before the position, kNoCodePoint at the start
  uint32_t next;  // code point after the position, kNoCodePoint at the end
};

// Adds `pc0` and everything reachable from it through non-consuming instructions whose
// assertions hold at `at`. Returns true as soon as Match is reachable.
bool addThread(const RegexProgram& p, SparseSet& set, uint32_t* stack, uint32_t pc0, Position at) {
  if (set.has(pc0)) return false;
  set.insert(pc0);
  uint32_t sp = 0;
  stack[sp++] = pc0;
  auto push = [&](uint32_t pc) {
    if (!set.has(pc)) {
      set.insert(pc);
      stack[sp++] = pc;
    }
  };
  while (sp > 0) {
    const uint32_t pc = stack[--sp];
    const RegexInst& in = p.code[pc];
    switch (in.op) {
      case RegexOp::Match:
        return true;
      case RegexOp::Jump:
        push(in.a);
        break;
      case RegexOp::Split:
        push(in.b);
        push(in.a);
        break;
      case RegexOp::LineStart:
        if (at.prev == kNoCodePoint) push(pc + 1);
        break;
      case RegexOp::LineEnd:
        if (at.next == kNoCodePoint) push(pc + 1);
        break;
      case RegexOp::WordBoundary:
      case RegexOp::NotWordBoundary: {
        const bool boundary =
            isWordChar(at.prev, p.caseInsensitive) != isWordChar(at.next, p.caseInsensitive);
        if (boundary == (in.op == RegexOp::WordBoundary)) push(pc + 1);
        break;
      }
      default:  // consuming instructions wait in the set for the next code point
        break;
    }
  }
  return false;
}

bool consumes(const RegexProgram& p, const RegexInst& in, uint32_t c) {
  switch (in.op) {
    case RegexOp::Char:
      return c == in.a;
    case RegexOp::Class:
      return contains(p.ranges.data() + in.a, in.b, c);
    case RegexOp::AnyButLine:
      return !isLineTerminator(c);
    case RegexOp::Any:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool compileRegex(std::string_view pattern, bool caseInsensitive, RegexProgram& out,
                  std::string& error, const RegexLimits& limits) {
  error.clear();
  out = RegexProgram{};
  out.caseInsensitive = caseInsensitive;
  if (pattern.size() > limits.maxPatternBytes) {
    error = "pattern is " + std::to_string(pattern.size()) + " bytes; the limit is " +
            std::to_string(limits.maxPatternBytes);
    return false;
  }
  std::vector<AstNode> nodes;
  Parser parser(pattern, caseInsensitive, limits, out, nodes, error);
  const uint32_t root = parser.parse();
  if (root == Parser::kFailed) {
    out = RegexProgram{};
    return false;
  }
  const uint64_t cap = limits.maxProgramSize;
  const uint64_t size = programSize(nodes, root, cap) + 1;  // + Match
  if (size > cap) {
    error = "pattern compiles to more than " + std::to_string(cap) +
            " instructions (counted repetition like {n,m} copies its operand); simplify it "
            "or lower the counts";
    out = RegexProgram{};
    return false;
  }
  out.code.reserve(static_cast<size_t>(size));
  Emitter(nodes, out.code).emit(root);
  out.code.push_back({RegexOp::Match, 0, 0});
  out.anchoredStart = anchoredAtStart(nodes, root);
  if (!out.anchoredStart) computeFirstBytes(out);
  if (!out.useFirstBytes) std::fill(std::begin(out.firstBytes), std::end(out.firstBytes), 0);
  return true;
}

bool validateRegexProgram(const RegexProgram& p, std::string& error) {
  const size_t n = p.code.size();
  if (n == 0) {
    error = "regex program is empty";
    return false;
  }
  for (size_t i = 0; i < p.ranges.size(); ++i) {
    const RegexClassRange& r = p.ranges[i];
    if (r.lo > r.hi || r.hi > kMaxCodePoint) {
      error = "regex class range " + std::to_string(i) + " is invalid";
      return false;
    }
  }
  for (size_t pc = 0; pc < n; ++pc) {
    const RegexInst& in = p.code[pc];
    const std::string where = "regex instruction " + std::to_string(pc);
    switch (in.op) {
      case RegexOp::Match:
        continue;
      case RegexOp::Split:
        if (in.a >= n || in.b >= n) {
          error = where + " jumps outside the program";
          return false;
        }
        continue;
      case RegexOp::Jump:
        if (in.a >= n) {
          error = where + " jumps outside the program";
          return false;
        }
        continue;
      case RegexOp::Class: {
        if (in.a > p.ranges.size() || in.b > p.ranges.size() - in.a) {
          error = where + " refers to ranges outside the class table";
          return false;
        }
        for (uint32_t k = 1; k < in.b; ++k) {
          if (p.ranges[in.a + k].lo <= p.ranges[in.a + k - 1].hi) {
            error = where + " has unsorted or overlapping class ranges";
            return false;
          }
        }
        break;
      }
      case RegexOp::Char:
      case RegexOp::AnyButLine:
      case RegexOp::Any:
      case RegexOp::LineStart:
      case RegexOp::LineEnd:
      case RegexOp::WordBoundary:
      case RegexOp::NotWordBoundary:
        break;
      default:
        error = where + " has an unknown opcode";
        return false;
    }
    if (pc + 1 >= n) {  // every remaining opcode continues at pc + 1
      error = where + " falls off the end of the program";
      return false;
    }
  }
  return true;
}

void RegexScratch::reserve(size_t programSize) {
  if (stack_.size() >= programSize) return;
  denseA_.resize(programSize);
  sparseA_.resize(programSize);
  denseB_.resize(programSize);
  sparseB_.resize(programSize);
  stack_.resize(programSize);
}

bool regexSearch(const RegexProgram& p, std::string_view subject, RegexScratch& scratch) {
  const size_t n = p.code.size();
  if (n == 0) return false;
  scratch.reserve(n);
  SparseSet cur{scratch.denseA_.data(), scratch.sparseA_.data(), 0};
  SparseSet nxt{scratch.denseB_.data(), scratch.sparseB_.data(), 0};
  uint32_t* stack = scratch.stack_.data();

  const auto* s = reinterpret_cast<const unsigned char*>(subject.data());
  const size_t len = subject.size();
  bool valid;
  size_t pos = 0;
  uint32_t prev = kNoCodePoint, c = kNoCodePoint;
  size_t cLen = len > 0 ? decodeUtf8(s, len, 0, c, valid) : 0;
  for (;;) {
    if (cur.size == 0 && p.useFirstBytes) {  // nothing in progress: skip to a possible start
      while (cLen != 0 && !(p.firstBytes[s[pos] / 64] & (uint64_t{1} << (s[pos] % 64)))) {
        prev = c;
        pos += cLen;
        cLen = pos < len ? decodeUtf8(s, len, pos, c, valid) : 0;
        if (cLen == 0) c = kNoCodePoint;
      }
    }
    if ((pos == 0 || !p.anchoredStart) && addThread(p, cur, stack, 0, {prev, c})) return true;
    if (cLen == 0) return false;  // at the end: a reachable Match was reported above
    if (cur.size == 0 && p.anchoredStart) return false;
    const size_t nextPos = pos + cLen;
    uint32_t next = kNoCodePoint;
    const size_t nextLen = nextPos < len ? decodeUtf8(s, len, nextPos, next, valid) : 0;
    nxt.size = 0;
    for (uint32_t k = 0; k < cur.size; ++k) {
      const uint32_t pc = cur.dense[k];
      if (!consumes(p, p.code[pc], c)) continue;
      const uint32_t to = pc + 1;
      if (p.code[to].op <= RegexOp::Any) {  // the common case: another consumer
        if (!nxt.has(to)) nxt.insert(to);
      } else if (addThread(p, nxt, stack, to, {c, next})) {
        return true;
      }
    }
    std::swap(cur, nxt);
    prev = c;
    c = next;
    cLen = nextLen;
    pos = nextPos;
  }
}

}  // namespace attune
