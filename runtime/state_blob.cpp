// The durable visitor state (SPEC §10). Layout, version 2 (all integers LEB128 varints unless
// said otherwise, doubles 8 bytes little-endian, strings varint length + bytes):
//
//   "ATS"  u8 flags  u16 version (LE)
//   consent section:  varint length, body, fixed32 FNV-1a of the body
//       body: u8 present, u8 purposes, f64 updatedMs, str source, varint policyVersion
//   id + profile section: varint length, body
//       body: str visitorId, f64 firstSeen/lastSeen/sessionStart/previousVisit/lapsedReturn,
//             varint sessions, varint purchases, f64 totalSpend, f64 lastPurchase,
//             counters   [str type, varint64 lifetime, f64 first, f64 last,
//                         days [zigzag first day, then day deltas >= 1; varint count]],
//             interests  [str key, f64 score, f64 updated],
//             cart       [str sku, varint quantity, f64 price, [str category]], f64 cartUpdated,
//             categoryPurchases [str category, f64 last]
//   contacts section: varint length, body (the layout of encodeContacts, runtime/contact.cpp)
//   fixed32 FNV-1a of every byte before it
//
// Version 1 is the same without the contacts section; it migrates to an empty history.
//
// Lists are a varint count then the items. Flags: bit 0 = compacted for a cookie (older
// detail folded); other bits are reserved and must be zero.
//
// Forward compatibility promise: every later version keeps the header and the consent
// section framing (length, body, checksum) first, and only appends fields to the consent
// body. So a runtime that meets a newer blob (TooNew) can still keep the consent record.
//
// Version 0, the layout before consent and the cart existed (still read and migrated):
//
//   "ATS"  u8 flags (0)  u16 version 0
//   id + profile section: varint length, body
//       body: str visitorId, the same scalars as version 1,
//             counters   [str type, fixed32 lifetime, f64 first, f64 last,
//                         days [varint absolute day, varint count]],
//             interests  [str key, f64 score, f64 updated]
//   fixed32 FNV-1a of every byte before it
//
// The checksum detects accidental damage (a cut cookie, a storage bug), not tampering: a
// visitor can always rewrite their own cookie. So decoding treats every well-sealed blob as
// hostile too and checks every bound of profile.h before accepting it.
#include "state_blob.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "byte_writer.h"
#include "utf8.h"

namespace attune {

namespace {

constexpr char kMagic[] = "ATS";
constexpr size_t kMagicBytes = 3;
constexpr size_t kHeaderBytes = 6;  // magic, flags, version
constexpr size_t kChecksumBytes = 4;
constexpr uint8_t kFlagCompacted = 0x01;
constexpr size_t kMaxIdBytes = 256;
constexpr size_t kMaxSourceBytes = 32;
constexpr size_t kMaxCartCategories = 8;
constexpr uint8_t kAllPurposes = 0x1F;  // the five purposes of profile.h
// Generous ceilings on section lengths: the largest valid version-1 profile is about 90 KB
// and a consent body about 50 bytes; newer versions may append to the consent body.
constexpr uint32_t kMaxConsentSectionBytes = 1024;
constexpr uint32_t kMaxProfileSectionBytes = 256 * 1024;
// 256 campaigns × 2 × 128 timestamps as varint deltas, 512 tokens: far below this.
constexpr uint32_t kMaxContactsSectionBytes = 1024 * 1024;
// Cookie compaction keeps exact day buckets for today and the 30 days before, so every
// window of up to 30 days stays exact whichever way the window's edge is counted.
constexpr int64_t kCookieExactDays = 30;
// The longest window conditions read (d90: today and the 89 days before); older buckets only
// wait to expire.
constexpr int64_t kLongestWindowDays = 90;

const char* const kBuiltInEventTypes[] = {
    "page_view", "search",     "add_to_cart", "remove_from_cart", "purchase",  "email_click",
    "signup",    "impression", "click",       "dismiss",          "conversion"};

uint32_t fnv1a(std::string_view bytes) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
  return h;
}

uint32_t readFixed32(std::string_view bytes, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + i])) << (8 * i);
  return v;
}

// ---- what a valid state looks like (shared by the writer, which drops what the reader
// would refuse, and the reader) ----

bool isValidUtf8Text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    DecodedChar c = decodeUtf8(s, i);
    if (!c.valid) return false;
    i += c.size;
  }
  return true;
}

