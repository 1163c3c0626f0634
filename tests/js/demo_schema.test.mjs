// The published JSON Schema of the config (web/attune.schema.json) against the real config
// compiler (Wasm in Node): every config in the repo that the compiler accepts — the samples,
// the edge and bench configs, the bench scenario, the configs inside the shared vectors —
// validates against the schema; configs the compiler rejects for their shape (wrong types,
// unknown keys, bad enum values, out-of-range numbers) are rejected by the schema too, at
// the same place. Also: the compiler accepts a "$schema" link, and the package publishes
// the schema.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import Ajv from 'ajv';

import { makeScenario, withContactRules } from '../../bench/scenario.mjs';
import { REPO_ROOT, VECTOR_DIR, WEB_DIR, loadNodeAttune } from './hosts/node_host.mjs';

const SCHEMA = JSON.parse(readFileSync(join(WEB_DIR, 'attune.schema.json'), 'utf8'));
let attune;
let validateSchema;

before(async () => {
  attune = await loadNodeAttune();
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  validateSchema = ajv.compile(SCHEMA);
});

const readJson = (...parts) => JSON.parse(readFileSync(join(REPO_ROOT, ...parts), 'utf8'));

function schemaErrors(config) {
  return validateSchema(config) ? [] : validateSchema.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

// Every config the repo carries, with where it came from.
function repoConfigs() {
  const configs = [
    ['demo/campaigns.json', readJson('demo', 'campaigns.json')],
    ['demo/sample-config.json', readJson('demo', 'sample-config.json')],
    ['web/edge/config.json', readJson('web', 'edge', 'config.json')],
    ['bench/edge/config.json', readJson('bench', 'edge', 'config.json')],
    ['tests/js/hosts/edge_page_config.json', readJson('tests', 'js', 'hosts', 'edge_page_config.json')],
  ];
  const scenario = makeScenario({ visitors: 1 }).config;
  configs.push(['bench scenario', scenario], ['bench scenario with contact rules', withContactRules(scenario)]);
  for (const [file, read] of [['decisions.json', (c) => c.config], ['profile.json', (c) => c.request.config], ['contacts.json', (c) => c.request.config]]) {
    const cases = JSON.parse(readFileSync(join(VECTOR_DIR, file), 'utf8'));
    for (const c of cases) configs.push([`tests/vectors/${file}: ${c.name}`, read(c)]);
  }
  return configs;
}

test('every config in the repo that the compiler accepts validates against the schema', () => {
  let accepted = 0;
  let checked = 0;
  for (const [where, config] of repoConfigs()) {
    checked++;
    if (attune.validate(config).length > 0) continue;
    accepted++;
    assert.deepEqual(schemaErrors(config), [], where);
  }
  console.log(`configs checked against the schema: ${accepted} accepted by the compiler, of ${checked}`);
  assert.ok(accepted >= 150, `${accepted} accepted configs`);
});

const BASE = {
  version: 1,
  placements: [{ id: 'hero', channel: 'web' }, { id: 'popup', channel: 'popup' }],
  segments: { vip: { 'traits.tier': 'gold' }, rest: { 'traits.tier': { $ne: 'gold' } } },
  campaigns: [{ id: 'c', placement: 'hero', variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Hi' } } }] }],
};
const withCampaign = (patch) => ({ ...BASE, campaigns: [{ ...BASE.campaigns[0], ...patch }] });
const withVariant = (patch) => withCampaign({ variants: [{ ...BASE.campaigns[0].variants[0], ...patch }] });

// [what, config, the compiler's problem path, the schema's instancePath]
const SHAPE_ERRORS = [
  ['version 2', { ...BASE, version: 2 }, 'version', '/version'],
  ['version as a string', { ...BASE, version: '1' }, 'version', '/version'],
  ['no version', (({ version, ...rest }) => rest)(BASE), 'version', ''],
  ['unknown top-level key', { ...BASE, defualtLocale: 'en' }, 'defualtLocale', ''],
  ['$schema not a string', { ...BASE, $schema: 5 }, '$schema', '/$schema'],
  ['defaultLocale not a tag', { ...BASE, defaultLocale: 'english language' }, 'defaultLocale', '/defaultLocale'],
  ['placements not an array', { ...BASE, placements: {} }, 'placements', '/placements'],
  ['unknown placement key', { ...BASE, placements: [{ id: 'hero', x: 1 }, BASE.placements[1]] }, 'placements[0].x', '/placements/0'],
  ['placement maxItems 0', { ...BASE, placements: [{ id: 'hero', maxItems: 0 }, BASE.placements[1]] }, 'placements[0].maxItems', '/placements/0/maxItems'],
  ['placement id empty', { ...BASE, placements: [{ id: '' }, BASE.placements[1]] }, 'placements[0].id', '/placements/0/id'],
  ['unknown campaign key', withCampaign({ prority: 3 }), 'campaigns[0].prority', '/campaigns/0'],
  ['priority as a string', withCampaign({ priority: 'high' }), 'campaigns[0].priority', '/campaigns/0/priority'],
  ['holdout 1', withCampaign({ holdout: 1 }), 'campaigns[0].holdout', '/campaigns/0/holdout'],
  ['holdout negative', withCampaign({ holdout: -0.1 }), 'campaigns[0].holdout', '/campaigns/0/holdout'],
  ['no variants', withCampaign({ variants: [] }), 'campaigns[0].variants', '/campaigns/0/variants'],
  ['negative weight', withVariant({ weight: -1 }), 'campaigns[0].variants[0].weight', '/campaigns/0/variants/0/weight'],
  ['weight as a string', withVariant({ weight: '1' }), 'campaigns[0].variants[0].weight', '/campaigns/0/variants/0/weight'],
  ['unknown variant key', withVariant({ colour: 'red' }), 'campaigns[0].variants[0].colour', '/campaigns/0/variants/0'],
  ['content field a number', withVariant({ content: { en: { headline: 5 } } }), 'campaigns[0].variants[0].content.en.headline', '/campaigns/0/variants/0/content/en/headline'],
  ['unknown field-spec key', withVariant({ content: { en: { headline: { text: 'x', color: 'red' } } } }), 'campaigns[0].variants[0].content.en.headline.color', '/campaigns/0/variants/0/content/en/headline'],
  ['maxLength 0', withVariant({ content: { en: { headline: { text: 'x', maxLength: 0 } } } }), 'campaigns[0].variants[0].content.en.headline.maxLength', '/campaigns/0/variants/0/content/en/headline'],
  ['empty content', withVariant({ content: {} }), 'campaigns[0].variants[0].content', '/campaigns/0/variants/0/content'],
  ['schedule day name', withCampaign({ schedule: { daysOfWeek: ['funday'] } }), 'campaigns[0].schedule.daysOfWeek[0]', '/campaigns/0/schedule/daysOfWeek/0'],
  ['schedule hour 25', withCampaign({ schedule: { hours: { from: '25:00', to: '08:00' } } }), 'campaigns[0].schedule.hours.from', '/campaigns/0/schedule/hours/from'],
  ['schedule start not ISO', withCampaign({ schedule: { start: 'yesterday' } }), 'campaigns[0].schedule.start', '/campaigns/0/schedule/start'],
  ['unknown schedule key', withCampaign({ schedule: { weekdays: ['mon'] } }), 'campaigns[0].schedule.weekdays', '/campaigns/0/schedule'],
  ['consent purpose', withCampaign({ consent: ['advertising'] }), 'campaigns[0].consent[0]', '/campaigns/0/consent/0'],
  ['trigger within', withCampaign({ trigger: { event: 'welcome', within: 'soon' } }), 'campaigns[0].trigger.within', '/campaigns/0/trigger/within'],
  ['trigger event spelling', withCampaign({ trigger: { event: 'Cart Abandoned', within: '2d' } }), 'campaigns[0].trigger.event', '/campaigns/0/trigger/event'],
  ['trigger category off purchase', withCampaign({ trigger: { event: 'welcome', within: '2d', category: 'x' } }), 'campaigns[0].trigger.category', '/campaigns/0/trigger/category'],
  ['trigger without within', withCampaign({ trigger: { event: 'welcome' } }), 'campaigns[0].trigger.within', '/campaigns/0/trigger'],
  ['fatigue zero', withCampaign({ fatigue: { impressions: 0, suppress: '7d' } }), 'campaigns[0].fatigue.impressions', '/campaigns/0/fatigue/impressions'],
  ['cooldown 0d', withCampaign({ cooldownAfterDismiss: '0d' }), 'campaigns[0].cooldownAfterDismiss', '/campaigns/0/cooldownAfterDismiss'],
  ['campaign cap scope global', withCampaign({ caps: [{ scope: 'global', max: 1, per: 'day' }] }), 'campaigns[0].caps[0].scope', '/campaigns/0/caps/0/scope'],
  ['campaign cap per', withCampaign({ caps: [{ max: 1, per: 'fortnight' }] }), 'campaigns[0].caps[0].per', '/campaigns/0/caps/0/per'],
  ['cap scope', { ...BASE, caps: [{ scope: 'everything', max: 1, per: 'day' }] }, 'caps[0].scope', '/caps/0/scope'],
  ['cap max 0', { ...BASE, caps: [{ scope: 'global', max: 0, per: 'day' }] }, 'caps[0].max', '/caps/0/max'],
  ['cap max fractional', { ...BASE, caps: [{ scope: 'global', max: 1.5, per: 'day' }] }, 'caps[0].max', '/caps/0/max'],
  ['cap count', { ...BASE, caps: [{ scope: 'global', max: 1, per: 'day', count: 'views' }] }, 'caps[0].count', '/caps/0/count'],
  ['cap target on the wrong scope', { ...BASE, caps: [{ scope: 'global', max: 1, per: 'day', channel: 'web' }] }, 'caps[0].channel', '/caps/0/channel'],
  ['unknown cap key', { ...BASE, caps: [{ scope: 'global', max: 1, per: 'day', window: 'x' }] }, 'caps[0].window', '/caps/0'],
  ['cap multiplier below 1', { ...BASE, capMultipliers: { vip: 0.5 } }, 'capMultipliers.vip', '/capMultipliers/vip'],
  ['quiet hours as a string', { ...BASE, quietHours: { popup: '22-08' } }, 'quietHours.popup', '/quietHours/popup'],
  ['quiet hours from 24:00', { ...BASE, quietHours: { popup: { from: '24:00', to: '08:00' } } }, 'quietHours.popup.from', '/quietHours/popup/from'],
  ['exclusive group of one', { ...BASE, exclusiveGroups: [{ id: 'g', segments: ['vip'] }] }, 'exclusiveGroups[0].segments', '/exclusiveGroups/0/segments'],
  ['unknown group key', { ...BASE, exclusiveGroups: [{ id: 'g', segments: ['vip', 'rest'], order: 1 }] }, 'exclusiveGroups[0].order', '/exclusiveGroups/0'],
  ['interestHalfLife', { ...BASE, interestHalfLife: 14 }, 'interestHalfLife', '/interestHalfLife'],
  ['sensitiveInterests', { ...BASE, sensitiveInterests: 'health' }, 'sensitiveInterests', '/sensitiveInterests'],
  ['behavior key', { ...BASE, behavior: { surprise: true } }, 'behavior.surprise', '/behavior'],
  ['rfm thresholds', { ...BASE, behavior: { rfm: { monetary: [1, 2, 3] } } }, 'behavior.rfm.monetary', '/behavior/rfm/monetary'],
  ['consent policy', { ...BASE, consent: { policy: 'opt-in' } }, 'consent.policy', '/consent/policy'],
  ['consent vendorId', { ...BASE, consent: { vendorId: 70000 } }, 'consent.vendorId', '/consent/vendorId'],
  ['tcfMapping sensitive', { ...BASE, consent: { tcfMapping: { sensitive: { consent: [1] } } } }, 'consent.tcfMapping.sensitive', '/consent/tcfMapping'],
  ['tcfMapping purpose 25', { ...BASE, consent: { tcfMapping: { storage: { consent: [25] } } } }, 'consent.tcfMapping.storage.consent', '/consent/tcfMapping/storage/consent/0'],
  ['unknown condition operator', withCampaign({ audience: { x: { $bogus: 1 } } }), 'campaigns[0].audience.x.$bogus', '/campaigns/0/audience/x'],
  ['unknown top operator', withCampaign({ audience: { $xor: [] } }), 'campaigns[0].audience.$xor', '/campaigns/0/audience'],
  ['$in not an array', withCampaign({ audience: { x: { $in: 'a' } } }), 'campaigns[0].audience.x.$in', '/campaigns/0/audience/x/$in'],
  ['$exists not a boolean', withCampaign({ audience: { x: { $exists: 1 } } }), 'campaigns[0].audience.x.$exists', '/campaigns/0/audience/x/$exists'],
  ['$type name', withCampaign({ audience: { x: { $type: 'int' } } }), 'campaigns[0].audience.x.$type', '/campaigns/0/audience/x/$type'],
  ['$or empty', withCampaign({ audience: { $or: [] } }), 'campaigns[0].audience.$or', '/campaigns/0/audience/$or'],
  ['audience not an object', withCampaign({ audience: 'everyone' }), 'campaigns[0].audience', '/campaigns/0/audience'],
  ['mixed operator object', withCampaign({ audience: { x: { $gt: 1, y: 2 } } }), 'campaigns[0].audience.x', '/campaigns/0/audience/x'],
  ['path with ..', withCampaign({ audience: { 'a..b': 1 } }), 'campaigns[0].audience["a..b"]', '/campaigns/0/audience'],
  ['$options without $regex', withCampaign({ audience: { x: { $options: 'i' } } }), 'campaigns[0].audience.x.$options', '/campaigns/0/audience/x'],
];

test('configs the compiler rejects for their shape are rejected by the schema, at the same place', () => {
  for (const [what, config, compilerPath, schemaPath] of SHAPE_ERRORS) {
    const problems = attune.validate(config);
    assert.ok(problems.some((p) => p.path === compilerPath), `${what}: the compiler reports ${compilerPath}; got ${JSON.stringify(problems)}`);
    assert.equal(validateSchema(config), false, `${what}: the schema accepted it`);
    const paths = validateSchema.errors.map((e) => e.instancePath);
    assert.ok(paths.includes(schemaPath), `${what}: the schema reports ${schemaPath}; got ${JSON.stringify(paths)}`);
  }
  console.log(`shape errors rejected by both: ${SHAPE_ERRORS.length}`);
});

test('the compiler accepts a "$schema" link (editors read it) and nothing but a string there', () => {
  const linked = { $schema: '../web/attune.schema.json', ...BASE };
  assert.deepEqual(attune.validate(linked), []);
  assert.deepEqual(schemaErrors(linked), []);
  assert.deepEqual(attune.validate({ ...BASE, $schema: null }), [{ path: '$schema', message: 'must be a string (the JSON Schema\'s URL), not null' }]);
  const { engine } = attune.compile(linked);
  assert.equal(engine.decide('hero', { now: 0 }).campaign, 'c', 'the link changes no decision');
  engine.free();
  assert.equal(readJson('demo', 'campaigns.json').$schema, '../web/attune.schema.json', 'the sample links it');
});

test('the package publishes the schema', () => {
  const pkg = JSON.parse(readFileSync(join(WEB_DIR, 'package.json'), 'utf8'));
  assert.ok(pkg.files.includes('attune.schema.json'));
  assert.equal(pkg.exports['./attune.schema.json'], './attune.schema.json');
  assert.equal(SCHEMA.$schema, 'http://json-schema.org/draft-07/schema#');
});
