import { Module } from '@nestjs/common';
import { WebhookWorker } from './webhook-worker.service';
import { WebhooksCoreModule } from './webhooks-core.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRetentionService } from './webhooks-retention.service';

/** The service side of webhooks: the management API, the delivery workers and the log's retention. */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [WebhooksController],
  providers: [WebhookWorker, WebhooksRetentionService],
  exports: [WebhookWorker],
})
export class WebhooksModule {}
