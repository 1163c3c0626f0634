// Tests for content templates (runtime/template.h): syntax, precise compile errors, missing
// values and fallbacks, hostile values and limits. The shared vectors
// (tests/vectors/templates.json) run through renderTemplateJson in test_vectors.cpp.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "template.h"
#include "utf8.h"

using namespace attune;

namespace {

using Values = std::map<std::string, std::string, std::less<>>;

struct MapResolver {
  const Values& values;
  bool operator()(std::string_view path, std::string& out) const {
    auto it = values.find(path);
    if (it == values.end()) return false;
    out += it->second;
    return true;
  }
};

CompiledTemplate compiled(std::string_view src) {
  CompiledTemplate t;
  std::string error;
  INFO("template: " << src << " error: " << error);
  REQUIRE(compileTemplate(src, t, error));
  CHECK(error.empty());
  return t;
}

std::string compileError(std::string_view src, const TemplateLimits& limits = {}) {
  CompiledTemplate t;
  t.parts.resize(3);  // stale content must not survive a failed compile
  std::string error;
  INFO("template: " << src);
  REQUIRE_FALSE(compileTemplate(src, t, error, limits));
  CHECK(t.parts.empty());
  CHECK(t.text.empty());
  return error;
}

// Renders; returns "<missing>" when the render is Missing.
std::string render(std::string_view src, const Values& values) {
  CompiledTemplate t = compiled(src);
  std::string out;
  if (renderTemplate(t, MapResolver{values}, out) == RenderStatus::Missing) {
    CHECK(out.empty());
    return "<missing>";
  }
  return out;
}

const Values kValues = {{"name", "Ada"},
                        {"geo.city", "Wien"},
                        {"empty", ""},
                        {"blank", " \t\xE3\x80\x80"},
                        {"html", "<script>alert(1)</script>"},
                        {"tpl", "{{name}}"},
                        {"emoji", "\xF0\x9F\x8E\x89"},
                        {"$x-y_1", "odd"}};

}  // namespace

TEST_CASE("templates render literals and values", "[template]") {
  CHECK(render("", kValues) == "");
  CHECK(render("Welcome", kValues) == "Welcome");
  CHECK(render("Hi {{name}}!", kValues) == "Hi Ada!");
  CHECK(render("{{name}}", kValues) == "Ada");
  CHECK(render("{{name}}{{name}}", kValues) == "AdaAda");
  CHECK(render("Deals in {{geo.city}}", kValues) == "Deals in Wien");
  CHECK(render("{{$x-y_1}}", kValues) == "odd");
  CHECK(render("Gr\xC3\xBC\xC3\x9F Gott, {{name}} \xF0\x9F\x91\x8B", kValues) ==
        "Gr\xC3\xBC\xC3\x9F Gott, Ada \xF0\x9F\x91\x8B");
}

TEST_CASE("placeholder whitespace and fallbacks", "[template]") {
  CHECK(render("Hi {{ name }}!", kValues) == "Hi Ada!");
  CHECK(render("Hi {{\tname\n}}!", kValues) == "Hi Ada!");
  CHECK(render("Hi {{ name | there }}!", kValues) == "Hi Ada!");
  CHECK(render("Hi {{ nick | there }}!", kValues) == "Hi there!");
  CHECK(render("Hi {{nick|dear  friend}}!", kValues) == "Hi dear  friend!");
  CHECK(render("Hello{{nick|}}!", kValues) == "Hello!");
  CHECK(render("Hello{{ nick | }}!", kValues) == "Hello!");
  CHECK(render("{{nick|a|b}}", kValues) == "a|b");
  CHECK(render("{{nick|{x}}}", kValues) == "{x}");
  CHECK(render("{{nick|Freund\xC2\xB7in \xF0\x9F\x8E\x89}}", kValues) ==
        "Freund\xC2\xB7in \xF0\x9F\x8E\x89");
  CHECK(render("{{nick|<b>hi</b>}}", kValues) == "<b>hi</b>");
}

