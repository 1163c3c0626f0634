#include "version.h"

#include <cstring>

namespace attune {

size_t paddedVersion(std::string_view v, char* buf) {
  if (v.size() > kMaxVersionBytes) v = v.substr(0, kMaxVersionBytes);
  if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
  size_t plus = v.find('+');
  if (plus != std::string_view::npos) v = v.substr(0, plus);
  // Count parts first: exactly three parts (a plain release) get a trailing "~".
  size_t parts = 1;
  for (char c : v) parts += (c == '-' || c == '.');
  size_t len = 0;
  size_t start = 0;
  while (true) {
    size_t end = start;
    while (end < v.size() && v[end] != '-' && v[end] != '.') ++end;
    std::string_view part = v.substr(start, end - start);
    bool numeric = !part.empty();
    for (char c : part) numeric = numeric && c >= '0' && c <= '9';
    if (len) buf[len++] = '-';
    if (numeric) {
      for (size_t pad = part.size(); pad < 5; ++pad) buf[len++] = ' ';
    }
    std::memcpy(buf + len, part.data(), part.size());
    len += part.size();
    if (end >= v.size()) break;
    start = end + 1;
  }
  if (parts == 3) {
    buf[len++] = '-';
    buf[len++] = '~';
  }
  return len;
}

int compareVersions(std::string_view a, std::string_view b) {
  char x[kPaddedVersionCapacity];
  char y[kPaddedVersionCapacity];
  size_t n = paddedVersion(a.empty() ? std::string_view("0") : a, x);
  size_t m = paddedVersion(b.empty() ? std::string_view("0") : b, y);
  int c = std::memcmp(x, y, n < m ? n : m);
  if (c != 0) return c;
  return n < m ? -1 : n > m ? 1 : 0;
}

}  // namespace attune
