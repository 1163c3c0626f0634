// The full build's additions to bindings/facade.js (also --post-js): KPIs and the tool
// functions, with the names and argument order the Embind bindings had.

attuneClass('Kpi', ['kpi_new', ''], [
  ['addJson', 'kpi_add', 'ss'],
  ['reportJson', 'kpi_report', 's', 1],
]);

attuneFunction('evalConditionJson', 'eval_condition', 'sss');
attuneFunction('negotiateLocaleJson', 'negotiate_locale', 'ss');
attuneFunction('renderTemplateJson', 'render_template', 'ss');
attuneFunction('simulateJson', 'simulate', 'ss');
attuneFunction('tcfJson', 'tcf', 'ssn');
attuneFunction('version', 'version', 's');

// The edge worker's one crossing per request: Engine.edgeDecideFromInput(visitor,
// cookieLength, idLength, placementsLength, contextLength, gpc, cookieBudget), a view.
Module['Engine'].prototype['edgeDecideFromInput'] = function () {
  return attuneCall('engine_edge_decide_from_input', 'mvnnnnbn',
    attunePointer(this, Module['Engine'], 'Engine*'), arguments, 'Engine.edgeDecideFromInput');
};