TEST_CASE("missing values make the render Missing unless a fallback covers them", "[template]") {
  CHECK(render("Hi {{nick}}!", kValues) == "<missing>");
  CHECK(render("{{name}} in {{geo.region}}", kValues) == "<missing>");
  CHECK(render("Hi {{Name}}", kValues) == "<missing>");   // case-sensitive
  CHECK(render("Hi {{empty}}", kValues) == "<missing>");  // never "Hi "
  CHECK(render("Hi {{blank}}!", kValues) == "<missing>");
  CHECK(render("Hi {{empty|there}}!", kValues) == "Hi there!");
  CHECK(render("Hi {{blank|there}}!", kValues) == "Hi there!");

  // A Missing render leaves the caller's buffer as it found it.
  CompiledTemplate t = compiled("Hi {{name}} from {{nowhere}}");
  std::string out = "kept:";
  CHECK(renderTemplate(t, MapResolver{kValues}, out) == RenderStatus::Missing);
  CHECK(out == "kept:");
  // A resolver that appends and then reports missing does not leak its text.
  CompiledTemplate u = compiled("[{{x|fb}}]");
  out.clear();
  auto sloppy = [](std::string_view, std::string& o) {
    o += "junk";
    return false;
  };
  CHECK(renderTemplate(u, sloppy, out) == RenderStatus::Ok);
  CHECK(out == "[fb]");
}

TEST_CASE("values are plain text", "[template]") {
  CHECK(render("Hi {{html}}", kValues) == "Hi <script>alert(1)</script>");
  CHECK(render("Saw {{tpl}}", kValues) == "Saw {{name}}");  // no recursive expansion
  // The resolver sees exactly the trimmed path.
  CompiledTemplate t = compiled("{{  a.b-c.$d  |  x  }}");
  std::string seen, out;
  auto spy = [&](std::string_view path, std::string& o) {
    seen = std::string(path);
    o += "v";
    return true;
  };
  CHECK(renderTemplate(t, spy, out) == RenderStatus::Ok);
  CHECK(seen == "a.b-c.$d");
  CHECK(out == "v");
}

TEST_CASE("braces outside placeholders are literal", "[template]") {
  CHECK(render("{ name }", kValues) == "{ name }");
  CHECK(render("a } b { c", kValues) == "a } b { c");
  CHECK(render("}} and }}}", kValues) == "}} and }}}");
  CHECK(render("{{name}}}", kValues) == "Ada}");
  CHECK(render("{{name}}}}", kValues) == "Ada}}");
  CHECK(render("{ {{name}} }", kValues) == "{ Ada }");
}

TEST_CASE("compile errors are precise", "[template]") {
  CHECK(compileError("Hello {{name") == "unclosed {{ at offset 6");
  CHECK(compileError("Hi {{name}} {{") == "unclosed {{ at offset 12");
  CHECK(compileError("{{") == "unclosed {{ at offset 0");
  CHECK(compileError("{{}}") == "empty path at offset 2");
  CHECK(compileError("Hi {{ }}") == "empty path at offset 6");
  CHECK(compileError("{{ |there}}") == "empty path at offset 3");
  CHECK(compileError("Hi{{<}}") == "invalid character '<' in path at offset 4");
  CHECK(compileError("{{<script>}}") == "invalid character '<' in path at offset 2");
  CHECK(compileError("{{first name}}") == "invalid character ' ' in path at offset 7");
  CHECK(compileError("{{name!}}") == "invalid character '!' in path at offset 6");
  CHECK(compileError("{{n\xC3\xA1me}}") == "invalid character U+00E1 in path at offset 3");
  CHECK(compileError("{{\xF0\x9F\x8E\x89}}") == "invalid character U+1F389 in path at offset 2");
  CHECK(compileError("{{{name}}}") == "invalid character '{' in path at offset 2");
  CHECK(compileError("{{a|{{b}}}}") == "nested {{ at offset 4");
  CHECK(compileError("{{a {{b}}") == "nested {{ at offset 4");
  CHECK(compileError("{{geo..city}}") == "empty path segment at offset 6");
  CHECK(compileError("{{.name}}") == "empty path segment at offset 2");
  CHECK(compileError("{{name.}}") == "empty path segment at offset 7");
  CHECK(compileError("ok \xFF {{name}}") == "invalid UTF-8 at offset 3");
  CHECK(compileError("{{name|\xED\xA0\x80}}") == "invalid UTF-8 at offset 7");
  CHECK(compileError(std::string_view("{{na\0me}}", 9)) ==
        "invalid character U+0000 in path at offset 4");
}

