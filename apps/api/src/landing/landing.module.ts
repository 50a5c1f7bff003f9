import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module';
import { LandingController } from './landing.controller';

@Module({ imports: [DiscoveryModule], controllers: [LandingController] })
export class LandingModule {}
