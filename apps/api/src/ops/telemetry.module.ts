import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';

/** The application's metrics registry, for every module (the database layer reports to it too). */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class TelemetryModule {}
