// One bounded load run against one worker with autocannon's programmatic API. The mix is
// handed to every connection, rotated by the connection's index so the connections do not
// send the same request at the same moment. Latency is taken from each response's own
// timing (a float in ms) rather than autocannon's histogram, which keeps whole milliseconds
// only: the targets are about fractions of a millisecond.
import autocannon from 'autocannon';

/**
 * Runs `seconds` of load at `connections` on url with `mix` (autocannon request objects).
 * Resolves to {requests, seconds, rps, latenciesMs: Float64Array, status: {code: count},
 * status5xx, non2xx, errors, timeouts}.
 */
export function runLoad({ url, mix, seconds, connections }) {
  const requests = mix.map(({ method, path, headers }) => ({ method, path, headers }));
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const status = {};
  let clientIndex = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url,
      connections,
      duration: seconds,
      timeout: 10,
      requests,
      setupClient(client) {
        const offset = (clientIndex++ * Math.max(1, Math.floor(requests.length / connections))) % requests.length;
        client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
      },
    }, (error, result) => {
      if (error) return reject(error);
      const status5xx = Object.entries(status).filter(([code]) => code >= 500 && code < 600).reduce((n, [, c]) => n + c, 0);
      const non2xx = Object.entries(status).filter(([code]) => code < 200 || code >= 300).reduce((n, [, c]) => n + c, 0);
      const elapsed = result.duration > 0 ? result.duration : seconds;  // autocannon's seconds
      resolve({
        requests: count,
        seconds: elapsed,
        rps: count / elapsed,
        latenciesMs: latencies.subarray(0, count),
        status,
        status5xx,
        non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
      });
    });
    instance.on('response', (client, statusCode, bytes, responseTimeMs) => {
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = responseTimeMs;
      status[statusCode] = (status[statusCode] || 0) + 1;
    });
  });
}

/** Percentile of an ascending array (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
