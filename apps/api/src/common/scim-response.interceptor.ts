// The SCIM response headers are set by a Fastify hook now (common/scim-response.ts); controllers
// still import the decorator from here. Import from './scim-response' in new code.
export { ScimEndpoint } from './scim-response';
