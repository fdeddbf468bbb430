import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Param, Redirect, Res } from '@nestjs/common';
import type { Response } from 'express';
import { notFound } from '../api/api-problem';

/** The page and its two assets; nothing else is served from the folder. */
const FILES: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'dashboard.js': 'application/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

/** apps/server/assets/dashboard, from src/dashboard (tsx) and dist/dashboard (built) alike. */
const ASSETS = join(__dirname, '..', '..', 'assets', 'dashboard');

/**
 * The dashboard (fleet build distribution, blacklist hits over time, a guest's handshake
 * timeline): a static page that reads the REST API from the browser.
 */
@Controller()
export class DashboardController {
  /** Each file read once: they are part of the build, not edited while the server runs. */
  private readonly files = new Map<string, Buffer>();

  @Get()
  @Redirect('/dashboard', 302)
  root(): void {}

  @Get('dashboard')
  async page(@Res() response: Response): Promise<void> {
    await this.send(response, '');
  }

  @Get('dashboard/:file')
  async asset(@Param('file') file: string, @Res() response: Response): Promise<void> {
    await this.send(response, file);
  }

  private async send(response: Response, file: string): Promise<void> {
    const type = Object.hasOwn(FILES, file) ? FILES[file] : undefined;
    if (type === undefined) throw notFound(`no such dashboard file: ${file.slice(0, 64)}`);
    let body = this.files.get(file);
    if (body === undefined) {
      body = await readFile(join(ASSETS, file === '' ? 'index.html' : file));
      this.files.set(file, body);
    }
    response.type(type).setHeader('Cache-Control', 'no-cache').send(body);
  }
}
