/**
 * The upstream operations the budget knows, and the `create=1,show=1,...` syntax that
 * UPSTREAM_RATE_LIMITS and EMULATOR_RATE_LIMITS share.
 */
export const BUDGET_OPERATIONS = ['create', 'createByUrl', 'show', 'list', 'styles', 'assets'] as const;
export type BudgetOperation = (typeof BUDGET_OPERATIONS)[number];
export type RateLimits = Readonly<Record<BudgetOperation, number>>;

/** MetaStudio's API-limits table (per tenant, requests per second); docs/upstream.md. */
export const DEFAULT_RATE_LIMITS: RateLimits = { create: 1, createByUrl: 2, show: 1, list: 1, styles: 10, assets: 20 };
export const DEFAULT_RATE_LIMITS_TEXT = 'create=1,createByUrl=2,show=1,list=1,styles=10,assets=20';

/** Upstream operation names (as the client and the emulator call them) -> the budget they draw on. */
export const OPERATION_BUDGET: Readonly<Record<string, BudgetOperation>> = {
  CreatePictureModelingJob: 'create',
  CreatePictureModelingByUrlJob: 'createByUrl',
  ShowPictureModelingJob: 'show',
  ListPictureModelingJobs: 'list',
  ListStyles: 'styles',
  ListAssetSummary: 'assets',
  ShowAsset: 'assets',
};

const isOperation = (name: string): name is BudgetOperation => (BUDGET_OPERATIONS as readonly string[]).includes(name);

/**
 * `name=rate` pairs, comma-separated; rates are requests per second (decimals allowed,
 * e.g. `show=0.5`). Operations not named keep their default.
 * @throws Error naming the bad entry.
 */
export function parseRateLimits(text: string, defaults: RateLimits = DEFAULT_RATE_LIMITS): RateLimits {
  const limits: Record<BudgetOperation, number> = { ...defaults };
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([A-Za-z]+)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) throw new Error(`must be name=rate pairs such as create=1,show=2 (bad entry ${JSON.stringify(entry)})`);
    const [, name, rate] = match as unknown as [string, string, string];
    if (!isOperation(name)) throw new Error(`unknown operation ${JSON.stringify(name)} (known: ${BUDGET_OPERATIONS.join(', ')})`);
    const value = Number(rate);
    if (!(value > 0) || value > 100_000) throw new Error(`the rate of ${name} must be above 0 and at most 100000 per second`);
    limits[name] = value;
  }
  return limits;
}
