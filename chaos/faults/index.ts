/** Every fault, in the order `npm run chaos -- all` runs them. */
import type { Fault } from '../lib/result.ts';
import { badConfigFault } from './bad-config.ts';
import { brokerRestartFault } from './broker-restart.ts';
import { destinationOutageFault } from './destination-outage.ts';
import { killFault } from './kill.ts';
import { poisonFault } from './poison.ts';
import { rebalanceFault } from './rebalance.ts';
import { retentionBreachFault } from './retention-breach.ts';
import { slowNetworkFault } from './slow-network.ts';

export const faults: readonly Fault[] = [killFault, destinationOutageFault, poisonFault, rebalanceFault, brokerRestartFault, retentionBreachFault, badConfigFault, slowNetworkFault];
