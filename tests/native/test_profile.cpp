// The visitor's behaviour memory: event validation, sessions, windowed counters, interest
// decay, cart, purchases, RFM, lifecycle, triggers, bounds under volume, and the promise
// that a warm context write allocates nothing.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "doc.h"
#include "local_time.h"
#include "profile.h"

using attune::ConsentGate;
using attune::Doc;
using attune::kMsPerDay;
using attune::kNoNode;
using attune::NodeId;
using attune::ParseError;
using attune::Profile;
using attune::ProfileSettings;
using attune::Purpose;
using attune::Type;

namespace {

constexpr double kMinute = 60000.0;
constexpr double kHour = 60 * kMinute;

double at(const char* iso) {
  double ms = 0;
  REQUIRE(attune::parseInstant(iso, ms));
  return ms;
}

// Monday 2026-01-05T00:00:00Z: day boundaries fall on multiples of kMsPerDay from here.
constexpr double kT0 = 1767571200000.0;

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Every field, in full precision: two profiles are identical exactly when their dumps are.
std::string dump(const Profile& p) {
  std::string s =
      "firstSeen=" + num(p.firstSeenMs) + " lastSeen=" + num(p.lastSeenMs) +
      " sessionStart=" + num(p.sessionStartMs) + " previousVisit=" + num(p.previousVisitMs) +
      " lapsedReturn=" + num(p.lapsedReturnMs) + " sessions=" + std::to_string(p.sessions) +
      " purchases=" + std::to_string(p.purchases) + " spend=" + num(p.totalSpend) +
      " lastPurchase=" + num(p.lastPurchaseMs) + " cartUpdated=" + num(p.cartUpdatedMs) + "\n";
  for (const auto& c : p.counters) {
    s += "counter " + c.type + " " + std::to_string(c.lifetime) + " " + num(c.firstMs) + " " +
         num(c.lastMs) + ":";
    for (const auto& d : c.days) s += " " + std::to_string(d.day) + "x" + std::to_string(d.count);
    s += "\n";
  }
  for (const auto& i : p.interests) {
    s += "interest " + i.key + " " + num(i.score) + " " + num(i.updatedMs) + "\n";
  }
  for (const auto& l : p.cart) {
    s += "cart " + l.sku + " " + std::to_string(l.quantity) + " " + num(l.price) + ":";
    for (const auto& c : l.categories) s += " " + c;
    s += "\n";
  }
  for (const auto& c : p.categoryPurchases) {
    s += "bought " + c.category + " " + num(c.lastMs) + "\n";
  }
  return s;
}

struct Visitor {
  Profile p;
  ProfileSettings s;
  ConsentGate consent;
  std::string error;

  // `props` is JSON text; empty means no props at all.
  bool track(std::string_view type, const std::string& props, double now) {
    Doc d;
    NodeId root = kNoNode;
    if (!props.empty()) {
      ParseError e;
      attune::ParseLimits limits;
      limits.maxBytes = 4u << 20;  // room for the 1 MiB hostile strings
      REQUIRE(d.parse(props, e, limits));
      root = 0;
    }
    return attune::trackEvent(p, s, consent, type, d, root, now, error);
  }
  void ok(std::string_view type, const std::string& props, double now) {
    INFO(std::string(type) + " " + props);
    REQUIRE(track(type, props, now));
    REQUIRE(error.empty());
  }
};

// The profile context as conditions see it, for one `now`.
struct Context {
  Doc doc;
  NodeId root = 0;

  Context(const Visitor& v, double now, const std::string& traits = "{}") {
    ParseError e;
    REQUIRE(doc.parse("{\"traits\": " + traits + "}", e));
    NodeId declared = doc.path(0, "traits.interests");
    attune::writeProfileContext(v.p, v.s, v.consent, now, declared, doc, root);
  }
  NodeId at(const char* path) const { return doc.path(root, path); }
  bool has(const char* path) const { return at(path) != kNoNode; }
  double number(const char* path) const {
    NodeId n = at(path);
    INFO(path);
    REQUIRE(n != kNoNode);
    REQUIRE(doc.type(n) == Type::Number);
    return doc.node(n).number;
  }
  std::string text(const char* path) const {
    NodeId n = at(path);
    INFO(path);
    REQUIRE(n != kNoNode);
    std::string out;
    doc.write(n, out);
    return out;
  }
};

double trigger(const Visitor& v, std::string_view event, double now, int offset = 0,
               const std::string& traits = "{}", std::string_view category = {}) {
  Doc ctx;
  ParseError e;
  REQUIRE(ctx.parse("{\"traits\": " + traits + "}", e));
  attune::TriggerSpec spec{event, category};
  return attune::triggerEventMs(v.p, v.s, spec, now, offset, ctx, 0);
}

// A profile with something in every field, for "a rejected event changes nothing".
Visitor busyVisitor() {
  Visitor v;
  v.ok("page_view", R"({"categories": ["ski", "boots"]})", kT0);
  v.ok("add_to_cart", R"({"sku": "A1", "quantity": 2, "price": 10, "categories": ["ski"]})",
       kT0 + kMinute);
  v.ok("purchase", R"({"amount": 20, "items": [{"sku": "A1", "categories": ["ski"]}]})",
       kT0 + 2 * kMinute);
  v.ok("add_to_cart", R"({"sku": "B2"})", kT0 + 2 * kHour);
  v.ok("video_play", "", kT0 + 3 * kHour);
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Validation

TEST_CASE("profile: every event type accepts its documented props", "[profile]") {
  REQUIRE(at("2026-01-05T00:00:00Z") == kT0);
  Visitor v;
  double t = kT0;
  v.ok("page_view", "", t);
  v.ok("page_view", "{}", t);
  v.ok("page_view", R"({"categories": ["ski", "outdoor"], "tags": ["sale"], "path": "/ski"})", t);
  v.ok("search", R"({"query": "red boots"})", t);
  v.ok("search", R"({"query": ""})", t);
  v.ok("add_to_cart", R"({"sku": "A1"})", t);
  v.ok("add_to_cart", R"({"sku": "A1", "quantity": 3, "price": 9.5, "categories": ["ski"]})", t);
  v.ok("remove_from_cart", R"({"sku": "A1", "quantity": 1})", t);
  v.ok("remove_from_cart", R"({"sku": "nope"})", t);
  v.ok("purchase", R"({"amount": 0})", t);
  v.ok("purchase", R"({"amount": 99.9, "currency": "EUR", "items": [{"sku": "A1", "quantity": 2,
        "price": 49.95, "categories": ["ski"]}, {"sku": "B"}]})",
       t);
  v.ok("email_click", R"({"campaign": "spring"})", t);
  v.ok("signup", "", t);
  v.ok("signup", "{}", t);
  for (const char* type : {"impression", "click", "dismiss", "conversion"}) {
    v.ok(type, R"({"token": "tok", "campaign": "c", "value": 12.5})", t);
    v.ok(type, "{}", t);
  }
  // Custom types: any props, ignored.
  v.ok("video_play", R"({"anything": [1, {"x": null}]})", t);
  v.ok("a", "[1, 2]", t);
  v.ok("ns:video.play-2_x", "", t);
  v.ok(std::string(64, 'z'), "", t);
  CHECK(v.p.counters.size() == 15);
}

