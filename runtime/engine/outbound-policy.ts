/**
 * The outbound policy: which addresses the runtime may open a connection to. Every request the
 * runtime makes (HTTP Request and Auth Token nodes, outgoing postbacks) goes through one undici
 * agent whose connector asks this module about the address it is about to connect to — the
 * resolved one, so a name that resolves to an internal address (DNS rebinding included) is
 * caught where the socket is opened, not where the URL was read.
 *
 * Two tiers:
 * - link-local and cloud metadata addresses are always refused: they hand out the host's
 *   credentials to whoever asks, and no lead delivery has a reason to go there;
 * - private, loopback, unspecified, CGNAT and the other special-purpose ranges are refused
 *   unless `allowPrivate` is set (`LEADFLOW_ALLOW_PRIVATE_TARGETS`): a runtime that takes
 *   traffic from the internet must not become a way into the network it sits in, but the
 *   demo's sandbox targets and the tests run on 127.0.0.1.
 *
 * Address arithmetic is Node's own `net.BlockList`, which also matches IPv4-mapped IPv6
 * addresses (`::ffff:a9fe:a9fe`) against the IPv4 rules; the other IPv6 forms that embed an IPv4
 * address (NAT64, IPv4-compatible, IPv4-translated) get the IPv4 rules added under their prefix.
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { buildConnector } from 'undici';
import { DomainError } from '../../core/domain/errors.ts';

/** What the runtime may connect to besides public addresses. */
export interface OutboundPolicy {
  /** Private, loopback, unspecified, CGNAT and other special-purpose ranges are allowed. Metadata never is. */
  allowPrivate: boolean;
}

/** The policy of a runtime exposed to the internet: public addresses only. */
export const PUBLIC_ONLY: OutboundPolicy = { allowPrivate: false };

/** The kinds of address the policy tells apart; `metadata` is refused whatever the setting. */
export type AddressKind = 'public' | 'metadata' | 'loopback' | 'unspecified' | 'private' | 'shared' | 'special';

/** How a refusal names each kind: "169.254.169.254 is a link-local/metadata address". */
const DESCRIPTION: Record<Exclude<AddressKind, 'public'>, string> = {
  metadata: 'a link-local/metadata address',
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
  private: 'a private address',
  shared: 'a carrier-grade NAT (shared) address',
  special: 'a special-purpose (reserved, documentation, multicast) address',
};

type Ranges = { v4?: [string, number][]; v6?: [string, number][] };

/**
 * The ranges, checked in this order (a metadata address inside a private range is metadata).
 * Sources: the IANA IPv4 and IPv6 special-purpose address registries, and the clouds' metadata
 * endpoints (AWS, GCP, Azure, Alibaba, Oracle).
 */
const RANGES: [Exclude<AddressKind, 'public'>, Ranges][] = [
  [
    'metadata',
    {
      v4: [
        ['169.254.0.0', 16], // link-local; AWS, GCP, Azure, OCI metadata at 169.254.169.254
        ['100.100.100.200', 32], // Alibaba Cloud metadata
        ['192.0.0.192', 32], // Oracle Cloud (classic) metadata
        ['168.63.129.16', 32], // Azure WireServer
      ],
      v6: [
        ['fe80::', 10], // link-local
        ['fd00:ec2::254', 128], // AWS metadata over IPv6
        ['fd20:ce::254', 128], // GCP metadata over IPv6
      ],
    },
  ],
  ['loopback', { v4: [['127.0.0.0', 8]], v6: [['::1', 128]] }],
  ['unspecified', { v4: [['0.0.0.0', 8]], v6: [['::', 128]] }],
  [
    'private',
    {
      v4: [
        ['10.0.0.0', 8],
        ['172.16.0.0', 12],
        ['192.168.0.0', 16],
      ],
      v6: [
        ['fc00::', 7], // unique local
        ['fec0::', 10], // site-local (deprecated, still routable inside some networks)
      ],
    },
  ],
  ['shared', { v4: [['100.64.0.0', 10]] }],
  [
    'special',
    {
      v4: [
        ['192.0.0.0', 24], // IETF protocol assignments
        ['192.0.2.0', 24], // TEST-NET-1
        ['192.88.99.0', 24], // 6to4 relay anycast
        ['198.18.0.0', 15], // benchmarking
        ['198.51.100.0', 24], // TEST-NET-2
        ['203.0.113.0', 24], // TEST-NET-3
        ['224.0.0.0', 4], // multicast
        ['240.0.0.0', 4], // reserved, and 255.255.255.255
      ],
      v6: [
        ['64:ff9b:1::', 48], // local-use NAT64
        ['100::', 64], // discard-only
        ['2001::', 23], // IETF protocol assignments, Teredo among them
        ['2001:db8::', 32], // documentation
        ['2002::', 16], // 6to4
        ['ff00::', 8], // multicast
      ],
    },
  ],
];

