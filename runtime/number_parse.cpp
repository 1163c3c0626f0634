#include "number_parse.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "bignum.h"

namespace attune {
namespace {

// Significant digits kept. A double, or a point halfway between two doubles, has at most 767
// significant decimal digits, so the digits past 800 only matter as "some are non-zero":
// that is recorded as one more '1' digit, which falls on the same side of every such point.
constexpr int kMaxDigits = 800;

const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                         1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A non-negative double as m × 2^q with q >= -1074 (m < 2^53; m < 2^52 only at q = -1074).
struct Binary {
  uint64_t m;
  int q;
};
constexpr uint64_t kHidden = uint64_t{1} << 52;
constexpr int kMinQ = -1074;
constexpr int kMaxQ = 971;

Binary next(Binary b) {
  if (++b.m == 2 * kHidden) {
    b.m = kHidden;
    ++b.q;  // may pass kMaxQ: infinity
  }
  return b;
}
Binary prev(Binary b) {
  if (b.m == kHidden && b.q > kMinQ) return {2 * kHidden - 1, b.q - 1};
  return {b.m - 1, b.q};
}
Binary fromDouble(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  int biased = static_cast<int>(bits >> 52);
  uint64_t f = bits & (kHidden - 1);
  if (biased == 0) return {f, kMinQ};
  return {f | kHidden, biased - 1075};
}
double toDouble(Binary b) {
  uint64_t bits = b.m < kHidden ? b.m : (static_cast<uint64_t>(b.q + 1075) << 52) | (b.m - kHidden);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The exact value digits × 10^exponent against the midpoint between b and next(b),
// (2m + 1) × 2^(q - 1), both sides scaled to integers.
class Comparer {
 public:
  Comparer(const char* digits, int count, int exponent) {
    for (int i = 0; i < count;) {
      uint32_t chunk = 0;
      int n = 0;
      for (; n < 9 && i < count; ++n, ++i)
        chunk = chunk * 10 + static_cast<uint32_t>(digits[i] - '0');
      static const uint32_t kScale[10] = {1,      10,      100,      1000,      10000,
                                          100000, 1000000, 10000000, 100000000, 1000000000};
      exact_.mulSmall(kScale[n]);
      exact_.addSmall(chunk);
    }
    if (exponent > 0) exact_.mulPow10(exponent);
    if (exponent < 0) scale_.mulPow10(-exponent);
  }
  int againstMidpoint(Binary b) const {
    Bignum left = exact_;
    Bignum right = scale_;
    right.mul64(2 * b.m + 1);
    if (b.q - 1 >= 0) {
      right.shiftLeft(b.q - 1);
    } else {
      left.shiftLeft(1 - b.q);
    }
    return compare(left, right);
  }

 private:
  Bignum exact_{0};
  Bignum scale_{1};
};

// digits × 10^exponent (digits without leading zeros, count >= 1), correctly rounded.
double slowPath(const char* digits, int count, int exponent) {
  // A first guess from the leading 19 digits, a few units in the last place off at most.
  uint64_t w = 0;
  int used = count < 19 ? count : 19;
  for (int i = 0; i < used; ++i) w = w * 10 + static_cast<uint64_t>(digits[i] - '0');
  int e = exponent + (count - used);
  double guess = static_cast<double>(w);
  for (; e > 22; e -= 22) guess *= 1e22;
  for (; e < -22; e += 22) guess /= 1e22;
  guess = e >= 0 ? guess * kPow10[e] : guess / kPow10[-e];

  Binary b = fromDouble(guess);
  if (guess > 1.7976931348623157e308) b = {2 * kHidden - 1, kMaxQ};  // overflowed guess
  if (b.m == 0) b = {1, kMinQ};                                      // underflowed guess
  Comparer exact(digits, count, exponent);
  // Up while the value is past the midpoint above b (on it: toward the even mantissa)...
  for (;;) {
    int c = exact.againstMidpoint(b);
    if (c < 0 || (c == 0 && (b.m & 1) == 0)) break;
    b = next(b);
    if (b.q > kMaxQ) return HUGE_VAL;
  }
  // ... then down while it is below the midpoint under b.
  while (b.m > 0) {
    Binary lower = prev(b);
    int c = exact.againstMidpoint(lower);
    if (c > 0 || (c == 0 && (lower.m & 1))) break;
    b = lower;
  }
  return toDouble(b);
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool parseJsonNumber(std::string_view text, double& out) {
  size_t i = 0;
  size_t n = text.size();
  bool negative = i < n && text[i] == '-';
  if (negative) ++i;
  if (i >= n || !isDigit(text[i])) return false;
  if (text[i] == '0' && i + 1 < n && isDigit(text[i + 1])) return false;

  char digits[kMaxDigits + 1];
  int count = 0;
  int exponent = 0;  // value = digits × 10^exponent
  bool sticky = false;
  auto take = [&](char c, bool fraction) {
    if (count == 0 && c == '0') {
      if (fraction) --exponent;
      return;
    }
    if (count < kMaxDigits) {
      digits[count++] = c;
      if (fraction) --exponent;
    } else {
      sticky |= c != '0';
      if (!fraction) ++exponent;
    }
  };
  for (; i < n && isDigit(text[i]); ++i) take(text[i], false);
  if (i < n && text[i] == '.') {
    if (++i >= n || !isDigit(text[i])) return false;
    for (; i < n && isDigit(text[i]); ++i) take(text[i], true);
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    bool minus = ++i < n && text[i] == '-';
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= n || !isDigit(text[i])) return false;
    int e = 0;
    for (; i < n && isDigit(text[i]); ++i) {
      if (e < 100000000) e = e * 10 + (text[i] - '0');  // beyond this it is 0 or infinity
    }
    exponent += minus ? -e : e;
  }
  if (i != n) return false;

  double v = 0;
  if (count > 0) {
    if (sticky) {
      digits[count++] = '1';
      --exponent;
    }
    while (count > 1 && digits[count - 1] == '0') {
      --count;
      ++exponent;
    }
    int magnitude = count + exponent;  // the value is below 10^magnitude, at least 10^(magnitude-1)
    if (magnitude > 310) {
      v = HUGE_VAL;
    } else if (magnitude < -324) {
      v = 0;  // below 10^-325, under half the smallest double
    } else if (count <= 15 && exponent >= -22 && exponent <= 22) {
      // Both factors are exact doubles, so one rounding gives the nearest (Clinger).
      uint64_t w = 0;
      for (int d = 0; d < count; ++d) w = w * 10 + static_cast<uint64_t>(digits[d] - '0');
      v = exponent < 0 ? static_cast<double>(w) / kPow10[-exponent]
                       : static_cast<double>(w) * kPow10[exponent];
    } else {
      v = slowPath(digits, count, exponent);
    }
  }
  out = negative ? -v : v;
  return true;
}

}  // namespace attune
