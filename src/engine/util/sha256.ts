// SHA-256 (FIPS 180-4) of a short UTF-8 string, in plain JavaScript. ${devcontainerId} needs one
// digest of a few hundred bytes per config; loading node:crypto for it costs `hb config` more
// start-up time than everything else it does, so the CLI and engine use this instead.
// test/unit/util/sha256.test.ts checks it against node:crypto.
//
// The engine's other digests go through sha256() below: hb up of a running container takes a
// dozen of a line each (trust keys of commands, drift inputs), and node:crypto (some 20 modules,
// about 4 ms to set up) is loaded only for long input, or where a module needs more than a
// digest (nodeCrypto()).

/** The first 32 bits of the fractional parts of the square (H0) and cube (K) roots of the first primes. */
function primeRootFractions(count: number, root: (n: number) => number): Uint32Array {
  const out = new Uint32Array(count);
  let found = 0;
  for (let n = 2; found < count; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    const r = root(n);
    out[found++] = Math.floor((r - Math.floor(r)) * 0x100000000);
  }
  return out;
}

/** node:crypto, loaded on first use: call this where the digest of long input or more (random bytes) is needed. */
export function nodeCrypto(): typeof import('node:crypto') {
  return require('node:crypto') as typeof import('node:crypto');
}

/** Input up to this many UTF-16 units is hashed in JavaScript (about 0.1 ms a 64-byte block before V8 optimises it). */
const SHORT = 256;

/** Lower-case hex SHA-256 digest of `data` (a string as UTF-8): in JavaScript when short, else with node:crypto. */
export function sha256(data: string | Uint8Array): string {
  if (typeof data === 'string' && data.length <= SHORT) return sha256Hex(data);
  return nodeCrypto().createHash('sha256').update(data).digest('hex');
}

let K: Uint32Array | undefined;
let H0: Uint32Array | undefined;
/** The message schedule, reused. */
const W = new Uint32Array(64);

/**
 * Lower-case hex SHA-256 digest of `text` encoded as UTF-8. Written for the few calls a command
 * makes, most before V8 optimises anything: local variables and inlined rotations, no DataView,
 * destructuring or closures (each of which the interpreter runs several times slower).
 */
export function sha256Hex(text: string): string {
  K ??= primeRootFractions(64, Math.cbrt);
  H0 ??= primeRootFractions(8, Math.sqrt);
  const data = Buffer.from(text, 'utf8');
  // padding: 0x80, zeros, then the length in bits as a 64-bit big-endian number
  const blocks = Math.ceil((data.length + 9) / 64);
  const msg = new Uint8Array(blocks * 64);
  msg.set(data);
  msg[data.length] = 0x80;
  const bits = data.length * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  const end = msg.length;
  msg[end - 8] = hi >>> 24;
  msg[end - 7] = hi >>> 16;
  msg[end - 6] = hi >>> 8;
  msg[end - 5] = hi;
  msg[end - 4] = lo >>> 24;
  msg[end - 3] = lo >>> 16;
  msg[end - 2] = lo >>> 8;
  msg[end - 1] = lo;

  let h0 = H0[0], h1 = H0[1], h2 = H0[2], h3 = H0[3], h4 = H0[4], h5 = H0[5], h6 = H0[6], h7 = H0[7];
  const w = W;
  for (let b = 0; b < blocks; b++) {
    for (let t = 0, i = b * 64; t < 16; t++, i += 4) w[t] = (msg[i] << 24) | (msg[i + 1] << 16) | (msg[i + 2] << 8) | msg[i + 3];
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + S0 + maj) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + hh) | 0;
  }
  let out = '';
  for (const x of [h0, h1, h2, h3, h4, h5, h6, h7]) out += (x >>> 0).toString(16).padStart(8, '0');
  return out;
}
