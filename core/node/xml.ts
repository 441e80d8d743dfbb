/**
 * Reading XML answers (older CRMs still answer in XML) into plain objects, so Extract, For Each and
 * templates read them like JSON: `<result><order id="7"><status>ok</status></order></result>` is
 * `{ result: { order: { '@id': '7', status: 'ok' } } }`. Repeated elements become lists; values stay
 * text (an id such as `007` keeps its zeros); attributes are `@name`, an element's own text beside
 * attributes `#text`. No entity expansion beyond XML's five, no external entities.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
});

/** Whether an answer is XML, by its content type (`application/xml`, `text/xml`, `…+xml`) or its first characters. */
export function looksLikeXml(contentType: string, text: string): boolean {
  if (/[/+]xml\b/i.test(contentType)) return true;
  return /^\s*<\?xml[\s?]/i.test(text);
}

/** The XML as an object, or undefined when it is not well-formed XML. */
export function parseXml(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) return undefined;
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
