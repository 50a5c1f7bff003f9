import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Page } from 'playwright-core';

/**
 * A loopback "application": its callback records what the authorization server sent back, and
 * it can serve a page that frames another URL (the clickjacking test).
 */
export class CallbackApp {
  readonly callbacks: URL[] = [];
  framed = '';
  private readonly server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname === '/frame') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(
        `<!doctype html><title>framing</title><iframe id="victim" src="${this.framed}" width="600" height="600"></iframe>`,
      );
      return;
    }
    this.callbacks.push(url);
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>callback</title><p id="done">Back at the application.</p>');
  });

  static async start(): Promise<CallbackApp> {
    const app = new CallbackApp();
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    return app;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get redirectUri(): string {
    return `${this.origin}/callback`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Signs in on Roster's sign-in page the way a person does: labels, typing, the button. */
export async function signInThroughPage(page: Page, userName: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(userName);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Waits until the browser is back at the application's callback and answers that URL. */
export async function waitForCallback(page: Page, app: CallbackApp): Promise<URL> {
  await page.waitForURL((url) => url.href.startsWith(app.redirectUri), { timeout: 30_000 });
  return new URL(page.url());
}
