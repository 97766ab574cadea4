import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Deepest element nesting accepted; a CallbackRequest nests about eight levels, a UWS answer fewer. */
export const MAX_XML_DEPTH = 32;

// Entities stay on for the five predefined ones and character references; DOCTYPE (and with it
// every custom entity and external reference) is refused before the parser runs.
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_XML_DEPTH,
});

/**
 * XML from outside (a provider's callback, a ThingSpace answer), parsed only when it is harmless:
 * no DOCTYPE or entity declaration (XXE, entity expansion), well-formed, nested at most
 * MAX_XML_DEPTH. Returns the document with namespace prefixes removed, or why it was refused.
 */
export function parseSafeXml(xml: string): { doc: unknown } | { refused: 'DOCTYPE_REFUSED' | 'NOT_XML' } {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { refused: 'DOCTYPE_REFUSED' };
  if (XMLValidator.validate(xml) !== true) return { refused: 'NOT_XML' };
  try {
    return { doc: parser.parse(xml) as unknown };
  } catch {
    return { refused: 'NOT_XML' };
  }
}
