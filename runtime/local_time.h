// Instants and the visitor's local wall clock. Wasm has no time-zone database, so the host
// supplies the UTC offset (SPEC §3) and local time is plain arithmetic on it.
#pragma once

#include <cstdint>
#include <string_view>

namespace attune {

struct LocalTime {
  int weekday = 0;  // 0 = Sunday … 6 = Saturday, as JavaScript's getDay()
  int hour = 0;
  int minute = 0;  // of the hour
  int minuteOfDay() const { return hour * 60 + minute; }
};

// ISO 8601 / RFC 3339 instant: YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM), or a bare date
// YYYY-MM-DD (midnight UTC). Returns milliseconds since the Unix epoch.
bool parseInstant(std::string_view text, double& epochMs);

LocalTime localTime(double epochMs, int utcOffsetMinutes);

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);

// The proleptic Gregorian date of a day number (days from 1970-01-01); the inverse of
// daysFromCivil (Howard Hinnant's civil_from_days).
void civilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day);

// "HH:MM" (00:00–24:00) → minutes of the day.
bool parseClock(std::string_view text, int& minutes);

// A duration: a positive whole number and a unit, s m h d w ("30m", "14d"), at most
// 10 years. Returns milliseconds.
bool parseDuration(std::string_view text, double& ms);

}  // namespace attune
