import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'pino';
import { AppConfig } from '../../api/src/config';
import { PinoNestLogger } from '../../api/src/logger';
import { CliModule } from './cli.module';

/** The services over the database itself, in a Nest application context without HTTP. */
export async function openLocalContext(config: AppConfig, logger: Logger): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(CliModule.register(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
}
