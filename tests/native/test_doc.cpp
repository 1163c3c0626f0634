// The flat JSON document: parsing limits, UTF-8, escapes, paths, equality, output.
#include <catch2/catch.hpp>

#include "doc.h"

using attune::Doc;
using attune::kNoNode;
using attune::ParseError;
using attune::ParseLimits;
using attune::Type;

namespace {

std::string roundTrip(const std::string& text) {
  Doc d;
  ParseError err;
  if (!d.parse(text, err)) return "error: " + err.message;
  std::string out;
  d.write(0, out);
  return out;
}

std::string parseError(const std::string& text, const ParseLimits& limits = {}) {
  Doc d;
  ParseError err;
  return d.parse(text, err, limits) ? "" : err.message;
}

}  // namespace

TEST_CASE("doc: round trips compact JSON", "[doc]") {
  CHECK(roundTrip(R"({"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d"},"":0})") ==
        R"({"a":[1,2.5,-300,true,false,null],"b":{"c":"d"},"":0})");
  CHECK(roundTrip(" [ ] ") == "[]");
  CHECK(roundTrip("\"\\u00e9\\ud83d\\ude00\\n\"") == "\"é😀\\n\"");
  CHECK(roundTrip("0.1") == "0.1");
  CHECK(roundTrip("123456789012") == "123456789012");
  // Fast path and strtod agree: exact decimals, negative zero, long mantissas, exponents.
  CHECK(roundTrip("[-0,0.1,0.3,-12.5,140.98,123456789012345,1234567890123456789,1.5e3,1e-7]") ==
        "[0,0.1,0.3,-12.5,140.98,123456789012345,1234567890123456800,1500,1e-7]");
  CHECK(roundTrip("0.000000000000000000001") == "1e-21");
  CHECK(roundTrip("9007199254740993") == "9007199254740992");
}

// Plain strings are taken as views of the source, the others are unescaped into a scratch
// buffer; keys of both kinds must survive their values' parsing at every depth.
TEST_CASE("doc: plain and escaped strings and keys mix at every depth", "[doc]") {
  CHECK(roundTrip(R"({"plain":{"k\u0065y":{"inner":"v","x\ty":"a\"b"},"after":"c"},"z":""})") ==
        R"({"plain":{"key":{"inner":"v","x\ty":"a\"b"},"after":"c"},"z":""})");
  // An escape or a non-ASCII character after a run of plain text, and plain text after them.
  CHECK(
      roundTrip("[\"abc\\ndef\",\"Gr\xC3\xBC\xC3\x9F Gott\",\"\xC3\xA9t\xC3\xA9\",\"tail\\\\\"]") ==
      "[\"abc\\ndef\",\"Gr\xC3\xBC\xC3\x9F Gott\",\"\xC3\xA9t\xC3\xA9\",\"tail\\\\\"]");
  Doc d;
  ParseError err;
  REQUIRE(d.parse(R"({"a\u0062":{"c":{"d\u0065":1}},"f":2})", err));
  CHECK(d.path(0, "ab.c.de") != kNoNode);
  CHECK(d.member(0, "f") != kNoNode);
  CHECK(parseError("\"abc") == "unterminated string");
  CHECK(parseError("\"abc\x01\"") == "control character in string (must be escaped)");
  CHECK(parseError("\"ab\xFF"
                   "c\"") == "invalid UTF-8 in string");
}

TEST_CASE("doc: lone surrogate escapes become U+FFFD", "[doc][utf8]") {
  CHECK(roundTrip("\"a\\ud800b\"") ==
        "\"a\xEF\xBF\xBD"
        "b\"");
  CHECK(roundTrip("\"\\udc00\"") == "\"\xEF\xBF\xBD\"");
  CHECK(roundTrip("\"\\ud800\\u0041\"") ==
        "\"\xEF\xBF\xBD"
        "A\"");
}

