import { Global, Module } from '@nestjs/common';
import { EventsRepository } from '@roster/db';
import { EventsService } from './events.service';
import { UserRevocationsService } from './user-revocations.service';

/** The outbox, for every writer (the service and the command line alike). */
@Global()
@Module({
  providers: [EventsService, EventsRepository, UserRevocationsService],
  exports: [EventsService, EventsRepository, UserRevocationsService],
})
export class EventsCoreModule {}
