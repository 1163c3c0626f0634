// The decision trace in plain words: the engine's reason codes (docs/CONTACT.md,
// docs/CONSENT.md, runtime/decider.cpp) turned into sentences a marketer can act on, with
// the numbers and the config's own settings filled in. Pure functions, no DOM.

const PURPOSE_WORDS = {
  storage: 'storage (keeping data on this device)',
  personalization: 'personalization',
  measurement: 'measurement',
  marketing: 'marketing',
  sensitive: 'sensitive interests',
};

const CHANNEL_PLURALS = { popup: 'popups', email: 'emails', push: 'push messages', sms: 'text messages' };

// {label: 'Shown' | 'Held out' | 'Not reached' | 'Skipped', text: 'Skipped: …'} for one
// entry of a decision's `reasons`. `decision` is the placement's decision, `config` the live
// config object (for schedules, triggers and channels), `offsetMinutes` the visitor's zone.
export function explainCandidate(entry, decision, config, offsetMinutes = 0) {
  const result = entry.result;
  if (result === 'chosen') {
    const item = shownItem(decision, entry.campaign);
    const variant = item && item.variant ? `variant "${item.variant}"` : 'its only variant';
    return sentence('Shown', `won this placement with ${variant}`);
  }
  if (result === 'holdout') {
    return sentence('Held out', 'this visitor is in the control group (sees the placement\'s default content)');
  }
  if (result === 'not_reached') return sentence('Not reached', 'the placement was already filled');
  if (result !== 'skipped') return sentence(String(result), entry.reason || 'no reason given');
  const campaign = findCampaign(config, entry.campaign);
  return sentence('Skipped', explainSkip(String(entry.reason || ''), campaign, config, offsetMinutes));
}

function sentence(label, text) {
  return { label, text: `${label}: ${text}` };
}

function shownItem(decision, campaignId) {
  if (Array.isArray(decision.items)) return decision.items.find((i) => i.campaign === campaignId);
  return decision.campaign === campaignId ? decision : undefined;
}

export function explainSkip(reason, campaign, config, offsetMinutes = 0) {
  if (reason === 'schedule') return `outside its schedule${describeSchedule(campaign && campaign.schedule)}`;
  if (reason === 'trigger') return `waiting for its trigger${describeTrigger(campaign && campaign.trigger)}`;
  if (reason === 'audience') return 'the visitor is not in its audience';
  if (reason === 'no_visitor_id') return 'it splits visitors into variants or a holdout, and this visitor has no id yet';
  if (reason.startsWith('consent:')) {
    const purpose = reason.slice('consent:'.length);
    return `the visitor has not given consent for ${PURPOSE_WORDS[purpose] || purpose}`;
  }
  if (reason.startsWith('content_missing:')) {
    const fieldName = reason.slice('content_missing:'.length);
    return `its "${fieldName}" text needs a value this visitor does not have, and has no fallback`;
  }
  if (reason.startsWith('cap:')) return explainCap(reason.slice(4)) || reason;
  let m = /^fatigue (\d+)\/(\d+)$/.exec(reason);
  if (m) {
    return `fatigue — seen ${m[1]} times without a click (${m[2]} allowed), paused for a while`;
  }
  m = /^cooldown until (\S+)$/.exec(reason);
  if (m) return `dismissed recently — hidden until ${formatLocal(Date.parse(m[1]), offsetMinutes)}`;
  m = /^quiet_hours (\d\d:\d\d)\s*[–-]\s*(\d\d:\d\d)$/.exec(reason);
  if (m) return `quiet hours for ${channelWords(campaign, config)} (${m[1]}–${m[2]})`;
  return reason || 'no reason given';
}

// "global day 5/5" → "global cap reached — 5 of 5 today"
export function explainCap(text) {
  const tokens = text.split(' ').filter(Boolean);
  const counts = /^(\d+)\/(\d+)$/.exec(tokens.pop() || '');
  if (!counts || tokens.length < 2) return null;
  const clicks = tokens[tokens.length - 1] === 'clicks';
  if (clicks) tokens.pop();
  const window = tokens.pop();
  const [scope, ...nameParts] = tokens;
  const name = nameParts.join(' ');
  const what = {
    global: 'global cap',
    channel: `cap for the ${name} channel`,
    placement: `cap for the ${name} placement`,
    campaign: "the campaign's own cap",
  }[scope] || `${scope} cap`;
  const unit = clicks ? ' clicks' : '';
  return `${what} reached — ${counts[1]} of ${counts[2]}${unit} ${windowWords(window)}`;
}

export function windowWords(window) {
  if (window === 'day') return 'today';
  if (window === 'week') return 'this week';
  if (window === 'session') return 'this session';
  if (window === 'lifetime') return 'ever';
  const m = /^(\d+)([smhdw])$/.exec(window || '');
  if (!m) return `per ${window}`;
  const n = Number(m[1]);
  const unit = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' }[m[2]];
  return n === 1 ? `in the last ${unit}` : `in the last ${n} ${unit}s`;
}

function channelWords(campaign, config) {
  const placement = campaign && findPlacement(config, campaign.placement);
  const channel = placement && placement.channel;
  if (!channel) return 'this channel';
  return CHANNEL_PLURALS[channel] || `${channel} placements`;
}

function describeSchedule(schedule) {
  if (!schedule || typeof schedule !== 'object') return '';
  const parts = [];
  if (schedule.start || schedule.end) {
    parts.push(`runs ${schedule.start ? shortDate(schedule.start) : '…'} to ${schedule.end ? shortDate(schedule.end) : '…'}`);
  }
  if (Array.isArray(schedule.daysOfWeek)) parts.push(`on ${schedule.daysOfWeek.join(', ')}`);
  if (schedule.hours && schedule.hours.from) parts.push(`${schedule.hours.from}–${schedule.hours.to} local time`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function describeTrigger(trigger) {
  if (!trigger || typeof trigger !== 'object' || !trigger.event) return '';
  const words = {
    welcome: 'a first visit',
    cart_abandoned: 'an abandoned cart',
    birthday: 'the visitor\'s birthday',
    lapsed_return: 'a return after a long absence',
    purchase: 'a purchase',
  }[trigger.event] || `a "${trigger.event}" event`;
  const category = trigger.category ? ` in ${trigger.category}` : '';
  const within = trigger.within ? `, shown within ${trigger.within} of it` : '';
  return ` (${words}${category}${within})`;
}

function shortDate(value) {
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : String(value);
}

// "2026-11-27 11:00" in the visitor's zone.
export function formatLocal(ms, offsetMinutes = 0) {
  if (!Number.isFinite(ms)) return 'later';
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
}

export function describePurposes(purposes) {
  if (!Array.isArray(purposes)) return '';
  if (purposes.length === 0) return 'Relied on no consent purpose (contextual: locale, page, time, geo).';
  return `Relied on consent for: ${purposes.join(', ')}.`;
}

function findCampaign(config, id) {
  return config && Array.isArray(config.campaigns) ? config.campaigns.find((c) => c && c.id === id) : undefined;
}

function findPlacement(config, id) {
  return config && Array.isArray(config.placements) ? config.placements.find((p) => p && p.id === id) : undefined;
}
