import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate, TemplateError, templatePaths, parsePath } from '../../core/template/template.ts';
import { offerParameters } from '../../core/domain/config.ts';

const scope = {
  lead: {
    id: 7,
    name: 'anna',
    phone: '+49 (151) 234-567',
    country: 'de',
    goods: [{ product: 'tea', count: 2 }],
    sub1: '',
    meta: { 'landing-id': 'v2' },
  },
  offer: { params: offerParameters({ crm_offer_id: '101', 'crm_offer_id-de': '201' }, 'de') },
  integration: { settings: { base_url: 'https://crm.test' } },
  nodes: { http: { body: { items: [{ id: 'E-1' }] } } },
  now: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
};

describe('templates', () => {
  it('render paths into lead, offer, integration settings and earlier nodes', () => {
    expect(renderTemplate('{{integration.settings.base_url}}/orders/{{lead.id}}', scope)).toBe('https://crm.test/orders/7');
    expect(renderTemplate('{{nodes.http.body.items[0].id}}', scope)).toBe('E-1');
    expect(renderTemplate('{{nodes.http.body.items.0.id}}', scope)).toBe('E-1');
    expect(renderTemplate('{{lead.meta["landing-id"]}}', scope)).toBe('v2');
  });

  it('give offer parameters with the geo-specific one first', () => {
    expect(renderTemplate('{{offer.params.crm_offer_id}}', scope)).toBe('201');
    const at = { offer: { params: offerParameters({ crm_offer_id: '101', 'crm_offer_id-de': '201' }, 'at') } };
    expect(renderTemplate('{{offer.params.crm_offer_id}}', at)).toBe('101');
  });

  it('keep the value type when the template is one expression, and write JSON inside text', () => {
    expect(renderTemplate('{{lead.goods}}', scope)).toEqual([{ product: 'tea', count: 2 }]);
    expect(renderTemplate(' {{lead.id}} ', scope)).toBe(7);
    expect(renderTemplate('goods={{lead.goods}}', scope)).toBe('goods=[{"product":"tea","count":2}]');
    expect(renderTemplate('[{{lead.missing}}]', scope)).toBe('[]');
  });

  it('apply the documented filters', () => {
    expect(renderTemplate('{{lead.phone | digits}}', scope)).toBe('49151234567');
    expect(renderTemplate('{{lead.name | upper}}', scope)).toBe('ANNA');
    expect(renderTemplate('{{lead.country | upper | lower}}', scope)).toBe('de');
    expect(renderTemplate('{{lead.phone | urlencode}}', scope)).toBe('%2B49+%28151%29+234-567');
    expect(renderTemplate('{{lead.goods | json}}', scope)).toBe('[{"product":"tea","count":2}]');
    expect(renderTemplate('{{lead.sub1 | default:"none"}}', scope)).toBe('none');
    expect(renderTemplate('{{lead.name | default:"none"}}', scope)).toBe('anna');
    expect(renderTemplate('{{now | date:"Y-m-d H:i:s"}}', scope)).toBe('2024-01-02 03:04:05');
    expect(renderTemplate('{{now | date:"d.m.y H:i","Europe/Berlin"}}', scope)).toBe('02.01.24 04:04');
    expect(renderTemplate('{{now | date:"U"}}', scope)).toBe('1704164645');
    expect(renderTemplate('{{lead.goods | join:","}}', { lead: { goods: ['a', 'b'] } })).toBe('a,b');
  });

  it('refuse unknown roots and filters and broken syntax, saying where', () => {
    expect(() => parseTemplate('{{secretz.x}}')).toThrow(/unknown root "secretz"/);
    expect(() => parseTemplate('{{lead.phone | shout}}')).toThrow(/unknown filter "shout"/);
    expect(() => parseTemplate('hello {{lead.phone')).toThrow(TemplateError);
    expect(() => parseTemplate('{{lead.phone | default:none}}')).toThrow(/quoted argument/);
  });

  it('list the paths a template names', () => {
    expect(templatePaths('{{secrets.key}}:{{lead.id | digits}}')).toEqual([
      ['secrets', 'key'],
      ['lead', 'id'],
    ]);
  });

  it('parse bare paths as Extract writes them', () => {
    expect(parsePath('body.items[0].id')).toEqual(['body', 'items', 0, 'id']);
    expect(parsePath('data["order-id"]')).toEqual(['data', 'order-id']);
    expect(() => parsePath('body..id')).toThrow(TemplateError);
  });
});
