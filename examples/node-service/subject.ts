// The few lines that let flatline run service.ts, unchanged, on either backend.
import type { Subject, SubjectEvent } from '../../harness/backend.ts';
import { type ServiceConfig, startClient, startServer } from './service.ts';

/** Hands the service's reports to whoever listens (the harness). */
function relay() {
  const listeners: ((e: SubjectEvent) => void)[] = [];
  return {
    report: (e: SubjectEvent) => {
      for (const l of listeners) l(e);
    },
    onEvent: (l: (e: SubjectEvent) => void) => {
      listeners.push(l);
    },
  };
}

const subject: Subject<ServiceConfig> = {
  name: 'node-service',
  usesNode: true, // it uses node:net and global timers: run it in its host's process
  async startServer(_runtime, address, config) {
    const { report, onEvent } = relay();
    const s = await startServer(address.port, address.host, config, report);
    return { address: { ...address, port: s.port }, close: s.close, onEvent };
  },
  async startClient(_runtime, target, config) {
    const { report, onEvent } = relay();
    return { ...startClient(target.port, target.host, config, report), onEvent };
  },
};
export default subject;
