#include "doc.h"

#include <cmath>
#include <cstring>

#include "number_format.h"
#include "number_parse.h"

namespace attune {

namespace {

// Where the run of plain JSON string text starting at `from` ends: printable ASCII other
// than '"' and '\\', which a JSON string holds as it is (the parser reads it without
// unescaping, the writer copies it without escaping).
size_t plainRunEnd(std::string_view s, size_t from) {
  while (from < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[from]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++from;
  }
  return from;
}

}  // namespace

// Recursive-descent JSON parser. Depth is bounded by ParseLimits::maxDepth, so the native
// stack stays small whatever the input (a 10,000-deep document is an error, not a crash).
class JsonParser {
 public:
  JsonParser(std::string_view text, Doc& doc, ParseError& err, const ParseLimits& limits)
      : s_(text),
        doc_(doc),
        err_(err),
        limits_(limits),
        scratch_(doc.parseText_),
        keys_(doc.parseKeys_) {
    keys_.clear();
  }

  bool run() {
    if (s_.size() > limits_.maxBytes) {
      return fail("document is " + std::to_string(s_.size()) + " bytes; the limit is " +
                  std::to_string(limits_.maxBytes));
    }
    skipSpace();
    NodeId root = kNoNode;
    if (!value(0, root)) return false;
    skipSpace();
    if (pos_ != s_.size()) return fail("unexpected text after the JSON value");
    return true;
  }

 private:
  bool fail(std::string message) {
    if (err_.message.empty()) {
      err_.offset = static_cast<uint32_t>(pos_);
      err_.message = std::move(message);
    }
    return false;
  }

  void skipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool budget() {
    if (doc_.size() >= limits_.maxNodes) {
      return fail("more than " + std::to_string(limits_.maxNodes) + " values");
    }
    return true;
  }

  bool value(uint32_t depth, NodeId& out) {
    if (depth > limits_.maxDepth) {
      return fail("nesting deeper than " + std::to_string(limits_.maxDepth) + " levels");
    }
    if (!budget()) return false;
    if (pos_ >= s_.size()) return fail("unexpected end of input");
    char c = s_[pos_];
    switch (c) {
      case '{':
        return object(depth, out);
      case '[':
        return array(depth, out);
      case '"': {
        std::string_view text;
        if (!string(text)) return false;
        if (depth >= 2 && text.size() > limits_.maxNestedStringBytes) {
          return fail("string longer than " + std::to_string(limits_.maxNestedStringBytes) +
                      " bytes");
        }
        out = doc_.addString(text);
        return true;
      }
      case 't':
        return literal("true", out, Type::Bool, true);
      case 'f':
        return literal("false", out, Type::Bool, false);
      case 'n':
        return literal("null", out, Type::Null, false);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return fail(std::string("unexpected character '") + printable(c) + "'");
    }
  }

  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string(1, c);
    const char* hex = "0123456789ABCDEF";
    return {'\\', 'x', hex[u >> 4], hex[u & 15]};
  }

  bool literal(const char* word, NodeId& out, Type type, bool b) {
    size_t n = std::strlen(word);
    if (s_.substr(pos_, n) != word) return fail(std::string("expected '") + word + "'");
    pos_ += n;
    out = type == Type::Null ? doc_.addNull() : doc_.addBool(b);
    return true;
  }