bool isEventType(std::string_view s) {
  if (s.empty() || s.size() > kMaxKeyBytes) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool isKey(std::string_view s) {
  return !s.empty() && s.size() <= kMaxKeyBytes && isValidUtf8Text(s);
}

bool isVisitorId(std::string_view s) {
  return s.size() <= kMaxIdBytes && isValidUtf8Text(s);
}
bool isSource(std::string_view s) {
  return s.size() <= kMaxSourceBytes && isValidUtf8Text(s);
}

// Times, amounts and scores: finite and not negative.
bool isMagnitude(double v) {
  return std::isfinite(v) && v >= 0;
}

// What the writer stores for a number: itself when valid (with -0 as +0, so equal states give
// equal bytes), else 0.
double cleanMagnitude(double v) {
  return isMagnitude(v) && v != 0 ? v : 0;
}

bool isBuiltInEventType(std::string_view type) {
  for (const char* builtIn : kBuiltInEventTypes)
    if (type == builtIn) return true;
  return false;
}

// "1 unexpected byte", "3 unexpected bytes".
std::string bytesText(size_t n, const char* adjective = "unexpected ") {
  return std::to_string(n) + " " + adjective + (n == 1 ? "byte" : "bytes");
}

// "1 unexpected byte follows", "3 unexpected bytes follow".
std::string trailingText(size_t n) {
  return bytesText(n) + (n == 1 ? " follows" : " follow");
}

uint32_t addSaturating(uint32_t a, uint32_t b) {
  return b > std::numeric_limits<uint32_t>::max() - a ? std::numeric_limits<uint32_t>::max()
                                                      : a + b;
}

// ---- writer ----

// The state's writer: the shared primitives, doubles cleaned to what the reader accepts,
// and length-prefixed sections.
class Writer : public ByteWriter {
 public:
  using ByteWriter::ByteWriter;
  void f64(double v) { ByteWriter::f64(cleanMagnitude(v)); }
  void str(std::string_view s) { bytes(s); }
  // Prefixes the bytes written since `start` with their length (a section).
  void closeSection(size_t start) {
    std::string prefix;
    ByteWriter(prefix).varint(out_.size() - start);
    out_.insert(start, prefix);
  }
};

void writeConsentBody(const ConsentRecord& c, Writer& w) {
  w.u8(c.present ? 1 : 0);
  w.u8(c.purposes & kAllPurposes);
  w.f64(c.updatedMs);
  w.str(isSource(c.source) ? std::string_view(c.source) : std::string_view());
  w.varint(c.policyVersion);
}

// Indexes of the items the reader will accept: valid, first of their key, at most `max`.
// Fills `picked` (capacity >= max) and returns how many.
template <class T, class KeyOf, class Valid>
size_t pickItems(const std::vector<T>& items, size_t max, KeyOf keyOf, Valid valid,
                 size_t* picked) {
  size_t n = 0;
  for (size_t i = 0; i < items.size() && n < max; ++i) {
    if (!valid(items[i])) continue;
    bool duplicate = false;
    for (size_t j = 0; j < n && !duplicate; ++j)
      duplicate = keyOf(items[picked[j]]) == keyOf(items[i]);
    if (!duplicate) picked[n++] = i;
  }
  return n;
}

void writeCounter(const EventCounter& c, Writer& w) {
  w.str(c.type);
  // Only strictly ascending buckets are kept (the newest kMaxDayBuckets of them).
  size_t ascending = 0;
  int64_t previous = std::numeric_limits<int64_t>::min();
  for (const DayCount& d : c.days) {
    if (d.day > previous) {
      ++ascending;
      previous = d.day;
    }
  }
  size_t skip = ascending > kMaxDayBuckets ? ascending - kMaxDayBuckets : 0;
  uint64_t sum = 0;
  previous = std::numeric_limits<int64_t>::min();
  size_t seen = 0;
  for (const DayCount& d : c.days) {
    if (d.day <= previous) continue;
    previous = d.day;
    if (seen++ >= skip) sum += d.count;
  }
  w.varint(std::max<uint64_t>(c.lifetime, sum));  // lifetime counts at least the buckets
  w.f64(c.firstMs);
  w.f64(c.lastMs);
  w.varint(ascending - skip);
  previous = std::numeric_limits<int64_t>::min();
  seen = 0;
  int64_t lastWritten = 0;
  bool first = true;
  for (const DayCount& d : c.days) {
    if (d.day <= previous) continue;
    previous = d.day;
    if (seen++ < skip) continue;
    if (first) {
      uint32_t zigzag = (static_cast<uint32_t>(d.day) << 1) ^ static_cast<uint32_t>(d.day >> 31);
      w.varint(zigzag);
      first = false;
    } else {
      w.varint(static_cast<uint64_t>(d.day - lastWritten));
    }
    lastWritten = d.day;
    w.varint(d.count);
  }
}

void writeProfileBody(const VisitorState& state, Writer& w) {
  const Profile& p = state.profile;
  w.str(isVisitorId(state.visitorId) ? std::string_view(state.visitorId) : std::string_view());
  w.f64(p.firstSeenMs);
  w.f64(p.lastSeenMs);
  w.f64(p.sessionStartMs);
  w.f64(p.previousVisitMs);
  w.f64(p.lapsedReturnMs);
  w.varint(p.sessions);
  w.varint(p.purchases);
  w.f64(p.totalSpend);
  w.f64(p.lastPurchaseMs);

  size_t picked[kMaxInterests];  // the largest of the kMax list bounds
  static_assert(kMaxInterests >= kMaxEventTypes && kMaxInterests >= kMaxCartItems &&
                    kMaxInterests >= kMaxCategoryPurchases,
                "picked[] must hold any list");
  size_t n = pickItems(
      p.counters, kMaxEventTypes,
      [](const EventCounter& c) -> const std::string& { return c.type; },
      [](const EventCounter& c) { return isEventType(c.type); }, picked);
  w.varint(n);
  for (size_t i = 0; i < n; ++i) writeCounter(p.counters[picked[i]], w);

  n = pickItems(
      p.interests, kMaxInterests,
      [](const InterestScore& s) -> const std::string& { return s.key; },
      [](const InterestScore& s) { return isKey(s.key); }, picked);
  w.varint(n);
  for (size_t i = 0; i < n; ++i) {
    const InterestScore& s = p.interests[picked[i]];
    w.str(s.key);
    w.f64(s.score);
    w.f64(s.updatedMs);
  }

  n = pickItems(
      p.cart, kMaxCartItems, [](const CartItem& c) -> const std::string& { return c.sku; },
      [](const CartItem& c) { return isKey(c.sku) && c.quantity > 0; }, picked);
  w.varint(n);
  for (size_t i = 0; i < n; ++i) {
    const CartItem& item = p.cart[picked[i]];
    w.str(item.sku);
    w.varint(item.quantity);
    w.f64(item.price);
    size_t categories = 0;
    for (const std::string& c : item.categories)
      if (isKey(c) && categories < kMaxCartCategories) ++categories;
    w.varint(categories);
    for (const std::string& c : item.categories) {
      if (!isKey(c) || categories == 0) continue;
      w.str(c);
      --categories;
    }
  }
  w.f64(p.cartUpdatedMs);

  n = pickItems(
      p.categoryPurchases, kMaxCategoryPurchases,
      [](const CategoryPurchase& c) -> const std::string& { return c.category; },
      [](const CategoryPurchase& c) { return isKey(c.category); }, picked);
  w.varint(n);
  for (size_t i = 0; i < n; ++i) {
    w.str(p.categoryPurchases[picked[i]].category);
    w.f64(p.categoryPurchases[picked[i]].lastMs);
  }
}

void encodeWithFlags(const VisitorState& state, uint8_t flags, std::string& out) {
  out.clear();
  Writer w(out);
  out.append(kMagic, kMagicBytes);
  w.u8(flags);
  w.u16(kStateVersion);

  size_t start = w.size();
  writeConsentBody(state.consent, w);
  uint32_t consentSum = fnv1a(std::string_view(out).substr(start));
  w.closeSection(start);
  w.fixed32(consentSum);

  start = w.size();
  writeProfileBody(state, w);
  w.closeSection(start);

  start = w.size();
  std::string contacts;
  encodeContacts(state.contacts, contacts);
  out += contacts;
  w.closeSection(start);
  w.fixed32(fnv1a(out));
}

// ---- reader ----

// Names the item being read, for error messages; built only when something is wrong.
struct Place {
  const char* list = nullptr;  // "counter", "interest" … or nullptr for a top-level field
  size_t index = 0;
  std::string name() const {
    return list ? std::string(list) + " " + std::to_string(index) : std::string();
  }
  std::string field(const char* what) const {
    return list ? name() + "'s " + what : std::string("the ") + what;
  }
  std::string problem(const char* what) const { return list ? name() + ": " + what : what; }
  std::string has() const { return list ? name() + " has " : std::string("it has "); }
};

// Reads one section body. Running past its end or a malformed varint is a structural error
// (the section length itself was satisfied); the first error wins.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  const std::string& error() const { return error_; }

  void fail(std::string why) {
    if (!ok_) return;
    ok_ = false;
    error_ = std::move(why);
  }
  uint8_t u8() {
    if (pos_ >= in_.size()) {
      fail("it ends early, at byte " + std::to_string(pos_) + " of the section");
      return 0;
    }
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint64_t varint(int maxBits) {
    uint64_t v = 0;
    for (int shift = 0; shift < maxBits; shift += 7) {
      size_t at = pos_;
      uint8_t b = u8();
      if (!ok_) return 0;
      if (maxBits - shift < 7 && (b & 0x7F) >> (maxBits - shift)) {
        fail("the number at byte " + std::to_string(at) + " of the section is out of range");
        return 0;
      }
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("the number ending at byte " + std::to_string(pos_) + " of the section is too long");
    return 0;
  }
  uint32_t u32() { return static_cast<uint32_t>(varint(32)); }
  uint64_t u64() { return varint(64); }
  uint32_t fixed32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  // A time, amount or score: finite and not negative.
  double magnitude(const Place& at, const char* what) {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(u8()) << (8 * i);
    double v;
    std::memcpy(&v, &bits, 8);
    if (ok_ && !isMagnitude(v)) fail(at.field(what) + " is not a finite non-negative number");
    return v;
  }
  // A string of at most `maxBytes`; never allocates more than the bytes present.
  void str(std::string& out, size_t maxBytes, const Place& at, const char* what) {
    uint32_t n = u32();
    if (!ok_) return;
    if (n > maxBytes) {
      fail(at.field(what) + " is " + std::to_string(n) + " bytes long (at most " +
           std::to_string(maxBytes) + ")");
      return;
    }
    if (n > remaining()) {
      fail(at.field(what) + " runs past the end of the section");
      return;
    }
    out.assign(in_.data() + pos_, n);
    pos_ += n;
  }
  // A list count, refused above `max` or above what the remaining bytes could hold (each
  // item takes at least `minItemBytes`), so a hostile count cannot make us allocate.
  size_t count(size_t max, size_t minItemBytes, const Place& at, const char* what) {
    uint32_t n = u32();
    if (!ok_) return 0;
    if (n > max) {
      fail(at.has() + std::to_string(n) + " " + what + " (at most " + std::to_string(max) + ")");
      return 0;
    }
    if (static_cast<uint64_t>(n) * minItemBytes > remaining()) {
      fail(at.has() + std::to_string(n) + " " + what + ", more than the bytes left can hold");
      return 0;
    }
    return n;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string error_;
};

template <class T, class KeyOf>
bool isDuplicate(const std::vector<T>& items, size_t index, KeyOf keyOf) {
  for (size_t j = 0; j < index; ++j)
    if (keyOf(items[j]) == keyOf(items[index])) return true;
  return false;
}

// `strict`: the body must end exactly after the known fields (version 1); a newer version
// may have appended fields after them.
bool readConsentBody(std::string_view body, bool strict, ConsentRecord& c, std::string& why) {
  Reader r(body);
  const Place top;
  uint8_t present = r.u8();
  if (r.ok() && present > 1) r.fail("its presence flag is " + std::to_string(present));
  c.present = present == 1;
  c.purposes = r.u8();
  if (r.ok() && (c.purposes & ~kAllPurposes))
    r.fail("it grants unknown purposes (bits " + std::to_string(c.purposes) + ")");
  c.updatedMs = r.magnitude(top, "consent update time");
  r.str(c.source, kMaxSourceBytes, top, "consent source");
  if (r.ok() && !isValidUtf8Text(c.source)) r.fail("the consent source is not valid UTF-8");
  c.policyVersion = r.u32();
  if (r.ok() && strict && !r.atEnd()) r.fail(trailingText(r.remaining()) + " its fields");
  if (!r.ok()) {
    why = r.error();
    c = ConsentRecord();
    return false;
  }
  return true;
}

void readDaysV1(Reader& r, EventCounter& c, const Place& at) {
  size_t n = r.count(kMaxDayBuckets, 2, at, "day buckets");
  c.days.resize(n);
  int64_t day = 0;
  for (size_t i = 0; i < n && r.ok(); ++i) {
    uint32_t raw = r.u32();
    if (i == 0) {
      day = static_cast<int32_t>((raw >> 1) ^ (0u - (raw & 1)));  // zigzag
    } else {
      if (r.ok() && raw == 0) r.fail(at.problem("its day buckets are not in ascending order"));
      day += raw;
      if (day > std::numeric_limits<int32_t>::max()) r.fail(at.problem("a day is out of range"));
    }
    c.days[i].day = static_cast<int32_t>(day);
    c.days[i].count = r.u32();
  }
}

void readDaysV0(Reader& r, EventCounter& c, const Place& at) {
  size_t n = r.count(kMaxDayBuckets, 2, at, "day buckets");
  c.days.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    uint32_t day = r.u32();
    if (r.ok() && day > static_cast<uint32_t>(std::numeric_limits<int32_t>::max()))
      r.fail(at.problem("a day is out of range"));
    c.days[i].day = static_cast<int32_t>(day);
    if (r.ok() && i > 0 && c.days[i].day <= c.days[i - 1].day)
      r.fail(at.problem("its day buckets are not in ascending order"));
    c.days[i].count = r.u32();
  }
}

void readCounters(Reader& r, uint16_t version, Profile& p) {
  // Smallest counter: type (2) + lifetime (1, or 4 in version 0) + two times (16) + count (1).
  size_t n = r.count(kMaxEventTypes, version == 0 ? 23 : 20, Place(), "counters");
  p.counters.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    EventCounter& c = p.counters[i];
    const Place at{"counter", i};
    r.str(c.type, kMaxKeyBytes, at, "type");
    if (r.ok() && !isEventType(c.type)) r.fail(at.problem("its type is not an event type"));
    if (r.ok() && isDuplicate(p.counters, i,
                              [](const EventCounter& e) -> const std::string& { return e.type; }))
      r.fail(at.problem("its type is counted twice"));
    c.lifetime = version == 0 ? r.fixed32() : r.u64();
    c.firstMs = r.magnitude(at, "first time");
    c.lastMs = r.magnitude(at, "last time");
    if (!r.ok()) return;
    if (version == 0) {
      readDaysV0(r, c, at);
    } else {
      readDaysV1(r, c, at);
    }
    uint64_t sum = 0;
    for (const DayCount& d : c.days) sum += d.count;
    if (r.ok() && sum > c.lifetime)
      r.fail(at.problem("its day buckets hold more events than its lifetime count"));
  }
}

void readInterests(Reader& r, Profile& p) {
  size_t n = r.count(kMaxInterests, 18, Place(), "interests");
  p.interests.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    InterestScore& s = p.interests[i];
    const Place at{"interest", i};
    r.str(s.key, kMaxKeyBytes, at, "key");
    if (r.ok() && !isKey(s.key)) r.fail(at.problem("its key is empty or not valid UTF-8"));
    if (r.ok() && isDuplicate(p.interests, i,
                              [](const InterestScore& e) -> const std::string& { return e.key; }))
      r.fail(at.problem("its key appears twice"));
    s.score = r.magnitude(at, "score");
    s.updatedMs = r.magnitude(at, "update time");
  }
}

