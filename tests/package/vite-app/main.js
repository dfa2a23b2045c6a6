// A Vite app that uses the package as any frontend would: `import … from 'smsotp'`.
import * as smsotp from 'smsotp';
import { exercise } from '../exercise.mjs';

window.__result = exercise(smsotp, window.location.origin).then(
  (r) => JSON.stringify(r),
  (e) => `ERROR ${e.stack}`,
);
