// A JSON document held in two flat arrays (nodes and characters).
//
// Why not nlohmann::json here: the visitor context is rebuilt for every page decision, and
// the hot path must not allocate. A Doc is cleared, not freed, between decisions, so after
// warm-up parsing and building reuse the same capacity. The same type holds the constants
// of compiled conditions, so comparisons are Doc-to-Doc. Being flat, it also serialises
// trivially into the compiled (binary) engine form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attune {

enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };

using NodeId = uint32_t;
constexpr NodeId kNoNode = 0xFFFFFFFFu;

struct Node {
  Type type = Type::Null;
  bool boolean = false;
  uint32_t count = 0;  // children of an array/object
  double number = 0;
  uint32_t strOff = 0;  // string value (String)
  uint32_t strLen = 0;
  uint32_t keyOff = 0;  // member key when the parent is an object
  uint32_t keyLen = 0;
  NodeId firstChild = kNoNode;
  NodeId lastChild = kNoNode;
  NodeId next = kNoNode;  // next sibling
};

struct ParseLimits {
  uint32_t maxDepth = 64;
  uint32_t maxBytes = 1u << 20;  // 1 MiB
  uint32_t maxNodes = 100000;
  // Per string value nested at least two levels deep ({"a": {"b": "here"}}), after
  // unescaping: bounds what regexes scan without refusing long top-level fields.
  uint32_t maxNestedStringBytes = 0xFFFFFFFFu;
};

struct ParseError {
  uint32_t offset = 0;
  std::string message;  // empty when parsing succeeded
};

class Doc {
 public:
  void clear() {
    nodes_.clear();
    chars_.clear();
  }

  // Parses `text` as one JSON value; the root is node 0. Strings must be valid UTF-8; lone
  // surrogate escapes become U+FFFD. Returns false (and fills `err`) on any error or limit.
  bool parse(std::string_view text, ParseError& err, const ParseLimits& limits = {});

  // Builders: create a detached node, then append it to a parent (with a key for objects).
  NodeId addNull();
  NodeId addBool(bool v);
  NodeId addNumber(double v);
  NodeId addString(std::string_view s);
  NodeId addArray();
  NodeId addObject();
  void append(NodeId parent, NodeId child, std::string_view key = {});
  // Copies the subtree `src` of `from` into this doc and returns the copy's id.
  NodeId copyFrom(const Doc& from, NodeId src);

  const Node& node(NodeId id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }
  Type type(NodeId id) const { return nodes_[id].type; }
  std::string_view str(NodeId id) const {
    const Node& n = nodes_[id];
    return {chars_.data() + n.strOff, n.strLen};
  }
  std::string_view key(NodeId id) const {
    const Node& n = nodes_[id];
    return {chars_.data() + n.keyOff, n.keyLen};
  }
  NodeId member(NodeId object, std::string_view key) const;
  NodeId element(NodeId array, uint32_t index) const;
  // Follows a dotted path ("geo.city", "items.0.sku"); array steps take decimal indexes.
  NodeId path(NodeId from, std::string_view dotted) const;

  // Deep equality; object members compare in order (as JSON.stringify would).
  static bool equal(const Doc& a, NodeId x, const Doc& b, NodeId y);

  // Appends the text a template shows for a string, number or boolean node (JavaScript's
  // String(v)); returns false for anything else, which templates treat as missing.
  bool appendText(NodeId id, std::string& out) const;

  // Compact JSON text of a subtree, appended to `out`.
  void write(NodeId id, std::string& out) const;

  // Raw storage, for the compiled-engine serialiser.
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::string& chars() const { return chars_; }
  std::vector<Node>& mutableNodes() { return nodes_; }
  std::string& mutableChars() { return chars_; }

 private:
  friend class JsonParser;
  uint32_t storeChars(std::string_view s);
  std::vector<Node> nodes_;
  std::string chars_;
  // Parser work buffers, kept so that re-parsing a document of the same shape allocates
  // nothing.
  std::string parseText_;
  std::string parseKeys_;
};

// Appends `s` to `out` as a JSON string literal (quotes included). Invalid UTF-8 bytes are
// replaced with U+FFFD so the output is always valid JSON.
void writeJsonString(std::string_view s, std::string& out);
// Appends a number the way JavaScript's String(n) prints it (shortest round-trip digits,
// runtime/number_format.h); NaN and infinities as null.
void writeJsonNumber(double v, std::string& out);
// The same text into buf (at least kNumberTextCapacity bytes); returns its length.
constexpr size_t kNumberTextCapacity = 40;
size_t formatNumber(double v, char* buf);

}  // namespace attune