TEST_CASE("profile: bad props are rejected with a message naming the field", "[profile]") {
  const std::string mb(1 << 20, 'x');
  const std::string seventeen =
      R"(["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"])";
  struct Case {
    std::string type, props, error;
  };
  const std::vector<Case> cases = {
      {"page_view", "[]", "page_view: properties must be an object"},
      {"page_view", R"("x")", "page_view: properties must be an object"},
      {"page_view", R"({"color": "red"})", "page_view.color: unknown property"},
      {"page_view", R"({"path": "/a", "path": "/b"})", "page_view.path: repeated property"},
      {"page_view", R"({"categories": "ski"})", "page_view.categories: must be an array"},
      {"page_view", R"({"categories": [1]})", "page_view.categories.0: must be a string"},
      {"page_view", R"({"categories": ["ok", ""]})", "page_view.categories.1: must not be empty"},
      {"page_view", R"({"categories": [")" + std::string(65, 'c') + "\"]}",
       "page_view.categories.0: longer than 64 bytes"},
      {"page_view", R"({"categories": [")" + mb + "\"]}",
       "page_view.categories.0: longer than 64 bytes"},
      {"page_view", R"({"categories": )" + seventeen + "}",
       "page_view.categories: at most 16 entries"},
      {"page_view", R"({"tags": )" + seventeen + "}", "page_view.tags: at most 16 entries"},
      {"page_view", R"({"tags": [null]})", "page_view.tags.0: must be a string"},
      {"page_view", R"({"path": 5})", "page_view.path: must be a string"},
      {"page_view", R"({"path": ")" + mb + "\"}", "page_view.path: longer than 2048 bytes"},
      {"search", "", "search.query: is required"},
      {"search", "{}", "search.query: is required"},
      {"search", R"({"query": 5})", "search.query: must be a string"},
      {"search", R"({"query": ")" + std::string(513, 'q') + "\"}",
       "search.query: longer than 512 bytes"},
      {"search", R"({"query": ")" + mb + "\"}", "search.query: longer than 512 bytes"},
      {"search", R"({"query": "a", "page": 2})", "search.page: unknown property"},
      {"add_to_cart", "{}", "add_to_cart.sku: is required"},
      {"add_to_cart", R"({"sku": 12})", "add_to_cart.sku: must be a string"},
      {"add_to_cart", R"({"sku": ""})", "add_to_cart.sku: must not be empty"},
      {"add_to_cart", R"({"sku": ")" + mb + "\"}", "add_to_cart.sku: longer than 64 bytes"},
      {"add_to_cart", R"({"sku": "a", "quantity": 0})",
       "add_to_cart.quantity: must be a whole number from 1 to 1000000"},
      {"add_to_cart", R"({"sku": "a", "quantity": -1})",
       "add_to_cart.quantity: must be a whole number from 1 to 1000000"},
      {"add_to_cart", R"({"sku": "a", "quantity": 1.5})",
       "add_to_cart.quantity: must be a whole number from 1 to 1000000"},
      {"add_to_cart", R"({"sku": "a", "quantity": "2"})",
       "add_to_cart.quantity: must be a whole number from 1 to 1000000"},
      {"add_to_cart", R"({"sku": "a", "quantity": 1000001})",
       "add_to_cart.quantity: must be a whole number from 1 to 1000000"},
      {"add_to_cart", R"({"sku": "a", "price": -0.01})",
       "add_to_cart.price: must be a non-negative number"},
      {"add_to_cart", R"({"sku": "a", "price": "9.99"})",
       "add_to_cart.price: must be a non-negative number"},
      {"add_to_cart", R"({"sku": "a", "price": 1e16})", "add_to_cart.price: must be at most 1e15"},
      {"add_to_cart", R"({"sku": "a", "categories": )" + seventeen + "}",
       "add_to_cart.categories: at most 16 entries"},
      {"add_to_cart", R"({"sku": "a", "size": "L"})", "add_to_cart.size: unknown property"},
      {"remove_from_cart", "", "remove_from_cart.sku: is required"},
      {"remove_from_cart", R"({"sku": "a", "price": 1})",
       "remove_from_cart.price: unknown property"},
      {"remove_from_cart", R"({"sku": "a", "quantity": 0})",
       "remove_from_cart.quantity: must be a whole number from 1 to 1000000"},
      {"purchase", "{}", "purchase.amount: is required"},
      {"purchase", R"({"amount": -1})", "purchase.amount: must be a non-negative number"},
      {"purchase", R"({"amount": "10"})", "purchase.amount: must be a non-negative number"},
      {"purchase", R"({"amount": null})", "purchase.amount: must be a non-negative number"},
      {"purchase", R"({"amount": 1, "currency": "eur"})",
       R"(purchase.currency: must be a 3-letter ISO 4217 code ("EUR"))"},
      {"purchase", R"({"amount": 1, "currency": "EURO"})",
       R"(purchase.currency: must be a 3-letter ISO 4217 code ("EUR"))"},
      {"purchase", R"({"amount": 1, "items": {}})", "purchase.items: must be an array"},
      {"purchase", R"({"amount": 1, "items": ["A1"]})", "purchase.items.0: must be an object"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a"}, {}]})",
       "purchase.items.1.sku: is required"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a", "colour": "red"}]})",
       "purchase.items.0.colour: unknown property"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a", "quantity": 0}]})",
       "purchase.items.0.quantity: must be a whole number from 1 to 1000000"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a", "price": -3}]})",
       "purchase.items.0.price: must be a non-negative number"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a", "categories": [true]}]})",
       "purchase.items.0.categories.0: must be a string"},
      {"purchase", R"({"amount": 1, "items": [{"sku": "a", "categories": )" + seventeen + "}]}",
       "purchase.items.0.categories: at most 16 entries"},
      {"purchase", R"({"amount": 1, "total": 1})", "purchase.total: unknown property"},
      {"email_click", R"({"campaign": 1})", "email_click.campaign: must be a string"},
      {"email_click", R"({"campaign": ")" + mb + "\"}",
       "email_click.campaign: longer than 256 bytes"},
      {"email_click", R"({"link": "x"})", "email_click.link: unknown property"},
      {"signup", R"({"plan": "pro"})", "signup.plan: unknown property"},
      {"impression", R"({"value": -1})", "impression.value: must be a non-negative number"},
      {"click", R"({"token": 5})", "click.token: must be a string"},
      {"dismiss", R"({"campaign": ")" + mb + "\"}", "dismiss.campaign: longer than 256 bytes"},
      {"conversion", R"({"value": "12"})", "conversion.value: must be a non-negative number"},
      {"conversion", R"({"amount": 1})", "conversion.amount: unknown property"},
  };
  std::string items101 = R"({"amount": 1, "items": [)";
  for (int i = 0; i < 101; ++i) items101 += std::string(i ? "," : "") + R"({"sku": "s"})";
  items101 += "]}";

  Visitor v = busyVisitor();
  const std::string before = dump(v.p);
  for (const Case& c : cases) {
    INFO(c.type << " " << c.props.substr(0, 200));
    CHECK_FALSE(v.track(c.type, c.props, kT0 + 5 * kHour));
    CHECK(v.error == c.error);
    CHECK(dump(v.p) == before);  // a rejected event changes nothing
  }
  CHECK_FALSE(v.track("purchase", items101, kT0 + 5 * kHour));
  CHECK(v.error == "purchase.items: at most 100 entries");
  CHECK(dump(v.p) == before);
}

TEST_CASE("profile: hostile names stay out of error messages", "[profile]") {
  Visitor v = busyVisitor();
  const std::string before = dump(v.p);
  const double t = kT0 + 5 * kHour;
  CHECK_FALSE(v.track("Video", "", t));
  CHECK(v.error == R"(event type "Video": must be 1 to 64 characters of a-z, 0-9 and _ : . -)");
  CHECK_FALSE(v.track("", "", t));
  CHECK(v.error == R"(event type "": must be 1 to 64 characters of a-z, 0-9 and _ : . -)");
  CHECK_FALSE(v.track("a b", "", t));
  CHECK_FALSE(v.track("caf\xC3\xA9", "", t));
  CHECK_FALSE(v.track(std::string(65, 'a'), "", t));
  CHECK(v.error == "event type \"" + std::string(64, 'a') +
                       "\xE2\x80\xA6\": must be 1 to 64 characters of a-z, 0-9 and _ : . -");
  CHECK_FALSE(v.track(std::string(1 << 20, '\n'), "", t));
  CHECK(v.error.size() < 500);
  CHECK(v.error.find('\n') == std::string::npos);
  CHECK_FALSE(v.track(std::string("bad\0type", 8), "", t));
  CHECK(v.error.find("\\u0000") != std::string::npos);

  // An unknown property with a hostile name: quoted, cut, escaped.
  CHECK_FALSE(v.track("page_view", "{\"" + std::string(1 << 20, 'k') + "\": 1}", t));
  CHECK(v.error.size() < 200);
  CHECK(v.error.find(": unknown property") != std::string::npos);
  CHECK_FALSE(v.track("page_view", R"({"a\nb\u0000": 1})", t));
  CHECK(v.error == R"(page_view."a\nb\u0000": unknown property)");
  CHECK(dump(v.p) == before);
}

