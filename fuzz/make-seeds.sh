#!/usr/bin/env bash
# Regenerates the seed corpora in fuzz/corpus/ from packets made by the Linux kernel: two
# network namespaces joined by a veth, a kernel VXLAN device in each (IPv4 and IPv6
# underlay, VNI 42/43, port 4789), UDP datagrams over IPv4 and IPv6
# (which also produce ARP, neighbour discovery and ICMP port-unreachable replies), captured on the underlay.
# Needs root, iproute2, tshark and python3. Usage: fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
A=ovnseedA-$$; B=ovnseedB-$$
cap=$(mktemp --suffix=.pcap)
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -f "$cap" "$cap.log"; }
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add veth-s0 netns "$A" type veth peer name veth-s1 netns "$B"
i=0
for ns in "$A" "$B"; do
  i=$((i + 1)); peer=$((3 - i)); dev=veth-s$((i - 1))
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add 10.77.0.$i/24 dev "$dev"
  ip -n "$ns" addr add fd00:77::$i/64 dev "$dev" nodad
  ip -n "$ns" link set "$dev" up
  ip -n "$ns" link add vx4 type vxlan id 42 dstport 4789 local 10.77.0.$i remote 10.77.0.$peer
  ip -n "$ns" link add vx6 type vxlan id 43 dstport 4789 local fd00:77::$i remote fd00:77::$peer
  ip -n "$ns" addr add 192.168.77.$i/24 dev vx4
  ip -n "$ns" addr add fd77::$i/64 dev vx4 nodad
  ip -n "$ns" addr add 192.168.78.$i/24 dev vx6
  for d in vx4 vx6; do ip -n "$ns" link set "$d" up; done
done
ip netns exec "$A" tshark -q -i veth-s0 -F pcap -w "$cap" -f udp 2>"$cap.log" &
tpid=$!
for _ in $(seq 50); do grep -q Capturing "$cap.log" && break; sleep 0.2; done
for dst in 192.168.77.2 192.168.78.2 fd77::2; do
  # Closed port: the peer answers with ICMP port unreachable; the first send also resolves
  # the neighbour (ARP or NS/NA).
  ip netns exec "$A" bash -c "echo hello >/dev/udp/$dst/5353" || true
  sleep 0.3
  ip netns exec "$A" bash -c "head -c 1200 /dev/zero >/dev/udp/$dst/5353" || true
done
sleep 1
kill "$tpid"; wait "$tpid" || true
python3 - "$cap" <<'PY'
import os, struct, sys, hashlib
data = open(sys.argv[1], 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
off, frames = 24, []
while off + 16 <= len(data):
    incl = struct.unpack('<I', data[off + 8:off + 12])[0]
    frames.append(data[off + 16:off + 16 + incl]); off += 16 + incl
def save(target, blob):
    d = os.path.join('corpus', target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, hashlib.sha1(blob).hexdigest()[:16]), 'wb').write(blob)
for f in frames:
    ip = f[14:]
    save('decap', ip)
    if ip[0] >> 4 == 4:
        udp = ip[(ip[0] & 15) * 4:]
    else:
        udp = ip[40:]
    vx = udp[8:]
    save('vxlan_header', vx)
    inner = vx[8:]
    save('roundtrip', inner)
    et = struct.unpack('>H', inner[12:14])[0]; l3 = inner[14:]
    if et == 0x8100:
        et = struct.unpack('>H', inner[16:18])[0]; l3 = inner[18:]
    if et == 0x0806:
        save('arp', l3)
    if et == 0x86dd and l3[6] == 58:
        save('ipv6_nd', l3)
print(len(frames), 'frames captured')
PY
