#include "local_time.h"

#include <cmath>

namespace attune {

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

}  // namespace

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& year, unsigned& month, unsigned& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

bool parseInstant(std::string_view s, double& epochMs) {
  int year, month, day;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day)) {
    return false;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > kDays[month - 1] + (month == 2 && leap(year))) return false;
  int hour = 0, minute = 0, second = 0, offset = 0;
  double millis = 0;
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return false;
    if (!digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, minute)) {
      return false;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, second)) return false;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        double scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          millis += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start || pos - start > 9) return false;
        millis = std::floor(millis);
      }
    }
    if (pos >= s.size()) return false;  // an instant needs its offset
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
        return false;
      }
      offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return false;
    }
    if (pos != s.size()) return false;
    if (hour > 23 || minute > 59 || second > 59) return false;
  }
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  double seconds =
      static_cast<double>(days) * 86400.0 + hour * 3600 + minute * 60 + second - offset * 60;
  epochMs = seconds * 1000.0 + millis;
  return true;
}

LocalTime localTime(double epochMs, int utcOffsetMinutes) {
  double localMs = epochMs + utcOffsetMinutes * 60000.0;
  double days = std::floor(localMs / 86400000.0);
  double msOfDay = localMs - days * 86400000.0;
  LocalTime t;
  int64_t d = static_cast<int64_t>(days);
  t.weekday = static_cast<int>(((d % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  int minuteOfDay = static_cast<int>(msOfDay / 60000.0);
  t.hour = minuteOfDay / 60;
  t.minute = minuteOfDay % 60;
  return t;
}

bool parseClock(std::string_view s, int& minutes) {
  int h, m;
  if (s.size() != 5 || s[2] != ':' || !digits(s, 0, 2, h) || !digits(s, 3, 2, m)) return false;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  minutes = h * 60 + m;
  return true;
}

bool parseDuration(std::string_view s, double& ms) {
  if (s.size() < 2 || s.size() > 12) return false;
  double n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    n = n * 10 + (s[i] - '0');
  }
  double unit;
  switch (s.back()) {
    case 's':
      unit = 1000.0;
      break;
    case 'm':
      unit = 60000.0;
      break;
    case 'h':
      unit = 3600000.0;
      break;
    case 'd':
      unit = 86400000.0;
      break;
    case 'w':
      unit = 7 * 86400000.0;
      break;
    default:
      return false;
  }
  ms = n * unit;
  return n > 0 && ms <= 3650 * 86400000.0;
}

}  // namespace attune