TEST_CASE("template limits", "[template]") {
  std::string atLimit(4096, 'x');
  CHECK(compiled(atLimit).parts.size() == 1);
  CHECK(compileError(atLimit + "x") == "template is 4097 bytes; the limit is 4096");
  CHECK(compileError(std::string(10u << 20, '{')) ==
        "template is 10485760 bytes; the limit is 4096");

  std::string many;
  for (int i = 0; i < 64; ++i) many += "a{{name}}";  // 128 parts
  CHECK(compiled(many).parts.size() == 128);
  CHECK(compileError(many + "b") == "template has more than 128 parts");

  TemplateLimits tight;
  tight.maxBytes = 8;
  tight.maxParts = 2;
  CHECK(compileError("123456789", tight) == "template is 9 bytes; the limit is 8");
  CHECK(compileError("a{{b}}c", tight) == "template has more than 2 parts");
}

TEST_CASE("compiled templates are flat and reusable", "[template]") {
  CompiledTemplate t = compiled("Hi {{ name | there }}, see {{geo.city}}.");
  REQUIRE(t.parts.size() == 5);
  CHECK(t.parts[0].kind == TemplatePartKind::Literal);
  CHECK(t.slice(t.parts[0].offset, t.parts[0].length) == "Hi ");
  CHECK(t.parts[1].kind == TemplatePartKind::Path);
  CHECK(t.slice(t.parts[1].offset, t.parts[1].length) == "name");
  CHECK(t.parts[1].hasFallback);
  CHECK(t.slice(t.parts[1].fallbackOffset, t.parts[1].fallbackLength) == "there");
  CHECK_FALSE(t.parts[3].hasFallback);
  CHECK(t.slice(t.parts[4].offset, t.parts[4].length) == ".");
  CHECK(t.hasPaths());
  CHECK_FALSE(compiled("static").hasPaths());

  // A copy (as a serialiser would make) renders the same.
  CompiledTemplate copy;
  copy.parts = t.parts;
  copy.text = t.text;
  std::string a, b;
  renderTemplate(t, MapResolver{kValues}, a);
  renderTemplate(copy, MapResolver{kValues}, b);
  CHECK(a == "Hi Ada, see Wien.");
  CHECK(a == b);

  // Rendering into a warm buffer reuses its storage.
  std::string out;
  out.reserve(256);
  const char* storage = out.data();
  for (int i = 0; i < 1000; ++i) {
    out.clear();
    REQUIRE(renderTemplate(t, MapResolver{kValues}, out) == RenderStatus::Ok);
  }
  CHECK(out.data() == storage);

  // Recompiling into the same object replaces its content.
  std::string error;
  REQUIRE(compileTemplate("{{x}}", t, error));
  CHECK(t.parts.size() == 1);
  CHECK(t.text == "{{x}}");
}

TEST_CASE("rendered text is truncated by the caller", "[template]") {
  std::string text = render("Hello {{name}}, welcome back", kValues);
  applyMaxLength(text, 10);
  CHECK(text == "Hello Ada\xE2\x80\xA6");
  text = render("{{emoji}}{{emoji}}{{emoji}}", kValues);
  applyMaxLength(text, 2);
  CHECK(text == "\xF0\x9F\x8E\x89\xE2\x80\xA6");
}