void readCart(Reader& r, Profile& p) {
  size_t n = r.count(kMaxCartItems, 12, Place(), "cart lines");
  p.cart.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    CartItem& item = p.cart[i];
    const Place at{"cart line", i};
    r.str(item.sku, kMaxKeyBytes, at, "sku");
    if (r.ok() && !isKey(item.sku)) r.fail(at.problem("its sku is empty or not valid UTF-8"));
    if (r.ok() &&
        isDuplicate(p.cart, i, [](const CartItem& e) -> const std::string& { return e.sku; }))
      r.fail(at.problem("its sku appears twice"));
    item.quantity = r.u32();
    if (r.ok() && item.quantity == 0) r.fail(at.problem("its quantity is 0"));
    item.price = r.magnitude(at, "price");
    size_t categories = r.count(kMaxCartCategories, 2, at, "categories");
    item.categories.resize(categories);
    for (size_t k = 0; k < categories && r.ok(); ++k) {
      r.str(item.categories[k], kMaxKeyBytes, at, "category");
      if (r.ok() && !isKey(item.categories[k]))
        r.fail(at.problem("a category is empty or not valid UTF-8"));
    }
  }
  p.cartUpdatedMs = r.magnitude(Place(), "cart update time");
}

void readCategoryPurchases(Reader& r, Profile& p) {
  size_t n = r.count(kMaxCategoryPurchases, 10, Place(), "category purchases");
  p.categoryPurchases.resize(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    CategoryPurchase& c = p.categoryPurchases[i];
    const Place at{"category purchase", i};
    r.str(c.category, kMaxKeyBytes, at, "category");
    if (r.ok() && !isKey(c.category))
      r.fail(at.problem("its category is empty or not valid UTF-8"));
    if (r.ok() &&
        isDuplicate(p.categoryPurchases, i,
                    [](const CategoryPurchase& e) -> const std::string& { return e.category; }))
      r.fail(at.problem("its category appears twice"));
    c.lastMs = r.magnitude(at, "time");
  }
}

