// Highlighting of the ```knet blocks of the book: a highlight.js language for knet.
//
// mdBook's own script (book.js) highlights every code block when the page loads, and
// leaves blocks of a language it does not know, such as `language-knet`, as plain text.
// This file is listed in book.toml's `additional-js`, so it runs after book.js: it
// registers the language, then highlights the knet blocks again. It works with the
// highlight.js 10 that mdBook bundles (`highlightBlock`) and with 11 (`highlightElement`).
//
// The keyword lists are the `kw_*` rules of grammar/knet.pest; a test
// (tests/integration/highlight.rs) keeps them complete. The scopes mirror the TextMate
// grammar of editors/vscode/syntaxes/knet.tmLanguage.json.
(function () {
  'use strict';

  // A knet name: `-` belongs to it unless `>` follows (`api->db` is `api` `->` `db`).
  const NAME_REST = '(?:[A-Za-z0-9_.]|-(?!>))*';
  const NAME = new RegExp('[A-Za-z0-9_]' + NAME_REST);

  // Blocks and the words of flows.
  const DECLARATIONS = [
    'cluster', 'namespace', 'namespaces', 'app', 'external', 'ingress', 'service',
    'unmanaged'
  ];
  const FLOWS = [
    'allow', 'default', 'deny', 'egress', 'except', 'expect'
  ];
  // Settings of the cluster block, apps, Services, externals and ingresses.
  const SETTINGS = [
    'dns', 'labels', 'port', 'node-port', 'cluster-ip', 'external-ips', 'source-ranges',
    'traffic-policy', 'health-check-node-port', 'session-affinity', 'timeout',
    'annotation', 'replicas', 'endpoint', 'load-balancer-ingress', 'host', 'cidr', 'class',
    'tls', 'service-cidr', 'pod-cidr', 'node-port-range', 'ingress-controller', 'node-ip',
    'node-name', 'masquerade-mark', 'localhost-node-ports', 'random-fully', 'nfacct',
    'policy-version', 'app-label', 'service-labels', 'type', 'ports', 'routes', 'gateway',
    'gateway-pods'
  ];
  // Values of settings, and the peers that are not names.
  const VALUES = [
    'on', 'off', 'local', 'exact', 'prefix', 'implementation-specific', 'gateway-api'
  ];
  const PEERS = ['world', 'any'];

  function knet(hljs) {
    const name = NAME.source;
    return {
      name: 'knet',
      keywords: {
        // Keywords may hold `-` (`node-port`), but not before `>`.
        $pattern: /[a-z][a-z0-9]*(?:-(?!>)[a-z0-9]+)*/,
        keyword: DECLARATIONS.concat(FLOWS).join(' '),
        built_in: SETTINGS.join(' '),
        literal: VALUES.concat(PEERS).join(' '),
      },
      contains: [
        // `# knet: allow(W0101, W0106)` and `# knet: fmt skip`: directives, codes stand out.
        {
          className: 'meta',
          begin: /#\s*knet:\s*(?:allow\b|fmt\s+skip\b)/,
          end: /$/,
          contains: [{ className: 'symbol', begin: /\b[EW]\d{4}\b/ }],
        },
        hljs.COMMENT('#', '$'),
        {
          className: 'string',
          begin: '"',
          end: '"',
          illegal: '\\n',
          contains: [hljs.BACKSLASH_ESCAPE],
        },
        // `app.kubernetes.io/name=web`: the key, then the value as a string.
        {
          className: 'attr',
          begin: /[A-Za-z0-9][A-Za-z0-9_.\/-]*(?==)/,
          starts: {
            begin: /=/,
            end: /(?=[\s,#{}])|$/,
            className: 'string',
            contains: [{ begin: /"/, end: /"/, contains: [hljs.BACKSLASH_ESCAPE] }],
          },
        },
        // Peers: `*/*`, `NS/*`, `NS/APP`.
        { className: 'literal', begin: /\*\/\*/ },
        // The namespace of `NS/APP` (a namespace name starts with a letter, unlike an address).
        { className: 'title', begin: new RegExp('[A-Za-z_]' + NAME_REST + '(?=\\/(?:\\*|' + name + '))') },
        // Ports after `:`: `api:http`, `payment:{https, admin}`, `world:443/udp`.
        {
          begin: /:\{/,
          end: /\}/,
          contains: [
            { className: 'number', begin: /\b\d+(?:-\d+)?(?:\/[A-Za-z]+)?\b/ },
            { className: 'symbol', begin: NAME },
          ],
        },
        // Addresses and CIDRs (IPv4, IPv6), masks, numbers and port ranges.
        { className: 'number', begin: /\b\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?(?![\w.])/ },
        { className: 'number', begin: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]*(?:\/\d{1,3})?/ },
        { className: 'number', begin: /\b0x[0-9A-Fa-f]+\b/ },
        { className: 'number', begin: /\b\d+(?:-\d+)?(?:\/[A-Za-z]+)?(?![\w.])/ },
        // A port name after `:`.
        { className: 'symbol', begin: new RegExp('(?<=:)(?:' + name + '|\\*)') },
        // Host names and ingress paths.
        { className: 'string', begin: /(?<=\bhost\s+)[A-Za-z0-9*_.:-]+/ },
        { className: 'string', begin: /(?<=\s)\/[^\s#]*/ },
        { className: 'keyword', begin: /->/ },
      ],
    };
  }

  if (typeof hljs === 'undefined') {
    return;
  }
  hljs.registerLanguage('knet', knet);
  document.querySelectorAll('code.language-knet').forEach(function (block) {
    // Back to plain text: book.js may have wrapped parts of it already.
    block.textContent = block.textContent;
    if (typeof hljs.highlightElement === 'function') {
      hljs.highlightElement(block);
    } else {
      hljs.highlightBlock(block);
    }
  });
})();
