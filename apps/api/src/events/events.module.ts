import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsRetentionService } from './events-retention.service';

/** The service side of the change log: the feed, resource histories and retention. */
@Module({
  controllers: [EventsController],
  providers: [EventsRetentionService],
})
export class EventsModule {}