bool readProfileBody(std::string_view body, uint16_t version, VisitorState& out, std::string& why) {
  Reader r(body);
  const Place top;
  r.str(out.visitorId, kMaxIdBytes, top, "visitor id");
  if (r.ok() && !isValidUtf8Text(out.visitorId)) r.fail("the visitor id is not valid UTF-8");
  Profile& p = out.profile;
  p.firstSeenMs = r.magnitude(top, "first-seen time");
  p.lastSeenMs = r.magnitude(top, "last-seen time");
  p.sessionStartMs = r.magnitude(top, "session start");
  p.previousVisitMs = r.magnitude(top, "previous visit time");
  p.lapsedReturnMs = r.magnitude(top, "lapsed-return time");
  p.sessions = r.u32();
  p.purchases = r.u32();
  p.totalSpend = r.magnitude(top, "total spend");
  p.lastPurchaseMs = r.magnitude(top, "last purchase time");
  if (r.ok()) readCounters(r, version, p);
  if (r.ok()) readInterests(r, p);
  if (version >= 1) {
    if (r.ok()) readCart(r, p);
    if (r.ok()) readCategoryPurchases(r, p);
  }
  if (r.ok() && !r.atEnd()) r.fail(trailingText(r.remaining()) + " it");
  if (!r.ok()) why = r.error();
  return r.ok();
}