  bool number(NodeId& out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return fail("incomplete number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return fail("invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return fail("invalid number: digits expected after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return fail("invalid number: digits expected in exponent");
    }
    double v;
    if (!fastNumber(s_.substr(start, pos_ - start), v)) {
      // Numbers longer than this are not meaningful doubles.
      if (pos_ - start >= 64) return fail("number literal longer than 63 characters");
      parseJsonNumber(s_.substr(start, pos_ - start), v);
    }
    if (!std::isfinite(v)) return fail("number out of range");
    out = doc_.addNumber(v);
    return true;
  }

  // Clinger's fast path: with at most 15 significant digits and a decimal exponent within
  // ±22, mantissa and power of ten are exact doubles, so one multiplication or division
  // rounds correctly. It covers nearly every number a visitor carries, and skips
  // parseJsonNumber's digit buffer.
  static bool fastNumber(std::string_view text, double& out) {
    static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    bool negative = text[0] == '-';
    if (negative) ++i;
    uint64_t mantissa = 0;
    int digits = 0, exponent = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (mantissa || text[i] != '0') ++digits;
      mantissa = mantissa * 10 + static_cast<uint64_t>(text[i] - '0');
      if (digits > 15) return false;
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (mantissa || text[i] != '0') ++digits;
        mantissa = mantissa * 10 + static_cast<uint64_t>(text[i] - '0');
        --exponent;
        if (digits > 15) return false;
      }
    }
    if (i < text.size()) return false;  // an exponent part: leave it to parseJsonNumber
    if (exponent < -22) return false;
    double v = static_cast<double>(mantissa);
    v = exponent < 0 ? v / kPow10[-exponent] : v;
    out = negative ? -v : v;
    return true;
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) return fail("incomplete \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hexDigit(s_[pos_ + i]);
      if (d < 0) return fail("invalid \\u escape");
      out = out * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 4;
    return true;
  }

  void putUtf8(uint32_t cp) {
    if (cp < 0x80) {
      scratch_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
      scratch_ += static_cast<char>(0xC0 | (cp >> 6));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      scratch_ += static_cast<char>(0xE0 | (cp >> 12));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      scratch_ += static_cast<char>(0xF0 | (cp >> 18));
      scratch_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Length of a valid UTF-8 sequence starting at p, or 0 when invalid.
  static size_t utf8Length(const unsigned char* p, size_t avail) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (avail < n) return 0;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
  }

  // Parses a string literal. The result points into the doc's scratch buffer and is valid
  // until the next call.
  bool string(std::string_view& out) {
    ++pos_;  // opening quote
    // Most strings are plain printable ASCII with no escape: then the result is the source
    // text itself, with no copy and no per-character append.
    const size_t start = pos_;
    pos_ = plainRunEnd(s_, pos_);
    if (pos_ < s_.size() && s_[pos_] == '"') {
      out = s_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    scratch_.assign(s_.data() + start, pos_ - start);
    while (true) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) return fail("control character in string (must be escaped)");
      if (c == '\\') {
        if (++pos_ >= s_.size()) return fail("unterminated string");
        char e = s_[pos_++];
        switch (e) {
          case '"':
            scratch_ += '"';
            break;
          case '\\':
            scratch_ += '\\';
            break;
          case '/':
            scratch_ += '/';
            break;
          case 'b':
            scratch_ += '\b';
            break;
          case 'f':
            scratch_ += '\f';
            break;
          case 'n':
            scratch_ += '\n';
            break;
          case 'r':
            scratch_ += '\r';
            break;
          case 't':
            scratch_ += '\t';
            break;
          case 'u': {
            uint32_t cp;
            if (!hex4(cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 1 < s_.size() && s_[pos_] == '\\' &&
                s_[pos_ + 1] == 'u') {
              size_t save = pos_;
              pos_ += 2;
              uint32_t lo;
              if (!hex4(lo)) return false;
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                pos_ = save;  // lone high surrogate; the next escape is parsed on its own
                cp = 0xFFFD;
              }
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
              cp = 0xFFFD;  // lone surrogate: not representable in UTF-8
            }
            putUtf8(cp);
            break;
          }
          default:
            --pos_;
            return fail(std::string("invalid escape '\\") + printable(e) + "'");
        }
        continue;
      }
      if (c < 0x80) {
        // A run of plain ASCII in one append.
        size_t run = plainRunEnd(s_, pos_ + 1);
        scratch_.append(s_.data() + pos_, run - pos_);
        pos_ = run;
        continue;
      }
      size_t n =
          utf8Length(reinterpret_cast<const unsigned char*>(s_.data()) + pos_, s_.size() - pos_);
      if (n == 0) return fail("invalid UTF-8 in string");
      scratch_.append(s_.data() + pos_, n);
      pos_ += n;
    }
    out = scratch_;
    return true;
  }

  bool array(uint32_t depth, NodeId& out) {
    ++pos_;
    out = doc_.addArray();
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      NodeId child;
      if (!value(depth + 1, child)) return false;
      doc_.append(out, child);
      skipSpace();
      if (pos_ >= s_.size()) return fail("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in array");
    }
  }

  bool object(uint32_t depth, NodeId& out) {
    ++pos_;
    out = doc_.addObject();
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a string key in object");
      std::string_view k;
      if (!string(k)) return false;
      // value() reuses scratch_, so a key unescaped there waits on the keys_ stack; a key
      // that is a view of the source text stays valid as it is.
      const bool inSource = k.data() >= s_.data() && k.data() <= s_.data() + s_.size();
      size_t keyStart = keys_.size();
      if (!inSource) keys_.append(k.data(), k.size());
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':' after object key");
      ++pos_;
      skipSpace();
      NodeId child;
      if (!value(depth + 1, child)) return false;
      doc_.append(out, child, inSource ? k : std::string_view(keys_).substr(keyStart, k.size()));
      if (!inSource) keys_.resize(keyStart);
      skipSpace();
      if (pos_ >= s_.size()) return fail("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in object");
    }
  }

  std::string_view s_;
  Doc& doc_;
  ParseError& err_;
  const ParseLimits& limits_;
  size_t pos_ = 0;
  std::string& scratch_;  // the string being parsed
  std::string& keys_;     // stack of pending keys of enclosing objects
};

