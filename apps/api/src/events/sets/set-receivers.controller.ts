import {
  ArgumentsHost,
  Body,
  Catch,
  Controller,
  Delete,
  ExceptionFilter,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Req,
  UseFilters,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ScimError } from '@roster/scim';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Scopes } from '../../auth/decorators';
import { Principal } from '../../auth/principal';
import { jsonContent } from '../../openapi-oauth-schemas';
import { SET_POLL_REQUEST_EXAMPLE, SET_POLL_RESPONSE_EXAMPLE, SET_RECEIVER_EXAMPLE } from './set-openapi';
import { PollResponse, SetPollError, SetPollService } from './set-poll.service';
import { CreateSetReceiverDto, UpdateSetReceiverDto } from './set-receivers.dto';
import { mayPollReceiver, SetReceiverDetail, SetReceiversService, SetReceiverView } from './set-receivers.service';

const validation = new ValidationPipe({ whitelist: true, transform: true });

@ApiTags('Administration')
@Scopes('roster.admin')
@UsePipes(validation)
@Controller('admin/set-receivers')
export class SetReceiversAdminController {
  constructor(private readonly receivers: SetReceiversService) {}

  @Post()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Create a SCIM security event receiver (RFC 8936 poll); its poll token is shown once.',
  })
  @ApiBody({ type: CreateSetReceiverDto })
  @ApiCreatedResponse({
    description: 'The receiver and its poll token.',
    content: jsonContent('SetReceiver', { ...SET_RECEIVER_EXAMPLE, token: 'roster_set_…' }),
  })
  create(@Body() body: CreateSetReceiverDto): Promise<SetReceiverView & { token: string }> {
    return this.receivers.create(body);
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List SCIM security event receivers (never their tokens).' })
  @ApiOkResponse({
    description: 'The receivers.',
    content: jsonContent('SetReceiverList', { receivers: [SET_RECEIVER_EXAMPLE] }),
  })
  async list(): Promise<{ receivers: SetReceiverView[] }> {
    return { receivers: await this.receivers.list() };
  }

  @Get(':id')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One receiver, with its acknowledgement state and the latest errors it reported.' })
  @ApiParam({ name: 'id', example: SET_RECEIVER_EXAMPLE.id })
  @ApiOkResponse({
    description: 'The receiver.',
    content: jsonContent('SetReceiver', { ...SET_RECEIVER_EXAMPLE, acks_ahead: 0, errors: [] }),
  })
  get(@Param('id') id: string): Promise<SetReceiverDetail> {
    return this.receivers.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a receiver: name, audience, event URIs, enabled.' })
  @ApiParam({ name: 'id', example: SET_RECEIVER_EXAMPLE.id })
  @ApiBody({ type: UpdateSetReceiverDto })
  @ApiOkResponse({ description: 'The receiver.', content: jsonContent('SetReceiver', SET_RECEIVER_EXAMPLE) })
  update(@Param('id') id: string, @Body() body: UpdateSetReceiverDto): Promise<SetReceiverView> {
    return this.receivers.update(id, body);
  }

  @Post(':id/token')
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "Replace a receiver's poll token (shown once); the old one stops working." })
  @ApiParam({ name: 'id', example: SET_RECEIVER_EXAMPLE.id })
  @ApiCreatedResponse({
    description: 'The receiver and its new token.',
    content: jsonContent('SetReceiver', { ...SET_RECEIVER_EXAMPLE, token: 'roster_set_…' }),
  })
  rotate(@Param('id') id: string): Promise<SetReceiverView & { token: string }> {
    return this.receivers.rotateToken(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a receiver, with its acknowledgements.' })
  @ApiParam({ name: 'id', example: SET_RECEIVER_EXAMPLE.id })
  @ApiNoContentResponse({ description: 'Deleted.' })
  async delete(@Param('id') id: string): Promise<void> {
    await this.receivers.delete(id);
  }
}

/** RFC 8936 errors as their JSON (`err`, `description`); every other error keeps the SCIM envelope. */
@Catch(SetPollError)
export class SetPollExceptionFilter implements ExceptionFilter {
  catch(error: SetPollError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(400)
      .header('cache-control', 'no-store')
      .header('content-type', 'application/json; charset=utf-8')
      .send(error.toJSON());
  }
}

/**
 * The RFC 8936 poll endpoint of one receiver. Any valid bearer token passes the guard (no scope is
 * named); `mayPollReceiver` then decides: the receiver's own poll token, or a roster.admin token.
 */
@ApiTags('Events')
@UseFilters(SetPollExceptionFilter)
@Controller('v2/Events/Receivers')
export class SetPollController {
  constructor(private readonly poll: SetPollService) {}

  @Post(':id/Poll')
  @HttpCode(200)
  @Scopes()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Poll for SCIM security events (RFC 8936): acknowledge, report errors, receive SETs.',
    description:
      "Authenticate with the receiver's poll token (or a roster.admin token). SETs are compact JWS " +
      '(typ secevent+jwt) signed with the keys of /.well-known/jwks.json, in the shape of ' +
      'draft-ietf-scim-events-16. Unacknowledged SETs come again (at least once); `ack` and `setErrs` settle ' +
      'them. With returnImmediately false (the default) the request waits up to SET_POLL_WAIT_MS for a SET.',
  })
  @ApiParam({ name: 'id', example: SET_RECEIVER_EXAMPLE.id })
  @ApiBody({
    schema: { $ref: '#/components/schemas/SetPollRequest' },
    examples: { pollWithAcknowledgement: { value: SET_POLL_REQUEST_EXAMPLE } },
  })
  @ApiOkResponse({ description: 'SETs by jti.', content: jsonContent('SetPollResponse', SET_POLL_RESPONSE_EXAMPLE) })
  @ApiResponse({
    status: 400,
    description: 'A malformed poll request.',
    content: jsonContent('SetError', {
      err: 'invalid_request',
      description: 'maxEvents must be a non-negative integer.',
    }),
  })
  async pollReceiver(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest & { principal?: Principal },
  ): Promise<PollResponse> {
    if (!mayPollReceiver(request.principal, id)) {
      throw new ScimError(403, "This token may not poll this receiver's events.");
    }
    return this.poll.poll(id, body);
  }
}
