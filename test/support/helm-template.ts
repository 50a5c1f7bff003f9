import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYamlText } from 'yaml';

/**
 * The part of Go's text/template and Helm's functions that deploy/helm/roster uses, to render the
 * chart in tests where Helm itself cannot be installed (neither npm nor Debian ships it): actions
 * with `{{-`/`-}}` trimming, `.Values`/`.Release`/`.Chart` paths, `$variables`, pipelines,
 * parenthesised sub-pipelines, `if`/`else`/`end`, `range $k, $v :=` (maps in key order, as Go),
 * `define`/`include`, and the functions quote, default, eq, not, and, or, contains, nindent,
 * indent, toYaml. Anything else throws, so a template that needs more fails loudly.
 */
type Node =
  | { type: 'text'; text: string }
  | { type: 'output'; pipeline: string }
  | { type: 'if'; condition: string; then: Node[]; else: Node[] }
  | { type: 'range'; key?: string; value?: string; pipeline: string; body: Node[] }
  | { type: 'define'; name: string; body: Node[] };

interface Token {
  text?: string;
  action?: string;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    let text = source.slice(last, match.index);
    if (trimNext) {
      text = text.replace(/^\s+/, '');
    }
    if (match[1] === '-') {
      text = text.replace(/\s+$/, '');
    }
    tokens.push({ text });
    const action = match[2];
    if (!action.startsWith('/*')) {
      tokens.push({ action });
    }
    trimNext = match[3] === '-';
    last = pattern.lastIndex;
  }
  tokens.push({ text: trimNext ? source.slice(last).replace(/^\s+/, '') : source.slice(last) });
  return tokens;
}

function parse(tokens: Token[]): Node[] {
  let i = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i++];
      if (token.text !== undefined) {
        if (token.text) {
          nodes.push({ type: 'text', text: token.text });
        }
        continue;
      }
      const action = token.action!;
      const keyword = action.split(/\s+/)[0];
      if (terminators.includes(keyword)) {
        return { nodes, end: keyword };
      }
      if (keyword === 'if') {
        const then = block(['else', 'end']);
        const otherwise = then.end === 'else' ? block(['end']).nodes : [];
        nodes.push({ type: 'if', condition: action.slice(2).trim(), then: then.nodes, else: otherwise });
      } else if (keyword === 'range') {
        const m = /^range\s+(?:(\$\w+)\s*,\s*(\$\w+)\s*:=\s*)?(.+)$/.exec(action);
        if (!m) {
          throw new Error(`Unsupported range: ${action}`);
        }
        nodes.push({ type: 'range', key: m[1], value: m[2], pipeline: m[3], body: block(['end']).nodes });
      } else if (keyword === 'define') {
        const name = /^define\s+"([^"]+)"$/.exec(action)?.[1];
        if (!name) {
          throw new Error(`Unsupported define: ${action}`);
        }
        nodes.push({ type: 'define', name, body: block(['end']).nodes });
      } else if (['else', 'end', 'with', 'template', 'block'].includes(keyword)) {
        throw new Error(`Unexpected or unsupported action: ${action}`);
      } else {
        nodes.push({ type: 'output', pipeline: action });
      }
    }
    if (terminators.length) {
      throw new Error(`Missing {{ end }} (expected one of ${terminators.join(', ')})`);
    }
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

interface Scope {
  dot: unknown;
  vars: Record<string, unknown>;
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  if (typeof value === 'object') {
    return Object.keys(value).length > 0;
  }
  return true;
}

function text(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  return typeof value === 'number' || typeof value === 'boolean' ? `${value}` : JSON.stringify(value);
}

/** Splits on a separator outside quotes and parentheses. */
function split(source: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of source) {
    if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === '(') {
      depth++;
    } else if (!quoted && char === ')') {
      depth--;
    } else if (!quoted && depth === 0 && separator.test(char)) {
      if (current.trim()) {
        parts.push(current.trim());
      }
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) {
    parts.push(current.trim());
  }
  return parts;
}

export class ChartRenderer {
  private readonly defines = new Map<string, Node[]>();

  constructor(private readonly root: unknown) {}

  define(source: string): void {
    for (const node of parse(tokenize(source))) {
      if (node.type === 'define') {
        this.defines.set(node.name, node.body);
      }
    }
  }

  render(source: string): string {
    return this.run(parse(tokenize(source)), { dot: this.root, vars: {} });
  }