TEST_CASE("profile: invalid UTF-8 keys and bad times are rejected", "[profile]") {
  Visitor v = busyVisitor();
  const std::string before = dump(v.p);
  // A document built by hand can carry bytes a parser would refuse.
  Doc d;
  NodeId props = d.addObject();
  d.append(props, d.addString("A\xFF"), "sku");
  CHECK_FALSE(attune::trackEvent(v.p, v.s, v.consent, "add_to_cart", d, props, kT0, v.error));
  CHECK(v.error == "add_to_cart.sku: must be valid UTF-8");
  Doc d2;
  NodeId p2 = d2.addObject();
  NodeId cats = d2.addArray();
  d2.append(cats, d2.addString("\xC0\x80"));  // overlong NUL
  d2.append(p2, cats, "categories");
  CHECK_FALSE(attune::trackEvent(v.p, v.s, v.consent, "page_view", d2, p2, kT0, v.error));
  CHECK(v.error == "page_view.categories.0: must be valid UTF-8");
  // Hand-built NaN and infinity.
  Doc d3;
  NodeId p3 = d3.addObject();
  d3.append(p3, d3.addNumber(std::nan("")), "amount");
  CHECK_FALSE(attune::trackEvent(v.p, v.s, v.consent, "purchase", d3, p3, kT0, v.error));
  CHECK(v.error == "purchase.amount: must be a non-negative number");
  Doc d4;
  NodeId p4 = d4.addObject();
  d4.append(p4, d4.addNumber(INFINITY), "amount");
  CHECK_FALSE(attune::trackEvent(v.p, v.s, v.consent, "purchase", d4, p4, kT0, v.error));
  CHECK(v.error == "purchase.amount: must be at most 1e15");

  for (double now : {0.0, -1.0, std::nan(""), double(INFINITY), 9e15}) {
    CHECK_FALSE(v.track("signup", "", now));
    CHECK(v.error == "signup: the time must be a positive number of milliseconds since 1970");
  }
  CHECK(dump(v.p) == before);
}

TEST_CASE("profile: without personalization consent nothing is recorded", "[profile]") {
  Visitor v;
  v.consent.granted[static_cast<int>(Purpose::Personalization)] = false;
  CHECK(v.track("page_view", R"({"categories": ["ski"]})", kT0));
  CHECK(v.error.empty());
  CHECK(v.track("add_to_cart", R"({"sku": "a"})", kT0));
  CHECK(v.track("purchase", R"({"amount": 500})", kT0));
  CHECK(dump(v.p) == dump(Profile()));
  // Bad input is still reported.
  CHECK_FALSE(v.track("purchase", R"({"amount": -5})", kT0));
  CHECK(v.error == "purchase.amount: must be a non-negative number");

  // A profile recorded earlier is not shown once consent is withdrawn: neutral values only.
  Visitor w = busyVisitor();
  w.consent.granted[static_cast<int>(Purpose::Personalization)] = false;
  Context c(w, kT0 + 5 * kHour, R"({"interests": ["golf", "tennis"]})");
  std::string out;
  c.doc.write(c.root, out);
  const std::string zero = R"({"d1":0,"d7":0,"d30":0,"d90":0,"lifetime":0})";
  CHECK(
      out ==
      R"({"traits":{"interests":["golf","tennis"]},"interests":{},"topInterests":["golf","tennis"],)"
      R"("declaredInterests":["golf","tennis"],"behavior":{"counts":{"page_view":)" +
          zero + R"(,"search":)" + zero + R"(,"add_to_cart":)" + zero + R"(,"remove_from_cart":)" +
          zero + R"(,"purchase":)" + zero + R"(,"email_click":)" + zero + R"(,"signup":)" + zero +
          R"(,"impression":)" + zero + R"(,"click":)" + zero + R"(,"dismiss":)" + zero +
          R"(,"conversion":)" + zero +
          R"(},"sessions":0},"cart":{"items":[],"count":0,"value":0,"abandoned":false},)"
          R"("rfm":{"recency":1,"frequency":1,"monetary":1,"tier":"none","purchases":0,"spend":0},)"
          R"("lifecycle":"new"})");
}

// ---------------------------------------------------------------------------------------
// Sessions

TEST_CASE("profile: sessions end after 30 minutes of inactivity", "[profile]") {
  Visitor v;
  v.ok("page_view", "", kT0);
  CHECK(v.p.firstSeenMs == kT0);
  CHECK(v.p.sessionStartMs == kT0);
  CHECK(v.p.lastSeenMs == kT0);
  CHECK(v.p.sessions == 1);
  CHECK(v.p.previousVisitMs == 0);

  const double t1 = kT0 + 29 * kMinute + 59000;  // 29:59 later: same session
  v.ok("page_view", "", t1);
  CHECK(v.p.sessions == 1);
  CHECK(v.p.lastSeenMs == t1);
  v.ok("page_view", "", t1 + 30 * kMinute);  // exactly 30:00: still the same session
  CHECK(v.p.sessions == 1);
  const double t2 = t1 + 30 * kMinute + 30 * kMinute + 1000;  // 30:01 after the last event
  v.ok("page_view", "", t2);
  CHECK(v.p.sessions == 2);
  CHECK(v.p.sessionStartMs == t2);
  CHECK(v.p.previousVisitMs == t1 + 30 * kMinute);
  CHECK(v.p.lapsedReturnMs == 0);

  // A late event from before: counted, but no time moves backwards.
  v.ok("search", R"({"query": "x"})", kT0 - kHour);
  CHECK(v.p.lastSeenMs == t2);
  CHECK(v.p.firstSeenMs == kT0);
  CHECK(v.p.sessions == 2);
  CHECK(v.p.counters.back().type == "search");
  CHECK(v.p.counters.back().lifetime == 1);
  CHECK(v.p.counters.front().lifetime == 4);
}

TEST_CASE("profile: a return after lapsedReturnAfter marks a lapsed return", "[profile]") {
  Visitor v;
  v.ok("page_view", "", kT0);
  v.ok("page_view", "", kT0 + 30 * kMsPerDay - 1);  // 1 ms short of 30 days
  CHECK(v.p.sessions == 2);
  CHECK(v.p.lapsedReturnMs == 0);
  const double back = kT0 + 30 * kMsPerDay - 1 + 30 * kMsPerDay;  // exactly 30 days
  v.ok("page_view", "", back);
  CHECK(v.p.sessions == 3);
  CHECK(v.p.lapsedReturnMs == back);
  v.ok("page_view", "", back + kHour);
  CHECK(v.p.lapsedReturnMs == back);  // stays until the next lapsed return
}

// ---------------------------------------------------------------------------------------
// Counters

