import { Controller, Delete, Get, Headers, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Scopes } from '../auth/decorators';
import { parseProjection } from '../common/list-query';
import { preferredReturn } from '../common/prefer';
import { IfMatchHeader, PreferHeader, ScimErrors } from '../common/scim-openapi';
import { SCIM_CONTENT_TYPE } from '../common/http';
import { GROUP_EXAMPLE } from './groups.examples';
import { GroupsService } from './groups.service';

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** A group's logo image: stored in the database, checked by its bytes, served with strict headers. */
@ApiTags('Groups')
@Controller('v2/Groups/:id/Logo')
export class GroupLogoController {
  constructor(private readonly groups: GroupsService) {}

  @Put()
  @Scopes('scim.write')
  @ApiOperation({
    summary: "Set a group's logo.",
    description:
      'Send the image as the raw body (image/png, image/jpeg, image/gif or image/webp) or as multipart/form-data ' +
      'field `logo`. The content is checked by its decoded header (PNG IHDR, JPEG frame header, GIF screen, WebP ' +
      'VP8/VP8L/VP8X); SVG and anything else is refused with 415, dimensions over LOGO_MAX_DIMENSION with 400. ' +
      'Answers 200 with the group (its logo URL is in the Roster group extension), or 204 with Prefer: return=minimal.',
  })
  @ApiConsumes(...LOGO_TYPES, 'multipart/form-data')
  @ApiBody({
    schema: { type: 'object', properties: { logo: { type: 'string', format: 'binary' } } },
  })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @IfMatchHeader()
  @PreferHeader()
  @ApiResponse({ status: 200, description: 'The group.' })
  @ApiResponse({ status: 204, description: 'Stored (Prefer: return=minimal).' })
  @ScimErrors(400, 404, 412, 413, 415)
  async put(
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const { content, type } = await readLogo(request);
    const result = await this.groups.setLogo(id, content, type, ifMatch, {
      ...parseProjection(query),
      excludedAttributes: [{ path: { attr: 'members' } }],
    });
    reply.header('etag', `W/"${result.version}"`).header('cache-control', 'no-store');
    if (preferredReturn(prefer) === 'minimal') {
      reply.status(204);
      return undefined;
    }
    reply.header('content-type', SCIM_CONTENT_TYPE);
    return result.resource;
  }

  @Get()
  @Scopes('scim.read')
  @ApiOperation({ summary: "Read a group's logo image." })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @ApiProduces(...LOGO_TYPES)
  @ApiResponse({
    status: 200,
    description: 'The image bytes.',
    content: Object.fromEntries(LOGO_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
  })
  @ApiResponse({ status: 304, description: 'If-None-Match matched.' })
  @ScimErrors(404)
  async get(
    @Param('id') id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | undefined> {
    const logo = await this.groups.getLogo(id);
    reply
      .header('etag', logo.etag)
      .header('cache-control', 'private, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('content-disposition', 'inline');
    if (
      ifNoneMatch &&
      ifNoneMatch
        .split(',')
        .map((t) => t.trim())
        .includes(logo.etag)
    ) {
      reply.status(304);
      return undefined;
    }
    reply.header('content-type', logo.mediaType);
    return logo.content;
  }

  @Delete()
  @HttpCode(204)
  @Scopes('scim.write')
  @ApiOperation({ summary: "Remove a group's logo." })
  @ApiParam({ name: 'id', example: GROUP_EXAMPLE.id })
  @IfMatchHeader()
  @ApiResponse({ status: 204, description: 'Removed.' })
  @ScimErrors(404, 412)
  async delete(@Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.groups.deleteLogo(id, ifMatch);
  }
}

/** The image from a raw body or from the multipart field `logo`. */
async function readLogo(request: FastifyRequest): Promise<{ content: Buffer; type: string | undefined }> {
  if (request.isMultipart()) {
    try {
      const file = await request.file();
      if (!file || file.fieldname !== 'logo') {
        throw ScimError.badRequest('invalidValue', 'Send the image in the multipart field "logo".');
      }
      const content = await file.toBuffer();
      if (file.file.truncated) {
        throw new ScimError(413, 'The logo is larger than this server accepts.');
      }
      return { content, type: file.mimetype };
    } catch (error) {
      // Limits are Fastify errors (413 through the filter); anything else the multipart parser
      // throws means the body is not the multipart it claims to be.
      if (error instanceof ScimError || String((error as { code?: unknown }).code).startsWith('FST_')) {
        throw error;
      }
      throw ScimError.badRequest('invalidSyntax', 'The body is not valid multipart/form-data.');
    }
  }
  if (!Buffer.isBuffer(request.body)) {
    throw new ScimError(415, 'Send the logo as image/png, image/jpeg, image/gif, image/webp or multipart/form-data.');
  }
  return { content: request.body, type: request.headers['content-type'] };
}
