// Type declarations for the Attune JS package (hand-written; the shapes are those of
// docs/FORMATS.md). Every method returns a value and never throws: failures come back as
// `{ error }` (or `{ ok: false, errors }` from compile).

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where the Wasm binary comes from. Give exactly one; browsers may give none. */
export interface LoadOptions {
  /** Node: the bytes of `dist/attune.wasm` (Node's fetch cannot read file: URLs). */
  wasmBinary?: ArrayBuffer | ArrayBufferView;
  /** workerd / Cloudflare Workers: the module binding, `import wasm from './attune.wasm'`. */
  wasmModule?: WebAssembly.Module;
  /** Browser: where to stream the binary from. Default: `dist/attune.wasm` next to this module. */
  wasmUrl?: string | URL;
  /**
   * Called once per Wasm trap, on a microtask after the call that trapped (never inside it;
   * a throwing handler is ignored). The trap was recovered from unless `recovered` is false.
   */
  onTrap?: (report: TrapReport) => void;
}

/** One Wasm trap: what it said, whether a fresh instance took over, how many so far. */
export interface TrapReport {
  readonly error: string;
  readonly recovered: boolean;
  readonly recoveries: number;
  /** Why it was not recovered: too many traps (4 within 60 s) or a fresh instance failed. */
  readonly reason?: string;
}

/**
 * How Wasm traps went: `ok` while calls reach a live instance (after 0 or more
 * recoveries), `failed` once recovery gave up — every call then returns `{ error }`; load
 * the module again (or reload the page) to start over.
 */
export interface Health {
  readonly status: 'ok' | 'failed';
  readonly recoveries: number;
  readonly lastError?: string;
  readonly reason?: string;
}

/**
 * Instantiates the runtime. Rejects (with a message naming the fix) only when the Wasm
 * binary cannot be obtained or instantiated; everything after that returns values.
 * Load once per page, process or isolate and reuse the result.
 */
export function loadAttune(options?: LoadOptions): Promise<Attune>;

export interface Attune {
  /** The runtime's version string. */
  readonly version: string;
  /** Validates and compiles a config (object or JSON text). Free the engine when done. */
  compile(config: Config | string): CompileResult;
  /** Every problem in a config; an empty array when it is valid. */
  validate(config: Config | string): ValidationError[];
  /** Evaluates a condition against attributes (default `{}`). */
  evalCondition(
    condition: Condition | string,
    attributes?: { [path: string]: Json } | string,
  ): boolean | ErrorResult;
  /** Picks a locale from the visitor's preferences (RFC 4647 lookup). */
  negotiateLocale(request: LocaleRequest | string): LocaleResult | ErrorResult;
  /** Renders one template field against a context. */
  renderTemplate(request: TemplateRequest | string): TemplateResult | ErrorResult;
  /** GrowthBook hash v2 of `seed + id` (UTF-16 code units): a number in [0, 1). */
  hashBucket(seed: string, id: string): number | ErrorResult;
  /** Traps recovered from so far, and whether recovery gave up. */
  health(): Health;
}

export type CompileResult = { ok: true; engine: Engine } | { ok: false; errors: ValidationError[] };

/** A compiled config. Holds Wasm memory until `free()` is called. */
export interface Engine {
  /** The decision for one placement, or `{ error }` (bad visitor, unknown placement, freed). */
  decide(placementId: string, visitor: Visitor | string, options?: DecideOptions): Decision | ErrorResult;
  /** One decision per placement, in config order. */
  decidePage(visitor: Visitor | string, options?: DecideOptions): PageDecision | ErrorResult;
  /** Releases the engine's Wasm memory. Idempotent; later calls return `{ error: 'engine freed' }`. */
  free(): void;
  readonly freed: boolean;
  /** The compiled binary form for the lean build (full build only). */
  compiled(): Uint8Array | ErrorResult;
}

export interface DecideOptions {
  /** Include `reasons` (every candidate and why it was taken or skipped). Default false. */
  reasons?: boolean;
}

export interface ErrorResult {
  error: string;
}

export interface ValidationError {
  /** JSON path of the offending value, e.g. `campaigns[3].variants[0].weight`; `""` is the root. */
  path: string;
  message: string;
}

// ---- Config (SPEC §1, FORMATS "Config") ----

