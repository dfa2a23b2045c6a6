// The soaks with faults in `npm test` (scripts/test-soak.sh): SOAK_LIFECYCLES lifecycles
// (500 unless set) through both APIs with the provider, KV and the callback receivers
// failing on purpose (soak.mjs says how and what is checked); and the delivery soak,
// DELIVERY_SOAK_OTPS OTPs (150 unless set) routed Twilio then Vonage while Twilio fails at
// send, times out, reports failures or stays silent (delivery-soak.mjs). Each passes when
// nothing failed; the figures are printed as diagnostics.
import { test } from 'node:test';
import { soak } from './soak.mjs';
import { deliverySoak } from './delivery-soak.mjs';

const lifecycles = Number(process.env.SOAK_LIFECYCLES ?? 500);
const maxSeconds = Number(process.env.SOAK_MAX_SECONDS ?? 150);
const seed = process.env.SOAK_SEED === undefined ? undefined : Number(process.env.SOAK_SEED);

test(`soak: ${lifecycles} OTP lifecycles with provider, KV and callback faults lose nothing`, { timeout: (maxSeconds + 180) * 1000 }, async (t) => {
  const { failures, text } = await soak({ lifecycles, maxSeconds, seed, log: (line) => t.diagnostic(line) });
  for (const line of text.split('\n')) t.diagnostic(line);
  if (failures.length > 0) throw new Error(`${failures.length} failures (seed ${text.match(/seed (\d+)/)?.[1]}):\n${failures.slice(0, 30).join('\n')}`);
});

const otps = Number(process.env.DELIVERY_SOAK_OTPS ?? 150);
const deliveryMaxSeconds = Number(process.env.DELIVERY_SOAK_MAX_SECONDS ?? 60);

test(`delivery soak: ${otps} OTPs, Twilio failing, timing out, reporting failures or silent: each delivered by Vonage with the same PIN`, { timeout: (deliveryMaxSeconds + 60) * 1000 }, async (t) => {
  const { failures, text } = await deliverySoak({ otps, seed, maxSeconds: deliveryMaxSeconds, log: (line) => t.diagnostic(line) });
  for (const line of text.split('\n')) t.diagnostic(line);
  if (failures.length > 0) throw new Error(`${failures.length} failures (seed ${text.match(/seed (\d+)/)?.[1]}):\n${failures.slice(0, 30).join('\n')}`);
});
