// A Vite app that uses the package as any frontend would: `import … from 'smsotp'`.
import * as smsotp from 'smsotp';
import { exercise, exerciseBrowserClient } from '../exercise.mjs';

const done = (p) => p.then((r) => JSON.stringify(r), (e) => `ERROR ${e.stack}`);
window.__result = done(exercise(smsotp, window.location.origin));
// BrowserClient against the browser API on another origin (browser.test.mjs's `?browserApi=`).
window.__browser = done(exerciseBrowserClient(smsotp, new URLSearchParams(window.location.search).get('browserApi')));
