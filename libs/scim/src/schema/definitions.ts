import { MAX_MEMBERS_PER_REQUEST } from '../limits';
import type { AttributeDefinition, AttributeType, ResourceTypeDefinition, SchemaDefinition } from './types';

/**
 * RFC 7643 §8.7.1 (User, Group, EnterpriseUser), §3.1 (common attributes) and Roster's own group
 * extension, as data. Where the RFC's JSON representation is known to be wrong, the fix follows
 * the RFC errata; every such place carries an `Errata` comment.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ROSTER_GROUP_SCHEMA = 'urn:roster:params:scim:schemas:extension:group:1.0:Group';

export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

type Traits = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

/**
 * Starts from the RFC 7643 §2.2 defaults (single-valued, not required, not case-exact, readWrite,
 * returned by default, no uniqueness), so each definition below spells out only where it differs.
 */
function attribute(name: string, type: AttributeType, description: string, traits: Traits = {}): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...traits,
  };
}

function complex(
  name: string,
  description: string,
  subAttributes: AttributeDefinition[],
  traits: Traits = {},
): AttributeDefinition {
  return attribute(name, 'complex', description, { ...traits, subAttributes });
}

// Errata 8358: the "READ-ONLY." in the RFC's description of readWrite `display` sub-attributes is
// wrong, so it is only said where the sub-attribute really is readOnly.
const display = (traits: Traits = {}): AttributeDefinition =>
  attribute(
    'display',
    'string',
    traits.mutability === 'readOnly'
      ? 'A human-readable name, primarily used for display purposes. READ-ONLY.'
      : 'A human-readable name, primarily used for display purposes.',
    traits,
  );

const primary = (example: string): AttributeDefinition =>
  attribute(
    'primary',
    'boolean',
    `A Boolean value indicating the 'primary' or preferred attribute value for this attribute${example}. ` +
      "The primary attribute value 'true' MUST appear no more than once.",
  );

const typeLabel = (description: string, canonicalValues?: string[]): AttributeDefinition =>
  attribute('type', 'string', description, canonicalValues ? { canonicalValues } : {});