TEST_CASE("doc: invalid input is an error with a message, never a crash", "[doc]") {
  CHECK(parseError("") == "unexpected end of input");
  CHECK(parseError("{\"a\" 1}") == "expected ':' after object key");
  CHECK(parseError("[1,]").find("unexpected character") == 0);
  CHECK(parseError("\"abc") == "unterminated string");
  CHECK(parseError("\"a\x01\"").find("control character") == 0);
  CHECK(parseError("01") == "unexpected text after the JSON value");
  CHECK(parseError("1e999") == "number out of range");
  CHECK(parseError("nul") == "expected 'null'");
  CHECK(parseError("\"\\q\"").find("invalid escape") == 0);
  CHECK(parseError(std::string("\"\xC3\x28\"")) == "invalid UTF-8 in string");
  CHECK(parseError(std::string("\"\xED\xA0\x80\"")) == "invalid UTF-8 in string");  // surrogate
  CHECK(parseError(std::string("\"\xC0\xAF\"")) == "invalid UTF-8 in string");      // overlong
}

TEST_CASE("doc: depth, size and node limits are enforced", "[doc][limits]") {
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(parseError(deep) == "nesting deeper than 64 levels");
  ParseLimits small;
  small.maxBytes = 100;
  CHECK(parseError(std::string(1000, ' ') + "1", small).find("the limit is 100") !=
        std::string::npos);
  small.maxBytes = 1u << 20;
  small.maxNodes = 10;
  CHECK(parseError("[1,2,3,4,5,6,7,8,9,10,11]", small) == "more than 10 values");
  std::string huge = "\"" + std::string(10u << 20, 'x') + "\"";
  ParseLimits big;
  big.maxBytes = 16u << 20;
  Doc d;
  ParseError err;
  REQUIRE(d.parse(huge, err, big));
  CHECK(d.str(0).size() == (10u << 20));
}

TEST_CASE("doc: dotted paths through objects and array indexes", "[doc]") {
  Doc d;
  ParseError err;
  REQUIRE(d.parse(R"({"a":{"b":[{"c":1},{"c":2}]},"x.y":3})", err));
  CHECK(d.node(d.path(0, "a.b.1.c")).number == 2);
  CHECK(d.path(0, "a.b.2.c") == kNoNode);
  CHECK(d.path(0, "a.b.01.c") == kNoNode);
  CHECK(d.path(0, "a.b.length") == kNoNode);
  CHECK(d.path(0, "a.missing") == kNoNode);
  CHECK(d.path(0, "x.y") == kNoNode);  // dots always split
  CHECK(d.type(d.path(0, "a")) == Type::Object);
}

TEST_CASE("doc: equality follows member order like JSON.stringify", "[doc]") {
  Doc a, b, c;
  ParseError err;
  REQUIRE(a.parse(R"({"x":1,"y":[1,"2"]})", err));
  REQUIRE(b.parse(R"({"x":1,"y":[1,"2"]})", err));
  REQUIRE(c.parse(R"({"y":[1,"2"],"x":1})", err));
  CHECK(Doc::equal(a, 0, b, 0));
  CHECK_FALSE(Doc::equal(a, 0, c, 0));
}

TEST_CASE("doc: output escapes control characters and replaces invalid UTF-8", "[doc][utf8]") {
  std::string out;
  attune::writeJsonString(std::string("a\"\\\x01\xFF\xE2\x80\xA8z"), out);
  CHECK(out == "\"a\\\"\\\\\\u0001\xEF\xBF\xBD\\u2028z\"");
}

TEST_CASE("doc: numbers print like JavaScript's String(n)", "[doc]") {
  auto text = [](double v) {
    std::string out;
    attune::writeJsonNumber(v, out);
    return out;
  };
  CHECK(text(0) == "0");
  CHECK(text(-0.0) == "0");
  CHECK(text(42) == "42");
  CHECK(text(0.1) == "0.1");
  CHECK(text(1.0 / 3) == "0.3333333333333333");
  CHECK(text(-2.5) == "-2.5");
  CHECK(text(0.000001) == "0.000001");
  CHECK(text(1.5e-7) == "1.5e-7");
  CHECK(text(1e20) == "100000000000000000000");
  CHECK(text(1e21) == "1e+21");
  CHECK(text(-1.2345e-10) == "-1.2345e-10");
  CHECK(text(123456.789) == "123456.789");
  CHECK(text(5e-324) == "5e-324");
  CHECK(text(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(text(9007199254740993.0) == "9007199254740992");
}
