import { describe, expect, it } from 'vitest';
import { leadIn } from '../../nodes/lead-in.ts';
import { runNode, sampleLead } from './context.ts';

describe('Lead In', () => {
  it('starts flows of the four lead events and has no input port', () => {
    expect(leadIn.category).toBe('trigger');
    expect(leadIn.inputs).toEqual([]);
    expect(leadIn.events).toEqual(['lead.new', 'lead.update', 'lead.approved', 'lead.register']);
  });

  it('passes the lead it was started with on as its output', async () => {
    const lead = sampleLead({ id: 7, phone: '+491701234' });
    const { result } = await runNode(leadIn, { lead, input: lead });
    expect(result.port ?? 'out').toBe('out');
    expect(result.output).toBe(lead);
  });
});