export interface Config {
  version: 1;
  /** BCP 47 tag used when no requested locale matches. Default `"en"`. */
  defaultLocale?: string;
  placements?: Placement[];
  /** Named audiences; a condition may reference others through the `segments` attribute. */
  segments?: { [name: string]: Condition };
  /** Ordered; a visitor belongs to at most the first matching segment of each group. */
  exclusiveGroups?: ExclusiveGroup[];
  campaigns?: Campaign[];
  /** Consent policy (docs/CONSENT.md, docs/CONFIG.md). Default policy `optIn`. */
  consent?: {
    policy?: 'optIn' | 'optOut';
    vendorId?: number;
    policyVersion?: number;
    tcfMapping?: { [purpose in Exclude<Purpose, 'sensitive'>]?: { consent?: number[]; legitimateInterest?: number[] } };
  };
  /** Decay half-life of inferred interests, e.g. `"14d"`. */
  interestHalfLife?: string;
  /** Interest keys never stored or used without the `sensitive` purpose. */
  sensitiveInterests?: string[];
  /** Behaviour settings (docs/STATE.md). */
  behavior?: {
    sessionTimeout?: string;
    cartAbandonAfter?: string;
    lapsedReturnAfter?: string;
    lifecycle?: { activeDays?: number; lapsedDays?: number };
    rfm?: { recencyDays?: number[]; frequency?: number[]; monetary?: number[] };
    interestWeights?: { view?: number; purchase?: number };
  };
}

export interface Placement {
  id: string;
  channel?: string;
  maxItems?: number;
  /** Shown when no campaign wins. */
  default?: LocalizedContent;
}

export interface ExclusiveGroup {
  id: string;
  segments: string[];
}

export interface Campaign {
  id: string;
  placement: string;
  /** Higher wins. */
  priority?: number;
  audience?: Condition;
  schedule?: Schedule;
  /** Hash seed for variant and holdout allocation. Default: the campaign id. */
  seed?: string;
  /** Fraction (0–1) of eligible visitors kept as control. */
  holdout?: number;
  /**
   * Purposes the campaign needs. Default `["personalization"]` when the audience, a
   * referenced segment or the trigger reads the profile, `[]` otherwise.
   */
  consent?: Purpose[];
  /** Eligible only within `within` after the event (docs/STATE.md "Triggers"). */
  trigger?: { event: string; within: string; category?: string };
  variants: Variant[];
}

export interface Schedule {
  /** ISO-8601 instants. */
  start?: string;
  end?: string;
  /** In the visitor's local time. */
  daysOfWeek?: Weekday[];
  /** Local `HH:MM` times; may cross midnight (`{from: "22:00", to: "06:00"}`). */
  hours?: { from: string; to: string };
}

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

export interface Variant {
  id: string;
  /** Normalised across the campaign's variants; at least one must be positive. */
  weight: number;
  content: LocalizedContent;
}

/** Content per locale; must include the config's `defaultLocale`. */
export interface LocalizedContent {
  [locale: string]: { [field: string]: ContentField };
}

/** A template (`"Hi {{name|there}}!"`) or a template with a fallback and a length budget. */
export type ContentField =
  | string
  | {
      text: string;
      /** Shown when the template has a missing value without a fallback. */
      fallback?: string;
      /** In user-perceived characters; truncated on a grapheme boundary with an ellipsis. */
      maxLength?: number;
    };

// ---- Conditions (SPEC §2) ----

/** MongoDB-style query: an implicit AND of `{attribute.path: value | operators}`. */
export interface Condition {
  $and?: Condition[];
  $or?: Condition[];
  $nor?: Condition[];
  $not?: Condition;
  [attributePath: string]: Json | Operators | Condition | Condition[] | undefined;
}

export interface Operators {
  $eq?: Json;
  $ne?: Json;
  $lt?: Json;
  $lte?: Json;
  $gt?: Json;
  $gte?: Json;
  $in?: Json[];
  $nin?: Json[];
  $exists?: boolean;
  $type?: 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';
  $regex?: string;
  $options?: string;
  $elemMatch?: Condition | Operators;
  $size?: number | Operators;
  $all?: Json[];
  $not?: Operators;
  $veq?: string;
  $vne?: string;
  $vgt?: string;
  $vgte?: string;
  $vlt?: string;
  $vlte?: string;
}

