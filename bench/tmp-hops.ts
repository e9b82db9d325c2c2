import { Simulation } from '../harness/sim/index.ts';
const MESSAGE = Buffer.alloc(64, 0x61);
const sim = new Simulation({ seed: 1, latency: 5, retainTrace: false });
const srv = sim.runtime('server'); const cli = sim.runtime('client');
srv.net.createServer((s) => { s.on('data', () => s.write(MESSAGE)); }).listen(7000);
const c = cli.net.createConnection({ host: 'server', port: 7000 });
c.on('data', () => {});
c.on('connect', () => cli.setInterval(() => c.write(MESSAGE), 1000));
// count hops
let imm = 0, ticks = 0;
const origSI = global.setImmediate;
(global as any).setImmediate = (fn: any, ...a: any[]) => { imm++; return origSI(fn, ...a); };
const origNT = process.nextTick;
process.nextTick = ((fn: any, ...a: any[]) => { ticks++; return origNT(fn, ...a); }) as any;
const t0 = performance.now();
await sim.runFor(3_600_000);
const wall = performance.now() - t0;
console.log({ wall, imm, ticks, fired: sim.stats().timersFired });
{
const cu0 = process.cpuUsage();
const sim2 = new Simulation({ seed: 1, latency: 5, retainTrace: false });
const srv = sim2.runtime('server'); const cli = sim2.runtime('client');
srv.net.createServer((s) => { s.on('data', () => s.write(MESSAGE)); }).listen(7000);
const c = cli.net.createConnection({ host: 'server', port: 7000 });
c.on('data', () => {});
c.on('connect', () => cli.setInterval(() => c.write(MESSAGE), 1000));
const t0 = performance.now();
await sim2.runFor(3_600_000);
const cu = process.cpuUsage(cu0);
console.log('second run wall', performance.now() - t0, 'cpu ms', (cu.user + cu.system) / 1000);
}
{
const cu0 = process.cpuUsage(); let n = 0;
const t0 = performance.now();
for (let i = 0; i < 10800; i++) { await new Promise(r => process.nextTick(r)); await new Promise(r => origSI(r)); }
const cu = process.cpuUsage(cu0);
console.log('10800 hop pairs wall', performance.now() - t0, 'cpu', (cu.user + cu.system) / 1000);
}
