import { Global, Module } from '@nestjs/common';
import { EventsRepository } from '@roster/db';
import { EventsService } from './events.service';

/** The outbox, for every writer (the service and the command line alike). */
@Global()
@Module({
  providers: [EventsService, EventsRepository],
  exports: [EventsService, EventsRepository],
})
export class EventsCoreModule {}
