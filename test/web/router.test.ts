// Serving the page: the HTML at /, its modules and styles under /web with the right types and security
// headers, the Stripe flag, and everything else left to the routes after it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRouter } from '../../src/web/router';

let server: http.Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(webRouter({ stripeEnabled: true }));
  app.use((_req, res) => {
    res.status(404).json({ error: { message: 'not found', type: 'not_found_error', code: 'not_found', param: null } });
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function expectSecurityHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

/** Every module the page loads, following its static imports from app.js. */
async function pageModules(): Promise<Map<string, string>> {
  const modules = new Map<string, string>();
  const queue = ['app.js'];
  while (queue.length) {
    const name = queue.shift()!;
    if (modules.has(name)) continue;
    const response = await fetch(`${base}/web/${name}`);
    expect(response.status, name).toBe(200);
    expect(response.headers.get('content-type'), name).toMatch(/^(text|application)\/javascript/);
    expectSecurityHeaders(response);
    const source = await response.text();
    modules.set(name, source);
    for (const match of source.matchAll(/from '\.\/([\w-]+\.js)'/g)) queue.push(match[1]!);
  }
  return modules;
}

describe('the web page router', () => {
  it('serves the page at / with a CSP that allows no inline script or style, and no framing', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/web/app.js"></script>');
    // Inline code would be blocked by the policy, so there must be none.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/);
  });

  it('serves every module, the stylesheet and the icon with their types', async () => {
    const modules = await pageModules();
    expect([...modules.keys()].sort()).toEqual(
      ['api.js', 'app.js', 'catalog.js', 'chart.js', 'compare.js', 'dom.js', 'health.js', 'model-card.js', 'money.js', 'state.js', 'top-up.js', 'usage.js'].sort(),
    );
    // The page builds its DOM from text: no innerHTML, no inline style attributes, no eval.
    for (const [name, source] of modules) expect(source, name).not.toMatch(/innerHTML|outerHTML\s*=|insertAdjacentHTML|setAttribute\('style'|\beval\(|new Function/);
    const css = await fetch(`${base}/web/style.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const icon = await fetch(`${base}/web/icon.svg`);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('says whether Stripe is configured, so the page knows to offer a top-up', async () => {
    const response = await fetch(`${base}/web/config.json`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ object: 'web.config', stripe_enabled: true });
  });

  it('leaves unknown paths, type declarations and dot files to the next handler', async () => {
    for (const path of ['/web/missing.js', '/web/money.d.ts', '/web/.env', '/index.html', '/v1/models']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
