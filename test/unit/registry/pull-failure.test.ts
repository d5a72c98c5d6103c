// Why an image pull failed, told apart from dockerd's own words (the engine does the pulling, so
// its text is all there is): each kind a user meets gets its cause and its next step.
import assert from 'node:assert/strict';
import { classifyPullFailure } from '../../../src/engine/runtime/build/image';

describe('registry: why an image pull failed', () => {
  const cases: [string, string, RegExp][] = [
    ['Get "https://nosuch.invalid/v2/": dial tcp: lookup nosuch.invalid on 10.0.0.2:53: no such host', 'name-resolution', /host name could not be resolved/],
    ['Get "https://r.example/v2/": dial tcp: lookup r.example on 10.0.0.2:53: read udp 10.0.0.3:1->10.0.0.2:53: i/o timeout', 'name-resolution', /DNS/],
    ['Get "http://localhost:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', 'connection', /refused.*nothing listens/],
    ['Get "https://10.255.255.1/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)', 'timeout', /did not answer in time/],
    ['Get "https://r.example:5000/v2/": http: server gave HTTP response to HTTPS client', 'tls', /plain http.*insecure-registries/],
    ['Get "https://r.example/v2/": x509: certificate signed by unknown authority', 'tls', /certificate is not trusted/],
    ['Head "http://localhost:5055/v2/hb/x/manifests/1": no basic auth credentials', 'auth', /asked for credentials/],
    ['unauthorized: authentication required', 'auth', /asked for credentials/],
    ["pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", 'denied', /refused access/],
    ['manifest for localhost:5055/hb/pulltest:2 not found: manifest unknown: manifest unknown', 'not-found', /has no such image/],
    ['something nobody foresaw', 'other', /^something nobody foresaw$/],
  ];
  for (const [text, kind, why] of cases) {
    it(`${kind}: ${text.slice(0, 60)}`, () => {
      const got = classifyPullFailure(text);
      assert.equal(got.kind, kind);
      assert.match(got.why, why);
      if (kind !== 'other') assert.ok(got.why.includes(text), 'dockerd\'s own words stay in the message');
    });
  }
});