// ---- Visitor and decisions (FORMATS "Visitor input", "Decision output") ----

export interface Visitor {
  /**
   * Stable visitor id (at most 256 bytes); variant and holdout allocation hash it, so
   * campaigns with several variants or a holdout skip visitors without one.
   */
  id?: string;
  /** The decision's clock: an ISO-8601 instant or milliseconds since the epoch. */
  now: string | number;
  /** The visitor's offset from UTC, a whole number from -840 to 840 (Wasm has no time zones). */
  utcOffsetMinutes?: number;
  /** The `Accept-Language` header. */
  acceptLanguage?: string;
  /** Ordered preferences (e.g. `navigator.languages`); wins over `acceptLanguage`. */
  locales?: string[];
  geo?: { country?: string; region?: string; city?: string };
  /** First name; normalised by the runtime. */
  name?: string;
  traits?: { [trait: string]: Json };
  page?: {
    url?: string;
    path?: string;
    categories?: string[];
    referrer?: string;
    utm?: { [param: string]: string };
  };
  /** This request's consent inputs: flags, a TC string, Global Privacy Control. */
  consent?: { [purpose in Purpose]?: boolean } & { tcString?: string; gpc?: boolean };
}

/** What one campaign (or the placement default) shows. */
export interface DecisionItem {
  /** `null` when the placement shows its default content. */
  campaign: string | null;
  variant: string | null;
  /** Rendered fields; `null` when nothing is shown and the placement has no default. */
  content: { [field: string]: string } | null;
  locale: string;
  dir: 'ltr' | 'rtl';
  /** Identifies this exposure for impression/click reporting; `null` for default content. */
  token: string | null;
  /** True when the visitor is in the campaign's control group. */
  holdout: boolean;
}

/** The first shown item's fields are the decision's own. */
export interface Decision extends DecisionItem {
  placement: string;
  /** True when the decision was adopted from the edge worker that rendered the page. */
  edge?: true;
  /** Every shown item, in order; present only for placements with `maxItems` > 1. */
  items?: DecisionItem[];
  /** Present only when asked for with `{ reasons: true }`. */
  reasons?: Reason[];
  /** With `{ reasons: true }`: the consent purposes the shown campaign relied on. */
  purposes?: Purpose[];
}

export interface PageDecision {
  /** One per placement, in config order. */
  decisions: Decision[];
}

/** One candidate campaign of a placement, in priority order, and what became of it. */
export interface Reason {
  campaign: string;
  /**
   * `chosen`: shown; `holdout`: eligible but kept as control; `skipped`: not eligible (see
   * `reason`); `not_reached`: the placement was already full before this candidate.
   */
  result: 'chosen' | 'holdout' | 'skipped' | 'not_reached';
  /**
   * Why a candidate was skipped: `schedule`, `trigger`, `audience`, `consent:<purpose>`
   * (a purpose the campaign needs is not granted), `no_visitor_id` (variants or a holdout
   * need `visitor.id`), `content_missing:<field>` (a template missed a value), or a contact
   * rule with its numbers: `cap:global day 5/5`, `cap:channel popup 12h 3/3`,
   * `cap:campaign lifetime clicks 1/1`, `fatigue 3/3`, `cooldown until 2026-11-27T10:00:00Z`,
   * `quiet_hours 22:00–08:00`.
   */
  reason?: string;
}

// ---- Building blocks exposed for tools and tests ----

export interface LocaleRequest {
  /** An `Accept-Language` header; or give `requested`. */
  acceptLanguage?: string;
  /** Ordered BCP 47 tags. */
  requested?: string[];
  /** The locales content exists for. */
  available: string[];
  defaultLocale: string;
}

export interface LocaleResult {
  locale: string;
  dir: 'ltr' | 'rtl';
}

export interface TemplateRequest {
  template: string;
  /** What `{{path}}` placeholders read. */
  context: { [key: string]: Json };
  maxLength?: number;
  fallback?: string;
}

/** `dropped` when a value is missing and there is neither an inline nor a field fallback. */
export type TemplateResult = { text: string } | { dropped: true };

