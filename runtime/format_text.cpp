#include "format_text.h"

#include <cstdint>

#include "number_format.h"

namespace attune {
namespace {

class Sink {
 public:
  Sink(char* buf, size_t size) : buf_(buf), size_(size) {}
  void put(char c) {
    if (length_ + 1 < size_) buf_[length_] = c;
    ++length_;
  }
  void put(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) put(s[i]);
  }
  int finish() {
    if (size_) buf_[length_ < size_ ? length_ : size_ - 1] = 0;
    return static_cast<int>(length_);
  }

 private:
  char* buf_;
  size_t size_;
  size_t length_ = 0;
};

size_t formatHex(uint64_t v, bool upper, char* buf) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char reversed[16];
  size_t n = 0;
  do {
    reversed[n++] = digits[v & 15];
    v >>= 4;
  } while (v);
  for (size_t i = 0; i < n; ++i) buf[i] = reversed[n - 1 - i];
  return n;
}

}  // namespace

int formatTextV(char* buf, size_t size, const char* format, va_list args) {
  Sink out(buf, size);
  for (const char* p = format; *p; ++p) {
    if (*p != '%') {
      out.put(*p);
      continue;
    }
    const char* spec = p++;
    if (*p == '%') {
      out.put('%');
      continue;
    }
    bool zero = *p == '0';
    if (zero) ++p;
    size_t width = 0;
    for (; *p >= '0' && *p <= '9'; ++p) width = width * 10 + static_cast<size_t>(*p - '0');
    int longs = 0;
    bool sizeT = false;
    for (; *p == 'l' || *p == 'z'; ++p) {
      if (*p == 'z')
        sizeT = true;
      else
        ++longs;
    }
    char text[24];
    size_t n = 0;
    bool negative = false;
    const char* str = text;
    switch (*p) {
      case 's':
        str = va_arg(args, const char*);
        for (n = 0; str[n]; ++n) {
        }
        break;
      case 'c':
        text[n++] = static_cast<char>(va_arg(args, int));
        break;
      case 'd':
      case 'i': {
        int64_t v = sizeT        ? static_cast<int64_t>(va_arg(args, size_t))
                    : longs >= 2 ? va_arg(args, long long)
                    : longs == 1 ? va_arg(args, long)
                                 : va_arg(args, int);
        negative = v < 0;
        n = formatUnsigned(negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v),
                           text);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = sizeT        ? va_arg(args, size_t)
                     : longs >= 2 ? va_arg(args, unsigned long long)
                     : longs == 1 ? va_arg(args, unsigned long)
                                  : va_arg(args, unsigned);
        n = *p == 'u' ? formatUnsigned(v, text) : formatHex(v, *p == 'X', text);
        break;
      }
      default:  // not supported: shown as written, so a mistake is visible, not silent
        if (!*p) --p;
        out.put(spec, static_cast<size_t>(p - spec + 1));
        continue;
    }
    size_t used = n + (negative ? 1 : 0);
    if (!zero)
      for (; used < width; ++used) out.put(' ');
    if (negative) out.put('-');
    if (zero)
      for (; used < width; ++used) out.put('0');
    out.put(str, n);
  }
  return out.finish();
}

int formatText(char* buf, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int n = formatTextV(buf, size, format, args);
  va_end(args);
  return n;
}

}  // namespace attune
