// The few lines that let flatline run service.ts, unchanged, on either backend.
import type { Subject, SubjectEvent } from '../../harness/backend.ts';
import { type ServiceConfig, startClient, startServer } from './service.ts';

const subject: Subject<ServiceConfig> = {
  name: 'node-service',
  usesNode: true, // it uses node:net and global timers: run it in its host's process
  async startServer(_runtime, address, config) {
    const events: ((e: SubjectEvent) => void)[] = [];
    const s = await startServer(address.port, address.host, config, (e) => events.forEach((l) => l(e)));
    return { address: { ...address, port: s.port }, close: s.close, onEvent: (l) => events.push(l) };
  },
  async startClient(_runtime, target, config) {
    const events: ((e: SubjectEvent) => void)[] = [];
    const c = startClient(target.port, target.host, config, (e) => events.forEach((l) => l(e)));
    return { close: c.close, onEvent: (l) => events.push(l) };
  },
};
export default subject;