/** The lean build (`attune/lean`): loads compiled configs, no JSON config compiler. */
export function loadAttuneLean(options?: LoadOptions): Promise<AttuneLean>;

export interface AttuneLean {
  /** Loads a compiled config (from `attune compile` or `engine.compiled()`). */
  load(bytes: Uint8Array | ArrayBuffer): CompileResult;
  hashBucket(seed: string, id: string): number | ErrorResult;
  health(): Health;
}

// ---- The stateful browser runtime (web/runtime.mjs; docs/FORMATS.md "Visitor state") ----

/**
 * One visitor, one compiled config, the visitor's profile kept on the device and shared
 * between tabs. Rejects (with a precise message) when the Wasm cannot be loaded, an option
 * has the wrong type, or the config is invalid (the error then has `errors`); every call
 * on the runtime afterwards returns a value and never throws.
 */
export function createAttune(options: CreateAttuneOptions): Promise<AttuneRuntime>;

export interface CreateAttuneOptions extends LoadOptions {
  /** Compiled once. */
  config: Config | string;
  /**
   * `'local'` (default): localStorage when it is reachable, else memory with
   * `storageStatus.ok === false`. `'memory'`: nothing persisted. `'cookie'`: a first-party
   * cookie the edge worker shares (the default on an edge-personalised page). Or an adapter.
   */
  storage?: 'local' | 'memory' | 'cookie' | StorageAdapter;
  /** Storage key of the state blob (also the Web Lock and BroadcastChannel name). Default `'attune:state'`. */
  key?: string;
  /** The one clock (ms since the epoch) for events, decisions and the profile. Default `Date.now`. */
  clock?: () => number;
  /**
   * Builds the per-decision visitor context. Receives the default one (`now`, `utcOffsetMinutes`
   * from the clock's Date, `locales` from navigator.languages, `page` from location/referrer/utm_*)
   * and returns the context to use (visitor-input shape without `id`).
   */
  context?: (defaults: VisitorContext) => VisitorContext;
  /** Write-behind bound: at most one flush per this many ms (default 1000); also on pagehide/hidden. Also the collector's send interval. */
  flushIntervalMs?: number;
  /**
   * The edge hand-off (docs/EDGE.md): 'auto' (default) adopts the decisions of an edge
   * worker found in the page's `<script id="attune-edge">`, so content the edge rendered is
   * not decided again; false ignores it; a string is the payload's JSON.
   */
  edge?: 'auto' | false | string;
  /** The state cookie's name with `storage: 'cookie'` (default: the edge's, else "attune"). */
  cookie?: string;
  /**
   * Where impression/click/dismiss/conversion events are POSTed in batches — only while
   * `measurement` is in force: fetch keepalive with retries until a 2xx, sendBeacon when the
   * page is hidden or left, each event with an `id` for exactly-once dedupe at the collector
   * (docs/COLLECTOR.md). Without it they are profile events only.
   */
  collectorUrl?: string;
  /**
   * Replaces fetch/sendBeacon (tests, custom pipelines). `how` is 'fetch' (return a promise of
   * the answer for confirmations and retries) or 'beacon' (the page is going); `true` means
   * handed over with no answer to come, `false` or a throw means refused.
   */
  collectorTransport?: (url: string, body: string, how: 'fetch' | 'beacon') => boolean | Promise<Response | number | boolean>;
  /**
   * Global Privacy Control: default reads `navigator.globalPrivacyControl === true` at every
   * decision; a boolean fixes it; a function is asked each time (throwing counts as on).
   * On: `marketing` is denied whatever was granted.
   */
  gpc?: boolean | (() => boolean);
  /**
   * The IAB TCF v2.2 CMP to listen to (`__tcfapi`-compatible). Default: `window.__tcfapi`
   * when present (looked for again on `load`); `false`: no CMP pickup.
   */
  tcfApi?: false | ((command: string, version: number, callback: (...args: any[]) => void, parameter?: unknown) => void);
}

export type Purpose = 'storage' | 'personalization' | 'measurement' | 'marketing' | 'sensitive';
export type Purposes = { [P in Purpose]: boolean };

/** What `setConsent` takes: any purpose flags and/or an IAB TCF v2.2 TC string (flags win over it). */
export type ConsentInput = Partial<Purposes> & { tcString?: string };

