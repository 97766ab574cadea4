/** A legacy ThingSpace SOAP CallbackRequest (seed 002's shape) around the given Data content. */
export function soapEnvelope(
  inner: string,
  version: '1.1' | '1.2' = '1.1',
  username = 'user-1',
  password = 'pass-1',
  requestId = 'c8de7c1d-59b9-4cf3-b969-db76cb2ce509',
  device = '8586928930',
): string {
  const ns = version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope';
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${ns}"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<CallbackRequest xmlns="http://nphase.com/unifiedwebservice/v2"><Username>${username}</Username><Password>${password}</Password>` +
    `<RequestId>${requestId}</RequestId><Device><Kind>mdn</Kind><Identifier>${device}</Identifier></Device><Data>${inner}</Data>` +
    `</CallbackRequest></s:Body></s:Envelope>`
  );
}
