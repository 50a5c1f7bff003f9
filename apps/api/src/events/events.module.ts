import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';

/** The HTTP side of the change log: the feed and resource histories. */
@Module({
  controllers: [EventsController],
})
export class EventsModule {}