/** The proof of consent kept with the state (docs/CONSENT.md). */
export interface ConsentRecord {
  /** False until the visitor made a choice. */
  present: boolean;
  purposes: Purposes;
  /** When the choice was recorded (the runtime's clock, ms since the epoch). */
  updated: number;
  /** Where it came from: `'api'` (default), `'tcf'` (the CMP), or the site's own label. */
  source: string;
  /** The config's `consent.policyVersion` it was given under; an older one is ignored. */
  policyVersion: number;
}

export interface CollectorStats {
  /** Unconfirmed events not on the wire (waiting, in backoff, or beaconed and not confirmed). */
  queued: number;
  /** Events in a request awaiting its answer. */
  inFlight: number;
  /** Events confirmed by a 2xx (or handed to a transport that cannot answer). */
  sent: number;
  /** Events sent again after a failed request (each resend counts). */
  retried: number;
  /** Events given up: a non-retryable status, or 12 sends without success. */
  failed: number;
  /** Dropped by the 500-event bound (the oldest not in flight go first). */
  dropped: number;
  /** Discarded unsent by a measurement withdrawal or forget(). */
  discarded: number;
  /** Events handed to sendBeacon when the page was hidden or left. */
  beacons: number;
  /** Requests made (beacons included). */
  batches: number;
  /** Requests that failed (network error, non-2xx, refused, timed out). */
  errors: number;
  lastError?: string;
}

export interface CmpStatus {
  state: 'disabled' | 'absent' | 'listening' | 'applied' | 'refused' | 'error';
  /** The CMP's last `eventStatus` (`tcloaded`, `cmpuishown`, `useractioncomplete`). */
  eventStatus?: string;
  /** For `applied`: whether the string changed the record (the same choice again does not). */
  changed?: boolean;
  /** Why a string was refused or the CMP failed. */
  reason?: string;
  /** The listener was removed (close()). */
  closed?: boolean;
}

/** `{ok: true, queued}`: `queued` is false without `measurement` or without a collectorUrl. */
export type MeasureResult = { ok: true; queued: boolean } | ErrorResult;

/** The visitor-input shape without `id` (the runtime's visitor supplies it); `now` defaults to the clock. */
export type VisitorContext = Omit<Visitor, 'id' | 'now'> & { now?: string | number };

/**
 * Synchronous storage under one key. Any method may throw: the runtime then keeps working
 * in memory and reports why in `storageStatus`.
 */
export interface StorageAdapter {
  read(key: string): string | null;
  write(key: string, value: string): void;
  /** Erases the key (used to drop state kept without consent); without it the runtime writes `''`. */
  remove?(key: string): void;
  /** Calls `onChange` when another tab/process changed the value; returns an unsubscribe function. */
  subscribe?(key: string, onChange: () => void): () => void;
  /** Runs `critical` exclusively across tabs/processes (read–merge–write of a flush). */
  lock?<T>(key: string, critical: () => T): Promise<T>;
  /** Called once by `close()` (or when the runtime falls back to memory): release what the adapter holds. */
  close?(): void;
}

export interface StorageStatus {
  /** Where the state lives: localStorage, a custom adapter, or only this runtime's memory. */
  mode: 'local' | 'cookie' | 'custom' | 'memory';
  /** False when the requested storage could not be used (blocked, full, throwing). */
  ok: boolean;
  /** Why `ok` is false, e.g. `writing storage failed: QuotaExceededError: …`. */
  reason?: string;
  /**
   * How tabs merge: `locks` (Web Locks: exact), `best-effort` (no lock manager: a merge can
   * lose events two tabs flush at the same instant), `none` (memory).
   */
  sync: 'locks' | 'best-effort' | 'none';
  /** Set when the lock manager refused and flushes fell back to best-effort. */
  lockError?: string;
}

/** How the stored state was found at the last load from storage. */
export interface LoadReport {
  /** `ok`, `migrated`, `empty`, or why it was discarded: `corrupt`, `truncated`, `foreign`, `too_new`. */
  status: string;
  /** A discarded blob's consent record survived. */
  consentKept: boolean;
  fromVersion: number;
  reason: string;
}

export interface TrackProps {
  [prop: string]: Json;
}

