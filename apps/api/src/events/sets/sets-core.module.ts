import { Module } from '@nestjs/common';
import { SetReceiversRepository } from '@roster/db';
import { SetReceiversService } from './set-receivers.service';

/** SET receivers without HTTP: what the API (management, poll tokens) and the command line share. */
@Module({
  providers: [SetReceiversRepository, SetReceiversService],
  exports: [SetReceiversRepository, SetReceiversService],
})
export class SetsCoreModule {}