TEST_CASE("profile: windowed counts follow UTC day boundaries", "[profile]") {
  Visitor v;
  const double day = kMsPerDay;
  // Today is day kT0 + 100d. Events on days -90, -89, -30, -29, -7, -6, -1 and today.
  const double today = kT0 + 100 * day;
  for (int ago : {90, 89, 30, 29, 7, 6, 1}) v.ok("click", "", today - ago * day + 12 * kHour);
  v.ok("click", "", today + 10 * kHour);
  v.ok("click", "", today + 10 * kHour);

  Context c(v, today + 23 * kHour);
  CHECK(c.number("behavior.counts.click.d1") == 2);
  CHECK(c.number("behavior.counts.click.d7") == 4);   // today, -1, -6
  CHECK(c.number("behavior.counts.click.d30") == 6);  // plus -7, -29
  CHECK(c.number("behavior.counts.click.d90") == 8);  // plus -30, -89
  CHECK(c.number("behavior.counts.click.lifetime") == 9);
  CHECK(c.number("behavior.counts.page_view.lifetime") == 0);  // built-ins always present
  CHECK_FALSE(c.has("behavior.counts.video_play"));

  // One millisecond into the next UTC day, today's events leave d1.
  Context next(v, today + day);
  CHECK(next.number("behavior.counts.click.d1") == 0);
  CHECK(next.number("behavior.counts.click.d7") == 3);  // -6 became -7
  Context before(v, today + day - 1);
  CHECK(before.number("behavior.counts.click.d1") == 2);
}

TEST_CASE("profile: day buckets stay within 91 days and counters within 48 types", "[profile]") {
  Visitor v;
  for (int d = 0; d < 200; ++d) v.ok("page_view", "", kT0 + d * kMsPerDay);
  REQUIRE(v.p.counters.size() == 1);
  const auto& days = v.p.counters[0].days;
  CHECK(days.size() == 91);
  CHECK(days.front().day == days.back().day - 90);
  CHECK(v.p.counters[0].lifetime == 200);
  CHECK(v.p.counters[0].firstMs == kT0);
  // A late event older than the kept window: counted in lifetime, no bucket.
  v.ok("page_view", "", kT0);
  CHECK(v.p.counters[0].lifetime == 201);
  CHECK(days.size() == 91);
  // A late event inside the window goes into its (existing) bucket.
  v.ok("page_view", "", kT0 + 150 * kMsPerDay + 5);
  CHECK(days.size() == 91);
  CHECK(days[150 - 109].count == 2);

  // 11 built-in types, then custom ones until the table is full.
  Visitor w;
  double t = kT0;
  for (const char* type :
       {"page_view", "signup", "email_click", "impression", "click", "dismiss", "conversion"}) {
    w.ok(type, "", t += 1000);
  }
  w.ok("search", R"({"query": "q"})", t += 1000);
  w.ok("add_to_cart", R"({"sku": "a"})", t += 1000);
  w.ok("remove_from_cart", R"({"sku": "a"})", t += 1000);
  w.ok("purchase", R"({"amount": 1})", t += 1000);
  for (int i = 0; i < 37; ++i) w.ok("custom_" + std::to_string(i), "", t += 1000);
  REQUIRE(w.p.counters.size() == 48);
  w.ok("custom_0", "", t += 1000);  // refreshes custom_0: custom_1 is now the oldest
  w.ok("fresh", "", t += 1000);
  CHECK(w.p.counters.size() == 48);
  bool hasCustom1 = false, hasFresh = false, hasCustom0 = false;
  for (const auto& c : w.p.counters) {
    hasCustom1 |= c.type == "custom_1";
    hasFresh |= c.type == "fresh";
    hasCustom0 |= c.type == "custom_0";
  }
  CHECK_FALSE(hasCustom1);
  CHECK(hasFresh);
  CHECK(hasCustom0);
  // Built-in types are never evicted, even when they are the oldest.
  for (int i = 100; i < 200; ++i) w.ok("custom_" + std::to_string(i), "", t += 1000);
  int builtIns = 0;
  for (const auto& c : w.p.counters) {
    if (c.type.rfind("custom_", 0) != 0 && c.type != "fresh") ++builtIns;
  }
  CHECK(builtIns == 11);
  CHECK(w.p.counters.size() == 48);
  CHECK(trigger(w, "page_view", t) == kT0 + 1000);
}

// ---------------------------------------------------------------------------------------
// Interests

TEST_CASE("profile: interests decay with the half-life and weigh purchases more", "[profile]") {
  Visitor v;
  const double h = v.s.interestHalfLifeMs;
  v.ok("page_view", R"({"categories": ["ski", "ski", "boots"]})", kT0);  // duplicates count once
  Context c0(v, kT0);
  CHECK(c0.number("interests.ski") == 1);
  Context c1(v, kT0 + h);
  CHECK(c1.number("interests.ski") == 0.5);  // exactly one half-life
  Context c2(v, kT0 + 2 * h);
  CHECK(c2.number("interests.ski") == 0.25);

  v.ok("page_view", R"({"categories": ["ski"]})", kT0 + h);  // decays to now, then adds
  REQUIRE(v.p.interests[0].key == "ski");
  CHECK(v.p.interests[0].score == 1.5);
  CHECK(v.p.interests[0].updatedMs == kT0 + h);

  v.ok("purchase", R"({"amount": 10, "items": [{"sku": "x", "categories": ["golf"]}]})", kT0 + h);
  v.ok("add_to_cart", R"({"sku": "y", "categories": ["tennis"]})", kT0 + h);
  Context c3(v, kT0 + h);
  CHECK(c3.number("interests.golf") == 5);
  CHECK(c3.number("interests.tennis") == 1);
  // boots (0.5) < tennis (1): the order is by score.
  CHECK(c3.text("topInterests") == R"(["golf","ski","tennis","boots"])");

  // A late event adds its weight aged to the interest's last update.
  v.ok("page_view", R"({"categories": ["golf"]})", kT0);
  CHECK(v.p.interests[2].key == "golf");
  CHECK(v.p.interests[2].score == 5.5);
  CHECK(v.p.interests[2].updatedMs == kT0 + h);

  // Scores under 0.01 are gone from the context (2^-6 = 0.0156 stays, 2^-7 = 0.0078 goes).
  Visitor w;
  w.ok("page_view", R"({"categories": ["ski"]})", kT0);
  CHECK(Context(w, kT0 + 6 * h).has("interests.ski"));
  Context gone(w, kT0 + 7 * h);
  CHECK_FALSE(gone.has("interests.ski"));
  CHECK(gone.text("topInterests") == "[]");
}

TEST_CASE("profile: sensitive interests need the sensitive purpose", "[profile]") {
  Visitor v;
  v.s.sensitiveInterests = {"health", "religion"};  // sorted
  v.ok("page_view", R"({"categories": ["health", "ski", "healthy"]})", kT0);
  v.ok("purchase", R"({"amount": 5, "items": [{"sku": "p", "categories": ["health"]}]})", kT0);
  v.ok("add_to_cart", R"({"sku": "q", "categories": ["religion", "books"]})", kT0);
  std::string keys;
  for (const auto& i : v.p.interests) keys += i.key + " ";
  CHECK(keys == "ski healthy books ");
  CHECK(v.p.categoryPurchases.empty());
  REQUIRE(v.p.cart.size() == 1);
  CHECK(v.p.cart[0].categories == std::vector<std::string>{"books"});
  CHECK(trigger(v, "purchase", kT0, 0, "{}", "health") == 0);

  Context c(v, kT0, R"({"interests": ["religion", "cooking"]})");
  CHECK(c.text("declaredInterests") == R"(["cooking"])");
  CHECK(c.text("topInterests") == R"(["cooking","books","healthy","ski"])");  // ties by key

  v.consent.granted[static_cast<int>(Purpose::Sensitive)] = true;
  v.ok("page_view", R"({"categories": ["health"]})", kT0 + 2);
  v.ok("purchase", R"({"amount": 5, "items": [{"sku": "p", "categories": ["health"]}]})", kT0 + 2);
  CHECK(trigger(v, "purchase", kT0 + 3, 0, "{}", "health") == kT0 + 2);
  Context granted(v, kT0 + 2, R"({"interests": ["religion", "cooking"]})");
  CHECK(granted.number("interests.health") == 6);
  CHECK(granted.text("declaredInterests") == R"(["religion","cooking"])");

  // Withdrawn later: what was stored is no longer shown.
  v.consent.granted[static_cast<int>(Purpose::Sensitive)] = false;
  Context withdrawn(v, kT0 + 2);
  CHECK_FALSE(withdrawn.has("interests.health"));
  CHECK(withdrawn.text("topInterests").find("health\"") == std::string::npos);
}