  private run(nodes: Node[], scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          out += node.text;
          break;
        case 'output':
          out += text(this.pipeline(node.pipeline, scope));
          break;
        case 'if':
          out += this.run(truthy(this.pipeline(node.condition, scope)) ? node.then : node.else, scope);
          break;
        case 'range': {
          const collection = this.pipeline(node.pipeline, scope);
          const entries: [unknown, unknown][] = Array.isArray(collection)
            ? collection.map((v: unknown, i) => [i, v])
            : Object.entries((collection ?? {}) as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
          for (const [key, value] of entries) {
            const vars = {
              ...scope.vars,
              ...(node.key ? { [node.key]: key } : {}),
              ...(node.value ? { [node.value]: value } : {}),
            };
            out += this.run(node.body, { dot: value, vars });
          }
          break;
        }
        case 'define':
          this.defines.set(node.name, node.body);
          break;
      }
    }
    return out;
  }

  private pipeline(source: string, scope: Scope): unknown {
    let value: unknown;
    split(source, /\|/).forEach((command, index) => {
      const words = split(command, /\s/);
      value = this.call(words, scope, index === 0 ? [] : [value]);
    });
    return value;
  }

  private term(word: string, scope: Scope): unknown {
    if (word.startsWith('(') && word.endsWith(')')) {
      return this.pipeline(word.slice(1, -1), scope);
    }
    if (word.startsWith('"')) {
      return JSON.parse(word) as string;
    }
    if (/^-?\d+(\.\d+)?$/.test(word)) {
      return Number(word);
    }
    if (word === 'true' || word === 'false') {
      return word === 'true';
    }
    if (word === '.') {
      return scope.dot;
    }
    const [head, ...path] = word.startsWith('.') ? ['.', ...word.slice(1).split('.')] : word.split('.');
    let value: unknown = head === '.' ? this.root : head.startsWith('$') ? scope.vars[head] : undefined;
    if (head !== '.' && !head.startsWith('$')) {
      throw new Error(`Unknown term ${word}`);
    }
    for (const key of path) {
      value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
    }
    return value;
  }

  private call(words: string[], scope: Scope, piped: unknown[]): unknown {
    const [name, ...rest] = words;
    const functions: Record<string, (...args: unknown[]) => unknown> = {
      quote: (v) => JSON.stringify(text(v)),
      default: (fallback, v) => (truthy(v) ? v : fallback),
      eq: (a, b) => a === b,
      not: (v) => !truthy(v),
      and: (...args) => args.reduce((acc: unknown, v) => (truthy(acc) ? v : acc)),
      or: (...args) => args.find(truthy) ?? args[args.length - 1],
      contains: (needle, haystack) => text(haystack).includes(text(needle)),
      indent: (n, s) => text(s).replace(/^/gm, ' '.repeat(Number(n))),
      nindent: (n, s) => `\n${text(s).replace(/^/gm, ' '.repeat(Number(n)))}`,
      toYaml: (v) => toYamlText(v).replace(/\n$/, ''),
      include: (template, dot) => {
        const body = this.defines.get(String(template));
        if (!body) {
          throw new Error(`No template named ${String(template)}`);
        }
        return this.run(body, { dot, vars: {} });
      },
    };
    if (name in functions) {
      return functions[name](...rest.map((w) => this.term(w, scope)), ...piped);
    }
    if (rest.length || piped.length) {
      throw new Error(`Unknown function ${name}`);
    }
    return this.term(name, scope);
  }
}

/** Renders every template of a chart directory with these values (merged over values.yaml). */
export function renderChart(
  chartDir: string,
  overrides: Record<string, unknown> = {},
  release = { Name: 'roster', Namespace: 'default', Service: 'Helm' },
): Record<string, string> {
  const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = merge(
    parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>,
    overrides,
  );
  const renderer = new ChartRenderer({
    Values: values,
    Release: release,
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  });
  const templates = join(chartDir, 'templates');
  const files = readdirSync(templates).sort();
  for (const file of files.filter((f) => f.endsWith('.tpl'))) {
    renderer.define(readFileSync(join(templates, file), 'utf8'));
  }
  return Object.fromEntries(
    files.filter((f) => f.endsWith('.yaml')).map((f) => [f, renderer.render(readFileSync(join(templates, f), 'utf8'))]),
  );
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}
