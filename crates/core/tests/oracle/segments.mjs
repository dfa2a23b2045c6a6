// Oracle for crates/core/tests/sms_oracle.rs: reads a JSON array of texts on stdin and
// prints, for each, what Twilio's sms-segments-calculator says (one JSON array out).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SegmentedMessage } = require('sms-segments-calculator');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((text) => {
    const m = new SegmentedMessage(text);
    const ucs2 = m.encodingName === 'UCS-2';
    return {
      encoding: m.encodingName,
      parts: m.segmentsCount,
      // Septets in GSM-7; in UCS-2 the message's bits (without headers) / 16 = code units.
      units: ucs2 ? m.messageSize / 16 : m.numberOfCharacters,
      nonGsmCharacters: [...new Set(m.getNonGsmCharacters())],
    };
  });
  process.stdout.write(JSON.stringify(out));
});
