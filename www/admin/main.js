// The dashboard page: sign-in, the time range, loading the statistics and drawing the
// sections, sign-out, the theme. The secret key goes from the form into a session
// (api.js) and nowhere else: the field is emptied at once, nothing is written to storage,
// cookies or the URL, and signing out (or reloading) forgets it.
import { session, ApiError } from './api.js';
import { lastHours } from './range.js';
import { sum } from './stats.js';
import { SECTIONS, clear } from './sections.js';
import { renderPolicy } from './policy.js';

const $ = (id) => document.getElementById(id);
const RANGES = { 24: 'the last 24 hours', 168: 'the last 7 days', 720: 'the last 30 days' };

let api = null;
let hours = 24;
/** Counts loads, so that an answer to an older one (another range clicked since) is dropped. */
let generation = 0;
/** The last statistics drawn, to redraw the chart when the theme changes. */
let drawn = null;

// ---------- sign-in and sign-out ----------
$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = $('key');
  const key = field.value.trim();
  const error = $('sign-in-error');
  error.textContent = '';
  $('sign-in-note').textContent = '';
  if (!key) {
    error.textContent = 'Type a secret key.';
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    return;
  }
  const button = $('sign-in-button');
  button.disabled = true;
  const candidate = session(key);
  try {
    const account = await candidate.get('/v1/account');
    field.value = '';
    field.removeAttribute('aria-invalid');
    api = candidate;
    showDashboard(account);
  } catch (e) {
    candidate.forget();
    field.setAttribute('aria-invalid', 'true');
    error.textContent = signInError(e);
    field.focus();
    field.select();
  } finally {
    button.disabled = false;
  }
});

/** What a failed sign-in says. */
function signInError(e) {
  if (e instanceof ApiError && e.status === 401 && e.code === 2125) {
    return 'That is a publishable key (pk_…): the dashboard needs one of the account\'s secret keys.';
  }
  if (e instanceof ApiError && e.status === 401) return 'This key is not a secret key of any account. Check it and try again.';
  if (e instanceof ApiError && e.status === 429) return `Too many requests for this account right now: ${e.message}`;
  if (e instanceof ApiError) return `The API refused: ${e.message} (${e.code}).`;
  return 'The API could not be reached. Try again.';
}

$('sign-out').addEventListener('click', signOut);

function signOut() {
  api?.forget();
  api = null;
  drawn = null;
  generation++;
  clear();
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  for (const id of ['policy', 'totals', 'hourly-table', 'countries-table', 'refusals-table', 'delivery-table', 'delivery-bar', 'guard-mode', 'guard-table', 'account-id']) $(id).replaceChildren();
  $('status').textContent = '';
  $('sign-in-note').textContent = 'Signed out: the key is forgotten.';
  $('key').focus();
}

function showDashboard(account) {
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  $('account-id').textContent = account.id;
  document.title = `${account.id} — smsotp dashboard`;
  renderPolicy($('policy'), account);
  $('dashboard-h').tabIndex = -1;
  $('dashboard-h').focus();
  load(account);
}

// ---------- the time range ----------
for (const button of document.querySelectorAll('[data-hours]')) {
  button.addEventListener('click', () => {
    hours = Number(button.dataset.hours);
    for (const b of document.querySelectorAll('[data-hours]')) b.setAttribute('aria-pressed', String(b === button));
    load();
  });
}

/**
 * Loads the three views of the range (per hour, per country, in total) and the account
 * (its guard's events and mode change as traffic comes: read again with each range, except
 * right after sign-in, which just read it), and draws them.
 */
async function load(account) {
  if (!api) return;
  const mine = ++generation;
  const range = { ...lastHours(hours), label: RANGES[hours] };
  const when = { from: range.from, to: range.to };
  $('status').textContent = `Loading ${range.label}…`;
  $('load-error').textContent = '';
  try {
    const [hourlyAnswer, countryAnswer, totalAnswer, fresh] = await Promise.all([
      api.get('/v1/stats', { ...when, groupBy: 'hour' }),
      api.get('/v1/stats', { ...when, groupBy: 'country' }),
      api.get('/v1/stats', when),
      account ?? api.get('/v1/account'),
    ]);
    if (mine !== generation) return;
    if (!account) renderPolicy($('policy'), fresh);
    drawn = { range, hourlyAnswer, countryAnswer, total: sum(totalAnswer.groups), account: fresh };
    draw();
    for (const p of document.querySelectorAll('.range-text')) p.textContent = `${range.label[0].toUpperCase()}${range.label.slice(1)} (${range.from} to ${range.to}, UTC).`;
    $('status').textContent = `Showing ${range.label}.`;
  } catch (e) {
    if (mine !== generation) return;
    $('status').textContent = '';
    if (e instanceof ApiError && e.status === 401) {
      signOut();
      $('sign-in-error').textContent = 'The key is no longer accepted (revoked?): sign in again.';
      return;
    }
    $('load-error').textContent = e instanceof ApiError
      ? `The statistics could not be loaded: ${e.message} (${e.code}).`
      : 'The statistics could not be loaded: the API could not be reached.';
  }
}

function draw() {
  if (!drawn) return;
  for (const section of SECTIONS) section(drawn);
}

// ---------- the theme: the system's, or light or dark for this tab (not remembered) ----------
const THEMES = ['system', 'light', 'dark'];
let theme = 'system';
function applyTheme() {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  $('theme').textContent = `Theme: ${theme}`;
  $('theme-now').textContent = theme === 'system' ? 'follows the system setting; press to change' : 'press to change';
  draw();
}
$('theme').addEventListener('click', () => {
  theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  applyTheme();
});
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => theme === 'system' && draw());
applyTheme();
