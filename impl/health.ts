/**
 * F11/F12: the health state machine of one connection, kept free of timers and sockets so it can
 * be reasoned about (and tested) on its own.
 *
 *   HEALTHY ──(suspectAfter consecutive misses)──▶ SUSPECT ──(missThreshold misses)──▶ DISCONNECTED
 *      ▲                                              │
 *      └──────────────(a pong in time)────────────────┘
 *
 * Any death (FIN, RST, deadline, …) also moves to DISCONNECTED, which is final for the connection.
 */

export type HealthState = 'HEALTHY' | 'SUSPECT' | 'DISCONNECTED';

export interface MissOutcome {
  misses: number;
  /** The state after this miss. */
  state: HealthState;
  /** This miss moved HEALTHY → SUSPECT. */
  becameSuspect: boolean;
  /** This miss reached the threshold: the connection is dead. */
  dead: boolean;
}

export class HealthTracker {
  private _state: HealthState = 'HEALTHY';
  private _misses = 0;

  constructor(
    readonly suspectAfter: number,
    readonly missThreshold: number,
  ) {
    if (!(suspectAfter >= 1 && suspectAfter <= missThreshold)) {
      throw new RangeError(
        `HealthTracker: need 1 ≤ suspectAfter (${suspectAfter}) ≤ missThreshold (${missThreshold})`,
      );
    }
  }

  get state(): HealthState {
    return this._state;
  }

  /** Consecutive misses so far. */
  get misses(): number {
    return this._misses;
  }

  /** A ping's pong timeout passed without its pong. */
  miss(): MissOutcome {
    if (this._state === 'DISCONNECTED') {
      return { misses: this._misses, state: this._state, becameSuspect: false, dead: false };
    }
    this._misses += 1;
    if (this._misses >= this.missThreshold) {
      this._state = 'DISCONNECTED';
      return { misses: this._misses, state: this._state, becameSuspect: false, dead: true };
    }
    const becameSuspect = this._state === 'HEALTHY' && this._misses >= this.suspectAfter;
    if (becameSuspect) this._state = 'SUSPECT';
    return { misses: this._misses, state: this._state, becameSuspect, dead: false };
  }

  /** A pong arrived within its timeout. Returns true if this restored HEALTHY from SUSPECT. */
  answered(): boolean {
    if (this._state === 'DISCONNECTED') return false;
    this._misses = 0;
    const recovered = this._state === 'SUSPECT';
    this._state = 'HEALTHY';
    return recovered;
  }

  /** The connection ended for any reason. Returns false if it already had. */
  disconnect(): boolean {
    if (this._state === 'DISCONNECTED') return false;
    this._state = 'DISCONNECTED';
    return true;
  }
}