// A length-prefixed section at `pos`. Distinguishes a blob cut short (Truncated) from a
// length no valid blob has (Corrupt).
struct SectionRead {
  LoadStatus problem = LoadStatus::Ok;
  std::string why;
  std::string_view body;
  size_t end = 0;  // offset after the body
};

SectionRead readSection(std::string_view bytes, size_t pos, uint32_t maxLength, size_t trailer,
                        const char* name) {
  SectionRead s;
  uint64_t length = 0;
  int shift = 0;
  for (;;) {
    if (pos >= bytes.size()) {
      s.problem = LoadStatus::Truncated;
      s.why = std::string("the state ends inside the length of the ") + name + " section";
      return s;
    }
    uint8_t b = static_cast<uint8_t>(bytes[pos++]);
    length |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
    if (shift > 28) {
      s.problem = LoadStatus::Corrupt;
      s.why = std::string("the length of the ") + name + " section is malformed";
      return s;
    }
  }
  if (length > maxLength) {
    s.problem = LoadStatus::Corrupt;
    s.why = std::string("the ") + name + " section claims " + std::to_string(length) +
            " bytes (at most " + std::to_string(maxLength) + ")";
    return s;
  }
  if (length + trailer > bytes.size() - pos) {
    s.problem = LoadStatus::Truncated;
    s.why = std::string("the state is cut short: the ") + name + " section needs " +
            std::to_string(length + trailer) + " bytes, " + std::to_string(bytes.size() - pos) +
            " remain";
    return s;
  }
  s.body = bytes.substr(pos, length);
  s.end = pos + length;
  return s;
}

LoadReport discard(LoadStatus status, std::string why, uint16_t version) {
  LoadReport report;
  report.status = status;
  report.fromVersion = version;
  report.reason = std::move(why);
  return report;
}

// Keeps `consent` in an otherwise fresh state.
LoadReport discardKeepingConsent(LoadStatus status, std::string why, uint16_t version,
                                 ConsentRecord& consent, VisitorState& out) {
  out = VisitorState();
  out.consent = std::move(consent);
  LoadReport report = discard(status, std::move(why) + "; the consent record was kept", version);
  report.consentKept = true;
  return report;
}

// Any version >= 1 starts with the consent section framed the same way (see the top).
struct ConsentRead {
  SectionRead section;
  bool sealed = false;  // its own checksum matches
  bool parsed = false;  // and its fields are valid
  std::string why;
  ConsentRecord record;
  size_t end = 0;  // offset after its checksum
};

ConsentRead readConsentSection(std::string_view bytes, bool strict) {
  ConsentRead c;
  c.section = readSection(bytes, kHeaderBytes, kMaxConsentSectionBytes, kChecksumBytes, "consent");
  if (c.section.problem != LoadStatus::Ok) return c;
  c.end = c.section.end + kChecksumBytes;
  c.sealed = readFixed32(bytes, c.section.end) == fnv1a(c.section.body);
  if (c.sealed) c.parsed = readConsentBody(c.section.body, strict, c.record, c.why);
  return c;
}

LoadReport decodeNewer(std::string_view bytes, uint16_t version, VisitorState& out) {
  std::string why = "written by a newer runtime (state version " + std::to_string(version) +
                    "; this one reads up to " + std::to_string(kStateVersion) + "): discarded";
  ConsentRead consent = readConsentSection(bytes, false);
  if (consent.sealed && consent.parsed)
    return discardKeepingConsent(LoadStatus::TooNew, why, version, consent.record, out);
  return discard(LoadStatus::TooNew, why, version);
}