TEST_CASE("profile: topInterests puts declared first, dedups and keeps ten", "[profile]") {
  Visitor v;
  for (int i = 0; i < 12; ++i) {
    std::string cat = "c" + std::to_string(i);
    for (int n = 0; n <= i % 4; ++n) v.ok("page_view", "{\"categories\": [\"" + cat + "\"]}", kT0);
  }
  // Scores: c3,c7,c11 = 4; c2,c6,c10 = 3; c1,c5,c9 = 2; c0,c4,c8 = 1. Ties by key.
  Context c(v, kT0, R"({"interests": ["c0", "mine", "c0", 7, "", "c6"]})");
  CHECK(c.text("declaredInterests") == R"(["c0","mine","c6"])");
  CHECK(c.text("topInterests") == R"(["c0","mine","c6","c11","c3","c7","c10","c2","c1","c5"])");
  Context none(v, kT0);
  CHECK(none.text("declaredInterests") == "[]");
  CHECK(none.text("topInterests") == R"(["c11","c3","c7","c10","c2","c6","c1","c5","c9","c0"])");
}

TEST_CASE("profile: at most 64 interests, the weakest evicted", "[profile]") {
  Visitor v;
  const double h = v.s.interestHalfLifeMs;
  // "old" starts strong but decays; 63 fresh ones at weight 1.
  for (int n = 0; n < 8; ++n) v.ok("page_view", R"({"categories": ["old"]})", kT0);
  for (int i = 0; i < 63; ++i) {
    v.ok("page_view", "{\"categories\": [\"k" + std::to_string(i) + "\"]}", kT0 + 4 * h);
  }
  REQUIRE(v.p.interests.size() == 64);
  // old: 8 · 2^-4 = 0.5 < 1: the next new interest replaces it.
  v.ok("page_view", R"({"categories": ["new"]})", kT0 + 4 * h);
  CHECK(v.p.interests.size() == 64);
  bool hasOld = false, hasNew = false;
  for (const auto& i : v.p.interests) {
    hasOld |= i.key == "old";
    hasNew |= i.key == "new";
  }
  CHECK_FALSE(hasOld);
  CHECK(hasNew);
  // A new interest weaker than every kept one is not worth an eviction.
  v.s.viewWeight = 0.1;
  v.ok("page_view", R"({"categories": ["weak"]})", kT0 + 4 * h);
  bool hasWeak = false;
  for (const auto& i : v.p.interests) hasWeak |= i.key == "weak";
  CHECK_FALSE(hasWeak);
  CHECK(v.p.interests.size() == 64);
}

// ---------------------------------------------------------------------------------------
// Cart and purchases

TEST_CASE("profile: the cart merges, removes, clears and is abandoned on time", "[profile]") {
  Visitor v;
  v.ok("add_to_cart", R"({"sku": "A", "quantity": 2, "price": 10, "categories": ["a", "b"]})", kT0);
  v.ok("add_to_cart", R"({"sku": "A", "price": 8, "categories": ["b", "c"]})", kT0 + 1);
  v.ok("add_to_cart", R"({"sku": "B", "quantity": 3})", kT0 + 2);
  REQUIRE(v.p.cart.size() == 2);
  CHECK(v.p.cart[0].quantity == 3);
  CHECK(v.p.cart[0].price == 8);  // the latest price
  CHECK(v.p.cart[0].categories == std::vector<std::string>{"a", "b", "c"});
  CHECK(v.p.cart[1].price == 0);
  v.ok("add_to_cart", R"({"sku": "A"})", kT0 + 3);  // no price given: the known one stays
  CHECK(v.p.cart[0].price == 8);
  CHECK(v.p.cart[0].quantity == 4);
  CHECK(v.p.cartUpdatedMs == kT0 + 3);

  // Categories per line: a union of at most 8.
  v.ok("add_to_cart",
       R"({"sku": "A", "categories": ["d", "e", "f", "g", "h", "i", "j", "k", "l"]})", kT0 + 3);
  CHECK(v.p.cart[0].categories.size() == 8);
  CHECK(v.p.cart[0].categories.back() == "h");

  Context c(v, kT0 + 3);
  CHECK(c.text("cart.items") ==
        R"([{"sku":"A","quantity":5,"price":8},{"sku":"B","quantity":3,"price":0}])");
  CHECK(c.number("cart.count") == 8);
  CHECK(c.number("cart.value") == 40);

  v.ok("remove_from_cart", R"({"sku": "A", "quantity": 2})", kT0 + 4);
  CHECK(v.p.cart[0].quantity == 3);
  v.ok("remove_from_cart", R"({"sku": "A", "quantity": 3})", kT0 + 5);  // all of it
  REQUIRE(v.p.cart.size() == 1);
  CHECK(v.p.cart[0].sku == "B");
  v.ok("remove_from_cart", R"({"sku": "unknown"})", kT0 + 6);  // no-op, no error
  CHECK(v.p.cartUpdatedMs == kT0 + 5);
  CHECK(v.p.cart.size() == 1);

  // Abandoned exactly cartAbandonAfter (1 h) after the last change.
  CHECK(Context(v, kT0 + 5 + kHour - 1).text("cart.abandoned") == "false");
  CHECK(Context(v, kT0 + 5 + kHour).text("cart.abandoned") == "true");
  CHECK(trigger(v, "cart_abandoned", kT0 + 5 + kHour) == kT0 + 5 + kHour);

  v.ok("remove_from_cart", R"({"sku": "B"})", kT0 + 7);  // no quantity: the whole line
  CHECK(v.p.cart.empty());
  CHECK(v.p.cartUpdatedMs == kT0 + 7);
  CHECK(Context(v, kT0 + 7 + 2 * kHour).text("cart.abandoned") == "false");
  CHECK(trigger(v, "cart_abandoned", kT0 + 7 + 2 * kHour) == 0);

  v.ok("add_to_cart", R"({"sku": "C", "quantity": 1000000})", kT0 + 8);
  v.ok("add_to_cart", R"({"sku": "C", "quantity": 5})", kT0 + 9);
  CHECK(v.p.cart[0].quantity == 1000000);  // merges saturate at the per-line maximum
  v.ok("purchase", R"({"amount": 12.5})", kT0 + 10);
  CHECK(v.p.cart.empty());
  CHECK(v.p.cartUpdatedMs == kT0 + 10);
}

TEST_CASE("profile: a full cart refuses a new line and changes nothing", "[profile]") {
  Visitor v;
  for (int i = 0; i < 50; ++i) {
    v.ok("add_to_cart", "{\"sku\": \"s" + std::to_string(i) + "\"}", kT0 + i);
  }
  const std::string before = dump(v.p);
  CHECK_FALSE(v.track("add_to_cart", R"({"sku": "s50", "categories": ["x"]})", kT0 + 100));
  CHECK(v.error == "add_to_cart: cart is full (50 lines)");
  CHECK(dump(v.p) == before);
  v.ok("add_to_cart", R"({"sku": "s7"})", kT0 + 101);  // an existing line still merges
  CHECK(v.p.cart.size() == 50);
  CHECK(v.p.cart[7].quantity == 2);
}

