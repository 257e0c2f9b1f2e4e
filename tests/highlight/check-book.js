// Checks the book's knet highlighting with the highlight.js that mdBook bundled into the
// built book: `node tests/highlight/check-book.js book/book` (run by .ci/run after
// `mdbook build`). It loads that highlight.js and book/js/knet-highlight.js as the
// browser would, highlights a sample, and fails unless keywords, settings, comments,
// `knet: allow` directives, strings, labels, addresses, peers and ports get their classes.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const built = process.argv[2];
if (!built) {
  console.error('usage: node tests/highlight/check-book.js BUILT_BOOK_DIR');
  process.exit(2);
}
const bundled = fs.readdirSync(built).find((f) => /^highlight(-[0-9a-f]+)?\.js$/.test(f));
if (!bundled) {
  console.error(`no highlight.js in ${built}`);
  process.exit(2);
}
vm.runInThisContext(fs.readFileSync(path.join(built, bundled), 'utf8') + ';globalThis.hljs = hljs;');
globalThis.document = { querySelectorAll: () => [] };
const script = path.join(__dirname, '..', '..', 'book', 'js', 'knet-highlight.js');
vm.runInThisContext(fs.readFileSync(script, 'utf8'));

const sample = `# the shop
namespace shop {
  app api {
    labels tier=web
    port http 80 -> 8080
    annotation "example.com/owner" "team #1"
  }
  external partner {
    cidr 203.0.113.0/24
  }
  # knet: allow(W0106)
  allow monitoring/*, world -> api:http
}
`;
const html = hljs.highlight('knet', sample).value;
const expected = [
  ['keyword', 'namespace'],
  ['keyword', 'app'],
  ['keyword', 'allow'],
  ['built_in', 'labels'],
  ['built_in', 'port'],
  ['comment', '# the shop'],
  ['symbol', 'W0106'],
  ['string', '&quot;team #1&quot;'],
  ['attr', 'tier'],
  ['number', '203.0.113.0/24'],
  ['number', '8080'],
  ['title', 'monitoring'],
  ['literal', 'world'],
  ['symbol', 'http'],
  ['keyword', '-&gt;'],
];
let failed = 0;
for (const [cls, text] of expected) {
  if (!html.includes(`<span class="hljs-${cls}">${text}</span>`)) {
    console.error(`FAIL: \`${text}\` is not highlighted as hljs-${cls}`);
    failed += 1;
  }
}
if (!/<span class="hljs-meta"># knet: allow\(/.test(html)) {
  console.error('FAIL: the `# knet: allow` directive is not highlighted as hljs-meta');
  failed += 1;
}
if (failed) {
  console.error(html);
  process.exit(1);
}
console.log(`book highlighting: ${expected.length + 1} checks passed with ${bundled}`);