LoadReport decodeV0(std::string_view bytes, uint8_t flags, VisitorState& out) {
  SectionRead profile =
      readSection(bytes, kHeaderBytes, kMaxProfileSectionBytes, kChecksumBytes, "profile");
  if (profile.problem != LoadStatus::Ok) return discard(profile.problem, profile.why, 0);
  size_t end = profile.end + kChecksumBytes;
  if (end != bytes.size())
    return discard(LoadStatus::Corrupt, trailingText(bytes.size() - end) + " the state", 0);
  if (readFixed32(bytes, profile.end) != fnv1a(bytes.substr(0, profile.end)))
    return discard(LoadStatus::Corrupt, "checksum mismatch: the profile section is damaged", 0);
  if (flags != 0) return discard(LoadStatus::Corrupt, "unknown flags in a version 0 header", 0);
  std::string why;
  if (!readProfileBody(profile.body, 0, out, why)) {
    out = VisitorState();
    return discard(LoadStatus::Corrupt, "the profile section is malformed: " + why, 0);
  }
  LoadReport report;
  report.status = LoadStatus::Migrated;
  report.fromVersion = 0;
  report.reason =
      "migrated from state version 0 (which had no consent record, cart or category "
      "purchases)";
  return report;
}

// Versions 1 and 2 (2 appends the contacts section before the checksum).
LoadReport decodeV1(std::string_view bytes, uint8_t flags, uint16_t v, VisitorState& out) {
  ConsentRead consent = readConsentSection(bytes, true);
  if (consent.section.problem != LoadStatus::Ok)
    return discard(consent.section.problem, consent.section.why, v);
  bool consentIntact = consent.sealed && consent.parsed;
  auto fail = [&](LoadStatus status, std::string why) {
    if (consentIntact) return discardKeepingConsent(status, std::move(why), v, consent.record, out);
    out = VisitorState();
    return discard(status, std::move(why), v);
  };

  SectionRead profile =
      readSection(bytes, consent.end, kMaxProfileSectionBytes, kChecksumBytes, "profile");
  if (profile.problem != LoadStatus::Ok) return fail(profile.problem, profile.why);
  SectionRead contacts;
  size_t sealedEnd = profile.end;
  if (v >= 2) {
    contacts =
        readSection(bytes, profile.end, kMaxContactsSectionBytes, kChecksumBytes, "contacts");
    if (contacts.problem != LoadStatus::Ok) return fail(contacts.problem, contacts.why);
    sealedEnd = contacts.end;
  }
  size_t end = sealedEnd + kChecksumBytes;
  if (end != bytes.size())
    return fail(LoadStatus::Corrupt, trailingText(bytes.size() - end) + " the state");
  if (readFixed32(bytes, sealedEnd) != fnv1a(bytes.substr(0, sealedEnd))) {
    return fail(LoadStatus::Corrupt, consent.sealed
                                         ? "checksum mismatch: the profile section is damaged"
                                         : "checksum mismatch: the consent section is damaged");
  }
  // The blob is sealed: anything wrong from here on was written that way.
  if (!consent.sealed)
    return fail(LoadStatus::Corrupt, "the consent section's own checksum does not match");
  if (!consent.parsed)
    return fail(LoadStatus::Corrupt, "the consent section is malformed: " + consent.why);
  if (flags & ~kFlagCompacted)
    return fail(LoadStatus::Corrupt,
                "the header has unknown flags (" + std::to_string(flags) + ")");
  std::string why;
  if (!readProfileBody(profile.body, v, out, why))
    return fail(LoadStatus::Corrupt, "the profile section is malformed: " + why);
  if (v >= 2 && !decodeContacts(contacts.body, out.contacts, why))
    return fail(LoadStatus::Corrupt, "the contacts section is malformed: " + why);
  out.consent = std::move(consent.record);
  LoadReport report;
  report.status = v == kStateVersion ? LoadStatus::Ok : LoadStatus::Migrated;
  report.fromVersion = v;
  if (v < 2) report.reason = "migrated from state version 1 (which had no contact history)";
  return report;
}

// ---- cookie compaction ----

size_t base64Length(size_t bytes) {
  return bytes / 3 * 4 + (bytes % 3 ? bytes % 3 + 1 : 0);
}

// Drops the buckets no window reaches any more and folds the rest older than the exact range
// into one bucket at the newest folded day. Windows of up to 30 days never reach back to it,
// so they stay exact from now on; d90 stays exact today; lifetime is untouched.
void foldOldDayBuckets(Profile& p) {
  int64_t today = std::numeric_limits<int64_t>::min();
  // A loaded blob may hold any finite time: clamped before the cast (1e15 days is past every
  // int32 day number, so the result is the same).
  if (isMagnitude(p.lastSeenMs) && p.lastSeenMs > 0)
    today = static_cast<int64_t>(std::floor(std::min(p.lastSeenMs / kMsPerDay, 1e15)));
  for (const EventCounter& c : p.counters)
    for (const DayCount& d : c.days) today = std::max<int64_t>(today, d.day);
  if (today == std::numeric_limits<int64_t>::min()) return;  // no buckets at all
  for (EventCounter& c : p.counters) {
    size_t dead = 0;
    while (dead < c.days.size() && c.days[dead].day <= today - kLongestWindowDays) ++dead;
    size_t old = dead;
    uint32_t folded = 0;
    while (old < c.days.size() && c.days[old].day < today - kCookieExactDays) {
      folded = addSaturating(folded, c.days[old].count);
      ++old;
    }
    if (old - dead >= 2) {
      c.days[old - 1].count = folded;  // the newest folded bucket holds them all
      dead = old - 1;
    }
    c.days.erase(c.days.begin(), c.days.begin() + static_cast<std::ptrdiff_t>(dead));
  }
}