/**
 * IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it: NAT64, the
 * deprecated IPv4-compatible form, and IPv4-translated. (IPv4-mapped, `::ffff:0:0/96`, BlockList
 * matches against the IPv4 rules by itself.)
 */
const EMBEDDING_PREFIXES = ['64:ff9b::', '::', '::ffff:0:'];

const LISTS: [Exclude<AddressKind, 'public'>, BlockList][] = RANGES.map(([kind, ranges]) => {
  const list = new BlockList();
  for (const [network, prefix] of ranges.v4 ?? []) {
    list.addSubnet(network, prefix, 'ipv4');
    for (const embedding of EMBEDDING_PREFIXES) list.addSubnet(embedding + network, 96 + prefix, 'ipv6');
  }
  for (const [network, prefix] of ranges.v6 ?? []) list.addSubnet(network, prefix, 'ipv6');
  return [kind, list];
});

/** The kind of an IP address (v4 or v6, in any form Node parses). A pure function: no DNS, no packets. */
export function classifyAddress(address: string): AddressKind {
  const version = isIP(address);
  if (version === 0) throw new TypeError(`"${address}" is not an IP address`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of LISTS) if (list.check(address, family)) return kind;
  return 'public';
}

/** A connection the policy refused: not a network failure, and retrying will not change it. */
export class OutboundRefused extends Error {
  readonly code = 'outbound_refused';

  constructor(
    /** The host as the URL named it. */
    readonly host: string,
    /** The address it is or resolved to. */
    readonly address: string,
    readonly kind: Exclude<AddressKind, 'public'>,
  ) {
    const what = DESCRIPTION[kind];
    const where = host === address ? `${address} is ${what}` : `${host} resolves to ${address}, ${what}`;
    const hint = kind === 'metadata' ? '' : ' (allowed only with LEADFLOW_ALLOW_PRIVATE_TARGETS=true)';
    super(`outbound_refused: ${where}${hint}`);
    this.name = 'OutboundRefused';
  }
}

/** The refusal for connecting to `address` (reached as `host`), or undefined when the policy allows it. */
export function refusalFor(host: string, address: string, policy: OutboundPolicy): OutboundRefused | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public' || (kind !== 'metadata' && policy.allowPrivate)) return undefined;
  return new OutboundRefused(host, address, kind);
}

/** The refusal itself, out of whatever undici wrapped it in. */
export function outboundRefusalOf(error: unknown): OutboundRefused | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundRefused) return e;
  }
  return undefined;
}

/** `localhost` and its subdomains (RFC 6761) resolve to loopback without asking any DNS server. */
function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The names the clouds give their metadata endpoint (169.254.169.254) inside their networks. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/**
 * What can be told from a URL's literal host, without resolving it: an IP literal in a refused
 * range, `localhost`, or a cloud's name for its metadata endpoint. For checking URLs when they are saved (webmaster postback URLs,
 * integration URLs); names are checked again, resolved, when a connection is opened. A URL that
 * does not parse (a macro in the host, say) is left to that connect-time check.
 */
export function literalRefusal(url: string, policy: OutboundPolicy): OutboundRefused | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return refusalFor(bare, bare, policy);
  const name = bare.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(name)) return new OutboundRefused(name, '169.254.169.254', 'metadata');
  if (isLocalhostName(name) && !policy.allowPrivate) return new OutboundRefused(name, '127.0.0.1', 'loopback');
  return undefined;
}

/**
 * Throws an `invalid_field` error naming `field` when the URL's literal host breaks the policy:
 * what services call when a URL the runtime will send to is saved (`postbackUrl`,
 * `streamPostbackUrls.<id>`, an integration's `settings.base_url`).
 */
export function assertTargetAllowed(url: string, field: string, policy: OutboundPolicy): void {
  const refusal = literalRefusal(url, policy);
  if (!refusal) return;
  throw new DomainError('invalid_field', `points where the runtime may not send: ${refusal.message}`, {
    field,
    details: { reason: refusal.code, host: refusal.host, address: refusal.address, kind: refusal.kind },
  });
}

/**
 * A `lookup` for `net.connect` that resolves as usual and refuses the connection when any
 * address the name resolved to breaks the policy (a name pointing at both a public and an
 * internal address is a rebinding attempt, not a target to half-trust).
 */
export function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      for (const { address } of addresses) {
        const refusal = refusalFor(hostname, address, policy);
        if (refusal) return callback(refusal, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * An undici connector under the policy: IP literals are checked before connecting (Node does
 * not call `lookup` for them), names through {@link guardedLookup} once resolved. Every new
 * connection passes here — every redirect hop the HTTP client follows included.
 */
export function guardedConnector(policy: OutboundPolicy, options: buildConnector.BuildOptions = {}): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  return (target, callback) => {
    if (isIP(target.hostname)) {
      const refusal = refusalFor(target.hostname, target.hostname, policy);
      if (refusal) {
        queueMicrotask(() => callback(refusal, null));
        return;
      }
    }
    connect(target, callback);
  };
}
