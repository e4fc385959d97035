// Which network addresses a client-given URL may reach: public unicast only. Everything a server
// can reach but the public cannot (private, loopback, link-local and the 169.254.169.254 cloud
// metadata address, CGNAT, multicast, reserved, unique-local…) is refused, and the IPv6 forms that
// carry an IPv4 address (::ffff:a.b.c.d, ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96) are judged by the
// IPv4 address inside them.
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// IPv6 global unicast. Anything outside it (including the deprecated IPv4-compatible ::a.b.c.d,
// which ipaddr.js calls "unicast") has no business being the address of an image host.
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Why `address` may not be fetched (the name of its range, e.g. "private", "linkLocal",
 * "ipv4Mapped loopback"), or null when it is a public unicast address. With `allowLoopback`
 * (tests only) the loopback ranges 127.0.0.0/8 and ::1 are let through; every other range is not.
 */
export function addressRefusal(address: string, allowLoopback = false): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  return refusal(ipaddr.parse(address), allowLoopback);
}

function refusal(address: Address, allowLoopback: boolean): string | null {
  if (address.kind() === 'ipv4') {
    const range = (address as ipaddr.IPv4).range();
    if (range === 'unicast') return null;
    return range === 'loopback' && allowLoopback ? null : range;
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || (range === 'rfc6052' && v6.match(NAT64_WELL_KNOWN))) {
    const inner = refusal(embeddedIpv4(v6), allowLoopback);
    return inner === null ? null : `${range} ${inner}`;
  }
  if (range === 'loopback') return allowLoopback ? null : range;
  // 6to4 and Teredo tunnel to an IPv4 address chosen by whoever wrote the address; relays are
  // deprecated (RFC 7526), so both are refused rather than unwrapped.
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST) ? null : 'reserved';
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 {
  const high = v6.parts[6] ?? 0;
  const low = v6.parts[7] ?? 0;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}