TEST_CASE("profile: purchases add up and remember categories", "[profile]") {
  Visitor v;
  v.ok("purchase",
       R"({"amount": 100, "items": [{"sku": "a", "categories": ["ski", "ski"]},
                                   {"sku": "b", "categories": ["ski", "boots"]}]})",
       kT0);
  CHECK(v.p.purchases == 1);
  CHECK(v.p.totalSpend == 100);
  CHECK(v.p.lastPurchaseMs == kT0);
  REQUIRE(v.p.categoryPurchases.size() == 2);
  CHECK(v.p.interests[0].key == "ski");
  CHECK(v.p.interests[0].score == 10);  // two items with ski: 2 × purchaseWeight
  v.ok("purchase", R"({"amount": 50.5})", kT0 + kHour);
  v.ok("purchase", R"({"amount": 1})", kT0 - kHour);  // late: counted, time kept
  CHECK(v.p.purchases == 3);
  CHECK(v.p.totalSpend == 151.5);
  CHECK(v.p.lastPurchaseMs == kT0 + kHour);
  CHECK(trigger(v, "purchase", kT0 + 2 * kHour) == kT0 + kHour);
  CHECK(trigger(v, "purchase", kT0 + 2 * kHour, 0, "{}", "boots") == kT0);
  CHECK(trigger(v, "purchase", kT0 + 2 * kHour, 0, "{}", "golf") == 0);

  // At most 32 categories: the one bought longest ago goes.
  for (int i = 0; i < 40; ++i) {
    v.ok("purchase",
         "{\"amount\": 1, \"items\": [{\"sku\": \"x\", \"categories\": [\"c" + std::to_string(i) +
             "\"]}]}",
         kT0 + kMsPerDay + i * kMinute);
  }
  CHECK(v.p.categoryPurchases.size() == 32);
  CHECK(trigger(v, "purchase", kT0 + 2 * kMsPerDay, 0, "{}", "ski") == 0);
  CHECK(trigger(v, "purchase", kT0 + 2 * kMsPerDay, 0, "{}", "c7") == 0);
  CHECK(trigger(v, "purchase", kT0 + 2 * kMsPerDay, 0, "{}", "c8") ==
        kT0 + kMsPerDay + 8 * kMinute);
}

// ---------------------------------------------------------------------------------------
// RFM, lifecycle

namespace {

Visitor buyer(uint32_t purchases, double spend, double lastPurchaseMs) {
  Visitor v;
  v.p.firstSeenMs = v.p.sessionStartMs = v.p.lastSeenMs = lastPurchaseMs;
  v.p.sessions = 1;
  v.p.purchases = purchases;
  v.p.totalSpend = spend;
  v.p.lastPurchaseMs = lastPurchaseMs;
  return v;
}

}  // namespace

TEST_CASE("profile: RFM scores at every threshold edge", "[profile]") {
  const double day = kMsPerDay;
  // Recency: days since the last purchase <= 7 → 5, <= 30 → 4, <= 90 → 3, <= 180 → 2.
  const std::vector<std::pair<double, int>> recency = {
      {0, 5}, {7, 5}, {7.0001, 4}, {30, 4}, {30.5, 3}, {90, 3}, {91, 2}, {180, 2}, {180.01, 1}};
  for (const auto& [days, score] : recency) {
    INFO("days " << days);
    Visitor v = buyer(1, 10, kT0);
    CHECK(Context(v, kT0 + days * day).number("rfm.recency") == score);
    CHECK(Context(v, kT0 + days * day).number("behavior.daysSinceLastPurchase") == Approx(days));
  }
  // Frequency: purchases >= 10 → 5, >= 5 → 4, >= 3 → 3, >= 2 → 2.
  const std::vector<std::pair<uint32_t, int>> frequency = {{1, 1}, {2, 2}, {3, 3}, {4, 3},
                                                           {5, 4}, {9, 4}, {10, 5}};
  for (const auto& [n, score] : frequency) {
    INFO("purchases " << n);
    CHECK(Context(buyer(n, 10, kT0), kT0).number("rfm.frequency") == score);
  }
  // Monetary: spend >= 1000 → 5, >= 500 → 4, >= 200 → 3, >= 50 → 2.
  const std::vector<std::pair<double, int>> monetary = {
      {0, 1}, {49.99, 1}, {50, 2}, {199.99, 2}, {200, 3}, {500, 4}, {999.99, 4}, {1000, 5}};
  for (const auto& [spend, score] : monetary) {
    INFO("spend " << spend);
    CHECK(Context(buyer(1, spend, kT0), kT0).number("rfm.monetary") == score);
  }
  Context c(buyer(3, 210.5, kT0), kT0);
  CHECK(c.number("rfm.purchases") == 3);
  CHECK(c.number("rfm.spend") == 210.5);
}

TEST_CASE("profile: RFM tiers", "[profile]") {
  const double day = kMsPerDay;
  auto tier = [&](uint32_t n, double spend, double daysAgo) {
    Visitor v = buyer(n, spend, kT0);
    return Context(v, kT0 + daysAgo * day).text("rfm.tier");
  };
  CHECK(tier(5, 500, 30) == "\"champion\"");      // R4 F4 M4
  CHECK(tier(5, 500, 31) == "\"loyal\"");         // R3 F4 M4
  CHECK(tier(5, 10, 200) == "\"loyal\"");         // F4
  CHECK(tier(1, 500, 200) == "\"big_spender\"");  // M4
  CHECK(tier(3, 10, 91) == "\"at_risk\"");        // R2 F3
  CHECK(tier(1, 200, 200) == "\"at_risk\"");      // R1 M3
  CHECK(tier(3, 10, 90) == "\"occasional\"");     // R3 F3
  CHECK(tier(1, 10, 7) == "\"new_customer\"");    // R5, first purchase
  CHECK(tier(2, 60, 30) == "\"new_customer\"");   // R4
  CHECK(tier(1, 10, 100) == "\"occasional\"");    // R2 F1 M1
  Visitor never;
  never.ok("page_view", "", kT0);
  Context c(never, kT0);
  CHECK(c.text("rfm") ==
        R"({"recency":1,"frequency":1,"monetary":1,"tier":"none","purchases":0,"spend":0})");
  CHECK_FALSE(c.has("behavior.daysSinceLastPurchase"));
}

TEST_CASE("profile: lifecycle from new to active, lapsed and dormant", "[profile]") {
  const double day = kMsPerDay;
  Visitor empty;
  Context e(empty, kT0);
  CHECK(e.text("lifecycle") == "\"new\"");
  CHECK(e.number("behavior.sessions") == 0);
  CHECK_FALSE(e.has("behavior.daysSinceLastVisit"));
  CHECK_FALSE(e.has("behavior.daysSinceFirstVisit"));

  Visitor v;
  v.ok("page_view", "", kT0);
  Context first(v, kT0 + 10 * kMinute);
  CHECK(first.text("lifecycle") == "\"new\"");
  CHECK_FALSE(first.has("behavior.daysSinceLastVisit"));  // first visit, still going on
  CHECK(first.number("behavior.daysSinceFirstVisit") == Approx(10.0 / 1440));
  Context later(v, kT0 + 2.5 * day);  // between visits: time since the last activity
  CHECK(later.number("behavior.daysSinceLastVisit") == 2.5);
  CHECK(later.text("lifecycle") == "\"new\"");  // one session so far

  v.ok("page_view", "", kT0 + 2.5 * day);
  Context back(v, kT0 + 2.5 * day + 5 * kMinute);  // during the visit: the gap before it
  CHECK(back.number("behavior.daysSinceLastVisit") == 2.5);
  CHECK(back.text("lifecycle") == "\"active\"");
  CHECK(back.number("behavior.sessions") == 2);
  CHECK(back.number("behavior.daysSinceFirstVisit") == Approx(2.5 + 5.0 / 1440));

  // Away exactly 30 days (active), then 30 days + 1 ms (lapsed), 90 (lapsed), beyond (dormant).
  const double last = kT0 + 2.5 * day;
  CHECK(Context(v, last + 30 * day).text("lifecycle") == "\"active\"");
  CHECK(Context(v, last + 30 * day + 1).text("lifecycle") == "\"lapsed\"");
  CHECK(Context(v, last + 90 * day).text("lifecycle") == "\"lapsed\"");
  CHECK(Context(v, last + 90 * day + 1).text("lifecycle") == "\"dormant\"");
  v.ok("page_view", "", last + 100 * day);  // back after 100 days: dormant during this visit
  CHECK(Context(v, last + 100 * day + kMinute).text("lifecycle") == "\"dormant\"");
  v.ok("page_view", "", last + 101 * day);  // and active from the visit after
  CHECK(Context(v, last + 101 * day).text("lifecycle") == "\"active\"");
}

