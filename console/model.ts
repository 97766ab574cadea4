/** The fields of the query API's answers the console shows (Kapua shapes, see the README's Query section). */
export interface Device {
  id: string;
  clientId: string;
  displayName?: string;
  deviceKind?: string;
  createdOn?: string;
  lastEventOn?: string;
  lastEventType?: string;
  imei?: string;
  iccid?: string;
}

export interface Position {
  latitude: number;
  longitude: number;
  precision?: number;
  timestamp?: string;
}

export interface DeviceEvent {
  id: string;
  deviceId: string;
  receivedOn: string;
  sentOn?: string;
  resource?: string;
  action?: string;
  callbackAction?: string;
  responseCode?: string;
  eventMessage?: string;
  provider?: string;
  channel?: string;
  operationId?: string;
  position?: Position;
  payload?: unknown;
  /** Only on one event read by id: the body as received, credentials blanked. */
  rawBody?: string;
}

export interface Operation {
  id: string;
  operationId: string;
  status?: string;
  progress?: number;
  resource?: string;
  startedOn?: string;
  endedOn?: string;
  lastSentOn?: string;
  channel?: string;
}

export interface Notification {
  id: string;
  status?: string;
  progress?: number;
  resource?: string;
  sentOn?: string;
  message?: string;
}

export interface Registration {
  service?: string;
  endpoint?: string;
  status?: string;
  lastCheckedOn?: string;
  lastChangedOn?: string;
  lastError?: string;
  needsRegistration?: boolean;
  consecutiveFailures?: number;
}

export interface Rejection {
  receivedOn?: string;
  provider?: string;
  channel?: string;
  httpStatus?: number;
  errorCode?: string;
  reason?: string;
  sourceIp?: string;
  fromPublishedSource?: boolean;
  bodyBytes?: number;
}
