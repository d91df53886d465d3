import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSimSetup } from '@zonal/coordination';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { areaOfParties, loadAreaFile, writeAreaFile } from './area-file';
import { LocalArea } from './area-port';
import { splitNetwork } from './areas';
import { coordinateSplit } from './dispatch-split';
import { splitSetup } from './study';
import { coordinatorTerms } from './terms';

const dir = mkdtempSync(join(tmpdir(), 'zonal-area-file-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownSolver();
});

describe('area files: an area\'s own part of the feeder, its zones from their own zone files', async () => {
  const setup = await splitSetup(loadScenario('small-test'));
  const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
  const parties = (await buildSimSetup(setup.scenario)).parties;
  const paths = split.areas.map((a) => { const p = join(dir, `area-${a.id}.json`); writeAreaFile(p, a); return p; });

  it('hold no EV, and read back with the zones\' own files give the same split to the last digit', async () => {
    for (const p of paths) expect(readFileSync(p, 'utf8')).not.toMatch(/"sessions":|"evFleet":/);
    const fromFiles = paths.map((p) => {
      const net = loadAreaFile(p);
      return new LocalArea(areaOfParties(net, parties.filter((z) => net.zoneList.some((e) => e.id === z.config.id))));
    });
    const terms = coordinatorTerms(setup.inputs.scenario, setup.inputs.priceYuanPerKwh, setup.inputs.grid.dtH);
    const inProcess = await coordinateSplit(split.areas.map((a) => new LocalArea(a)), terms);
    const files = await coordinateSplit(fromFiles, terms);
    expect(files.roundsPerLossRound).toEqual(inProcess.roundsPerLossRound);
    expect(files.final.costYuan).toBe(inProcess.final.costYuan);
  });

  it('refuses a file with a wrong field, naming the file and the field, and zone files that are not the area\'s', () => {
    const good = JSON.parse(readFileSync(paths[1], 'utf8'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...good, loadPKw: good.loadPKw.slice(1) }));
    expect(() => loadAreaFile(bad)).toThrow(/bad\.json: loadPKw: has \d+ periods, the area \d+/);
    writeFileSync(bad, JSON.stringify({ ...good, version: 2 }));
    expect(() => loadAreaFile(bad)).toThrow(/bad\.json.*version/);
    const net = loadAreaFile(paths[1]);
    const other = parties.filter((z) => !net.zoneList.some((e) => e.id === z.config.id)).slice(0, 1);
    expect(() => areaOfParties(net, other)).toThrow(new RegExp(`area ${net.id} holds zone\\(s\\) ${net.zoneList.map((z) => z.id).join(', ')}; this process runs zone\\(s\\) ${other[0].config.id}`));
  });
});
