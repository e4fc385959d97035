// Docker does not run on this machine, so the deployment files are checked by reading them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startCommand } from '../../bench/start-command';
import { ALL_PROVIDERS } from '../../src/providers/index';
import { envName } from '../../src/providers/registry';

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown> };
const dockerfile = readFileSync('Dockerfile', 'utf8');
const nginx = readFileSync('deploy/nginx.conf', 'utf8');

describe('docker-compose.yml', () => {
  it('runs PostgreSQL 17 on a named volume with a health check', () => {
    const pg = compose.services.postgres;
    expect(pg.image).toBe('postgres:17');
    expect(pg.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(compose.volumes).toHaveProperty('pgdata');
    expect(pg.healthcheck.test.join(' ')).toContain('pg_isready');
  });

  it('runs Redis for shared rate limits', () => {
    expect(compose.services.redis.image).toMatch(/^redis:/);
    expect(compose.services.redis.healthcheck).toBeDefined();
  });

  it('runs two gateway replicas built from the Dockerfile, checked by /readyz, configured for PostgreSQL and Redis', () => {
    const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway'));
    expect(gateways).toHaveLength(2);
    for (const [, gateway] of gateways) {
      expect(gateway.build).toBe('.');
      expect(gateway.healthcheck.test.join(' ')).toContain('/readyz');
      expect(gateway.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(gateway.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(gateway.environment.ADMIN_TOKEN).toContain('ADMIN_TOKEN');
      expect(gateway.depends_on.postgres.condition).toBe('service_healthy');
    }
  });

  it('passes every provider credential through to the gateways', () => {
    const env = compose.services['gateway-1'].environment as Record<string, string>;
    for (const provider of ALL_PROVIDERS) {
      if (provider.id === 'tesseract') continue;
      const prefix = envName(provider.id);
      const passed = [`${prefix}_API_KEY`, `${prefix}_BASE_URL`].filter((name) => name in env);
      expect(passed, `${provider.id} credentials`).not.toHaveLength(0);
      for (const name of passed) expect(env[name]).toContain(`\${${name}`);
    }
  });

  it('puts nginx in front of both replicas', () => {
    const lb = compose.services.loadbalancer;
    expect(lb.image).toMatch(/^nginx:/);
    expect(lb.ports).toContain('8080:80');
    expect(lb.volumes.join(' ')).toContain('deploy/nginx.conf');
    expect(nginx).toContain('server gateway-1:8080');
    expect(nginx).toContain('server gateway-2:8080');
    expect(nginx).toContain('proxy_buffering off');
  });
});

describe('Dockerfile', () => {
  it('is a multi-stage build that installs with the lockfile and runs the gateway as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('USER node');
    expect(dockerfile).toContain('HEALTHCHECK');
    expect(dockerfile).toContain('RUN node scripts/build.mjs');
  });

  it('starts the gateway as `npm start` does: the same environment, Node flags and script', () => {
    const start = startCommand();
    expect(Object.keys(start.env).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(start.env)) expect(dockerfile).toMatch(new RegExp(`^ENV .*\\b${name}=${value}(\\s|$)`, 'm'));
    expect(dockerfile).toContain(`CMD [${['node', ...start.flags, start.script].map((word) => JSON.stringify(word)).join(', ')}]`);
  });
});
