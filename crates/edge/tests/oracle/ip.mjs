// Oracle for crates/edge/tests/tenant_oracle.rs: what Node's `node:net` says of end-user IP
// addresses and the subjects smsotp counts them under. One JSON array per stdin line,
// [input, subject, sibling, neighbour] (subject, sibling, neighbour null when smsotp
// refused the input); one JSON object per stdout line:
//   isIP       net.isIP(input): 4, 6 or 0 (not an address)
//   inSubject  the input is in the subject (a /64 for IPv6, the address itself for IPv4;
//              a BlockList matches IPv4-mapped IPv6 input against IPv4 rules)
//   siblingIn  another address of the same /64 is in it (IPv6 only, else null)
//   neighbourIn an address of the next /64 is in it (IPv6 only, else null)
//   canonical  the subject's address as Node writes it (SocketAddress), to compare text
import net from 'node:net';
import { createInterface } from 'node:readline';

const family = (a) => (net.isIP(a) === 6 ? 'ipv6' : 'ipv4');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const [input, subject, sibling, neighbour] = JSON.parse(line);
  const out = { isIP: net.isIP(input), inSubject: null, siblingIn: null, neighbourIn: null, canonical: null };
  if (subject !== null) {
    const list = new net.BlockList();
    if (subject.endsWith('/64')) {
      const base = subject.slice(0, -3);
      list.addSubnet(base, 64, 'ipv6');
      out.canonical = new net.SocketAddress({ address: base, family: 'ipv6' }).address + '/64';
      out.siblingIn = list.check(sibling, 'ipv6');
      out.neighbourIn = list.check(neighbour, 'ipv6');
    } else {
      list.addAddress(subject, 'ipv4');
      out.canonical = new net.SocketAddress({ address: subject, family: 'ipv4' }).address;
    }
    out.inSubject = list.check(input.trim(), family(input.trim()));
  }
  console.log(JSON.stringify(out));
}
