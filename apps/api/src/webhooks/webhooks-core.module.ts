import { Module } from '@nestjs/common';
import { WebhooksRepository } from '@roster/db';
import { AuthCoreModule } from '../auth/auth-core.module';
import { WebhooksService } from './webhooks.service';

/** Webhook subscriptions without HTTP or workers: what the service and the command line share. */
@Module({
  imports: [AuthCoreModule],
  providers: [WebhooksRepository, WebhooksService],
  exports: [WebhooksRepository, WebhooksService],
})
export class WebhooksCoreModule {}
