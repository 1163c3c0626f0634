// The visitor's UTC offset in minutes. The core has no time-zone database (SPEC §3): the host
// supplies the offset. Sources, first usable one wins:
//   1. the header named by ATTUNE_TZ_HEADER: whole minutes ("60", "-300", "+330") or an IANA
//      zone ("Europe/Berlin"), converted with Intl at the request's instant (DST-correct);
//   2. request.cf.timezone (Cloudflare's IANA zone for the client IP), through Intl;
//   3. 0 (UTC).
// Anything unusable (junk, unknown zone, out of range) falls through to the next source.

const MAX_OFFSET = 840;  // ±14 h, the range the core accepts
const ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const MINUTES = /^[+-]?\d{1,4}$/;
const MAX_CACHED_ZONES = 256;

// A DateTimeFormat per zone: constructing one costs far more than using it.
const formats = new Map();

export function utcOffsetMinutes(request, settings, nowMs) {
  if (settings.tzHeader) {
    const offset = offsetFromText(request.headers.get(settings.tzHeader), nowMs);
    if (offset !== null) return offset;
  }
  const cf = request.cf;
  if (cf && typeof cf === 'object') {
    const offset = zoneOffset(cf.timezone, nowMs);
    if (offset !== null) return offset;
  }
  return 0;
}

export function offsetFromText(value, nowMs) {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (MINUTES.test(text)) {
    const minutes = Number(text);
    return Math.abs(minutes) <= MAX_OFFSET ? minutes : null;
  }
  return zoneOffset(text, nowMs);
}

// A zone's offset changes only at a transition, and transitions fall on whole minutes: one
// computed offset serves every request of that zone within the same UTC minute. The Intl
// lookup (formatToParts) costs far more than the rest of a request's inputs together.
const offsets = new Map();  // zone → {minute, offset}

export function zoneOffset(zone, nowMs) {
  // Only zone-shaped text is looked up or kept: a client's junk header never fills the cache.
  if (typeof zone !== 'string' || !ZONE.test(zone) || !Number.isFinite(nowMs)) return null;
  const minute = Math.floor(nowMs / 60000);
  const known = offsets.get(zone);
  if (known !== undefined && known.minute === minute) return known.offset;
  const offset = computeZoneOffset(zone, nowMs);
  if (offsets.size >= MAX_CACHED_ZONES) offsets.clear();
  offsets.set(zone, { minute, offset });
  return offset;
}

function computeZoneOffset(zone, nowMs) {
  const format = formatFor(zone);
  if (!format) return null;
  try {
    const seconds = Math.floor(nowMs / 1000) * 1000;
    const parts = {};
    for (const p of format.formatToParts(seconds)) parts[p.type] = p.value;
    const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day),
      Number(parts.hour), Number(parts.minute), Number(parts.second));
    const minutes = Math.round((local - seconds) / 60000);
    return Number.isInteger(minutes) && Math.abs(minutes) <= MAX_OFFSET ? minutes : null;
  } catch {
    return null;
  }
}

function formatFor(zone) {
  if (formats.has(zone)) return formats.get(zone);
  let format = null;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    format = null;  // RangeError: not a zone Intl knows
  }
  if (formats.size >= MAX_CACHED_ZONES) formats.clear();
  formats.set(zone, format);
  return format;
}
