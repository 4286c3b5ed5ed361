// How the soak benchmark's fleet is split into groups, shared by the fleet's process and the benchmark.
import { type Fleet, type FleetStats, fleetDeviceIds } from '@iot/device-simulator';

/** Devices connected together; more at once can outwait the connect timeout on a loaded machine. */
export const GROUP_SIZE = 25;
export const CONNECT_ATTEMPTS = 3;

export function groupSizes(devices: number): number[] {
  return Array.from({ length: Math.ceil(devices / GROUP_SIZE) }, (_, i) =>
    Math.min(GROUP_SIZE, devices - i * GROUP_SIZE),
  );
}

export const groupPrefix = (prefix: string, group: number) => `${prefix}g${group}`;

/** The device ids of a soak fleet, as its groups name them. */
export function soakDeviceIds(prefix: string, devices: number): string[] {
  return groupSizes(devices).flatMap((size, group) => fleetDeviceIds(size, groupPrefix(prefix, group)));
}

export function combine(groups: Fleet[]): Pick<Fleet, 'stats' | 'stop'> {
  return {
    stats: () => {
      const total: FleetStats = {
        devices: 0,
        connected: 0,
        messagesSent: 0,
        deltasApplied: 0,
        commandsAnswered: 0,
        reconnects: 0,
        errors: 0,
      };
      for (const stats of groups.map((group) => group.stats())) {
        for (const key of Object.keys(total) as (keyof FleetStats)[]) total[key] += stats[key];
      }
      return total;
    },
    stop: async () => {
      await Promise.all(groups.map((group) => group.stop()));
    },
  };
}
