// The catalog and usage page at `/`: static HTML, CSS and browser modules from ./public, served by the
// gateway itself so there is no second server and no build step. The page talks only to this origin's
// /v1 API; the one thing it cannot learn there (is Stripe configured?) comes from /web/config.json.
import express, { type Response, type Router } from 'express';
import { WEB_PUBLIC_DIR as PUBLIC_DIR } from '../paths';

export interface WebOptions {
  /** Shows the "Top up" button, which starts a Stripe Checkout through POST /v1/billing/checkout. */
  stripeEnabled: boolean;
}

/**
 * No inline script or style anywhere, so the policy can forbid both; the API is same-origin, and the
 * only images are the icon and charts drawn as inline SVG elements (which are DOM, not image loads).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setSecurityHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

export function webRouter(options: WebOptions): Router {
  const router = express.Router();
  // Revalidate on every load: a redeploy must never leave a page running against a changed API.
  const assets = express.static(PUBLIC_DIR, {
    index: false,
    fallthrough: true,
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res) => {
      setSecurityHeaders(res);
      res.setHeader('cache-control', 'no-cache');
    },
  });

  router.get('/', (_req, res) => {
    setSecurityHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('index.html', { root: PUBLIC_DIR, cacheControl: false });
  });

  router.get('/web/config.json', (_req, res) => {
    setSecurityHeaders(res);
    res.setHeader('cache-control', 'no-store');
    res.json({ object: 'web.config', stripe_enabled: options.stripeEnabled });
  });

  // Type declarations sit next to the modules for the tests' sake; they are not part of the page.
  router.use('/web', (req, _res, next) => (req.path.endsWith('.d.ts') ? next('router') : next()), assets);
  return router;
}