export interface AttuneRuntime {
  /**
   * Records an event (docs/FORMATS.md "Visitor state" lists the types and props). Applies at
   * once — the next decision sees it — and is persisted write-behind. A rejected event
   * changes nothing.
   */
  track(type: string, props?: TrackProps | string): { ok: true } | ErrorResult;
  /** One placement, for the current context merged with `overrides` (objects merge one level deep). */
  decide(placementId: string, overrides?: VisitorContext, options?: DecideOptions): Decision | ErrorResult;
  /** Every placement, in config order. */
  decidePage(overrides?: VisitorContext, options?: DecideOptions): PageDecision | ErrorResult;
  /** The profile part of the context (interests, behavior, cart, rfm, lifecycle…), a fresh copy. */
  profile(): Profile | ErrorResult;
  /**
   * Erases the profile, the visitor id and queued events in memory and in storage now (a
   * fresh id is generated; the consent record stays); other tabs drop their queued events.
   */
  forget(): { ok: true } | ErrorResult;
  /**
   * Records the visitor's choice (source `'api'` unless `options.source` says otherwise);
   * later decisions, events and storage follow it at once. Withdrawing `storage` or
   * `personalization` erases the profile in memory and storage before returning; a
   * malformed TC string is refused with the reason and changes nothing.
   */
  setConsent(input: ConsentInput, options?: { source?: string }): { ok: true; record: ConsentRecord } | ErrorResult;
  /** The stored consent record (what, when, source, policy version). */
  consentRecord(): ConsentRecord | ErrorResult;
  /** The purposes in force now: policy default, record, GPC. */
  purposes(): Purposes | ErrorResult;
  /** Measurement events for a decision's token: a profile event, and a collector event with `measurement`. */
  /**
   * Decides and counts the impression at once, under the cross-tab lock on the state every
   * tab shares: however many tabs show a capped campaign together, the cap holds exactly.
   * `countError` says why a shown decision could not be counted.
   */
  show(placementId: string, overrides?: VisitorContext, options?: DecideOptions): Promise<(Decision & { countError?: string }) | ErrorResult>;
  /**
   * Reports that the decision was shown. A token counts once per kind: a repeat is refused
   * (`token: this impression was already reported`), as is a token issued to another visitor
   * or by another config.
   */
  impression(token: string): MeasureResult;
  click(token: string): MeasureResult;
  dismiss(token: string): MeasureResult;
  conversion(token: string, value?: number): MeasureResult;
  /** Persists now (merging with other tabs); resolves to the storage status afterwards. Never rejects. */
  flush(): Promise<StorageStatus>;
  readonly storageStatus: StorageStatus;
  /** Whether this page view adopted an edge worker's decisions, and why a payload was ignored. */
  readonly edgeStatus: { adopted: boolean; placements: string[]; visitor?: string; reason?: string };
  readonly loadReport: LoadReport;
  readonly collectorStats: CollectorStats;
  readonly cmpStatus: CmpStatus;
  /** The visitor's id (generated once; kept in the state blob while `storage` is in force, else new on every page); undefined after close(). */
  readonly visitorId: string | undefined;
  readonly closed: boolean;
  /** Traps recovered from so far (the visitor reloaded from its last completed change), and whether recovery gave up. */
  health(): Health;
  /** Sends what the collector holds (with measurement), removes the CMP listener, flushes, stops timers and listeners, frees the Wasm objects. Idempotent; later calls give `{ error: 'runtime closed' }`. */
  close(): Promise<void>;
}

/** What conditions read from the profile (docs/FORMATS.md "Visitor state"). */
export interface Profile {
  interests: { [key: string]: number };
  topInterests: string[];
  declaredInterests?: string[];
  behavior: {
    counts: { [type: string]: { d1: number; d7: number; d30: number; d90: number; lifetime: number } };
    sessions: number;
    daysSinceLastVisit?: number | null;
    daysSinceLastPurchase?: number | null;
    daysSinceFirstVisit?: number | null;
  };
  cart: { items: { sku: string; quantity: number; price: number }[]; count: number; value: number; abandoned: boolean };
  rfm: { recency: number; frequency: number; monetary: number; tier: string; purchases: number; spend: number };
  lifecycle: 'new' | 'active' | 'lapsed' | 'dormant';
  [key: string]: Json | undefined;
}