// Weakness of an interest: its log-score decayed (at the default half-life; the configured
// one is not known here) to the newest interest update.
std::vector<size_t> interestsWeakestFirst(const Profile& p) {
  double newest = 0;
  for (const InterestScore& s : p.interests) newest = std::max(newest, s.updatedMs);
  const double halfLife = ProfileSettings().interestHalfLifeMs;
  std::vector<double> strength(p.interests.size());
  for (size_t i = 0; i < p.interests.size(); ++i) {
    const InterestScore& s = p.interests[i];
    strength[i] = s.score > 0 && std::isfinite(s.score)
                      ? std::log2(s.score) - (newest - s.updatedMs) / halfLife
                      : -std::numeric_limits<double>::infinity();
    if (std::isnan(strength[i])) strength[i] = -std::numeric_limits<double>::infinity();
  }
  std::vector<size_t> order(p.interests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (strength[a] != strength[b]) return strength[a] < strength[b];
    return p.interests[a].key < p.interests[b].key;
  });
  return order;
}

// Removes the items whose `drop` flag is set, keeping the order of the others.
template <class T>
void removeFlagged(std::vector<T>& items, const std::vector<bool>& drop) {
  size_t kept = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) items[kept] = std::move(items[i]);  // never a self-move: it may empty
    ++kept;
  }
  items.resize(kept);
}

}  // namespace

const char* loadStatusName(LoadStatus status) {
  switch (status) {
    case LoadStatus::Ok:
      return "ok";
    case LoadStatus::Migrated:
      return "migrated";
    case LoadStatus::Empty:
      return "empty";
    case LoadStatus::Corrupt:
      return "corrupt";
    case LoadStatus::Truncated:
      return "truncated";
    case LoadStatus::Foreign:
      return "foreign";
    case LoadStatus::TooNew:
      return "too_new";
  }
  return "unknown";
}

void encodeState(const VisitorState& state, std::string& out) {
  encodeWithFlags(state, 0, out);
}

LoadReport decodeState(std::string_view bytes, VisitorState& out) {
  out = VisitorState();
  if (bytes.empty()) return LoadReport();
  std::string_view magic(kMagic, kMagicBytes);
  if (bytes.size() < kMagicBytes && magic.substr(0, bytes.size()) == bytes)
    return discard(LoadStatus::Truncated,
                   "the state is cut short: " + bytesText(bytes.size(), "") +
                       ", shorter than its 6-byte header",
                   0);
  if (bytes.substr(0, kMagicBytes) != magic)
    return discard(LoadStatus::Foreign, "not an Attune state (it does not start with \"ATS\")", 0);
  if (bytes.size() < kHeaderBytes)
    return discard(LoadStatus::Truncated,
                   "the state is cut short: " + bytesText(bytes.size(), "") +
                       ", shorter than its 6-byte header",
                   0);
  uint8_t flags = static_cast<uint8_t>(bytes[3]);
  uint16_t version =
      static_cast<uint16_t>(static_cast<uint8_t>(bytes[4]) | static_cast<uint8_t>(bytes[5]) << 8);
  if (version > kStateVersion) return decodeNewer(bytes, version, out);
  if (version == 0) return decodeV0(bytes, flags, out);
  return decodeV1(bytes, flags, version, out);
}

bool encodeCookie(const VisitorState& state, size_t maxBytes, std::string& out) {
  std::string blob;
  encodeState(state, blob);
  if (base64Length(blob.size()) <= maxBytes) {
    base64UrlEncode(blob, out);
    return true;
  }
  VisitorState copy = state;
  Profile& p = copy.profile;
  auto fits = [&] {
    encodeWithFlags(copy, kFlagCompacted, blob);
    return base64Length(blob.size()) <= maxBytes;
  };
  auto done = [&] {
    base64UrlEncode(blob, out);
    return true;
  };

  foldOldDayBuckets(p);
  if (fits()) return done();

  // Whole custom counters, least recently used first; built-in types stay. They go before
  // interests: what a visitor cares about outweighs a rarely used custom event.
  for (;;) {
    size_t oldest = p.counters.size();
    for (size_t i = 0; i < p.counters.size(); ++i) {
      if (isBuiltInEventType(p.counters[i].type)) continue;
      if (oldest == p.counters.size() || p.counters[i].lastMs < p.counters[oldest].lastMs)
        oldest = i;
    }
    if (oldest == p.counters.size()) break;
    p.counters.erase(p.counters.begin() + static_cast<std::ptrdiff_t>(oldest));
    if (fits()) return done();
  }
  // Cart categories, from the line of least value up.
  std::vector<size_t> lines(p.cart.size());
  for (size_t i = 0; i < lines.size(); ++i) lines[i] = i;
  std::stable_sort(lines.begin(), lines.end(), [&](size_t a, size_t b) {
    return cleanMagnitude(p.cart[a].price) * p.cart[a].quantity <
           cleanMagnitude(p.cart[b].price) * p.cart[b].quantity;
  });
  for (size_t i : lines) {
    if (p.cart[i].categories.empty()) continue;
    p.cart[i].categories.clear();
    if (fits()) return done();
  }

  // The weakest interests go one by one, the others keep their order.
  std::vector<size_t> weakest = interestsWeakestFirst(p);
  std::vector<bool> drop(p.interests.size(), false);
  std::vector<InterestScore> allInterests = p.interests;
  for (size_t i : weakest) {
    drop[i] = true;
    p.interests = allInterests;
    removeFlagged(p.interests, drop);
    if (fits()) return done();
  }

  out.clear();
  return false;
}

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Each byte's 6-bit value, or 64 for a byte outside the alphabet: one load per character
// (the cookie is decoded and encoded again on every edge request).
struct Base64UrlValues {
  uint8_t value[256];
  constexpr Base64UrlValues() : value() {
    for (int c = 0; c < 256; ++c) value[c] = 64;
    for (int i = 0; i < 64; ++i)
      value[static_cast<unsigned char>(kBase64Url[i])] = static_cast<uint8_t>(i);
  }
};
constexpr Base64UrlValues kBase64UrlValues;

