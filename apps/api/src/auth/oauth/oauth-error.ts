/** RFC 6749 §5.2 error codes, plus RFC 8707's invalid_target and a rate-limit answer. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'access_denied'
  | 'unsupported_token_type'
  | 'invalid_token';

/**
 * A token-endpoint error. It leaves as RFC 6749 JSON (`{error, error_description}`), never as a
 * SCIM error document: OAuth clients parse the former only.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }

  static invalidRequest(description: string): OAuthError {
    return new OAuthError('invalid_request', description);
  }

  static invalidGrant(description: string): OAuthError {
    return new OAuthError('invalid_grant', description);
  }

  /** RFC 6749 §5.2: 401, with a Basic challenge when the client tried the Authorization header. */
  static invalidClient(description: string, usedBasic: boolean): OAuthError {
    return new OAuthError(
      'invalid_client',
      description,
      401,
      usedBasic ? { 'www-authenticate': 'Basic realm="roster"' } : {},
    );
  }
}
