/**
 * Bad input to the toxic API gets a FaultProxyError with the kind and HTTP status Toxiproxy answers
 * with: 400 invalid type/stream/attribute/toxicity, 404 unknown toxic, 409 duplicate name (unique
 * across both directions, checked before attributes as Toxiproxy does). Nothing changes on error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ToxicInput, ToxicPatch } from '../../../harness/toxics/vocabulary.ts';
import { rejection, type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('toxic API errors', () => {
  it.each([
    ['unknown type', { type: 'down' }, 'invalid_type'],
    ['bad stream', { type: 'latency', stream: 'sideways' }, 'invalid_stream'],
    ['negative attribute', { type: 'latency', attributes: { latency: -1 } }, 'invalid_attribute'],
    ['non-integer attribute', { type: 'bandwidth', attributes: { rate: 1.5 } }, 'invalid_attribute'],
    ['negative bandwidth rate', { type: 'bandwidth', attributes: { rate: -100 } }, 'invalid_attribute'],
    ['unknown attribute', { type: 'timeout', attributes: { latency: 5 } }, 'invalid_attribute'],
    ['toxicity above 1', { type: 'noop', toxicity: 1.5 }, 'invalid_toxicity'],
    ['not an object', 'latency', 'bad_request'],
  ])('%s → 400 %s', async (_title, input, kind) => {
    w = await world();
    const err = await rejection(w.proxy.addToxic(input as ToxicInput));
    expect(err).toMatchObject({ kind, status: 400, proxy: 'p' });
    expect(await w.proxy.listToxics()).toEqual([]);
  });

  it('unknown toxic → 404 on update and remove', async () => {
    w = await world();
    expect(await rejection(w.proxy.updateToxic('nope', { toxicity: 0 }))).toMatchObject({
      kind: 'toxic_not_found',
      status: 404,
      toxic: 'nope',
    });
    expect(await rejection(w.proxy.removeToxic('nope'))).toMatchObject({
      kind: 'toxic_not_found',
      status: 404,
    });
  });

  it('names default to <type>_<stream> and are unique across both directions → 409', async () => {
    w = await world();
    const t = await w.proxy.addToxic({ type: 'latency' });
    expect(t).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 0, jitter: 0 },
    });
    expect(await rejection(w.proxy.addToxic({ type: 'latency' }))).toMatchObject({
      kind: 'toxic_exists',
      status: 409,
    });
    expect(
      await rejection(w.proxy.addToxic({ type: 'noop', name: 'latency_downstream', stream: 'upstream' })),
    ).toMatchObject({ kind: 'toxic_exists', status: 409 });
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream' });
    expect((await w.proxy.listToxics()).map((x) => x.name)).toEqual([
      'latency_upstream',
      'latency_downstream',
    ]);
  });

  it('a duplicate name is 409 even with bad attributes (Toxiproxy checks the name first)', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', name: 'lag' });
    const err = await rejection(
      w.proxy.addToxic({ type: 'latency', name: 'lag', attributes: { latency: -5 } }),
    );
    expect(err).toMatchObject({ kind: 'toxic_exists', status: 409 });
  });

  it('a bad update is rejected and leaves the live toxic unchanged', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', attributes: { latency: 100 } });
    const patches: ToxicPatch[] = [
      { attributes: { latency: -1 } },
      { attributes: { rate: 1 } },
      { toxicity: 2 },
    ];
    for (const patch of patches) {
      const err = await rejection(w.proxy.updateToxic('latency_downstream', patch));
      expect(err.status).toBe(400);
    }
    expect(await w.proxy.listToxics()).toEqual([
      {
        name: 'latency_downstream',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 100, jitter: 0 },
      },
    ]);
    const updated = await w.proxy.updateToxic('latency_downstream', {
      toxicity: 0.25,
      attributes: { jitter: 10 },
    });
    expect(updated).toMatchObject({ toxicity: 0.25, attributes: { latency: 100, jitter: 10 } });
  });

  it('setEnabled with a non-boolean → 400', async () => {
    w = await world();
    expect(await rejection(w.proxy.setEnabled('no' as unknown as boolean))).toMatchObject({ status: 400 });
  });
});