TEST_CASE("profile: a lapsed high-value customer is visible in one context", "[profile]") {
  Visitor v;
  double t = kT0;
  for (int i = 0; i < 4; ++i, t += 7 * kMsPerDay) {
    v.ok("purchase", R"({"amount": 150, "items": [{"sku": "x", "categories": ["ski"]}]})", t);
  }
  const double back = t + 60 * kMsPerDay;  // two months without a visit
  v.ok("page_view", R"({"categories": ["ski"]})", back);
  Context c(v, back + kMinute);
  CHECK(c.number("rfm.monetary") >= 4);  // 600 spent
  CHECK(c.text("lifecycle") == "\"lapsed\"");
  CHECK(c.number("behavior.daysSinceLastVisit") == Approx(67));
  CHECK(c.text("rfm.tier") == "\"big_spender\"");
  CHECK(trigger(v, "lapsed_return", back + kMinute) == back);
  // A recent big spender is not lapsed.
  Visitor recent = v;
  recent.ok("page_view", "", back + 2 * kHour);
  CHECK(Context(recent, back + 2 * kHour).text("lifecycle") == "\"active\"");
}

// ---------------------------------------------------------------------------------------
// Triggers

TEST_CASE("profile: welcome, lapsed_return and tracked-type triggers", "[profile]") {
  Visitor v;
  CHECK(trigger(v, "welcome", kT0) == kT0);  // no profile yet: the first visit is now
  CHECK(trigger(v, "lapsed_return", kT0) == 0);
  CHECK(trigger(v, "purchase", kT0) == 0);
  CHECK(trigger(v, "cart_abandoned", kT0) == 0);
  CHECK(trigger(v, "signup", kT0) == 0);
  v.ok("page_view", "", kT0);
  v.ok("signup", "", kT0 + kMinute);
  v.ok("video_play", "", kT0 + 2 * kMinute);
  v.ok("video_play", "", kT0 + kMinute);  // late: lastMs stays
  CHECK(trigger(v, "welcome", kT0 + 3 * kMsPerDay) == kT0);
  CHECK(trigger(v, "signup", kT0 + 3 * kMsPerDay) == kT0 + kMinute);
  CHECK(trigger(v, "video_play", kT0) == kT0 + 2 * kMinute);
  CHECK(trigger(v, "never_tracked", kT0) == 0);
  v.ok("add_to_cart", R"({"sku": "a"})", kT0 + 5 * kMinute);
  CHECK(trigger(v, "cart_abandoned", kT0) == kT0 + 5 * kMinute + kHour);
  v.s.cartAbandonAfterMs = 2 * kHour;
  CHECK(trigger(v, "cart_abandoned", kT0) == kT0 + 5 * kMinute + 2 * kHour);
}

TEST_CASE("profile: birthday at local midnight in every offset", "[profile]") {
  Visitor v;
  auto birthday = [&](const std::string& traits, const char* now, int offset) {
    return trigger(v, "birthday", at(now), offset, traits);
  };
  const std::string mar15 = R"({"birthday": "03-15"})";
  CHECK(birthday(mar15, "2026-06-01T00:00:00Z", 0) == at("2026-03-15T00:00:00Z"));
  CHECK(birthday(mar15, "2026-06-01T00:00:00Z", 840) == at("2026-03-15T00:00:00+14:00"));
  CHECK(birthday(mar15, "2026-06-01T00:00:00Z", -720) == at("2026-03-15T00:00:00-12:00"));
  CHECK(birthday(mar15, "2026-06-01T00:00:00Z", 330) == at("2026-03-15T00:00:00+05:30"));
  // Before this year's birthday: last year's.
  CHECK(birthday(mar15, "2026-03-01T00:00:00Z", 0) == at("2025-03-15T00:00:00Z"));
  // On the day, exactly at local midnight and one millisecond before it.
  CHECK(birthday(mar15, "2026-03-15T00:00:00+05:30", 330) == at("2026-03-15T00:00:00+05:30"));
  CHECK(birthday(mar15, "2026-03-14T18:29:59.999Z", 330) == at("2025-03-15T00:00:00+05:30"));
  CHECK(birthday(R"({"birthday": "1990-03-15"})", "2026-06-01T00:00:00Z", 0) ==
        at("2026-03-15T00:00:00Z"));

  // Jan 1 around New Year's midnight in the extreme offsets.
  const std::string jan1 = R"({"birthday": "01-01"})";
  // 2026-12-31T10:00Z is local 2027-01-01 00:00 at +14:00: the birthday starts now.
  CHECK(birthday(jan1, "2026-12-31T10:00:00Z", 840) == at("2027-01-01T00:00:00+14:00"));
  CHECK(birthday(jan1, "2026-12-31T09:59:59.999Z", 840) == at("2026-01-01T00:00:00+14:00"));
  // The same instant is still Dec 30 at -12:00.
  CHECK(birthday(jan1, "2026-12-31T10:00:00Z", -720) == at("2026-01-01T00:00:00-12:00"));
  CHECK(birthday(jan1, "2027-01-01T12:00:00Z", -720) == at("2027-01-01T00:00:00-12:00"));
  CHECK(birthday(jan1, "2027-01-01T11:59:59.999Z", -720) == at("2026-01-01T00:00:00-12:00"));
  // Dec 31: on New Year's Eve it is this year's; just after midnight into Jan 1, still the
  // one from the day before (now last year's).
  const std::string dec31 = R"({"birthday": "12-31"})";
  CHECK(birthday(dec31, "2026-12-31T00:00:00Z", 0) == at("2026-12-31T00:00:00Z"));
  CHECK(birthday(dec31, "2026-12-30T23:59:59.999Z", 0) == at("2025-12-31T00:00:00Z"));
  CHECK(birthday(dec31, "2027-01-01T00:00:00.001Z", 0) == at("2026-12-31T00:00:00Z"));
  CHECK(birthday(dec31, "2026-12-30T18:30:00Z", 330) == at("2026-12-31T00:00:00+05:30"));
  CHECK(birthday(dec31, "2026-12-30T18:29:59Z", 330) == at("2025-12-31T00:00:00+05:30"));

  // Feb 29: Feb 28 in common years, Feb 29 in leap years.
  const std::string feb29 = R"({"birthday": "2000-02-29"})";
  CHECK(birthday(feb29, "2026-06-01T00:00:00Z", 0) == at("2026-02-28T00:00:00Z"));
  CHECK(birthday(feb29, "2028-03-01T00:00:00Z", 0) == at("2028-02-29T00:00:00Z"));
  CHECK(birthday(R"({"birthday": "02-29"})", "2028-02-28T12:00:00Z", 0) ==
        at("2027-02-28T00:00:00Z"));
  CHECK(birthday(R"({"birthday": "02-29"})", "2027-02-28T00:00:00+14:00", 840) ==
        at("2027-02-28T00:00:00+14:00"));

  // Numbers birthMonth + birthDay.
  CHECK(birthday(R"({"birthMonth": 7, "birthDay": 4})", "2026-08-01T00:00:00Z", -300) ==
        at("2026-07-04T00:00:00-05:00"));
  CHECK(birthday(R"({"birthMonth": 2, "birthDay": 29})", "2026-08-01T00:00:00Z", 0) ==
        at("2026-02-28T00:00:00Z"));

  // Invalid or missing: never.
  for (const char* traits :
       {R"({})", R"({"birthday": "13-01"})", R"({"birthday": "00-10"})", R"({"birthday": "02-30"})",
        R"({"birthday": "04-31"})", R"({"birthday": "2001-02-29"})", R"({"birthday": "1-1"})",
        R"({"birthday": ""})", R"({"birthday": "03-15x"})", R"({"birthday": "1990/03/15"})",
        R"({"birthday": 315})", R"({"birthday": null})",
        R"({"birthday": "not a date", "birthMonth": 3, "birthDay": 15})", R"({"birthMonth": 3})",
        R"({"birthMonth": 13, "birthDay": 1})", R"({"birthMonth": 2, "birthDay": 30})",
        R"({"birthMonth": 3.5, "birthDay": 1})", R"({"birthMonth": "3", "birthDay": "15"})"}) {
    INFO(traits);
    CHECK(birthday(traits, "2026-06-01T00:00:00Z", 0) == 0);
  }
  // No context root at all.
  Doc none;
  attune::TriggerSpec spec{"birthday", {}};
  CHECK(attune::triggerEventMs(v.p, v.s, spec, kT0, 0, none, kNoNode) == 0);
}

