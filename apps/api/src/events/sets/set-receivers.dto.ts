import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { DEFAULT_SCIM_EVENT_URIS, SCIM_EVENT_URIS } from '@roster/scim';
import { SET_DELIVERY_METHODS } from './set-receivers.service';

/** POST /admin/set-receivers. The service checks every value again (the CLI calls it directly). */
export class CreateSetReceiverDto {
  @ApiProperty({ example: 'HR replica' })
  @IsString()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    example: 'https://hr.example.com/scim-events',
    description: "The SETs' aud claim. Default: this receiver's poll URL.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  audience?: string;

  @ApiPropertyOptional({
    enum: SCIM_EVENT_URIS,
    isArray: true,
    default: DEFAULT_SCIM_EVENT_URIS,
    description: 'SCIM event URIs (draft-ietf-scim-events-16) this receiver gets.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SCIM_EVENT_URIS.length)
  @IsString({ each: true })
  events?: string[];

  @ApiPropertyOptional({ enum: SET_DELIVERY_METHODS, default: 'poll', description: 'poll (RFC 8936).' })
  @IsOptional()
  @IsIn(SET_DELIVERY_METHODS)
  delivery?: string;
}

/** PATCH /admin/set-receivers/{id}: the members given are changed. */
export class UpdateSetReceiverDto {
  @ApiPropertyOptional({ example: 'HR replica' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'https://hr.example.com/scim-events' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  audience?: string;

  @ApiPropertyOptional({ enum: SCIM_EVENT_URIS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SCIM_EVENT_URIS.length)
  @IsString({ each: true })
  events?: string[];

  @ApiPropertyOptional({ description: 'A disabled receiver keeps its place; its token is refused.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
