/**
 * Code on a simulated host reached for something the simulator cannot virtualise (a UDP socket, a
 * child process, a real host name…). It fails at once, naming the call and the host, rather than
 * silently touching the real world from a deterministic run.
 */
export class VirtualEscapeError extends Error {
  readonly code = 'ERR_FLATLINE_ESCAPE';
  override name = 'VirtualEscapeError';

  constructor(
    readonly call: string,
    readonly host: string,
    why = 'the simulator does not virtualise it',
  ) {
    super(
      `${call} on simulated host "${host}" would reach the real world: ${why}; run this subject with --backend toxiproxy, or keep that call out of the simulated process`,
    );
  }
}
