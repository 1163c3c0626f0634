// The visitor's behaviour memory: event validation, bounded counters, decaying interests,
// cart, purchases, and the context and trigger views conditions read from them.
//
// Time model: everything is computed from the `nowMs` passed in. Day buckets and the d1/d7/
// d30/d90 windows use UTC calendar days (floor(ms / kMsPerDay)); `dN` sums the buckets of
// today and the N - 1 days before it. Only `birthday` uses the visitor's local calendar.
#include "profile.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "local_time.h"
#include "utf8.h"

namespace attune {

namespace {

enum class Kind : uint8_t {
  PageView,
  Search,
  AddToCart,
  RemoveFromCart,
  Purchase,
  EmailClick,
  Signup,
  Impression,
  Click,
  Dismiss,
  Conversion,
  Custom,
};

struct BuiltInType {
  std::string_view name;
  Kind kind;
};

// Also the order of `behavior.counts` in the context: built-in types always appear there
// (zeros when never seen) so a condition on a missing count reads 0, not "absent".
constexpr BuiltInType kBuiltInTypes[] = {
    {"page_view", Kind::PageView},    {"search", Kind::Search},
    {"add_to_cart", Kind::AddToCart}, {"remove_from_cart", Kind::RemoveFromCart},
    {"purchase", Kind::Purchase},     {"email_click", Kind::EmailClick},
    {"signup", Kind::Signup},         {"impression", Kind::Impression},
    {"click", Kind::Click},           {"dismiss", Kind::Dismiss},
    {"conversion", Kind::Conversion},
};

// Limits on props that are validated but not stored (or stored within the key bounds).
constexpr size_t kMaxListEntries = 16;        // categories, tags
constexpr size_t kMaxCartItemCategories = 8;  // union kept per cart line
constexpr size_t kMaxPurchaseItems = 100;
constexpr double kMaxQuantity = 1000000;  // per event and per cart line (merges saturate)
constexpr double kMaxAmount = 1e15;       // amounts, prices, values: whole units stay exact
constexpr size_t kMaxPathBytes = 2048;
constexpr size_t kMaxIdBytes = 256;      // campaign ids, decision tokens
constexpr double kMaxTimeMs = 8.64e15;   // the JavaScript Date range
constexpr double kMinShownScore = 0.01;  // decayed interests below this are "gone"
constexpr size_t kMaxTopInterests = 10;
constexpr size_t kMaxDeclaredInterests = kMaxInterests;
constexpr size_t kNoIndex = static_cast<size_t>(-1);

Kind kindOf(std::string_view type) {
  for (const BuiltInType& b : kBuiltInTypes) {
    if (b.name == type) return b.kind;
  }
  return Kind::Custom;
}

bool isBuiltIn(std::string_view type) {
  return kindOf(type) != Kind::Custom;
}

bool validTypeName(std::string_view type) {
  if (type.empty() || type.size() > kMaxKeyBytes) return false;
  for (char c : type) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    DecodedChar d = decodeUtf8(s, i);
    if (!d.valid) return false;
    i += d.size;
  }
  return true;
}

// A hostile string in an error message: its first 64 bytes as a JSON string, so messages
// stay short and printable whatever the input.
void appendQuoted(std::string_view s, std::string& out) {
  writeJsonString(s.substr(0, kMaxKeyBytes), out);
  if (s.size() > kMaxKeyBytes) out.insert(out.size() - 1, "\xE2\x80\xA6");  // "…" inside
}

// A property name in an error message: as is when it is a plain identifier, else quoted.
void appendShownName(std::string_view name, std::string& out) {
  bool plain = !name.empty() && name.size() <= kMaxKeyBytes;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '$')) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(name);
    return;
  }
  appendQuoted(name, out);
}

