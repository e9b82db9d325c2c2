/**
 * docker-compose.yml cannot be run here (no Docker engine in CI's default job), so its promises are
 * checked as data: the pinned Toxiproxy image, an exec-form health check (the image has no shell),
 * and every published port bound to 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT, TOXIPROXY_VERSION } from '../../harness/toxiproxy/launcher.ts';

interface Service {
  image?: string;
  ports?: string[];
  command?: string[];
  network_mode?: string;
  healthcheck?: { test?: string[] };
}

const compose = parse(readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml', () => {
  it(`runs Toxiproxy ${TOXIPROXY_VERSION} with an exec-form health check`, () => {
    for (const name of ['toxiproxy', 'toxiproxy-hostnet']) {
      const service = compose.services[name]!;
      expect(service.image).toBe(`ghcr.io/shopify/toxiproxy:${TOXIPROXY_VERSION}`);
      expect(service.healthcheck?.test).toEqual(['CMD', '/toxiproxy-cli', 'list']);
    }
    // The published-port service keeps the image's default -host=0.0.0.0.
    expect(compose.services.toxiproxy!.command).toBeUndefined();
    expect(compose.services['toxiproxy-hostnet']!.command).toEqual(['-host=127.0.0.1', '-port=8474']);
  });

  it('publishes the API, the proxy port range and the reference server on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports).toEqual([
      '127.0.0.1:8474:8474',
      '127.0.0.1:26000-26031:26000-26031',
      '127.0.0.1:7000:7000',
    ]);
  });

  it('runs the reference server from this repository with npm run serve on HOST/PORT', () => {
    const reference = compose.services.reference as Service & { environment?: Record<string, string> };
    expect(reference.image).toBe('node:20');
    expect(reference.environment).toEqual({ HOST: '0.0.0.0', PORT: '7000' });
    expect(reference.command?.join(' ')).toContain('npm run serve');
  });
});
