/**
 * The README's "your own code" example, run as a user would: examples/node-service/service.ts uses
 * plain node:net, global timers and Date.now(), imports nothing from flatline, and runs unchanged on
 * the simulator through a subject file of a few lines.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../harness/result.ts';
import { flatline } from './cli.ts';

describe('a user’s unmodified node:net service (examples/node-service)', () => {
  it('runs on virtual time: detections and reconnect at their exact virtual instants', async () => {
    const run = await flatline([
      'run',
      'examples/node-service/blackhole.yaml',
      '--subject',
      'examples/node-service/subject.ts',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [r] = JSON.parse(run.stdout) as ScenarioResult[];
    // Pings every 5 s from the connect at 10: the one at 30 010 is lost, its pong timeout (2 s) fires
    // at 32 010; the client's FIN reaches the server 5 ms later. Retries every 1 s + 7 s of pinging
    // each; the heal at 60 000 closes the hung one, and the retry at 61 010 connects at 61 015.
    expect(r!.detections.map((d) => `${d.side} ${d.reason} ${d.at}`)).toEqual([
      'client heartbeat-timeout 32010',
      'server fin 32015',
    ]);
    expect(r!.reconnects.map((x) => x.at)).toEqual([61_015]);
  });
});
