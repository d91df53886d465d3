/**
 * The feeder model: plain typed tables with units in the names (pandapower style, STYLE.md lesson 1).
 * Loads are positive consumption (SPEC §2); impedances are in ohms and powers in kW/kvar here, and
 * per-unit only inside the power flow.
 */

export interface Bus {
  /** Bus number as written in the source (any positive integers, any order). */
  id: number;
  baseKv: number;
  pdKw: number;
  qdKvar: number;
  isSlack: boolean;
  /** Voltage magnitude the slack holds (MATPOWER gen Vg); ignored on other buses. */
  vmSetPu: number;
}

export interface Branch {
  /** Bus ids; the direction is arbitrary (the radial index orients branches from the slack). */
  from: number;
  to: number;
  rOhm: number;
  xOhm: number;
  /** false for an open switch (a tie line); it stays in the table but carries no current. */
  inService: boolean;
}

/**
 * A distributed generator injecting fixed power (a MATPOWER generator at a PQ bus). Generation is
 * positive here; in net-load terms it counts negative (SPEC §2).
 */
export interface Der {
  bus: number;
  pGenKw: number;
  qGenKvar: number;
}

export interface Feeder {
  name: string;
  baseMva: number;
  /** The slack bus's base voltage; every bus shares it (single-voltage feeders only). */
  baseKv: number;
  /** In file order: power-flow results follow this order. */
  buses: Bus[];
  /** Every branch, open tie switches included (inService false). */
  branches: Branch[];
  /** A view of the open branches of `branches` (the same objects), for reconfiguration code. */
  tieLines?: Branch[];
  ders?: Der[];
}
