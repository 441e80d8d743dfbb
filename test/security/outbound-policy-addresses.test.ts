/**
 * The outbound policy's address check, as pure functions over address strings. Nothing here
 * sends a packet: non-loopback addresses are only ever classified, and the one lookup resolves
 * `localhost` from the hosts file.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../core/domain/errors.ts';
import {
  assertTargetAllowed,
  classifyAddress,
  guardedLookup,
  literalRefusal,
  OutboundRefused,
  refusalFor,
  type AddressKind,
} from '../../runtime/engine/outbound-policy.ts';

const PUBLIC_ONLY = { allowPrivate: false };
const PRIVATE_ALLOWED = { allowPrivate: true };

const KINDS: [string, AddressKind][] = [
  // cloud metadata and link-local, in every form that reaches them
  ['169.254.169.254', 'metadata'],
  ['169.254.0.1', 'metadata'],
  ['169.254.255.255', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['fd20:ce::254', 'metadata'],
  ['fe80::1', 'metadata'],
  ['fe80::a00:27ff:fe4e:66a1', 'metadata'],
  ['febf:ffff::1', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:100.100.100.200', 'metadata'],
  ['0:0:0:0:0:ffff:a9fe:a9fe', 'metadata'],
  ['64:ff9b::169.254.169.254', 'metadata'],
  ['::169.254.169.254', 'metadata'],
  ['::ffff:0:169.254.169.254', 'metadata'],
  // loopback
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  // unspecified ("this network")
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['::ffff:0.0.0.0', 'unspecified'],
  // private
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fec0::1', 'private'],
  ['fd00:ec2::253', 'private'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:c0a8:101', 'private'],
  ['64:ff9b::10.1.2.3', 'private'],
  // carrier-grade NAT
  ['100.64.0.1', 'shared'],
  ['100.127.255.254', 'shared'],
  ['100.100.100.201', 'shared'],
  ['::ffff:100.64.0.1', 'shared'],
  // other special-purpose ranges
  ['192.0.0.8', 'special'],
  ['192.0.2.1', 'special'],
  ['198.51.100.7', 'special'],
  ['203.0.113.9', 'special'],
  ['198.18.0.1', 'special'],
  ['198.19.255.255', 'special'],
  ['192.88.99.1', 'special'],
  ['224.0.0.1', 'special'],
  ['239.255.255.250', 'special'],
  ['240.0.0.1', 'special'],
  ['255.255.255.255', 'special'],
  ['2001:db8::1', 'special'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'special'],
  ['2002:c000:0204::1', 'special'],
  ['64:ff9b:1::1', 'special'],
  ['100::1', 'special'],
  ['ff02::1', 'special'],
  ['::ffff:192.0.2.1', 'special'],
  // public: the edges of the ranges above, and ordinary hosts
  ['93.184.216.34', 'public'],
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['169.253.255.255', 'public'],
  ['169.255.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'],
  ['11.0.0.1', 'public'],
  ['126.255.255.255', 'public'],
  ['128.0.0.1', 'public'],
  ['192.169.0.1', 'public'],
  ['223.255.255.255', 'public'],
  ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
  ['2a00:1450:4001:82a::200e', 'public'],
  ['fe00::1', 'public'],
  ['::ffff:93.184.216.34', 'public'],
  ['64:ff9b::93.184.216.34', 'public'],
];

describe('the outbound policy: what kind of address an address is', () => {
  it.each(KINDS)('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('refuses to classify what is not an IP address', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('169.254.169.254.nip.io')).toThrow(TypeError);
  });
});

describe('the outbound policy: what it refuses', () => {
  it('refuses link-local and metadata addresses even when private targets are allowed', () => {
    for (const [address, kind] of KINDS) {
      if (kind !== 'metadata') continue;
      expect(refusalFor(address, address, PRIVATE_ALLOWED), address).toBeInstanceOf(OutboundRefused);
      expect(refusalFor(address, address, PUBLIC_ONLY), address).toBeInstanceOf(OutboundRefused);
    }
  });

  it('refuses private, loopback, unspecified, CGNAT and special addresses unless private targets are allowed', () => {
    for (const [address, kind] of KINDS) {
      if (kind === 'metadata' || kind === 'public') continue;
      expect(refusalFor(address, address, PUBLIC_ONLY), address).toBeInstanceOf(OutboundRefused);
      expect(refusalFor(address, address, PRIVATE_ALLOWED), address).toBeUndefined();
    }
  });

  it('allows public addresses under either setting', () => {
    for (const [address, kind] of KINDS) {
      if (kind !== 'public') continue;
      expect(refusalFor(address, address, PUBLIC_ONLY), address).toBeUndefined();
    }
  });

  it('says what was refused and why, naming the host and the address it resolved to', () => {
    expect(refusalFor('169.254.169.254', '169.254.169.254', PRIVATE_ALLOWED)?.message).toBe(
      'outbound_refused: 169.254.169.254 is a link-local/metadata address',
    );
    const refused = refusalFor('crm.example.com', '10.0.0.5', PUBLIC_ONLY);
    expect(refused?.message).toBe(
      'outbound_refused: crm.example.com resolves to 10.0.0.5, a private address (allowed only with LEADFLOW_ALLOW_PRIVATE_TARGETS=true)',
    );
    expect(refused).toMatchObject({ code: 'outbound_refused', host: 'crm.example.com', address: '10.0.0.5', kind: 'private' });
  });
});

describe('the outbound policy: URLs judged by their literal host, as when they are saved', () => {
  it('refuses IP literals in refused ranges in whatever notation the URL parser accepts', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]:8080/',
      'http://2852039166/', // 169.254.169.254 as one number
      'http://0xa9.0xfe.0xa9.0xfe/',
      'https://100.100.100.200/latest/meta-data',
    ]) {
      expect(literalRefusal(url, PRIVATE_ALLOWED)?.kind, url).toBe('metadata');
    }
    expect(literalRefusal('http://0x7f.1/pb', PUBLIC_ONLY)?.kind).toBe('loopback');
    expect(literalRefusal('http://[::1]:3000/pb', PUBLIC_ONLY)?.kind).toBe('loopback');
    expect(literalRefusal('http://10.0.0.7/pb?click={subid}', PUBLIC_ONLY)?.kind).toBe('private');
  });

  it('refuses localhost and its subdomains unless private targets are allowed', () => {
    for (const url of ['http://localhost/pb', 'http://LOCALHOST.:8080/pb', 'http://tracker.localhost/pb']) {
      expect(literalRefusal(url, PUBLIC_ONLY)?.kind, url).toBe('loopback');
      expect(literalRefusal(url, PRIVATE_ALLOWED), url).toBeUndefined();
    }
  });

  it("refuses the clouds' names for their metadata endpoint under either setting", () => {
    for (const url of [
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://Metadata.Google.Internal./',
      'http://instance-data/latest/',
    ]) {
      expect(literalRefusal(url, PRIVATE_ALLOWED)?.kind, url).toBe('metadata');
    }
  });

  it('leaves names and unparsable URLs to the check made when connecting', () => {
    expect(literalRefusal('https://tracker.example.com/pb?click={subid}', PUBLIC_ONLY)).toBeUndefined();
    expect(literalRefusal('https://93.184.216.34/pb', PUBLIC_ONLY)).toBeUndefined();
    expect(literalRefusal('http://{sub1}/pb', PUBLIC_ONLY)).toBeUndefined();
    expect(literalRefusal('not a url', PUBLIC_ONLY)).toBeUndefined();
  });

  it('names the field when a saved URL is refused', () => {
    let thrown: unknown;
    try {
      assertTargetAllowed('http://169.254.169.254/pb', 'streamPostbackUrls.s1', PRIVATE_ALLOWED);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({
      code: 'invalid_field',
      field: 'streamPostbackUrls.s1',
      details: { reason: 'outbound_refused', host: '169.254.169.254', kind: 'metadata' },
    });
    expect((thrown as Error).message).toMatch(/^streamPostbackUrls\.s1: .*169\.254\.169\.254 is a link-local\/metadata address/);
    expect(() => assertTargetAllowed('https://tracker.example.com/pb', 'postbackUrl', PUBLIC_ONLY)).not.toThrow();
  });
});

describe('the outbound policy: the lookup connections resolve names with', () => {
  const resolve = (policy: { allowPrivate: boolean }, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((done) =>
      guardedLookup(policy)('localhost', { all }, (error, result) => done({ error, result })),
    );

  it('refuses a name that resolves to a refused address, naming both', async () => {
    for (const all of [true, false]) {
      const { error } = await resolve(PUBLIC_ONLY, all);
      expect(error).toBeInstanceOf(OutboundRefused);
      expect(error?.message).toMatch(/^outbound_refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    }
  });

  it('answers the addresses as dns.lookup would when the policy allows them', async () => {
    const many = await resolve(PRIVATE_ALLOWED, true);
    expect(many.error).toBeNull();
    expect(many.result).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.|::1)/) })]));
    const one = await resolve(PRIVATE_ALLOWED, false);
    expect(one.error).toBeNull();
    expect(one.result).toMatch(/^(127\.|::1)/);
  });
});
