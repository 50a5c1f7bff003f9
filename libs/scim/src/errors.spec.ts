import { ScimError } from './errors';

describe('ScimError', () => {
  it.each([
    [ScimError.badRequest('invalidFilter', 'bad'), { status: '400', scimType: 'invalidFilter', detail: 'bad' }],
    [ScimError.notFound('gone'), { status: '404', detail: 'gone' }],
    [ScimError.conflict('taken'), { status: '409', scimType: 'uniqueness', detail: 'taken' }],
  ])('renders the RFC 7644 §3.12 envelope (%#)', (error, expected) => {
    expect(error.toJSON()).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], ...expected });
  });

  it('omits scimType when there is none, never sending null', () => {
    expect(Object.keys(new ScimError(500, 'x').toJSON())).not.toContain('scimType');
  });
});
