import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { notFound } from '../api-problem';
import { openApiDocument } from './openapi-document';

const UI_FILES = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
]);

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>magicport API</title>
<link rel="stylesheet" href="/docs/ui/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/ui/swagger-ui-bundle.js"></script>
<script src="/docs/ui/docs-init.js"></script></body></html>`;
const INIT = `window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui' });`;

/** The OpenAPI document and a Swagger UI for it, served from the local swagger-ui-dist package. */
@Controller('docs')
export class DocsController {
  private readonly document = JSON.stringify(openApiDocument('1'));

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('openapi.json')
  @Header('Content-Type', 'application/json')
  openapi(): string {
    return this.document;
  }

  @Get('ui/:file')
  async asset(@Param('file') file: string, @Res() response: Response): Promise<void> {
    if (file === 'docs-init.js') {
      response.type('application/javascript').send(INIT);
      return;
    }
    if (!UI_FILES.has(file)) throw notFound(`no such docs asset: ${file.slice(0, 64)}`);
    response.type(file.endsWith('.css') ? 'text/css' : 'application/javascript');
    response.send(await readFile(join(getAbsoluteFSPath(), file)));
  }
}
