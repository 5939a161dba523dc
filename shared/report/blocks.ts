import type { AddressClass } from '../network';
import { addressBlock, subnetBlock } from '../network';

/**
 * The block an address is folded into when it is not drawn on its own: public addresses by the
 * block new-destination baselines learn (/24, /48), others by subnet (/24, /64), as the engine
 * folds them.
 */
export function blockOf(address: string, addressClass?: AddressClass): string {
  return addressClass === 'public' ? addressBlock(address) : subnetBlock(address);
}
