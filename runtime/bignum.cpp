#include "bignum.h"

namespace attune {

Bignum& Bignum::operator=(const Bignum& b) {
  size_ = b.size_;
  for (int i = 0; i < size_; ++i) limbs_[i] = b.limbs_[i];
  return *this;
}

void Bignum::set(uint64_t v) {
  size_ = 0;
  while (v) {
    limbs_[size_++] = static_cast<uint32_t>(v);
    v >>= 32;
  }
}

void Bignum::push(uint64_t carry) {
  if (carry && size_ < kLimbs) limbs_[size_++] = static_cast<uint32_t>(carry);
}

void Bignum::mulSmall(uint32_t m) {
  uint64_t carry = 0;
  for (int i = 0; i < size_; ++i) {
    uint64_t t = static_cast<uint64_t>(limbs_[i]) * m + carry;
    limbs_[i] = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
  push(carry);
}

// this * m = this * lo + (this * hi) << 32, for the two 32-bit halves of m.
void Bignum::mul64(uint64_t m) {
  uint32_t hi = static_cast<uint32_t>(m >> 32);
  if (hi == 0) return mulSmall(static_cast<uint32_t>(m));
  Bignum high = *this;
  high.mulSmall(hi);
  high.shiftLeft(32);
  mulSmall(static_cast<uint32_t>(m));
  add(high);
}

void Bignum::mulPow10(int n) {
  for (; n >= 9; n -= 9) mulSmall(1000000000u);
  static const uint32_t kSmall[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  if (n > 0) mulSmall(kSmall[n]);
}

void Bignum::shiftLeft(int bits) {
  if (size_ == 0 || bits <= 0) return;
  int words = bits / 32;
  int rest = bits % 32;
  if (rest) {
    uint32_t carry = 0;
    for (int i = 0; i < size_; ++i) {
      uint32_t next = limbs_[i] >> (32 - rest);
      limbs_[i] = (limbs_[i] << rest) | carry;
      carry = next;
    }
    push(carry);
  }
  if (words) {
    for (int i = size_ - 1; i >= 0; --i) limbs_[i + words] = limbs_[i];
    for (int i = 0; i < words; ++i) limbs_[i] = 0;
    size_ += words;
  }
}

void Bignum::addSmall(uint32_t v) {
  uint64_t carry = v;
  for (int i = 0; i < size_ && carry; ++i) {
    uint64_t t = limbs_[i] + carry;
    limbs_[i] = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
  push(carry);
}

void Bignum::add(const Bignum& b) {
  uint64_t carry = 0;
  int n = size_ > b.size_ ? size_ : b.size_;
  for (int i = 0; i < n; ++i) {
    uint64_t t = carry + (i < size_ ? limbs_[i] : 0) + (i < b.size_ ? b.limbs_[i] : 0);
    limbs_[i] = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
  size_ = n;
  push(carry);
}

void Bignum::subtract(const Bignum& b) {
  int64_t borrow = 0;
  for (int i = 0; i < size_; ++i) {
    int64_t t = static_cast<int64_t>(limbs_[i]) - (i < b.size_ ? b.limbs_[i] : 0) - borrow;
    borrow = t < 0;
    limbs_[i] = static_cast<uint32_t>(t + (borrow << 32));
  }
  while (size_ > 0 && limbs_[size_ - 1] == 0) --size_;
}

int compare(const Bignum& a, const Bignum& b) {
  if (a.size_ != b.size_) return a.size_ < b.size_ ? -1 : 1;
  for (int i = a.size_ - 1; i >= 0; --i) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  }
  return 0;
}

int comparePlus(const Bignum& a, const Bignum& b, const Bignum& c) {
  Bignum sum = a;
  sum.add(b);
  return compare(sum, c);
}

}  // namespace attune
