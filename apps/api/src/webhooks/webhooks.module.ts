import { Module } from '@nestjs/common';
import { AuthCoreModule } from '../auth/auth-core.module';
import { SetEncoder } from '../events/sets/set-encoder.service';
import { WebhookWorker } from './webhook-worker.service';
import { WebhooksCoreModule } from './webhooks-core.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRetentionService } from './webhooks-retention.service';

/** The service side of webhooks: the management API, the delivery workers and the log's retention. */
@Module({
  imports: [WebhooksCoreModule, AuthCoreModule],
  controllers: [WebhooksController],
  // SetEncoder signs the SETs of `secevent` subscriptions (RFC 8935 push), as it does for polls.
  providers: [WebhookWorker, WebhooksRetentionService, SetEncoder],
  exports: [WebhookWorker],
})
export class WebhooksModule {}
