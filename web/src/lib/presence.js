// The user's own presence: online while active, away after 5 minutes without activity or
// while the page is hidden, online again on activity. Pure: the page feeds it activity and
// visibility and asks what to send (only changes are sent).

export const IDLE_MS = 5 * 60 * 1000;

export class PresenceTracker {
  /** @type {"online" | "away"} */
  #sent = "online";
  #lastActivity;
  #hidden = false;

  /** @param {{now?: () => number, idleMs?: number}} [options] */
  constructor({ now = Date.now, idleMs = IDLE_MS } = {}) {
    this.now = now;
    this.idleMs = idleMs;
    this.#lastActivity = now();
  }

  /** What the presence should be now. @returns {"online" | "away"} */
  get wanted() {
    if (this.#hidden) return "away";
    return this.now() - this.#lastActivity >= this.idleMs ? "away" : "online";
  }

  /** A key, a click, a pointer move, focus. Returns the status to send, or null. */
  activity() {
    this.#lastActivity = this.now();
    return this.#update();
  }

  /** @param {boolean} hidden `document.hidden`. Returns the status to send, or null. */
  visibility(hidden) {
    this.#hidden = hidden;
    if (!hidden) this.#lastActivity = this.now();
    return this.#update();
  }

  /** A periodic check (idle time passing). Returns the status to send, or null. */
  tick() {
    return this.#update();
  }

  /** Milliseconds until the user turns idle (for one timer); 0 when already away. */
  idleIn() {
    return Math.max(0, this.#lastActivity + this.idleMs - this.now());
  }

  /** @returns {"online" | "away" | null} */
  #update() {
    const wanted = this.wanted;
    if (wanted === this.#sent) return null;
    this.#sent = wanted;
    return wanted;
  }
}
