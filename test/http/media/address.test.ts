import { describe, expect, it } from 'vitest';
import { addressRefusal } from '../../../src/http/media/address';

describe('addressRefusal', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'lets the public address %s through',
    (address) => expect(addressRefusal(address)).toBeNull(),
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.251', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4Mapped loopback'],
    ['::ffff:a9fe:a9fe', 'ipv4Mapped linkLocal'],
    ['::ffff:0:10.0.0.1', 'rfc6145 private'],
    ['64:ff9b::7f00:1', 'rfc6052 loopback'],
    ['64:ff9b:1::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['not an address', 'invalid'],
  ])('refuses %s (%s)', (address, range) => expect(addressRefusal(address)).toBe(range));

  it('lets loopback through when allowed, and nothing else', () => {
    expect(addressRefusal('127.0.0.1', true)).toBeNull();
    expect(addressRefusal('::1', true)).toBeNull();
    expect(addressRefusal('::ffff:127.0.0.1', true)).toBeNull();
    for (const address of ['10.0.0.1', '169.254.169.254', '192.168.0.1', 'fc00::1', 'fe80::1', '100.64.0.1', '0.0.0.0']) {
      expect(addressRefusal(address, true)).not.toBeNull();
    }
  });
});
