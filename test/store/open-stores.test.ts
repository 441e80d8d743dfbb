import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openStores } from '../../runtime/store/index.ts';

let dir: string | undefined;

afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('openStores creates the data folder with config.json and leads.sqlite, and both work after a restart', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-stores-'));
  const dataDir = path.join(dir, 'data');

  const first = await openStores(dataDir);
  await first.config.putWebmaster({ id: 'wm7' });
  const lead = await first.leads.insertLead({ offer: 'slim-tea', wm: 'wm7' }, 'crm', [{ kind: 'lead.new' }]);
  await first.close();

  expect(fs.readdirSync(dataDir)).toEqual(expect.arrayContaining(['config.json', 'leads.sqlite']));

  const second = await openStores(dataDir);
  expect(await second.config.getWebmaster('wm7')).toEqual({ id: 'wm7' });
  expect(await second.leads.getLead(lead.id)).toEqual(lead);
  await second.close();
});
