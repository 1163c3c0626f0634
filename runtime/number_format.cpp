#include "number_format.h"

#include <cmath>
#include <cstring>

#include "bignum.h"

namespace attune {

size_t formatUnsigned(uint64_t v, char* buf) {
  char reversed[20];
  size_t n = 0;
  do {
    reversed[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; ++i) buf[i] = reversed[n - 1 - i];
  return n;
}

// Burger & Dybvig's free-format algorithm ("Printing Floating-Point Numbers Quickly and
// Accurately", 1996) on exact big integers: v = r/s, and the values that read back as v are
// those within (v - mMinus/s, v + mPlus/s), bounds included when v's mantissa is even.
int shortestDigits(double v, char* digits, int& point) {
  // Integers below 2^53 are exact and the doubles around them are at most 1 apart, so their
  // own digits are the shortest that read back: no big numbers needed.
  if (v < 9007199254740992.0 && v == static_cast<double>(static_cast<uint64_t>(v))) {
    char text[20];
    size_t n = formatUnsigned(static_cast<uint64_t>(v), text);
    point = static_cast<int>(n);
    while (n > 1 && text[n - 1] == '0') --n;
    std::memcpy(digits, text, n);
    return static_cast<int>(n);
  }

  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  int biased = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t f = bits & ((uint64_t{1} << 52) - 1);
  int e = -1074;  // v = f × 2^e
  if (biased) {
    f |= uint64_t{1} << 52;
    e = biased - 1075;
  }
  bool even = (f & 1) == 0;  // a reader rounding half to even maps the bounds to v
  // At a power of two the next double down is half as far as the next one up.
  bool unequal = f == (uint64_t{1} << 52) && biased > 1;

  Bignum r(f), s(1), mPlus(1), mMinus(1);
  if (e >= 0) {
    r.shiftLeft(e + (unequal ? 2 : 1));
    s.set(unequal ? 4 : 2);
    mPlus.shiftLeft(e + (unequal ? 1 : 0));
    mMinus.shiftLeft(e);
  } else {
    r.shiftLeft(unequal ? 2 : 1);
    s.shiftLeft(-e + (unequal ? 2 : 1));
    if (unequal) mPlus.set(2);
  }

  // k = ceil(log10(v)), estimated from the binary exponent: it is k or k - 1, and the check
  // below corrects the latter.
  int bitLength = 64 - __builtin_clzll(f);
  int k = static_cast<int>(std::ceil((e + bitLength - 1) * 0.30102999566398119521 - 1e-10));
  if (k >= 0) {
    s.mulPow10(k);
  } else {
    r.mulPow10(-k);
    mPlus.mulPow10(-k);
    mMinus.mulPow10(-k);
  }
  int high = comparePlus(r, mPlus, s);
  if (even ? high >= 0 : high > 0) {
    ++k;
  } else {
    r.mulSmall(10);
    mPlus.mulSmall(10);
    mMinus.mulSmall(10);
  }

  int n = 0;
  for (;;) {
    int d = 0;
    while (compare(r, s) >= 0) {
      r.subtract(s);
      ++d;
    }
    int low = compare(r, mMinus);
    bool lowOk = even ? low <= 0 : low < 0;  // the digits so far, rounded down, read back
    high = comparePlus(r, mPlus, s);
    bool highOk = even ? high >= 0 : high > 0;  // ... or rounded up
    if (!lowOk && !highOk) {
      digits[n++] = static_cast<char>('0' + d);
      r.mulSmall(10);
      mPlus.mulSmall(10);
      mMinus.mulSmall(10);
      continue;
    }
    if (lowOk && highOk) {
      // Both read back: take the closer, and on an exact tie the even digit.
      Bignum twice = r;
      twice.shiftLeft(1);
      int c = compare(twice, s);
      if (c > 0 || (c == 0 && (d & 1))) ++d;
    } else if (highOk) {
      ++d;
    }
    digits[n++] = static_cast<char>('0' + d);
    break;
  }
  // Rounding up never carries past a 9 in this algorithm; kept exact all the same.
  for (int i = n - 1; i > 0 && digits[i] > '9'; --i) {
    digits[i] = '0';
    ++digits[i - 1];
  }
  if (digits[0] > '9') {
    digits[0] = '1';
    n = 1;
    ++k;
  }
  while (n > 1 && digits[n - 1] == '0') --n;
  point = k;
  return n;
}

}  // namespace attune
