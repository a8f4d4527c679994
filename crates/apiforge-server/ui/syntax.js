// A small syntax highlighter for the files a generated project holds: Python, JSON, YAML,
// TOML, Markdown, INI/.env, Dockerfile, and plain text. Each language is a list of sticky
// regular expressions tried in order at the current position; the first match is a token
// (a rule of type null consumes plain text, so no later rule starts inside it).

const PY_KEYWORDS = 'False|None|True|and|as|assert|async|await|break|case|class|continue|def|del|elif|else|except|finally|for|from|global|if|import|in|is|lambda|match|nonlocal|not|or|pass|raise|return|try|while|with|yield';
const PY_BUILTINS = 'self|cls|int|str|float|bool|bytes|dict|list|tuple|set|len|range|print|isinstance|super|type|object|Exception|ValueError|TypeError|KeyError|Optional|Any';
const DOCKER = 'FROM|RUN|CMD|LABEL|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL|AS';

const NUMBER = /-?\b\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?\b/y;
const WORD = /[A-Za-z_][\w]*/y;
const SPACE = /\s+/y;

const LANGUAGES = {
  python: [
    ['comment', /#[^\n]*/y],
    ['string', /[rRbBuUfF]{0,2}(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/y],
    ['meta', /@[\w.]+/y],
    ['keyword', new RegExp(`\\b(?:${PY_KEYWORDS})\\b`, 'y')],
    ['builtin', new RegExp(`\\b(?:${PY_BUILTINS})\\b`, 'y')],
    ['number', NUMBER],
    ['function', /[A-Za-z_]\w*(?=\()/y],
  ],
  json: [
    ['key', /"(?:\\.|[^"\\\n])*"(?=\s*:)/y],
    ['string', /"(?:\\.|[^"\\\n])*"/y],
    ['keyword', /\b(?:true|false|null)\b/y],
    ['number', NUMBER],
  ],
  yaml: [
    ['comment', /(?<=^|\s)#[^\n]*/my],
    ['meta', /^(?:---|\.\.\.)$/my],
    ['key', /(?<=^[ \t]*(?:- +)*)(?:"[^"\n]*"|'[^'\n]*'|[^\s#'"{}[\],:&*!|>-][^\n:#]*?|-[^\s\n:#][^\n:#]*?)(?=:(?:[ \t]|$))/my],
    ['string', /"(?:\\.|[^"\\\n])*"|'(?:''|[^'\n])*'/y],
    ['meta', /[&*][\w-]+|![\w!]+/y],
    ['keyword', /\b(?:true|false|null|yes|no|on|off)\b(?=\s*(?:#|$|,|\]|\}))/imy],
    ['number', /-?\b\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?\b(?=\s*(?:#|$|,|\]|\}))/my],
    [null, /[^\s:#,[\]{}]+/y],
  ],
  toml: [
    ['comment', /#[^\n]*/y],
    ['section', /^[ \t]*\[\[?[^\]\n]+\]\]?/my],
    ['key', /^[ \t]*[\w."'-]+(?=[ \t]*=)/my],
    ['string', /"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"|'[^'\n]*'/y],
    ['keyword', /\b(?:true|false)\b/y],
    ['number', NUMBER],
  ],
  ini: [
    ['comment', /^[ \t]*[;#][^\n]*/my],
    ['section', /^[ \t]*\[[^\]\n]+\]/my],
    ['key', /^[ \t]*(?:export[ \t]+)?[^=\n[;#][^=\n]*?(?=[ \t]*=)/my],
    ['string', /"(?:\\.|[^"\\\n])*"|'[^'\n]*'/y],
    ['meta', /%\([\w]+\)s|\$\{?\w+\}?/y],
  ],
  dockerfile: [
    ['comment', /^[ \t]*#[^\n]*/my],
    ['keyword', new RegExp(`^[ \\t]*(?:${DOCKER})\\b`, 'imy')],
    ['keyword', /\bAS\b/y],
    ['string', /"(?:\\.|[^"\\\n])*"|'[^'\n]*'/y],
    ['meta', /\$\{?\w+\}?|--[\w-]+(?==)?/y],
  ],
  markdown: [
    ['string', /^```[^\n]*\n[\s\S]*?(?:^```[ \t]*$|(?![\s\S]))/my],
    ['heading', /^#{1,6}[ \t][^\n]*/my],
    ['keyword', /^[ \t]*(?:[-*+]|\d+\.)(?=[ \t])/my],
    ['string', /`[^`\n]+`/y],
    ['strong', /\*\*[^*\n]+\*\*|__[^_\n]+__/y],
    ['link', /\[[^\]\n]*\]\([^)\n]*\)/y],
    ['comment', /^>[^\n]*/my],
  ],
  shell: [
    ['comment', /(?<=^|\s)#[^\n]*/my],
    ['string', /"(?:\\.|[^"\\])*"|'[^']*'/y],
    ['meta', /\$\{?\w+\}?/y],
    ['keyword', /\b(?:if|then|else|fi|for|do|done|case|esac|while|export|set)\b/y],
  ],
  plain: [],
};

/** The language of a file, from its name. */
export function languageOf(path) {
  const name = path.split('/').pop().toLowerCase();
  if (name === 'dockerfile' || name.endsWith('.dockerfile')) return 'dockerfile';
  if (name === '.env' || name.startsWith('.env.') || name === 'env.example') return 'ini';
  const ext = name.includes('.') ? name.split('.').pop() : '';
  return {
    py: 'python', pyi: 'python', mako: 'python',
    json: 'json',
    yml: 'yaml', yaml: 'yaml',
    toml: 'toml',
    ini: 'ini', cfg: 'ini', conf: 'ini', env: 'ini',
    md: 'markdown', markdown: 'markdown',
    sh: 'shell', bash: 'shell',
  }[ext] ?? 'plain';
}

/** Splits `text` into `[type, text]` tokens (`type` null for plain text). */
export function tokenize(text, language) {
  const rules = LANGUAGES[language] ?? LANGUAGES.plain;
  const tokens = [];
  let plain = '';
  let i = 0;
  const flush = () => {
    if (plain) tokens.push([null, plain]);
    plain = '';
  };
  outer: while (i < text.length) {
    for (const [type, regex] of rules) {
      regex.lastIndex = i;
      const match = regex.exec(text);
      if (match && match[0].length > 0) {
        if (type === null) {
          plain += match[0];
          i += match[0].length;
          continue outer;
        }
        flush();
        tokens.push([type, match[0]]);
        i += match[0].length;
        continue outer;
      }
    }
    // Identifiers and spaces go as a whole, so no rule starts in the middle of a word.
    for (const regex of [WORD, SPACE]) {
      regex.lastIndex = i;
      const match = regex.exec(text);
      if (match) {
        plain += match[0];
        i += match[0].length;
        continue outer;
      }
    }
    plain += text[i];
    i += 1;
  }
  flush();
  return tokens;
}

/**
 * A highlighted, line-numbered view of `text`: a `<div class="code">` holding a gutter and
 * a `<pre><code>` of spans.
 */
export function highlight(text, language, label) {
  const code = document.createElement('code');
  code.className = `language-${language}`;
  for (const [type, value] of tokenize(text, language)) {
    if (type) {
      const span = document.createElement('span');
      span.className = `tok-${type}`;
      span.textContent = value;
      code.append(span);
    } else {
      code.append(value);
    }
  }
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  const gutter = document.createElement('pre');
  gutter.className = 'code-gutter';
  gutter.setAttribute('aria-hidden', 'true');
  gutter.textContent = Array.from({ length: Math.max(lines, 1) }, (_, n) => n + 1).join('\n');
  const pre = document.createElement('pre');
  pre.className = 'code-text';
  pre.tabIndex = 0;
  if (label) pre.setAttribute('aria-label', label);
  pre.append(code);
  const wrap = document.createElement('div');
  wrap.className = 'code';
  wrap.append(gutter, pre);
  return wrap;
}
