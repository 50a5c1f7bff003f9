import { html, SafeHtml } from '../auth/login/html';
import type { SchemaExtensionView } from '../schemas/schema-extensions.service';
import { consolePage, ConsoleFrame } from './console.pages';

type Attribute = Record<string, unknown>;

function word(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** An attribute's characteristics, as one line (RFC 7643 section 2.2). */
export function characteristics(a: Attribute): string {
  const parts = [
    word(a.type) || 'string',
    a.multiValued === true ? 'multi-valued' : 'single-valued',
    a.required === true ? 'required' : 'optional',
    `mutability ${word(a.mutability) || 'readWrite'}`,
    `returned ${word(a.returned) || 'default'}`,
    `uniqueness ${word(a.uniqueness) || 'none'}`,
    a.caseExact === true ? 'case-exact' : 'case-insensitive',
  ];
  if (Array.isArray(a.canonicalValues) && a.canonicalValues.length) {
    parts.push(`values ${a.canonicalValues.map(word).join(', ')}`);
  }
  return parts.join(' · ');
}

function attributeRows(attributes: unknown[], prefix: string): SafeHtml[] {
  return attributes
    .filter((a): a is Attribute => typeof a === 'object' && a !== null)
    .flatMap((a) => [
      html`<tr>
        <td><code>${prefix}${word(a.name)}</code></td>
        <td>${characteristics(a)}</td>
        <td>${word(a.description)}</td>
      </tr>`,
      ...(Array.isArray(a.subAttributes) ? attributeRows(a.subAttributes, `${prefix}${word(a.name)}.`) : []),
    ]);
}

/** The Schemas page: the extensions registered at run time, read-only (changed through /admin/schemas). */
export function schemasPage(frame: ConsoleFrame, extensions: SchemaExtensionView[]): SafeHtml {
  return consolePage(
    'Schemas',
    frame,
    html`<h1>Schemas</h1>
      <p class="muted">
        Extensions registered at run time, read-only here: register, change or remove them through
        <code>/admin/schemas</code> or <code>roster schemas</code>. The core User, Group and Enterprise User schemas are
        always there.
      </p>
      ${
        extensions.length
          ? extensions.map(
              (e, i) =>
                html`<section class="schema" aria-labelledby="schema-${i}">
                  <h2 id="schema-${i}">${e.name || e.id}</h2>
                  <dl class="facts">
                    <dt>URN</dt>
                    <dd><code class="schema-urn">${e.id}</code></dd>
                    <dt>Resource type</dt>
                    <dd>${e.resourceType}</dd>
                    <dt>Required</dt>
                    <dd>${e.required ? 'Yes: every resource of this type carries it' : 'No'}</dd>
                    ${
                      e.description
                        ? html`<dt>Description</dt>
                            <dd>${e.description}</dd>`
                        : ''
                    }
                    <dt>Version</dt>
                    <dd>${e.version}</dd>
                    <dt>Last modified</dt>
                    <dd>${e.lastModified}</dd>
                    ${
                      e.indexes.length
                        ? html`<dt>Indexes</dt>
                            <dd>${e.indexes.join(', ')}</dd>`
                        : ''
                    }
                  </dl>
                  <table class="list attributes">
                    <thead>
                      <tr>
                        <th scope="col">Attribute</th>
                        <th scope="col">Characteristics</th>
                        <th scope="col">Description</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${attributeRows(e.attributes, '')}
                    </tbody>
                  </table>
                </section>`,
            )
          : html`<p id="no-extensions">No extensions are registered.</p>`
      }`,
  );
}