enum class Base64Problem { None, BadChar, BadLength, BadTail };

// Decodes strictly: only the 64 URL-safe characters, no padding, no impossible length, and
// the unused low bits of the last character zero (so each byte string has one text form).
Base64Problem decodeBase64Url(std::string_view text, std::string& out, size_t& badAt) {
  out.clear();
  const uint8_t* values = kBase64UrlValues.value;
  for (size_t i = 0; i < text.size(); ++i) {
    if (values[static_cast<unsigned char>(text[i])] == 64) {
      badAt = i;
      return Base64Problem::BadChar;
    }
  }
  if (text.size() % 4 == 1) return Base64Problem::BadLength;
  size_t whole = text.size() / 4;
  size_t rest = text.size() % 4;  // 0, 2 or 3 characters: 0, 1 or 2 bytes
  out.resize(whole * 3 + (rest ? rest - 1 : 0));
  char* to = &out[0];
  const unsigned char* from = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < whole; ++i, from += 4, to += 3) {
    uint32_t v = static_cast<uint32_t>(values[from[0]]) << 18 |
                 static_cast<uint32_t>(values[from[1]]) << 12 |
                 static_cast<uint32_t>(values[from[2]]) << 6 | values[from[3]];
    to[0] = static_cast<char>(v >> 16);
    to[1] = static_cast<char>((v >> 8) & 0xFF);
    to[2] = static_cast<char>(v & 0xFF);
  }
  if (rest == 0) return Base64Problem::None;
  uint32_t v = static_cast<uint32_t>(values[from[0]]) << 18 | static_cast<uint32_t>(values[from[1]])
                                                                  << 12;
  if (rest == 3) v |= static_cast<uint32_t>(values[from[2]]) << 6;
  to[0] = static_cast<char>(v >> 16);
  if (rest == 3) to[1] = static_cast<char>((v >> 8) & 0xFF);
  // The bits below the last whole byte must be zero.
  uint32_t stray = rest == 2 ? (v & 0xFFFF) : (v & 0xFF);
  if (stray != 0) {
    out.clear();
    return Base64Problem::BadTail;
  }
  return Base64Problem::None;
}

}  // namespace

LoadReport decodeCookie(std::string_view text, VisitorState& out) {
  out = VisitorState();
  if (text.empty()) return LoadReport();
  std::string bytes;
  size_t badAt = 0;
  switch (decodeBase64Url(text, bytes, badAt)) {
    case Base64Problem::None:
      break;
    case Base64Problem::BadChar: {
      char hex[8];
      static const char kHex[] = "0123456789abcdef";
      unsigned char c = static_cast<unsigned char>(text[badAt]);
      hex[0] = '0';
      hex[1] = 'x';
      hex[2] = kHex[c >> 4];
      hex[3] = kHex[c & 15];
      hex[4] = 0;
      return discard(LoadStatus::Foreign,
                     std::string("not an Attune state cookie: byte ") + hex + " at offset " +
                         std::to_string(badAt) + " is not a base64url character",
                     0);
    }
    case Base64Problem::BadLength:
      return discard(LoadStatus::Corrupt,
                     "the cookie is not valid base64url: " + std::to_string(text.size()) +
                         " characters is an impossible length",
                     0);
    case Base64Problem::BadTail:
      return discard(LoadStatus::Corrupt,
                     "the cookie is not valid base64url: its last character has stray bits", 0);
  }
  return decodeState(bytes, out);
}

void base64UrlEncode(std::string_view bytes, std::string& out) {
  out.resize(base64Length(bytes.size()));
  char* to = &out[0];
  const unsigned char* from = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t whole = bytes.size() / 3;
  for (size_t i = 0; i < whole; ++i, from += 3, to += 4) {
    uint32_t v =
        static_cast<uint32_t>(from[0]) << 16 | static_cast<uint32_t>(from[1]) << 8 | from[2];
    to[0] = kBase64Url[v >> 18];
    to[1] = kBase64Url[(v >> 12) & 63];
    to[2] = kBase64Url[(v >> 6) & 63];
    to[3] = kBase64Url[v & 63];
  }
  size_t rest = bytes.size() - whole * 3;
  if (rest == 0) return;
  uint32_t v = static_cast<uint32_t>(from[0]) << 16;
  if (rest == 2) v |= static_cast<uint32_t>(from[1]) << 8;
  to[0] = kBase64Url[v >> 18];
  to[1] = kBase64Url[(v >> 12) & 63];
  if (rest == 2) to[2] = kBase64Url[(v >> 6) & 63];
}

bool base64UrlDecode(std::string_view text, std::string& out) {
  size_t badAt = 0;
  return decodeBase64Url(text, out, badAt) == Base64Problem::None;
}

}  // namespace attune