bool Doc::parse(std::string_view text, ParseError& err, const ParseLimits& limits) {
  clear();
  err = ParseError{};
  JsonParser p(text, *this, err, limits);
  if (!p.run()) {
    clear();
    return false;
  }
  return true;
}

uint32_t Doc::storeChars(std::string_view s) {
  uint32_t off = static_cast<uint32_t>(chars_.size());
  chars_.append(s.data(), s.size());
  return off;
}

NodeId Doc::addNull() {
  nodes_.emplace_back();
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Doc::addBool(bool v) {
  Node n;
  n.type = Type::Bool;
  n.boolean = v;
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Doc::addNumber(double v) {
  Node n;
  n.type = Type::Number;
  n.number = v;
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Doc::addString(std::string_view s) {
  Node n;
  n.type = Type::String;
  n.strOff = storeChars(s);
  n.strLen = static_cast<uint32_t>(s.size());
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Doc::addArray() {
  Node n;
  n.type = Type::Array;
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Doc::addObject() {
  Node n;
  n.type = Type::Object;
  nodes_.push_back(n);
  return static_cast<NodeId>(nodes_.size() - 1);
}

void Doc::append(NodeId parent, NodeId child, std::string_view key) {
  if (!key.empty()) {
    nodes_[child].keyOff = storeChars(key);
    nodes_[child].keyLen = static_cast<uint32_t>(key.size());
  }
  Node& p = nodes_[parent];
  if (p.lastChild == kNoNode) {
    p.firstChild = child;
  } else {
    nodes_[p.lastChild].next = child;
  }
  p.lastChild = child;
  ++p.count;
}

NodeId Doc::copyFrom(const Doc& from, NodeId src) {
  const Node& n = from.nodes_[src];
  NodeId out;
  switch (n.type) {
    case Type::Null:
      out = addNull();
      break;
    case Type::Bool:
      out = addBool(n.boolean);
      break;
    case Type::Number:
      out = addNumber(n.number);
      break;
    case Type::String:
      out = addString(from.str(src));
      break;
    case Type::Array:
      out = addArray();
      break;
    case Type::Object:
      out = addObject();
      break;
    default:
      out = addNull();
      break;
  }
  bool isObject = n.type == Type::Object;
  for (NodeId c = n.firstChild; c != kNoNode; c = from.nodes_[c].next) {
    NodeId copy = copyFrom(from, c);
    append(out, copy, isObject ? from.key(c) : std::string_view());
  }
  return out;
}

NodeId Doc::member(NodeId object, std::string_view k) const {
  if (object == kNoNode || nodes_[object].type != Type::Object) return kNoNode;
  for (NodeId c = nodes_[object].firstChild; c != kNoNode; c = nodes_[c].next) {
    if (key(c) == k) return c;
  }
  return kNoNode;
}

NodeId Doc::element(NodeId array, uint32_t index) const {
  if (array == kNoNode || nodes_[array].type != Type::Array) return kNoNode;
  if (index >= nodes_[array].count) return kNoNode;
  NodeId c = nodes_[array].firstChild;
  while (index-- > 0) c = nodes_[c].next;
  return c;
}

NodeId Doc::path(NodeId from, std::string_view dotted) const {
  NodeId cur = from;
  size_t start = 0;
  while (cur != kNoNode) {
    size_t dot = dotted.find('.', start);
    std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    const Node& n = nodes_[cur];
    if (n.type == Type::Object) {
      cur = member(cur, part);
    } else if (n.type == Type::Array && !part.empty() && part.size() <= 9 &&
               part.find_first_not_of("0123456789") == std::string_view::npos &&
               (part.size() == 1 || part[0] != '0')) {
      uint32_t index = 0;
      for (char c : part) index = index * 10 + static_cast<uint32_t>(c - '0');
      cur = element(cur, index);
    } else {
      return kNoNode;
    }
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
  return kNoNode;
}

bool Doc::equal(const Doc& a, NodeId x, const Doc& b, NodeId y) {
  const Node& n = a.nodes_[x];
  const Node& m = b.nodes_[y];
  if (n.type != m.type) return false;
  switch (n.type) {
    case Type::Null:
      return true;
    case Type::Bool:
      return n.boolean == m.boolean;
    case Type::Number:
      return n.number == m.number;
    case Type::String:
      return a.str(x) == b.str(y);
    case Type::Array:
    case Type::Object: {
      if (n.count != m.count) return false;
      NodeId i = n.firstChild, j = m.firstChild;
      for (; i != kNoNode && j != kNoNode; i = a.nodes_[i].next, j = b.nodes_[j].next) {
        if (n.type == Type::Object && a.key(i) != b.key(j)) return false;
        if (!equal(a, i, b, j)) return false;
      }
      return true;
    }
  }
  return false;
}

void writeJsonString(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    // Copy runs of plain ASCII in one append; most text is such a run.
    size_t run = plainRunEnd(s, i);
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // Copy valid multi-byte sequences; replace anything else with U+FFFD.
      size_t n = 0;
      if ((c & 0xE0) == 0xC0)
        n = 2;
      else if ((c & 0xF0) == 0xE0)
        n = 3;
      else if ((c & 0xF8) == 0xF0)
        n = 4;
      bool ok = n != 0 && i + n <= s.size();
      uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
      for (size_t k = 1; ok && k < n; ++k) {
        unsigned char d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (d & 0x3F);
      }
      if (ok) {
        static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) ok = false;
      }
      if (ok) {
        // U+2028/2029 are valid JSON but break older JS string literals; escape them.
        if (cp == 0x2028 || cp == 0x2029) {
          out += cp == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
          out.append(s.data() + i, n);
        }
        i += n;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
    }
  }
  out += '"';
}

// ECMAScript Number::toString(10): the shortest digits that round-trip, laid out as plain
// decimals for exponents in [-7, 21) and as d.ddde±x outside.
size_t formatNumber(double v, char* buf) {
  if (!std::isfinite(v)) {
    std::strcpy(buf, "null");
    return 4;
  }
  if (v == 0) {
    std::strcpy(buf, "0");
    return 1;
  }
  bool negative = v < 0;
  char digits[24];
  int n;  // position of the decimal point
  int k = shortestDigits(negative ? -v : v, digits, n);
  size_t len = 0;
  if (negative) buf[len++] = '-';
  if (k <= n && n <= 21) {
    for (int i = 0; i < k; ++i) buf[len++] = digits[i];
    for (int i = k; i < n; ++i) buf[len++] = '0';
  } else if (0 < n && n <= 21) {
    for (int i = 0; i < n; ++i) buf[len++] = digits[i];
    buf[len++] = '.';
    for (int i = n; i < k; ++i) buf[len++] = digits[i];
  } else if (-6 < n && n <= 0) {
    buf[len++] = '0';
    buf[len++] = '.';
    for (int i = 0; i < -n; ++i) buf[len++] = '0';
    for (int i = 0; i < k; ++i) buf[len++] = digits[i];
  } else {
    buf[len++] = digits[0];
    if (k > 1) {
      buf[len++] = '.';
      for (int i = 1; i < k; ++i) buf[len++] = digits[i];
    }
    buf[len++] = 'e';
    buf[len++] = n - 1 < 0 ? '-' : '+';
    len += formatUnsigned(static_cast<uint64_t>(n - 1 < 0 ? 1 - n : n - 1), buf + len);
  }
  buf[len] = 0;
  return len;
}

void writeJsonNumber(double v, std::string& out) {
  char buf[kNumberTextCapacity];
  out.append(buf, formatNumber(v, buf));
}

bool Doc::appendText(NodeId id, std::string& out) const {
  if (id == kNoNode) return false;
  const Node& n = nodes_[id];
  switch (n.type) {
    case Type::String:
      out.append(str(id));
      return true;
    case Type::Number:
      writeJsonNumber(n.number, out);
      return true;
    case Type::Bool:
      out += n.boolean ? "true" : "false";
      return true;
    default:
      return false;
  }
}

void Doc::write(NodeId id, std::string& out) const {
  const Node& n = nodes_[id];
  switch (n.type) {
    case Type::Null:
      out += "null";
      break;
    case Type::Bool:
      out += n.boolean ? "true" : "false";
      break;
    case Type::Number:
      writeJsonNumber(n.number, out);
      break;
    case Type::String:
      writeJsonString(str(id), out);
      break;
    case Type::Array:
    case Type::Object: {
      bool isObject = n.type == Type::Object;
      out += isObject ? '{' : '[';
      for (NodeId c = n.firstChild; c != kNoNode; c = nodes_[c].next) {
        if (c != n.firstChild) out += ',';
        if (isObject) {
          writeJsonString(key(c), out);
          out += ':';
        }
        write(c, out);
      }
      out += isObject ? '}' : ']';
      break;
    }
  }
}

}  // namespace attune