/** RFC 7643 §3.1. Every resource has them; /Schemas does not list them (§8.7.1 does not either). */
export const COMMON_ATTRIBUTES: AttributeDefinition[] = [
  attribute(
    'id',
    'string',
    'A unique identifier for a SCIM resource as defined by the service provider. ' +
      'Assigned by the service provider; MUST NOT be specified by the client.',
    // Not `required`: the client never sends it, so no input check may demand it.
    { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' },
  ),
  attribute(
    'externalId',
    'string',
    'A String that is an identifier for the resource as defined by the provisioning client.',
    { caseExact: true },
  ),
  complex(
    'meta',
    'A complex attribute containing resource metadata.',
    [
      attribute('resourceType', 'string', 'The name of the resource type of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      attribute('created', 'dateTime', 'The "DateTime" that the resource was added to the service provider.', {
        mutability: 'readOnly',
      }),
      attribute(
        'lastModified',
        'dateTime',
        'The most recent DateTime that the details of this resource were updated.',
        {
          mutability: 'readOnly',
        },
      ),
      attribute('location', 'reference', 'The URI of the resource being returned.', {
        caseExact: true,
        mutability: 'readOnly',
        referenceTypes: ['uri'],
      }),
      attribute('version', 'string', 'The version of the resource being returned (a weak entity-tag).', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
    { mutability: 'readOnly' },
  ),
];

const nameExample = " given the full name 'Ms. Barbara J Jensen, III'";

export const USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute(
      'userName',
      'string',
      'Unique identifier for the User, typically used by the user to directly authenticate to the service provider. ' +
        'Each User MUST include a non-empty userName value. This identifier MUST be unique across the service ' +
        "provider's entire set of Users. REQUIRED.",
      { required: true, uniqueness: 'server' },
    ),
    complex('name', "The components of the user's real name.", [
      attribute(
        'formatted',
        'string',
        'The full name, including all middle names, titles, and suffixes as appropriate, formatted for display ' +
          "(e.g., 'Ms. Barbara J Jensen, III').",
      ),
      attribute(
        'familyName',
        'string',
        `The family name of the User, or last name in most Western languages (e.g., 'Jensen'${nameExample}).`,
      ),
      attribute(
        'givenName',
        'string',
        `The given name of the User, or first name in most Western languages (e.g., 'Barbara'${nameExample}).`,
      ),
      attribute('middleName', 'string', `The middle name(s) of the User (e.g., 'Jane'${nameExample}).`),
      attribute(
        'honorificPrefix',
        'string',
        `The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.'${nameExample}).`,
      ),
      attribute(
        'honorificSuffix',
        'string',
        `The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III'${nameExample}).`,
      ),
    ]),
    attribute(
      'displayName',
      'string',
      'The name of the User, suitable for display to end-users. The name SHOULD be the full name of the User ' +
        'being described, if known.',
    ),
    attribute(
      'nickName',
      'string',
      "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.",
    ),
    attribute(
      'profileUrl',
      'reference',
      "A fully qualified URL pointing to a page representing the User's online profile.",
      { referenceTypes: ['external'] },
    ),
    attribute('title', 'string', 'The user\'s title, such as "Vice President."'),
    attribute(
      'userType',
      'string',
      'Used to identify the relationship between the organization and the user. Typical values used might be ' +
        "'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used.",
    ),
    attribute(
      'preferredLanguage',
      'string',
      "Indicates the User's preferred written or spoken language. Generally used for selecting a localized " +
        "user interface; e.g., 'en_US' specifies the language English and country US.",
    ),
    attribute(
      'locale',
      'string',
      "Used to indicate the User's default location for purposes of localizing items such as currency, " +
        'date time format, or numerical representations.',
    ),
    attribute(
      'timezone',
      'string',
      "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'.",
    ),
    attribute('active', 'boolean', "A Boolean value indicating the User's administrative status."),
    attribute(
      'password',
      'string',
      "The User's cleartext password. This attribute is intended to be used as a means to specify an initial " +
        "password when creating a new User or to reset an existing User's password.",
      { mutability: 'writeOnly', returned: 'never' },
    ),
    complex(
      'emails',
      "Email addresses for the user. Canonical type values of 'work', 'home', and 'other'.",
      [
        attribute('value', 'string', 'Email addresses for the user.'),
        display(),
        typeLabel("A label indicating the attribute's function, e.g., 'work' or 'home'.", ['work', 'home', 'other']),
        primary(', e.g., the preferred mailing address or primary email address'),
      ],
      { multiValued: true },
    ),
    complex(
      'phoneNumbers',
      "Phone numbers for the User. Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
      [
        attribute('value', 'string', 'Phone number of the User.'),
        display(),
        typeLabel("A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.", [
          'work',
          'home',
          'mobile',
          'fax',
          'pager',
          'other',
        ]),
        primary(', e.g., the preferred phone number or primary phone number'),
      ],
      { multiValued: true },
    ),
    complex(
      'ims',
      'Instant messaging addresses for the User.',
      [
        attribute('value', 'string', 'Instant messaging address for the User.'),
        display(),
        typeLabel("A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.", [
          'aim',
          'gtalk',
          'icq',
          'xmpp',
          'msn',
          'skype',
          'qq',
          'yahoo',
        ]),
        primary(', e.g., the preferred messenger or primary messenger'),
      ],
      { multiValued: true },
    ),
    complex(
      'photos',
      'URLs of photos of the User.',
      [
        attribute('value', 'reference', 'URL of a photo of the User.', { referenceTypes: ['external'] }),
        display(),
        typeLabel("A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.", ['photo', 'thumbnail']),
        primary(', e.g., the preferred photo or thumbnail'),
      ],
      { multiValued: true },
    ),
    complex(
      'addresses',
      "A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'.",
      [
        attribute(
          'formatted',
          'string',
          'The full mailing address, formatted for display or use with a mailing label. This attribute MAY contain newlines.',
        ),
        attribute(
          'streetAddress',
          'string',
          'The full street address component, which may include house number, street name, P.O. box, and ' +
            'multi-line extended street address information. This attribute MAY contain newlines.',
        ),
        attribute('locality', 'string', 'The city or locality component.'),
        attribute('region', 'string', 'The state or region component.'),
        attribute('postalCode', 'string', 'The zip code or postal code component.'),
        attribute('country', 'string', 'The country name component.'),
        typeLabel("A label indicating the attribute's function, e.g., 'work' or 'home'.", ['work', 'home', 'other']),
        // Missing from the §8.7.1 representation, yet §2.4 gives every multi-valued attribute a
        // `primary`, the RFC's own §8.2 example and every IdP send it on addresses.
        primary(', e.g., the preferred mailing address'),
      ],
      { multiValued: true },
    ),
    complex(
      'groups',
      'A list of groups to which the user belongs, either through direct membership, through nested groups, ' +
        'or dynamically calculated.',
      [
        attribute('value', 'string', "The identifier of the User's group.", { mutability: 'readOnly' }),
        // Errata 8471: the RFC lists ["User", "Group"]; a user's groups can only be Groups.
        attribute('$ref', 'reference', "The URI of the corresponding 'Group' resource to which the user belongs.", {
          mutability: 'readOnly',
          referenceTypes: ['Group'],
        }),
        display({ mutability: 'readOnly' }),
        attribute('type', 'string', "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.", {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    complex(
      'entitlements',
      'A list of entitlements for the User that represent a thing the User has.',
      [
        attribute('value', 'string', 'The value of an entitlement.'),
        display(),
        typeLabel("A label indicating the attribute's function."),
        primary(''),
      ],
      { multiValued: true },
    ),
    complex(
      'roles',
      "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
      [
        attribute('value', 'string', 'The value of a role.'),
        display(),
        // The RFC writes `"canonicalValues": []`, which says nothing; it is left out.
        typeLabel("A label indicating the attribute's function."),
        primary(''),
      ],
      { multiValued: true },
    ),
    complex(
      'x509Certificates',
      'A list of certificates issued to the User.',
      [
        // Errata 6000 and 8470: binary values are case-exact (§2.3.6).
        attribute('value', 'binary', 'The value of an X.509 certificate.', { caseExact: true }),
        display(),
        typeLabel("A label indicating the attribute's function."),
        primary(''),
      ],
      { multiValued: true },
    ),
  ],
};

export const GROUP_SCHEMA_DEFINITION: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    // Errata 5368: the RFC says "REQUIRED." in the description but `"required": false`.
    // Roster enforces unique group names (case-insensitively), as Entra ID and Okta match groups by
    // displayName; /Schemas says so rather than repeating the RFC's `none`.
    attribute('displayName', 'string', 'A human-readable name for the Group. REQUIRED.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'members',
      `A list of members of the Group. One request may name at most ${MAX_MEMBERS_PER_REQUEST} members.`,
      [
        attribute('value', 'string', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        attribute('$ref', 'reference', 'The URI corresponding to a SCIM resource that is a member of this Group.', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        attribute('type', 'string', "A label indicating the type of resource, e.g., 'User' or 'Group'.", {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
        // Absent from §8.7.1 but used by the RFC's own examples and by every IdP. A client may name
        // the member when adding it (Okta, Microsoft's collection) and gets that name back; otherwise
        // the service fills it from the member. Like value, it cannot be edited afterwards.
        display({ mutability: 'immutable' }),
      ],
      { multiValued: true },
    ),
  ],
};

export const ENTERPRISE_USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attribute(
      'employeeNumber',
      'string',
      'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or ' +
        'association with an organization.',
    ),
    attribute('costCenter', 'string', 'Identifies the name of a cost center.'),
    attribute('organization', 'string', 'Identifies the name of an organization.'),
    attribute('division', 'string', 'Identifies the name of a division.'),
    attribute('department', 'string', 'Identifies the name of a department.'),
    complex(
      'manager',
      "The User's manager. A complex type that optionally allows service providers to represent organizational " +
        "hierarchy by referencing the 'id' attribute of another User.",
      [
        // The RFC says "REQUIRED." here but `"required": false`; the flag is kept, because the
        // manager itself is optional and an empty manager is simply dropped.
        attribute('value', 'string', "The id of the SCIM resource representing the User's manager. REQUIRED."),
        attribute('$ref', 'reference', "The URI of the SCIM resource representing the User's manager.", {
          referenceTypes: ['User'],
        }),
        attribute('displayName', 'string', "The displayName of the User's manager. OPTIONAL and READ-ONLY.", {
          mutability: 'readOnly',
        }),
      ],
    ),
  ],
};

export const ROSTER_GROUP_SCHEMA_DEFINITION: SchemaDefinition = {
  id: ROSTER_GROUP_SCHEMA,
  name: 'RosterGroup',
  description: 'Roster extension to the Group resource',
  attributes: [
    attribute('logo', 'reference', "URL of the group's logo image. READ-ONLY: set through PUT /v2/Groups/{id}/Logo.", {
      mutability: 'readOnly',
      referenceTypes: ['external'],
    }),
  ],
};

/** In the order /Schemas lists them. */
export const SCHEMA_DEFINITIONS: SchemaDefinition[] = [
  USER_SCHEMA_DEFINITION,
  GROUP_SCHEMA_DEFINITION,
  ENTERPRISE_USER_SCHEMA_DEFINITION,
  ROSTER_GROUP_SCHEMA_DEFINITION,
];

/** In the order /ResourceTypes lists them: Microsoft's test expects `/Users` first. */
export const RESOURCE_TYPE_DEFINITIONS: ResourceTypeDefinition[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
  },
  {
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group',
    schema: GROUP_SCHEMA,
    schemaExtensions: [{ schema: ROSTER_GROUP_SCHEMA, required: false }],
  },
];

// The definitions are shared by every request; freezing them turns an accidental in-place edit
// (say, a projection that deletes a sub-attribute) into an immediate TypeError.
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

deepFreeze(COMMON_ATTRIBUTES);
deepFreeze(SCHEMA_DEFINITIONS);
deepFreeze(RESOURCE_TYPE_DEFINITIONS);
