/** The committed document names this server, so that it does not depend on who generated it. */
export const OPENAPI_SERVER = 'http://127.0.0.1:3000';
