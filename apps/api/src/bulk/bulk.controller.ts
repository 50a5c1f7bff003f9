import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../auth/decorators';
import { BodyLimit } from '../common/body-limit';
import { ScimBody, ScimErrors, scimContent } from '../common/scim-openapi';
import { ScimEndpoint } from '../common/scim-response';
import { BULK_REQUEST_EXAMPLE, BULK_RESPONSE_EXAMPLE, BULK_TOO_LARGE_EXAMPLE } from './bulk.examples';
import { BulkResponse, BulkService } from './bulk.service';

@ApiTags('Bulk')
@ApiConsumes('application/scim+json', 'application/json')
@ScimEndpoint()
@Controller('v2/Bulk')
export class BulkController {
  constructor(private readonly bulk: BulkService) {}

  @Post()
  @HttpCode(200)
  @Scopes('scim.write')
  // RFC 7644 §3.7.4: the body may be as large as maxPayloadSize, counted on the bytes received.
  @BodyLimit({
    bytes: (config) => config.bulk.maxPayloadSize,
    detail: (limit) => `The size of the bulk request exceeds maxPayloadSize (${limit} bytes).`,
  })
  @ApiOperation({
    summary: 'Run many operations in one request (RFC 7644 §3.7).',
    description:
      'POST, PUT, PATCH and DELETE on /Users and /Groups. `bulkId:<id>` names the resource a POST of the same ' +
      'request creates, in paths, member values, manager, PATCH values and PATCH path filters, in any order; ' +
      'circular references are resolved by creating first and adding the references after. Each operation is ' +
      'atomic on its own; `failOnErrors` stops processing after that many failures (later operations are ' +
      'neither run nor reported). Answers list the operations that ran, in request order. Limits are in ' +
      'ServiceProviderConfig `bulk`: more than maxOperations operations or maxPayloadSize bytes is 413.',
  })
  @ScimBody('BulkRequest', BULK_REQUEST_EXAMPLE)
  @ApiResponse({
    status: 200,
    description: 'BulkResponse: one entry per operation that ran, with its own status.',
    content: scimContent(BULK_RESPONSE_EXAMPLE, 'BulkResponse'),
  })
  @ApiResponse({
    status: 413,
    description: 'More operations than maxOperations, or a body larger than maxPayloadSize (SCIM error).',
    content: scimContent(BULK_TOO_LARGE_EXAMPLE, 'Error'),
  })
  @ScimErrors()
  process(@Body() body: unknown): Promise<BulkResponse> {
    return this.bulk.process(body);
  }
}
