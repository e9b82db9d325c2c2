/** The real-network backend: launcher, typed client, toxic constructors and the Backend itself. */
export {
  createToxiproxyBackend,
  type ToxiproxyBackend,
  type ToxiproxyBackendOptions,
  type ToxiproxyFaultProxy,
} from './backend.ts';
export {
  type CreateProxyInput,
  type ProxyInfo,
  ToxiproxyClient,
  type ToxiproxyClientOptions,
  type UpdateProxyInput,
} from './client.ts';
export { errorKind, ToxiproxyApiError } from './errors.ts';
export {
  findToxiproxyBinary,
  HOW_TO_GET_TOXIPROXY,
  type StartToxiproxyOptions,
  startToxiproxy,
  TOXIPROXY_VERSION,
  ToxiproxyLaunchError,
  type ToxiproxyLaunchErrorKind,
  type ToxiproxyServer,
} from './launcher.ts';
export { isSafeName, uniqueName } from './names.ts';
export { toRealAttributes, toScenarioAttributes } from './scale.ts';
export { type ToxicOptions, toxics } from './toxics.ts';