bool sensitive(const ProfileSettings& settings, std::string_view key) {
  const auto& list = settings.sensitiveInterests;
  auto it = std::lower_bound(
      list.begin(), list.end(), key,
      [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
  return it != list.end() && std::string_view(*it) == key;
}

bool storable(const ProfileSettings& settings, const ConsentGate& consent, std::string_view key) {
  return consent.allows(Purpose::Sensitive) || !sensitive(settings, key);
}

double decayed(double score, double updatedMs, double atMs, double halfLifeMs) {
  if (halfLifeMs <= 0 || atMs <= updatedMs) return score;
  return score * std::exp2(-(atMs - updatedMs) / halfLifeMs);
}

// Clamped to ±1e9 days before the cast: stored times come from blobs and cookies, which may
// hold any finite value, and day arithmetic (today - 90) must stay inside int32.
int32_t dayOf(double ms) {
  const double day = std::floor(ms / kMsPerDay);
  if (!(day > -1e9)) return -1000000000;
  return static_cast<int32_t>(std::min(day, 1e9));
}

double daysBetween(double fromMs, double toMs) {
  return std::max(0.0, (toMs - fromMs) / kMsPerDay);
}

// ---------------------------------------------------------------------------------------
// Validation. Everything is checked before anything changes; the node ids of the fields
// are kept so the apply step reads them without checking again.

struct ItemFields {
  NodeId sku = kNoNode;
  NodeId quantity = kNoNode;
  NodeId price = kNoNode;
  NodeId categories = kNoNode;
};

struct EventFields {
  ItemFields item;  // add_to_cart / remove_from_cart: sku, quantity, price, categories
  NodeId tags = kNoNode;
  NodeId path = kNoNode;
  NodeId query = kNoNode;
  NodeId amount = kNoNode;
  NodeId currency = kNoNode;
  NodeId items = kNoNode;
  NodeId campaign = kNoNode;
  NodeId token = kNoNode;
  NodeId value = kNoNode;
};

// Which slot a property of `kind` fills, or nullptr when the property is unknown.
NodeId* slotFor(Kind kind, std::string_view name, EventFields& f) {
  switch (kind) {
    case Kind::PageView:
      if (name == "categories") return &f.item.categories;
      if (name == "tags") return &f.tags;
      if (name == "path") return &f.path;
      return nullptr;
    case Kind::Search:
      return name == "query" ? &f.query : nullptr;
    case Kind::AddToCart:
      if (name == "price") return &f.item.price;
      if (name == "categories") return &f.item.categories;
      [[fallthrough]];
    case Kind::RemoveFromCart:
      if (name == "sku") return &f.item.sku;
      if (name == "quantity") return &f.item.quantity;
      return nullptr;
    case Kind::Purchase:
      if (name == "amount") return &f.amount;
      if (name == "currency") return &f.currency;
      if (name == "items") return &f.items;
      return nullptr;
    case Kind::EmailClick:
      return name == "campaign" ? &f.campaign : nullptr;
    case Kind::Impression:
    case Kind::Click:
    case Kind::Dismiss:
    case Kind::Conversion:
      if (name == "token") return &f.token;
      if (name == "campaign") return &f.campaign;
      if (name == "value") return &f.value;
      return nullptr;
    case Kind::Signup:
    case Kind::Custom:
      return nullptr;
  }
  return nullptr;
}

NodeId* itemSlotFor(std::string_view name, ItemFields& f) {
  if (name == "sku") return &f.sku;
  if (name == "quantity") return &f.quantity;
  if (name == "price") return &f.price;
  if (name == "categories") return &f.categories;
  return nullptr;
}

class PropsCheck {
 public:
  PropsCheck(const Doc& doc, std::string_view type, std::string& error)
      : doc_(doc), type_(type), error_(error) {}

  bool fail(std::string_view prefix, std::string_view field, size_t index,
            std::string_view message) {
    error_.assign(type_);
    if (!prefix.empty()) {
      error_ += '.';
      error_.append(prefix);
    }
    if (!field.empty()) {
      error_ += '.';
      appendShownName(field, error_);
    }
    if (index != kNoIndex) {
      error_ += '.';
      error_ += std::to_string(index);
    }
    error_ += ": ";
    error_.append(message);
    return false;
  }

  // Fills the slots from the members of `object`; unknown and repeated names are errors.
  template <typename Fields, typename SlotFor>
  bool collect(NodeId object, std::string_view prefix, Fields& fields, SlotFor slotFor) {
    if (doc_.type(object) != Type::Object) {
      return fail(prefix, {}, kNoIndex, "must be an object");
    }
    for (NodeId c = doc_.node(object).firstChild; c != kNoNode; c = doc_.node(c).next) {
      std::string_view name = doc_.key(c);
      NodeId* slot = slotFor(name, fields);
      if (slot == nullptr) return fail(prefix, name, kNoIndex, "unknown property");
      if (*slot != kNoNode) return fail(prefix, name, kNoIndex, "repeated property");
      *slot = c;
    }
    return true;
  }

  // A key (sku, category): 1–64 bytes of UTF-8.
  const char* keyProblem(NodeId n) const {
    if (doc_.type(n) != Type::String) return "must be a string";
    std::string_view s = doc_.str(n);
    if (s.empty()) return "must not be empty";
    if (s.size() > kMaxKeyBytes) return "longer than 64 bytes";
    if (!validUtf8(s)) return "must be valid UTF-8";
    return nullptr;
  }

  bool key(NodeId n, std::string_view prefix, std::string_view field) {
    if (n == kNoNode) return true;
    const char* problem = keyProblem(n);
    return problem ? fail(prefix, field, kNoIndex, problem) : true;
  }

  bool required(NodeId n, std::string_view prefix, std::string_view field) {
    return n != kNoNode ? true : fail(prefix, field, kNoIndex, "is required");
  }

  bool keyList(NodeId n, std::string_view prefix, std::string_view field) {
    if (n == kNoNode) return true;
    if (doc_.type(n) != Type::Array) return fail(prefix, field, kNoIndex, "must be an array");
    if (doc_.node(n).count > kMaxListEntries) {
      return fail(prefix, field, kNoIndex, "at most 16 entries");
    }
    size_t i = 0;
    for (NodeId c = doc_.node(n).firstChild; c != kNoNode; c = doc_.node(c).next, ++i) {
      if (const char* problem = keyProblem(c)) return fail(prefix, field, i, problem);
    }
    return true;
  }

  bool text(NodeId n, std::string_view prefix, std::string_view field, size_t maxBytes) {
    if (n == kNoNode) return true;
    if (doc_.type(n) != Type::String) return fail(prefix, field, kNoIndex, "must be a string");
    if (doc_.str(n).size() > maxBytes) {
      return fail(prefix, field, kNoIndex, "longer than " + std::to_string(maxBytes) + " bytes");
    }
    return true;
  }

  bool quantity(NodeId n, std::string_view prefix) {
    if (n == kNoNode) return true;
    double v = doc_.type(n) == Type::Number ? doc_.node(n).number : 0;
    if (!(v >= 1 && v <= kMaxQuantity) || v != std::floor(v)) {
      return fail(prefix, "quantity", kNoIndex, "must be a whole number from 1 to 1000000");
    }
    return true;
  }

  bool nonNegative(NodeId n, std::string_view prefix, std::string_view field) {
    if (n == kNoNode) return true;
    if (doc_.type(n) != Type::Number || !(doc_.node(n).number >= 0)) {
      return fail(prefix, field, kNoIndex, "must be a non-negative number");
    }
    if (!(doc_.node(n).number <= kMaxAmount)) {
      return fail(prefix, field, kNoIndex, "must be at most 1e15");
    }
    return true;
  }

  bool currency(NodeId n) {
    if (n == kNoNode) return true;
    std::string_view s = doc_.type(n) == Type::String ? doc_.str(n) : std::string_view();
    bool ok = s.size() == 3;
    for (char c : s) ok = ok && c >= 'A' && c <= 'Z';
    return ok ? true : fail({}, "currency", kNoIndex, "must be a 3-letter ISO 4217 code (\"EUR\")");
  }

  bool item(const ItemFields& f, std::string_view prefix, bool withPriceAndCategories) {
    if (!required(f.sku, prefix, "sku") || !key(f.sku, prefix, "sku")) return false;
    if (!quantity(f.quantity, prefix)) return false;
    if (!withPriceAndCategories) return true;
    return nonNegative(f.price, prefix, "price") && keyList(f.categories, prefix, "categories");
  }

  bool purchaseItems(NodeId items) {
    if (items == kNoNode) return true;
    if (doc_.type(items) != Type::Array) return fail({}, "items", kNoIndex, "must be an array");
    if (doc_.node(items).count > kMaxPurchaseItems) {
      return fail({}, "items", kNoIndex, "at most 100 entries");
    }
    size_t i = 0;
    for (NodeId c = doc_.node(items).firstChild; c != kNoNode; c = doc_.node(c).next, ++i) {
      ItemFields f;
      std::string prefix = "items." + std::to_string(i);
      if (!collect(c, prefix, f, itemSlotFor) || !item(f, prefix, true)) return false;
    }
    return true;
  }

 private:
  const Doc& doc_;
  std::string_view type_;
  std::string& error_;
};

bool validateEvent(Kind kind, std::string_view type, const Doc& doc, NodeId props, EventFields& f,
                   std::string& error) {
  if (kind == Kind::Custom) return true;  // custom events: props are ignored
  PropsCheck check(doc, type, error);
  if (props != kNoNode) {
    if (props >= doc.size()) return check.fail({}, {}, kNoIndex, "properties must be an object");
    auto slot = [kind](std::string_view name, EventFields& fields) {
      return slotFor(kind, name, fields);
    };
    if (doc.type(props) != Type::Object) {
      return check.fail({}, {}, kNoIndex, "properties must be an object");
    }
    if (!check.collect(props, {}, f, slot)) return false;
  }
  switch (kind) {
    case Kind::PageView:
      return check.keyList(f.item.categories, {}, "categories") &&
             check.keyList(f.tags, {}, "tags") && check.text(f.path, {}, "path", kMaxPathBytes);
    case Kind::Search:
      return check.required(f.query, {}, "query") &&
             check.text(f.query, {}, "query", kMaxQueryBytes);
    case Kind::AddToCart:
      return check.item(f.item, {}, true);
    case Kind::RemoveFromCart:
      return check.item(f.item, {}, false);
    case Kind::Purchase:
      return check.required(f.amount, {}, "amount") && check.nonNegative(f.amount, {}, "amount") &&
             check.currency(f.currency) && check.purchaseItems(f.items);
    case Kind::EmailClick:
      return check.text(f.campaign, {}, "campaign", kMaxIdBytes);
    case Kind::Impression:
    case Kind::Click:
    case Kind::Dismiss:
    case Kind::Conversion:
      return check.text(f.token, {}, "token", kMaxIdBytes) &&
             check.text(f.campaign, {}, "campaign", kMaxIdBytes) &&
             check.nonNegative(f.value, {}, "value");
    case Kind::Signup:
    case Kind::Custom:
      return true;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Applying a valid event.

void touchSession(Profile& p, const ProfileSettings& s, double now) {
  if (p.empty()) {
    p.firstSeenMs = p.sessionStartMs = p.lastSeenMs = now;
    p.sessions = 1;
    return;
  }
  double gap = now - p.lastSeenMs;
  if (gap > s.sessionTimeoutMs) {
    p.previousVisitMs = p.lastSeenMs;
    if (gap >= s.lapsedReturnAfterDays * kMsPerDay) p.lapsedReturnMs = now;
    if (p.sessions < std::numeric_limits<uint32_t>::max()) ++p.sessions;
    p.sessionStartMs = now;
  }
  p.lastSeenMs = std::max(p.lastSeenMs, now);
}

EventCounter& counterFor(Profile& p, std::string_view type, double now) {
  for (EventCounter& c : p.counters) {
    if (c.type == type) return c;
  }
  EventCounter* slot = nullptr;
  if (p.counters.size() >= kMaxEventTypes) {
    for (EventCounter& c : p.counters) {
      if (isBuiltIn(c.type)) continue;
      if (slot == nullptr || c.lastMs < slot->lastMs) slot = &c;
    }
  }
  if (slot == nullptr) {
    p.counters.emplace_back();
    slot = &p.counters.back();
  }
  slot->type.assign(type);
  slot->lifetime = 0;
  slot->firstMs = slot->lastMs = now;
  slot->days.clear();
  return *slot;
}

void countDay(EventCounter& c, int32_t day, int32_t today) {
  const int32_t oldest = today - static_cast<int32_t>(kMaxDayBuckets - 1);
  auto keep = std::lower_bound(c.days.begin(), c.days.end(), oldest,
                               [](const DayCount& d, int32_t v) { return d.day < v; });
  c.days.erase(c.days.begin(), keep);
  if (day >= oldest) {
    auto at = std::lower_bound(c.days.begin(), c.days.end(), day,
                               [](const DayCount& d, int32_t v) { return d.day < v; });
    if (at != c.days.end() && at->day == day) {
      if (at->count < std::numeric_limits<uint32_t>::max()) ++at->count;
    } else {
      DayCount bucket;
      bucket.day = day;
      bucket.count = 1;
      c.days.insert(at, bucket);
    }
  }
  if (c.days.size() > kMaxDayBuckets) {
    c.days.erase(c.days.begin(), c.days.end() - static_cast<std::ptrdiff_t>(kMaxDayBuckets));
  }
}

void countEvent(Profile& p, std::string_view type, double now) {
  EventCounter& c = counterFor(p, type, now);
  ++c.lifetime;
  c.lastMs = std::max(c.lastMs, now);
  countDay(c, dayOf(now), dayOf(std::max(p.lastSeenMs, now)));
}

void addInterest(Profile& p, const ProfileSettings& s, std::string_view key, double weight,
                 double now) {
  const double h = s.interestHalfLifeMs;
  for (InterestScore& i : p.interests) {
    if (i.key != key) continue;
    if (now >= i.updatedMs) {
      i.score = decayed(i.score, i.updatedMs, now, h) + weight;
      i.updatedMs = now;
    } else {
      i.score += decayed(weight, now, i.updatedMs, h);  // a late event, aged to updatedMs
    }
    return;
  }
  InterestScore* slot = nullptr;
  if (p.interests.size() >= kMaxInterests) {
    double lowest = 0;
    for (InterestScore& i : p.interests) {
      double v = decayed(i.score, i.updatedMs, now, h);
      if (slot == nullptr || v < lowest) {
        slot = &i;
        lowest = v;
      }
    }
    if (weight < lowest) return;  // weaker than everything kept: not worth an eviction
  } else {
    p.interests.emplace_back();
    slot = &p.interests.back();
  }
  slot->key.assign(key);
  slot->score = weight;
  slot->updatedMs = now;
}

// Calls fn(key) for each distinct string of a validated key list.
template <typename Fn>
void forEachDistinct(const Doc& doc, NodeId list, Fn fn) {
  if (list == kNoNode) return;
  for (NodeId c = doc.node(list).firstChild; c != kNoNode; c = doc.node(c).next) {
    bool seen = false;
    for (NodeId e = doc.node(list).firstChild; e != c && !seen; e = doc.node(e).next) {
      seen = doc.str(e) == doc.str(c);
    }
    if (!seen) fn(doc.str(c));
  }
}

void addInterests(Profile& p, const ProfileSettings& s, const ConsentGate& consent, const Doc& doc,
                  NodeId list, double weight, double now) {
  forEachDistinct(doc, list, [&](std::string_view key) {
    if (storable(s, consent, key)) addInterest(p, s, key, weight, now);
  });
}

CartItem* findCartLine(Profile& p, std::string_view sku) {
  for (CartItem& line : p.cart) {
    if (line.sku == sku) return &line;
  }
  return nullptr;
}

void addToCart(Profile& p, const ProfileSettings& s, const ConsentGate& consent, const Doc& doc,
               const ItemFields& f, double now) {
  std::string_view sku = doc.str(f.sku);
  double quantity = f.quantity == kNoNode ? 1 : doc.node(f.quantity).number;
  CartItem* line = findCartLine(p, sku);
  if (line == nullptr) {
    p.cart.emplace_back();
    line = &p.cart.back();
    line->sku.assign(sku);
  }
  line->quantity = static_cast<uint32_t>(std::min(kMaxQuantity, line->quantity + quantity));
  if (f.price != kNoNode) line->price = doc.node(f.price).number;  // the latest price given
  forEachDistinct(doc, f.categories, [&](std::string_view category) {
    if (line->categories.size() >= kMaxCartItemCategories || !storable(s, consent, category)) {
      return;
    }
    for (const std::string& have : line->categories) {
      if (have == category) return;
    }
    line->categories.emplace_back(category);
  });
  p.cartUpdatedMs = std::max(p.cartUpdatedMs, now);
}

void removeFromCart(Profile& p, const Doc& doc, const ItemFields& f, double now) {
  CartItem* line = findCartLine(p, doc.str(f.sku));
  if (line == nullptr) return;  // nothing to remove: not an error, the cart may be stale
  if (f.quantity != kNoNode && doc.node(f.quantity).number < line->quantity) {
    line->quantity -= static_cast<uint32_t>(doc.node(f.quantity).number);
  } else {
    p.cart.erase(p.cart.begin() + (line - p.cart.data()));
  }
  p.cartUpdatedMs = std::max(p.cartUpdatedMs, now);
}

void recordCategoryPurchase(Profile& p, std::string_view category, double now) {
  CategoryPurchase* slot = nullptr;
  for (CategoryPurchase& c : p.categoryPurchases) {
    if (c.category == category) {
      c.lastMs = std::max(c.lastMs, now);
      return;
    }
    if (slot == nullptr || c.lastMs < slot->lastMs) slot = &c;
  }
  if (p.categoryPurchases.size() < kMaxCategoryPurchases) {
    p.categoryPurchases.emplace_back();
    slot = &p.categoryPurchases.back();
  } else if (now < slot->lastMs) {
    return;  // a late event older than everything kept
  }
  slot->category.assign(category);
  slot->lastMs = now;
}

void purchase(Profile& p, const ProfileSettings& s, const ConsentGate& consent, const Doc& doc,
              const EventFields& f, double now) {
  if (p.purchases < std::numeric_limits<uint32_t>::max()) ++p.purchases;
  p.totalSpend += doc.node(f.amount).number;
  p.lastPurchaseMs = std::max(p.lastPurchaseMs, now);
  if (f.items != kNoNode) {
    for (NodeId it = doc.node(f.items).firstChild; it != kNoNode; it = doc.node(it).next) {
      NodeId categories = doc.member(it, "categories");
      addInterests(p, s, consent, doc, categories, s.purchaseWeight, now);
      forEachDistinct(doc, categories, [&](std::string_view category) {
        if (storable(s, consent, category)) recordCategoryPurchase(p, category, now);
      });
    }
  }
  // A late purchase (older than the last cart change) leaves the newer cart alone.
  if (now >= p.cartUpdatedMs) {
    p.cart.clear();
    p.cartUpdatedMs = now;
  }
}

// ---------------------------------------------------------------------------------------
// Reading the profile.

struct Rfm {
  int recency = 1;
  int frequency = 1;
  int monetary = 1;
  const char* tier = "none";
};

int scoreAtLeast(double v, const double (&edges)[4]) {
  for (int i = 3; i >= 0; --i) {
    if (v >= edges[i]) return i + 2;
  }
  return 1;
}

Rfm rfmOf(const Profile& p, const ProfileSettings& s, double now) {
  Rfm r;
  if (p.purchases == 0) return r;  // no purchase, no score: 1/1/1 "none"
  double days = daysBetween(p.lastPurchaseMs, now);
  r.recency = 1;
  for (int i = 0; i < 4; ++i) {
    if (days <= s.rfmRecencyDays[i]) {
      r.recency = 5 - i;
      break;
    }
  }
  r.frequency = scoreAtLeast(p.purchases, s.rfmFrequency);
  r.monetary = scoreAtLeast(p.totalSpend, s.rfmMonetary);
  if (r.recency >= 4 && r.frequency >= 4 && r.monetary >= 4) {
    r.tier = "champion";
  } else if (r.frequency >= 4) {
    r.tier = "loyal";
  } else if (r.monetary >= 4) {
    r.tier = "big_spender";
  } else if (r.recency <= 2 && (r.frequency >= 3 || r.monetary >= 3)) {
    r.tier = "at_risk";
  } else if (r.recency >= 4) {
    r.tier = "new_customer";
  } else {
    r.tier = "occasional";
  }
  return r;
}

// Days since the last visit as conditions mean it: during a visit, the gap before it.
bool daysSinceLastVisit(const Profile& p, const ProfileSettings& s, double now, double& days) {
  if (p.empty()) return false;
  if (now - p.lastSeenMs <= s.sessionTimeoutMs) {
    if (p.previousVisitMs == 0) return false;
    days = daysBetween(p.previousVisitMs, p.sessionStartMs);
    return true;
  }
  days = daysBetween(p.lastSeenMs, now);
  return true;
}

const char* lifecycleOf(const Profile& p, const ProfileSettings& s, double now) {
  if (p.empty() || p.sessions <= 1) return "new";
  double days = 0;
  daysSinceLastVisit(p, s, now, days);
  if (days <= s.lifecycleActiveDays) return "active";
  if (days <= s.lifecycleLapsedDays) return "lapsed";
  return "dormant";
}

const Profile& emptyProfile() {
  static const Profile kEmpty;
  return kEmpty;
}

void addNumber(Doc& ctx, NodeId parent, std::string_view key, double v) {
  ctx.append(parent, ctx.addNumber(v), key);
}

void writeCounts(Doc& ctx, NodeId parent, std::string_view type, const EventCounter* c,
                 int32_t today) {
  static constexpr int kWindows[] = {1, 7, 30, 90};
  static constexpr std::string_view kNames[] = {"d1", "d7", "d30", "d90"};
  NodeId o = ctx.addObject();
  for (size_t w = 0; w < 4; ++w) {
    double sum = 0;
    if (c != nullptr) {
      for (const DayCount& d : c->days) {
        if (d.day > today - kWindows[w]) sum += d.count;
      }
    }
    addNumber(ctx, o, kNames[w], sum);
  }
  addNumber(ctx, o, "lifetime", c != nullptr ? static_cast<double>(c->lifetime) : 0);
  ctx.append(parent, o, type);
}

void writeBehavior(const Profile& p, const ProfileSettings& s, double now, Doc& ctx, NodeId root) {
  const int32_t today = dayOf(now);
  NodeId behavior = ctx.addObject();
  NodeId counts = ctx.addObject();
  for (const BuiltInType& b : kBuiltInTypes) {
    const EventCounter* found = nullptr;
    for (const EventCounter& c : p.counters) {
      if (c.type == b.name) found = &c;
    }
    writeCounts(ctx, counts, b.name, found, today);
  }
  for (const EventCounter& c : p.counters) {
    if (!isBuiltIn(c.type)) writeCounts(ctx, counts, c.type, &c, today);
  }
  ctx.append(behavior, counts, "counts");
  addNumber(ctx, behavior, "sessions", p.sessions);
  double days;
  if (daysSinceLastVisit(p, s, now, days)) addNumber(ctx, behavior, "daysSinceLastVisit", days);
  if (p.lastPurchaseMs != 0) {
    addNumber(ctx, behavior, "daysSinceLastPurchase", daysBetween(p.lastPurchaseMs, now));
  }
  if (!p.empty()) {
    addNumber(ctx, behavior, "daysSinceFirstVisit", daysBetween(p.firstSeenMs, now));
  }
  ctx.append(root, behavior, "behavior");
}

void writeCart(const Profile& p, const ProfileSettings& s, double now, Doc& ctx, NodeId root) {
  NodeId cart = ctx.addObject();
  NodeId items = ctx.addArray();
  double count = 0, value = 0;
  for (const CartItem& line : p.cart) {
    NodeId item = ctx.addObject();
    ctx.append(item, ctx.addString(line.sku), "sku");
    addNumber(ctx, item, "quantity", line.quantity);
    addNumber(ctx, item, "price", line.price);
    ctx.append(items, item);
    count += line.quantity;
    value += line.quantity * line.price;
  }
  ctx.append(cart, items, "items");
  addNumber(ctx, cart, "count", count);
  addNumber(ctx, cart, "value", value);
  bool abandoned = !p.cart.empty() && now - p.cartUpdatedMs >= s.cartAbandonAfterMs;
  ctx.append(cart, ctx.addBool(abandoned), "abandoned");
  ctx.append(root, cart, "cart");
}

void writeRfm(const Profile& p, const ProfileSettings& s, double now, Doc& ctx, NodeId root) {
  Rfm r = rfmOf(p, s, now);
  NodeId rfm = ctx.addObject();
  addNumber(ctx, rfm, "recency", r.recency);
  addNumber(ctx, rfm, "frequency", r.frequency);
  addNumber(ctx, rfm, "monetary", r.monetary);
  ctx.append(rfm, ctx.addString(r.tier), "tier");
  addNumber(ctx, rfm, "purchases", p.purchases);
  addNumber(ctx, rfm, "spend", p.totalSpend);
  ctx.append(root, rfm, "rfm");
}

// Declared interests (string ids of ctx), then inferred ones. Scratch lives on the stack:
// both lists are bounded, so nothing is allocated.
void writeInterests(const Profile& p, const ProfileSettings& s, const ConsentGate& consent,
                    double now, NodeId declared, Doc& ctx, NodeId root) {
  NodeId kept[kMaxDeclaredInterests];
  size_t keptCount = 0;
  if (declared != kNoNode && declared < ctx.size() && ctx.type(declared) == Type::Array) {
    for (NodeId c = ctx.node(declared).firstChild;
         c != kNoNode && keptCount < kMaxDeclaredInterests; c = ctx.node(c).next) {
      if (ctx.type(c) != Type::String) continue;
      std::string_view key = ctx.str(c);
      if (key.empty() || key.size() > kMaxKeyBytes || !storable(s, consent, key)) continue;
      bool seen = false;
      for (size_t i = 0; i < keptCount && !seen; ++i) seen = ctx.str(kept[i]) == key;
      if (!seen) kept[keptCount++] = c;
    }
  }

  struct Ranked {
    double score;
    const InterestScore* interest;
  };
  Ranked ranked[kMaxInterests];
  size_t rankedCount = 0;
  NodeId interests = ctx.addObject();
  for (const InterestScore& i : p.interests) {
    if (rankedCount >= kMaxInterests) break;  // a profile loaded beyond the bound
    double score = decayed(i.score, i.updatedMs, now, s.interestHalfLifeMs);
    if (score < kMinShownScore || !storable(s, consent, i.key)) continue;
    addNumber(ctx, interests, i.key, score);
    ranked[rankedCount++] = {score, &i};
  }
  ctx.append(root, interests, "interests");

  NodeId top = ctx.addArray();
  size_t topCount = 0;
  for (size_t i = 0; i < keptCount && topCount < kMaxTopInterests; ++i, ++topCount) {
    ctx.append(top, ctx.addString(ctx.str(kept[i])));
  }
  std::sort(ranked, ranked + rankedCount, [](const Ranked& a, const Ranked& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.interest->key < b.interest->key;
  });
  for (size_t r = 0; r < rankedCount && topCount < kMaxTopInterests; ++r) {
    bool seen = false;
    for (size_t i = 0; i < keptCount && !seen; ++i)
      seen = ctx.str(kept[i]) == ranked[r].interest->key;
    if (seen) continue;
    ctx.append(top, ctx.addString(ranked[r].interest->key));
    ++topCount;
  }
  ctx.append(root, top, "topInterests");

  NodeId declaredOut = ctx.addArray();
  for (size_t i = 0; i < keptCount; ++i) ctx.append(declaredOut, ctx.addString(ctx.str(kept[i])));
  ctx.append(root, declaredOut, "declaredInterests");
}

// ---------------------------------------------------------------------------------------
// Civil dates (daysFromCivil and civilFromDays live in local_time), for birthdays
// in the visitor's local calendar.

int64_t yearFromDays(int64_t days) {
  int64_t year;
  unsigned month, day;
  civilFromDays(days, year, month, day);
  return year;
}

bool leapYear(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int64_t year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1] + (month == 2 && leapYear(year) ? 1 : 0);
}

bool twoDigits(std::string_view s, size_t pos, int& out) {
  if (s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9') return false;
  out = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return true;
}

// "MM-DD" or "YYYY-MM-DD"; a dated Feb 29 must fall in a leap year.
bool parseBirthday(std::string_view s, int& month, int& day) {
  int64_t year = 2000;  // a leap year: "02-29" is a valid month-day
  if (s.size() == 10) {
    year = 0;
    for (size_t i = 0; i < 4; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      year = year * 10 + (s[i] - '0');
    }
    if (s[4] != '-') return false;
    s.remove_prefix(5);
  }
  if (s.size() != 5 || s[2] != '-' || !twoDigits(s, 0, month) || !twoDigits(s, 3, day)) {
    return false;
  }
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

bool wholeIn(const Doc& ctx, NodeId n, int lo, int hi, int& out) {
  if (n == kNoNode || ctx.type(n) != Type::Number) return false;
  double v = ctx.node(n).number;
  if (!(v >= lo && v <= hi) || v != std::floor(v)) return false;
  out = static_cast<int>(v);
  return true;
}

double birthdayMs(double now, int utcOffsetMinutes, const Doc& ctx, NodeId root) {
  if (root == kNoNode || root >= ctx.size()) return 0;
  int month = 0, day = 0;
  NodeId text = ctx.path(root, "traits.birthday");
  if (text != kNoNode) {
    if (ctx.type(text) != Type::String || !parseBirthday(ctx.str(text), month, day)) return 0;
  } else if (!wholeIn(ctx, ctx.path(root, "traits.birthMonth"), 1, 12, month) ||
             !wholeIn(ctx, ctx.path(root, "traits.birthDay"), 1, daysInMonth(2000, month), day)) {
    return 0;
  }
  const double offsetMs = utcOffsetMinutes * 60000.0;
  const int64_t localYear =
      yearFromDays(static_cast<int64_t>(std::floor((now + offsetMs) / kMsPerDay)));
  for (int64_t year = localYear; year >= localYear - 1; --year) {
    int d = std::min(day, daysInMonth(year, month));  // Feb 29 → Feb 28 in common years
    double at = static_cast<double>(
                    daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(d))) *
                    kMsPerDay -
                offsetMs;
    if (at <= now) return at;
  }
  return 0;
}

}  // namespace

bool trackEvent(Profile& profile, const ProfileSettings& settings, const ConsentGate& consent,
                std::string_view type, const Doc& doc, NodeId props, double nowMs,
                std::string& error) {
  error.clear();
  if (!validTypeName(type)) {
    error = "event type ";
    appendQuoted(type, error);
    error += ": must be 1 to 64 characters of a-z, 0-9 and _ : . -";
    return false;
  }
  if (!(nowMs > 0 && nowMs <= kMaxTimeMs)) {
    error.assign(type);
    error += ": the time must be a positive number of milliseconds since 1970";
    return false;
  }
  const Kind kind = kindOf(type);
  EventFields fields;
  if (!validateEvent(kind, type, doc, props, fields, error)) return false;
  if (!consent.allows(Purpose::Personalization)) return true;  // profiling is not allowed
  if (kind == Kind::AddToCart && profile.cart.size() >= kMaxCartItems &&
      findCartLine(profile, doc.str(fields.item.sku)) == nullptr) {
    error = "add_to_cart: cart is full (50 lines)";
    return false;
  }

  touchSession(profile, settings, nowMs);
  countEvent(profile, type, nowMs);
  switch (kind) {
    case Kind::PageView:
      addInterests(profile, settings, consent, doc, fields.item.categories, settings.viewWeight,
                   nowMs);
      break;
    case Kind::AddToCart:
      addToCart(profile, settings, consent, doc, fields.item, nowMs);
      addInterests(profile, settings, consent, doc, fields.item.categories, settings.viewWeight,
                   nowMs);
      break;
    case Kind::RemoveFromCart:
      removeFromCart(profile, doc, fields.item, nowMs);
      break;
    case Kind::Purchase:
      purchase(profile, settings, consent, doc, fields, nowMs);
      break;
    default:
      break;
  }
  return true;
}

void writeProfileContext(const Profile& profile, const ProfileSettings& settings,
                         const ConsentGate& consent, double nowMs, NodeId declared, Doc& ctx,
                         NodeId root) {
  // Without personalization consent the profile is not read at all: the context shows a
  // visitor nothing is known about (declared interests are the host's own data).
  const Profile& p = consent.allows(Purpose::Personalization) ? profile : emptyProfile();
  writeInterests(p, settings, consent, nowMs, declared, ctx, root);
  writeBehavior(p, settings, nowMs, ctx, root);
  writeCart(p, settings, nowMs, ctx, root);
  writeRfm(p, settings, nowMs, ctx, root);
  ctx.append(root, ctx.addString(lifecycleOf(p, settings, nowMs)), "lifecycle");
}

double triggerEventMs(const Profile& profile, const ProfileSettings& settings,
                      const TriggerSpec& trigger, double nowMs, int utcOffsetMinutes,
                      const Doc& ctx, NodeId root) {
  const std::string_view event = trigger.event;
  if (event == "welcome") return profile.empty() ? nowMs : profile.firstSeenMs;
  if (event == "cart_abandoned") {
    return profile.cart.empty() ? 0 : profile.cartUpdatedMs + settings.cartAbandonAfterMs;
  }
  if (event == "birthday") return birthdayMs(nowMs, utcOffsetMinutes, ctx, root);
  if (event == "lapsed_return") return profile.lapsedReturnMs;
  if (event == "purchase" && !trigger.category.empty()) {
    for (const CategoryPurchase& c : profile.categoryPurchases) {
      if (c.category == trigger.category) return c.lastMs;
    }
    return 0;
  }
  if (event == "purchase") return profile.lastPurchaseMs;
  for (const EventCounter& c : profile.counters) {
    if (c.type == event) return c.lastMs;
  }
  return 0;
}

}  // namespace attune
