import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { AUTH_METHODS, GRANT_TYPES } from '../clients.service';

/** RFC 7591 client metadata accepted by POST /admin/clients; unknown members are ignored (RFC 7591 §2). */
export class RegisterClientDto {
  @ApiProperty({ example: 'HR sync service' })
  @IsString()
  @Length(1, 200)
  client_name!: string;

  @ApiPropertyOptional({ enum: GRANT_TYPES, isArray: true, default: ['client_credentials'] })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(GRANT_TYPES, { each: true })
  grant_types?: string[];

  @ApiPropertyOptional({
    example: 'scim.read scim.write',
    default: 'scim.read',
    description: 'Space-separated scopes the client may request.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  scope?: string;

  @ApiPropertyOptional({
    enum: AUTH_METHODS,
    description:
      'Default: private_key_jwt when keys are given, client_secret_basic otherwise (a secret is then issued).',
  })
  @IsOptional()
  @IsIn(AUTH_METHODS)
  token_endpoint_auth_method?: string;

  @ApiPropertyOptional({
    description: 'The client public keys (JWKS), inline.',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  jwks?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'https://hr.example.com/.well-known/jwks.json',
    description: 'Where to fetch the client public keys (https).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  jwks_uri?: string;

  @ApiPropertyOptional({
    example: ['https://app.example.com/oauth/callback'],
    description: 'Redirect URIs for the authorization_code grant (https, or http on loopback).',
  })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirect_uris?: string[];
}

export class CreateApiTokenDto {
  @ApiProperty({ example: 'entra' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({
    example: 'scim.read scim.write',
    description: 'Space-separated: scim.read, scim.write, roster.admin, roster.events (read the change log only).',
  })
  @IsString()
  @MaxLength(200)
  scope!: string;

  @ApiPropertyOptional({ example: 31536000, description: 'Lifetime in seconds; no expiry when absent.' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(10 * 366 * 86400)
  expires_in?: number;

  @ApiPropertyOptional({ default: false, description: 'Also valid on the MCP endpoint (/v2/mcp).' })
  @IsOptional()
  @IsBoolean()
  mcp?: boolean;

  @ApiPropertyOptional({
    example: 1500,
    description: 'Requests per minute on the SCIM API (429 with Retry-After beyond); default API_TOKEN_RATE_LIMIT.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000000)
  rate_limit?: number;
}
