/**
 * The product name of a user agent, lower case, without its version: `kubectl/v1.31.0 (linux/amd64)`
 * and `kubectl1.29.1/v1.29.1` are both `kubectl`. Baselines keyed by it stay quiet through upgrades.
 */
export function userAgentProduct(userAgent: string | undefined): string | undefined {
  const first = userAgent
    ?.trim()
    .split(/[/\s;(]/)[0]
    ?.toLowerCase();
  const product = first?.replace(/[-_.]?v?[\d.]+$/, '');
  return product ? product.slice(0, 80) : undefined;
}
