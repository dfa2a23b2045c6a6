// Part of `npm run check`: the README and docs/*.md hold together. Every relative link and
// image resolves to a file of the tree (and its `#anchor`, when it has one, to a heading or
// an `<a id>` there), every screenshot in docs/screenshots is shown somewhere, the
// README stays short (at most 300 lines: the rest belongs in docs/), and the README's
// Twilio migration recipe is, byte for byte, the files the Twilio SDK tests run
// (tests/twilio/recipe.mjs and recipe.py), so that the documented lines are the tested ones.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const README_MAX_LINES = 300;
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

// GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens.
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const anchorsOf = (text) => {
  const ids = new Set();
  const seen = new Map();
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n ? `${base}-${n}` : base);
  }
  for (const [, id] of text.matchAll(/<a id="([^"]+)"><\/a>/g)) ids.add(id);
  return ids;
};

const problems = [];
const shown = new Set();
for (const doc of docs) {
  const text = readFileSync(join(root, doc), 'utf8');
  // Links outside code blocks: [text](target) and ![alt](target).
  const prose = text.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
    const [path, anchor] = target.split('#');
    const file = path ? join(dirname(join(root, doc)), path) : join(root, doc);
    if (!existsSync(file)) {
      problems.push(`${doc}: links to ${target}, which does not exist`);
      continue;
    }
    if (file.includes(join('docs', 'screenshots'))) shown.add(relative(root, file));
    if (anchor && statSync(file).isFile() && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
      problems.push(`${doc}: links to ${target}, whose anchor #${anchor} is not in ${relative(root, file)}`);
    }
  }
}
for (const png of readdirSync(join(root, 'docs/screenshots')).filter((f) => f.endsWith('.png'))) {
  if (!shown.has(`docs/screenshots/${png}`)) problems.push(`docs/screenshots/${png} is shown by no document`);
}
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const RECIPES = [
  ['js', 'tests/twilio/recipe.mjs'],
  ['python', 'tests/twilio/recipe.py'],
];
for (const [lang, file] of RECIPES) {
  const code = readFileSync(join(root, file), 'utf8');
  if (!readme.includes(`\n\`\`\`${lang}\n${code}\`\`\`\n`)) {
    problems.push(`README.md: no \`\`\`${lang} block is exactly ${file} (the Twilio migration recipe the SDK tests run): copy the file into the README's block`);
  }
}
const readmeLines = readme.split('\n').length - 1;
if (readmeLines > README_MAX_LINES) {
  problems.push(`README.md has ${readmeLines} lines, over ${README_MAX_LINES}: move the detail into docs/`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`docs: ${docs.length} files, every link resolves, ${shown.size} screenshots shown, README.md ${readmeLines} lines (≤ ${README_MAX_LINES}), its Twilio recipe blocks are ${RECIPES.map(([, f]) => f).join(' and ')}`);
