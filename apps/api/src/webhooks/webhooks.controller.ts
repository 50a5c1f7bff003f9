import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Scopes } from '../auth/decorators';
import { ScimErrors } from '../common/scim-openapi';
import { jsonContent } from '../openapi-oauth-schemas';
import { DeliveryPage, WebhooksService, WebhookView } from './webhooks.service';
import { DELIVERY_EXAMPLE, WEBHOOK_CREATED_EXAMPLE, WEBHOOK_EXAMPLE } from './webhooks.openapi';

const requestBody = (schema: string, example: object) => ({
  schema: { $ref: `#/components/schemas/${schema}` },
  examples: { example: { value: example } },
});

/**
 * Webhook subscriptions (README, "Webhooks"). Bodies are checked by WebhooksService itself, so
 * that the command line over the database gets the same answers; errors are SCIM error documents.
 */
@ApiTags('Webhooks')
@Scopes('roster.admin')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Subscribe a URL to events; the signing secret is shown once.' })
  @ApiBody(
    requestBody('WebhookCreate', {
      url: 'https://hooks.example.com/roster',
      event_types: ['user.created', 'user.deactivated', 'user.deleted'],
      description: 'HR sync',
    }),
  )
  @ApiCreatedResponse({
    description: 'The subscription, with its secret (shown once).',
    content: jsonContent('WebhookWithSecret', WEBHOOK_CREATED_EXAMPLE),
  })
  @ScimErrors()
  create(@Body() body: unknown): Promise<WebhookView & { secret: string }> {
    return this.webhooks.create(body);
  }

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The webhook subscriptions, with their delivery state (never their secrets).' })
  @ApiOkResponse({
    description: 'The subscriptions.',
    content: jsonContent('WebhookList', { webhooks: [WEBHOOK_EXAMPLE] }),
  })
  async list(): Promise<{ webhooks: WebhookView[] }> {
    return { webhooks: await this.webhooks.list() };
  }

  @Get(':id')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One subscription: settings, cursor, failure counters, disabled reason.' })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiOkResponse({ description: 'The subscription.', content: jsonContent('Webhook', WEBHOOK_EXAMPLE) })
  @ScimErrors(404)
  get(@Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Change url, event_types, description or enabled; enabling a disabled subscription clears its failures.',
  })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiBody(requestBody('WebhookUpdate', { enabled: true }))
  @ApiOkResponse({ description: 'The subscription.', content: jsonContent('Webhook', WEBHOOK_EXAMPLE) })
  @ScimErrors(404)
  update(@Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    return this.webhooks.update(id, body);
  }

  @Post(':id/secret')
  @HttpCode(201)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Rotate the signing secret (shown once); the previous one also signs for 24 hours.',
  })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiCreatedResponse({
    description: 'The subscription, with its new secret.',
    content: jsonContent('WebhookWithSecret', WEBHOOK_CREATED_EXAMPLE),
  })
  @ScimErrors(404)
  rotate(@Param('id') id: string): Promise<WebhookView & { secret: string }> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver again every event from an event id on, in order.' })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiBody(requestBody('WebhookReplay', { from: '1800' }))
  @ApiAcceptedResponse({ description: 'The subscription, its cursor moved back.', content: jsonContent('Webhook') })
  @ScimErrors(404)
  replay(@Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    return this.webhooks.replay(id, (body as { from?: unknown } | null)?.from);
  }

  @Get(':id/deliveries')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "The subscription's delivery log, newest first." })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'succeeded', 'failed'] })
  @ApiQuery({ name: 'count', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page.' })
  @ApiOkResponse({
    description: 'A page of the log.',
    content: jsonContent('WebhookDeliveryPage', { deliveries: [DELIVERY_EXAMPLE] }),
  })
  @ScimErrors(404)
  deliveries(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<DeliveryPage> {
    return this.webhooks.deliveries(id, query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its delivery log; nothing more is sent to it.' })
  @ApiParam({ name: 'id', example: WEBHOOK_EXAMPLE.id })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ScimErrors(404)
  async delete(@Param('id') id: string): Promise<void> {
    await this.webhooks.delete(id);
  }
}