// ---------------------------------------------------------------------------------------
// Volume and allocation

TEST_CASE("profile: a million events stay within every bound", "[profile][volume]") {
  // Pre-parsed props, cycled: the test measures the profile, not JSON parsing.
  struct Event {
    std::string type;
    Doc doc;
    NodeId props = kNoNode;
  };
  std::vector<Event> events;
  auto add = [&](const std::string& type, const std::string& props) {
    events.emplace_back();
    events.back().type = type;
    if (!props.empty()) {
      ParseError e;
      REQUIRE(events.back().doc.parse(props, e));
      events.back().props = 0;
    }
  };
  for (int i = 0; i < 120; ++i) {
    std::string cat = "cat" + std::to_string(i);
    add("page_view", "{\"categories\": [\"" + cat + "\", \"cat" + std::to_string(i % 7) + "\"]}");
    add("add_to_cart", "{\"sku\": \"sku" + std::to_string(i) +
                           "\", \"price\": 2, \"categories\": [\"" + cat + "\"]}");
    add("remove_from_cart", "{\"sku\": \"sku" + std::to_string((i * 7) % 120) + "\"}");
    add("custom_" + std::to_string(i * 13 % 97), "");
    add("search", R"({"query": "boots"})");
    if (i % 5 == 0) {
      add("purchase", "{\"amount\": 3, \"items\": [{\"sku\": \"x\", \"categories\": [\"" + cat +
                          "\", \"buy" + std::to_string(i) + "\"]}]}");
    }
    if (i % 11 == 0) add("signup", "");
  }

  Visitor v;
  std::map<std::string, uint64_t> expected;
  uint64_t expectedSessions = 0, expectedPurchases = 0;
  double last = 0;
  double t = kT0;
  uint64_t state = 88172645463325252ull;  // xorshift: a fixed, varied sequence
  auto next = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const int kEvents = 1000000;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kEvents; ++i) {
    uint64_t r = next();
    // Mostly seconds apart, sometimes a new session, now and then days away; ~3 years in all.
    uint64_t kind = r % 10000;
    double gap = static_cast<double>(kind < 1     ? (r >> 8) % (4 * 86400000ull)
                                     : kind < 101 ? (r >> 8) % (2 * 3600000ull)
                                                  : (r >> 8) % 120000);
    t += gap;
    const Event& e = events[(r >> 20) % events.size()];
    std::string error;
    bool ok = attune::trackEvent(v.p, v.s, v.consent, e.type, e.doc, e.props, t, error);
    if (!ok) {
      // Only a full cart may refuse, and it does not count.
      REQUIRE(error == "add_to_cart: cart is full (50 lines)");
      continue;
    }
    ++expected[e.type];
    if (last == 0 || t - last > v.s.sessionTimeoutMs) ++expectedSessions;
    last = t;
    if (e.type == "purchase") ++expectedPurchases;
    if (i % 50000 == 0) {
      REQUIRE(v.p.counters.size() <= attune::kMaxEventTypes);
      REQUIRE(v.p.interests.size() <= attune::kMaxInterests);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN("1,000,000 events in " << seconds << " s over " << (t - kT0) / kMsPerDay << " days");
  CHECK((t - kT0) / kMsPerDay > 2.5 * 365);

  CHECK(v.p.counters.size() <= attune::kMaxEventTypes);
  CHECK(v.p.counters.size() == attune::kMaxEventTypes);  // 97 custom names competed
  for (const auto& c : v.p.counters) {
    INFO(c.type);
    CHECK(c.days.size() <= attune::kMaxDayBuckets);
    for (size_t i = 1; i < c.days.size(); ++i) CHECK(c.days[i - 1].day < c.days[i].day);
    if (c.type.rfind("custom_", 0) != 0) CHECK(c.lifetime == expected[c.type]);  // exact
    if (c.type.rfind("custom_", 0) == 0) CHECK(c.lifetime <= expected[c.type]);
  }
  CHECK(v.p.interests.size() <= attune::kMaxInterests);
  CHECK(v.p.cart.size() <= attune::kMaxCartItems);
  for (const auto& line : v.p.cart) CHECK(line.categories.size() <= 8);
  CHECK(v.p.categoryPurchases.size() <= attune::kMaxCategoryPurchases);
  CHECK(v.p.categoryPurchases.size() == attune::kMaxCategoryPurchases);
  CHECK(v.p.sessions == expectedSessions);
  CHECK(v.p.purchases == expectedPurchases);
  CHECK(v.p.totalSpend == 3.0 * expectedPurchases);
  // The context agrees with the counters.
  Context c(v, t);
  CHECK(c.number("behavior.counts.search.lifetime") == expected["search"]);
  CHECK(c.number("behavior.counts.search.d90") <= expected["search"]);
  CHECK(c.number("behavior.counts.search.d1") <= c.number("behavior.counts.search.d7"));
#ifdef NDEBUG
  CHECK(seconds < 4.0);  // ≈ 0.6–0.9 s measured; the margin absorbs a busy shared machine
#endif
}

TEST_CASE("profile: a warm context write allocates nothing", "[profile][alloc]") {
  Visitor v;
  v.s.sensitiveInterests = {"health"};
  for (int i = 0; i < 70; ++i) {
    v.ok("page_view", "{\"categories\": [\"interest" + std::to_string(i) + "\"]}",
         kT0 + i * kMinute);
  }
  for (int i = 0; i < 30; ++i) {
    v.ok("custom_" + std::to_string(i), "", kT0 + kHour);
    v.ok("add_to_cart", "{\"sku\": \"s" + std::to_string(i) + "\", \"price\": 3}", kT0 + kHour);
  }
  v.ok("purchase", R"({"amount": 700})", kT0 - kHour);  // late, so the cart stays
  v.ok("page_view", "", kT0 + 40 * kMsPerDay);

  Doc ctx;
  std::string first, again;
  auto build = [&]() {
    ctx.clear();
    NodeId root = ctx.addObject();
    NodeId traits = ctx.addObject();
    NodeId declared = ctx.addArray();
    ctx.append(declared, ctx.addString("health"));
    ctx.append(declared, ctx.addString("ski"));
    ctx.append(traits, declared, "interests");
    ctx.append(root, traits, "traits");
    attune::writeProfileContext(v.p, v.s, v.consent, kT0 + 40 * kMsPerDay + kMinute, declared, ctx,
                                root);
    return root;
  };
  ctx.write(build(), first);
  attune_test::AllocationCounter counter;
  counter.start();
  NodeId root = build();
  uint64_t allocations = counter.stop();
  ctx.write(root, again);
  CHECK(again == first);
  if (attune_test::AllocationCounter::live()) CHECK(allocations == 0);
  // The write is what the checks above say it is.
  CHECK(first.find("\"topInterests\":[\"ski\",") != std::string::npos);
  CHECK(first.find("\"health\"", first.find("\"topInterests\"")) == std::string::npos);
  CHECK(first.find("\"lifecycle\":\"lapsed\"") != std::string::npos);
  CHECK(first.find("\"count\":30,\"value\":90,\"abandoned\":true") != std::string::npos);
}
