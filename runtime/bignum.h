// A fixed-capacity unsigned big integer: just what exact decimal <-> binary conversion of
// doubles needs (multiply by small numbers and powers of ten, shift, add, subtract, compare).
// It lives on the stack, so number conversion never allocates. The operations are out of
// line on purpose: inlined, each caller carried its own copies (kilobytes of Wasm).
#pragma once

#include <cstdint>

namespace attune {

class Bignum {
 public:
  // 4,096 bits: the largest product number parsing forms is below 3,800 bits
  // (number_parse.cpp bounds the digits and exponents it passes in).
  static constexpr int kLimbs = 128;

  Bignum() = default;
  explicit Bignum(uint64_t v) { set(v); }
  // Copies only the limbs in use: the rest of the array is never read.
  Bignum(const Bignum& b) { *this = b; }
  Bignum& operator=(const Bignum& b);

  void set(uint64_t v);
  bool isZero() const { return size_ == 0; }
  void mulSmall(uint32_t m);
  void mul64(uint64_t m);
  void mulPow10(int n);
  void shiftLeft(int bits);
  void addSmall(uint32_t v);
  void add(const Bignum& b);
  void subtract(const Bignum& b);  // requires *this >= b

  friend int compare(const Bignum& a, const Bignum& b);
  // compare(a + b, c) without changing a.
  friend int comparePlus(const Bignum& a, const Bignum& b, const Bignum& c);

 private:
  void push(uint64_t carry);
  uint32_t limbs_[kLimbs];  // limbs_[size_..] are unset
  int size_ = 0;
};

int compare(const Bignum& a, const Bignum& b);
int comparePlus(const Bignum& a, const Bignum& b, const Bignum& c);

}  // namespace attune
