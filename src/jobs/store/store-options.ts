/** What both backends take besides their connection. */
export interface StoreOptions {
  /**
   * The clock the store compares with (idempotency keys, leases) and stamps updates with;
   * tests pass one they can move. Expiries Redis keeps itself (PX, EXPIRE) follow Redis's clock.
   * @default Date.now
   */
  now?: () => number;
}
