import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate, TemplateError, templatePaths, parsePath } from '../../core/template/template.ts';
import { offerParameters } from '../../core/domain/config.ts';
import { omitEmpty } from '../../core/node/values.ts';
import { createHash } from 'node:crypto';

const nodeHash = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');
const md5Hex = (text: string) => nodeHash('md5', text);

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

  it('read a filter argument from a path, and list that path too', () => {
    const page = { batch: { page: 3 }, input: { body: { totalPages: 3, size: 50 } } };
    expect(renderTemplate('{{batch.page | gte:input.body.totalPages}}', page)).toBe(true);
    expect(renderTemplate('{{batch.page | lt:input.body.totalPages}}', page)).toBe(false);
    expect(renderTemplate('{{batch.page | sub:1 | mul:input.body.size}}', page)).toBe(100);
    expect(templatePaths('{{batch.page | gte:input.body.totalPages}}')).toEqual([
      ['batch', 'page'],
      ['input', 'body', 'totalPages'],
    ]);
    expect(() => parseTemplate('{{batch.page | gte:pages.total}}')).toThrow(/quoted argument, a number or a path/);
  });

  it('do arithmetic and comparisons, numbers as numbers and text as text', () => {
    const values = { input: { page: '2', offset: 100, status: 'ok', price: '12,5' } };
    expect(renderTemplate('{{input.page | add:1}}', values)).toBe(3);
    expect(renderTemplate('{{input.offset | add:50}}', values)).toBe(150);
    expect(renderTemplate('{{input.offset | sub:25}}', values)).toBe(75);
    expect(renderTemplate('{{input.price | mul:2}}', values)).toBe(25);
    expect(renderTemplate('{{input.offset | div:8}}', values)).toBe(12.5);
    expect(renderTemplate('{{input.offset | div:0}}', values)).toBeUndefined();
    expect(renderTemplate('{{input.missing | add:1}}', values)).toBeUndefined();
    expect(renderTemplate('{{input.page | eq:2}}', values)).toBe(true);
    expect(renderTemplate('{{input.page | ne:2}}', values)).toBe(false);
    expect(renderTemplate('{{input.page | gt:10}}', values)).toBe(false);
    expect(renderTemplate('{{input.page | lte:2}}', values)).toBe(true);
    expect(renderTemplate('{{input.status | eq:"ok"}}', values)).toBe(true);
    expect(renderTemplate('offset={{input.offset | add:50}}', values)).toBe('offset=150');
  });

  it('split a full name into first and last, or by a separator and index', () => {
    const people = { lead: { name: '  Anna Maria  Weber ', single: 'Cher', tags: 'a;b;c' } };
    expect(renderTemplate('{{lead.name | first_name}}', people)).toBe('Anna');
    expect(renderTemplate('{{lead.name | last_name}}', people)).toBe('Maria Weber');
    expect(renderTemplate('{{lead.single | first_name}}/{{lead.single | last_name}}', people)).toBe('Cher/');
    expect(renderTemplate('{{lead.tags | split:";"}}', people)).toEqual(['a', 'b', 'c']);
    expect(renderTemplate('{{lead.tags | split:";",1}}', people)).toBe('b');
    expect(renderTemplate('{{lead.tags | split:";",-1}}', people)).toBe('c');
  });

  it('replace text and take slices of text and lists', () => {
    const values = { lead: { phone: '8 900 123-45-67', goods: [1, 2, 3, 4] } };
    expect(renderTemplate('{{lead.phone | replace:" ",""}}', values)).toBe('8900123-45-67');
    expect(renderTemplate('{{lead.phone | digits | slice:-10}}', values)).toBe('9001234567');
    expect(renderTemplate('{{lead.phone | slice:0,5}}', values)).toBe('8 900');
    expect(renderTemplate('{{lead.goods | slice:1,3}}', values)).toEqual([2, 3]);
  });

  it('make a new UUID and random texts of the length and alphabet asked for', () => {
    const first = renderTemplate('{{now | uuid}}', scope) as string;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(renderTemplate('{{now | uuid}}', scope)).not.toBe(first);
    expect(renderTemplate('{{now | random}}', scope)).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(renderTemplate('{{now | random:6,"0123456789"}}', scope)).toMatch(/^[0-9]{6}$/);
    expect(renderTemplate('{{now | random:32}}', scope)).not.toBe(renderTemplate('{{now | random:32}}', scope));
  });

  it("write a phone in E.164 against the lead's country, or the one given, and nothing when it cannot be read", () => {
    expect(renderTemplate('{{lead.phone | e164}}', { lead: { phone: '0151 23456789', country: 'de' } })).toBe('+4915123456789');
    expect(renderTemplate('{{lead.phone | e164}}', { lead: { phone: '+7 (900) 123-45-67', country: 'de' } })).toBe('+79001234567');
    expect(renderTemplate('{{lead.phone | e164:"RU"}}', { lead: { phone: '8 900 123 45 67' } })).toBe('+79001234567');
    expect(renderTemplate('{{lead.phone | e164}}', { lead: { phone: '0151 23456789' } })).toBeUndefined();
    expect(renderTemplate('{{lead.phone | e164 | default:"none"}}', { lead: { phone: '12', country: 'de' } })).toBe('none');
  });

  it('hash a value with md5, sha1 and sha256, as hex', () => {
    const values = { lead: { email: 'Anna@Example.com' } };
    expect(renderTemplate('{{lead.email | lower | md5}}', values)).toBe(md5Hex('anna@example.com'));
    expect(renderTemplate('{{lead.email | sha1}}', values)).toBe(nodeHash('sha1', 'Anna@Example.com'));
    expect(renderTemplate('{{lead.email | sha256}}', values)).toBe(nodeHash('sha256', 'Anna@Example.com'));
    expect(renderTemplate('{{"abc" | md5}}', values)).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('parse bare paths as Extract writes them', () => {
    expect(parsePath('body.items[0].id')).toEqual(['body', 'items', 0, 'id']);
    expect(parsePath('data["order-id"]')).toEqual(['data', 'order-id']);
    expect(() => parsePath('body..id')).toThrow(TemplateError);
  });
});

describe('omitting empty values', () => {
  it('drops empty text, nulls, empty lists and objects at every level, and objects left empty by that', () => {
    const body = {
      name: 'Anna',
      email: '',
      phone: null,
      tags: [],
      extra: {},
      fm: [{ VALUE: '', TYPE: '' }, { VALUE: 'x' }],
      deep: { a: { b: '' } },
    };
    expect(omitEmpty(body)).toEqual({ name: 'Anna', fm: [{ VALUE: 'x' }] });
  });

  it('keeps 0, false and the input as it was', () => {
    const body = { count: 0, subscribed: false, note: '' };
    expect(omitEmpty(body)).toEqual({ count: 0, subscribed: false });
    expect(body.note).toBe('');
  });
});
