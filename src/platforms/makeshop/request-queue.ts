import { Mutex } from 'async-mutex';

/**
 * MakeShop's legacy rule (reference makeshop-api.md §2.2, [O]): one request at a time and at most one
 * request per second for the whole shop. Every legacy call of a shop runs through this queue.
 *
 * ASSUMPTION (unconfirmed): the rule binds per shop across every legacy endpoint (webftp key, upload,
 * orderinfo) and does not bind different shops to each other. The interval is counted from the end of the
 * previous request: that satisfies any start-to-start reading of "1 per second" and is immune to clock
 * skew between us and MakeShop.
 */
export class ShopRequestQueue {
  private readonly lanes = new Map<string, { mutex: Mutex; lastFinishedAt: number | undefined }>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Runs `request` when the shop has no request in flight and the interval since the last one has passed. */
  run<T>(shopId: string, request: () => Promise<T>): Promise<T> {
    const lane = this.laneFor(shopId);
    return lane.mutex.runExclusive(async () => {
      if (lane.lastFinishedAt !== undefined) {
        const waitMs = lane.lastFinishedAt + this.minIntervalMs - this.now();
        if (waitMs > 0) await this.sleep(waitMs);
      }
      try {
        return await request();
      } finally {
        lane.lastFinishedAt = this.now();
      }
    });
  }

  private laneFor(shopId: string) {
    let lane = this.lanes.get(shopId);
    if (!lane) {
      lane = { mutex: new Mutex(), lastFinishedAt: undefined };
      this.lanes.set(shopId, lane);
    }
    return lane;
  }
}
