/**
 * Whether a request's Accept header asks for a web page rather than a SCIM document. Browsers
 * name `text/html` first; SCIM clients send `application/scim+json`, `application/json`, `*\/*`
 * or nothing. HTML wins only when it is named explicitly and no JSON type is preferred over it
 * (a higher quality, or the same quality named earlier).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept || accept.length > 1024) {
    return false;
  }
  let html: { q: number; at: number } | undefined;
  let json: { q: number; at: number } | undefined;
  accept.split(',').forEach((part, at) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const mediaType = type.trim();
    const q = quality(params);
    if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml') {
      html = html && html.q >= q ? html : { q, at };
    } else if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
      json = json && json.q >= q ? json : { q, at };
    }
  });
  if (!html || html.q <= 0) {
    return false;
  }
  return !json || json.q < html.q || (json.q === html.q && html.at < json.at);
}

function quality(params: string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=').map((s) => s.trim());
    if (name === 'q') {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}
