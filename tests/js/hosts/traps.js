// Loaded first, as a classic script, by the pages of the hostile-string and DOM suites:
// anything that runs from injected markup trips one of these, and every CSP violation is
// recorded. The suites read window.attuneTraps after each payload.
(function () {
  var traps = { owned: 0, alerts: [], violations: [] };
  window.attuneTraps = traps;
  window.attuneOwned = function () {
    traps.owned++;
  };
  function record(kind) {
    return function (message) {
      traps.alerts.push(kind + ': ' + String(message));
    };
  }
  window.alert = record('alert');
  window.confirm = record('confirm');
  window.prompt = record('prompt');
  document.addEventListener('securitypolicyviolation', function (e) {
    traps.violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
  });
})();
